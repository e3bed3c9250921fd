# Writes a manifest (lines of text) to a temp file as UTF-8 bytes, whatever the locale; deleted
# when the calling test ends.
local_manifest <- function(lines, .local_envir = parent.frame()) {
  path <- withr::local_tempfile(fileext = ".yaml", .local_envir = .local_envir)
  text <- paste0(paste(vapply(lines, as_utf8, ""), collapse = "\n"), "\n")
  writeBin(charToRaw(text), path)
  path
}

# A manifest with root 0x2a and the given job lines under `jobs:`.
local_jobs <- function(jobs = "  train: {}", .local_envir = parent.frame()) {
  local_manifest(c("seedbridge: 1", "derivation: 1", "root:", "  entropy: \"0x2a\"", "jobs:", jobs),
                 .local_envir = .local_envir)
}

# Restores .Random.seed and the RNG kinds when the calling test ends.
local_rng_sandbox <- function(.local_envir = parent.frame()) {
  old <- rng_state()
  withr::defer(rng_restore(old), envir = .local_envir)
}

# The shared golden vectors: $SEEDBRIDGE_GOLDEN (set by the Makefile for R CMD check), else the
# file in the source tree next to r-package/. Never copied into the package.
golden_path <- function() {
  env <- Sys.getenv("SEEDBRIDGE_GOLDEN", unset = "")
  candidates <- c(env, file.path("..", "..", "..", "tests", "golden", "derivation-v1.json"))
  found <- candidates[nzchar(candidates) & file.exists(candidates)]
  if (length(found)) normalizePath(found[[1L]]) else NULL
}

read_golden <- function(path) {
  text <- paste(readLines(path, encoding = "UTF-8", warn = FALSE), collapse = "\n")
  # JSON integers wider than 2^53 (the key epoch = 12345678901234567890) would become inexact
  # doubles; quoted, they are text, which the derivation encodes to the same bytes.
  text <- gsub("(:[[:space:]]*)(-?[0-9]{16,})", "\\1\"\\2\"", text)
  jsonlite::fromJSON(text, simplifyVector = FALSE)
}

# Runs `code` with LC_CTYPE set to C (R's character handling then treats non-ASCII as bytes).
with_c_ctype <- function(code) {
  withr::with_locale(c(LC_CTYPE = "C"), code)
}

# Runs `code` with a UTF-8 LC_CTYPE (R CMD check may run in the C locale); skips the test when the
# machine has none.
with_utf8_ctype <- function(code) {
  candidates <- c("C.UTF-8", "C.utf8", "en_US.UTF-8", "UTF-8")
  works <- vapply(candidates, function(l) {
    suppressWarnings(withr::with_locale(c(LC_CTYPE = l), identical(l10n_info()[["UTF-8"]], TRUE)))
  }, logical(1L))
  skip_if(!any(works), "no UTF-8 locale on this machine")
  withr::with_locale(c(LC_CTYPE = candidates[works][[1L]]), code)
}

# Parses and evaluates `text` (R code) with LC_CTYPE set to C, as Rscript does with a script in a C
# locale: names written as arguments or in list() pass through R's parser there.
eval_in_c_ctype <- function(text, envir = parent.frame()) {
  with_c_ctype(suppressWarnings(eval(parse(text = text, keep.source = FALSE)[[1L]], envir)))
}

# The manifest conformance corpus (tests/conformance): $SEEDBRIDGE_CONFORMANCE (set by the Makefile
# for R CMD check), else the folder in the source tree next to r-package/. Never copied into the package.
conformance_path <- function() {
  env <- Sys.getenv("SEEDBRIDGE_CONFORMANCE", unset = "")
  candidates <- c(env, file.path("..", "..", "..", "tests", "conformance"))
  found <- candidates[nzchar(candidates) & file.exists(file.path(candidates, "expected.json"))]
  if (length(found)) normalizePath(found[[1L]]) else NULL
}
