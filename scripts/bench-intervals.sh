#!/usr/bin/env bash
# Calibration of the simulated stock intervals (issue 10; docs/METHOD.md §8d): 20 demo worlds at 1° whose truth
# is known (real MODIS/Köppen inputs, synthetic profiles and covariates), the whole pipeline on each, and the
# coverage of the true subsoil stock by the 95 % interval. Prints one line per world and the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_BIN=.build/release/soilbeta-bench
OUT=bench-out/intervals
SEEDS=${BENCH_INTERVAL_SEEDS:-20}
eval "$(scripts/fetch-demo-inputs.sh | tail -2)"
rm -rf "$OUT"
echo "== interval calibration: $SEEDS demo worlds at 1°, 1,221 profiles, 300 trees, 500 realisations, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
"$BENCH_BIN" interval-calibration --modis "$MODIS" --koppen "$KOPPEN" --out "$OUT" --seeds "$SEEDS" --grid 1 --trees 300 2>/dev/null
echo "($(( $(date +%s) - start )) s; per-world figures in $OUT/calibration.csv)"
