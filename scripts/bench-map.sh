#!/usr/bin/env bash
# Map benchmark (issue 4 acceptance): `soilbeta map` on the full global 1/12° grid (4320 × 2160),
# 3 ecosystems (≈4 M cells with area > 0 in all), 500-tree forests with QRF quantiles, all layers,
# β q05/q95 and stocks. Inputs and models are synthetic (made by `soilbeta-bench map-synthetic-inputs`).
# Prints wall time, peak RSS and time per million cells with area; target ≤ 120 s and ≤ 2 GiB on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/soilbeta
BENCH_BIN=.build/release/soilbeta-bench
OUT=bench-out/map
THREADS=${BENCH_MAP_THREADS:-2}
TREES=${BENCH_MAP_TREES:-500}
RESOLUTION=${BENCH_MAP_RESOLUTION:-0.0833333333}
rm -rf "$OUT"
mkdir -p "$OUT"
echo "== map: global grid of ${RESOLUTION}°, 3 ecosystems, $TREES trees + QRF, $THREADS threads, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# Inputs, training tables and the three QRF models (all 11 features, seed 1) in one step.
"$BENCH_BIN" map-synthetic-inputs --out "$OUT" --resolution "$RESOLUTION" --training-rows 400 --missing-every 1000 \
  --trees "$TREES" --threads "$THREADS"
start=$(date +%s.%N)
/usr/bin/time -f "%M %U %S" -o "$OUT/.rss" "$BIN" map --config "$OUT/run.toml" --threads "$THREADS" --no-cube > "$OUT/map.log" 2> "$OUT/map.err" \
  || { cat "$OUT/map.err"; exit 1; }
end=$(date +%s.%N)
seconds=$(echo "$end - $start" | bc -l)
read -r rss_kib user_s sys_s < "$OUT/.rss"
rss_mib=$(echo "$rss_kib / 1024" | bc -l)
cpu_s=$(echo "$user_s + $sys_s" | bc -l)
cells=$(grep -oE '^[A-Z]+: [0-9]+ cells with area' "$OUT/map.log" | awk '{s += $2} END {print s}')
per_million=$(echo "$seconds / ($cells / 1000000)" | bc -l)
cat "$OUT/map.log"
printf '%-48s %10s %12s %10s %14s\n' "task" "seconds" "CPU seconds" "peak MiB" "s / M cells"
printf '%-48s %10.2f %12.2f %10.1f %14.2f\n' "soilbeta map ($cells cells, 48 COGs, DI/AOA/SE/intervals)" "$seconds" "$cpu_s" "$rss_mib" "$per_million"
printf 'CPU µs per cell-ecosystem pair (all outputs): %.2f\n' "$(echo "$cpu_s * 1000000 / $cells" | bc -l)"
start=$(date +%s.%N)
"$BIN" map --config "$OUT/run.toml" --threads "$THREADS" --quiet > /dev/null   # outputs complete: writes only maps/soilbeta.nc
printf 'NetCDF-CF cube of the 48 maps (soilbeta map after a run without --no-cube): %.1f s, %.0f MB\n' \
  "$(echo "$(date +%s.%N) - $start" | bc -l)" "$(echo "$(stat -c %s "$OUT/maps/soilbeta.nc") / 1000000" | bc -l)"
# The same map as before issue 10 — no area of applicability, no standard errors, no simulated intervals — to
# state what DI + AOA + SE + the stock simulation cost (issue 10: DI/AOA ≤ +25 %).
grep -v -e '^applicability = ' -e '^variogram = ' "$OUT/run.toml" | sed 's|^folder = "."|folder = "no-aoa"|' > "$OUT/run-no-aoa.toml"
start=$(date +%s.%N)
/usr/bin/time -f "%M %U %S" -o "$OUT/.rss-no-aoa" "$BIN" map --config "$OUT/run-no-aoa.toml" --threads "$THREADS" --no-cube --quiet > /dev/null \
  || { echo "map without the AOA failed" >&2; exit 1; }
plain=$(echo "$(date +%s.%N) - $start" | bc -l)
read -r rss_plain_kib user_plain sys_plain < "$OUT/.rss-no-aoa"
printf '%-48s %10.2f %12.2f %10.1f\n' "soilbeta map without DI/AOA/SE/intervals (33 COGs)" "$plain" "$(echo "$user_plain + $sys_plain" | bc -l)" "$(echo "$rss_plain_kib / 1024" | bc -l)"
printf 'DI, AOA, β SE and simulated intervals add %.1f %% wall time, %.1f %% CPU time\n' "$(echo "($seconds / $plain - 1) * 100" | bc -l)" \
  "$(echo "($cpu_s / ($user_plain + $sys_plain) - 1) * 100" | bc -l)"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg) (CPU seconds / 2 ≈ wall time on 2 idle cores for the parallel part)"
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
echo "target ≤ 120 s: $(verdict "$seconds <= 120"); target ≤ 2048 MiB: $(verdict "$rss_mib <= 2048")"
