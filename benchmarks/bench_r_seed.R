# The cost of one sb_seed() with a loaded manifest, in units of one
# digest::digest(raw(100), "sha256", serialize = FALSE) in the same process (goal: at most 5;
# issue 10). Prints figures, asserts nothing.
#
# Usage: Rscript benchmarks/bench_r_seed.R [CALLS_PER_ROUND]
# It runs the installed seedbridge package (make setup installs it; R_LIBS may point elsewhere).
#
# Both are timed in alternating rounds, so a busy machine slows them alike; the figures are the
# medians over rounds of CPU time per call (user + system), which other processes do not inflate.

suppressPackageStartupMessages(library(seedbridge))

args <- commandArgs(trailingOnly = TRUE)
calls <- if (length(args)) as.integer(args[[1L]]) else 5000L
rounds <- 15L

path <- tempfile(fileext = ".yaml")
jobs <- sprintf("  job%03d: {}", 1:100)
writeLines(c("seedbridge: 1", "derivation: 1", "root:", "  entropy: \"0x9e3779b97f4a7c15f39cc0605cedc834\"",
             "jobs:", "  train: {frameworks: [python, numpy, r]}", "  eval: {seed: 7}", jobs), path)
m <- sb_manifest(path)
payload <- raw(100)

cases <- list(
  "digest::digest(raw(100), \"sha256\", serialize = FALSE)" = function() {
    digest::digest(payload, "sha256", serialize = FALSE)
  },
  "sb_seed(\"train\", manifest = m)" = function() sb_seed("train", manifest = m),
  "sb_seed(\"train\", rank = 3, manifest = m)" = function() sb_seed("train", rank = 3, manifest = m),
  "sb_seed(\"job050\", rank = 3, epoch = 7, split = \"val\", manifest = m)" = function() {
    sb_seed("job050", rank = 3, epoch = 7, split = "val", manifest = m)
  },
  "sb_seed(\"train\", rank = 3, bits = 64, manifest = m)" = function() sb_seed("train", rank = 3, bits = 64, manifest = m)
)

cpu_per_call <- function(f) {
  start <- proc.time()
  for (i in seq_len(calls)) f()
  used <- proc.time() - start
  (used[["user.self"]] + used[["sys.self"]]) / calls
}

for (f in cases) for (i in seq_len(200L)) f() # warm up (byte-compile, caches)
times <- matrix(NA_real_, rounds, length(cases), dimnames = list(NULL, names(cases)))
for (r in seq_len(rounds)) {
  for (name in names(cases)) times[r, name] <- cpu_per_call(cases[[name]])
}
per_call <- apply(times, 2L, stats::median)
unit <- per_call[[1L]]

cat(sprintf("R %s, digest %s, seedbridge %s; %d rounds of %d calls, median CPU time per call\n",
            getRversion(), utils::packageVersion("digest"), utils::packageVersion("seedbridge"), rounds, calls))
for (name in names(per_call)) {
  cat(sprintf("%-72s %8.1f us  %5.2fx digest\n", name, per_call[[name]] * 1e6, per_call[[name]] / unit))
}
cat(sprintf("ratio sb_seed(\"train\", rank = 3) / digest::digest: %.2f (goal: at most 5)\n",
            per_call[[3L]] / unit))
