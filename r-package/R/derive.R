# The derivation, version 1 (docs/derivation.md is normative; seedbridge/derive.py is the Python
# twin). Version 1 outputs never change: tests/golden/derivation-v1.json pins them, and both the
# Python and the R tests check every vector.

derivation_versions <- 1L
allowed_bits <- c(31L, 32L, 63L, 64L, 128L)
derivation_tag <- "seedbridge-derivation"
root_hex_digits <- 32L # the base is at most 128 bits

#' Derive a seed from a base, a job name and keys
#'
#' The bare seed derivation of seedbridge, version 1: SHA-256 over a length-prefixed encoding of
#' the base, the job name and the keys sorted by the UTF-8 bytes of their names, truncated to `bits`
#' bits. It needs no manifest; [sb_seed()] calls it with the manifest's root (or the job's pin).
#' Python's `seedbridge.derive.derive()` computes the same numbers; the golden vectors in
#' `tests/golden/derivation-v1.json` keep the two in step.
#'
#' Key values are encoded as text: text stays as it is (`"03"` is not `"3"`), integral numbers are
#' written in decimal (`3`, `3L` and `"3"` give the same seed). Non-integral numbers, `NA`,
#' booleans and vectors of length other than one are errors. Integers beyond 2^53 do not fit a
#' double exactly: give them as text (`epoch = "12345678901234567890"`).
#'
#' @param base The base of the derivation, 0 to 2^128 - 1: `"0x"` hex text, decimal text, or a whole
#'   number (at most 2^53).
#' @param job The job name (text; any characters, compared and hashed as UTF-8).
#' @param keys A named list of keys, such as `list(rank = 1, split = "a")`.
#' @param bits Width of the seed: 31 (the portable seed, the default), 32, 63, 64 or 128.
#' @param version Derivation version; only 1 exists.
#' @return The seed: an integer for 31 bits, a double for 32 bits (both exact), and decimal text
#'   for 63, 64 and 128 bits, since R has no 64-bit integer.
#' @seealso [sb_seed()] for a job of a manifest.
#' @export
#' @examples
#' sb_derive("0x2a", "train")
#' sb_derive("0x2a", "train", keys = list(rank = 3))
#' identical(sb_derive("0x2a", "train", list(rank = 3)), sb_derive("0x2a", "train", list(rank = "3")))
#' sb_derive("0x2a", "train", bits = 64)
sb_derive <- function(base, job, keys = list(), bits = 31L, version = 1L) {
  check_version(version)
  bits <- check_bits(bits)
  message <- derive_message(parse_base(base), check_job_name(job), keys)
  digest_hex <- digest::digest(message, algo = "sha256", serialize = FALSE)
  bits_to_seed(hex_to_bits(digest_hex)[seq_len(bits)], bits)
}

check_version <- function(version) {
  if (!(is.numeric(version) && length(version) == 1L && !is.na(version) &&
    version %in% derivation_versions)) {
    sb_abort(sprintf("derivation must be one of %s, got %s",
                     paste(derivation_versions, collapse = ", "), describe_value(version)),
             "derivation_error")
  }
  invisible(as.integer(version))
}

check_bits <- function(bits) {
  if (!(is.numeric(bits) && length(bits) == 1L && !is.na(bits) && bits %in% allowed_bits)) {
    sb_abort(sprintf("bits must be one of %s, got %s", paste(allowed_bits, collapse = ", "),
                     describe_value(bits)),
             "derivation_error")
  }
  as.integer(bits)
}

check_job_name <- function(job) {
  if (!(is.character(job) && length(job) == 1L && !is.na(job))) {
    sb_abort(sprintf("job name must be a single string, got %s", describe_value(job)),
             "derivation_error")
  }
  job
}

# The base as 32 lower-case hex digits. Accepts "0x" hex text (any case), decimal text, or a whole
# number up to 2^53 (doubles are exact there).
parse_base <- function(base) {
  bad <- function() {
    sb_abort(sprintf("base must be an integer in 0..2**128-1 (\"0x\" hex text, decimal text or a whole number), got %s",
                     describe_value(base)),
             "derivation_error")
  }
  if (is.character(base) && length(base) == 1L && !is.na(base)) {
    text <- trimws(base)
    if (grepl("^0[xX][0-9a-fA-F]+$", text)) {
      hex <- strip_hex(substring(text, 3L))
    } else if (grepl("^[0-9]+$", text)) {
      hex <- dec_to_hex(text)
    } else {
      bad()
    }
  } else if (is.numeric(base) && !is.object(base) && length(base) == 1L && is.finite(base) &&
    base >= 0 && base == floor(base) && base <= 2^53) {
    hex <- dec_to_hex(sprintf("%.0f", base))
  } else {
    bad()
  }
  if (hex_bit_length(hex) > 128L) {
    bad()
  }
  paste0(strrep("0", root_hex_digits - nchar(hex)), hex)
}

# The canonical text of one key value (docs/derivation.md, "Key values").
key_text <- function(name, value) {
  bad <- function(rule) {
    sb_abort(sprintf("key %s: %s, got %s", show_text(name), rule, describe_value(value)),
             "derivation_error")
  }
  if (is.null(value) || is.factor(value) || is.object(value) && !is.character(value) && !is.numeric(value)) {
    bad("must be text or an integral number")
  }
  if (length(value) != 1L) {
    bad("must be a single value")
  }
  if (is.logical(value)) {
    bad("must be text or an integral number, not a boolean")
  }
  if (is.character(value)) {
    if (is.na(value)) bad("must not be NA")
    return(value)
  }
  if (is.integer(value)) {
    if (is.na(value)) bad("must not be NA")
    return(as.character(value))
  }
  if (is.double(value)) {
    if (is.na(value) || !is.finite(value) || value != floor(value)) {
      bad("must be text or an integral number")
    }
    # "%.0f" prints a double's exact integer value (2^60 is 1152921504606846976); -0 is "0".
    return(if (value == 0) "0" else sprintf("%.0f", value))
  }
  bad("must be text or an integral number")
}

# Named keys (a list, possibly from `...`) as a list of name/value UTF-8 byte pairs sorted by the
# bytes of their names.
encode_keys <- function(keys) {
  if (length(keys) == 0L) {
    return(list())
  }
  if (!is.list(keys)) {
    sb_abort(sprintf("keys must be a named list such as list(rank = 1), got %s", describe_value(keys)),
             "derivation_error")
  }
  nms <- names(keys)
  if (is.null(nms) || anyNA(nms) || any(nms == "")) {
    where <- if (is.null(nms)) 1L else which(is.na(nms) | nms == "")[[1L]]
    sb_abort(sprintf("keys must be named such as rank = 1; the key in position %d has no name", where),
             "derivation_error")
  }
  byte_keys <- vapply(nms, byte_key, character(1L), USE.NAMES = FALSE)
  twice <- duplicated(byte_keys)
  if (any(twice)) {
    sb_abort(sprintf("key %s is given twice; each key name must be unique", show_text(nms[twice][[1L]])),
             "derivation_error")
  }
  pairs <- lapply(seq_along(keys), function(i) {
    list(name = utf8_bytes(nms[[i]]), value = utf8_bytes(key_text(nms[[i]], keys[[i]])))
  })
  pairs[order(byte_keys, method = "radix")]
}

netstring <- function(bytes) {
  c(charToRaw(as.character(length(bytes))), charToRaw(":"), bytes, charToRaw(","))
}

# The message of version 1: netstrings of the tag, the version, the base (32 hex digits), the job,
# the number of keys, then each key's name and value.
derive_message <- function(base_hex, job, keys) {
  pairs <- encode_keys(keys)
  parts <- list(
    netstring(charToRaw(derivation_tag)),
    netstring(charToRaw("1")),
    netstring(charToRaw(base_hex)),
    netstring(utf8_bytes(job)),
    netstring(charToRaw(as.character(length(pairs))))
  )
  for (p in pairs) {
    parts <- c(parts, list(netstring(p$name), netstring(p$value)))
  }
  unlist(parts, use.names = FALSE)
}
