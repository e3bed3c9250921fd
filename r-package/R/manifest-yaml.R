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
    data$patterns_z <- lapply(data$patterns, function(p) sub("\\$$", "\\\\z", p))
    data$targets_max_dec <- vapply(data$targets, function(t) hex_to_dec(substring(t$max, 3L)), "")
    data$pin_max_hex <- strip_hex(substring(data$pin_max, 3L))
    schema_cache$data <- data
  }
  schema_cache$data
}

# One-letter codes of the kinds in encoded scalars ("s12:train" is the text "train", node 12).
yaml_kind_codes <- c(str = "s", int = "i", float = "f", bool = "b", null = "n", timestamp = "t", na = "a",
                unsupported = "u")
yaml_code_kinds <- stats::setNames(names(yaml_kind_codes), yaml_kind_codes)
encoded_prefix <- "^[sifbntau][0-9]+:"

# A tag starts a node, so its "!" follows the start of the text, a blank, a line break or a flow
# indicator, never a letter or digit. Without such a "!", every node has a handler and mappings can
# be read with character keys (as.named.list = TRUE), which R's yaml compares with strcmp. Otherwise
# keys stay objects, which R's yaml compares with identical(): exact, but quadratic in the number of
# keys of a mapping. The test is a bytewise over-approximation: a false alarm only costs speed.
tag_start <- "(^|[^A-Za-z0-9_.-])!"

yaml_handlers <- function(types, fast) {
  n <- 0L
  scalar <- function(code) {
    force(code)
    function(x) {
      n <<- n + 1L
      if (!is.character(x)) code <- "u" # a scalar's type on a mapping or list
      structure(paste0(code, n, ":", if (is.character(x)) x else ""), class = "sb_scalar")
    }
  }
  keys_of <- function(x) if (fast) names(x) else attr(x, "keys")
  collection <- function(kind) {
    force(kind)
    function(x) {
      n <<- n + 1L
      keys <- keys_of(x)
      # R cannot tell an empty mapping from an empty list; otherwise the shape must fit the type.
      fits <- is.list(x) && (!length(x) || (kind == "map") == !is.null(keys))
      if (!fits) {
        return(structure(paste0("u", n, ":", if (is.character(x)) x else ""), class = "sb_scalar"))
      }
      # The node number inside the payload keeps two mappings used as keys from comparing equal.
      payload <- if (kind == "map") list(n, keys, unname(x)) else list(n, unname(x))
      structure(list(payload), class = paste0("sb_", kind))
    }
  }
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
  lines <- strsplit(text, p$line_break, perl = TRUE)[[1L]]
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

# The first document of `text` as nodes (NULL when there is none); signals sb_manifest_fatal.
read_yaml_nodes <- function(text, schema) {
  check_manifest_text(text, schema)
  fast <- !grepl(tag_start, text, perl = TRUE, useBytes = TRUE)
  handlers <- yaml_handlers(schema$yaml_types, fast)
  undefined_alias <- FALSE
  tree <- withCallingHandlers(
    tryCatch(
      yaml::yaml.load(text, as.named.list = fast, handlers = handlers, eval.expr = FALSE),
      error = function(e) e
    ),
    warning = function(w) {
      if (startsWith(conditionMessage(w), "Unknown anchor")) undefined_alias <<- TRUE
      invokeRestart("muffleWarning")
    }
  )
  if (inherits(tree, "error")) {
    msg <- conditionMessage(tree)
    if (startsWith(msg, "Illegal merge")) manifest_fatal("merge-key")
    if (startsWith(msg, "Duplicate map key")) manifest_fatal("duplicate-alias-key")
    if (startsWith(msg, "Invalid tag")) manifest_fatal("unsupported-tag")
    manifest_fatal("yaml-syntax", problem = yaml_problem(msg))
  }
  if (undefined_alias) {
    manifest_fatal("undefined-alias")
  }
  tree
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

# -- nodes --------------------------------------------------------------------------------------
#
# A node is what yaml.load() returned: an encoded scalar (class sb_scalar), a mapping (sb_map) or
# list (sb_seq) with its payload, the merge marker of R's yaml, or a bare value.

node_kind <- function(x) {
  if (inherits(x, "sb_scalar")) return(yaml_code_kinds[[substr(x, 1L, 1L)]])
  if (inherits(x, "sb_map")) return("map")
  if (inherits(x, "sb_seq")) return("seq")
  if (inherits(x, "_yaml.merge_")) return("merge")
  "unsupported"
}

node_text <- function(x) {
  if (inherits(x, "sb_scalar")) return(sub(encoded_prefix, "", unclass(x)))
  if (inherits(x, "_yaml.merge_")) return("<<")
  if (is.character(x) && length(x) == 1L && !is.object(x)) return(x)
  ""
}

# A node's kind, text and shape (scalar, map or seq).
node_info <- function(x) {
  kind <- node_kind(x)
  shape <- if (kind %in% c("map", "seq")) kind else if (kind == "unsupported" && is.list(x)) "collection" else "scalar"
  list(kind = kind, text = node_text(x), shape = shape)
}

# The entries of a mapping node: keys' kinds, texts and shapes, and the values.
map_entries <- function(x) {
  payload <- unclass(x)[[1L]]
  keys <- payload[[2L]]
  values <- payload[[3L]]
  if (is.character(keys) || is.null(keys)) {
    # Keys as names (as.named.list = TRUE): an encoded scalar, "list(...)" for a mapping or list
    # used as a key, or the bare text of a scalar of a type seedbridge does not read ("=").
    keys <- as.character(keys)
    encoded <- grepl(encoded_prefix, keys, perl = TRUE)
    kind <- ifelse(encoded, unname(yaml_code_kinds[substr(keys, 1L, 1L)]), "unsupported")
    text <- ifelse(encoded, sub(encoded_prefix, "", keys, perl = TRUE), keys)
    shape <- ifelse(encoded | !startsWith(keys, "list("), "scalar", "collection")
    text[shape == "collection"] <- ""
  } else {
    info <- lapply(keys, node_info)
    kind <- vapply(info, `[[`, "", "kind")
    text <- vapply(info, `[[`, "", "text")
    shape <- vapply(info, `[[`, "", "shape")
  }
  Encoding(text) <- "UTF-8"
  list(kind = kind, text = text, shape = shape, values = values)
}

seq_items <- function(x) unclass(x)[[1L]][[2L]]
