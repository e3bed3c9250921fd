# Reads every *.yaml file of a folder with the R package and prints what it found as JSON, for
# tests/test_conformance.py to compare with Python:
#
#   Rscript tests/conformance/run_r.R FOLDER [QUERIES.json]
#
# One object per file: {"file", "accepted", "root", "jobs": [[name, pin], ...], "problems":
# [{"field", "rule", "message"}], "seeds": [...]}. QUERIES.json (the corpus's expected.json) lists
# (job, keys, bits) queries per file; their seeds are printed as decimal text.

args <- commandArgs(trailingOnly = TRUE)
folder <- args[[1L]]
queries <- if (length(args) > 1L) jsonlite::fromJSON(args[[2L]], simplifyVector = FALSE)$cases else list()

seed_text <- function(x) if (is.character(x)) x else format(x, scientific = FALSE)

run <- function(file) {
  path <- file.path(folder, file)
  m <- tryCatch(seedbridge::sb_manifest(path), seedbridge_manifest_error = function(e) e)
  if (inherits(m, "error")) {
    problems <- lapply(seq_along(m$rules), function(i) {
      list(field = if (nzchar(m$fields[[i]])) m$fields[[i]] else NULL, rule = m$rules[[i]],
           message = m$messages[[i]])
    })
    return(list(file = file, accepted = FALSE, problems = problems))
  }
  jobs <- lapply(m$jobs, function(j) list(j$name, j$seed))
  seeds <- lapply(queries[[file]]$queries, function(q) {
    args <- c(list(q$job), q$keys, list(bits = q$bits, manifest = m))
    seed_text(do.call(seedbridge::sb_seed, args))
  })
  list(file = file, accepted = TRUE, root = m$root$entropy, jobs = unname(jobs), seeds = seeds)
}

files <- sort(list.files(folder, pattern = "\\.yaml$"))
out <- lapply(files, run)
json <- jsonlite::toJSON(out, auto_unbox = TRUE, null = "null")
writeLines(enc2utf8(as.character(json)), stdout(), useBytes = TRUE)
