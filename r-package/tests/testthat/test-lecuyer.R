test_that("sb_lecuyer_seed is a L'Ecuyer-CMRG .Random.seed with no side effect", {
  local_rng_sandbox()
  path <- local_jobs()
  set.seed(3)
  before <- .Random.seed
  s <- sb_lecuyer_seed("train", manifest = path)
  expect_identical(.Random.seed, before)
  expect_type(s, "integer")
  expect_length(s, 7L)
  expect_identical(s[[1L]], 10407L) # L'Ecuyer-CMRG, Inversion, Rejection
  expect_identical(sb_lecuyer_seed("train", manifest = path), s)
  set.seed(sb_seed("train", manifest = path), kind = "L'Ecuyer-CMRG", normal.kind = "Inversion",
           sample.kind = "Rejection")
  expect_identical(.Random.seed, s)
  expect_false(identical(sb_lecuyer_seed("train", rank = 1, manifest = path), s))
})

test_that("parallel::mclapply draws repeat from the seed", {
  skip_on_os("windows")
  local_rng_sandbox()
  path <- local_jobs()
  draw <- function() {
    RNGkind("L'Ecuyer-CMRG")
    assign(".Random.seed", sb_lecuyer_seed("train", manifest = path), envir = globalenv())
    unlist(parallel::mclapply(1:4, function(i) runif(1), mc.cores = 2L, mc.set.seed = TRUE))
  }
  a <- draw()
  expect_identical(draw(), a)
  expect_equal(length(unique(a)), 4L)
})

test_that("future takes it as a seed", {
  skip_if_not_installed("future")
  local_rng_sandbox()
  path <- local_jobs()
  s <- sb_lecuyer_seed("train", manifest = path)
  draw <- function() future::value(future::future(runif(3), seed = s, lazy = TRUE))
  withr::with_options(list(future.plan = "sequential"), {
    expect_identical(draw(), draw())
  })
})

test_that("doRNG takes it as a seed", {
  skip_if_not_installed("doRNG")
  skip_if_not_installed("foreach")
  local_rng_sandbox()
  path <- local_jobs()
  s <- sb_lecuyer_seed("train", manifest = path)
  `%dorng%` <- doRNG::`%dorng%`
  foreach::registerDoSEQ() # one process is enough to check the streams
  draw <- function() {
    suppressMessages(unlist(foreach::foreach(i = 1:3, .options.RNG = s) %dorng% runif(1)))
  }
  expect_identical(draw(), draw())
})

test_that("mclapply prescheduled gives one stream per core; per task, results do not depend on cores", {
  # What docs/frameworks/r.md says about parallel::mclapply and future.apply.
  skip_on_os("windows") # mclapply forks
  path <- local_jobs("  simulate: {}")
  local_rng_sandbox()
  s <- sb_lecuyer_seed("simulate", manifest = path)
  task <- function(i) runif(1)
  mc <- function(cores, preschedule) {
    RNGkind("L'Ecuyer-CMRG")
    assign(".Random.seed", s, envir = globalenv())
    unlist(parallel::mclapply(1:6, task, mc.cores = cores, mc.preschedule = preschedule, mc.set.seed = TRUE))
  }
  expect_false(identical(mc(2L, TRUE), mc(3L, TRUE)))
  expect_identical(mc(2L, FALSE), mc(3L, FALSE))

  skip_if_not_installed("future.apply")
  fa <- function(strategy) {
    oplan <- future::plan(strategy)
    on.exit(future::plan(oplan), add = TRUE)
    unlist(future.apply::future_lapply(1:6, task, future.seed = s))
  }
  expect_identical(fa(future::sequential), fa(future::tweak(future::multicore, workers = 2L)))
})
