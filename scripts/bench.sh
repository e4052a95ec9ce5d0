#!/usr/bin/env bash
# `make bench`: soilbeta against its peers in the same run; prints times and ratios.
# Parts: core (harmonize + beta vs PyPI mpspline + scipy, and R nls), then every scripts/bench-*.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/soilbeta
BENCH_BIN=.build/release/soilbeta-bench   # forest-bench and map-synthetic-inputs (scripts/bench-forest.sh, bench-map.sh)
for binary in "$BIN" "$BENCH_BIN"; do
  [ -x "$binary" ] || { echo "bench: $binary missing (run make release)" >&2; exit 1; }
done
OUT=bench-out
mkdir -p "$OUT"
PROFILES=${BENCH_PROFILES:-10000}
PEER_PROFILES=${BENCH_PEER_PROFILES:-2000}   # the Python peer needs ~20 ms a profile; it runs on a prefix and is scaled

timed() { # timed LABEL CMD... → prints wall seconds and peak RSS (MiB)
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$OUT/.rss" "$@" > "$OUT/.stdout" 2> "$OUT/.stderr" || { cat "$OUT/.stderr"; return 1; }
  end=$(date +%s.%N)
  printf '%s %.3f %.1f\n' "$label" "$(echo "$end - $start" | bc -l)" "$(echo "$(cat "$OUT/.rss") / 1024" | bc -l)"
}

echo "== core: harmonize + beta on $PROFILES synthetic profiles (SOC and BD), $(nproc) cores"
"$BIN" simulate-profiles --count "$PROFILES" --seed 1 --out "$OUT/profiles.csv"
read -r _ ours_beta rss_beta < <(timed beta "$BIN" beta --horizons "$OUT/profiles.csv" --out "$OUT/beta.csv")
read -r _ ours_harm rss_harm < <(timed harmonize "$BIN" harmonize --horizons "$OUT/profiles.csv" --vars soc,bd --out "$OUT/harmonized.csv")
peer_line=$(python3 bench/core/peer_mpspline.py "$OUT/profiles.csv" "$OUT/peer_beta.csv" "$PEER_PROFILES")
peer_measured=$(sed -E 's/.*peer_seconds=([0-9.]+).*/\1/' <<<"$peer_line")
peer_seconds=$(echo "$peer_measured * $PROFILES / $PEER_PROFILES" | bc -l)
nls_line=$(Rscript bench/core/peer_nls.R "$OUT/beta.csv")
nls_seconds=$(sed -E 's/.*peer_seconds=([0-9.]+).*/\1/' <<<"$nls_line")
agreement=$(python3 - "$OUT/beta.csv" "$OUT/peer_beta.csv" <<'PY'
import csv, sys
ours = {r["id"]: r["beta"] for r in csv.DictReader(open(sys.argv[1]))}
peer = {r["id"]: float(r["beta"]) for r in csv.DictReader(open(sys.argv[2]))}
diffs = [abs(float(ours[i]) - b) for i, b in peer.items() if ours.get(i)]
print(f"{len(diffs)} profiles compared, max |beta diff| = {max(diffs):.2e}")
PY
)
printf '%-44s %10s %10s\n' "task" "seconds" "peak MiB"
printf '%-44s %10.3f %10.1f\n' "soilbeta beta (read, spline SOC+BD, SOCD, fit)" "$ours_beta" "$rss_beta"
printf '%-44s %10.3f %10.1f\n' "soilbeta harmonize --vars soc,bd" "$ours_harm" "$rss_harm"
printf '%-44s %10.3f %10s\n' "PyPI mpspline + scipy (scaled from $PEER_PROFILES)" "$peer_seconds" "-"
printf '%-44s %10.3f %10s\n' "R nls port, beta fits only" "$nls_seconds" "-"
printf 'ratio soilbeta beta / python peer: %.4f  (%.0fx faster)\n' "$(echo "$ours_beta / $peer_seconds" | bc -l)" "$(echo "$peer_seconds / $ours_beta" | bc -l)"
printf 'ratio soilbeta beta (all work) / R nls (fits only): %.4f\n' "$(echo "$ours_beta / $nls_seconds" | bc -l)"
echo "agreement with python peer: $agreement; with R nls: $(sed -E 's/.*max_abs_beta_diff=//' <<<"$nls_line")"

for part in scripts/bench-*.sh; do
  [ -e "$part" ] || continue
  echo
  bash "$part"
done
