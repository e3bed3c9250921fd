test_that("UTF-8 bytes do not depend on the locale", {
  naive <- "na\u00efve"
  expect_equal(utf8_bytes(naive), as.raw(c(0x6e, 0x61, 0xc3, 0xaf, 0x76, 0x65)))
  native <- rawToChar(as.raw(c(0x6e, 0x61, 0xc3, 0xaf, 0x76, 0x65))) # as a UTF-8 script read in C
  with_c_ctype({
    expect_equal(utf8_bytes(naive), utf8_bytes(native))
    expect_equal(byte_key(naive), "6e61c3af7665")
  })
  expect_equal(Encoding(as_utf8(native)), "UTF-8")
})

test_that("byte keys sort by UTF-8 bytes", {
  names <- c("\u00e9", "z", "Z", "a")
  keys <- vapply(names, byte_key, "")
  expect_equal(names[order(keys, method = "radix")], c("Z", "a", "z", "\u00e9"))
})

test_that("text marked as bytes is refused", {
  x <- "na\u00efve"
  Encoding(x) <- "bytes"
  expect_error(utf8_bytes(x), class = "seedbridge_derivation_error")
})
