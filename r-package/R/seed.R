#' The seed of a job
#'
#' Looks the job up in the manifest and derives its seed (derivation version 1, as Python's
#' `Manifest.seed()`): from the root entropy, or from the job's pinned `seed` when it has one.
#' A pinned job without keys returns the pin itself; with keys, the pin is the base of the
#' derivation, so changing the pin changes every rank, worker and epoch seed of that job only.
#'
#' Keys are compared and hashed as UTF-8 text; `rank = 1`, `rank = 1L` and `rank = "1"` give the
#' same seed. Keys can also come as a named list among `...`: `sb_seed("train", keys)` with
#' `keys <- list(rank = 1)`. Use a list for keys named like an argument (`bits`, `manifest`), for
#' names built in code, and for non-ASCII names in a session whose locale is not UTF-8, where R
#' rewrites names written as arguments (see "Text and locales" in [sb_derive()]).
#'
#' @param job Name of a job declared in the manifest.
#' @param ... Named keys such as `rank = 1`, `fold = "a"`: text or integral numbers; or named lists
#'   of such keys.
#' @param bits Width of the seed: 31 (the portable seed, valid for [set.seed()], the default), 32,
#'   63, 64 or 128.
#' @param manifest A manifest from [sb_manifest()] or a path to one; by default `sb_manifest()`
#'   (`SEEDBRIDGE_MANIFEST`, else `seedbridge.yaml`).
#' @return For 31 bits an integer, for 32 bits a double (both exact); for 63, 64 and 128 bits
#'   decimal text, since R has no 64-bit integer.
#' @section Errors:
#' `seedbridge_unknown_job_error` for a job the manifest does not declare (with the closest
#' names), `seedbridge_derivation_error` for bad keys or `bits`, or text that breaks the text rule
#' of [sb_derive()], `seedbridge_seed_range_error` when a pinned seed does not fit in `bits`.
#' @seealso [sb_set_seed()] to seed R with it, [sb_derive()] for the bare derivation.
#' @export
#' @examples
#' path <- tempfile(fileext = ".yaml")
#' writeLines(c(
#'   "seedbridge: 1", "derivation: 1",
#'   "root: {entropy: \"0x2a\"}",
#'   "jobs: {train: {}, eval: {seed: 7}}"
#' ), path)
#' sb_seed("train", manifest = path)
#' sb_seed("train", rank = 1, manifest = path)
#' sb_seed("train", bits = 64, manifest = path)
#' sb_seed("eval", manifest = path) # the pin
#' sb_seed("eval", fold = 2, manifest = path) # derived from the pin
#' keys <- list(bits = 1) # a key named like an argument
#' sb_seed("train", keys, manifest = path)
sb_seed <- function(job, ..., bits = 31L, manifest = sb_manifest()) {
  m <- if (inherits(manifest, "seedbridge_manifest")) manifest else as_manifest(manifest)
  j <- find_job(m, job)
  job_seed(m, j, dots_keys(list(...)), check_bits(bits))
}

# The seed of job `j` of manifest `m` for `keys` (a named list) in `bits` bits.
job_seed <- function(m, j, keys, bits, session = session_encoding()) {
  if (!is.null(j$seed) && length(keys) == 0L) {
    if (hex_bit_length(j$seed) > bits) {
      sb_abort(sprintf("job %s pins seed %s, which does not fit in %d bits (0..%s)", show_text(j$name),
                       hex_to_dec(substring(j$seed, 3L)), bits, max_seed_text(bits)),
               "seed_range_error")
    }
    return(hex_to_seed(substring(j$seed, 3L), bits))
  }
  check_version(m$derivation)
  derive_seed(base_hex_of(if (is.null(j$seed)) m$root$entropy else j$seed), j$name, keys, bits, session)
}

# The base of the derivation from a root entropy or pin, "0x" and at most 32 lower-case hex digits (as
# sb_manifest() gives them): those digits, zero-padded to 32. Kept per text (up to 256): a manifest has
# a few, used again and again.
base_hexes <- new.env(parent = emptyenv())

base_hex_of <- function(base) {
  hex <- base_hexes[[base]]
  if (is.null(hex)) {
    hex <- paste0(strrep("0", root_hex_digits + 2L - nchar(base)), substr(base, 3L, 34L))
    cache_put(base_hexes, base, hex)
  }
  hex
}

# The job called `job`: found by name first, else through manifest_job(), which matches bytes and
# reports an unknown job. The names of m$jobs are UTF-8 text and R compares strings of different
# encodings as UTF-8, so a match by name is the same text and needs no other check for plain ASCII
# and in a UTF-8 session; elsewhere the name goes through the text rule first.
find_job <- function(m, job, session = session_encoding()) {
  if (is.character(job) && length(job) == 1L && !is.na(job) &&
    (plain_ascii(job) || session == "utf8" && Encoding(job) != "bytes")) {
    j <- m$jobs[[job]]
    if (!is.null(j)) return(j)
  }
  j <- m$jobs[[check_job_name(job, session)]]
  if (is.null(j)) manifest_job(m, job) else j
}

# The keys of a call's `...`: named arguments, and unnamed named lists, whose elements are keys.
# A list's names are kept as R made them with names(x) <-, while names written as arguments or in
# list() pass through R's parser, which rewrites characters the session's encoding cannot hold.
dots_keys <- function(args) {
  nms <- names(args)
  if (is.null(nms) && length(args) == 0L || !is.null(nms) && all(nzchar(nms))) {
    return(args)
  }
  out <- list()
  for (i in seq_along(args)) {
    arg <- args[[i]]
    if (!is.null(nms) && nzchar(nms[[i]])) {
      out <- c(out, args[i])
    } else if (is.list(arg) && !is.object(arg)) {
      out <- c(out, arg)
    } else {
      sb_abort(sprintf(
        "keys must be named such as rank = 1, or given as a named list; the argument in position %d is %s",
        i, describe_value(arg)
      ), "derivation_error")
    }
  }
  out
}
