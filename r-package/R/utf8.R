# Text as the derivation reads it: Unicode, encoded as UTF-8, the same bytes in every locale.
#
# The rule (docs/derivation.md, "Text"; ?sb_derive): a string is read in the encoding R gives it:
# its mark ("UTF-8" or "latin1"), else the session's encoding, except in a C/POSIX session, whose
# encoding (ASCII) has no other characters: there the bytes are taken as UTF-8, which is what a UTF-8
# script or file holds. What is not valid UTF-8 after that is refused, as are strings marked "bytes".
# R strings cannot hold NUL, and R's parser turns a lone surrogate ("\ud800") into bytes that are not
# valid UTF-8, so both are refused too, as in Python.

# The session's character encoding, as the text rule needs it: "utf8", "ascii" (C/POSIX) or "other"
# (latin1 and other legacy encodings, which iconv() converts from).
session_encoding <- function() {
  info <- l10n_info()
  if (isTRUE(info[["UTF-8"]])) {
    return("utf8")
  }
  # l10n_info() has a codeset on Unix-alikes; Windows names a code page instead.
  codeset <- info[["codeset"]]
  if (is.character(codeset) && length(codeset) == 1L && toupper(codeset) %in% ascii_codesets) "ascii" else "other"
}
ascii_codesets <- c("ANSI_X3.4-1968", "US-ASCII", "ASCII", "646")

# Each string of `x` (no NA) converted to UTF-8 by the rule above, marked "UTF-8"; NA where the rule
# refuses it.
to_utf8 <- function(x, session = session_encoding()) {
  enc <- Encoding(x)
  if (session != "other" && !any(enc == "latin1" | enc == "bytes") && all(validUTF8(x))) {
    # The usual case: unmarked or UTF-8 text whose bytes are valid UTF-8.
    Encoding(x) <- "UTF-8"
    return(x)
  }
  out <- x
  latin1 <- enc == "latin1"
  if (any(latin1)) {
    out[latin1] <- iconv(x[latin1], "latin1", "UTF-8")
  }
  if (session == "other") {
    native <- enc == "unknown"
    if (any(native)) out[native] <- iconv(x[native], "", "UTF-8")
  }
  out[enc == "bytes" | is.na(out) | !validUTF8(out)] <- NA_character_
  Encoding(out) <- "UTF-8"
  out
}

# How R writes what it cannot show in the session's encoding: "<U+00E9>", "<U+0001F3B2>" for
# characters, "<c3>" for bytes (translateChar in R's src/main/sysutils.c). In a session that is not
# UTF-8, R puts these in argument names and list() names that hold other characters (the parser
# installs names as symbols in the native encoding), and enc2native(), format() and enc2utf8() write
# them too. seedbridge then sees text that differs from what was typed.
r_escape_pattern <- "<U\\+[0-9A-F]{4}>|<U\\+[0-9A-F]{8}>|<[0-9a-f]{2}>"

# `x` (a character vector without NA) as UTF-8 text, or a seedbridge_derivation_error that says which
# string (`what`: one label, or one per string; evaluated only for the message) breaks the rule. With `inputs = TRUE` (names and
# values given to the derivation by R code), R's escapes are refused in a session that is not UTF-8:
# the text R rewrote cannot be told from text typed that way, and a different seed must never be
# given silently.
utf8_text <- function(x, what, inputs = FALSE, session = session_encoding()) {
  if (plain_ascii(x)) {
    return(x) # the usual names and values: nothing to convert or check, whatever the session
  }
  out <- to_utf8(x, session)
  if (anyNA(out)) {
    i <- which(is.na(out))[[1L]]
    what <- rep_len(what, length(x))
    rule <- if (Encoding(x[[i]]) == "bytes") {
      "is marked as \"bytes\"; seedbridge takes text only (set Encoding(x) <- \"UTF-8\" if the bytes are UTF-8)"
    } else {
      "must be valid UTF-8 text"
    }
    sb_abort(sprintf("%s: %s, got %s", what[[i]], rule, show_text(x[[i]])), "derivation_error")
  }
  # Every escape starts with "<": the fixed search spares the usual text the regular expression.
  if (inputs && session != "utf8" && any(grepl("<", out, fixed = TRUE))) {
    escaped <- which(grepl(r_escape_pattern, out, perl = TRUE))
    if (length(escaped)) {
      i <- escaped[[1L]]
      what <- rep_len(what, length(x))
      sb_abort(sprintf(paste(
        "%s: %s holds %s, which is how R writes what this session's encoding (%s) cannot hold:",
        "R changed the text before seedbridge saw it, and its seed would differ from Python's;",
        "run R in a UTF-8 locale (LC_ALL=C.UTF-8), or give such names in a list built with names(x) <- (see ?sb_seed)"
      ), what[[i]], show_text(out[[i]]), regmatches(out[[i]], regexpr(r_escape_pattern, out[[i]], perl = TRUE)),
      if (session == "ascii") "ASCII" else "not UTF-8"), "derivation_error")
    }
  }
  out
}

# TRUE when every string of `x` is ASCII (R never marks such strings) and holds no "<": the same
# text in every session and encoding, where none of R's escapes can hide, so the text rule has
# nothing to convert or check. One pass over the bytes, cheaper than any step of the rule.
plain_ascii <- function(x) {
  if (anyNA(x)) {
    return(FALSE)
  }
  b <- charToRaw(if (length(x) == 1L) x else paste0(x, collapse = ""))
  all(b < non_ascii & b != escape_start)
}
non_ascii <- as.raw(0x80)
escape_start <- charToRaw("<")

# The same string, marked as UTF-8 (an error if it breaks the text rule).
as_utf8 <- function(x) {
  utf8_text(x, "text")
}

# The UTF-8 bytes of one string (an error if it breaks the text rule).
utf8_bytes <- function(x) {
  charToRaw(as_utf8(x))
}

# A plain ASCII key of a string's UTF-8 bytes: two lower-case hex digits per byte. Comparing
# these keys in any locale compares the bytes, which is the key order the derivation needs
# ("Z" < "a" < "z" < "\u00e9"), and matching them matches strings byte for byte.
byte_key <- function(x) {
  paste(as.character(utf8_bytes(x)), collapse = "")
}

# A string that breaks the text rule, for messages: printable ASCII as it is, every other byte (and
# the quote and backslash) as \xNN, so the message shows what R was given.
escape_bytes <- function(x) {
  b <- as.integer(charToRaw(x))
  plain <- b >= 0x20 & b < 0x7f & b != 0x22 & b != 0x5c
  shown <- sprintf("\\x%02x", b)
  shown[plain] <- vapply(b[plain], function(v) rawToChar(as.raw(v)), "")
  paste(shown, collapse = "")
}
