# python = TRUE through reticulate. These run when RETICULATE_PYTHON names a Python (make r-check
# points it at the project's venv, where seedbridge and NumPy are importable); the comparison with a
# separate Python process is in tests/test_r_reticulate.py.

skip_unless_python <- function() {
  skip_if_not_installed("reticulate")
  skip_if(!nzchar(Sys.getenv("RETICULATE_PYTHON")), "set RETICULATE_PYTHON to run the reticulate tests")
  skip_if_not(reticulate::py_available(initialize = TRUE), "reticulate found no Python")
  skip_if_not(reticulate::py_module_available("numpy"), "NumPy is not importable in reticulate's Python")
}

# Puts Python's random and NumPy states back when the calling test ends.
local_python_sandbox <- function(.local_envir = parent.frame()) {
  random <- reticulate::import("random", convert = FALSE)
  np <- reticulate::import("numpy", convert = FALSE)
  old <- list(random$getstate(), np$random$get_state())
  withr::defer({
    random$setstate(old[[1L]])
    np$random$set_state(old[[2L]])
  }, envir = .local_envir)
}

# Draws from Python's random and NumPy, as R numbers (through lists: no NumPy array is converted).
python_draws <- function() {
  random <- reticulate::import("random", convert = FALSE)
  np <- reticulate::import("numpy", convert = FALSE)
  list(random = reticulate::py_to_r(random$random()), numpy = unlist(reticulate::py_to_r(np$random$rand(3L)$tolist())))
}

quietly <- function(code) suppressWarnings(code, classes = "seedbridge_pythonhashseed_warning")

test_that("sb_set_seed(python = TRUE) gives Python's random and NumPy the job's seed", {
  skip_unless_python()
  path <- local_jobs(c("  train: {frameworks: [python, numpy, r]}", "  plain: {frameworks: [python]}"))
  local_rng_sandbox()
  local_python_sandbox()
  info <- quietly(sb_set_seed("train", rank = 2, manifest = path, python = TRUE))
  got <- python_draws()
  expect_identical(info$seed, sb_seed("train", rank = 2, manifest = path))
  expect_identical(info$python$frameworks, c("python", "numpy"))
  expect_identical(runif(2), with_sb_seed("train", runif(2), rank = 2, manifest = path))
  reticulate::import("random", convert = FALSE)$seed(info$seed)
  reticulate::import("numpy", convert = FALSE)$random$seed(info$seed)
  expect_identical(got, python_draws())
  # A job that lists python only leaves NumPy alone.
  info <- quietly(sb_set_seed("plain", manifest = path, python = TRUE))
  expect_identical(info$python$frameworks, "python")
})

test_that("with_sb_seed(python = TRUE) puts Python's RNG state back", {
  skip_unless_python()
  path <- local_jobs("  train: {frameworks: [python, numpy]}")
  local_rng_sandbox()
  local_python_sandbox()
  seed_python_directly <- function(seed) {
    reticulate::import("numpy", convert = FALSE)$random$seed(seed)
    reticulate::import("random", convert = FALSE)$seed(seed)
  }
  seed_python_directly(5L)
  expected <- python_draws()
  seed_python_directly(5L)
  inside <- quietly(with_sb_seed("train", python_draws(), manifest = path, python = TRUE))
  expect_identical(python_draws(), expected)
  again <- quietly(with_sb_seed("train", python_draws(), manifest = path, python = TRUE))
  expect_identical(inside, again)
  seed_python_directly(5L)
  expect_error(quietly(with_sb_seed("train", stop("boom"), manifest = path, python = TRUE)), "boom")
  expect_identical(python_draws(), expected)
})

test_that("a PYTHONHASHSEED other than the job's seed is a warning that says how to set it", {
  skip_unless_python()
  path <- local_jobs("  train: {frameworks: [python]}")
  local_rng_sandbox()
  local_python_sandbox()
  current <- reticulate::py_to_r(reticulate::import("os", convert = FALSE)$environ$get("PYTHONHASHSEED", ""))
  skip_if(identical(current, as.character(sb_seed("train", manifest = path))), "PYTHONHASHSEED is the job's seed")
  expect_warning(sb_set_seed("train", manifest = path, python = TRUE),
                 "cannot change once Python has started.*eval \"\\$\\(seedbridge env train\\)\"",
                 class = "seedbridge_pythonhashseed_warning")
  expect_warning(sb_set_seed("train", fold = "a b", manifest = path, python = TRUE),
                 "seedbridge env train '--key=fold=a b'", fixed = TRUE)
})

test_that("Python and R must agree on the seed, or neither is seeded", {
  skip_unless_python()
  skip_if_not(reticulate::py_module_available("seedbridge"), "seedbridge is not importable in reticulate's Python")
  path <- local_jobs("  train: {frameworks: [python, numpy]}")
  m <- sb_manifest(path)
  writeLines(c("seedbridge: 1", "derivation: 1", "root:", "  entropy: \"0x2b\"", "jobs:", "  train: {}"), path)
  local_rng_sandbox()
  local_python_sandbox()
  set.seed(3)
  before <- .Random.seed
  py_before <- python_draws()
  expect_error(sb_set_seed("train", manifest = m, python = TRUE),
               "python: seedbridge in Python gives job \"train\" seed .* where R gives 60624911",
               class = "seedbridge_framework_error")
  expect_identical(.Random.seed, before)
  # Key names that are seed_everything()'s own arguments cannot reach it.
  expect_error(sb_set_seed("train", list(frameworks = 1), manifest = path, python = TRUE),
               "key \"frameworks\": seedbridge.seed_everything() in Python takes no key of that name", fixed = TRUE,
               class = "seedbridge_derivation_error")
  expect_error(sb_set_seed("train", manifest = path, python = NA), "python must be TRUE or FALSE",
               class = "seedbridge_derivation_error")
})
