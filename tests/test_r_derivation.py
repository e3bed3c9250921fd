"""The R package's derivation against Python's, through Rscript: text in every locale, sweep replicates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from test_r_package import rscript

import seedbridge

pytestmark = pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")

MANIFEST = """\
seedbridge: 1
derivation: 1
root:
  entropy: "0x9e3779b97f4a7c15f39cc0605cedc834"
jobs:
  train: {}
  pinned: {seed: 1234}
"""


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "seedbridge.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    return path


# Each line: a label and what the expression gives: a seed, or the class of the error.
KEY_NAMES_SCRIPT = r"""
library(seedbridge)
m <- sb_manifest(%(path)s)
try_seed <- function(label, code) {
  got <- tryCatch(as.character(code), seedbridge_error = function(e) class(e)[[1]])
  cat(label, got, "\n")
}
keys <- list("x", 3)
names(keys) <- c("\u00e9", "rank")
try_seed("escaped-argument", sb_seed("train", "\u00e9" = "x", rank = 3, manifest = m))
try_seed("escaped-list", sb_seed("train", list("\u00e9" = "x", rank = 3), manifest = m))
try_seed("typed-argument", sb_seed("train", "é" = "x", rank = 3, manifest = m))
try_seed("names-assigned", sb_seed("train", keys, manifest = m))
try_seed("invalid-value", sb_seed("train", rank = "caf\xe9", manifest = m))
try_seed("bytes-value", sb_seed("train", rank = `Encoding<-`("caf\u00e9", "bytes"), manifest = m))
"""


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
def test_a_key_name_gives_pythons_seed_or_a_seedbridge_error(
    r_lib: Path, tmp_path: Path, manifest_path: Path, locale: str
) -> None:
    """A script's non-ASCII key names give Python's seed in every locale, except where R rewrites them.

    In the C locale R's parser turns "\\u00e9" = ... (argument or list() name) into "<U+00E9>": a
    seedbridge error, never another seed. Text that is not valid UTF-8 is refused everywhere."""
    python = str(seedbridge.load(manifest_path).seed("train", **{"é": "x", "rank": 3}))
    out = rscript(r_lib, KEY_NAMES_SCRIPT % {"path": json.dumps(str(manifest_path))}, tmp_path,
                  env={"LC_ALL": locale})
    got = dict(line.split() for line in out.splitlines())
    rewritten = "seedbridge_derivation_error" if locale == "C" else python
    assert got == {
        "escaped-argument": rewritten,
        "escaped-list": rewritten,
        "typed-argument": python,
        "names-assigned": python,
        "invalid-value": "seedbridge_derivation_error",
        "bytes-value": "seedbridge_derivation_error",
    }


REPLICATES_SCRIPT = r"""
library(seedbridge)
m <- sb_manifest(%(path)s)
cat(sb_replicate_seeds("train", 4, manifest = m), "\n")
cat(sb_replicate_seeds("train", 4, fold = 2, split = "val", manifest = m), "\n")
cat(sb_replicate_seeds("pinned", 4, manifest = m), "\n")
cat(sb_replicate_seeds("pinned", 4, epoch = 12345678901, manifest = m), "\n")
"""


def test_replicate_seeds_equal_the_cli_seed_of_each_replicate(r_lib: Path, tmp_path: Path, manifest_path: Path) -> None:
    """sb_replicate_seeds(job, n, ...)[i + 1] is `seedbridge seed JOB --key replicate=i --key ...`."""
    out = rscript(r_lib, REPLICATES_SCRIPT % {"path": json.dumps(str(manifest_path))}, tmp_path).splitlines()
    cases = [("train", []), ("train", ["fold=2", "split=val"]), ("pinned", []), ("pinned", ["epoch=12345678901"])]
    for line, (job, keys) in zip(out, cases, strict=True):
        expected = []
        for i in range(4):
            args = ["seed", job, "-m", str(manifest_path), "--key", f"replicate={i}"]
            for key in keys:
                args += ["--key", key]
            proc = run_cli(args)
            assert proc.returncode == 0, proc.stderr
            expected.append(proc.stdout.strip())
        assert line.split() == expected
    assert len(set(out[2].split())) == 4  # a pinned job's replicates differ too
