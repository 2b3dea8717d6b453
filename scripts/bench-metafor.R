#!/usr/bin/env Rscript
# Times metafor's rma() (REML and DL, default controls) on synthetic data and
# writes the same data as CSV so bench/stats_bench can be run on identical
# input (KIRA_BENCH_CSV=...). See docs/bench-stats.md for the recorded run.
#
#   Rscript scripts/bench-metafor.R [OUTDIR] [--reml-1e4 | --reml-1e4-only]
#
# Timings: median over repetitions of elapsed (wall) and CPU (user + system)
# seconds from system.time(). REML at k = 10^4 builds dense 10^4 x 10^4
# matrices in every Fisher-scoring step and takes minutes, so it runs only
# with --reml-1e4.
suppressPackageStartupMessages(library(metafor))

args <- commandArgs(trailingOnly = TRUE)
outdir <- if (length(args) >= 1 && !startsWith(args[1], "--")) args[1] else "/tmp/kira-bench"
reml_1e4 <- "--reml-1e4" %in% args || "--reml-1e4-only" %in% args
reml_1e4_only <- "--reml-1e4-only" %in% args
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)

make_data <- function(k, seed = 20261126) {
  set.seed(seed)
  vi <- runif(k, 0.01, 0.5)
  yi <- 0.3 + sqrt(vi + 0.1) * rnorm(k)
  data.frame(yi = yi, vi = vi)
}

time_rma <- function(d, method, reps) {
  wall <- numeric(reps)
  cpu <- numeric(reps)
  fit <- NULL
  for (r in seq_len(reps)) {
    st <- system.time(fit <- rma(d$yi, d$vi, method = method))
    wall[r] <- st[["elapsed"]]
    cpu[r] <- st[["user.self"]] + st[["sys.self"]]
  }
  list(wall = median(wall), cpu = median(cpu), fit = fit)
}

cat(sprintf("R %s, metafor %s\n", R.version.string, as.character(packageVersion("metafor"))))
cat(sprintf("%-6s %-8s %5s %12s %12s %16s %16s\n", "method", "k", "reps", "wall_s", "cpu_s", "beta", "tau2"))
plan <- list(list(k = 1000, method = "REML", reps = 10),
             list(k = 1000, method = "DL", reps = 10),
             list(k = 10000, method = "DL", reps = 3))
if (reml_1e4_only) plan <- list()
if (reml_1e4) plan[[length(plan) + 1]] <- list(k = 10000, method = "REML", reps = 1)
for (p in plan) {
  d <- make_data(p$k)
  write.csv(d, file.path(outdir, sprintf("k%d.csv", p$k)), row.names = FALSE)
  t <- time_rma(d, p$method, p$reps)
  cat(sprintf("%-6s %-8d %5d %12.6f %12.6f %16.10f %16.10f\n", p$method, p$k, p$reps, t$wall, t$cpu,
              c(t$fit$beta), t$fit$tau2))
}
