# Every manifest of the conformance corpus (tests/conformance) meets its expected outcome in R, as
# in Python (tests/test_conformance.py): accepted with the expected jobs, pins and seeds, or refused
# with the expected field and rule id of each problem, in order.

test_that("R meets the expected outcome of every conformance case", {
  dir <- conformance_path()
  skip_if(is.null(dir), "tests/conformance not found; set SEEDBRIDGE_CONFORMANCE")
  skip_if_not_installed("jsonlite")
  cases <- jsonlite::fromJSON(file.path(dir, "expected.json"), simplifyVector = FALSE)$cases
  expect_gte(length(cases), 100L)
  expect_setequal(names(cases), list.files(file.path(dir, "cases")))
  for (file in names(cases)) {
    expected <- cases[[file]]
    got <- tryCatch(sb_manifest(file.path(dir, "cases", file)), seedbridge_manifest_error = identity)
    if (isTRUE(expected$accepted)) {
      expect_s3_class(got, "seedbridge_manifest")
      if (!inherits(got, "seedbridge_manifest")) next
      expect_identical(got$root$entropy, expected$root, label = file)
      jobs <- lapply(got$jobs, function(j) list(j$name, j$seed))
      expect_identical(unname(jobs), expected$jobs, label = file)
      for (q in expected$queries) {
        seed <- do.call(sb_seed, c(list(q$job), q$keys, list(bits = q$bits, manifest = got)))
        expect_identical(format(seed, scientific = FALSE), q$seed, label = paste(file, q$job, q$bits))
      }
    } else {
      expect_s3_class(got, "seedbridge_manifest_error")
      if (!inherits(got, "seedbridge_manifest_error")) next
      want_fields <- vapply(expected$problems, function(p) p$field %||% "", "")
      want_rules <- vapply(expected$problems, function(p) p$rule, "")
      expect_identical(got$rules, want_rules, label = file)
      expect_identical(got$fields, want_fields, label = file)
    }
  }
})

test_that("the package ships the schema data of the Python package", {
  dir <- conformance_path()
  skip_if(is.null(dir), "tests/conformance not found; set SEEDBRIDGE_CONFORMANCE")
  python_copy <- file.path(dir, "..", "..", "seedbridge", "manifest_schema.json")
  skip_if(!file.exists(python_copy), "seedbridge/manifest_schema.json not found")
  installed <- system.file("manifest_schema.json", package = "seedbridge")
  expect_identical(readBin(installed, "raw", 1e6), readBin(python_copy, "raw", 1e6))
})
