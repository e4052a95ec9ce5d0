# Peer benchmark for scripts/bench-forest.sh: trains R ranger (2 threads) or randomForest on the
# benchmark table with soilbeta's settings (500 trees, mtry 3, node size 5, permutation importance),
# then predicts the training features tiled to ROWS rows. Prints one JSON line.
# Usage: Rscript bench_r.R ranger|randomForest TABLE.csv ROWS
args <- commandArgs(trailingOnly = TRUE)
tool <- args[1]; table <- args[2]; rows <- as.integer(args[3])
suppressPackageStartupMessages({ library(ranger); library(randomForest) })
d <- read.csv(table)
x <- d[, setdiff(names(d), "beta")]
y <- d$beta
set.seed(1)
if (tool == "ranger") {
  t <- system.time(m <- ranger(x = x, y = y, num.trees = 500, mtry = 3, min.node.size = 5,
                               importance = "permutation", num.threads = 2, seed = 1, verbose = FALSE))
  r2 <- 1 - m$prediction.error / (var(y) * (length(y) - 1) / length(y))
} else {
  t <- system.time(m <- randomForest(x, y, ntree = 500, mtry = 3, nodesize = 5, importance = TRUE))
  r2 <- m$rsq[500]
}
train_s <- t[["elapsed"]]; train_cpu <- t[["user.self"]] + t[["sys.self"]]
big <- x[rep(seq_len(nrow(x)), length.out = rows), ]
if (tool == "ranger") {
  t <- system.time(p <- predict(m, big, num.threads = 2, verbose = FALSE)$predictions)
} else {
  t <- system.time(p <- predict(m, big))
}
cat(sprintf('{"tool": "%s", "train_s": %.3f, "predict_s": %.3f, "train_cpu_s": %.3f, "predict_cpu_s": %.3f, "model_bytes": %.0f, "oob_r2": %.5f, "mean_prediction": %.6g}\n',
            tool, train_s, t[["elapsed"]], train_cpu, t[["user.self"]] + t[["sys.self"]],
            as.numeric(length(serialize(m, NULL))), r2, mean(p)))
