test_that("a valid manifest reads with defaults filled in", {
  path <- local_manifest(c(
    "# a comment",
    "seedbridge: 1",
    "derivation: 1",
    "root:",
    "  entropy: \"0x9e3779b97f4a7c15f39cc0605cedc834\"",
    "  source: explicit",
    "  created: 2024-05-01T12:00:00Z",
    "jobs:",
    "  train:",
    "    frameworks: [python, numpy, r, jax, my_lib]",
    "    profile: deterministic",
    "    description: \"the model\"",
    "  legacy:",
    "    seed: 1234",
    "    r: {sample.kind: Rounding}",
    "  wide: {seed: \"0xffffffffffffffffffffffffffffffff\"}",
    "  empty:",
    "  \"na\u00efve\": {}",
    "  \"n\": {}",
    "  solve: {caffe: {solvers: [solver.prototxt]}}"
  ))
  m <- sb_manifest(path)
  expect_s3_class(m, "seedbridge_manifest")
  expect_equal(m$root$entropy, "0x9e3779b97f4a7c15f39cc0605cedc834")
  expect_equal(m$root$created, "2024-05-01T12:00:00Z")
  expect_equal(names(m$jobs), c("train", "legacy", "wide", "empty", "na\u00efve", "n", "solve"))
  expect_equal(m$jobs$train$frameworks, c("python", "numpy", "r", "jax", "my_lib"))
  expect_equal(m$jobs$train$profile, "deterministic")
  expect_equal(m$jobs$legacy$seed, "0x4d2")
  expect_equal(m$jobs$legacy$r[["sample.kind"]], "Rounding")
  expect_equal(m$jobs$legacy$r[["kind"]], "Mersenne-Twister")
  expect_equal(m$jobs$empty$r, r_default_kinds)
  expect_equal(m$jobs$solve$caffe$solvers, "solver.prototxt")
  expect_output(print(m), "<seedbridge manifest>")
})

test_that("the default path is SEEDBRIDGE_MANIFEST, else seedbridge.yaml", {
  path <- local_jobs()
  withr::local_envvar(SEEDBRIDGE_MANIFEST = path)
  expect_equal(sb_manifest()$path, path)
  withr::local_envvar(SEEDBRIDGE_MANIFEST = NA)
  dir <- withr::local_tempdir()
  file.copy(path, file.path(dir, "seedbridge.yaml"))
  withr::local_dir(dir)
  expect_equal(sb_manifest()$path, "seedbridge.yaml")
})

test_that("a job named na\u00efve reads the same bytes under LC_CTYPE=C", {
  path <- local_jobs("  \"na\u00efve\": {}")
  utf8 <- sb_seed("na\u00efve", manifest = path)
  expect_identical(utf8, 1576469938L) # Python: derive(0x2a, "na\u00efve")
  with_c_ctype({
    expect_identical(sb_seed("na\u00efve", manifest = path), utf8)
    expect_equal(names(sb_manifest(path)$jobs), "na\u00efve")
  })
})

# The problems of a manifest given as lines: list(fields, rules, messages).
problems_of <- function(lines) {
  err <- expect_error(sb_manifest(local_manifest(lines, .local_envir = parent.frame())),
                      class = "seedbridge_manifest_error")
  expect_s3_class(err, "seedbridge_error")
  err
}

header <- c("seedbridge: 1", "derivation: 1", "root:", "  entropy: \"0x2a\"")

test_that("every problem is reported with its field, rule id and message", {
  err <- problems_of(c(
    "seedbridge: 1", "derivation: 1", "root:", "  entropy: 0x2a", "  source: ci", "jbos: {}", "jobs:",
    "  train:", "    seed: 3000000000", "    frameworks: [r, Keras]", "    profile: fast", "    sed: 1",
    "  on:", "    seed: -5"
  ))
  expect_identical(err$fields, c("jbos", "root.entropy", "root.source", "jobs.train.sed", "jobs.train.seed",
                                 "jobs.train.frameworks", "jobs.train.profile", "jobs.on"))
  expect_identical(err$rules, c("unknown-key", "entropy-format", "not-one-of", "unknown-key", "wide-integer",
                                "target-name", "not-one-of", "key-not-text"))
  expect_identical(err$messages[c(1L, 5L, 8L)], c(
    "unknown key; did you mean \"jobs\"? (allowed: seedbridge, derivation, root, jobs)",
    "integers above 2147483647 must be quoted hex text such as \"0xb2d05e00\" (R's yaml reads them as NA), got 3000000000",
    "keys must be text, got a boolean on; quote it as \"on\""
  ))
  expect_match(err$problems[[2L]], "root.entropy: must be a quoted lower-case hex string of up to 128 bits such as \"0x2a\", got an integer 0x2a", fixed = TRUE)
  expect_length(strsplit(conditionMessage(err), "\n")[[1L]], 8L)
})

test_that("pinned seeds are checked against each built-in target the job lists", {
  err <- problems_of(c(header, "jobs:", "  train: {seed: \"0x80000000\", frameworks: [numpy, r, jax, other]}"))
  expect_identical(err$messages, "must be an integer in 0..2147483647 for r, got 2147483648")
  err <- problems_of(c(header, "jobs:", "  t: {seed: \"0x10000000000000000\", frameworks: [torch, jax]}"))
  expect_identical(err$messages, c("must be an integer in 0..18446744073709551615 for torch, got 18446744073709551616",
                                   "must be an integer in 0..18446744073709551615 for jax, got 18446744073709551616"))
})

test_that("YAML 1.1 scalars are read as R's yaml reads them, and refused where they do not fit", {
  err <- problems_of(c(header, "jobs:", "  a: {seed: 1_000}", "  b: {seed: 1:20}", "  1_000: {seed: 0b11}",
                       "  2026-01-01: {}", "  y: {}"))
  expect_identical(err$fields, c("jobs.a.seed", "jobs.b.seed", "jobs.1_000.seed", "jobs.2026-01-01", "jobs.y"))
  expect_identical(err$rules, c("not-integer", "not-integer", "not-integer", "key-not-text", "key-not-text"))
  expect_identical(err$messages[[2L]], "must be an integer, got an integer 1:20; write it in plain decimal")
})

test_that("a 5000-digit integer is out of range, quickly", {
  err <- problems_of(c(header, "jobs:", paste0("  a: {seed: ", strrep("9", 5000L), "}")))
  expect_identical(err$rules, "seed-out-of-range")
  expect_match(err$messages, "... (5000 characters)", fixed = TRUE)
})

test_that("every manifest problem is a seedbridge_manifest_error, even a raw NUL byte", {
  expect_fatal <- function(path, rule) {
    err <- expect_error(sb_manifest(path), class = "seedbridge_manifest_error")
    expect_identical(err$rules, rule)
    expect_lt(nchar(conditionMessage(err)), 300L) # the file's content is never echoed
  }
  path <- withr::local_tempfile(fileext = ".yaml")
  writeBin(c(charToRaw(paste(c(header, "jobs:", "  a"), collapse = "\n")), as.raw(0), charToRaw("b: {}\n")), path)
  expect_fatal(path, "nul-character")
  writeBin(charToRaw("jobs: {na\xefve: {}}\n"), path)
  expect_fatal(path, "not-utf8")
  writeLines(c(header, "jobs:", "  \"a\\x00b\": {}"), path)
  expect_fatal(path, "nul-character")
  writeLines(c(header, "jobs:", "  a: {}", "---", "b: 1"), path)
  expect_fatal(path, "multiple-documents")
  writeLines(c(header, "jobs:", "  a: &x {seed: 1}", "  b: {<<: *x}"), path)
  expect_fatal(path, "merge-key")
  writeLines(c(header, "jobs: [", ""), path)
  expect_fatal(path, "yaml-syntax")
  writeLines("", path)
  expect_fatal(path, "empty")
  expect_fatal(file.path(tempdir(), "nope.yaml"), "file-missing")
  expect_fatal(withr::local_tempdir(), "not-a-file")
  big <- withr::local_tempfile(fileext = ".yaml")
  writeBin(charToRaw(paste0("# ", strrep("x", 1024L * 1024L), "\n")), big)
  expect_fatal(big, "too-large")
})

test_that("a FIFO is never opened, so it cannot block", {
  skip_on_os("windows")
  fifo <- file.path(withr::local_tempdir(), "fifo.yaml")
  skip_if(system2("mkfifo", fifo) != 0L, "mkfifo failed")
  err <- expect_error(sb_manifest(fifo), class = "seedbridge_manifest_error")
  expect_identical(err$rules, "empty")
})

test_that("duplicate keys are reported with their field", {
  err <- problems_of(c(header, "jobs:", "  a: {}", "  \"a\": {seed: 1}"))
  expect_identical(err$fields, "jobs.a")
  expect_identical(err$rules, "duplicate-key")
})

test_that("tags seedbridge does not read are refused where they stand", {
  err <- problems_of(c(header, "  created: !foo bar", "jobs:", "  a: {description: !foo x, seed: !!int abc}"))
  expect_identical(err$fields, c("root.created", "jobs.a.seed", "jobs.a.description"))
  expect_identical(err$rules, c("bad-timestamp", "not-integer", "not-text"))
})

test_that("names with control characters are refused and shown escaped", {
  err <- problems_of(c(header, "jobs:", "  \"a\\e[31m\": {}"))
  expect_identical(err$fields, "jobs.\"a\\x1b[31m\"")
  expect_identical(err$messages, "must not contain control characters, got \"a\\x1b[31m\"")
})

test_that("the schema data states R's defaults and R's yaml typing", {
  schema <- manifest_schema()
  expect_identical(unlist(schema$r_default_kinds), r_default_kinds)
  # Python types plain scalars with this table; R's yaml must type them the same way.
  samples <- c("", "~", "null", "y", "Y", "yes", "n", "off", "On", ".na", "0x1F", "0x_", "-0x1,f", "010", "0,1",
               "08", "1:20", "-1:20:30", ".na.integer", "0", "-0", "+12", "1,000", "1_000", "1.5", ".", "-.",
               "1.0e+3", "1e3", ".5e-2", "1:20.5", ".inf", "+.Inf", "-.INF", ".nan", ".NaN", ".na.real",
               "2026-01-01", "2026-13-45", "2026-01-01T00:00:00Z", "2026-01-01t10:00:00.5+05:30",
               "2026-01-01T00:00:00", "2026-01-01 10:00:00 Z", "2026-01-01T00:00:00.10Z", ".na.character",
               "=", "<<", "train", "0b11", "0o17", "na\u00efve", "TRUE", "tRUE", "NULL", "nULL")
  table <- schema$yaml_plain_scalars
  by_table <- vapply(samples, function(x) {
    for (row in table) if (grepl(end_anchor_z(row[[2L]]), x, perl = TRUE)) return(row[[1L]])
    "str"
  }, "")
  names <- c(unique(vapply(table, `[[`, "", 1L)), "str")
  handlers <- lapply(stats::setNames(nm = setdiff(names, c("merge", "default"))), function(n) function(x) n)
  by_yaml <- vapply(samples, function(x) {
    v <- yaml::yaml.load(paste0("k: ", x), handlers = handlers)[[1L]] # the key is typed too: by position
    if (inherits(v, "_yaml.merge_")) "merge" else if (identical(v, "=")) "default" else v
  }, "")
  expect_identical(by_table, by_yaml)
})

test_that("splitting lines by bytes agrees with the schema's line breaks", {
  schema <- manifest_schema()
  text <- "a\r\nb\rc\nd\u0085e\u2028f\u2029g"
  Encoding(text) <- "UTF-8"
  by_bytes <- strsplit(text, line_break_bytes, perl = TRUE, useBytes = TRUE)[[1L]]
  Encoding(by_bytes) <- "UTF-8"
  expect_identical(by_bytes, strsplit(text, schema$patterns$line_break, perl = TRUE)[[1L]])
  expect_identical(by_bytes, letters[1:7])
})
