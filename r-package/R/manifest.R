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
  read <- tryCatch(
    read_yaml_nodes(read_manifest_text(path, schema), schema),
    sb_manifest_fatal = function(e) e
  )
  if (inherits(read, "sb_manifest_fatal")) {
    bad(w, "", read$rule, .values = read$details)
  } else if (is.null(read$tree) || nodes_info(list(read$tree), read$fast)$kind == "null") {
    bad(w, "", "empty")
  } else {
    w$fast <- read$fast
    values <- walk_maps(w, list(read$tree), "", "", "manifest")[[1L]]
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
    manifest_fatal("not-a-file", reason = "is a directory, not a regular file")
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
  o <- order(w$orders, method = "radix") # the order of the Python walk
  fields <- w$fields[o]
  location <- ifelse(nzchar(fields), paste0(w$where, " ", fields), w$where)
  problems <- paste0(location, ": ", w$messages[o])
  sb_abort(paste(problems, collapse = "\n"), "manifest_error", problems = problems, fields = fields,
           rules = w$rules[o], messages = w$messages[o], path = w$where)
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
  jobs <- Map(function(name, job) {
    kinds <- r_default_kinds
    if (length(job$r)) kinds[names(job$r)] <- unlist(job$r)
    list(name = name, seed = job$seed, frameworks = job$frameworks %||% character(),
         profile = job$profile %||% "seeded", description = job$description, r = kinds,
         caffe = job$caffe %||% list())
  }, values$jobs$names, values$jobs$jobs)
  names(jobs) <- values$jobs$names
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
           sprintf("\\x%02x", c))
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

# join_field() of many keys at once.
join_fields <- function(base, keys) {
  shown <- keys
  quoted <- !grepl("^[A-Za-z0-9_-]+\\z", keys, perl = TRUE, useBytes = TRUE)
  shown[quoted] <- vapply(keys[quoted], quote_text, "", USE.NAMES = FALSE)
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
#
# The walk is columnar: each check runs once on all the nodes a field has (one per job, say), so a
# 1000-job manifest costs a few vectorised calls per field rather than thousands of R calls. Every
# problem carries a sort key built like the path of the Python walk (_validate.py), so sorting puts
# them in the order Python reports them: in a mapping, first its keys' problems in document order,
# then each schema key's value in schema order, then the checks across keys.

# A sort key segment: fixed width, so that keys sort like paths.
seg <- function(i) sprintf("%07d", i)

# Collects every problem: field, rule id, message and sort key.
new_walker <- function(where, schema) {
  w <- new.env(parent = emptyenv())
  w$where <- where
  w$schema <- schema
  w$fields <- character()
  w$rules <- character()
  w$messages <- character()
  w$orders <- character()
  w$fast <- FALSE # how the YAML was read (read_yaml_nodes)
  w
}

bad <- function(w, field, rule, order = "", ..., .values = list(...)) {
  k <- length(w$rules) + 1L
  w$fields[[k]] <- field
  w$rules[[k]] <- rule
  w$orders[[k]] <- order
  w$messages[[k]] <- format_rule(w$schema$rules[[rule]], .values)
  invisible(NULL)
}

# The kind, text and shape of each node (scalar, map, seq, or collection for a bare mapping or
# list): text (any plain character read the fast way), an encoded scalar (sb_scalar),
# a mapping (sb_map) or list (sb_seq) with its payload, the merge marker of R's yaml, or a bare
# value of a type seedbridge does not read (manifest-yaml.R).
nodes_info <- function(nodes, fast) {
  n <- length(nodes)
  cls <- vapply(nodes, class, "", USE.NAMES = FALSE) # the primitive: the first class, or the type
  kind <- rep("unsupported", n)
  text <- rep("", n)
  shape <- rep("scalar", n)
  is_str <- fast & cls == "character"
  kind[is_str] <- "str"
  text[is_str] <- unlist(nodes[is_str], use.names = FALSE)
  encoded <- cls == "sb_scalar"
  if (any(encoded)) {
    codes <- unlist(nodes[encoded], use.names = FALSE)
    kind[encoded] <- yaml_code_kinds[substr(codes, nonce_chars + 1L, nonce_chars + 1L)]
    text[encoded] <- encoded_text(codes)
  }
  for (k in c("map", "seq")) {
    kind[cls == paste0("sb_", k)] <- k
    shape[cls == paste0("sb_", k)] <- k
  }
  kind[cls == "_yaml.merge_"] <- "merge"
  text[cls == "_yaml.merge_"] <- "<<"
  for (i in which(cls %in% c("character", "list") & !is_str)) { # bare
    x <- nodes[[i]]
    if (is.list(x)) shape[[i]] <- "collection" else if (is.character(x) && length(x) == 1L) text[[i]] <- x
  }
  Encoding(text) <- "UTF-8"
  list(kind = unname(kind), text = text, shape = shape)
}

# The entries of the mappings `maps`, one row each: owner (index into maps), key kind, text and
# shape, and the value node.
map_rows <- function(maps) {
  payloads <- lapply(maps, function(m) unclass(m)[[1L]])
  values <- lapply(payloads, `[[`, 3L)
  owner <- rep(seq_along(maps), lengths(values))
  values <- unlist(values, recursive = FALSE, use.names = FALSE)
  keys <- lapply(payloads, `[[`, 2L)
  if (all(vapply(keys, function(k) is.null(k) || is.character(k), NA))) {
    # Names (the fast way): text, an encoded scalar, or 'list("<nonce>...' for a mapping or list.
    keys <- unlist(keys, use.names = FALSE) %||% character()
    n <- length(keys)
    info <- list(kind = rep("str", n), text = keys, shape = rep("scalar", n))
    if (n) {
      nonce <- substr(payloads[[1L]][[1L]], 1L, nonce_chars)
      encoded <- startsWith(keys, nonce)
      info$kind[encoded] <- yaml_code_kinds[substr(keys[encoded], nonce_chars + 1L, nonce_chars + 1L)]
      info$text[encoded] <- encoded_text(keys[encoded])
      collection <- startsWith(keys, paste0("list(\"", nonce))
      info$kind[collection] <- "unsupported"
      info$text[collection] <- ""
      info$shape[collection] <- "collection"
      Encoding(info$text) <- "UTF-8"
    }
  } else {
    info <- nodes_info(unlist(keys, recursive = FALSE, use.names = FALSE), fast = FALSE)
  }
  list(owner = owner, kind = unname(info$kind), text = info$text, shape = info$shape, values = values)
}

# The items of the lists `seqs`, one row each: owner (index into seqs) and the item node.
seq_rows <- function(seqs) {
  items <- lapply(seqs, function(s) unclass(s)[[1L]][[2L]])
  list(owner = rep(seq_along(seqs), lengths(items)),
       values = unlist(items, recursive = FALSE, use.names = FALSE))
}

fields_for <- function(base, key) if (length(base) && nzchar(base[[1L]])) paste0(base, ".", key) else rep(key, length(base))

# The problem of a key that is not text, for row i.
key_not_text <- function(w, rows, i, field, order) {
  info <- list(kind = rows$kind[[i]], text = rows$text[[i]], shape = rows$shape[[i]])
  if (info$shape == "scalar") {
    bad(w, join_field(field, info$text), "key-not-text", order, got = describe_node(info), hint = quote_hint(info))
  } else {
    bad(w, if (nzchar(field)) field else "(top level)", "key-not-text", order, got = "a mapping or list", hint = "")
  }
}

# Walks `nodes` (a list) with `spec`; `fields` and `orders` give each node's path and sort key.
# Returns one value per node, NULL where a problem was found.
walk_nodes <- function(w, nodes, fields, orders, spec) {
  if (!length(nodes)) {
    return(list())
  }
  switch(spec$type,
    map = walk_maps(w, nodes, fields, orders, spec$spec),
    jobs = walk_jobs(w, nodes, fields, orders, spec),
    list = walk_lists(w, nodes, fields, orders, spec),
    check_scalars(w, nodes_info(nodes, w$fast), fields, orders, spec)
  )
}

walk_maps <- function(w, nodes, fields, orders, spec_name) {
  spec <- w$schema$fields[[spec_name]]
  n <- length(nodes)
  info <- nodes_info(nodes, w$fast)
  out <- vector("list", n)
  empty <- info$kind == "null" & isTRUE(spec$null_is_empty)
  out[empty] <- list(list())
  for (i in which(info$kind != "map" & !empty)) {
    bad(w, if (nzchar(fields[[i]])) fields[[i]] else "(top level)", "not-mapping", orders[[i]],
        got = describe_node(lapply(info, `[[`, i)))
  }
  maps <- which(info$kind == "map")
  if (!length(maps)) {
    return(out)
  }
  keys <- spec$keys
  key_names <- names(keys)
  rows <- map_rows(nodes[maps])
  rfield <- fields[maps][rows$owner]
  rorder <- orders[maps][rows$owner]
  text_key <- rows$kind == "str"
  index <- match(rows$text, key_names)
  index[!text_key] <- NA_integer_
  repeated <- rep(FALSE, length(text_key))
  repeated[text_key] <- duplicated(paste0(rows$owner, "\r", rows$text)[text_key]) # the owner ends at the first \r
  row_number <- seq_along(rows$owner) - match(rows$owner, rows$owner) + 1L # rows come grouped by owner
  for (i in which(!text_key | repeated | is.na(index))) {
    order <- paste0(rorder[[i]], seg(0L), seg(row_number[[i]]))
    if (!text_key[[i]]) {
      key_not_text(w, rows, i, rfield[[i]], order)
    } else if (repeated[[i]]) {
      bad(w, join_field(rfield[[i]], rows$text[[i]], !is.na(index[[i]])), "duplicate-key", order)
    } else {
      bad(w, join_field(rfield[[i]], rows$text[[i]]), "unknown-key", order,
          hint = suggest(rows$text[[i]], key_names), allowed = paste(key_names, collapse = ", "))
    }
  }
  ok <- which(text_key & !repeated & !is.na(index))
  # present[m, k]: the row of schema key k in map m, NA when absent.
  present <- matrix(NA_integer_, length(maps), length(key_names), dimnames = list(NULL, key_names))
  present[cbind(rows$owner[ok], index[ok])] <- ok
  values <- rep(list(list()), length(maps))
  for (k in seq_along(key_names)) {
    key <- key_names[[k]]
    kfields <- fields_for(fields[maps], key)
    korders <- paste0(orders[maps], seg(1L), seg(k))
    has <- which(!is.na(present[, k]))
    got <- walk_nodes(w, rows$values[present[has, k]], kfields[has], korders[has], keys[[key]])
    for (j in seq_along(has)) {
      if (!is.null(got[[j]])) values[[has[[j]]]][[key]] <- got[[j]]
    }
    if (isTRUE(keys[[key]]$required)) {
      for (m in which(is.na(present[, k]))) bad(w, kfields[[m]], "missing-key", korders[[m]])
    }
  }
  for (key in spec$cross_keys) {
    cross_checks(w, key, keys, present, values, fields[maps], paste0(orders[maps], seg(2L),
                                                                      seg(match(key, key_names))))
  }
  out[maps] <- values
  out
}

# The checks across keys of one schema key, in every map: only_when, required_when, ranges_from.
cross_checks <- function(w, key, keys, present, values, fields, orders) {
  kspec <- keys[[key]]
  kfields <- fields_for(fields, key)
  for (rule in c("only-when", "required-when")) {
    cond <- kspec[[if (rule == "only-when") "only_when" else "required_when"]]
    if (is.null(cond)) next
    other <- cond$key
    for (m in seq_along(values)) {
      if (!is.na(present[m, other]) && is.null(values[[m]][[other]])) next # the other field is wrong already
      actual <- values[[m]][[other]] %||% keys[[other]]$default
      order <- paste0(orders[[m]], seg(if (rule == "only-when") 0L else 1L))
      if (rule == "only-when" && !is.na(present[m, key]) && !identical(actual, cond$value)) {
        bad(w, kfields[[m]], rule, order, other = other, required = cond$value, actual = actual)
      }
      if (rule == "required-when" && is.na(present[m, key]) && identical(actual, cond$value)) {
        bad(w, kfields[[m]], rule, order, other = other, value = cond$value)
      }
    }
  }
  source <- kspec$ranges_from
  if (is.null(source)) {
    return(invisible(NULL))
  }
  pins <- vapply(values, function(v) v[[key]] %||% "", "")
  # Every target takes at least 31 bits (8 hex digits): a shorter pin fits them all.
  for (m in which(nchar(pins) > 9L)) {
    pin <- substring(pins[[m]], 3L)
    targets <- values[[m]][[source]]
    for (t in seq_along(targets)) {
      top <- w$schema$targets_max_hex[targets[[t]]]
      if (!is.na(top) && hex_greater(pin, top)) {
        bad(w, kfields[[m]], "pin-out-of-range", paste0(orders[[m]], seg(2L), seg(t)),
            max = w$schema$targets_max_dec[[targets[[t]]]], target = targets[[t]], value = hex_to_dec(pin))
      }
    }
  }
}

walk_jobs <- function(w, nodes, fields, orders, spec) {
  # The schema has one jobs mapping; this walks each given (one).
  lapply(seq_along(nodes), function(i) walk_one_jobs(w, nodes[[i]], fields[[i]], orders[[i]], spec))
}

walk_one_jobs <- function(w, x, field, order, spec) {
  info <- lapply(nodes_info(list(x), w$fast), `[[`, 1L)
  if (info$kind == "null") {
    return(list()) # `jobs:` with nothing under it: no jobs yet
  }
  if (info$kind != "map") {
    bad(w, field, "not-mapping", order, got = describe_node(info))
    return(NULL)
  }
  rows <- map_rows(list(x))
  n <- length(rows$kind)
  text_key <- rows$kind == "str"
  repeated <- rep(FALSE, n)
  repeated[text_key] <- duplicated(rows$text[text_key])
  control <- rep(FALSE, n)
  control[text_key] <- grepl(w$schema$patterns$control, rows$text[text_key], perl = TRUE)
  named <- text_key & !repeated & nzchar(rows$text) & !control
  fields <- rep(field, n)
  fields[text_key] <- join_fields(field, rows$text[text_key])
  orders <- paste0(order, seg(seq_len(n)))
  for (i in which(!named)) {
    if (!text_key[[i]]) {
      key_not_text(w, rows, i, field, paste0(orders[[i]], seg(0L)))
    } else if (repeated[[i]]) {
      bad(w, fields[[i]], "duplicate-key", paste0(orders[[i]], seg(0L)))
    } else if (!nzchar(rows$text[[i]])) {
      bad(w, fields[[i]], "empty-text", paste0(orders[[i]], seg(0L)))
    } else {
      bad(w, fields[[i]], "control-character", paste0(orders[[i]], seg(0L)), value = quote_text(rows$text[[i]]))
    }
  }
  keep <- which(named)
  jobs <- walk_maps(w, rows$values[keep], fields[keep], paste0(orders[keep], seg(1L)), spec$spec)
  valid <- !vapply(jobs, is.null, NA)
  list(names = rows$text[keep][valid], jobs = jobs[valid])
}

walk_lists <- function(w, nodes, fields, orders, spec) {
  info <- nodes_info(nodes, w$fast)
  out <- vector("list", length(nodes))
  for (i in which(info$kind != "seq")) {
    bad(w, fields[[i]], "not-list", orders[[i]], example = spec$example, got = describe_node(lapply(info, `[[`, i)))
  }
  seqs <- which(info$kind == "seq")
  if (!length(seqs)) {
    return(out)
  }
  rows <- seq_rows(nodes[seqs])
  item_number <- seq_along(rows$owner) - match(rows$owner, rows$owner) + 1L
  got <- walk_nodes(w, rows$values, fields[seqs][rows$owner], paste0(orders[seqs][rows$owner], seg(item_number)),
                    spec$item)
  good <- !vapply(got, is.null, NA)
  texts <- rep("", length(got))
  texts[good] <- unlist(got[good], use.names = FALSE)
  if (isTRUE(spec$unique)) {
    again <- good
    again[good] <- duplicated(paste0(rows$owner, "\r", texts)[good])
    for (i in which(again)) {
      bad(w, fields[seqs][rows$owner[[i]]], "duplicate-item", paste0(orders[seqs][rows$owner[[i]]], seg(item_number[[i]])),
          value = quote_text(texts[[i]]))
    }
    good <- good & !again
  }
  lists <- split(texts[good], factor(rows$owner[good], levels = seq_along(seqs)))
  out[seqs] <- lapply(unname(lists), as.character)
  out
}

# -- scalars ------------------------------------------------------------------------------------

# Checks scalar nodes (`info` from nodes_info) with a scalar spec; one value (or NULL) each.
check_scalars <- function(w, info, fields, orders, spec) {
  n <- length(info$kind)
  out <- vector("list", n)
  problem <- function(i, rule, ...) bad(w, fields[[i]], rule, orders[[i]], ...)
  one <- function(i) lapply(info, `[[`, i)
  p <- w$schema$patterns_z
  kind <- info$kind
  text <- info$text
  type <- spec$type
  if (type %in% c("text", "name")) {
    ok <- kind == "str"
    for (i in which(!ok)) problem(i, "not-text", got = describe_node(one(i)), hint = quote_hint(one(i)))
    if (!is.null(spec$one_of)) {
      wrong <- ok & !(text %in% spec$one_of)
      for (i in which(wrong)) {
        problem(i, "not-one-of", choices = paste(spec$one_of, collapse = ", "), value = quote_text(text[[i]]))
      }
      ok <- ok & !wrong
    }
    if (!is.null(spec$pattern_z)) {
      wrong <- ok & !grepl(spec$pattern_z, text, perl = TRUE, useBytes = TRUE)
      for (i in which(wrong)) problem(i, spec$pattern_rule, value = quote_text(text[[i]]))
      ok <- ok & !wrong
    }
    if (type == "name") {
      empty <- ok & !nzchar(text)
      for (i in which(empty)) problem(i, "empty-text")
      control <- ok & !empty & grepl(w$schema$patterns$control, text, perl = TRUE)
      for (i in which(control)) problem(i, "control-character", value = quote_text(text[[i]]))
      ok <- ok & !empty & !control
    }
    out[ok] <- as.list(text[ok])
    return(out)
  }
  if (type == "entropy") {
    ok <- kind == "str" & grepl(p$entropy, text, perl = TRUE, useBytes = TRUE)
    for (i in which(!ok)) problem(i, "entropy-format", got = describe_node(one(i)))
    out[ok] <- as.list(paste0("0x", vapply(substring(text[ok], 3L), strip_hex, "")))
    return(out)
  }
  if (type == "timestamp") {
    ok <- kind %in% c("str", "timestamp")
    ok[ok] <- vapply(text[ok], valid_timestamp, NA, pattern = p$timestamp, USE.NAMES = FALSE)
    for (i in which(!ok)) problem(i, "bad-timestamp", got = describe_node(one(i)))
    out[ok] <- as.list(text[ok])
    return(out)
  }
  # integer and pin: a YAML integer in decimal or 0x hex (a pin may also be such text).
  int_ok <- kind == "int" & (grepl(p$decimal, text, perl = TRUE, useBytes = TRUE) |
    grepl(p$hex, text, perl = TRUE, useBytes = TRUE))
  text_ok <- type == "pin" & kind == "str" & grepl(p$text_integer, text, perl = TRUE, useBytes = TRUE)
  for (i in which(!int_ok & !text_ok)) {
    hint <- if (kind[[i]] == "int") "; write it in plain decimal" else ""
    problem(i, "not-integer", got = describe_node(one(i)), hint = hint)
  }
  # The usual case at once: a plain decimal of at most 9 digits, below every limit.
  small <- int_ok & nchar(text) <= 9L & !grepl("[^0-9]", text, perl = TRUE, useBytes = TRUE)
  if (type == "pin") {
    out[small] <- as.list(sprintf("0x%x", as.integer(text[small])))
  } else {
    small <- small & as.integer(ifelse(small, text, "0")) %in% spec$one_of
    out[small] <- as.list(as.integer(text[small]))
  }
  for (i in which((int_ok | text_ok) & !small)) {
    value <- parse_integer_text(text[[i]])
    if (type == "integer") {
      if (!is.null(value) && !value$negative && value$hex %in% sprintf("%x", as.integer(spec$one_of))) {
        out[[i]] <- strtoi(value$hex, 16L)
      } else {
        problem(i, "not-one-of", choices = paste(spec$one_of, collapse = ", "), value = clip_text(text[[i]]))
      }
    } else if (is.null(value) || value$negative || hex_greater(value$hex, w$schema$pin_max_hex)) {
      problem(i, "seed-out-of-range", value = clip_text(text[[i]]))
    } else if (int_ok[[i]] && hex_greater(value$hex, w$schema$plain_integer_max_hex)) {
      problem(i, "wide-integer", max = format(w$schema$plain_integer_max, scientific = FALSE),
              hex = paste0("0x", value$hex), value = clip_text(text[[i]]))
    } else {
      out[[i]] <- paste0("0x", value$hex)
    }
  }
  out
}

# Decimal or 0x hex text (sign allowed) as list(negative, hex); NULL past 40 digits, which is out
# of every range (and keeps a 5000-digit number from costing anything).
parse_integer_text <- function(text) {
  if (nchar(text) <= 9L && !grepl("[^0-9]", text, perl = TRUE)) {
    return(list(negative = FALSE, hex = sprintf("%x", as.integer(text)))) # the usual case, quickly
  }
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
