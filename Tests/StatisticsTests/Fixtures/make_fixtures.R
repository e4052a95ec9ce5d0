# Reference values for the soilbeta Statistics target (METHOD.md §6).
# Run once from this folder:  Rscript make_fixtures.R
# Needs only base R (stats). Inputs are written as CSV first, then read back, so the
# Swift tests use exactly the numbers R used. All outputs are printed with 15 significant digits.
options(digits = 15)
g15 <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))
write_ref <- function(df, file) {
  for (j in seq_along(df)) if (is.numeric(df[[j]])) df[[j]] <- g15(df[[j]])
  write.csv(df, file, row.names = FALSE, quote = FALSE)
}

## ---- inputs -------------------------------------------------------------------------
# Real β values (dutch_beta.csv, see PROVENANCE.md), split into three pseudo-ecosystems by
# row order: rows 1-120 cropland, 121-240 grassland, 241-359 forestland.
db <- read.csv("dutch_beta.csv")
db$group <- c(rep("cropland", 120), rep("grassland", 120), rep("forestland", nrow(db) - 240))
beta_groups <- data.frame(id = db$id, group = db$group, beta = db$beta, socd_0_20 = db$d1)
write_ref(beta_groups, "beta_groups.csv")

set.seed(20261125)
# Synthetic one-way layout: 4 groups of unequal size and spread.
ng <- c(7, 12, 5, 20); mu <- c(10, 11.5, 9.2, 10.4); sdv <- c(1, 1.5, 0.8, 1.2)
anova_synth <- data.frame(group = rep(c("d", "a", "c", "b"), ng),
                          value = round(unlist(mapply(rnorm, ng, mu, sdv)), 4))
write_ref(anova_synth, "anova_synth.csv")

# Synthetic smoothing sets.
xy <- list()
x <- round(runif(60, 0, 10), 1)                       # ties on purpose
xy$ties60 <- data.frame(x = x, y = round(sin(x) + rnorm(60, 0, 0.3), 5))
x <- sort(runif(200, -2, 3))
xy$smooth200 <- data.frame(x = x, y = round(x^3 - 2 * x + rnorm(200, 0, 0.5), 5))
x <- runif(30, 1, 5)
xy$direct30 <- data.frame(x = x, y = round(log(x) + rnorm(30, 0, 0.1), 5))
x <- c(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) + round(runif(12, -0.3, 0.3), 2)
xy$small12 <- data.frame(x = x, y = round(0.5 * x + rnorm(12), 4))
x <- round(runif(150, 200, 3000))                     # MAP-like magnitudes, mm
xy$map150 <- data.frame(x = x, y = round(0.98 - 2e-6 * x + 1e-9 * (x - 1500)^2 +
                                         rnorm(150, 0, 0.004), 6))
x <- rep(c(1, 2), c(20, 20))                          # two values: R falls back to its pseudo-inverse
xy$two_values40 <- data.frame(x = x, y = round(rnorm(40), 4))
synth <- do.call(rbind, lapply(names(xy), function(n) data.frame(set = n, xy[[n]])))
write_ref(synth, "smooth_synth.csv")

## read back what the tests will read
bg <- read.csv("beta_groups.csv"); an <- read.csv("anova_synth.csv"); sy <- read.csv("smooth_synth.csv")

## ---- descriptive ---------------------------------------------------------------------
summ <- function(dataset, group, v) data.frame(dataset = dataset, group = group, n = length(v),
  mean = mean(v), median = median(v), p05 = quantile(v, 0.05, type = 7, names = FALSE),
  p95 = quantile(v, 0.95, type = 7, names = FALSE), sd = sd(v), cv_pct = 100 * sd(v) / mean(v))
rs <- summ("beta", "all", bg$beta)
for (g in sort(unique(bg$group))) rs <- rbind(rs, summ("beta", g, bg$beta[bg$group == g]))
for (g in sort(unique(an$group))) rs <- rbind(rs, summ("anova_synth", g, an$value[an$group == g]))
write_ref(rs, "ref_summary.csv")

probs <- c(0, 0.01, 0.05, 0.1, 0.25, 1/3, 0.5, 0.9, 0.95, 0.999, 1)
qsets <- list(beta = bg$beta, one = c(3.5), two = c(2, -1), five = c(5, 1, 4, 1, 2.5),
              small12 = sy$y[sy$set == "small12"])
rq <- do.call(rbind, lapply(names(qsets), function(n)
  data.frame(dataset = n, prob = probs, value = quantile(qsets[[n]], probs, type = 7, names = FALSE))))
write_ref(rq, "ref_quantile.csv")

## ---- ANOVA and Tukey HSD ------------------------------------------------------------------
ra <- NULL; rt <- NULL
for (ds in c("beta", "anova_synth")) {
  d <- if (ds == "beta") data.frame(v = bg$beta, g = factor(bg$group)) else
       data.frame(v = an$value, g = factor(an$group))
  fit <- aov(v ~ g, data = d)
  tab <- summary(fit)[[1]]
  ra <- rbind(ra, data.frame(dataset = ds, df_between = tab$Df[1], df_within = tab$Df[2],
    ss_between = tab$`Sum Sq`[1], ss_within = tab$`Sum Sq`[2], f = tab$`F value`[1],
    p = tab$`Pr(>F)`[1]))
  tk <- TukeyHSD(fit, conf.level = 0.95)$g
  rt <- rbind(rt, data.frame(dataset = ds, comparison = rownames(tk), diff = tk[, "diff"],
    lwr = tk[, "lwr"], upr = tk[, "upr"], p_adj = tk[, "p adj"]))
}
write_ref(ra, "ref_anova.csv")
write_ref(rt, "ref_tukey.csv")

## ---- distributions ---------------------------------------------------------------------
pfg <- expand.grid(f = c(0.01, 0.5, 1, 2.7, 8, 40), df1 = c(1, 2, 3, 7.5), df2 = c(1, 4, 30, 356, 5000))
pfg$lower <- pf(pfg$f, pfg$df1, pfg$df2); pfg$upper <- pf(pfg$f, pfg$df1, pfg$df2, lower.tail = FALSE)
write_ref(pfg, "ref_pf.csv")
ptg <- expand.grid(t = c(-6, -2.2, -0.3, 0, 0.7, 1.96, 4.5), df = c(1, 2.5, 7, 30, 187.3, 1e5))
ptg$lower <- pt(ptg$t, ptg$df)
write_ref(ptg, "ref_pt.csv")
qtg <- expand.grid(p = c(0.0005, 0.025, 0.3, 0.5, 0.8, 0.975, 0.9995), df = c(1, 2.5, 7, 30, 187.3, 1e5))
qtg$q <- qt(qtg$p, qtg$df)
write_ref(qtg, "ref_qt.csv")
# R's ptukey is approximate: its outer integral is coarse for very small df (errors up to ~1e-4
# at df = 2, e.g. ptukey(1.5, 2, 2) = 0.600020 where the exact value 2*pt(1.5/sqrt(2), 2) - 1 is
# 0.6), and for df > 25000 it returns the df = Inf value. So a second, independent reference
# is computed here by integrating the definition with integrate():
#   P(Q <= q) = int_0^Inf f_df(s) W(q s) ds,  s = sqrt(chisq_df / df),  W = ptukey(., k, Inf)
# (R's df = Inf range probability, which is accurate: ptukey(1.5, 2, Inf) = 2*pnorm(1.5/sqrt(2))-1
# to 1e-15), and its quantiles by uniroot() on that integral.
ptukey_integral <- function(q, k, df, lower.tail = TRUE) {
  logf <- function(s) log(2) + (df / 2) * log(df / 2) - lgamma(df / 2) + (df - 1) * log(s) - df * s^2 / 2
  g <- function(s) exp(logf(s)) * ptukey(q * s, k, Inf, lower.tail = lower.tail)
  w <- 15 / sqrt(2 * df)
  integrate(g, max(0, 1 - w), 1 + w, rel.tol = 1e-13, abs.tol = 1e-15, subdivisions = 2000L)$value
}
ptk <- expand.grid(q = c(0.5, 1.5, 2.8, 3.5, 5, 8), nmeans = c(2, 3, 4, 10), df = c(2, 5, 20, 356, 1e6))
ptk$lower <- ptukey(ptk$q, ptk$nmeans, ptk$df)
ptk$upper <- ptukey(ptk$q, ptk$nmeans, ptk$df, lower.tail = FALSE)
ptk$lower_integral <- mapply(ptukey_integral, ptk$q, ptk$nmeans, ptk$df)
ptk$upper_integral <- mapply(ptukey_integral, ptk$q, ptk$nmeans, ptk$df, MoreArgs = list(lower.tail = FALSE))
write_ref(ptk, "ref_ptukey.csv")
qtk <- expand.grid(p = c(0.5, 0.9, 0.95, 0.99), nmeans = c(2, 3, 4, 10), df = c(2, 5, 20, 356))
qtk$q <- qtukey(qtk$p, qtk$nmeans, qtk$df)
qtk$q_integral <- mapply(function(p, k, df) uniroot(function(q) ptukey_integral(q, k, df) - p,
  c(0.01, 200), tol = 1e-13)$root, qtk$p, qtk$nmeans, qtk$df)
write_ref(qtk, "ref_qtukey.csv")

## ---- LOESS -----------------------------------------------------------------------------
cases <- list(
  list(case = "beta_all", x = bg$socd_0_20, y = bg$beta, span = 0.75, degree = 2, surface = "interpolate"),
  list(case = "beta_cropland", x = bg$socd_0_20[bg$group == "cropland"], y = bg$beta[bg$group == "cropland"], span = 0.75, degree = 2, surface = "interpolate"),
  list(case = "beta_forestland", x = bg$socd_0_20[bg$group == "forestland"], y = bg$beta[bg$group == "forestland"], span = 0.75, degree = 2, surface = "interpolate"),
  list(case = "beta_grassland", x = bg$socd_0_20[bg$group == "grassland"], y = bg$beta[bg$group == "grassland"], span = 0.75, degree = 2, surface = "interpolate"),
  list(case = "ties60", set = "ties60", span = 0.75, degree = 2, surface = "interpolate"),
  list(case = "smooth200_deg1_span05", set = "smooth200", span = 0.5, degree = 1, surface = "interpolate"),
  list(case = "direct30", set = "direct30", span = 0.75, degree = 2, surface = "direct"),
  list(case = "small12", set = "small12", span = 0.75, degree = 2, surface = "interpolate"),
  list(case = "map150", set = "map150", span = 0.75, degree = 2, surface = "interpolate"),
  list(case = "two_values40", set = "two_values40", span = 0.75, degree = 2, surface = "interpolate"))
ls <- NULL; lf <- NULL; lg <- NULL
for (cs in cases) {
  if (!is.null(cs$set)) { cs$x <- sy$x[sy$set == cs$set]; cs$y <- sy$y[sy$set == cs$set] }
  d <- data.frame(x = cs$x, y = cs$y)
  fit <- suppressWarnings(loess(y ~ x, data = d, span = cs$span, degree = cs$degree,
               control = loess.control(surface = cs$surface)))
  ls <- rbind(ls, data.frame(case = cs$case, n = fit$n, span = cs$span, degree = cs$degree,
    surface = cs$surface, trace_hat = fit$trace.hat, one_delta = fit$one.delta,
    two_delta = fit$two.delta, s = fit$s, enp = fit$enp))
  lf <- rbind(lf, data.frame(case = cs$case, i = seq_along(cs$x), fitted = fitted(fit)))
  grid <- seq(min(cs$x), max(cs$x), length.out = 41)
  p <- suppressWarnings(predict(fit, newdata = data.frame(x = grid), se = TRUE))
  tq <- qt(0.975, p$df)
  lg <- rbind(lg, data.frame(case = cs$case, x = grid, fit = p$fit, se = p$se.fit, df = p$df,
    lower95 = p$fit - tq * p$se.fit, upper95 = p$fit + tq * p$se.fit))
}
write_ref(ls, "ref_loess_summary.csv")
write_ref(lf, "ref_loess_fitted.csv")
write_ref(lg, "ref_loess_grid.csv")
writeLines(c(R.version.string, paste("generated", format(Sys.time(), tz = "UTC", usetz = TRUE))),
           "ref_R_version.txt")
