# OOB skill of R randomForest and ranger on the forest parity data sets (5 seeds each), written to
# Tests/ForestTests/Fixtures/r_parity.csv. Same hyper-parameters as soilbeta's defaults:
# 500 trees, mtry = max(floor(p/3), 1), nodesize / min.node.size = 5, bootstrap sampling.
# r2_rf is randomForest's rsq definition 1 - mse / (var(y) (n-1)/n), applied to both tools' OOB MSE.
# Usage (from the repository root): Rscript bench/forest/parity.R
suppressPackageStartupMessages({ library(randomForest); library(ranger) })
dir <- "Tests/ForestTests/Fixtures"
sets <- list(dutch_beta_features = "beta", diabetes = "y", friedman1 = "y")
out <- data.frame()
for (name in names(sets)) {
  d <- read.csv(file.path(dir, paste0(name, ".csv")))
  target <- sets[[name]]
  d$id <- NULL
  x <- d[, setdiff(names(d), target), drop = FALSE]
  y <- d[[target]]
  p <- ncol(x); n <- length(y); mtry <- max(floor(p / 3), 1)
  vpop <- var(y) * (n - 1) / n
  for (seed in 1:5) {
    set.seed(seed)
    rf <- randomForest(x, y, ntree = 500, mtry = mtry, nodesize = 5)
    mse <- rf$mse[500]
    out <- rbind(out, data.frame(dataset = name, tool = "randomForest", seed = seed, n = n, p = p, mtry = mtry,
                                 oob_mse = mse, r2_rf = 1 - mse / vpop))
    rg <- ranger(x = x, y = y, num.trees = 500, mtry = mtry, min.node.size = 5, seed = seed, num.threads = 2)
    mse <- rg$prediction.error
    out <- rbind(out, data.frame(dataset = name, tool = "ranger", seed = seed, n = n, p = p, mtry = mtry,
                                 oob_mse = mse, r2_rf = 1 - mse / vpop))
  }
}
write.csv(format(out, digits = 10), file.path(dir, "r_parity.csv"), row.names = FALSE, quote = FALSE)
cat(sprintf("R %s, randomForest %s, ranger %s\n", getRversion(), packageVersion("randomForest"), packageVersion("ranger")))
print(aggregate(r2_rf ~ dataset + tool, out, mean))
