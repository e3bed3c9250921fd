library(testthat)
library(seedbridge)

test_check("seedbridge")
