#' Run code with a job's seed, then restore the RNG
#'
#' withr-style scoped seeding: `with_sb_seed()` seeds R like [sb_set_seed()], evaluates `code` and
#' restores the previous RNG state; `local_sb_seed()` seeds R until the calling function (or
#' `.local_envir`) exits. Both restore `.Random.seed` and the three RNG kinds as they were, including
#' when there was no `.Random.seed` yet (it is removed again, and the kinds are restored).
#' With `python = TRUE` they seed reticulate's Python session as [sb_set_seed()] does and put its RNG
#' state back too (`seedbridge.snapshot()` / `restore()` of the frameworks seeded, or the states of
#' `random` and NumPy).
#'
#' @inheritParams sb_set_seed
#' @param code Code to evaluate with the job's seed.
#' @param .local_envir The environment whose exit restores the RNG state.
#' @return `with_sb_seed()`: the value of `code`. `local_sb_seed()`: invisibly, the list
#'   [sb_set_seed()] returns.
#' @section Errors:
#' Those of [sb_set_seed()]; the RNG state is restored on error too.
#' @export
#' @examples
#' path <- tempfile(fileext = ".yaml")
#' writeLines(c(
#'   "seedbridge: 1", "derivation: 1",
#'   "root: {entropy: \"0x2a\"}",
#'   "jobs: {train: {}}"
#' ), path)
#' with_sb_seed("train", runif(2), manifest = path)
#' with_sb_seed("train", runif(2), manifest = path) # the same draws
#' with_sb_seed("train", runif(2), rank = 1, manifest = path) # another stream
#'
#' f <- function() {
#'   local_sb_seed("train", manifest = path)
#'   sample(10, 3)
#' }
#' f()
with_sb_seed <- function(job, code, ..., manifest = sb_manifest(), python = FALSE) {
  local_sb_seed(job, ..., manifest = manifest, python = python)
  force(code)
}

#' @rdname with_sb_seed
#' @export
local_sb_seed <- function(job, ..., manifest = sb_manifest(), python = FALSE, .local_envir = parent.frame()) {
  m <- as_manifest(manifest)
  # Validate before touching anything, so an error leaves the state alone.
  j <- find_job(m, job)
  keys <- dots_keys(list(...))
  seed <- job_seed(m, j, keys, 31L)
  plan <- NULL
  if (check_flag(python, "python")) {
    plan <- python_plan(m, j, keys, seed)
    py_old <- python_state(plan)
    withr::defer(python_restore(plan, py_old), envir = .local_envir)
  }
  old <- rng_state()
  withr::defer(rng_restore(old), envir = .local_envir)
  invisible(seed_job(job, j, seed, plan))
}

# The RNG state: .Random.seed (or NULL when there is none) and the three kinds.
rng_state <- function() {
  seed <- if (exists(".Random.seed", envir = globalenv(), inherits = FALSE)) {
    get(".Random.seed", envir = globalenv(), inherits = FALSE)
  }
  list(random_seed = seed, kinds = RNGkind())
}

rng_restore <- function(state) {
  # RNGkind() sets the kinds R uses when .Random.seed is absent; .Random.seed[1] carries them
  # otherwise. withr's with_seed() 2.5.0 skips the first when there was no seed, leaking kinds.
  # Going back to kinds the session had chosen: R warned about them (Rounding, Marsaglia-Multicarry)
  # when they were chosen, so it need not warn again.
  suppressWarnings(RNGkind(kind = state$kinds[[1L]], normal.kind = state$kinds[[2L]],
                           sample.kind = state$kinds[[3L]]))
  if (is.null(state$random_seed)) {
    if (exists(".Random.seed", envir = globalenv(), inherits = FALSE)) {
      rm(".Random.seed", envir = globalenv())
    }
  } else {
    assign(".Random.seed", state$random_seed, envir = globalenv())
  }
  invisible(NULL)
}
