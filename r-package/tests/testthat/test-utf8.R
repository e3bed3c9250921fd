test_that("UTF-8 bytes do not depend on the locale", {
  naive <- "na\u00efve"
  expect_equal(utf8_bytes(naive), as.raw(c(0x6e, 0x61, 0xc3, 0xaf, 0x76, 0x65)))
  native <- rawToChar(as.raw(c(0x6e, 0x61, 0xc3, 0xaf, 0x76, 0x65))) # as a UTF-8 script read in C
  with_c_ctype({
    expect_equal(session_encoding(), "ascii")
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
  expect_error(utf8_bytes(x), "text: is marked as \"bytes\"", class = "seedbridge_derivation_error")
})

test_that("text that is not valid UTF-8 is refused in every locale, its bytes shown", {
  invalid <- c(
    latin1_byte = "caf\xe9",
    surrogate = "\xed\xa0\x80", # what R's parser makes of "\ud800"
    overlong = "\xc0\xaf",
    beyond_unicode = "\xf4\x90\x80\x80",
    truncated = "\xe6\x97"
  )
  for (x in invalid) {
    with_utf8_ctype(expect_error(utf8_bytes(x), "text: must be valid UTF-8 text", class = "seedbridge_derivation_error"))
    with_c_ctype(expect_error(utf8_bytes(x), class = "seedbridge_derivation_error"))
  }
  expect_error(utf8_bytes("caf\xe9"), "got \"caf\\xe9\"", fixed = TRUE)
})

test_that("latin1-marked text is converted: R knows its encoding", {
  x <- "caf\xe9"
  Encoding(x) <- "latin1"
  expect_equal(utf8_bytes(x), charToRaw("caf\u00e9"))
  with_c_ctype(expect_equal(utf8_bytes(x), charToRaw("caf\u00e9")))
})

test_that("R's escapes are refused as inputs only outside UTF-8 sessions", {
  for (x in c("<U+00E9>", "caf<U+00E9>", "<U+0001F3B2>", "caf<c3><a9>")) {
    with_utf8_ctype(expect_identical(utf8_text(x, "key name", inputs = TRUE), x)) # typed so
    with_c_ctype({
      expect_error(utf8_text(x, "key name", inputs = TRUE),
                   "which is how R writes what this session's encoding (ASCII) cannot hold", fixed = TRUE,
                   class = "seedbridge_derivation_error")
      expect_identical(utf8_text(x, "key name"), x) # text from a manifest file is exact
    })
  }
  with_c_ctype(expect_identical(utf8_text("<U+00>", "key name", inputs = TRUE), "<U+00>"))
})

test_that("messages show text that is not valid UTF-8 byte by byte", {
  expect_equal(show_text("caf\xe9"), "\"caf\\xe9\"")
  expect_equal(show_text("a\"\\\xff"), "\"a\\x22\\x5c\\xff\"")
  with_utf8_ctype(expect_equal(show_text("na\u00efve"), "\"na\u00efve\""))
})

test_that("only ASCII text without \"<\" skips the text rule", {
  latin1 <- "caf\xe9"
  Encoding(latin1) <- "latin1"
  expect_true(plain_ascii("train"))
  expect_true(plain_ascii(c("rank", "3", "", " \t~")))
  expect_true(plain_ascii(character()))
  for (x in list("caf\u00e9", rawToChar(as.raw(c(0x63, 0xc3, 0xa9))), latin1, "caf\xe9", "a<b", NA_character_,
                 c("rank", "<U+00E9>"), c("caf\u00e9", "3"))) {
    expect_false(plain_ascii(x), label = show_text(paste(x, collapse = "|")))
    with_c_ctype(expect_false(plain_ascii(x)))
  }
  # What skips the rule is what the rule gives back unchanged.
  with_c_ctype(expect_identical(utf8_text(c("a<b", "x"), "key name", inputs = TRUE), c("a<b", "x")))
})
