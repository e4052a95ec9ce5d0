# The R user's map step, the peer of `soilbeta map` in `make bench` (scripts/bench-map-peer.sh):
# ranger (quantreg = TRUE) trained on the same sites, then terra::predict over the same covariate rasters
# where the ecosystem has area, writing β mean and 5 %/95 % quantiles. 2 threads.
# Usage: Rscript peer_terra.R SITES.csv ECOSYSTEM FEATURES(a,b,c) RASTERS(a.tif,b.tif,…) AREA.tif MTRY MIN_NODE TREES OUT.tif
suppressPackageStartupMessages({ library(ranger); library(terra) })
args <- commandArgs(trailingOnly = TRUE)
sites <- read.csv(args[1]); ecosystem <- args[2]
features <- strsplit(args[3], ",")[[1]]; rasters <- strsplit(args[4], ",")[[1]]
area_path <- args[5]; mtry <- as.integer(args[6]); min_node <- as.integer(args[7]); trees <- as.integer(args[8]); out <- args[9]
threads <- 2
train <- sites[sites$ecosystem == ecosystem & is.finite(sites$beta), c("beta", features)]
train <- train[complete.cases(train), ]
t_train <- system.time({
  model <- ranger(beta ~ ., data = train, num.trees = trees, mtry = mtry, min.node.size = min_node,
                  quantreg = TRUE, num.threads = threads, seed = 1)
})[["elapsed"]]
t_predict <- system.time({
  stack <- rast(rasters); names(stack) <- features
  area <- rast(area_path)
  stack <- mask(stack, area > 0, maskvalues = c(0, NA))
  both <- function(model, data, ...) {
    mean <- predict(model, data, num.threads = threads)$predictions
    q <- predict(model, data, type = "quantiles", quantiles = c(0.05, 0.95), num.threads = threads)$predictions
    cbind(beta = mean, q05 = q[, 1], q95 = q[, 2])
  }
  result <- predict(stack, model, fun = both, na.rm = TRUE, filename = out, overwrite = TRUE,
                    wopt = list(names = c("beta", "q05", "q95"), datatype = "FLT4S"))
})[["elapsed"]]
cells <- global(!is.na(result[[1]]), "sum", na.rm = TRUE)[1, 1]
cat(sprintf("peer_train_seconds=%.3f peer_predict_seconds=%.3f cells=%d training_rows=%d mean_beta=%.6f\n",
            t_train, t_predict, as.integer(cells), nrow(train), global(result[[1]], "mean", na.rm = TRUE)[1, 1]))
