#' A L'Ecuyer-CMRG seed for parallel R
#'
#' Parallel RNG in R (`parallel::mclapply()`, `parallel::nextRNGStream()`, future's `seed`
#' argument, doRNG) starts from a L'Ecuyer-CMRG `.Random.seed`: an integer vector of length 7 whose
#' first element encodes the kinds. `sb_lecuyer_seed()` makes it from the job's portable seed:
#' it calls `set.seed(sb_seed(job, ...), kind = "L'Ecuyer-CMRG")` (with the job's `normal.kind` and
#' `sample.kind`), reads `.Random.seed` and restores the caller's RNG state and kinds, so it has no
#' side effect. The same job and keys always give the same vector.
#'
#' @inheritParams sb_seed
#' @return An integer vector of length 7: a L'Ecuyer-CMRG `.Random.seed`.
#' @section Errors:
#' Those of [sb_seed()].
#' @export
#' @examples
#' path <- tempfile(fileext = ".yaml")
#' writeLines(c(
#'   "seedbridge: 1", "derivation: 1",
#'   "root: {entropy: \"0x2a\"}",
#'   "jobs: {simulate: {}}"
#' ), path)
#' s <- sb_lecuyer_seed("simulate", manifest = path)
#' s
#' # Independent streams for 3 workers, the same on every run:
#' streams <- Reduce(function(x, i) parallel::nextRNGStream(x), 1:2, s, accumulate = TRUE)
#' length(streams)
#' \donttest{
#' if (requireNamespace("future", quietly = TRUE)) {
#'   f <- future::future(runif(2), seed = s)
#'   future::value(f)
#' }
#' }
sb_lecuyer_seed <- function(job, ..., manifest = sb_manifest()) {
  m <- as_manifest(manifest)
  seed <- sb_seed(job, ..., bits = 31L, manifest = m)
  kinds <- manifest_job(m, job)$r
  kinds[["kind"]] <- "L'Ecuyer-CMRG"
  old <- rng_state()
  on.exit(rng_restore(old), add = TRUE)
  apply_seed(seed, kinds)
  get(".Random.seed", envir = globalenv(), inherits = FALSE)
}
