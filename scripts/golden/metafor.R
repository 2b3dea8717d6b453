#!/usr/bin/env Rscript
# Generates tests/golden/metafor/metafor_reference.json: reference values for
# kira::stats computed by R's metafor on metafor's own example datasets.
#
# Usage (from the repository root; needs Debian's r-cran-metafor and
# r-cran-jsonlite, CI does not run this: the output is committed):
#   Rscript scripts/golden/metafor.R tests/golden/metafor/metafor_reference.json
#
# metafor's default convergence settings (threshold 1e-5, uniroot tol
# ~1.2e-4) are looser than the 1e-6 relative tolerance the C++ tests use, so
# every fit below is run with the tight controls in `ctrl` and those controls
# are written into the fixture beside the values.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
  library(survival)  # Debian r-cran-survival: Kaplan-Meier reference values
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/golden/metafor/metafor_reference.json"

ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 100000, tau2.max = 1000)
ci_ctrl <- list(tol = 1e-12, maxiter = 100000, tau2.min = 0, tau2.max = 1e5)

num <- function(x) { x <- as.numeric(x); x }

# ---- datasets -------------------------------------------------------------
bcg <- dat.bcg
normand <- dat.normand1999
pritz <- dat.pritz1997
# A small synthetic set with zero cells (one all-zero "00" table) to pin
# down the continuity-correction rules (escalc add = 1/2, to = "only0").
zeros <- data.frame(ai = c(0, 3, 5, 0, 12), bi = c(20, 17, 35, 25, 38),
                    ci = c(2, 0, 9, 0, 15), di = c(18, 21, 31, 25, 35))

datasets <- list(
  bcg = list(ai = bcg$tpos, bi = bcg$tneg, ci = bcg$cpos, di = bcg$cneg,
             ablat = bcg$ablat, year = bcg$year, author = bcg$author),
  normand1999 = list(m1i = normand$m1i, sd1i = normand$sd1i, n1i = normand$n1i,
                     m2i = normand$m2i, sd2i = normand$sd2i, n2i = normand$n2i),
  pritz1997 = list(xi = pritz$xi, ni = pritz$ni),
  zeros = as.list(zeros)
)

es <- function(dsname, measure) {
  d <- datasets[[dsname]]
  if (measure %in% c("OR", "RR", "RD", "PETO")) {
    escalc(measure = measure, ai = d$ai, bi = d$bi, ci = d$ci, di = d$di)
  } else if (measure %in% c("MD", "SMD")) {
    escalc(measure = measure, m1i = d$m1i, sd1i = d$sd1i, n1i = d$n1i,
           m2i = d$m2i, sd2i = d$sd2i, n2i = d$n2i)
  } else {
    escalc(measure = measure, xi = d$xi, ni = d$ni)
  }
}

escalc_rows <- list()
for (spec in list(c("bcg", "OR"), c("bcg", "RR"), c("bcg", "RD"),
                  c("normand1999", "MD"), c("normand1999", "SMD"),
                  c("pritz1997", "PR"), c("pritz1997", "PLO"),
                  c("zeros", "OR"), c("zeros", "RR"), c("zeros", "RD"),
                  c("bcg", "PETO"), c("zeros", "PETO"))) {
  e <- es(spec[1], spec[2])
  escalc_rows[[length(escalc_rows) + 1]] <- list(
    dataset = spec[1], measure = spec[2], yi = num(e$yi), vi = num(e$vi))
}

# ---- rma: every tau^2 estimator, z and knha -------------------------------
fit_row <- function(dsname, measure, method, test, level = 95) {
  e <- es(dsname, measure)
  res <- rma(yi, vi, data = e, method = method, test = test, level = level, control = ctrl)
  pr <- predict(res)
  row <- list(dataset = dsname, measure = measure, method = method, test = test,
              level = level, k = res$k, beta = num(res$beta), se = num(res$se), zval = num(res$zval),
              pval = num(res$pval), ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub),
              tau2 = num(res$tau2), QE = num(res$QE), QEp = num(res$QEp),
              I2 = num(res$I2), H2 = num(res$H2),
              pi_lb = num(pr$pi.lb), pi_ub = num(pr$pi.ub))
  # Parity additions (issue 14): vt, s2w, Riley PI, fitstats, vcov.
  prr <- predict(res, pi.type = "riley")  # lower case: metafor 3.8-1 ignores "Riley"
  fs <- res$fit.stats
  row$vt <- num(res$vt)
  row$s2w <- num(res$s2w)
  row$pi_riley_lb <- num(prr$pi.lb)
  row$pi_riley_ub <- num(prr$pi.ub)
  row$fit_ml <- num(fs[, "ML"])
  row$fit_reml <- num(fs[, "REML"])
  row$vcov <- num(vcov(res))
  if (!method %in% c("FE")) {
    row$se_tau2 <- num(res$se.tau2)
    ci <- confint(res, level = level, control = ci_ctrl)
    row$tau2_lb <- num(ci$random["tau^2", "ci.lb"])
    row$tau2_ub <- num(ci$random["tau^2", "ci.ub"])
    row$I2_lb <- num(ci$random["I^2(%)", "ci.lb"])
    row$I2_ub <- num(ci$random["I^2(%)", "ci.ub"])
    row$H2_lb <- num(ci$random["H^2", "ci.lb"])
    row$H2_ub <- num(ci$random["H^2", "ci.ub"])
  }
  row
}

methods <- c("FE", "DL", "REML", "ML", "PM", "SJ", "HE", "EB", "HS")
rma_rows <- list()
for (spec in list(c("bcg", "OR"), c("bcg", "RR"), c("bcg", "RD"), c("bcg", "PETO"),
                  c("normand1999", "MD"), c("normand1999", "SMD"),
                  c("pritz1997", "PR"), c("pritz1997", "PLO"))) {
  for (m in methods) {
    for (test in c("z", "knha")) {
      if (m == "FE" && test == "knha") next
      rma_rows[[length(rma_rows) + 1]] <- fit_row(spec[1], spec[2], m, test)
    }
  }
}

# A non-default confidence level (90 %) for CIs, PIs and the Q-profile.
for (m in c("REML", "DL")) {
  for (test in c("z", "knha")) {
    rma_rows[[length(rma_rows) + 1]] <- fit_row("bcg", "OR", m, test, level = 90)
  }
}

# ---- leave-one-out and cumulative (bcg, log OR) ----------------------------
# leave1out()/cumul() name the statistic tval under Knapp-Hartung.
stat_of <- function(x) if (!is.null(x$zval)) x$zval else x$tval
loo_rows <- list()
cum_rows <- list()
for (m in c("FE", "DL", "REML")) {
  for (test in c("z", "knha")) {
    if (m == "FE" && test == "knha") next
    e <- es("bcg", "OR")
    res <- rma(yi, vi, data = e, method = m, test = test, control = ctrl)
    l <- leave1out(res)
    loo_rows[[length(loo_rows) + 1]] <- list(
      dataset = "bcg", measure = "OR", method = m, test = test,
      estimate = num(l$estimate), se = num(l$se), zval = num(stat_of(l)), pval = num(l$pval),
      ci_lb = num(l$ci.lb), ci_ub = num(l$ci.ub), QE = num(l$Q), QEp = num(l$Qp),
      tau2 = num(l$tau2), I2 = num(l$I2), H2 = num(l$H2))
    cm <- cumul(res)
    cum_rows[[length(cum_rows) + 1]] <- list(
      dataset = "bcg", measure = "OR", method = m, test = test,
      estimate = num(cm$estimate), se = num(cm$se), zval = num(stat_of(cm)), pval = num(cm$pval),
      ci_lb = num(cm$ci.lb), ci_ub = num(cm$ci.ub), QE = num(cm$Q), QEp = num(cm$Qp),
      tau2 = num(cm$tau2), I2 = num(cm$I2), H2 = num(cm$H2))
  }
}

# ---- Egger's regression test (regtest defaults: model "rma", predictor sei) -
reg_rows <- list()
tf_rows <- list()
for (spec in list(c("bcg", "OR"), c("bcg", "RR"), c("normand1999", "SMD"),
                  c("pritz1997", "PLO"))) {
  for (mt in list(c("FE", "z"), c("DL", "z"), c("REML", "z"), c("REML", "knha"))) {
    m <- mt[1]
    test <- mt[2]
    e <- es(spec[1], spec[2])
    res <- rma(yi, vi, data = e, method = m, test = test, control = ctrl)
    r <- regtest(res)
    reg_rows[[length(reg_rows) + 1]] <- list(
      dataset = spec[1], measure = spec[2], method = m, test = test,
      zval = num(r$zval), pval = num(r$pval), est = num(r$est),
      ci_lb = num(r$ci.lb), ci_ub = num(r$ci.ub))
    for (estimator in c("L0", "R0")) {
      tf <- trimfill(res, estimator = estimator, control = ctrl)
      tf_rows[[length(tf_rows) + 1]] <- list(
        dataset = spec[1], measure = spec[2], method = m, test = test, estimator = estimator,
        k0 = tf$k0, side = tf$side, se_k0 = num(tf$se.k0), k = tf$k,
        beta = num(tf$beta), se = num(tf$se), ci_lb = num(tf$ci.lb), ci_ub = num(tf$ci.ub),
        pval = num(tf$pval), tau2 = num(tf$tau2), QE = num(tf$QE),
        yi_filled = num(tf$yi[tf$fill]), vi_filled = num(tf$vi[tf$fill]))
    }
  }
}

# ---- meta-regression on bcg (moderators ablat, year) -----------------------
mr_rows <- list()
for (spec in list(list(mods = c("ablat"), m = "REML", test = "z"),
                  list(mods = c("ablat"), m = "REML", test = "knha"),
                  list(mods = c("ablat", "year"), m = "REML", test = "z"),
                  list(mods = c("ablat", "year"), m = "REML", test = "knha"),
                  list(mods = c("ablat", "year"), m = "DL", test = "z"),
                  list(mods = c("ablat", "year"), m = "ML", test = "z"),
                  list(mods = c("ablat", "year"), m = "FE", test = "z"))) {
  e <- es("bcg", "OR")
  X <- as.matrix(as.data.frame(datasets$bcg[spec$mods]))
  res <- rma(e$yi, e$vi, mods = X, method = spec$m, test = spec$test, control = ctrl)
  row <- list(dataset = "bcg", measure = "OR", method = spec$m, test = spec$test,
              mods = spec$mods, beta = num(res$beta), se = num(res$se),
              zval = num(res$zval), pval = num(res$pval),
              ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub),
              tau2 = num(res$tau2), QM = num(res$QM), QMp = num(res$QMp),
              QE = num(res$QE), QEp = num(res$QEp), I2 = num(res$I2), H2 = num(res$H2),
              vcov = num(vcov(res)), vt = num(res$vt), s2w = num(res$s2w),
              fit_ml = num(res$fit.stats[, "ML"]), fit_reml = num(res$fit.stats[, "REML"]))
  if (spec$m != "FE") {
    row$R2 <- num(res$R2)
    row$se_tau2 <- num(res$se.tau2)
    ci <- confint(res, control = ci_ctrl)
    row$tau2_lb <- num(ci$random["tau^2", "ci.lb"])
    row$tau2_ub <- num(ci$random["tau^2", "ci.ub"])
  }
  mr_rows[[length(mr_rows) + 1]] <- row
}

# ---- Mantel-Haenszel and Peto ----------------------------------------------
mh_rows <- list()
for (dsname in c("bcg", "zeros")) {
  d <- datasets[[dsname]]
  for (measure in c("OR", "RR", "RD")) {
    r <- rma.mh(ai = d$ai, bi = d$bi, ci = d$ci, di = d$di, measure = measure)
    row <- list(dataset = dsname, measure = measure, beta = num(r$beta), se = num(r$se),
                zval = num(r$zval), pval = num(r$pval), ci_lb = num(r$ci.lb),
                ci_ub = num(r$ci.ub), QE = num(r$QE), QEp = num(r$QEp),
                I2 = num(r$I2), H2 = num(r$H2))
    if (measure == "OR") {
      row$CMH <- num(r$MH); row$CMHp <- num(r$MHp)
      row$BD <- num(r$BD); row$BDp <- num(r$BDp); row$TA <- num(r$TA); row$TAp <- num(r$TAp)
    }
    mh_rows[[length(mh_rows) + 1]] <- row
  }
}
peto_rows <- list()
for (dsname in c("bcg", "zeros")) {
  d <- datasets[[dsname]]
  r <- rma.peto(ai = d$ai, bi = d$bi, ci = d$ci, di = d$di)
  peto_rows[[length(peto_rows) + 1]] <- list(
    dataset = dsname, measure = "PETO", beta = num(r$beta), se = num(r$se),
    zval = num(r$zval), pval = num(r$pval), ci_lb = num(r$ci.lb), ci_ub = num(r$ci.ub),
    QE = num(r$QE), QEp = num(r$QEp), I2 = num(r$I2), H2 = num(r$H2))
}

# ---- boundary optimum: k = 2 with yi closer than their SEs -> tau^2 = 0 ------
# The second pair starts Fisher scoring at a positive Hedges estimate, from
# which ML creeps towards its boundary optimum at 0.
boundary_rows <- list()
for (case in list(list(yi = c(0.1, 0.2), vi = c(0.04, 0.05), m = "ML"),
                  list(yi = c(0.1, 0.2), vi = c(0.04, 0.05), m = "REML"),
                  list(yi = c(0, 0.35), vi = c(0.04, 0.05), m = "ML"))) {
  m <- case$m
  res <- rma(yi = case$yi, vi = case$vi, method = m, control = ctrl)
  boundary_rows[[length(boundary_rows) + 1]] <- list(
    yi = case$yi, vi = case$vi, method = m, tau2 = num(res$tau2),
    beta = num(res$beta), se = num(res$se), fit_ml = num(res$fit.stats[, "ML"]),
    fit_reml = num(res$fit.stats[, "REML"]))
}

# ---- rma.mv: multilevel (nested random intercepts) and multivariate ---------
# nlminb with tight tolerances; confint() profiles with a tight uniroot.
mv_ctrl <- list(rel.tol = 1e-12, iter.max = 10000, eval.max = 10000)
mv_ci_ctrl <- list(tol = 1e-12)
# Where nlminb reports false convergence at that tolerance, nlm with tight
# gradient and step tolerances is used instead (then BFGS); the row records
# which.
mv_nlm_ctrl <- list(optimizer = "nlm", gradtol = 1e-12, steptol = 1e-12, iterlim = 10000)
mv_bfgs_ctrl <- list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-15, maxit = 10000)
fit_mv <- function(args) {
  res <- tryCatch(do.call(rma.mv, c(args, list(control = mv_ctrl))), error = function(e) NULL)
  if (!is.null(res)) { res$kira_control <- "nlminb rel.tol 1e-12"; return(res) }
  res <- tryCatch(do.call(rma.mv, c(args, list(control = mv_nlm_ctrl))), error = function(e) NULL)
  if (!is.null(res)) { res$kira_control <- "nlm gradtol 1e-12 steptol 1e-12"; return(res) }
  res <- do.call(rma.mv, c(args, list(control = mv_bfgs_ctrl)))
  res$kira_control <- "optim BFGS reltol 1e-15"
  res
}
mv_row <- function(name, res, extra = list(), ci = TRUE) {
  fs <- res$fit.stats
  row <- c(list(name = name, method = res$method, test = res$test, k = res$k, p = res$p,
                beta = num(res$beta), se = num(res$se), zval = num(res$zval), pval = num(res$pval),
                ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub), vcov = num(vcov(res)),
                sigma2 = if (res$withS) num(res$sigma2) else NULL,
                tau2 = if (res$withG) num(res$tau2) else NULL, rho = if (res$withG) num(res$rho) else NULL,
                QE = num(res$QE), QEp = num(res$QEp), QM = num(res$QM), QMp = num(res$QMp),
                fit_ml = num(fs[, "ML"]), fit_reml = num(fs[, "REML"]),
                control = res$kira_control), extra)
  if (ci && res$withS) {
    cis <- confint(res, control = mv_ci_ctrl)
    cis <- if (!is.null(cis$random)) list(cis) else cis[seq_along(res$sigma2)]
    row$sigma2_lb <- sapply(cis, function(x) num(x$random[1, "ci.lb"]))
    row$sigma2_ub <- sapply(cis, function(x) num(x$random[1, "ci.ub"]))
  }
  if (ci && res$withG && res$struct[1] == "CS") {
    cis <- confint(res, tau2 = 1, control = mv_ci_ctrl)
    row$tau2_lb <- num(cis$random[1, "ci.lb"])
    row$tau2_ub <- num(cis$random[1, "ci.ub"])
  }
  row
}
konst <- dat.konstantopoulos2011
berkey <- dat.berkey1998
assink <- dat.assink2016
datasets$konstantopoulos2011 <- list(district = konst$district, school = konst$school,
                                     study = konst$study, year = konst$year, yi = konst$yi, vi = konst$vi)
datasets$berkey1998 <- list(trial = berkey$trial, outcome = as.character(berkey$outcome), yi = berkey$yi,
                            vi = berkey$vi, v1i = berkey$v1i, v2i = berkey$v2i)
datasets$assink2016 <- list(study = assink$study, esid = assink$esid, yi = assink$yi, vi = assink$vi,
                            year = assink$year)
mv_rows <- list()
for (m in c("REML", "ML")) {
  for (test in c("z", "t")) {
    res <- fit_mv(list(yi = konst$yi, V = konst$vi, random = ~ 1 | district/school, data = konst,
                       method = m, test = test))
    mv_rows[[length(mv_rows) + 1]] <- mv_row("konstantopoulos2011", res)
  }
  res <- fit_mv(list(yi = konst$yi, V = konst$vi, mods = cbind(year = konst$year - 1980),
                     random = ~ 1 | district/school, data = konst, method = m))
  mv_rows[[length(mv_rows) + 1]] <- mv_row("konstantopoulos2011", res, list(mods = "year-1980"))
  res <- fit_mv(list(yi = assink$yi, V = assink$vi, random = ~ 1 | study/esid, data = assink, method = m))
  mv_rows[[length(mv_rows) + 1]] <- mv_row("assink2016", res)
  V <- bldiag(lapply(split(berkey[, c("v1i", "v2i")], berkey$trial), as.matrix))
  for (struct in c("UN", "CS")) {
    X <- cbind(AL = as.numeric(berkey$outcome == "AL"), PD = as.numeric(berkey$outcome == "PD"))
    res <- fit_mv(list(yi = berkey$yi, V = V, mods = X, intercept = FALSE, random = ~ outcome | trial,
                       struct = struct, data = berkey, method = m))
    mv_rows[[length(mv_rows) + 1]] <- mv_row("berkey1998", res, list(struct = struct))
  }
}

# ---- network meta-analysis (contrast-based, as in metafor's dat.hasselblad1998 help) ----
# Contrasts against each study's baseline (the reference when present, else
# the alphabetically first treatment), 1/2 added to every cell (to = "all"),
# covariance of contrasts sharing the baseline = its log-odds variance;
# rma.mv(random = ~ comp | study, rho = 1/2). P-scores (Ruecker & Schwarzer
# 2015) and the fixed-effect design-by-treatment Q decomposition are computed
# here in R from metafor's fits.
h <- dat.hasselblad1998
datasets$hasselblad1998 <- list(study = h$study, trt = h$trt, xi = h$xi, ni = h$ni)
nma_rows <- list()
ref <- "no_contact"
rows <- list()
for (s in sort(unique(h$study))) {
  a <- h[h$study == s, ]
  a <- a[order(a$trt != ref, a$trt), ]
  x <- a$xi + 0.5; y <- a$ni - a$xi + 0.5
  lg <- log(x / y); v <- 1 / x + 1 / y
  for (j in 2:nrow(a)) {
    rows[[length(rows) + 1]] <- data.frame(study = s, trt = a$trt[j], base = a$trt[1], yi = lg[j] - lg[1],
                                           vi = v[j] + v[1], bv = v[1], design = paste(a$trt, collapse = ":"))
  }
}
nd <- do.call(rbind, rows)
nd$comp <- paste(nd$trt, "vs", nd$base)
V <- bldiag(lapply(split(nd, nd$study), function(x) { m <- matrix(x$bv[1], nrow(x), nrow(x)); diag(m) <- x$vi; m }))
trts <- c(ref, sort(setdiff(unique(h$trt), ref)))
X <- sapply(trts[-1], function(t) (nd$trt == t) - (nd$base == t))
for (m in c("REML", "ML")) {
  res <- fit_mv(list(yi = nd$yi, V = V, mods = X, intercept = FALSE, random = ~ comp | study, rho = 1/2,
                     data = nd, method = m))
  b <- c(0, as.vector(res$beta)); vb <- rbind(0, cbind(0, vcov(res)))
  nt <- length(trts)
  pscore <- sapply(seq_len(nt), function(i) mean(sapply(setdiff(seq_len(nt), i), function(j)
    pnorm((b[i] - b[j]) / sqrt(vb[i, i] + vb[j, j] - 2 * vb[i, j])))))
  # Fixed-effect Q decomposition: total vs design-specific fits.
  fe <- rma.mv(nd$yi, V, mods = X, intercept = FALSE)
  Xd <- do.call(cbind, lapply(unique(nd$design), function(dsg) {
    sapply(unique(nd$trt[nd$design == dsg]), function(t) as.numeric(nd$design == dsg & nd$trt == t))
  }))
  within <- rma.mv(nd$yi, V, mods = Xd, intercept = FALSE)
  nma_rows[[length(nma_rows) + 1]] <- list(
    name = "hasselblad1998", method = m, reference = ref, treatments = trts, control = res$kira_control,
    beta = num(res$beta), se = num(res$se), ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub),
    vcov = num(vcov(res)), tau2 = num(res$tau2), QE = num(res$QE), QEp = num(res$QEp),
    fit_ml = num(res$fit.stats[, "ML"]), fit_reml = num(res$fit.stats[, "REML"]), pscore = pscore,
    Q_total = num(fe$QE), Q_within = num(within$QE), Q_between = num(fe$QE - within$QE),
    Q_between_df = ncol(Xd) - ncol(X))
}

# ---- registry descriptives: Wilson intervals and Kaplan-Meier ---------------
# Wilson score interval = prop.test(x, n, correct = FALSE)$conf.int.
wilson_rows <- list()
for (xn in list(c(7, 25), c(0, 10), c(10, 10), c(30, 47), c(12, 20), c(537, 1000))) {
  ci <- prop.test(xn[1], xn[2], correct = FALSE)$conf.int
  wilson_rows[[length(wilson_rows) + 1]] <- list(x = xn[1], n = xn[2], low = ci[1], high = ci[2])
}
km_rows <- list()
for (ct in c("log", "plain", "log-log")) {
  s <- survfit(Surv(time, status) ~ 1, data = survival::aml, conf.type = ct)
  sm <- summary(s)
  km_rows[[length(km_rows) + 1]] <- list(
    dataset = "aml", conf_type = ct, time_in = survival::aml$time, status_in = survival::aml$status,
    time = num(sm$time), n_risk = num(sm$n.risk), n_event = num(sm$n.event), surv = num(sm$surv),
    std_err = num(sm$std.err), lower = num(sm$lower), upper = num(sm$upper),
    median = num(summary(s)$table[["median"]]))
}

fixture <- list(
  provenance = list(
    generator = "scripts/golden/metafor.R",
    r_version = R.version.string,
    metafor_version = as.character(packageVersion("metafor")),
    metadat_version = as.character(packageVersion("metadat")),
    jsonlite_version = as.character(packageVersion("jsonlite")),
    survival_version = as.character(packageVersion("survival")),
    generated_utc = format(Sys.time(), tz = "UTC", usetz = TRUE),
    rma_control = ctrl,
    confint_control = ci_ctrl,
    notes = paste(
      "Values are metafor's, printed with 15 significant digits.",
      "escalc defaults: add = 1/2, to = 'only0', vtype = 'LS'.",
      "predict() default PI; confint() Q-profile for tau^2.",
      "regtest() defaults (model = 'rma', predictor = 'sei');",
      "trimfill() defaults (estimator L0, side from the sei regression).",
      "rma.mh()/rma.peto() defaults (add = c(1/2, 0), to = c('only0', 'none'), drop00 = c(TRUE, FALSE)).")),
  datasets = datasets,
  escalc = escalc_rows,
  rma = rma_rows,
  leave1out = loo_rows,
  cumul = cum_rows,
  regtest = reg_rows,
  trimfill = tf_rows,
  metareg = mr_rows,
  mh = mh_rows,
  peto = peto_rows,
  boundary = boundary_rows,
  rma_mv = mv_rows,
  network = nma_rows,
  wilson = wilson_rows,
  kaplan_meier = km_rows)

writeLines(toJSON(fixture, auto_unbox = TRUE, digits = I(15), pretty = TRUE, na = "null"), out)
cat("wrote", out, "\n")
