# The manifest: read and validate seedbridge.yaml with the rules of inst/manifest_schema.json, the
# same data and the same walk as seedbridge/_validate.py (docs/manifest.md). tests/conformance in
# the source tree holds the manifests both languages must judge alike.

# R's default RNG kinds (?RNGkind); a test checks they equal the schema's r_default_kinds.
r_default_kinds <- c(kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")

#' Read a seedbridge manifest
#'
#' Reads and validates `seedbridge.yaml` with the same rules as the Python package, stated once in
#' the package's `manifest_schema.json`: unknown keys, wrong types, an unquoted or upper-case root
#' entropy, seeds a listed framework cannot take and integers too wide for R's yaml reader are
#' errors, all reported together. The file is read as UTF-8 whatever the locale, so a job named
#' `"na\u00efve"` gets the same seed under `LC_ALL=C` as in a UTF-8 session and in Python. Only a
#' regular file of at most 1 MiB is read.
#'
#' @param path Path of the manifest. Defaults to the environment variable `SEEDBRIDGE_MANIFEST`,
#'   else `seedbridge.yaml` in the working directory.
#' @return A `seedbridge_manifest` object: a list with `path`, `schema`, `derivation`, `root`
#'   (`entropy` as lower-case `"0x"` hex text, `source`, `env`, `created`) and `jobs` (a named list;
#'   each job has `name`, `seed` (`NULL` or `"0x"` hex text), `frameworks`, `profile`,
#'   `description`, `r` (the three RNG kinds, defaults filled in) and `caffe`).
#' @section Errors:
#' A `seedbridge_manifest_error` whose message has one line per problem, each naming the file,
#' the field (such as `jobs.train.seed`) and the rule. Its fields `problems` (the lines), `fields`,
#' `rules` (stable ids such as `"unknown-key"`, the same as Python's) and `messages` hold the
#' problems one by one.
#' @export
#' @examples
#' path <- tempfile(fileext = ".yaml")
#' writeLines(c(
#'   "seedbridge: 1",
#'   "derivation: 1",
#'   "root:",
#'   "  entropy: \"0x9e3779b97f4a7c15f39cc0605cedc834\"",
#'   "jobs:",
#'   "  train:",
#'   "    frameworks: [python, r]",
#'   "  legacy:",
#'   "    seed: 1234",
#'   "    r: {sample.kind: Rounding}"
#' ), path)
#' m <- sb_manifest(path)
#' m
#' names(m$jobs)
#' m$jobs$legacy$r
sb_manifest <- function(path = default_manifest_path()) {
  if (inherits(path, "seedbridge_manifest")) {
    return(path)
  }
  if (!(is.character(path) && length(path) == 1L && !is.na(path) && nzchar(path))) {
    sb_abort(sprintf("manifest path must be a single non-empty string, got %s", describe_value(path)),
             "manifest_error", problems = character())
  }
  schema <- manifest_schema()
  w <- new_walker(path, schema)
  tree <- tryCatch(
    read_yaml_nodes(read_manifest_text(path, schema), schema),
    sb_manifest_fatal = function(e) e
  )
  if (inherits(tree, "sb_manifest_fatal")) {
    bad(w, "", tree$rule, .values = tree$details)
  } else if (is.null(tree) || node_kind(tree) == "null") {
    bad(w, "", "empty")
  } else {
    values <- walk_map(w, tree, "", "manifest")
  }
  if (length(w$rules)) {
    manifest_abort(w)
  }
  build_manifest(values, path)
}

default_manifest_path <- function() {
  env <- Sys.getenv("SEEDBRIDGE_MANIFEST", unset = "")
  if (nzchar(env)) env else "seedbridge.yaml"
}

# Accepts a seedbridge_manifest or a path.
as_manifest <- function(manifest) {
  sb_manifest(manifest)
}

# The manifest's text: a regular file of at most file_limit_bytes, without NUL, valid UTF-8, less a
# byte order mark. A FIFO or device reports size 0 and is never opened, so it cannot block.
read_manifest_text <- function(path, schema) {
  info <- file.info(path, extra_cols = FALSE)
  if (is.na(info$size)) {
    manifest_fatal("file-missing", how = "sb_manifest(path) or SEEDBRIDGE_MANIFEST")
  }
  if (isTRUE(info$isdir)) {
    manifest_fatal("not-a-file", reason = "is a directory, not a file")
  }
  limit <- schema$file_limit_bytes
  if (info$size > limit) {
    manifest_fatal("too-large", limit = format(limit, scientific = FALSE))
  }
  raw <- if (info$size > 0) readBin(path, "raw", n = limit + 1L) else raw()
  if (length(raw) > limit) {
    manifest_fatal("too-large", limit = format(limit, scientific = FALSE))
  }
  if (any(raw == as.raw(0L))) {
    manifest_fatal("nul-character")
  }
  if (length(raw) >= 3L && identical(raw[1:3], as.raw(c(0xef, 0xbb, 0xbf)))) {
    raw <- raw[-(1:3)]
  }
  text <- rawToChar(raw)
  if (!validUTF8(text)) {
    manifest_fatal("not-utf8")
  }
  Encoding(text) <- "UTF-8"
  text
}

manifest_abort <- function(w) {
  location <- ifelse(nzchar(w$fields), paste0(w$where, " ", w$fields), w$where)
  problems <- paste0(location, ": ", w$messages)
  sb_abort(paste(problems, collapse = "\n"), "manifest_error", problems = problems, fields = w$fields,
           rules = w$rules, messages = w$messages, path = w$where)
}

#' @export
print.seedbridge_manifest <- function(x, ...) {
  cat(sprintf("<seedbridge manifest> %s\n", x$path %||% "(not from a file)"))
  cat(sprintf("  schema %d, derivation %d, root %s (%s)\n", x$schema, x$derivation,
              x$root$entropy, x$root$source))
  for (job in x$jobs) {
    seed <- if (is.null(job$seed)) "derived" else paste("pinned", job$seed)
    fws <- if (length(job$frameworks)) paste(job$frameworks, collapse = ", ") else "no frameworks"
    cat(sprintf("  %s: %s; %s; %s\n", show_text(job$name), seed, fws, job$profile))
  }
  invisible(x)
}

`%||%` <- function(x, y) if (is.null(x)) y else x

build_manifest <- function(values, path) {
  root <- values$root
  jobs <- lapply(values$jobs, function(entry) {
    job <- entry$job
    kinds <- r_default_kinds
    if (length(job$r)) kinds[names(job$r)] <- unlist(job$r)
    list(name = entry$name, seed = job$seed, frameworks = job$frameworks %||% character(),
         profile = job$profile %||% "seeded", description = job$description, r = kinds,
         caffe = job$caffe %||% list())
  })
  names(jobs) <- vapply(values$jobs, `[[`, "", "name")
  structure(
    list(path = path, schema = as.integer(values$seedbridge), derivation = as.integer(values$derivation),
         root = list(entropy = root$entropy, source = root$source %||% "explicit", env = root$env,
                     created = root$created),
         jobs = jobs),
    class = "seedbridge_manifest"
  )
}

# -- messages -----------------------------------------------------------------------------------

# A rule's message with its {placeholders} filled in, in one pass (values may contain braces).
format_rule <- function(template, values) {
  m <- gregexpr("\\{[a-z_]+\\}", template)[[1L]]
  if (m[[1L]] == -1L) {
    return(template)
  }
  ends <- m + attr(m, "match.length") - 1L
  names <- substring(template, m + 1L, ends - 1L)
  literal <- substring(template, c(1L, ends + 1L), c(m - 1L, nchar(template)))
  filled <- vapply(names, function(n) as.character(values[[n]]), "")
  out <- paste0(c(rbind(literal[-length(literal)], filled), literal[[length(literal)]]), collapse = "")
  Encoding(out) <- "UTF-8"
  out
}

# Text as messages show it: double-quoted, escaped, cut when long (Python's _validate.show_text).
quote_text <- function(x) {
  cps <- utf8ToInt(x)
  n <- length(cps)
  if (n > 60L) {
    return(sprintf("\"%s...\" (%d characters)", escape_code_points(cps[seq_len(40L)]), n))
  }
  paste0("\"", escape_code_points(cps), "\"")
}

escape_code_points <- function(cps) {
  special <- cps < 32L | (cps >= 127L & cps <= 159L) | cps == 92L | cps == 34L
  if (!any(special)) {
    return(intToUtf8(cps))
  }
  parts <- intToUtf8(cps, multiple = TRUE)
  parts[special] <- vapply(cps[special], function(c) {
    switch(as.character(c), "92" = "\\\\", "34" = "\\\"", "10" = "\\n", "9" = "\\t", "13" = "\\r",
           sprintf("\\u%04x", c))
  }, "")
  out <- paste(parts, collapse = "")
  Encoding(out) <- "UTF-8"
  out
}

clip_text <- function(x) {
  cps <- utf8ToInt(x)
  if (length(cps) <= 60L) x else sprintf("%s... (%d characters)", intToUtf8(cps[seq_len(40L)]), length(cps))
}

describe_node <- function(info) {
  text <- clip_text(info$text)
  switch(info$kind,
    str = paste("text", quote_text(info$text)),
    int = paste("an integer", text),
    float = paste("a number", text),
    bool = paste("a boolean", text),
    null = "null",
    timestamp = paste("a timestamp", text),
    na = sprintf("R's NA (%s)", text),
    merge = paste("a merge key", text),
    map = "a mapping",
    seq = "a list",
    "a value of a YAML type seedbridge does not read"
  )
}

quote_hint <- function(info) {
  typed <- c("int", "float", "bool", "null", "timestamp", "na", "merge")
  if (info$kind %in% typed && nzchar(info$text)) paste("; quote it as", quote_text(info$text)) else ""
}

# A field path: jobs.train.seed; a key that is not a plain word (nor a schema key) is quoted.
join_field <- function(base, key, known = FALSE) {
  plain <- known || grepl("^[A-Za-z0-9_-]+\\z", key, perl = TRUE, useBytes = TRUE)
  shown <- if (plain) key else quote_text(key)
  if (nzchar(base)) paste0(base, ".", shown) else shown
}

# Edit distance counting a swap of two neighbours as one edit (optimal string alignment).
osa_distance <- function(a, b) {
  a <- utf8ToInt(a)
  b <- utf8ToInt(b)
  d <- matrix(0L, length(a) + 1L, length(b) + 1L)
  d[, 1L] <- seq_len(length(a) + 1L) - 1L
  d[1L, ] <- seq_len(length(b) + 1L) - 1L
  for (i in seq_along(a)) {
    for (j in seq_along(b)) {
      cost <- if (a[[i]] == b[[j]]) 0L else 1L
      d[i + 1L, j + 1L] <- min(d[i, j + 1L] + 1L, d[i + 1L, j] + 1L, d[i, j] + cost)
      if (i > 1L && j > 1L && a[[i]] == b[[j - 1L]] && a[[i - 1L]] == b[[j]]) {
        d[i + 1L, j + 1L] <- min(d[i + 1L, j + 1L], d[i - 1L, j - 1L] + 1L)
      }
    }
  }
  d[length(a) + 1L, length(b) + 1L]
}

# "; did you mean "x"?" for the closest choice (at most 2 edits, and 1 per 3 characters).
suggest <- function(key, choices) {
  n <- length(utf8ToInt(key))
  # More than 2 characters longer or shorter is more than 2 edits: no need to compute.
  near <- choices[abs(nchar(choices) - n) <= 2L]
  if (!length(near)) {
    return("")
  }
  d <- vapply(near, osa_distance, 0L, a = key)
  best <- which.min(d)
  if (d[[best]] <= 2L && 3L * d[[best]] <= n) sprintf("; did you mean %s?", quote_text(near[[best]])) else ""
}

# -- the walk -----------------------------------------------------------------------------------

invalid <- structure(list(), class = "sb_invalid")
is_invalid <- function(x) inherits(x, "sb_invalid")

# Collects every problem: field, rule id and message.
new_walker <- function(where, schema) {
  w <- new.env(parent = emptyenv())
  w$where <- where
  w$schema <- schema
  w$fields <- character()
  w$rules <- character()
  w$messages <- character()
  w
}

bad <- function(w, field, rule, ..., .values = list(...)) {
  k <- length(w$rules) + 1L
  w$fields[[k]] <- field
  w$rules[[k]] <- rule
  w$messages[[k]] <- format_rule(w$schema$rules[[rule]], .values)
  invisible(NULL)
}

walk_value <- function(w, x, field, spec) {
  switch(spec$type,
    map = walk_map(w, x, field, spec$spec),
    jobs = walk_jobs(w, x, field, spec),
    text = check_text(w, node_info(x), field, spec),
    name = check_name(w, node_info(x), field, spec),
    integer = check_integer(w, node_info(x), field, spec),
    pin = check_pin(w, node_info(x), field),
    entropy = check_entropy(w, node_info(x), field),
    timestamp = check_timestamp(w, node_info(x), field),
    list = check_list(w, x, field, spec)
  )
}

# A scalar key is named in the path; a mapping or list used as a key is not (with keys read as
# names, R's yaml cannot tell which of the two it was).
key_not_text <- function(w, e, i, field) {
  info <- list(kind = e$kind[[i]], text = e$text[[i]], shape = e$shape[[i]])
  if (info$shape == "scalar") {
    bad(w, join_field(field, info$text), "key-not-text", got = describe_node(info), hint = quote_hint(info))
  } else {
    bad(w, if (nzchar(field)) field else "(top level)", "key-not-text", got = "a mapping or list", hint = "")
  }
}

walk_map <- function(w, x, field, spec_name) {
  spec <- w$schema$fields[[spec_name]]
  kind <- node_kind(x)
  if (kind == "null" && isTRUE(spec$null_is_empty)) {
    return(list())
  }
  if (kind != "map") {
    bad(w, if (nzchar(field)) field else "(top level)", "not-mapping", got = describe_node(node_info(x)))
    return(invalid)
  }
  keys <- spec$keys
  key_names <- names(keys)
  e <- map_entries(x)
  text_key <- e$kind == "str"
  repeated <- rep(FALSE, length(text_key))
  repeated[text_key] <- duplicated(e$text[text_key])
  present <- list()
  for (i in seq_along(text_key)) {
    if (!text_key[[i]]) {
      key_not_text(w, e, i, field)
      next
    }
    key <- e$text[[i]]
    known <- key %in% key_names
    kfield <- join_field(field, key, known)
    if (repeated[[i]]) {
      bad(w, kfield, "duplicate-key")
    } else if (!known) {
      bad(w, kfield, "unknown-key", hint = suggest(key, key_names), allowed = paste(key_names, collapse = ", "))
    } else {
      present[[key]] <- i
    }
  }
  out <- list()
  for (key in key_names) {
    kfield <- join_field(field, key, TRUE)
    if (!is.null(present[[key]])) {
      value <- walk_value(w, e$values[[present[[key]]]], kfield, keys[[key]])
      if (!is_invalid(value)) out[[key]] <- value
    } else if (isTRUE(keys[[key]]$required)) {
      bad(w, kfield, "missing-key")
    }
  }
  cross_checks(w, field, keys, present, out)
  out
}

cross_checks <- function(w, field, keys, present, out) {
  for (key in names(keys)) {
    kspec <- keys[[key]]
    kfield <- join_field(field, key, TRUE)
    for (rule in c("only-when", "required-when")) {
      cond <- kspec[[sub("-", "_", rule)]]
      if (is.null(cond)) next
      other <- cond$key
      if (!is.null(present[[other]]) && is.null(out[[other]])) next # the other field is wrong already
      actual <- out[[other]] %||% keys[[other]]$default
      if (rule == "only-when" && !is.null(present[[key]]) && !identical(actual, cond$value)) {
        bad(w, kfield, rule, other = other, required = cond$value, actual = actual)
      }
      if (rule == "required-when" && is.null(present[[key]]) && identical(actual, cond$value)) {
        bad(w, kfield, rule, other = other, value = cond$value)
      }
    }
    source <- kspec$ranges_from
    if (!is.null(source) && !is.null(out[[key]]) && !is.null(out[[source]])) {
      pin <- strip_hex(substring(out[[key]], 3L))
      for (target in out[[source]]) {
        top <- w$schema$targets[[target]]$max
        if (!is.null(top) && hex_greater(pin, strip_hex(substring(top, 3L)))) {
          bad(w, kfield, "pin-out-of-range", max = w$schema$targets_max_dec[[target]], target = target,
              value = hex_to_dec(pin))
        }
      }
    }
  }
}

walk_jobs <- function(w, x, field, spec) {
  kind <- node_kind(x)
  if (kind == "null") {
    return(list()) # `jobs:` with nothing under it: no jobs yet
  }
  if (kind != "map") {
    bad(w, field, "not-mapping", got = describe_node(node_info(x)))
    return(invalid)
  }
  e <- map_entries(x)
  text_key <- e$kind == "str"
  repeated <- rep(FALSE, length(text_key))
  repeated[text_key] <- duplicated(e$text[text_key])
  control <- rep(FALSE, length(text_key))
  control[text_key] <- grepl(w$schema$patterns$control, e$text[text_key], perl = TRUE)
  jobs <- vector("list", length(text_key))
  for (i in seq_along(text_key)) {
    if (!text_key[[i]]) {
      key_not_text(w, e, i, field)
      next
    }
    name <- e$text[[i]]
    kfield <- join_field(field, name)
    if (repeated[[i]]) {
      bad(w, kfield, "duplicate-key")
      next
    }
    if (!nzchar(name)) {
      bad(w, kfield, "empty-text")
      next
    }
    if (control[[i]]) {
      bad(w, kfield, "control-character", value = quote_text(name))
      next
    }
    job <- walk_map(w, e$values[[i]], kfield, spec$spec)
    if (!is_invalid(job)) jobs[[i]] <- list(name = name, job = job)
  }
  Filter(Negate(is.null), jobs)
}

# -- scalars ------------------------------------------------------------------------------------

check_text <- function(w, info, field, spec) {
  if (info$kind != "str") {
    bad(w, field, "not-text", got = describe_node(info), hint = quote_hint(info))
    return(invalid)
  }
  text <- info$text
  if (!is.null(spec$one_of) && !(text %in% spec$one_of)) {
    bad(w, field, "not-one-of", choices = paste(spec$one_of, collapse = ", "), value = quote_text(text))
    return(invalid)
  }
  if (!is.null(spec$pattern) && !grepl(sub("\\$$", "\\\\z", spec$pattern), text, perl = TRUE, useBytes = TRUE)) {
    bad(w, field, spec$pattern_rule, value = quote_text(text))
    return(invalid)
  }
  text
}

check_name <- function(w, info, field, spec) {
  text <- check_text(w, info, field, spec)
  if (is_invalid(text)) {
    return(invalid)
  }
  if (!nzchar(text)) {
    bad(w, field, "empty-text")
    return(invalid)
  }
  if (grepl(w$schema$patterns$control, text, perl = TRUE)) {
    bad(w, field, "control-character", value = quote_text(text))
    return(invalid)
  }
  text
}

# Decimal or 0x hex text (sign allowed) as list(negative, hex); NULL past 40 digits, which is out
# of every range (and keeps a 5000-digit number from costing anything).
parse_integer_text <- function(text) {
  body <- sub("^[-+]", "", text)
  hexa <- startsWith(body, "0x")
  digits <- sub("^0+", "", if (hexa) substring(body, 3L) else body)
  if (nchar(digits) > 40L) {
    return(NULL)
  }
  hex <- if (!nzchar(digits)) "0" else if (hexa) tolower(digits) else if (nchar(digits) <= 9L) {
    sprintf("%x", as.integer(digits))
  } else {
    dec_to_hex(digits)
  }
  list(negative = startsWith(text, "-") && hex != "0", hex = hex)
}

# TRUE when hex a > hex b (both lower-case, without leading zeros).
hex_greater <- function(a, b) {
  if (nchar(a) != nchar(b)) {
    return(nchar(a) > nchar(b))
  }
  starts <- seq(1L, nchar(a), by = 7L)
  va <- strtoi(substring(a, starts, starts + 6L), 16L)
  vb <- strtoi(substring(b, starts, starts + 6L), 16L)
  differ <- which(va != vb)
  length(differ) > 0L && va[[differ[[1L]]]] > vb[[differ[[1L]]]]
}

integer_of <- function(w, info, field) {
  p <- w$schema$patterns_z
  ok <- info$kind == "int" && (grepl(p$decimal, info$text, perl = TRUE, useBytes = TRUE) ||
    grepl(p$hex, info$text, perl = TRUE, useBytes = TRUE))
  if (!ok) {
    bad(w, field, "not-integer", got = describe_node(info),
        hint = if (info$kind == "int") "; write it in plain decimal" else "")
    return(invalid)
  }
  parse_integer_text(info$text)
}

check_integer <- function(w, info, field, spec) {
  value <- integer_of(w, info, field)
  if (is_invalid(value)) {
    return(invalid)
  }
  allowed <- !is.null(value) && !value$negative && value$hex %in% sprintf("%x", as.integer(spec$one_of))
  if (!allowed) {
    bad(w, field, "not-one-of", choices = paste(spec$one_of, collapse = ", "), value = clip_text(info$text))
    return(invalid)
  }
  strtoi(value$hex, 16L)
}

check_pin <- function(w, info, field) {
  schema <- w$schema
  if (info$kind == "str") {
    if (!grepl(schema$patterns_z$text_integer, info$text, perl = TRUE, useBytes = TRUE)) {
      bad(w, field, "not-integer", got = describe_node(info), hint = "")
      return(invalid)
    }
    value <- parse_integer_text(info$text)
  } else {
    value <- integer_of(w, info, field)
    if (is_invalid(value)) {
      return(invalid)
    }
  }
  if (is.null(value) || value$negative || hex_greater(value$hex, schema$pin_max_hex)) {
    bad(w, field, "seed-out-of-range", value = clip_text(info$text))
    return(invalid)
  }
  if (info$kind == "int" && hex_greater(value$hex, sprintf("%x", as.integer(schema$plain_integer_max)))) {
    bad(w, field, "wide-integer", max = format(schema$plain_integer_max, scientific = FALSE),
        hex = paste0("0x", value$hex), value = clip_text(info$text))
    return(invalid)
  }
  paste0("0x", value$hex)
}

check_entropy <- function(w, info, field) {
  if (info$kind == "str" && grepl(w$schema$patterns_z$entropy, info$text, perl = TRUE, useBytes = TRUE)) {
    return(paste0("0x", strip_hex(substring(info$text, 3L))))
  }
  bad(w, field, "entropy-format", got = describe_node(info))
  invalid
}

# ISO 8601 date or date and time (2026-11-26, 2026-11-26T08:00:00Z) on a real calendar day.
valid_timestamp <- function(text, pattern) {
  m <- regmatches(text, regexec(pattern, text, perl = TRUE))[[1L]]
  if (!length(m)) {
    return(FALSE)
  }
  g <- suppressWarnings(as.integer(m[-1L]))
  y <- g[[1L]]
  mo <- g[[2L]]
  d <- g[[3L]]
  leap <- y %% 4L == 0L && (y %% 100L != 0L || y %% 400L == 0L)
  days <- c(31L, if (leap) 29L else 28L, 31L, 30L, 31L, 30L, 31L, 31L, 30L, 31L, 30L, 31L)
  if (mo < 1L || mo > 12L || d < 1L || d > days[[mo]]) {
    return(FALSE)
  }
  if (nzchar(m[[5L]]) && (g[[5L]] > 23L || g[[6L]] > 59L || g[[7L]] > 59L)) {
    return(FALSE)
  }
  !(nzchar(m[[11L]]) && (g[[10L]] > 23L || g[[11L]] > 59L))
}

check_timestamp <- function(w, info, field) {
  if (info$kind %in% c("str", "timestamp") && valid_timestamp(info$text, w$schema$patterns_z$timestamp)) {
    return(info$text)
  }
  bad(w, field, "bad-timestamp", got = describe_node(info))
  invalid
}

check_list <- function(w, x, field, spec) {
  if (node_kind(x) != "seq") {
    bad(w, field, "not-list", example = spec$example, got = describe_node(node_info(x)))
    return(invalid)
  }
  out <- character()
  for (item in seq_items(x)) {
    value <- walk_value(w, item, field, spec$item)
    if (is_invalid(value)) next
    if (isTRUE(spec$unique) && value %in% out) {
      bad(w, field, "duplicate-item", value = quote_text(value))
      next
    }
    out <- c(out, value)
  }
  out
}

# -- jobs ---------------------------------------------------------------------------------------

# 2^bits - 1 as decimal text.
max_seed_text <- function(bits) {
  paste(convert_digits(rep(1, bits), 2, 10), collapse = "")
}

# The job called `job`; an unknown name is an error that suggests the closest declared ones.
manifest_job <- function(manifest, job) {
  check_job_name(job)
  keys <- vapply(names(manifest$jobs), byte_key, character(1L), USE.NAMES = FALSE)
  hit <- match(byte_key(job), keys)
  if (!is.na(hit)) {
    return(manifest$jobs[[hit]])
  }
  declared <- names(manifest$jobs)
  close <- closest_names(job, declared)
  hint <- if (length(close)) sprintf("; did you mean %s?", paste(show_text(close), collapse = ", ")) else ""
  shown <- if (length(declared)) paste(vapply(declared, show_text, ""), collapse = ", ") else "none"
  sb_abort(
    sprintf("%s: no job %s in the manifest%s (declared jobs: %s)", manifest$path, show_text(job), hint, shown),
    "unknown_job_error",
    job = job, suggestions = close
  )
}

closest_names <- function(x, choices, n = 3L, cutoff = 0.5) {
  if (!length(choices)) {
    return(character())
  }
  d <- utils::adist(as_utf8(x), vapply(choices, as_utf8, ""))[1L, ]
  similarity <- 1 - d / pmax(nchar(x), nchar(choices), 1L)
  keep <- which(similarity >= cutoff)
  utils::head(choices[keep[order(-similarity[keep])]], n)
}
