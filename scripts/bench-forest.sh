#!/usr/bin/env bash
# Forest benchmark (issue 3): soilbeta vs R ranger (2 threads), R randomForest and scikit-learn
# (n_jobs=2) on a task of the real shape: n = 6,000 rows, 9 features, 500 trees, mtry 3, node size 5,
# permutation importance; then prediction of 4,000,000 rows (training features tiled) in memory.
# Prints wall and CPU times (train / predict phases, measured inside each program), ratios to ranger,
# peak RSS of each program (GNU time) and model size (serialised bytes). CPU times are the fairer
# comparison on a busy machine; wall times are the acceptance figures on an idle one.
# Needs: .build/release/soilbeta-bench (make release), Rscript with ranger + randomForest, python3 with
# scikit-learn, /usr/bin/time (scripts/ensure-deps.sh bench). Environment: FOREST_BENCH_ROWS (rows to
# predict, default 4000000), FOREST_BENCH_OUT (work folder, default bench-out/forest),
# FOREST_BENCH_TOOLS (default "soilbeta ranger randomForest scikit-learn"), FOREST_BENCH_RF_ROWS
# (rows randomForest predicts, default 400000: it is single-threaded and slow; its time is scaled
# linearly to the full row count and marked "*" in the table).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${FOREST_BENCH_ROWS:-4000000}"
out="${FOREST_BENCH_OUT:-bench-out/forest}"
tools="${FOREST_BENCH_TOOLS:-soilbeta ranger randomForest scikit-learn}"
rf_rows="${FOREST_BENCH_RF_ROWS:-400000}"
[ "$rf_rows" -gt "$rows" ] && rf_rows=$rows
bin=.build/release/soilbeta-bench
[ -x "$bin" ] || { echo "bench-forest: $bin missing (run make release)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-forest: /usr/bin/time missing (scripts/ensure-deps.sh bench)" >&2; exit 1; }
mkdir -p "$out"
table="$out/train.csv"
python3 bench/forest/make_bench_data.py "$table" 6000
features=soc,cn,mat,map,bd,clay,tn,ph,mbc

run() { # tool, command… → JSON line in $out/<tool>.json, GNU time report in $out/<tool>.time
  local tool=$1; shift
  /usr/bin/time -v -o "$out/$tool.time" "$@" > "$out/$tool.json"
}
echo "==> forest bench: n = 6000, 9 features, 500 trees, predict $rows rows; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for tool in $tools; do
  echo "    running $tool …"
  case $tool in
    soilbeta) run soilbeta "$bin" forest-bench --table "$table" --target beta --features $features --forest 500,3,5 \
                 --run 1,2 --predict-rows "$rows" --out "$out/soilbeta.model" ;;
    ranger) run "$tool" Rscript bench/forest/bench_r.R "$tool" "$table" "$rows" ;;
    randomForest) run "$tool" Rscript bench/forest/bench_r.R "$tool" "$table" "$rf_rows" ;;
    scikit-learn) run "$tool" python3 bench/forest/bench_sklearn.py "$table" "$rows" ;;
  esac
done
python3 - "$out" "$rows" "$rf_rows" $tools <<'PY'
import json, re, sys
out, rows, rf_rows, tools = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
res = {}
for t in tools:
    r = json.loads(open(f"{out}/{t}.json").read().strip().splitlines()[-1])
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{out}/{t}.time").read())
    r["rss_mb"] = int(rss.group(1)) / 1024 if rss else float("nan")
    r["mark"] = ""
    if t == "randomForest" and rf_rows < rows:
        r["predict_s"] *= rows / rf_rows
        r["predict_cpu_s"] *= rows / rf_rows
        r["mark"] = "*"
    res[t] = r
ref = res.get("ranger")
print(f"{'tool':<13} {'train s':>9} {'×ranger':>8} {'predict s':>10} {'×ranger':>8} {'peak RSS MB':>12} {'model MB':>9} {'OOB R²':>7} {'train CPU s':>12} {'×ranger':>8} {'predict CPU s':>14} {'×ranger':>8}")
for t, r in res.items():
    tr = f"{r['train_s'] / ref['train_s']:.3f}" if ref else "-"
    pr = f"{r['predict_s'] / ref['predict_s']:.3f}" if ref else "-"
    tc = f"{r['train_cpu_s'] / ref['train_cpu_s']:.3f}" if ref else "-"
    pc = f"{r['predict_cpu_s'] / ref['predict_cpu_s']:.3f}" if ref else "-"
    print(f"{t:<13} {r['train_s']:>9.2f} {tr:>8} {r['predict_s']:>9.2f}{r['mark']:1} {pr:>8} {r['rss_mb']:>12.0f} {r['model_bytes'] / 1e6:>9.1f} {r['oob_r2']:>7.3f} {r['train_cpu_s']:>12.2f} {tc:>8} {r['predict_cpu_s']:>13.2f}{r['mark']:1} {pc:>8}")
PY
[ "$rf_rows" -lt "$rows" ] && echo "* randomForest predicted $rf_rows rows; time scaled linearly to $rows rows" || true
