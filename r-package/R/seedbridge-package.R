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
#' * [sb_rng_info()] describes the RNG state for an audit record.
#'
#' The package never touches the RNG when it is loaded.
#'
#' @section Conditions:
#' Every error seedbridge signals on purpose has class `seedbridge_error` and one of
#' `seedbridge_manifest_error` (the manifest breaks a schema rule; all problems are reported
#' together, in the condition's `problems` field), `seedbridge_derivation_error` (a bad key, `bits`
#' or base), `seedbridge_seed_range_error` (a pinned seed does not fit), `seedbridge_unknown_job_error`
#' (the manifest declares no such job; the `suggestions` field holds the closest names) or
#' `seedbridge_framework_error` (R did not take the requested RNG kinds). Messages are lower-case,
#' name the field and the rule, and show the bad value.
#'
#' @keywords internal
"_PACKAGE"
