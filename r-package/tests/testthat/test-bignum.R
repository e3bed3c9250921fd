test_that("hex and decimal convert both ways, beyond doubles", {
  expect_equal(hex_to_dec("ffffffffffffffffffffffffffffffff"), "340282366920938463463374607431768211455")
  expect_equal(dec_to_hex("340282366920938463463374607431768211455"), strrep("f", 32))
  expect_equal(hex_to_dec("0"), "0")
  expect_equal(dec_to_hex("0"), "0")
  expect_equal(dec_to_hex("12345678901234567890"), "ab54a98ceb1f0ad2")
})

test_that("bit lengths and seeds of each width", {
  expect_equal(hex_bit_length("0"), 0L)
  expect_equal(hex_bit_length("7fffffff"), 31L)
  expect_equal(hex_bit_length("80000000"), 32L)
  expect_equal(hex_bit_length("000001"), 1L)
  expect_identical(hex_to_seed("7fffffff", 31L), 2147483647L)
  expect_identical(hex_to_seed("ffffffff", 32L), 4294967295)
  expect_identical(hex_to_seed("ffffffffffffffff", 64L), "18446744073709551615")
  expect_identical(max_seed_text(31L), "2147483647")
})
