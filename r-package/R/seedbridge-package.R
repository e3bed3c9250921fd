#' seedbridge: one seed manifest for mixed-language ML pipelines
#'
#' The R side of seedbridge. It reads the same `seedbridge.yaml` as the Python package, implements
#' the same seed derivation (version 1, specified in `docs/derivation.md`) and applies seeds to R's
#' random number generator with all three kinds pinned. It has no Python dependency.
#'
#' * [sb_manifest()] reads and validates a manifest.
#' * [sb_seed()] gives a job's seed; [sb_derive()] is the bare derivation.
#' * [sb_set_seed()], [with_sb_seed()] and [local_sb_seed()] seed R.
#' * [sb_lecuyer_seed()] gives a L'Ecuyer-CMRG seed for parallel code.
#' * [sb_replicate_seeds()] gives the seeds of the replicates of `seedbridge sweep`.
#' * [local_sb_test_seed()] seeds each testthat test from its description.
#' * `python = TRUE` also seeds the Python session of reticulate.
#' * [sb_rng_info()] describes the RNG state for an audit record.
#'
#' The package never touches the RNG when it is loaded. It needs no Python; reticulate is only used
#' when `python = TRUE` asks for it.
#'
#' @section Conditions:
#' Every error seedbridge signals on purpose has class `seedbridge_error` and one of
#' `seedbridge_manifest_error` (the manifest breaks a schema rule; all problems are reported
#' together, in the condition's `problems` field), `seedbridge_derivation_error` (a bad key, `bits`
#' or base), `seedbridge_seed_range_error` (a pinned seed does not fit), `seedbridge_unknown_job_error`
#' (the manifest declares no such job; the `suggestions` field holds the closest names),
#' `seedbridge_framework_error` (R did not take the requested RNG kinds, Python refused, or
#' [local_sb_test_seed()] ran outside a test) or `seedbridge_missing_dependency_error`
#' (`python = TRUE` without reticulate or a Python). Messages are lower-case, name the field and the
#' rule, and show the bad value. Warnings have class `seedbridge_warning`:
#' `seedbridge_pythonhashseed_warning` says that reticulate's Python runs with another
#' `PYTHONHASHSEED` than the job's.
#'
#' @keywords internal
"_PACKAGE"
