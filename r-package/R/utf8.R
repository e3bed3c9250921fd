# Text handling that does not depend on the locale.
#
# The derivation hashes UTF-8 bytes. A CI machine running with LC_ALL=C must get the same bytes as
# a UTF-8 desktop, so strings are never passed through the native encoding.

is_ascii <- function(x) {
  !any(charToRaw(x) > as.raw(0x7f))
}

# The UTF-8 bytes of one string. A string marked UTF-8 or latin1 is exact. A native ("unknown")
# string is translated from the locale's encoding, except in a locale that is neither UTF-8 nor
# latin1 (C/POSIX): there R would turn "\u00ef" into "<c3><af>" (enc2utf8), and bytes that are
# valid UTF-8 can only come from a UTF-8 script or file, so they are taken as they are.
utf8_bytes <- function(x) {
  if (is_ascii(x)) {
    return(charToRaw(x))
  }
  enc <- Encoding(x)
  if (enc == "bytes") {
    sb_abort("text marked as \"bytes\" cannot be read as UTF-8; mark it with Encoding(x) <- \"UTF-8\"",
             "derivation_error")
  }
  info <- l10n_info()
  if (enc == "unknown" && !isTRUE(info[["UTF-8"]]) && !isTRUE(info[["Latin-1"]]) && validUTF8(x)) {
    return(charToRaw(x))
  }
  charToRaw(enc2utf8(x))
}

# The same string, marked as UTF-8.
as_utf8 <- function(x) {
  out <- rawToChar(utf8_bytes(x))
  Encoding(out) <- "UTF-8"
  out
}

# A plain ASCII key of a string's UTF-8 bytes: two lower-case hex digits per byte. Comparing
# these keys in any locale compares the bytes, which is the key order the derivation needs
# ("Z" < "a" < "z" < "\u00e9"), and matching them matches strings byte for byte.
byte_key <- function(x) {
  paste(as.character(utf8_bytes(x)), collapse = "")
}
