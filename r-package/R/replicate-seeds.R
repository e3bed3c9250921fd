#' The seeds of a sweep's replicates
#'
#' `seedbridge sweep JOB --replicates N` runs replicate `i` (0 to N - 1) with the job's keys
#' `replicate = i` plus the sweep's `--key`s, and gives it the portable seed of those keys as
#' `SEEDBRIDGE_SEED`. `sb_replicate_seeds(job, n, ...)` returns those seeds in R:
#' `sb_seed(job, replicate = i, ...)` for `i` in `0:(n - 1)`, so R code can seed replicate `i` itself,
#' or check what a sweep ran.
#'
#' @inheritParams sb_seed
#' @param n The number of replicates: a whole number, 0 or more.
#' @param ... Named keys the sweep adds with `--key`, such as `fold = 2`; not `replicate`.
#' @return An integer vector of length `n`: element `i + 1` is the seed of replicate `i`.
#' @section Errors:
#' Those of [sb_seed()]; a `seedbridge_derivation_error` for a bad `n` or a key named `replicate`.
#' @seealso [sb_seed()].
#' @export
#' @examples
#' path <- tempfile(fileext = ".yaml")
#' writeLines(c(
#'   "seedbridge: 1", "derivation: 1",
#'   "root: {entropy: \"0x2a\"}",
#'   "jobs: {train: {}}"
#' ), path)
#' sb_replicate_seeds("train", 3, manifest = path)
#' sb_replicate_seeds("train", 3, fold = 2, manifest = path)
#' identical(sb_replicate_seeds("train", 3, manifest = path)[[2]], sb_seed("train", replicate = 1, manifest = path))
sb_replicate_seeds <- function(job, n, ..., manifest = sb_manifest()) {
  m <- as_manifest(manifest)
  j <- find_job(m, job)
  if (!(is.numeric(n) && !is.object(n) && length(n) == 1L && is.finite(n) && n >= 0 && n == floor(n) &&
    n <= .Machine$integer.max)) {
    sb_abort(sprintf("n must be a whole number of replicates, 0 or more, got %s", describe_value(n)),
             "derivation_error")
  }
  keys <- dots_keys(list(...))
  if ("replicate" %in% names(keys)) {
    sb_abort(paste("key \"replicate\": is set by sb_replicate_seeds() for each replicate (0 to n - 1),",
                   "as seedbridge sweep does; give the other keys only"), "derivation_error")
  }
  vapply(seq_len(n) - 1L, function(i) job_seed(m, j, c(list(replicate = i), keys), 31L), integer(1L))
}
