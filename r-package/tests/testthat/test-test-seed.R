test_that("local_sb_test_seed seeds from the test's description", {
  path <- local_jobs("  tests: {}")
  local_rng_sandbox()
  info <- local_sb_test_seed(manifest = path)
  x <- runif(3)
  expect_identical(info$test, "local_sb_test_seed seeds from the test's description")
  expect_identical(info$seed, sb_seed("tests", test = "local_sb_test_seed seeds from the test's description",
                                      manifest = path))
  expect_identical(x, with_sb_seed("tests", runif(3), test = info$test, manifest = path))
})

test_that("each test gets its own seed, and the RNG state and kinds come back when it ends", {
  path <- local_jobs(c("  tests: {}", "  legacy: {r: {kind: Knuth-TAOCP-2002, sample.kind: Rounding}}"))
  local_rng_sandbox()
  set.seed(11)
  before <- .Random.seed
  kinds <- RNGkind()
  draws <- list()
  inner <- function(description, job) {
    test_that(description, {
      local_sb_test_seed(job, manifest = path)
      draws[[description]] <<- list(kinds = RNGkind(), x = runif(2))
      expect_true(TRUE)
    })
  }
  inner("first inner test", "tests")
  inner("second inner test", "legacy")
  inner("first inner test", "tests")
  expect_identical(.Random.seed, before)
  expect_identical(RNGkind(), kinds)
  expect_identical(draws[["second inner test"]]$kinds, c("Knuth-TAOCP-2002", "Inversion", "Rounding"))
  expect_identical(draws[["first inner test"]]$x,
                   with_sb_seed("tests", runif(2), test = "first inner test", manifest = path))
  expect_false(identical(draws[["first inner test"]]$x, draws[["second inner test"]]$x))
})

test_that("a helper function can seed the test that calls it", {
  path <- local_jobs("  tests: {}")
  local_rng_sandbox()
  seeded <- function(env = parent.frame()) local_sb_test_seed(manifest = path, .local_envir = env)
  seeded()
  expect_identical(runif(1), with_sb_seed("tests", runif(1), test = "a helper function can seed the test that calls it",
                                          manifest = path))
})

test_that("the manifest defaults to sb_manifest() and an undeclared job is an error", {
  path <- local_jobs("  tests: {}")
  local_rng_sandbox()
  withr::local_envvar(SEEDBRIDGE_MANIFEST = path)
  info <- local_sb_test_seed()
  expect_identical(info$seed, sb_seed("tests", test = info$test, manifest = path))
  expect_error(local_sb_test_seed("nope"), class = "seedbridge_unknown_job_error")
})

test_that("outside a test it is an error", {
  # A fresh R process: inside this file every call has a test_that() frame above it.
  code <- "cat(class(tryCatch(seedbridge::local_sb_test_seed(), error = identity)), sep = ' ')"
  out <- system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", "-e", shQuote(code)), stdout = TRUE,
                 env = paste0("R_LIBS=", paste(.libPaths(), collapse = .Platform$path.sep)))
  expect_identical(out, "seedbridge_framework_error seedbridge_error error condition")
})
