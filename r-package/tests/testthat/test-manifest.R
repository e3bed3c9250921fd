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
    "    frameworks: [python, numpy, r]",
    "    profile: deterministic",
    "    description: \"the model\"",
    "  legacy:",
    "    seed: 1234",
    "    r: {sample.kind: Rounding}",
    "  wide: {seed: \"0xffffffffffffffffffffffffffffffff\"}",
    "  empty:",
    "  \"na\u00efve\": {}",
    "  n: {}",
    "  solve: {caffe: {solvers: [solver.prototxt]}}"
  ))
  m <- sb_manifest(path)
  expect_s3_class(m, "seedbridge_manifest")
  expect_equal(m$root$entropy, "0x9e3779b97f4a7c15f39cc0605cedc834")
  expect_equal(m$root$created, "2024-05-01T12:00:00Z")
  expect_equal(names(m$jobs), c("train", "legacy", "wide", "empty", "na\u00efve", "n", "solve"))
  expect_equal(m$jobs$train$frameworks, c("python", "numpy", "r"))
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

test_that("a missing file says how to make one", {
  expect_error(sb_manifest(file.path(tempdir(), "nope.yaml")), "no manifest here; create one with `seedbridge init`",
               class = "seedbridge_manifest_error")
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

expect_problem <- function(lines, pattern) {
  err <- expect_error(sb_manifest(local_manifest(lines)), class = "seedbridge_manifest_error")
  expect_match(conditionMessage(err), pattern, fixed = TRUE)
  invisible(err)
}

header <- c("seedbridge: 1", "derivation: 1", "root:", "  entropy: \"0x2a\"")

test_that("root entropy must be quoted lower-case hex of up to 128 bits", {
  expect_problem(c("seedbridge: 1", "derivation: 1", "root: {entropy: 0x2a}", "jobs:"),
                 "root.entropy: must be a quoted lower-case hex string of up to 128 bits such as \"0x2a\", got \"0x2a\" (unquoted)")
  expect_problem(c("seedbridge: 1", "derivation: 1", "root: {entropy: \"0x2A\"}", "jobs:"),
                 "got text \"0x2A\"")
  expect_problem(c("seedbridge: 1", "derivation: 1", paste0("root: {entropy: \"0x1", strrep("0", 32), "\"}"), "jobs:"),
                 "root.entropy: must be a quoted lower-case hex string")
})

test_that("integers above 2147483647 must be quoted hex", {
  expect_problem(c(header, "jobs:", "  train: {seed: 3000000000}"),
                 "jobs.train.seed: integers above 2147483647 must be quoted hex text such as \"0xb2d05e00\" (R's yaml reads them as NA), got 3000000000")
})

test_that("pinned seeds are checked against each listed framework", {
  expect_problem(c(header, "jobs:", "  train: {seed: \"0x80000000\", frameworks: [numpy, r]}"),
                 "jobs.train.seed: must be an integer in 0..2147483647 for r, got 2147483648")
  expect_problem(c(header, "jobs:", "  train: {seed: -1}"),
                 "jobs.train.seed: must be an integer in 0..2**128-1, got -1")
  expect_problem(c(header, "jobs:", "  train: {seed: 1.5}"), "jobs.train.seed: must be an integer, got a number 1.5")
})

test_that("unknown keys are errors with a suggestion", {
  expect_problem(c(header, "jobs:", "  train: {sed: 1}"),
                 "jobs.train.sed: unknown key; did you mean \"seed\"? (allowed: seed, frameworks, profile, description, r, caffe)")
  expect_problem(c(header, "extra: 1", "jobs:"), "extra: unknown key")
  expect_problem(c(header, "jobs:", "  train: {r: {kind: Mersenne-Twister, sample: Rounding}}"),
                 "jobs.train.r.sample: unknown key")
})

test_that("choices are checked", {
  expect_problem(c(header, "jobs:", "  train: {frameworks: [numpy, jax]}"),
                 "jobs.train.frameworks: must be among python, numpy, torch, tensorflow, r, caffe, got \"jax\"")
  expect_problem(c(header, "jobs:", "  train: {frameworks: [r, r]}"), "jobs.train.frameworks: lists \"r\" twice")
  expect_problem(c(header, "jobs:", "  train: {frameworks: r}"), "must be a list such as [numpy, torch], got text \"r\"")
  expect_problem(c(header, "jobs:", "  train: {profile: fast}"), "jobs.train.profile: must be one of seeded, deterministic, strict")
  expect_problem(c(header, "jobs:", "  train: {r: {sample.kind: rounding}}"),
                 "jobs.train.r.sample.kind: must be one of Rounding, Rejection, got \"rounding\"")
  expect_problem(c(header, "jobs:", "  train: {caffe: {solvers: a.prototxt}}"),
                 "jobs.train.caffe.solvers: must be a list of solver file paths")
})

test_that("keys must be text, as in Python", {
  expect_problem(c(header, "jobs:", "  1: {}"), "jobs.1: keys must be text; YAML read \"1\" as an integer, quote it as \"1\"")
  expect_problem(c(header, "jobs:", "  yes: {}"), "keys must be text; YAML read \"yes\" as a boolean")
})

test_that("schema, derivation and required keys are checked", {
  expect_problem(c("seedbridge: 2", "derivation: 1", "root: {entropy: \"0x2a\"}", "jobs:"),
                 "seedbridge: schema version must be 1, got 2")
  expect_problem(c("seedbridge: 1", "derivation: 2", "root: {entropy: \"0x2a\"}", "jobs:"),
                 "derivation: must be one of 1, got 2")
  expect_problem(c("seedbridge: \"1\"", "derivation: 1", "root: {entropy: \"0x2a\"}", "jobs:"),
                 "seedbridge: must be an integer, got text \"1\"")
  expect_problem(c("seedbridge: 1", "derivation: 1", "jobs:"), "root: required key is missing")
  expect_problem(c("seedbridge: 1", "derivation: 1", "root: {source: explicit}", "jobs:"), "root.entropy: required key is missing")
  expect_problem(c("seedbridge: 1", "derivation: 1", "root: {entropy: \"0x2a\", env: SEED}", "jobs:"),
                 "root.env: is only allowed when source is env (source is explicit)")
  expect_problem(c("seedbridge: 1", "derivation: 1", "root: {entropy: \"0x2a\", source: env}", "jobs:"),
                 "root.env: source env needs root.env, the variable's name")
})

test_that("all problems are reported together", {
  err <- expect_problem(c(header, "jobs:", "  a: {profile: fast}", "  b: {seed: yes}"), "jobs.a.profile")
  expect_length(err$problems, 2L)
  expect_match(err$problems[[2L]], "jobs.b.seed: must be an integer, got a boolean yes", fixed = TRUE)
})

test_that("malformed YAML, duplicates and an empty file are errors", {
  expect_problem(c(header, "jobs: [", ""), "malformed YAML")
  expect_problem(c(header, "jobs:", "  a: {}", "  a: {}"), "malformed YAML")
  expect_problem("", "the manifest is empty")
  path <- withr::local_tempfile(fileext = ".yaml")
  writeBin(as.raw(c(0x61, 0x3a, 0x20, 0xff, 0x0a)), path)
  expect_error(sb_manifest(path), "must be UTF-8 text", class = "seedbridge_manifest_error")
})
