# Every error seedbridge signals on purpose goes through sb_abort(): class c("seedbridge_<kind>",
# "seedbridge_error"), no call (the message says where), extra fields in `...`.
sb_abort <- function(message, kind, ...) {
  stop(errorCondition(
    message,
    ...,
    class = c(paste0("seedbridge_", kind), "seedbridge_error"),
    call = NULL
  ))
}

# A string as it appears in messages: double-quoted, escaped (line breaks show as \n); text that is
# not valid UTF-8 shows its bytes (escape_bytes).
show_text <- function(x) {
  text <- to_utf8(x)
  if (is.na(text)) paste0("\"", escape_bytes(x), "\"") else encodeString(text, quote = "\"")
}

# A value of any type as it appears in messages, prefixed by what it is.
describe_value <- function(x) {
  if (is.null(x)) {
    return("null")
  }
  if (is.factor(x)) {
    return("a factor")
  }
  if (length(x) != 1L && !is.list(x)) {
    return(sprintf("a vector of length %d", length(x)))
  }
  if (is.logical(x)) {
    return(paste("a boolean", format(x)))
  }
  if (is.character(x)) {
    return(paste("text", if (is.na(x)) "NA" else show_text(x)))
  }
  if (is.numeric(x)) {
    return(paste("a number", format(x, digits = 17)))
  }
  paste("an object of type", typeof(x))
}
