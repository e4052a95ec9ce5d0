#!/usr/bin/env bash
# `soilbeta forest predict` on a CSV table against ranger's predict call (issue 13 item 4): a 500-tree forest trained on
# 6,000 rows of 7 features (Friedman #1 plus two noise columns, seed 1), then 1,000,000 new rows in a CSV file.
# soilbeta is timed as the whole command (read and parse the CSV, predict, write the CSV); ranger as its
# `predict()` call alone on a data frame already in memory (the CSV read by R is not counted). 2 threads each.
# Target: soilbeta ≤ 0.05 × ranger. Variables: PREDICT_BENCH_ROWS (default 1000000), PREDICT_BENCH_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/soilbeta
ROWS=${PREDICT_BENCH_ROWS:-1000000}
OUT=${PREDICT_BENCH_OUT:-bench-out/predict-csv}
THREADS=2
rm -rf "$OUT"
mkdir -p "$OUT"
command -v Rscript > /dev/null || { echo "bench-predict-csv: Rscript is missing (scripts/ensure-deps.sh bench installs it)" >&2; exit 1; }
echo "== forest predict on a CSV table: 500 trees, 7 features, $ROWS rows, $THREADS threads, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# The tables, written by R (same seed every run): y = Friedman #1 of x1..x5 + N(0, 1); x6, x7 pure noise.
Rscript -e '
set.seed(1)
friedman <- function(n) {
  x <- as.data.frame(matrix(runif(n * 7), ncol = 7)); names(x) <- paste0("x", 1:7)
  x$y <- 10 * sin(pi * x$x1 * x$x2) + 20 * (x$x3 - 0.5)^2 + 10 * x$x4 + 5 * x$x5 + rnorm(n)
  x
}
args <- commandArgs(trailingOnly = TRUE)
write.csv(friedman(6000), file.path(args[1], "train.csv"), row.names = FALSE)
new <- friedman(as.integer(args[2])); new$y <- NULL
write.csv(new, file.path(args[1], "new.csv"), row.names = FALSE)
' "$OUT" "$ROWS"
features=x1,x2,x3,x4,x5,x6,x7
"$BIN" forest train --table "$OUT/train.csv" --target y --features "$features" --trees 500 --seed 1 --threads "$THREADS" \
  --out "$OUT/model.sbf" > /dev/null
start=$(date +%s.%N)
/usr/bin/time -f "%M %U %S" -o "$OUT/.rss" "$BIN" forest predict --model "$OUT/model.sbf" --table "$OUT/new.csv" \
  --threads "$THREADS" --out "$OUT/soilbeta.csv"
soilbeta_s=$(echo "$(date +%s.%N) - $start" | bc -l)
read -r rss_kib user_s sys_s < "$OUT/.rss"
ranger_s=$(Rscript -e '
suppressMessages(library(ranger))
args <- commandArgs(trailingOnly = TRUE)
train <- read.csv(file.path(args[1], "train.csv"))
new <- read.csv(file.path(args[1], "new.csv"))
rf <- ranger(y ~ ., data = train, num.trees = 500, num.threads = 2, seed = 1, verbose = FALSE)
elapsed <- system.time(p <- predict(rf, data = new, num.threads = 2, verbose = FALSE))[["elapsed"]]
cat(sprintf("%.3f\n", elapsed))
' "$OUT")
printf '%-60s %10s %12s %10s\n' "task" "seconds" "CPU seconds" "peak MiB"
printf '%-60s %10.2f %12.2f %10.1f\n' "soilbeta forest predict (read CSV, predict, write CSV)" "$soilbeta_s" \
  "$(echo "$user_s + $sys_s" | bc -l)" "$(echo "$rss_kib / 1024" | bc -l)"
printf '%-60s %10.2f\n' "ranger predict() call on the data frame in memory" "$ranger_s"
ratio=$(echo "$soilbeta_s / $ranger_s" | bc -l)
printf 'ratio soilbeta / ranger: %.3f (target ≤ 0.05: %s)\n' "$ratio" "$([ "$(echo "$ratio <= 0.05" | bc -l)" = 1 ] && echo met || echo MISSED)"
