test_that("errors carry the seedbridge class, a kind class and no call", {
  err <- tryCatch(sb_abort("bad thing", "derivation_error", extra = 1), error = identity)
  expect_s3_class(err, c("seedbridge_derivation_error", "seedbridge_error", "error", "condition"), exact = TRUE)
  expect_null(conditionCall(err))
  expect_equal(err$extra, 1)
})

test_that("values in messages show their type and are escaped", {
  expect_equal(show_text("line\nbreak"), "\"line\\nbreak\"")
  expect_equal(describe_value(TRUE), "a boolean TRUE")
  expect_equal(describe_value(1.5), "a number 1.5")
  expect_equal(describe_value(1:3), "a vector of length 3")
  expect_equal(describe_value(NULL), "null")
  expect_equal(describe_value(factor("a")), "a factor")
})
