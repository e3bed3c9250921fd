# sb_manifest() of a 1000-job manifest against yaml::read_yaml() of the same file, in one R process,
# and sb_manifest() under LC_ALL=C as non-ASCII job names grow (it must stay linear).
#
# Goal (issue 10): sb_manifest at most 5x read_yaml. Usage (the R package installed, or R_LIBS set):
#   Rscript benchmarks/bench_r_manifest.R [ROUNDS]
# Timings alternate between the two so drift on a shared machine hits both alike; medians are shown.

library(seedbridge)

args <- commandArgs(trailingOnly = TRUE)
rounds <- if (length(args)) as.integer(args[[1L]]) else 15L

# Job names are explicit keys ("? name"), which libyaml allows longer than 1024 characters.
write_manifest <- function(path, names, body) {
  lines <- c("seedbridge: 1", "derivation: 1", "root:", "  entropy: \"0x9e3779b97f4a7c15f39cc0605cedc834\"",
             "jobs:", unlist(lapply(seq_along(names), function(i) c(sprintf("  ? \"%s\"", names[[i]]), "  :", body(i)))))
  writeBin(charToRaw(enc2utf8(paste0(paste(lines, collapse = "\n"), "\n"))), path)
}

seconds <- function(f) {
  start <- proc.time()[["elapsed"]]
  f()
  proc.time()[["elapsed"]] - start
}

alternating_medians <- function(fns, rounds, warmup = 2L) {
  for (i in seq_len(warmup)) for (f in fns) f()
  times <- matrix(NA_real_, rounds, length(fns), dimnames = list(NULL, names(fns)))
  for (r in seq_len(rounds)) for (n in names(fns)) times[r, n] <- seconds(fns[[n]])
  apply(times, 2L, stats::median)
}

dir <- tempfile("bench-r-manifest")
dir.create(dir)
path <- file.path(dir, "seedbridge.yaml")
write_manifest(path, sprintf("job_%04d", seq_len(1000L)), function(i) c(
  "    frameworks: [python, numpy, torch, r]",
  sprintf("    seed: %d", i),
  sprintf("    description: \"job number %d\"", i)
))
m <- alternating_medians(list(read_yaml = function() yaml::read_yaml(path),
                              sb_manifest = function() sb_manifest(path)), rounds)
cat(sprintf("1000 jobs, %d bytes, median of %d alternating rounds\n", file.size(path), rounds))
cat(sprintf("  yaml::read_yaml     %7.1f ms\n", 1000 * m[["read_yaml"]]))
cat(sprintf("  sb_manifest         %7.1f ms   ratio %.2f (goal <= 5)\n", 1000 * m[["sb_manifest"]],
            m[["sb_manifest"]] / m[["read_yaml"]]))

# Linear in the length of non-ASCII job names, in the C locale: 10 jobs named with n copies of "é".
cat("LC_ALL=C, 10 jobs with non-ASCII names of n characters:\n")
withr::with_locale(c(LC_CTYPE = "C", LC_COLLATE = "C"), {
  for (n in c(2000L, 4000L, 8000L, 16000L)) {
    name <- strrep("\u00e9", n)
    write_manifest(path, paste0(name, seq_len(10L)), function(i) "    frameworks: [r]")
    t <- alternating_medians(list(sb_manifest = function() sb_manifest(path)), max(3L, rounds %/% 3L))
    cat(sprintf("  n = %5d   %7.1f ms   %6.2f us per character\n", n, 1000 * t[[1L]], 1e6 * t[[1L]] / (10 * n)))
  }
})
unlink(dir, recursive = TRUE)
