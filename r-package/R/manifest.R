# The manifest: the same schema and rules as seedbridge/manifest.py (docs/manifest.md).

schema_version <- 1L
frameworks <- c("python", "numpy", "torch", "tensorflow", "r", "caffe")
profiles <- c("seeded", "deterministic", "strict")
root_sources <- c("os-entropy", "env", "explicit")
# R's RNGkind() choices (?RNGkind), minus "user-supplied" and "default", which name no fixed kind.
r_kind_choices <- list(
  kind = c("Wichmann-Hill", "Marsaglia-Multicarry", "Super-Duper", "Mersenne-Twister",
           "Knuth-TAOCP", "Knuth-TAOCP-2002", "L'Ecuyer-CMRG"),
  normal.kind = c("Kinderman-Ramage", "Buggy Kinderman-Ramage", "Ahrens-Dieter", "Box-Muller",
                  "Inversion"),
  sample.kind = c("Rounding", "Rejection")
)
r_default_kinds <- c(kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
# Largest seed each framework takes unchanged (docs/derivation.md, "Framework ranges"), in hex.
framework_seed_max_bits <- c(python = 128L, numpy = 32L, torch = 64L, tensorflow = 32L, r = 31L,
                             caffe = 32L)
portable_max <- 2147483647

top_keys <- c("seedbridge", "derivation", "root", "jobs")
root_keys <- c("entropy", "source", "env", "created")
job_keys <- c("seed", "frameworks", "profile", "description", "r", "caffe")
caffe_keys <- "solvers"

#' Read a seedbridge manifest
#'
#' Reads and validates `seedbridge.yaml` with the same rules as the Python package: unknown keys,
#' wrong types, an unquoted or upper-case root entropy, seeds a listed framework cannot take and
#' integers too wide for R's yaml reader are errors, all reported together. The file is read as
#' UTF-8 whatever the locale, so a job named `"na\u00efve"` gets the same seed under `LC_ALL=C` as in
#' a UTF-8 session and in Python.
#'
#' @param path Path of the manifest. Defaults to the environment variable `SEEDBRIDGE_MANIFEST`,
#'   else `seedbridge.yaml` in the working directory.
#' @return A `seedbridge_manifest` object: a list with `path`, `schema`, `derivation`, `root`
#'   (`entropy` as lower-case `"0x"` hex text, `source`, `env`, `created`) and `jobs` (a named list;
#'   each job has `name`, `seed` (`NULL` or `"0x"` hex text), `frameworks`, `profile`,
#'   `description`, `r` (the three RNG kinds, defaults filled in) and `caffe`).
#' @section Errors:
#' A `seedbridge_manifest_error` whose message has one line per problem, each naming the file,
#' the field (such as `jobs.train.seed`) and the rule; the `problems` field holds the lines.
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
  where <- path
  if (!file.exists(path) || dir.exists(path)) {
    manifest_abort(where, sprintf(
      "%s: no manifest here; create one with `seedbridge init` or name one with sb_manifest(path) or SEEDBRIDGE_MANIFEST",
      where
    ))
  }
  raw <- readBin(path, "raw", n = file.size(path))
  text <- rawToChar(raw)
  if (!validUTF8(text)) {
    manifest_abort(where, sprintf("%s: must be UTF-8 text", where))
  }
  # Marked UTF-8, yaml parses the bytes as they are; left "unknown", a C locale would mangle them.
  Encoding(text) <- "UTF-8"
  tree <- tryCatch(
    yaml::yaml.load(text, as.named.list = FALSE, handlers = yaml_handlers()),
    error = function(e) {
      manifest_abort(where, sprintf("%s: malformed YAML: %s", where, conditionMessage(e)))
    }
  )
  read_manifest(tree, where)
}

default_manifest_path <- function() {
  env <- Sys.getenv("SEEDBRIDGE_MANIFEST", unset = "")
  if (nzchar(env)) env else "seedbridge.yaml"
}

# Accepts a seedbridge_manifest or a path.
as_manifest <- function(manifest) {
  sb_manifest(manifest)
}

manifest_abort <- function(where, problems) {
  sb_abort(paste(problems, collapse = "\n"), "manifest_error", problems = problems, path = where)
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

# -- the YAML tree -------------------------------------------------------------------------------
#
# yaml.load() with these handlers keeps what validation needs and plain yaml.load() loses: map keys
# with their types (as.named.list = FALSE), integers as their text (R's yaml turns integers above
# 2147483647 into NA), sequences apart from scalars (it simplifies [x] to "x") and PyYAML's idea of
# a boolean (R's yaml also reads y and n as booleans; PyYAML reads them as text).

yaml_handlers <- function() {
  int_of <- function(tag) {
    force(tag)
    function(x) structure(list(text = x, tag = tag), class = "sb_yaml_int")
  }
  bool <- function(x) {
    if (x %in% c("y", "Y", "n", "N")) x else structure(list(text = x), class = "sb_yaml_bool")
  }
  list(
    "int" = int_of("int"),
    "int#hex" = int_of("hex"),
    "int#oct" = int_of("oct"),
    "int#base60" = int_of("base60"),
    "bool#yes" = bool,
    "bool#no" = bool,
    "seq" = function(x) structure(list(items = as.list(x)), class = "sb_yaml_seq"),
    "map" = function(x) {
      structure(list(keys = attr(x, "keys"), values = unname(as.list(x))), class = "sb_yaml_map")
    }
  )
}

is_text <- function(x) is.character(x) && !is.object(x) && length(x) == 1L && !is.na(x)

describe_node <- function(x) {
  if (inherits(x, "sb_yaml_map")) return("a mapping")
  if (inherits(x, "sb_yaml_seq")) return("a list")
  if (inherits(x, "sb_yaml_int")) return(paste("an integer", x$text))
  if (inherits(x, "sb_yaml_bool")) return(paste("a boolean", x$text))
  if (is.null(x)) return("null")
  if (is.character(x)) return(paste("text", show_text(x)))
  if (is.numeric(x)) return(paste("a number", format(x, digits = 17)))
  describe_value(x)
}

describe_kind <- function(x) {
  if (inherits(x, "sb_yaml_int")) "an integer" else if (inherits(x, "sb_yaml_bool")) "a boolean" else describe_node(x)
}

# An integer node's value as list(negative, hex), or NULL when yaml's text is not one we can read.
yaml_int_value <- function(node) {
  text <- gsub("_", "", node$text, fixed = TRUE)
  negative <- startsWith(text, "-")
  body <- sub("^[-+]", "", text)
  hex <- switch(node$tag,
    int = if (grepl("^[0-9]+$", body)) dec_to_hex(body),
    hex = if (grepl("^0[xX][0-9a-fA-F]+$", body)) substring(body, 3L),
    oct = if (grepl("^0o?[0-7]+$", body)) {
      paste(c(0:9, letters[1:6])[convert_digits(as.numeric(strsplit(sub("^0o?", "", body), "")[[1L]]), 8, 16) + 1],
            collapse = "")
    },
    NULL
  )
  if (is.null(hex)) NULL else list(negative = negative, hex = strip_hex(hex))
}

# Python's `_join`: jobs.train.seed, with a key that is not a plain word shown quoted.
join_field <- function(base, key) {
  key <- as_utf8(key)
  shown <- if (nzchar(key) && grepl("^[\\p{L}\\p{N}_-]+$", key, perl = TRUE)) key else paste0("\"", key, "\"")
  if (nzchar(base)) paste0(base, ".", shown) else shown
}

# -- validation -----------------------------------------------------------------------------------

# Collects every problem (Python's _Reader); the caller reports them together.
new_reader <- function(where) {
  env <- new.env(parent = emptyenv())
  env$where <- where
  env$problems <- character()
  env
}

bad <- function(rd, field, msg) {
  rd$problems <- c(rd$problems, sprintf("%s %s: %s", rd$where, field, msg))
  invisible(NULL)
}

# A map node as a named list of values; flags non-text keys, duplicates and unknown keys.
read_map <- function(rd, node, field, allowed = NULL) {
  if (!inherits(node, "sb_yaml_map")) {
    bad(rd, if (nzchar(field)) field else "(top level)", paste("must be a mapping, got", describe_node(node)))
    return(NULL)
  }
  out <- list()
  seen <- character()
  for (i in seq_along(node$keys)) {
    key <- node$keys[[i]]
    if (!is_text(key)) {
      shown <- if (inherits(key, c("sb_yaml_int", "sb_yaml_bool"))) key$text else if (is.null(key)) "~" else format(key)
      bad(rd, join_field(field, shown), sprintf(
        "keys must be text; YAML read %s as %s, quote it as \"%s\"",
        show_text(shown), describe_kind(key), shown
      ))
      next
    }
    key <- as_utf8(key)
    kfield <- join_field(field, key)
    bk <- byte_key(key)
    if (bk %in% seen) {
      bad(rd, kfield, "duplicate key")
      next
    }
    if (!is.null(allowed) && !(key %in% allowed)) {
      bad(rd, kfield, sprintf("unknown key%s (allowed: %s)", did_you_mean(key, allowed),
                              paste(allowed, collapse = ", ")))
      next
    }
    seen <- c(seen, bk)
    value <- node$values[i]
    names(value) <- key
    out <- c(out, value)
  }
  out
}

# "; did you mean 'x'?" for the closest of `choices`, or "".
did_you_mean <- function(x, choices, n = 1L) {
  close <- closest_names(x, choices, n)
  if (length(close)) sprintf("; did you mean %s?", paste(show_text(close), collapse = ", ")) else ""
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

read_integer <- function(rd, node, field, allow_text) {
  if (inherits(node, "sb_yaml_int")) {
    value <- yaml_int_value(node)
    if (is.null(value)) {
      bad(rd, field, paste("must be an integer, got", describe_node(node)))
      return(NULL)
    }
    if (!value$negative && hex_bit_length(value$hex) > 31L) {
      bad(rd, field, sprintf(
        "integers above %s must be quoted hex text such as \"0x%s\" (R's yaml reads them as NA), got %s",
        format(portable_max, scientific = FALSE), value$hex, node$text
      ))
      return(NULL)
    }
    return(value)
  }
  if (allow_text && is_text(node)) {
    text <- trimws(node)
    negative <- startsWith(text, "-")
    body <- sub("^-", "", text)
    if (grepl("^0[xX][0-9a-fA-F]+$", body)) {
      return(list(negative = negative, hex = strip_hex(substring(body, 3L))))
    }
    if (grepl("^[0-9]+$", body)) {
      return(list(negative = negative, hex = strip_hex(dec_to_hex(body))))
    }
  }
  bad(rd, field, paste("must be an integer, got", describe_node(node)))
  NULL
}

int_value_text <- function(v) {
  paste0(if (v$negative && v$hex != "0") "-" else "", hex_to_dec(v$hex))
}

small_int <- function(v) {
  value <- as.numeric(hex_to_dec(v$hex))
  if (v$negative) -value else value
}

read_text <- function(rd, node, field) {
  if (is_text(node)) {
    return(as_utf8(node))
  }
  bad(rd, field, paste("must be text, got", describe_node(node)))
  NULL
}

read_manifest <- function(tree, where) {
  rd <- new_reader(where)
  if (is.null(tree)) {
    manifest_abort(where, sprintf("%s: the manifest is empty; create one with `seedbridge init`", where))
  }
  top <- read_map(rd, tree, "", top_keys)
  if (inherits(tree, "sb_yaml_map")) {
    for (key in setdiff(top_keys, names(top))) bad(rd, key, "required key is missing")
  }
  schema <- derivation <- NULL
  if ("seedbridge" %in% names(top)) {
    v <- read_integer(rd, top[["seedbridge"]], "seedbridge", allow_text = FALSE)
    if (!is.null(v)) {
      schema <- small_int(v)
      if (schema != schema_version) {
        bad(rd, "seedbridge", sprintf("schema version must be %d, got %s", schema_version, int_value_text(v)))
      }
    }
  }
  if ("derivation" %in% names(top)) {
    v <- read_integer(rd, top[["derivation"]], "derivation", allow_text = FALSE)
    if (!is.null(v)) {
      derivation <- small_int(v)
      if (!(derivation %in% derivation_versions)) {
        bad(rd, "derivation", sprintf("must be one of %s, got %s", paste(derivation_versions, collapse = ", "),
                                      int_value_text(v)))
      }
    }
  }
  root <- if ("root" %in% names(top)) read_root(rd, top[["root"]])
  jobs <- list()
  if ("jobs" %in% names(top) && !is.null(top[["jobs"]])) {
    entries <- read_map(rd, top[["jobs"]], "jobs")
    for (name in names(entries)) {
      job <- read_job(rd, name, entries[[name]])
      if (!is.null(job)) {
        jobs[[length(jobs) + 1L]] <- job
        names(jobs)[[length(jobs)]] <- name
      }
    }
  }
  if (length(rd$problems)) {
    manifest_abort(where, rd$problems)
  }
  structure(
    list(path = where, schema = as.integer(schema), derivation = as.integer(derivation), root = root,
         jobs = jobs),
    class = "seedbridge_manifest"
  )
}

read_root <- function(rd, node) {
  fields <- read_map(rd, node, "root", root_keys)
  entropy <- NULL
  if (!("entropy" %in% names(fields))) {
    if (inherits(node, "sb_yaml_map")) bad(rd, "root.entropy", "required key is missing")
  } else {
    e <- fields[["entropy"]]
    # Only a quoted scalar is text here: YAML 1.1 reads an unquoted 0x2a as an integer.
    if (is_text(e) && grepl("^0x[0-9a-f]{1,32}$", e)) {
      entropy <- paste0("0x", strip_hex(substring(e, 3L)))
    } else {
      shown <- if (inherits(e, c("sb_yaml_int", "sb_yaml_bool"))) paste(show_text(e$text), "(unquoted)") else describe_node(e)
      bad(rd, "root.entropy", paste(
        "must be a quoted lower-case hex string of up to 128 bits such as \"0x2a\", got", shown
      ))
    }
  }
  source <- "explicit"
  if ("source" %in% names(fields)) {
    s <- read_text(rd, fields[["source"]], "root.source")
    if (!is.null(s) && !(s %in% root_sources)) {
      bad(rd, "root.source", sprintf("must be one of %s, got %s", paste(root_sources, collapse = ", "), show_text(s)))
    }
    if (!is.null(s)) source <- s
  }
  env <- NULL
  if ("env" %in% names(fields)) {
    env <- read_text(rd, fields[["env"]], "root.env")
    if (!is.null(env) && !grepl("^[A-Za-z_][A-Za-z0-9_]*$", env)) {
      bad(rd, "root.env", paste("must be an environment variable name, got", show_text(env)))
    }
    if (source != "env") {
      bad(rd, "root.env", sprintf("is only allowed when source is env (source is %s)", source))
    }
  } else if (source == "env" && "source" %in% names(fields)) {
    bad(rd, "root.env", "source env needs root.env, the variable's name")
  }
  created <- NULL
  if ("created" %in% names(fields)) {
    created <- fields[["created"]]
    if (!is_text(created)) {
      bad(rd, "root.created", paste("must be an ISO 8601 timestamp, got", describe_node(created)))
      created <- NULL
    }
  }
  list(entropy = entropy, source = source, env = env, created = created)
}

read_job <- function(rd, name, node) {
  base <- join_field("jobs", name)
  if (!nzchar(name)) {
    bad(rd, base, "job names must not be empty")
    return(NULL)
  }
  job <- list(name = name, seed = NULL, frameworks = character(), profile = "seeded",
              description = NULL, r = r_default_kinds, caffe = list())
  if (is.null(node)) {
    return(job) # `train:` with nothing under it
  }
  before <- length(rd$problems)
  fields <- read_map(rd, node, base, job_keys)
  field <- function(key) paste0(base, ".", key)
  if ("seed" %in% names(fields)) {
    v <- read_integer(rd, fields[["seed"]], field("seed"), allow_text = TRUE)
    if (!is.null(v)) {
      if ((v$negative && v$hex != "0") || hex_bit_length(v$hex) > 128L) {
        bad(rd, field("seed"), paste("must be an integer in 0..2**128-1, got", int_value_text(v)))
      } else {
        job$seed <- paste0("0x", v$hex)
      }
    }
  }
  if ("frameworks" %in% names(fields)) {
    f <- fields[["frameworks"]]
    if (!inherits(f, "sb_yaml_seq")) {
      bad(rd, field("frameworks"), paste("must be a list such as [numpy, torch], got", describe_node(f)))
    } else {
      for (item in f$items) {
        fw <- read_text(rd, item, field("frameworks"))
        if (is.null(fw)) next
        if (!(fw %in% frameworks)) {
          bad(rd, field("frameworks"), sprintf("must be among %s, got %s", paste(frameworks, collapse = ", "),
                                               show_text(fw)))
        } else if (fw %in% job$frameworks) {
          bad(rd, field("frameworks"), sprintf("lists %s twice", show_text(fw)))
        } else {
          job$frameworks <- c(job$frameworks, fw)
        }
      }
    }
  }
  if ("profile" %in% names(fields)) {
    p <- read_text(rd, fields[["profile"]], field("profile"))
    if (!is.null(p) && !(p %in% profiles)) {
      bad(rd, field("profile"), sprintf("must be one of %s, got %s", paste(profiles, collapse = ", "), show_text(p)))
    }
    if (!is.null(p)) job$profile <- p
  }
  if ("description" %in% names(fields)) {
    job$description <- read_text(rd, fields[["description"]], field("description"))
  }
  if ("r" %in% names(fields)) {
    kinds <- read_map(rd, fields[["r"]], field("r"), names(r_kind_choices))
    for (key in names(kinds)) {
      v <- read_text(rd, kinds[[key]], field(paste0("r.", key)))
      if (is.null(v)) next
      if (!(v %in% r_kind_choices[[key]])) {
        bad(rd, field(paste0("r.", key)), sprintf("must be one of %s, got %s",
                                                  paste(r_kind_choices[[key]], collapse = ", "), show_text(v)))
      } else {
        job$r[[key]] <- v
      }
    }
  }
  if ("caffe" %in% names(fields)) {
    opts <- read_map(rd, fields[["caffe"]], field("caffe"), caffe_keys)
    for (key in names(opts)) {
      s <- opts[[key]]
      if (!inherits(s, "sb_yaml_seq")) {
        bad(rd, field(paste0("caffe.", key)), paste("must be a list of solver file paths, got", describe_node(s)))
        next
      }
      paths <- lapply(s$items, read_text, rd = rd, field = field(paste0("caffe.", key)))
      job$caffe[[key]] <- unlist(paths, use.names = FALSE) %||% character()
    }
  }
  if (!is.null(job$seed)) {
    for (fw in job$frameworks) {
      if (hex_bit_length(job$seed) > framework_seed_max_bits[[fw]]) {
        top <- max_seed_text(framework_seed_max_bits[[fw]])
        bad(rd, field("seed"), sprintf("must be an integer in 0..%s for %s, got %s", top, fw,
                                       hex_to_dec(substring(job$seed, 3L))))
      }
    }
  }
  if (length(rd$problems) > before) {
    return(NULL)
  }
  job
}

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
