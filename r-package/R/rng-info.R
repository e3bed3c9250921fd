#' R's RNG settings for an audit record
#'
#' Reports what decides R's random draws, without changing anything: the R version, the three RNG
#' kinds and `.Random.seed[1]` (the kinds' code; `NA` when R has not been seeded or used its RNG
#' yet in this session).
#'
#' @return A list with `r_version` (text such as `"4.2.2"`), `kind`, `normal.kind`, `sample.kind`
#'   and `random_seed_1` (integer).
#' @export
#' @examples
#' str(sb_rng_info())
sb_rng_info <- function() {
  kinds <- RNGkind()
  list(
    r_version = as.character(getRversion()),
    kind = kinds[[1L]],
    normal.kind = kinds[[2L]],
    sample.kind = kinds[[3L]],
    random_seed_1 = random_seed_1()
  )
}
