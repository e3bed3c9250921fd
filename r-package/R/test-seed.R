#' Seed each testthat test from its description
#'
#' For testthat (3rd edition): call `local_sb_test_seed()` at the top of a [testthat::test_that()]
#' block, or from a helper function that passes its caller's environment as `.local_envir`. It seeds
#' R (and with `python = TRUE` reticulate's Python) like [local_sb_seed()] with the keys
#' `test = <the test's description>`, and restores the RNG state and kinds when the test ends. A test
#' thus draws the same numbers whether it runs alone, in another order or in the whole suite, and
#' another test draws others. The seed is `sb_seed(job, test = "<description>")`, which
#' `seedbridge seed tests --key "test=<description>"` prints too, so a failure can be replayed.
#'
#' @param job The job whose seeds the tests use; the manifest must declare it.
#' @param manifest A manifest from [sb_manifest()] or a path to one; `NULL` (the default) reads
#'   `sb_manifest()`: `SEEDBRIDGE_MANIFEST`, else `seedbridge.yaml` in the working directory, which
#'   is `tests/testthat/` when testthat runs the tests.
#' @inheritParams local_sb_seed
#' @return Invisibly, the list [sb_set_seed()] returns, with the test's description as `test`.
#' @section Errors:
#' Those of [local_sb_seed()], and `seedbridge_framework_error` when called outside a test.
#' @seealso [local_sb_seed()] for other scopes.
#' @export
#' @examples
#' \dontrun{
#' # tests/testthat/seedbridge.yaml declares a job "tests"; in tests/testthat/test-model.R:
#' test_that("the model fits noisy data", {
#'   local_sb_test_seed()
#'   x <- rnorm(100) # the same draws on every run of this test
#'   expect_lt(abs(mean(x)), 0.5)
#' })
#' }
local_sb_test_seed <- function(job = "tests", manifest = NULL, python = FALSE, .local_envir = parent.frame()) {
  test <- current_test_description()
  if (is.null(test)) {
    sb_abort(paste("local_sb_test_seed() must run inside testthat::test_that(), which gives the test's",
                   "description; use local_sb_seed() elsewhere"), "framework_error")
  }
  if (is.null(manifest)) {
    manifest <- sb_manifest()
  }
  info <- local_sb_seed(job, test = test, manifest = manifest, python = python, .local_envir = .local_envir)
  info$test <- test
  invisible(info)
}

# The description of the testthat test running now, or NULL outside one. testthat keeps it in the
# frame of its internal test_code(): as the argument `test` up to 3.1.x, and since 3.2.0 as a
# variable set from its description stack (testthat's R/test-that.R). The innermost test counts.
current_test_description <- function() {
  for (i in rev(seq_len(sys.nframe()))) {
    if (identical(sys.call(i)[[1L]], quote(test_code)) &&
      identical(environmentName(environment(sys.function(i))), "testthat")) {
      test <- get0("test", envir = sys.frame(i), inherits = FALSE)
      if (is.character(test) && length(test) == 1L && !is.na(test)) {
        return(test)
      }
    }
  }
  NULL
}
