test_that("sb_set_seed makes draws repeatable and reports what it set", {
  local_rng_sandbox()
  path <- local_jobs()
  info <- sb_set_seed("train", manifest = path)
  x <- list(runif(5), rnorm(5), sample(100, 5))
  sb_set_seed("train", manifest = path)
  expect_identical(list(runif(5), rnorm(5), sample(100, 5)), x)
  expect_identical(info$seed, 60624911L)
  expect_equal(info$kinds, r_default_kinds)
  expect_identical(info$random_seed_1, 10403L)
  set.seed(60624911L, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
  expect_identical(runif(5), x[[1L]])
})

test_that("all kinds are pinned even when the session changed them", {
  local_rng_sandbox()
  path <- local_jobs()
  sb_set_seed("train", manifest = path)
  want <- rnorm(5)
  suppressWarnings(RNGkind("Wichmann-Hill", "Box-Muller", "Rounding"))
  sb_set_seed("train", manifest = path)
  expect_equal(RNGkind(), unname(r_default_kinds))
  expect_identical(rnorm(5), want)
})

test_that("a job's kinds from the manifest are used, without the Rounding warning", {
  local_rng_sandbox()
  path <- local_jobs("  legacy: {r: {kind: Knuth-TAOCP-2002, normal.kind: Box-Muller, sample.kind: Rounding}}")
  expect_no_warning(info <- sb_set_seed("legacy", manifest = path))
  expect_equal(RNGkind(), c("Knuth-TAOCP-2002", "Box-Muller", "Rounding"))
  expect_identical(info$random_seed_1, 6L + 200L)
  x <- sample(100, 5)
  suppressWarnings(set.seed(info$seed, kind = "Knuth-TAOCP-2002", normal.kind = "Box-Muller", sample.kind = "Rounding"))
  expect_identical(sample(100, 5), x)
})

test_that("different jobs give different draws", {
  local_rng_sandbox()
  path <- local_jobs(c("  a: {}", "  b: {}"))
  sb_set_seed("a", manifest = path)
  a <- runif(5)
  sb_set_seed("b", manifest = path)
  expect_false(identical(runif(5), a))
})

test_that("errors leave the RNG untouched", {
  local_rng_sandbox()
  path <- local_jobs()
  set.seed(1)
  before <- .Random.seed
  expect_error(sb_set_seed("nope", manifest = path), class = "seedbridge_unknown_job_error")
  expect_identical(.Random.seed, before)
})

test_that("kinds that did not take are a framework error", {
  local_rng_sandbox()
  set.seed(1, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
  expect_error(check_kinds(c(kind = "Wichmann-Hill", normal.kind = "Inversion", sample.kind = "Rejection")),
               "r did not take the RNG kinds", class = "seedbridge_framework_error")
})
