# Peer for `make bench` (core): the paper's own beta fit, R nls(y ~ 1 - b^d, algorithm = "port"),
# on the layer SOC densities written by `soilbeta beta` (columns socd_0_20 ... socd_80_100).
args <- commandArgs(trailingOnly = TRUE)
x <- read.csv(args[1])
x <- x[complete.cases(x[, c("socd_0_20", "socd_20_40", "socd_40_60", "socd_60_80", "socd_80_100")]), ]
d <- c(20, 40, 60, 80, 100)
t0 <- proc.time()[["elapsed"]]
beta <- numeric(nrow(x))
for (i in seq_len(nrow(x))) {
  s <- as.numeric(x[i, c("socd_0_20", "socd_20_40", "socd_40_60", "socd_60_80", "socd_80_100")])
  y <- cumsum(s) / sum(s)
  f <- try(nls(y ~ 1 - b^d, start = list(b = 0.97), algorithm = "port", lower = 0.5, upper = 0.99999), silent = TRUE)
  beta[i] <- if (inherits(f, "try-error")) NA else coef(f)[["b"]]
}
el <- proc.time()[["elapsed"]] - t0
cat(sprintf("peer_seconds=%.3f profiles=%d max_abs_beta_diff=%.3g\n", el, nrow(x), max(abs(beta - x$beta), na.rm = TRUE)))
