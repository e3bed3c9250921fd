test_that("sb_seed agrees with Python for root, keys and pins", {
  path <- local_jobs(c("  train: {}", "  eval: {seed: 7}"))
  expect_identical(sb_seed("train", manifest = path), 60624911L)
  expect_identical(sb_seed("train", rank = 1, manifest = path), 112888672L)
  expect_identical(sb_seed("eval", manifest = path), 7L)
  expect_identical(sb_seed("eval", fold = 2, manifest = path), 1043274179L)
  expect_identical(sb_seed("eval", fold = 2, manifest = path), sb_derive(7, "eval", list(fold = 2)))
})

test_that("a manifest object or a path works", {
  path <- local_jobs()
  expect_identical(sb_seed("train", manifest = sb_manifest(path)), sb_seed("train", manifest = path))
})

test_that("wide seeds are exact", {
  path <- local_jobs(c("  train: {}", "  wide: {seed: \"0xffffffffffffffffffffffffffffffff\"}"))
  expect_type(sb_seed("train", bits = 32, manifest = path), "double")
  expect_identical(sb_seed("train", bits = 64, manifest = path), sb_derive("0x2a", "train", bits = 64))
  expect_identical(sb_seed("wide", bits = 128, manifest = path), "340282366920938463463374607431768211455")
})

test_that("a pin that does not fit in bits is an error, never clamped", {
  path <- local_jobs("  wide: {seed: \"0x80000000\"}")
  expect_error(sb_seed("wide", manifest = path),
               "job \"wide\" pins seed 2147483648, which does not fit in 31 bits (0..2147483647)",
               fixed = TRUE, class = "seedbridge_seed_range_error")
  expect_identical(sb_seed("wide", bits = 32, manifest = path), 2147483648)
})

test_that("an unknown job is an error suggesting the closest names", {
  path <- local_jobs(c("  train: {}", "  eval: {}"))
  err <- expect_error(sb_seed("trian", manifest = path), class = "seedbridge_unknown_job_error")
  expect_match(conditionMessage(err), "no job \"trian\" in the manifest; did you mean \"train\"? (declared jobs: \"train\", \"eval\")",
               fixed = TRUE)
  expect_equal(err$suggestions, "train")
})

test_that("different jobs and keys give different seeds", {
  path <- local_jobs(c("  a: {}", "  b: {}"))
  seeds <- c(sb_seed("a", manifest = path), sb_seed("b", manifest = path),
             sb_seed("a", rank = 0, manifest = path), sb_seed("a", rank = 1, manifest = path))
  expect_equal(length(unique(seeds)), 4L)
})
