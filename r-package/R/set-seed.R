#' Seed R for a job, with all RNG kinds pinned
#'
#' Calls [set.seed()] with the job's portable (31-bit) seed and the job's three RNG kinds:
#' `kind`, `normal.kind` and `sample.kind`. They default to Mersenne-Twister, Inversion and
#' Rejection (R >= 3.6) and can be set per job in the manifest, e.g. `r: {sample.kind: Rounding}` to
#' reproduce results from R before 3.6. Pinning all three means a session that changed a kind
#' earlier, or a package that did, cannot change the draws. R's warning that the Rounding sampler
#' is non-uniform is not shown: the manifest asked for it.
#'
#' After seeding, `.Random.seed[1]` (which encodes the three kinds) and [RNGkind()] are read back
#' and checked against the request.
#'
#' With `python = TRUE` it also seeds the Python session that reticulate embeds in R, with the
#' same job's seeds: through seedbridge's Python package when it is importable there
#' (`seedbridge.seed_everything(job, manifest =, frameworks =, ...)` with the job's Python frameworks,
#' or python, numpy, torch and tensorflow as installed when the job lists none), else Python's
#' `random` and NumPy's global state directly with the job's seed, which is what `seed_everything`
#' gives them. `PYTHONHASHSEED` is read when Python starts and cannot change afterwards: a warning of
#' class `seedbridge_pythonhashseed_warning` says so when it is not the job's seed, and how to set it
#' before Python starts (`seedbridge env`).
#'
#' @inheritParams sb_seed
#' @param python `TRUE` to seed reticulate's Python session too (needs the reticulate package).
#' @return Invisibly, a list for the audit record: `job`, `seed` (integer), `kinds` (a named
#'   character vector) and `random_seed_1` (`.Random.seed[1]`); with `python = TRUE` also `python`:
#'   `via` (`"seedbridge"` or `"fallback"`), `seed` and `frameworks` (those seeded in Python).
#' @section Errors:
#' Those of [sb_seed()], and `seedbridge_framework_error` if R did not take the kinds or Python
#' refused. With `python = TRUE`, `seedbridge_missing_dependency_error` when reticulate or a Python is
#' missing, or when that Python cannot import a framework the job lists (NumPy, say); these are checked
#' before any RNG is touched.
#' @seealso [with_sb_seed()] and [local_sb_seed()] to restore the previous state afterwards.
#' @export
#' @examples
#' path <- tempfile(fileext = ".yaml")
#' writeLines(c(
#'   "seedbridge: 1", "derivation: 1",
#'   "root: {entropy: \"0x2a\"}",
#'   "jobs: {train: {}, legacy: {r: {sample.kind: Rounding}}}"
#' ), path)
#' old <- RNGkind()
#' sb_set_seed("train", manifest = path)
#' x <- runif(3)
#' sb_set_seed("train", manifest = path)
#' identical(x, runif(3))
#' str(sb_set_seed("legacy", rank = 2, manifest = path))
#' do.call(RNGkind, as.list(old)) # back to the kinds we had
sb_set_seed <- function(job, ..., manifest = sb_manifest(), python = FALSE) {
  m <- as_manifest(manifest)
  j <- find_job(m, job)
  keys <- dots_keys(list(...))
  seed <- job_seed(m, j, keys, 31L)
  plan <- if (check_flag(python, "python")) python_plan(m, j, keys, seed)
  invisible(seed_job(job, j, seed, plan))
}

# Seeds Python (when `plan` is not NULL) and R with a job's checked seed; returns the record.
seed_job <- function(job, j, seed, plan) {
  python <- if (!is.null(plan)) python_seed(plan)
  apply_seed(seed, j$r)
  info <- list(job = job, seed = seed, kinds = j$r, random_seed_1 = random_seed_1())
  if (!is.null(python)) info$python <- python
  info
}

# A single TRUE or FALSE, or an error naming the argument.
check_flag <- function(x, name) {
  if (!(is.logical(x) && length(x) == 1L && !is.na(x))) {
    sb_abort(sprintf("%s must be TRUE or FALSE, got %s", name, describe_value(x)), "derivation_error")
  }
  x
}

# set.seed with all kinds, then check that they took.
apply_seed <- function(seed, kinds) {
  quiet_rounding(set.seed(seed, kind = kinds[["kind"]], normal.kind = kinds[["normal.kind"]],
                          sample.kind = kinds[["sample.kind"]]))
  check_kinds(kinds)
}

# Evaluates `code`, muffling only R's warning that the Rounding sampler is non-uniform (RNG.c), in
# the session's language.
quiet_rounding <- function(code) {
  rounding <- gettext("non-uniform 'Rounding' sampler used", domain = "R")
  withCallingHandlers(code, warning = function(w) {
    if (identical(conditionMessage(w), rounding)) invokeRestart("muffleWarning")
  })
}

# Codes of the kinds in .Random.seed[1] = kind + 100 * normal.kind + 10000 * sample.kind (the enums
# RNGtype, N01type and Sampletype in R's src/main/RNG.c).
kind_codes <- list(
  kind = c("Wichmann-Hill" = 0L, "Marsaglia-Multicarry" = 1L, "Super-Duper" = 2L, "Mersenne-Twister" = 3L,
           "Knuth-TAOCP" = 4L, "user-supplied" = 5L, "Knuth-TAOCP-2002" = 6L, "L'Ecuyer-CMRG" = 7L),
  normal.kind = c("Buggy Kinderman-Ramage" = 0L, "Ahrens-Dieter" = 1L, "Box-Muller" = 2L,
                  "user-supplied" = 3L, "Inversion" = 4L, "Kinderman-Ramage" = 5L),
  sample.kind = c("Rounding" = 0L, "Rejection" = 1L)
)

random_seed_1 <- function() {
  if (!exists(".Random.seed", envir = globalenv(), inherits = FALSE)) {
    return(NA_integer_)
  }
  get(".Random.seed", envir = globalenv(), inherits = FALSE)[[1L]]
}

check_kinds <- function(kinds) {
  code <- random_seed_1()
  want <- kind_codes$kind[[kinds[["kind"]]]] + 100L * kind_codes$normal.kind[[kinds[["normal.kind"]]]] +
    10000L * kind_codes$sample.kind[[kinds[["sample.kind"]]]]
  now <- RNGkind()
  names(now) <- names(r_default_kinds)
  if (is.na(code) || code != want || !identical(unname(now), unname(kinds[names(r_default_kinds)]))) {
    sb_abort(sprintf(
      "r did not take the RNG kinds: asked for %s (.Random.seed[1] %d), got %s (.Random.seed[1] %s)",
      paste(kinds, collapse = "/"), want, paste(now, collapse = "/"), format(code)
    ), "framework_error")
  }
  invisible(code)
}
