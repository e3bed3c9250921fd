"""The R package (r-package/), installed and run with Rscript: it must agree with Python everywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import seedbridge
from seedbridge import derive

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "derivation-v1.json"

pytestmark = pytest.mark.skipif(
    shutil.which("Rscript") is None or shutil.which("R") is None, reason="R is not installed"
)


def rscript(lib: Path, code: str, tmp_path: Path, *, env: dict[str, str] | None = None) -> str:
    """Run ``code`` (written to a UTF-8 file) with the installed package first on the library path."""
    script = tmp_path / "script.R"
    script.write_text(code, encoding="utf-8")
    full_env = {**os.environ, "R_LIBS": str(lib), **(env or {})}
    full_env.pop("SEEDBRIDGE_MANIFEST", None)
    proc = subprocess.run(
        ["Rscript", "--vanilla", str(script)], capture_output=True, timeout=300, env=full_env, check=False
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, f"Rscript failed:\n{stderr}"
    return proc.stdout.decode("utf-8")


def r_ready_vectors(tmp_path: Path) -> tuple[Path, list[dict[str, object]]]:
    """The golden vectors, with integer keys too wide for an R double written as text (same bytes)."""
    doc = json.loads(GOLDEN.read_text(encoding="utf-8"))
    vectors = doc["vectors"]
    for v in vectors:
        v["keys"] = {k: (str(x) if isinstance(x, int) and abs(x) > 2**53 else x) for k, x in v["keys"].items()}
    path = tmp_path / "vectors.json"
    path.write_text(json.dumps({"vectors": vectors}, ensure_ascii=False), encoding="utf-8")
    return path, vectors


GOLDEN_SCRIPT = r"""
library(seedbridge)
text <- paste(readLines(%(vectors)s, encoding = "UTF-8"), collapse = "\n")
vectors <- jsonlite::fromJSON(text, simplifyVector = FALSE)$vectors
out <- vapply(vectors, function(v) {
  format(sb_derive(v$root, v$job, v$keys, bits = v$bits), scientific = FALSE)
}, character(1))
writeLines(out)
"""


@pytest.mark.parametrize("locale", [None, "C"], ids=["session-locale", "LC_ALL=C"])
def test_installed_package_agrees_with_every_golden_vector(r_lib: Path, tmp_path: Path, locale: str | None) -> None:
    path, vectors = r_ready_vectors(tmp_path)
    assert len(vectors) == 1020
    env = {"LC_ALL": locale} if locale else None
    out = rscript(r_lib, GOLDEN_SCRIPT % {"vectors": json.dumps(str(path))}, tmp_path, env=env).splitlines()
    expected = [v["seed"] for v in vectors]
    assert len(out) == len(expected)
    mismatches = [
        (v["job"], v["keys"], v["bits"], got, v["seed"])
        for v, got in zip(vectors, out, strict=True)
        if got != v["seed"]
    ]
    assert mismatches == []


MANIFEST = """\
seedbridge: 1
derivation: 1
root:
  entropy: "0x9e3779b97f4a7c15f39cc0605cedc834"
jobs:
  "naïve": {frameworks: [python, r]}
  "日本語 🎲": {}
  pinned: {seed: "0xffffffffffffffffffffffffffffffff"}
"""


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "seedbridge.yaml"
    path.write_bytes(MANIFEST.encode("utf-8"))
    return path


SEEDS_SCRIPT = r"""
library(seedbridge)
m <- sb_manifest(%(path)s)
cat(sb_seed("na\u00efve", manifest = m), "\n", sep = "")
cat(sb_seed("naïve", manifest = m), "\n", sep = "")
cat(sb_seed("naïve", "é" = "x", rank = 3, manifest = m), "\n", sep = "")
cat(sb_seed("\u65e5\u672c\u8a9e \U0001f3b2", bits = 64, manifest = m), "\n", sep = "")
cat(sb_seed("pinned", bits = 128, manifest = m), "\n", sep = "")
cat(sb_seed("pinned", fold = 2, manifest = m), "\n", sep = "")
"""


@pytest.mark.parametrize("locale", [None, "C", "C.UTF-8"], ids=["session-locale", "LC_ALL=C", "LC_ALL=C.UTF-8"])
def test_manifest_gives_python_seeds_in_any_locale(
    r_lib: Path, tmp_path: Path, manifest_path: Path, locale: str | None
) -> None:
    """A job named naïve gets Python's seed under LC_ALL=C, whether its name is escaped or typed in UTF-8."""
    m = seedbridge.load(manifest_path)
    expected = [
        m.seed("naïve"),
        m.seed("naïve"),
        m.seed("naïve", **{"é": "x", "rank": 3}),
        m.seed("日本語 🎲", bits=64),
        m.seed("pinned", bits=128),
        m.seed("pinned", fold=2),
    ]
    env = {"LC_ALL": locale} if locale else None
    out = rscript(r_lib, SEEDS_SCRIPT % {"path": json.dumps(str(manifest_path))}, tmp_path, env=env)
    assert out.split() == [str(s) for s in expected]


def test_manifest_errors_are_seedbridge_conditions(r_lib: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "seedbridge: 1\nderivation: 1\nroot: {entropy: 0x2a}\njobs:\n  train: {seed: 3000000000}\n", encoding="utf-8"
    )
    code = f"""
err <- tryCatch(seedbridge::sb_manifest({json.dumps(str(path))}), error = identity)
cat(class(err), sep = "\\n")
cat(err$problems, sep = "\\n")
"""
    out = rscript(r_lib, code, tmp_path).splitlines()
    assert out[:2] == ["seedbridge_manifest_error", "seedbridge_error"]
    assert any("root.entropy: must be a quoted lower-case hex string" in line and "got an integer 0x2a" in line
               for line in out)
    assert any(
        'jobs.train.seed: integers above 2147483647 must be quoted hex text such as "0xb2d05e00"' in line
        for line in out
    )
    # Python reports the same two fields.
    with pytest.raises(seedbridge.ManifestError) as info:
        seedbridge.load(path)
    assert sorted(p.field for p in info.value.problems) == ["jobs.train.seed", "root.entropy"]


def test_with_sb_seed_leaves_the_global_state_as_it_was(r_lib: Path, tmp_path: Path, manifest_path: Path) -> None:
    code = f"""
library(seedbridge)
m <- sb_manifest({json.dumps(str(manifest_path))})
set.seed(11)
before <- .Random.seed
a <- with_sb_seed("pinned", runif(3), fold = 1, manifest = m)
b <- with_sb_seed("pinned", runif(3), fold = 1, manifest = m)
cat(identical(.Random.seed, before), identical(a, b), "\\n")
"""
    assert rscript(r_lib, code, tmp_path).split() == ["TRUE", "TRUE"]


def test_portable_seed_bound_matches_set_seed(r_lib: Path, tmp_path: Path) -> None:
    """set.seed takes 2**31-1 and rejects 2**31: the portable seed's range is R's."""
    code = """
cat(inherits(try(set.seed(2147483647L), silent = TRUE), "try-error"), "\\n")
cat(inherits(suppressWarnings(try(set.seed(2147483648), silent = TRUE)), "try-error"), "\\n")
"""
    assert rscript(r_lib, code, tmp_path).split() == ["FALSE", "TRUE"]
    assert derive.FRAMEWORK_SEED_MAX["r"] == 2147483647


def test_committed_namespace_and_help_match_roxygen(tmp_path: Path) -> None:
    """NAMESPACE and man/ are generated by roxygen2 from the R sources; the committed copies must be current."""
    copy = tmp_path / "r-package"
    shutil.copytree(ROOT / "r-package", copy)
    proc = subprocess.run(["Rscript", "-e", f'roxygen2::roxygenise("{copy}")'], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    for rel in ["NAMESPACE", *sorted(str(p.relative_to(ROOT / "r-package")) for p in (ROOT / "r-package" / "man").iterdir())]:
        assert (copy / rel).read_bytes() == (ROOT / "r-package" / rel).read_bytes(), f"{rel} is stale: run roxygen2"
    assert sorted(p.name for p in (copy / "man").iterdir()) == sorted(p.name for p in (ROOT / "r-package" / "man").iterdir())
