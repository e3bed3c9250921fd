#' The seed of a job
#'
#' Looks the job up in the manifest and derives its seed (derivation version 1, as Python's
#' `Manifest.seed()`): from the root entropy, or from the job's pinned `seed` when it has one.
#' A pinned job without keys returns the pin itself; with keys, the pin is the base of the
#' derivation, so changing the pin changes every rank, worker and epoch seed of that job only.
#'
#' Keys are compared and hashed as UTF-8 text; `rank = 1`, `rank = 1L` and `rank = "1"` give the
#' same seed. Key names cannot be `bits` or `manifest` (the arguments), as in Python.
#'
#' @param job Name of a job declared in the manifest.
#' @param ... Named keys such as `rank = 1`, `fold = "a"`: text or integral numbers.
#' @param bits Width of the seed: 31 (the portable seed, valid for [set.seed()], the default), 32,
#'   63, 64 or 128.
#' @param manifest A manifest from [sb_manifest()] or a path to one; by default `sb_manifest()`
#'   (`SEEDBRIDGE_MANIFEST`, else `seedbridge.yaml`).
#' @return For 31 bits an integer, for 32 bits a double (both exact); for 63, 64 and 128 bits
#'   decimal text, since R has no 64-bit integer.
#' @section Errors:
#' `seedbridge_unknown_job_error` for a job the manifest does not declare (with the closest
#' names), `seedbridge_derivation_error` for bad keys or `bits`, `seedbridge_seed_range_error`
#' when a pinned seed does not fit in `bits`.
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
sb_seed <- function(job, ..., bits = 31L, manifest = sb_manifest()) {
  m <- as_manifest(manifest)
  j <- manifest_job(m, job)
  bits <- check_bits(bits)
  keys <- list(...)
  if (!is.null(j$seed) && length(keys) == 0L) {
    if (hex_bit_length(j$seed) > bits) {
      sb_abort(sprintf("job %s pins seed %s, which does not fit in %d bits (0..%s)", show_text(job),
                       hex_to_dec(substring(j$seed, 3L)), bits, max_seed_text(bits)),
               "seed_range_error")
    }
    return(hex_to_seed(substring(j$seed, 3L), bits))
  }
  base <- if (is.null(j$seed)) m$root$entropy else j$seed
  sb_derive(base, j$name, keys = keys, bits = bits, version = m$derivation)
}
