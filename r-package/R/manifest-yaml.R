# Manifest text -> YAML nodes, with the types R's yaml gives them (docs/manifest.md, "How YAML is
# read"). seedbridge/_yaml.py reads the same way in Python, from the same data.
#
# yaml.load() runs a handler for every node whose type seedbridge reads (the schema's
# `yaml_types`). The handlers keep what plain yaml.load() loses: each scalar's type and text (R's
# yaml turns integers above 2147483647 into NA), a serial number (so two keys are never identical
# to R's yaml, and seedbridge reports duplicates with their field), and mappings apart from lists.
# What no handler converts (a node with a tag seedbridge does not know, an undefined alias) stays a
# bare value, which the walk reports as an unsupported type.

# The schema data, read once per session from the installed copy of manifest_schema.json (JSON is
# YAML, so no JSON reader is needed).
schema_cache <- new.env(parent = emptyenv())

manifest_schema <- function() {
  if (is.null(schema_cache$data)) {
    path <- system.file("manifest_schema.json", package = "seedbridge", mustWork = TRUE)
    data <- yaml::read_yaml(path)
    # Patterns are written ^...$; PCRE's $ also matches before a final newline, \z does not
    # (Python uses fullmatch for the same reason).
    data$patterns_z <- lapply(data$patterns, end_anchor_z)
    data$fields <- lapply(data$fields, prepare_spec)
    data$targets_max_dec <- vapply(data$targets, function(t) hex_to_dec(substring(t$max, 3L)), "")
    data$pin_max_hex <- strip_hex(substring(data$pin_max, 3L))
    data$targets_max_hex <- vapply(data$targets, function(t) strip_hex(substring(t$max, 3L)), "")
    data$plain_integer_max_hex <- sprintf("%x", as.integer(data$plain_integer_max))
    schema_cache$data <- data
  }
  schema_cache$data
}

end_anchor_z <- function(p) sub("\\$$", "\\\\z", p)

# A field spec with its patterns anchored by \z and the keys that have cross checks listed.
prepare_spec <- function(spec) {
  if (!is.null(spec$pattern)) spec$pattern_z <- end_anchor_z(spec$pattern)
  if (!is.null(spec$item)) spec$item <- prepare_spec(spec$item)
  if (!is.null(spec$keys)) {
    spec$keys <- lapply(spec$keys, prepare_spec)
    cross <- vapply(spec$keys, function(k) !is.null(k$only_when) || !is.null(k$required_when) ||
      !is.null(k$ranges_from), NA)
    spec$cross_keys <- names(spec$keys)[cross]
  }
  spec
}

# The schema's line_break as bytes: splitting by bytes is linear, while PCRE in UTF-8 mode checks
# the rest of the text again at each match (tests/testthat/test-manifest.R checks both agree).
line_break_bytes <- "\r\n|[\r\n]|\xc2\x85|\xe2\x80[\xa8\xa9]"

# One-letter codes of the kinds of encoded scalars.
yaml_kind_codes <- c(str = "s", int = "i", float = "f", bool = "b", null = "n", timestamp = "t", na = "a",
                     unsupported = "u")
yaml_code_kinds <- structure(names(yaml_kind_codes), names = unname(yaml_kind_codes))
nonce_chars <- 16L

# Two ways to run yaml.load(), with the same result:
#
# - exact: every node gets a serial number, keys stay objects (as.named.list = FALSE), so R's yaml
#   never finds two keys equal unless they are one aliased node, and a node with a tag seedbridge
#   does not know stays bare. R's yaml compares keys with identical(), which is exact but quadratic
#   in the number of keys of a mapping (seconds for 1000 jobs).
# - fast: keys become names (as.named.list = TRUE), compared with strcmp. Text keys are their text;
#   other scalars are "<nonce><code>:<text>", where the nonce comes from the SHA-256 of the file, so
#   no text in the file can look like one. It is used only when the text has no tag (a bare node
#   could not be told from text) and no plain "=" (YAML's default value, which R's yaml returns as
#   bare "=", like the text "="), and its result is kept only when yaml.load() succeeds: any error
#   (a repeated key, a merge key) makes the exact way run and report it.
#
# Both conditions are bytewise over-approximations: a false alarm only costs speed.
tag_start <- "(^|[^A-Za-z0-9_.-])!"
default_value <- "(^|[^A-Za-z0-9_.-])=($|[^A-Za-z0-9_.-])"

yaml_handlers <- function(types, fast, nonce) {
  n <- 0L
  encode <- function(code, x) {
    n <<- n + 1L
    text <- if (is.character(x)) x else ""
    out <- if (fast) paste0(nonce, code, ":", text) else paste0(nonce, code, n, ":", text)
    oldClass(out) <- "sb_scalar" # the primitive: this runs once per node
    out
  }
  scalar <- function(code) {
    force(code)
    function(x) encode(if (is.character(x)) code else "u", x) # "u": a scalar's type on a collection
  }
  collection <- function(kind) {
    force(kind)
    function(x) {
      keys <- if (fast) names(x) else attr(x, "keys")
      # R cannot tell an empty mapping from an empty list; otherwise the shape must fit the type.
      fits <- is.list(x) && (!length(x) || (kind == "map") == !is.null(keys))
      if (!fits) {
        return(encode("u", x))
      }
      n <<- n + 1L
      # The nonce and number lead the payload: a mapping or list used as a key becomes the name
      # 'list("<nonce>", ...)' (fast) and two of them never compare equal (exact).
      id <- if (fast) nonce else paste0(nonce, n)
      out <- list(if (kind == "map") list(id, keys, x) else list(id, x))
      oldClass(out) <- if (kind == "map") "sb_map" else "sb_seq"
      out
    }
  }
  # The fast way leaves text to R's yaml: a plain character is text there (nothing else is left
  # bare), and text is most of a manifest's nodes.
  if (fast) types <- types[types != "str"]
  lapply(types, function(kind) {
    if (kind %in% c("map", "seq")) collection(kind) else scalar(yaml_kind_codes[[kind]])
  })
}

# Reading stopped: one problem (rule id, details for the message), reported alone.
manifest_fatal <- function(rule, ...) {
  stop(errorCondition(rule, class = "sb_manifest_fatal", rule = rule, details = list(...), call = NULL))
}

# The checks made on the text before parsing (seedbridge/_yaml.py check_text): an escaped NUL,
# which R would silently cut the text at, and a second document, which R's yaml would ignore.
check_manifest_text <- function(text, schema) {
  p <- schema$patterns_z
  if (grepl(p$nul_escape, text, perl = TRUE, useBytes = TRUE)) {
    manifest_fatal("nul-character")
  }
  if (!grepl("---", text, fixed = TRUE, useBytes = TRUE)) {
    return(invisible(NULL)) # no line can start a document
  }
  lines <- strsplit(text, line_break_bytes, perl = TRUE, useBytes = TRUE)[[1L]]
  marker <- grepl(p$document_marker, lines, perl = TRUE, useBytes = TRUE)
  starts <- which(marker & startsWith(lines, "---"))
  if (length(starts) > 1L) {
    manifest_fatal("multiple-documents")
  }
  if (length(starts) == 1L) {
    before <- seq_len(starts - 1L)
    content <- !marker[before] & !grepl(p$not_content, lines[before], perl = TRUE, useBytes = TRUE)
    if (any(content)) manifest_fatal("multiple-documents")
  }
  invisible(NULL)
}

# The first document of `text` as nodes: list(tree (NULL when there is none), fast: how it was
# read). Signals sb_manifest_fatal.
read_yaml_nodes <- function(text, schema) {
  check_manifest_text(text, schema)
  nonce <- substr(digest::digest(text, algo = "sha256", serialize = FALSE), 1L, nonce_chars)
  fast <- !grepl(tag_start, text, perl = TRUE, useBytes = TRUE) &&
    !grepl(default_value, text, perl = TRUE, useBytes = TRUE)
  if (fast) {
    read <- load_yaml(text, schema, nonce, fast = TRUE)
    if (is.null(read$error) && !read$undefined_alias) {
      return(list(tree = read$tree, fast = TRUE))
    }
  }
  read <- load_yaml(text, schema, nonce, fast = FALSE)
  msg <- read$error
  if (!is.null(msg)) {
    if (startsWith(msg, "Illegal merge")) manifest_fatal("merge-key")
    if (startsWith(msg, "Duplicate map key")) manifest_fatal("duplicate-alias-key")
    if (startsWith(msg, "Invalid tag")) manifest_fatal("unsupported-tag")
    manifest_fatal("yaml-syntax", problem = yaml_problem(msg))
  }
  if (read$undefined_alias) {
    manifest_fatal("undefined-alias")
  }
  list(tree = read$tree, fast = FALSE)
}

# yaml.load() with seedbridge's handlers: list(tree, error message or NULL, undefined_alias).
load_yaml <- function(text, schema, nonce, fast) {
  undefined_alias <- FALSE
  tree <- withCallingHandlers(
    tryCatch(
      yaml::yaml.load(text, as.named.list = fast, handlers = yaml_handlers(schema$yaml_types, fast, nonce),
                      eval.expr = FALSE),
      error = function(e) e
    ),
    warning = function(w) {
      if (startsWith(conditionMessage(w), "Unknown anchor")) undefined_alias <<- TRUE
      invokeRestart("muffleWarning")
    }
  )
  failed <- inherits(tree, "error")
  list(tree = if (!failed) tree, error = if (failed) conditionMessage(tree), undefined_alias = undefined_alias)
}

# libyaml's description of a syntax error, without R's yaml's "Parser error: ... at line 3,
# column 5" around it (Python shows the same text).
yaml_problem <- function(msg) {
  msg <- sub("\\s+$", "", msg)
  msg <- sub("^(Reader|Scanner|Parser) error: ", "", msg)
  msg <- sub(" at line [0-9]+, column [0-9]+$", "", msg)
  msg <- sub("^.* at line [0-9]+, column [0-9]+ ", "", msg) # drop the context, as Python shows the problem
  sub(": #[0-9A-F]+ at [0-9]+$| at [0-9]+$", "", msg)
}

encoded_text <- function(x) substring(x, regexpr(":", x, fixed = TRUE) + 1L)
