#!/usr/bin/env bash
# `make demo`: runs the soilbeta pipeline on the demo data into demo-run/ (release build made by make).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/soilbeta
RUN=demo-run
mkdir -p "$RUN"
echo "==> synthetic profiles (1,221, DEMO data)"
"$BIN" simulate-profiles --count 1221 --seed 2024 --out "$RUN/horizons.csv"
echo "==> harmonize to 0-20 ... 80-100 cm"
"$BIN" harmonize --horizons "$RUN/horizons.csv" --vars soc,bd --out "$RUN/harmonized.csv"
echo "==> beta per profile"
"$BIN" beta --horizons "$RUN/horizons.csv" --out "$RUN/beta.csv"
echo
echo "demo outputs in $RUN/: horizons.csv, harmonized.csv, beta.csv (+ .issues.csv reports)"
