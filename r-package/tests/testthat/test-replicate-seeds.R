test_that("replicate i gets sb_seed(job, replicate = i, ...), as seedbridge sweep gives it", {
  path <- local_jobs(c("  train: {}", "  pinned: {seed: 7}"))
  # seedbridge.derive.derive(0x2a, "train", {"replicate": i}) (and with fold=2) in Python:
  expect_identical(sb_replicate_seeds("train", 3, manifest = path), c(1240538084L, 1637984667L, 571872777L))
  expect_identical(sb_replicate_seeds("train", 3L, fold = 2, manifest = path), c(1453648213L, 266575911L, 214738523L))
  seeds <- sb_replicate_seeds("pinned", 5, split = "val", manifest = path)
  expect_identical(seeds, vapply(0:4, function(i) sb_seed("pinned", replicate = i, split = "val", manifest = path), 1L))
  expect_identical(sb_replicate_seeds("train", 0, manifest = path), integer())
})

test_that("bad counts and a key named replicate are errors", {
  path <- local_jobs()
  for (n in list(-1, 1.5, NA, "3", c(1, 2), Inf)) {
    expect_error(sb_replicate_seeds("train", n, manifest = path), "n must be a whole number of replicates",
                 class = "seedbridge_derivation_error")
  }
  expect_error(sb_replicate_seeds("train", 2, replicate = 1, manifest = path),
               "key \"replicate\": is set by sb_replicate_seeds()", fixed = TRUE, class = "seedbridge_derivation_error")
  expect_error(sb_replicate_seeds("trian", 2, manifest = path), class = "seedbridge_unknown_job_error")
})
