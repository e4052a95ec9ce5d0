#!/usr/bin/env bash
# 1 km planning (issue 13 item 6): a 10° × 10° window of land at 1/120° (1200 × 1200 = 1.44 M cells), three
# ecosystems with 500-tree QRF models (synthetic inputs), mapped as 4 row tiles like the array tasks of
# `soilbeta submit`, each timed alone (wall, CPU, peak RSS), then joined by `soilbeta mosaic`. Prints the
# CPU µs per cell–ecosystem pair and the peak RSS per tile, and the global 1/120° cost they imply
# (BENCHMARKS.md turns them into CPU hours, wall time on N nodes, disk and tile counts). Time-boxed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/soilbeta
BENCH_BIN=.build/release/soilbeta-bench
OUT=bench-out/map-1km
THREADS=${BENCH_MAP_THREADS:-2}
TREES=${BENCH_MAP_TREES:-500}
EXTENT=${BENCH_1KM_EXTENT:-140,65,150,75}   # all land, all three ecosystems in the synthetic inputs
TILES=4
LIMIT=${BENCH_1KM_SECONDS:-1800}            # time box of each tile
rm -rf "$OUT"; mkdir -p "$OUT"
echo "== map 1 km window: ${EXTENT} at 1/120°, 3 ecosystems, $TREES trees + QRF, $TILES tiles, $THREADS threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BENCH_BIN" map-synthetic-inputs --out "$OUT" --resolution 0.00833333333333 --extent="$EXTENT" --training-rows 400 \
  --trees "$TREES" --threads "$THREADS" --tile-rows 32 | tail -1
printf '%-8s %10s %12s %10s %14s %18s\n' "tile" "seconds" "CPU seconds" "peak MiB" "cell-eco pairs" "CPU µs per pair"
total_cpu=0; total_pairs=0; max_rss=0
for i in $(seq 1 $TILES); do
  start=$(date +%s.%N)
  timeout "$LIMIT" /usr/bin/time -f "%M %U %S" -o "$OUT/.tile" "$BIN" map --config "$OUT/run.toml" --tile "$i/$TILES" \
    --threads "$THREADS" --quiet > "$OUT/tile-$i.log" || { echo "tile $i failed or exceeded ${LIMIT} s"; exit 1; }
  seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
  read -r rss user sys < "$OUT/.tile"
  cpu=$(echo "$user + $sys" | bc -l)
  pairs=$(grep -oE '^[A-Z]+: [0-9]+ cells with area' "$OUT/tile-$i.log" | awk '{s += $2} END {print s}')
  printf '%-8s %10.2f %12.2f %10.1f %14d %18.2f\n' "$i/$TILES" "$seconds" "$cpu" "$(echo "$rss / 1024" | bc -l)" "$pairs" \
    "$(echo "$cpu * 1000000 / $pairs" | bc -l)"
  total_cpu=$(echo "$total_cpu + $cpu" | bc -l); total_pairs=$((total_pairs + pairs))
  [ "$rss" -gt "$max_rss" ] && max_rss=$rss
done
start=$(date +%s.%N)
"$BIN" mosaic --config "$OUT/run.toml" --tiles "$TILES" --threads "$THREADS" > "$OUT/mosaic.log"
mosaic=$(echo "$(date +%s.%N) - $start" | bc -l)
disk=$(du -sb "$OUT/maps" --exclude=tiles | cut -f1)
us=$(echo "$total_cpu * 1000000 / $total_pairs" | bc -l)
printf 'window: %d cell-ecosystem pairs, %.2f CPU µs per pair (map step, all outputs), peak RSS per tile %.0f MiB, mosaic %.1f s\n' \
  "$total_pairs" "$us" "$(echo "$max_rss / 1024" | bc -l)" "$mosaic"
cells=$(( 1200 * 1200 ))
printf 'outputs of the window: %.1f MB (%.1f bytes per cell, 33 COGs + cube)\n' "$(echo "$disk / 1000000" | bc -l)" "$(echo "$disk / $cells" | bc -l)"
# The global 1/120° grid: 43200 × 21600 = 933 M cells; ~400 M cell–ecosystem pairs with area (issue 13).
hours=$(echo "400000000 * $us / 1000000 / 3600" | bc -l)
printf 'global 1 km at this rate: %.2f CPU hours for 400 M pairs; %.2f h wall on one 2-core node; %.1f min on 16 nodes of 32 cores (prediction alone, before mosaic)\n' \
  "$hours" "$(echo "$hours / 2" | bc -l)" "$(echo "$hours * 60 / (16 * 32)" | bc -l)"
printf 'global 1 km outputs at this window density: at most %.0f GB (933 M cells × %.0f bytes; ocean cells compress to almost nothing)\n' \
  "$(echo "933120000 * $disk / $cells / 1000000000" | bc -l)" "$(echo "$disk / $cells" | bc -l)"
