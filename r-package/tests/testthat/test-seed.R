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

test_that("keys may come in a named list, so key names need not pass through R's parser", {
  path <- local_jobs()
  expect_identical(sb_seed("train", list(rank = 1), manifest = path), sb_seed("train", rank = 1, manifest = path))
  expect_identical(sb_seed("train", list(rank = 1), fold = "a", manifest = path),
                   sb_seed("train", fold = "a", rank = 1, manifest = path))
  expect_identical(sb_seed("train", list(), manifest = path), sb_seed("train", manifest = path))
  # Names of arguments are keys too, in a list (Python's seedbridge.derive.derive(42, "train", {"bits": 1})).
  expect_identical(sb_seed("train", list(bits = 1), manifest = path), 1578503951L)
  expect_error(sb_seed("train", 3, manifest = path),
               "keys must be named such as rank = 1, or given as a named list; the argument in position 1 is a number 3",
               fixed = TRUE, class = "seedbridge_derivation_error")
  expect_error(sb_seed("train", list(1), manifest = path), "no name", class = "seedbridge_derivation_error")
  expect_error(sb_seed("train", list(rank = 1), rank = 2, manifest = path), "given twice",
               class = "seedbridge_derivation_error")
})

test_that("a non-ASCII key name gives Python's seed, or in a C locale a seedbridge error, never another seed", {
  path <- local_jobs()
  python <- 1019751368L # seedbridge.derive.derive(0x2a, "train", {"\u00e9": 1}) in Python
  with_utf8_ctype(expect_identical(eval(parse(text = 'sb_seed("train", "\\u00e9" = 1, manifest = path)')[[1L]]), python))
  # In a C locale R's parser writes the name as "<U+00E9>", as argument and in list().
  for (code in c('sb_seed("train", "\\u00e9" = 1, manifest = path)',
                 'sb_seed("train", list("\\u00e9" = 1), manifest = path)',
                 'sb_derive("0x2a", "train", list("\\u00e9" = 1))',
                 'sb_set_seed("train", "\\u00e9" = 1, manifest = path)')) {
    local_rng_sandbox()
    set.seed(1)
    before <- .Random.seed
    err <- expect_error(eval_in_c_ctype(code), class = "seedbridge_derivation_error")
    expect_match(conditionMessage(err), "key name: \"<U+00E9>\" holds <U+00E9>, which is how R writes", fixed = TRUE)
    expect_identical(.Random.seed, before)
  }
  # Built with names(x) <-, the name keeps its characters in any locale.
  keys <- list(1)
  names(keys) <- "\u00e9"
  with_c_ctype(expect_identical(sb_seed("train", keys, manifest = path), python))
  with_c_ctype(expect_identical(sb_derive("0x2a", "train", keys), python))
  # Typed in a UTF-8 script and read in a C locale, the bytes are taken as UTF-8.
  expect_identical(eval_in_c_ctype('sb_seed("train", "\xc3\xa9" = 1, manifest = path)'), python)
})

test_that("job names, key names and key values must be valid UTF-8 text", {
  path <- local_jobs("  \"caf\u00e9\": {}")
  expect_identical(sb_seed("caf\u00e9", manifest = path), 1198282297L) # derive(0x2a, "caf\u00e9") in Python
  bad <- list(
    sb_seed = function() sb_seed("caf\xe9", manifest = path),
    derive_job = function() sb_derive("0x2a", "caf\xe9"),
    key_value = function() sb_seed("caf\u00e9", rank = "caf\xe9", manifest = path),
    key_name = function() {
      keys <- list(1)
      names(keys) <- "caf\xe9"
      sb_seed("caf\u00e9", keys, manifest = path)
    }
  )
  for (f in bad) {
    with_utf8_ctype(expect_error(f(), "must be valid UTF-8 text, got \"caf\\xe9\"", fixed = TRUE,
                                 class = "seedbridge_derivation_error"))
    with_c_ctype(expect_error(f(), "must be valid UTF-8 text", class = "seedbridge_derivation_error"))
  }
  with_utf8_ctype(expect_error(sb_derive("0x2a", "caf\xe9"), "job name: must be valid UTF-8 text"))
  expect_error(sb_seed("caf\u00e9", rank = "caf\xe9", manifest = path), "key \"rank\": must be valid UTF-8 text")
})
