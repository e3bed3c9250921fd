# Integers wider than R's 32-bit integer (seeds up to 128 bits, decimal text) with plain
# arithmetic on digit vectors. Every limb stays below 16 * 16, so doubles are exact.

# Big-endian digits in base `from` -> big-endian digits in base `to`.
convert_digits <- function(digits, from, to) {
  out <- 0 # little-endian limbs in base `to`
  for (d in digits) {
    carry <- d
    for (i in seq_along(out)) {
      v <- out[[i]] * from + carry
      out[[i]] <- v %% to
      carry <- v %/% to
    }
    while (carry > 0) {
      out <- c(out, carry %% to)
      carry <- carry %/% to
    }
  }
  rev(out)
}

hex_digit_values <- function(hex) {
  match(strsplit(tolower(hex), "", fixed = TRUE)[[1L]], c(0:9, letters[1:6])) - 1
}

# "ff" -> "255" (hex without 0x; any case).
hex_to_dec <- function(hex) {
  paste(convert_digits(hex_digit_values(hex), 16, 10), collapse = "")
}

# "255" -> "ff" (decimal digits only).
dec_to_hex <- function(dec) {
  digits <- as.numeric(strsplit(dec, "", fixed = TRUE)[[1L]])
  paste(c(0:9, letters[1:6])[convert_digits(digits, 10, 16) + 1], collapse = "")
}

# Lower-case hex without "0x" and leading zeros ("0" for zero).
strip_hex <- function(hex) {
  out <- sub("^0+", "", sub("^0[xX]", "", tolower(hex)))
  if (out == "") "0" else out
}

# The number of significant bits of a hex number.
hex_bit_length <- function(hex) {
  hex <- strip_hex(hex)
  if (hex == "0") {
    return(0L)
  }
  first <- hex_digit_values(substr(hex, 1L, 1L))
  4L * (nchar(hex) - 1L) + as.integer(floor(log2(first)) + 1)
}

# The bits of a hex number, most significant first, 4 per digit.
hex_to_bits <- function(hex) {
  v <- hex_digit_values(hex)
  as.vector(rbind(v %/% 8, (v %/% 4) %% 2, (v %/% 2) %% 2, v %% 2))
}

# A number given as big-endian bits in R's representation for a seed of width `bits`: 31 bits an
# integer, 32 bits a double (both exact), wider a decimal string (R has no 64-bit integer).
bits_to_seed <- function(b, bits) {
  if (bits <= 32L) {
    value <- sum(b * 2^(rev(seq_along(b)) - 1))
    return(if (bits == 31L) as.integer(value) else value)
  }
  paste(convert_digits(b, 2, 10), collapse = "")
}

# A hex number as a seed of width `bits` (the caller has checked that it fits).
hex_to_seed <- function(hex, bits) {
  b <- hex_to_bits(strip_hex(hex))
  bits_to_seed(b, bits)
}
