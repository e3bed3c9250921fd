# Seeding the Python session that reticulate embeds in R (`python = TRUE` of sb_set_seed(),
# with_sb_seed() and local_sb_seed()), with the same job's seeds as the Python side of a pipeline.
#
# When seedbridge's Python package is importable there, seedbridge.seed_everything() seeds the job's
# Python frameworks exactly as a Python process would; otherwise Python's `random` and NumPy's legacy
# global state are seeded directly with the job's main seed, which is what seed_everything gives them.
# reticulate is only suggested: nothing here runs unless the caller asks for Python.
#
# Values cross the bridge as plain scalars and strings, and Python objects stay in Python
# (convert = FALSE): Debian's reticulate 1.28 crashes converting NumPy 2 arrays.

# Python-side targets seed_everything seeds for a job that lists none (seedbridge._everything's
# defaults); R seeds itself here, and Caffe is seeded through its solver files.
python_default_frameworks <- c("python", "numpy", "torch", "tensorflow")
# What the fallback (no seedbridge in Python) can seed.
python_fallback_frameworks <- c("python", "numpy")
# Built-in targets named like the Python module they need (seedbridge's Python package checks others itself).
python_module_frameworks <- c("numpy", "torch", "tensorflow", "jax")

# Everything the Python side needs, checked before any RNG is touched: the modules, the frameworks
# to seed and the keys as Python will see them.
python_plan <- function(m, j, keys, seed) {
  if (!requireNamespace("reticulate", quietly = TRUE)) {
    sb_abort(paste("python = TRUE needs the R package reticulate; install it",
                   "(install.packages(\"reticulate\"), or apt-get install r-cran-reticulate)"),
             "missing_dependency_error")
  }
  available <- python_call("start Python", reticulate::py_available(initialize = TRUE))
  if (!isTRUE(available)) {
    sb_abort(paste("python = TRUE: reticulate found no Python; point RETICULATE_PYTHON at the Python of",
                   "the pipeline (or call reticulate::use_python() first)"),
             "missing_dependency_error")
  }
  listed <- setdiff(j$frameworks, c("r", "caffe"))
  frameworks <- if (length(listed)) listed else python_default_frameworks
  has_seedbridge <- python_installed("seedbridge")
  if (!length(listed)) {
    # The defaults: those installed, as seed_everything does (the python target is `random`).
    installed <- vapply(frameworks, function(fw) fw == "python" || python_installed(fw), NA)
    frameworks <- frameworks[installed]
  } else if (!has_seedbridge && !all(frameworks %in% python_fallback_frameworks)) {
    sb_abort(sprintf(paste(
      "python = TRUE: job %s lists %s, which only seedbridge's Python package can seed, and it is not",
      "importable in reticulate's Python (%s); install seedbridge there (pip install seedbridge)"
    ), show_text(j$name), paste(setdiff(frameworks, python_fallback_frameworks), collapse = ", "),
    reticulate::py_config()$python), "missing_dependency_error")
  }
  if (!has_seedbridge) {
    frameworks <- intersect(frameworks, python_fallback_frameworks)
  }
  # A listed framework that Python cannot import would fail half-way, after `random` was seeded.
  modules <- intersect(frameworks, python_module_frameworks)
  missing <- modules[!vapply(modules, python_installed, NA)]
  if (length(missing)) {
    sb_abort(sprintf(paste(
      "python = TRUE: job %s lists %s, which reticulate's Python (%s) cannot import; install it there",
      "(pip install %s) or point RETICULATE_PYTHON at the pipeline's Python"
    ), show_text(j$name), paste(missing, collapse = ", "), reticulate::py_config()$python,
    paste(missing, collapse = " ")), "missing_dependency_error")
  }
  # As UTF-8 text (job_seed() has checked them), so reticulate hands Python the same characters.
  key_names <- if (length(keys)) utf8_text(names(keys), "key name") else character()
  key_values <- vapply(seq_along(keys), function(i) key_text(key_names[[i]], keys[[i]]), "")
  clash <- intersect(key_names, c("job", "manifest", "frameworks", "deterministic"))
  if (has_seedbridge && length(clash)) {
    sb_abort(sprintf("key %s: seedbridge.seed_everything() in Python takes no key of that name (it is one of its arguments)",
                     show_text(clash[[1L]])), "derivation_error")
  }
  list(
    seedbridge = has_seedbridge,
    frameworks = frameworks,
    job = j$name,
    keys = utf8_text(key_values, "key value"),
    key_names = key_names,
    manifest = normalizePath(m$path, mustWork = FALSE),
    seed = seed
  )
}

# Whether Python can import `module`, found without importing it (importlib.util.find_spec, as
# seedbridge's Python package does; reticulate::py_module_available() imports the module, and
# importing TensorFlow only to learn that it is there takes seconds).
python_installed <- function(module) {
  util <- reticulate::import("importlib.util", convert = FALSE)
  !inherits(util$find_spec(module), "python.builtin.NoneType")
}

# Runs `code` (a call into Python); a Python exception becomes a seedbridge_framework_error.
python_call <- function(what, code) {
  tryCatch(code, error = function(e) {
    if (inherits(e, "seedbridge_error")) stop(e)
    sb_abort(sprintf("python: could not %s: %s", what, trimws(conditionMessage(e))), "framework_error",
             parent = e)
  })
}

# The RNG state of the frameworks the plan seeds, as a Python object.
python_state <- function(plan) {
  python_call("save the Python RNG state", {
    if (plan$seedbridge) {
      sb <- reticulate::import("seedbridge", convert = FALSE)
      sb$snapshot(frameworks = as.list(plan$frameworks))
    } else {
      states <- list(python = reticulate::import("random", convert = FALSE)$getstate())
      if ("numpy" %in% plan$frameworks) {
        states$numpy <- reticulate::import("numpy", convert = FALSE)$random$get_state()
      }
      states
    }
  })
}

python_restore <- function(plan, state) {
  python_call("restore the Python RNG state", {
    if (plan$seedbridge) {
      reticulate::import("seedbridge", convert = FALSE)$restore(state)
    } else {
      reticulate::import("random", convert = FALSE)$setstate(state$python)
      if (!is.null(state$numpy)) reticulate::import("numpy", convert = FALSE)$random$set_state(state$numpy)
    }
  })
  invisible(NULL)
}

# Seeds the plan's frameworks; returns what was done, for sb_set_seed()'s record.
python_seed <- function(plan) {
  result <- python_call("seed Python", {
    if (plan$seedbridge) {
      python_seed_everything(plan)
    } else {
      reticulate::import("random", convert = FALSE)$seed(plan$seed)
      if ("numpy" %in% plan$frameworks) reticulate::import("numpy", convert = FALSE)$random$seed(plan$seed)
      list(via = "fallback", seed = plan$seed, frameworks = plan$frameworks)
    }
  })
  python_hash_seed_warning(plan)
  result
}

# seedbridge.seed_everything(job, manifest=, frameworks=, **keys), with the keys passed as a dict so
# that their names reach Python as R holds them (an R call would pass them through the parser).
python_seed_everything <- function(plan) {
  sb <- reticulate::import("seedbridge", convert = FALSE)
  call_kw <- reticulate::py_eval("lambda f, args, kwargs: f(*args, **kwargs)", convert = FALSE)
  kwargs <- reticulate::py_dict(c("manifest", "frameworks", plan$key_names),
                                c(list(plan$manifest, as.list(plan$frameworks)), as.list(plan$keys)),
                                convert = FALSE)
  builtins <- reticulate::import_builtins(convert = FALSE)
  # Python reads the manifest file again: it must give the seed R has, or nothing is seeded.
  keys <- reticulate::py_dict(plan$key_names, as.list(plan$keys), convert = FALSE)
  py_seed <- reticulate::py_to_r(builtins$str(sb$load(plan$manifest)$seed_for(plan$job, keys)))
  if (!identical(py_seed, format(plan$seed, scientific = FALSE))) {
    sb_abort(sprintf(paste(
      "python: seedbridge in Python gives job %s seed %s where R gives %s; the manifest (%s) changed",
      "since R read it, or the two versions of seedbridge differ"
    ), show_text(plan$job), py_seed, format(plan$seed), plan$manifest), "framework_error")
  }
  report <- reticulate::py_call(call_kw, sb$seed_everything, list(plan$job), kwargs)
  list(via = "seedbridge", seed = plan$seed,
       frameworks = as.character(unlist(reticulate::py_to_r(builtins$list(report$seeded)))))
}

# PYTHONHASHSEED (the order of Python's sets and str hashes) is read when Python starts: a running
# interpreter keeps the value it started with, so this can only tell the user.
python_hash_seed_warning <- function(plan) {
  os <- reticulate::import("os", convert = FALSE)
  current <- reticulate::py_to_r(os$environ$get("PYTHONHASHSEED", ""))
  wanted <- format(plan$seed, scientific = FALSE)
  if (!identical(current, wanted)) {
    shown <- if (nzchar(current)) paste("is", current) else "is not set"
    warning(warningCondition(sprintf(paste(
      "PYTHONHASHSEED %s in reticulate's Python, and it cannot change once Python has started;",
      "for job %s it is %s: start R with the job's environment (eval \"$(seedbridge env %s)\"),",
      "or call Sys.setenv(PYTHONHASHSEED = \"%s\") before reticulate starts Python"
    ), shown, show_text(plan$job), wanted, env_command(plan), wanted),
    class = c("seedbridge_pythonhashseed_warning", "seedbridge_warning")))
  }
  invisible(NULL)
}

# The `seedbridge env` arguments that print the job's environment, PYTHONHASHSEED included.
env_command <- function(plan) {
  keys <- if (length(plan$keys)) paste0("--key=", plan$key_names, "=", plan$keys)
  words <- c(as_utf8(plan$job), keys)
  plain <- grepl("^[A-Za-z0-9_./=:,+@%-]+$", words)
  words[!plain] <- shQuote(words[!plain])
  paste(words, collapse = " ")
}
