# The derivation, version 1 (docs/derivation.md is normative; seedbridge/derive.py is the Python
# twin). Version 1 outputs never change: tests/golden/derivation-v1.json pins them, and both the
# Python and the R tests check every vector.

derivation_versions <- 1L
allowed_bits <- c(31L, 32L, 63L, 64L, 128L)
derivation_tag <- "seedbridge-derivation"
# The fields every version 1 message starts with: the tag, the version, then the base's netstring.
message_head <- sprintf("%d:%s,1:1,32:", nchar(derivation_tag), derivation_tag)
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
#' @section Text and locales:
#' Job names, key names and key values are Unicode text, hashed as UTF-8, as in Python; the same
#' text gives the same seed in every locale. A string is read in the encoding R gives it: its mark
#' (`"UTF-8"`, `"latin1"`), else the session's encoding, except in a C/POSIX session (`LC_ALL=C`),
#' whose encoding (ASCII) has no other characters: there its bytes are taken as UTF-8, which is what
#' a UTF-8 script or file holds. Text that is not valid UTF-8 after that (such as `"caf\xe9"` in a
#' UTF-8 session, or what R's parser makes of a lone surrogate `"\ud800"`) and text marked `"bytes"`
#' are errors. R strings cannot hold NUL.
#'
#' In a session whose locale is not UTF-8, R's parser writes names it cannot represent in the
#' locale's encoding as escapes before any function sees them: `sb_seed("train", "\u00e9" = 1)` and
#' `list("\u00e9" = 1)` arrive with the name `"<U+00E9>"` (R warns "unable to translate"), and
#' `enc2native()`, `format()` and `enc2utf8()` write such escapes too (`"<U+00E9>"`, `"<c3>"`).
#' The original characters cannot be told from text typed that way, so seedbridge refuses text
#' holding these escapes in such a session (a `seedbridge_derivation_error`) rather than give a
#' seed Python would not. Run R in a UTF-8 locale (`LC_ALL=C.UTF-8 Rscript script.R`), or build the
#' names with `names(keys) <- "\u00e9"`, which keeps them, and pass the list:
#' `sb_seed("train", keys)`, `sb_derive(base, job, keys)`.
#'
#' @param base The base of the derivation, 0 to 2^128 - 1: `"0x"` hex text, decimal text, or a whole
#'   number (at most 2^53).
#' @param job The job name (text; any characters, compared and hashed as UTF-8; see "Text and
#'   locales").
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
  derive_seed(parse_base(base), check_job_name(job), keys, bits)
}

# The derivation from a base given as 32 hex digits (parse_base's output) and a checked job name.
derive_seed <- function(base_hex, job, keys, bits, session = session_encoding()) {
  digest_to_seed(sha256_hex(derive_message(base_hex, job, keys, session)), bits)
}

# digest's vectorised SHA-256 (digest::getVDigest(), digest >= 0.6.21): digest::digest() spends most
# of a short message's time on its argument handling. Made on first use, never at load time.
cache <- new.env(parent = emptyenv())

sha256_hex <- function(bytes) {
  f <- cache$sha256
  if (is.null(f)) {
    f <- cache$sha256 <- digest::getVDigest("sha256")
  }
  f(bytes, serialize = FALSE)
}

check_version <- function(version) {
  if (is.integer(version) && length(version) == 1L && !is.na(version) && version == 1L) {
    return(invisible(version))
  }
  if (!(is.numeric(version) && length(version) == 1L && !is.na(version) &&
    version %in% derivation_versions)) {
    sb_abort(sprintf("derivation must be one of %s, got %s",
                     paste(derivation_versions, collapse = ", "), describe_value(version)),
             "derivation_error")
  }
  invisible(as.integer(version))
}

check_bits <- function(bits) {
  if (is.integer(bits) && length(bits) == 1L && !is.na(bits) && bits == 31L) {
    return(bits)
  }
  if (!(is.numeric(bits) && length(bits) == 1L && !is.na(bits) && bits %in% allowed_bits)) {
    sb_abort(sprintf("bits must be one of %s, got %s", paste(allowed_bits, collapse = ", "),
                     describe_value(bits)),
             "derivation_error")
  }
  as.integer(bits)
}

# The job name as UTF-8 text (the text rule of utf8.R), or an error.
check_job_name <- function(job, session = session_encoding()) {
  if (!(is.character(job) && length(job) == 1L && !is.na(job))) {
    sb_abort(sprintf("job name must be a single string, got %s", describe_value(job)),
             "derivation_error")
  }
  utf8_text(job, "job name", inputs = TRUE, session = session)
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
  # The usual values first: one string, one integer, one whole double.
  if (!is.object(value) && length(value) == 1L && !is.na(value)) {
    if (is.character(value)) return(value)
    if (is.integer(value)) return(as.character(value))
    if (is.double(value) && is.finite(value) && value == floor(value)) {
      # Whole doubles in integer range print as integers; "%.0f" prints wider ones exactly
      # (2^60 is 1152921504606846976). -0 is "0" either way.
      return(if (abs(value) < 2^31) as.character(as.integer(value)) else sprintf("%.0f", value))
    }
  }
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
    return(if (value == 0) "0" else sprintf("%.0f", value))
  }
  bad("must be text or an integral number")
}

# The key fields of the message: the number of keys, then each key's name and value, as UTF-8 text,
# sorted by the bytes of the names.
encode_keys <- function(keys, session = session_encoding()) {
  n <- length(keys)
  if (n == 0L) {
    return("0")
  }
  if (!is.list(keys)) {
    sb_abort(sprintf("keys must be a named list such as list(rank = 1), got %s", describe_value(keys)),
             "derivation_error")
  }
  nms <- names(keys)
  if (is.null(nms) || anyNA(nms) || !all(nzchar(nms))) {
    where <- if (is.null(nms)) 1L else which(is.na(nms) | !nzchar(nms))[[1L]]
    sb_abort(sprintf("keys must be named such as rank = 1; the key in position %d has no name", where),
             "derivation_error")
  }
  values <- character(n)
  for (i in seq_len(n)) values[[i]] <- key_text(nms[[i]], keys[[i]])
  text <- utf8_text(c(nms, values), c(rep("key name", n), paste("key", vapply(nms, show_text, ""))),
                    inputs = TRUE, session = session)
  if (n == 1L) {
    return(c("1", text))
  }
  c(as.character(n), text[key_fields(text[seq_len(n)])])
}

# Where the key fields come from in c(names, values), in the message's order: each name and its value,
# the names sorted by their bytes; or an error when a name is given twice. Radix
# sorting compares UTF-8 text byte by byte in every locale (?sort), but order() costs more than the
# SHA-256 of the message, so the order of each set of ASCII names is kept (a loop calls sb_seed with the
# same names again and again), up to 256 sets. The id is the names' netstrings: one id per list. Names
# that are not ASCII (marked "UTF-8" by utf8_text) are not kept: an environment's names are translated
# to the session's encoding, which may not hold them; nor are ids beyond 1000 bytes (R limits the
# names of variables to 10000 bytes).
key_field_orders <- new.env(parent = emptyenv())

key_fields <- function(nms) {
  cached <- all(Encoding(nms) == "unknown")
  if (cached) {
    id <- paste0(nchar(nms, type = "bytes"), ":", nms, collapse = "")
    cached <- nchar(id, type = "bytes") <= 1000L
  }
  if (cached) {
    o <- key_field_orders[[id]]
    if (!is.null(o)) {
      return(o)
    }
  }
  twice <- anyDuplicated(nms)
  if (twice) {
    sb_abort(sprintf("key %s is given twice; each key name must be unique", show_text(nms[[twice]])),
             "derivation_error")
  }
  o <- order(nms, method = "radix")
  o <- as.vector(rbind(o, length(nms) + o))
  if (cached) {
    cache_put(key_field_orders, id, o)
  }
  o
}

# Stores `value` under the ASCII text `id` in the cache `env`, emptied first when it holds 256 entries:
# a bound on what a long session keeps, far above what a pipeline's loop uses.
cache_put <- function(env, id, value) {
  if (length(env) >= 256L) {
    rm(list = ls(env, all.names = TRUE), envir = env)
  }
  assign(id, value, envir = env)
}

# The message of version 1: netstrings of the tag, the version, the base (32 hex digits), the job,
# the number of keys, then each key's name and value. `job` is text check_job_name() has checked.
# The message is one string whose bytes are the message (marked "bytes" when not ASCII).
derive_message <- function(base_hex, job, keys, session = session_encoding()) {
  fields <- c(job, encode_keys(keys, session))
  # Marked "bytes", paste() joins the UTF-8 bytes as they are, in any locale.
  Encoding(fields) <- "bytes"
  paste0(message_head, base_hex, ",", paste0(nchar(fields, type = "bytes"), ":", fields, ",", collapse = ""))
}
