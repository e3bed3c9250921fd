test_that("R agrees with every golden vector (tests/golden/derivation-v1.json)", {
  path <- golden_path()
  skip_if(is.null(path), "tests/golden/derivation-v1.json not found; set SEEDBRIDGE_GOLDEN")
  skip_if_not_installed("jsonlite")
  golden <- read_golden(path)
  expect_equal(golden$derivation, 1L)
  expect_gt(length(golden$vectors), 1000L)
  for (v in golden$vectors) {
    seed <- sb_derive(v$root, v$job, v$keys, bits = v$bits)
    expect_identical(format(seed, scientific = FALSE), v$seed, label = paste(v$job, v$bits))
    message <- derive_message(parse_base(v$root), v$job, v$keys)
    expect_identical(paste(as.character(charToRaw(message)), collapse = ""), v$message_hex)
  }
})

test_that("the golden vectors give the same seeds in a C locale", {
  path <- golden_path()
  skip_if(is.null(path), "tests/golden/derivation-v1.json not found; set SEEDBRIDGE_GOLDEN")
  skip_if_not_installed("jsonlite")
  golden <- read_golden(path)
  with_c_ctype(for (v in golden$vectors) {
    expect_identical(format(sb_derive(v$root, v$job, v$keys, bits = v$bits), scientific = FALSE), v$seed)
  })
})

test_that("the message matches the example of docs/derivation.md", {
  message <- derive_message(parse_base("0x2a"), "train", list(rank = 3))
  expect_equal(message,
               "21:seedbridge-derivation,1:1,32:0000000000000000000000000000002a,5:train,1:1,4:rank,1:3,")
})

test_that("seeds of each width have the documented type", {
  expect_type(sb_derive("0x2a", "train"), "integer")
  expect_type(sb_derive("0x2a", "train", bits = 32), "double")
  expect_type(sb_derive("0x2a", "train", bits = 64), "character")
  expect_identical(sb_derive("0x2a", "train"), 60624911L)
})

test_that("integral keys are text in decimal, so 3, 3L and \"3\" agree", {
  a <- sb_derive("0x2a", "train", list(rank = 3))
  expect_identical(sb_derive("0x2a", "train", list(rank = 3L)), a)
  expect_identical(sb_derive("0x2a", "train", list(rank = "3")), a)
  expect_false(identical(sb_derive("0x2a", "train", list(rank = "03")), a))
  expect_identical(sb_derive("0x2a", "train", list(n = 2^60)),
                   sb_derive("0x2a", "train", list(n = "1152921504606846976")))
  expect_identical(sb_derive("0x2a", "train", list(n = -0)), sb_derive("0x2a", "train", list(n = 0L)))
})

test_that("keys are sorted by the bytes of their names in every locale", {
  names <- c("\u65e5", "\u00e9", "z", "Z", "a", "ab", "A")
  keys <- as.list(seq_along(names))
  names(keys) <- names
  sorted <- c("A", "Z", "a", "ab", "z", "\u00e9", "\u65e5")
  fields <- function() encode_keys(keys)[seq(2L, by = 2L, length.out = length(names))]
  with_utf8_ctype(expect_identical(fields(), sorted))
  with_c_ctype(expect_identical(fields(), sorted))
})

test_that("key order does not matter", {
  expect_identical(sb_derive("0x2a", "train", list(rank = 1, worker = 2)),
                   sb_derive("0x2a", "train", list(worker = 2, rank = 1)))
})

test_that("bases may be hex, decimal or a whole number", {
  expect_identical(sb_derive("42", "train"), sb_derive("0x2a", "train"))
  expect_identical(sb_derive(42, "train"), sb_derive("0x2A", "train"))
  expect_error(sb_derive("0x1ffffffffffffffffffffffffffffffff", "train"), "base must be an integer in 0..2\\*\\*128-1",
               class = "seedbridge_derivation_error")
  expect_error(sb_derive(-1, "train"), class = "seedbridge_derivation_error")
})

test_that("bad keys, bits and versions are errors naming the rule and value", {
  err <- function(...) expect_error(..., class = "seedbridge_derivation_error")
  err(sb_derive("0x2a", "train", list(rank = 1.5)), "key \"rank\": must be text or an integral number, got a number 1.5")
  err(sb_derive("0x2a", "train", list(rank = TRUE)), "not a boolean, got a boolean TRUE")
  err(sb_derive("0x2a", "train", list(rank = NA_integer_)), "must not be NA")
  err(sb_derive("0x2a", "train", list(rank = Inf)), "integral number")
  err(sb_derive("0x2a", "train", list(rank = 1:2)), "must be a single value, got a vector of length 2")
  err(sb_derive("0x2a", "train", list(1)), "no name")
  err(sb_derive("0x2a", "train", list(a = 1, a = 2)), "key \"a\" is given twice")
  err(sb_derive("0x2a", "train", bits = 16), "bits must be one of 31, 32, 63, 64, 128, got a number 16")
  err(sb_derive("0x2a", "train", version = 2), "derivation must be one of 1, got a number 2")
  err(sb_derive("0x2a", NA_character_), "job name must be a single string")
})

test_that("the kept order of key names gives the seeds a fresh sort gives", {
  # Python: seedbridge.derive.derive(0x2a, "train", keys) for each list below.
  long <- list(1, 2)
  names(long) <- c(strrep("a", 6000), strrep("b", 6000)) # too long to keep: sorted each time
  abc <- list(b = 1, a = 2, c = "x")
  accented <- list(1, 2, 3)
  names(accented) <- c("\u00e9", "z", "Z") # not ASCII: sorted each time
  for (round in 1:3) { # the first call sorts, the next ones reuse the kept order
    expect_identical(sb_derive("0x2a", "train", long), 934432840L)
    expect_identical(sb_derive("0x2a", "train", abc), 976865564L)
    expect_identical(sb_derive("0x2a", "train", rev(abc)), 976865564L)
    expect_identical(sb_derive("0x2a", "train", accented), 1422684882L)
  }
  # A kept set of names never hides a repeated one: list(a, a) is another set, checked on its own.
  expect_error(sb_derive("0x2a", "train", list(a = 1, a = 2)), "given twice", class = "seedbridge_derivation_error")
})
