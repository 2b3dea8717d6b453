# Reference values for kira::stats::FitLogistic (src/kira/stats/logistic_regression.h).
# Run from the repository root:
#   Rscript scripts/golden/logistic.R > tests/golden/logistic/logistic_reference.txt
# Uses base R only: glm(binomial) with tight control (epsilon = 1e-13,
# maxit = 200) for coefficients, SEs and deviances, and the profile-likelihood
# interval of the slope solved directly with uniroot (tol 1e-13) on the
# deviance profiled over the intercept (offset fit), rather than confint()'s
# spline interpolation, which is only accurate to ~1e-4.
# Output: one "case key value" line per number, %.17g.
options(digits = 17)
ctl <- glm.control(epsilon = 1e-13, maxit = 200)
emit <- function(case, key, value) cat(sprintf("%s %s %.17g\n", case, key, value))

fit_case <- function(case, x, y, n) {
  f <- glm(cbind(y, n - y) ~ x, family = binomial, control = ctl)
  co <- summary(f)$coefficients
  emit(case, "b0", co[1, 1]); emit(case, "se0", co[1, 2])
  emit(case, "b1", co[2, 1]); emit(case, "se1", co[2, 2])
  emit(case, "p1", co[2, 4])
  emit(case, "deviance", deviance(f)); emit(case, "null_deviance", f$null.deviance)
  z <- qnorm(0.975)
  emit(case, "wald_low", co[2, 1] - z * co[2, 2]); emit(case, "wald_high", co[2, 1] + z * co[2, 2])
  target <- qchisq(0.95, 1)
  prof <- function(b1) {
    g <- glm(cbind(y, n - y) ~ 1, offset = b1 * x, family = binomial, control = ctl)
    deviance(g) - deviance(f) - target
  }
  b1 <- co[2, 1]; se <- co[2, 2]
  lo <- uniroot(prof, c(b1 - 20 * se, b1), tol = 1e-13)$root
  hi <- uniroot(prof, c(b1, b1 + 20 * se), tol = 1e-13)$root
  emit(case, "profile_low", lo); emit(case, "profile_high", hi)
}

# Case "grouped": adverse-event counts by mg/kg level (invented, dose-ordered).
x <- c(0.25, 0.4, 0.5, 0.6, 0.75, 1.0)
n <- c(40, 55, 120, 60, 35, 20)
y <- c(3, 6, 18, 13, 10, 8)
for (i in seq_along(x)) cat(sprintf("# grouped row %.17g %.17g %.17g\n", x[i], y[i], n[i]))
fit_case("grouped", x, y, n)

# Case "binary": 0/1 outcomes (trials = 1), a small sample printed in full.
set.seed(20261126)
xb <- round(runif(60, 0.2, 1.2), 3)
yb <- rbinom(60, 1, plogis(-3 + 3 * xb))
for (i in seq_along(xb)) cat(sprintf("# binary row %.17g %.17g 1\n", xb[i], yb[i]))
fit_case("binary", xb, yb, rep(1, 60))
cat(sprintf("# %s\n", R.version.string))
