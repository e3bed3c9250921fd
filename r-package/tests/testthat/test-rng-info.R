test_that("sb_rng_info reports version, kinds and .Random.seed[1]", {
  local_rng_sandbox()
  path <- local_jobs()
  sb_set_seed("train", manifest = path)
  info <- sb_rng_info()
  expect_named(info, c("r_version", "kind", "normal.kind", "sample.kind", "random_seed_1"))
  expect_equal(info$r_version, as.character(getRversion()))
  expect_equal(unlist(info[2:4], use.names = FALSE), unname(r_default_kinds))
  expect_identical(info$random_seed_1, 10403L)
})

test_that("sb_rng_info changes nothing", {
  local_rng_sandbox()
  if (exists(".Random.seed", envir = globalenv())) rm(".Random.seed", envir = globalenv())
  info <- sb_rng_info()
  expect_identical(info$random_seed_1, NA_integer_)
  expect_false(exists(".Random.seed", envir = globalenv(), inherits = FALSE))
})
