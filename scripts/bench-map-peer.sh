#!/usr/bin/env bash
# The R user's map step as a peer (issue 13 item 5): ranger (quantreg = TRUE) trained on the demo's cropland
# sites plus terra::predict over the demo's covariate rasters (β mean, 5 % and 95 % quantiles, 2 threads),
# beside `soilbeta map` for the same ecosystem (β mean and quantiles, area, seven SOC density layers, stocks),
# with the model the demo trained (same features, mtry and node size). Needs the demo run (made if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/soilbeta
OUT=bench-out/map-peer
THREADS=2
[ -f demo-run/forest/CL/model.sbf ] || scripts/demo.sh > /dev/null
rm -rf "$OUT"; mkdir -p "$OUT"
echo "== map peer: cropland of the demo (1/12° global), soilbeta map vs ranger + terra::predict, $THREADS threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
# A map-only configuration for cropland with the demo's trained model; the peer's arguments.
python3 - "$OUT" <<'PY' > "$OUT/peer.args"
import json, os, sys, tomllib
out = sys.argv[1]
base = os.path.abspath("demo")
config = tomllib.load(open("demo/run.toml", "rb"))
p = lambda rel: os.path.normpath(os.path.join(base, rel))
features = config["forest"]["features"]
summary = json.load(open("demo-run/forest/CL/summary.json"))
cl = config["ecosystems"]["CL"]
lines = ["[run]", f'folder = "{os.path.abspath(out)}/soilbeta"', "threads = 2", "synthetic = true", "[grid]",
         f'resolution = {config["grid"]["resolution"]}', "[topsoil]"]
lines += [f'{k} = "{p(v)}"' for k, v in config["topsoil"].items()]
lines += ["[covariates]"] + [f'{k} = "{p(v)}"' for k, v in config["covariates"].items()]
lines += ["[ecosystems.CL]", f'area = "{p(cl["area"])}"', f'area_unit = "{cl["area_unit"]}"',
          f'model = "{os.path.abspath("demo-run/forest/CL/model.sbf")}"']
open(os.path.join(out, "cl.toml"), "w").write("\n".join(lines) + "\n")
mtry = summary.get("mtry") or summary.get("parameters", {}).get("mtry")
node = summary.get("min_node_size", config["forest"].get("min_node", 5))
trees = summary.get("trees") or config["forest"]["trees"]
print(" ".join([os.path.abspath("demo-run/sites.csv"), "cropland", ",".join(features),
                ",".join(p(config["covariates"][f]) for f in features), p(cl["area"]), str(mtry), str(node), str(trees),
                os.path.abspath(os.path.join(out, "peer_CL.tif"))]))
PY
start=$(date +%s.%N)
# --no-cube: as the `map` step of `soilbeta run`, which leaves the NetCDF cube to its own `cube` step; the peer writes
# one GeoTIFF of three bands and no cube either.
/usr/bin/time -f "%M %U %S" -o "$OUT/.ours" "$BIN" map --config "$OUT/cl.toml" --threads "$THREADS" --no-cube --quiet > "$OUT/ours.log"
ours=$(echo "$(date +%s.%N) - $start" | bc -l)
read -r ours_rss ours_user ours_sys < "$OUT/.ours"
start=$(date +%s.%N)
# shellcheck disable=SC2046
/usr/bin/time -f "%M %U %S" -o "$OUT/.peer" Rscript bench/map/peer_terra.R $(cat "$OUT/peer.args") > "$OUT/peer.log" 2> "$OUT/peer.err" \
  || { cat "$OUT/peer.err"; exit 1; }
peer=$(echo "$(date +%s.%N) - $start" | bc -l)
read -r peer_rss peer_user peer_sys < "$OUT/.peer"
peer_predict=$(sed -E 's/.*peer_predict_seconds=([0-9.]+).*/\1/' "$OUT/peer.log")
cat "$OUT/peer.log"
grep -E '^CL:' "$OUT/ours.log" || true
printf '%-62s %10s %12s %10s\n' "task" "seconds" "CPU seconds" "peak MiB"
printf '%-62s %10.2f %12.2f %10.1f\n' "soilbeta map, cropland (β, q05, q95, area, 7 SOCD COGs, stocks)" "$ours" \
  "$(echo "$ours_user + $ours_sys" | bc -l)" "$(echo "$ours_rss / 1024" | bc -l)"
printf '%-62s %10.2f %12.2f %10.1f\n' "R ranger (quantreg) train + terra::predict β, q05, q95" "$peer" \
  "$(echo "$peer_user + $peer_sys" | bc -l)" "$(echo "$peer_rss / 1024" | bc -l)"
printf 'ratio soilbeta / R (whole): %.3f; soilbeta / R terra::predict alone (%.1f s): %.3f\n' \
  "$(echo "$ours / $peer" | bc -l)" "$peer_predict" "$(echo "$ours / $peer_predict" | bc -l)"
