"""python = TRUE in the R package: R seeds the Python that reticulate embeds, as seedbridge seeds Python.

Runs Debian's reticulate (r-cran-reticulate) against this interpreter (RETICULATE_PYTHON). Draws cross
the bridge as text (%.17g and repr round-trip a double exactly), never as NumPy arrays: Debian's
reticulate 1.28 crashes converting NumPy 2 arrays.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_r_package import rscript

pytestmark = pytest.mark.skipif(
    subprocess.run(["Rscript", "-e", "quit(status = !requireNamespace('reticulate', quietly = TRUE))"],
                   capture_output=True, check=False).returncode != 0,
    reason="R or the R package reticulate is not installed",
)

MANIFEST = """\
seedbridge: 1
derivation: 1
root:
  entropy: "0x9e3779b97f4a7c15f39cc0605cedc834"
jobs:
  train: {frameworks: [python, numpy]}
  pinned: {seed: 1234, frameworks: [python, numpy]}
  mixed: {frameworks: [python, numpy, r]}
"""

# (job, keys) cases. R seeds the Python side of a job that also lists r; in Python the comparison
# leaves r out (seed_everything would start an R through rpy2).
CASES = [("train", {}), ("train", {"rank": 2, "split": "val"}), ("pinned", {}), ("mixed", {"fold": 1}),
         ("train", {"é": "ü"})]

PYTHON_DRAWS = """
import json, random, sys
import numpy as np
import seedbridge
out = []
for job, keys in json.loads(sys.argv[1]):
    frameworks = ["python", "numpy"] if job == "mixed" else None
    seedbridge.seed_everything(job, manifest=sys.argv[2], frameworks=frameworks, **keys)
    out.append([random.random(), *np.random.rand(3).tolist()])
print(json.dumps(out))
"""

R_DRAWS = r"""
library(seedbridge)
if (%(block)s) reticulate::py_run_string("import sys; sys.modules['seedbridge'] = None")  # not importable
random <- reticulate::import("random", convert = FALSE)
np <- reticulate::import("numpy", convert = FALSE)
for (case in jsonlite::fromJSON(%(cases)s, simplifyVector = FALSE)) {
  info <- suppressWarnings(sb_set_seed(case[[1]], case[[2]], manifest = %(path)s, python = TRUE),
                           classes = "seedbridge_pythonhashseed_warning")
  draws <- c(reticulate::py_to_r(random$random()), unlist(reticulate::py_to_r(np$random$rand(3L)$tolist())))
  cat(info$python$via, paste(info$python$frameworks, collapse = "+"), sprintf("%%.17g", draws), "\n")
}
"""


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "seedbridge.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    return path


def python_draws(manifest_path: Path, cases: list[tuple[str, dict[str, object]]]) -> list[list[float]]:
    """random.random() and three np.random.rand() draws after seed_everything, in a fresh Python."""
    proc = subprocess.run([sys.executable, "-c", PYTHON_DRAWS, json.dumps(cases), str(manifest_path)],
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.parametrize(("via", "locale"), [("seedbridge", "C"), ("fallback", "C.UTF-8")])
def test_numpy_draws_after_sb_set_seed_python_equal_seed_everything(
    r_lib: Path, tmp_path: Path, manifest_path: Path, via: str, locale: str
) -> None:
    """sb_set_seed(job, python = TRUE) in R, through seedbridge or without it, draws what Python draws.

    Keys come from JSON (names set as R data, not parsed as arguments), so a non-ASCII key name
    reaches Python intact under LC_ALL=C too."""
    expected = python_draws(manifest_path, CASES)
    code = R_DRAWS % {"block": "TRUE" if via == "fallback" else "FALSE", "cases": json.dumps(json.dumps(CASES)),
                      "path": json.dumps(str(manifest_path))}
    env = {"RETICULATE_PYTHON": sys.executable, "LC_ALL": locale}
    lines = rscript(r_lib, code, tmp_path, env=env).splitlines()
    assert [line.split()[:2] for line in lines] == [[via, "python+numpy"]] * len(CASES)
    assert [[float(x) for x in line.split()[2:]] for line in lines] == expected


@pytest.mark.slow
def test_with_sb_seed_python_restores_the_python_state_and_warns_about_pythonhashseed(
    r_lib: Path, tmp_path: Path, manifest_path: Path
) -> None:
    """The warning's advice works: started with PYTHONHASHSEED from `seedbridge env`, there is no warning."""
    code = f"""
library(seedbridge)
np <- reticulate::import("numpy", convert = FALSE)
draw <- function() sprintf("%.17g", unlist(reticulate::py_to_r(np$random$rand(3L)$tolist())))
invisible(np$random$seed(7L))
plain <- draw()
invisible(np$random$seed(7L))
w <- "no warning"
inside <- withCallingHandlers(
  with_sb_seed("train", draw(), manifest = {json.dumps(str(manifest_path))}, python = TRUE),
  seedbridge_pythonhashseed_warning = function(c) {{ w <<- conditionMessage(c); invokeRestart("muffleWarning") }}
)
cat(identical(draw(), plain), inside, sep = "\n")
cat(w, "\n")
"""
    import seedbridge

    seed = seedbridge.load(manifest_path).seed("train")
    expected = [str(x) for x in python_draws(manifest_path, [("train", {})])[0][1:]]
    lines = rscript(r_lib, code, tmp_path, env={"RETICULATE_PYTHON": sys.executable}).splitlines()
    assert lines[0] == "TRUE"
    assert [float(x) for x in lines[1:4]] == [float(x) for x in expected]
    assert f'for job "train" it is {seed}: start R with the job\'s environment (eval "$(seedbridge env train)")' in lines[4]
    env = {"RETICULATE_PYTHON": sys.executable, "PYTHONHASHSEED": str(seed)}
    assert rscript(r_lib, code, tmp_path, env=env).splitlines()[4].strip() == "no warning"


@pytest.mark.slow
def test_a_python_without_numpy_is_refused_before_anything_is_seeded(r_lib: Path, tmp_path: Path,
                                                                     manifest_path: Path) -> None:
    """reticulate's Python lacks NumPy (and seedbridge): the job listing numpy is refused with a
    missing-dependency error, Python's random untouched (it was seeded, then NumPy's import failed)."""
    import venv

    bare = tmp_path / "bare"
    venv.EnvBuilder(with_pip=False).create(bare)
    python = bare / "bin" / "python"
    check = subprocess.run([str(python), "-c", "import numpy"], capture_output=True, check=False)
    assert check.returncode != 0  # the test's premise
    code = f"""
library(seedbridge)
random <- reticulate::import("random", convert = FALSE)
invisible(random$seed(99L))
before <- reticulate::py_to_r(random$random())
invisible(random$seed(99L))
e <- tryCatch(sb_set_seed("train", manifest = {json.dumps(str(manifest_path))}, python = TRUE), error = identity)
cat(class(e)[[1]], conditionMessage(e), sep = "\\n")
cat(identical(reticulate::py_to_r(random$random()), before), "\\n")
"""
    lines = rscript(r_lib, code, tmp_path, env={"RETICULATE_PYTHON": str(python)}).splitlines()
    assert lines[0] == "seedbridge_missing_dependency_error"
    assert lines[1] == (f'python = TRUE: job "train" lists numpy, which reticulate\'s Python ({python}) cannot '
                        "import; install it there (pip install numpy) or point RETICULATE_PYTHON at the "
                        "pipeline's Python")
    assert lines[2].strip() == "TRUE"
