# Integers wider than R's 32-bit integer (seeds up to 128 bits, decimal text) with plain
# arithmetic on digit vectors held in doubles. Hex numbers travel as base-65536 digits (4 hex digits
# each) and decimal ones as base-10^7 digits (7 decimal digits each): a limb times the other base
# plus a carry stays below 2^53, so every step is exact, and a 128-bit number takes a few dozen
# steps rather than thousands.

hex_base <- 65536 # 4 hex digits
dec_base <- 1e7 # 7 decimal digits

# Big-endian digits in base `from` -> big-endian digits in base `to` (limb * from + carry < 2^53).
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

# Splits text into chunks of `width` characters, counted from the right.
chunks_from_right <- function(text, width) {
  n <- nchar(text)
  ends <- rev(seq.int(n, 1L, by = -width))
  substring(text, pmax(ends - width + 1L, 1L), ends)
}

# Hex text (no 0x, any case) -> big-endian base-65536 digits.
hex_chunks <- function(hex) {
  strtoi(chunks_from_right(hex, 4L), 16L)
}

# Big-endian base-65536 digits -> lower-case hex without leading zeros ("0" for zero).
chunks_to_hex <- function(chunks) {
  strip_hex(paste(sprintf("%04x", as.integer(chunks)), collapse = ""))
}

# Big-endian base-65536 digits -> decimal text.
chunks_to_dec <- function(chunks) {
  limbs <- convert_digits(chunks, hex_base, dec_base)
  paste0(sprintf("%.0f", limbs[[1L]]), paste(sprintf("%07.0f", limbs[-1L]), collapse = ""))
}

hex_digit_values <- function(hex) {
  match(strsplit(tolower(hex), "", fixed = TRUE)[[1L]], c(0:9, letters[1:6])) - 1
}

# "ff" -> "255" (hex without 0x; any case).
hex_to_dec <- function(hex) {
  chunks_to_dec(hex_chunks(hex))
}

# "255" -> "ff" (decimal digits only).
dec_to_hex <- function(dec) {
  chunks_to_hex(convert_digits(as.numeric(chunks_from_right(dec, 7L)), dec_base, hex_base))
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

# A number given as big-endian base-65536 digits in R's representation for a seed of width `bits`:
# 31 bits an integer, 32 bits a double (both exact), wider decimal text (R has no 64-bit integer).
# The caller has checked that it fits.
chunks_to_seed <- function(chunks, bits) {
  if (bits <= 32L) {
    value <- sum(chunks * hex_base^(rev(seq_along(chunks)) - 1))
    return(if (bits == 31L) as.integer(value) else value)
  }
  chunks_to_dec(chunks)
}

# A hex number as a seed of width `bits` (the caller has checked that it fits).
hex_to_seed <- function(hex, bits) {
  chunks_to_seed(hex_chunks(strip_hex(hex)), bits)
}

# The first `bits` bits of a hex digest (a big-endian number) as a seed of width `bits`. Every
# allowed width is a whole number of 16-bit digits, or one bit short of it (31, 63).
digest_to_seed <- function(hex, bits) {
  if (bits <= 32L) {
    # The first 8 hex digits fit a double exactly (R reads "0x" text as a number).
    value <- as.numeric(sprintf("0x%.8s", hex))
    return(if (bits == 31L) as.integer(value %/% 2) else value)
  }
  n <- (bits + 15L) %/% 16L
  starts <- seq.int(1L, by = 4L, length.out = n)
  chunks <- strtoi(substring(hex, starts, starts + 3L), 16L)
  if (bits %% 16L != 0L) {
    # Shift right by one bit: each digit loses its low bit and takes the one above's as its top.
    chunks <- chunks %/% 2 + c(0, chunks[-n] %% 2) * (hex_base / 2)
  }
  chunks_to_seed(chunks, bits)
}
