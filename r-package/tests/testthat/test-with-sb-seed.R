test_that("with_sb_seed leaves the global RNG state as it was", {
  local_rng_sandbox()
  path <- local_jobs()
  set.seed(99)
  before <- .Random.seed
  x <- with_sb_seed("train", runif(5), manifest = path)
  expect_identical(.Random.seed, before)
  expect_identical(with_sb_seed("train", runif(5), manifest = path), x)
  sb_set_seed("train", manifest = path)
  expect_identical(runif(5), x)
})

test_that("with_sb_seed passes keys and gives other streams", {
  local_rng_sandbox()
  path <- local_jobs()
  expect_false(identical(with_sb_seed("train", runif(3), rank = 1, manifest = path),
                         with_sb_seed("train", runif(3), rank = 2, manifest = path)))
})

test_that("kinds are restored, also when there was no .Random.seed", {
  local_rng_sandbox()
  path <- local_jobs("  legacy: {r: {kind: Wichmann-Hill, sample.kind: Rounding}}")
  RNGkind("Knuth-TAOCP", "Box-Muller", "Rejection")
  rm(".Random.seed", envir = globalenv())
  with_sb_seed("legacy", runif(1), manifest = path)
  expect_false(exists(".Random.seed", envir = globalenv(), inherits = FALSE))
  expect_equal(RNGkind(), c("Knuth-TAOCP", "Box-Muller", "Rejection"))
})

test_that("the state is restored when the code fails", {
  local_rng_sandbox()
  path <- local_jobs()
  set.seed(5)
  before <- .Random.seed
  expect_error(with_sb_seed("train", stop("boom"), manifest = path), "boom")
  expect_identical(.Random.seed, before)
})

test_that("local_sb_seed seeds until the function returns", {
  local_rng_sandbox()
  path <- local_jobs()
  set.seed(7)
  before <- .Random.seed
  f <- function() {
    local_sb_seed("train", manifest = path)
    sample(100, 5)
  }
  x <- f()
  expect_identical(.Random.seed, before)
  expect_identical(f(), x)
  expect_identical(x, with_sb_seed("train", sample(100, 5), manifest = path))
})
