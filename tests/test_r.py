"""seedbridge.r: seeding the R embedded through rpy2, and the R snippet."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import seedbridge
from seedbridge import r as sb_r
from seedbridge.errors import FrameworkError, MissingDependencyError, UnknownJobError

ROOT = Path(__file__).resolve().parent.parent

HAS_R = shutil.which("R") is not None and shutil.which("Rscript") is not None
HAS_RPY2 = importlib.util.find_spec("rpy2") is not None
needs_r = pytest.mark.skipif(not HAS_R, reason="R is not installed")
needs_rpy2 = pytest.mark.skipif(not (HAS_R and HAS_RPY2), reason="R or rpy2 is not installed")

MANIFEST = """\
seedbridge: 1
derivation: 1
root:
  entropy: "0x2a"
jobs:
  train: {frameworks: [python, numpy, r]}
  eval: {frameworks: [r]}
  legacy:
    r: {kind: Knuth-TAOCP-2002, normal.kind: Box-Muller, sample.kind: Rounding}
  "naïve": {}
  pinned: {seed: 1234, frameworks: [r]}
"""

# Draws compared across processes; %.17g round-trips a double exactly.
DRAWS_R = "c(runif(5), rnorm(5), sample(100, 5))"


@pytest.fixture
def manifest(tmp_path: Path) -> seedbridge.Manifest:
    path = tmp_path / "seedbridge.yaml"
    path.write_bytes(MANIFEST.encode("utf-8"))
    return seedbridge.load(path)


@pytest.fixture
def r_sandbox() -> Any:
    """Restores the embedded R's RNG state after the test."""
    state = sb_r.get_state()
    yield
    sb_r.set_state(state)


def embedded_draws() -> list[float]:
    import rpy2.robjects as robjects

    return [float(x) for x in robjects.r(DRAWS_R)]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )


# -- without R -------------------------------------------------------------------------------------


def test_import_loads_no_rpy2() -> None:
    proc = run_python("import sys, seedbridge, seedbridge.r; print('rpy2' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_snippet_pins_all_kinds_and_needs_no_rpy2(tmp_path: Path) -> None:
    path = tmp_path / "seedbridge.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    code = (
        "import sys, seedbridge.r as r\n"
        f"sys.stdout.write(r.snippet({str(path)!r}, 'train', rank=1))\n"
        "print('rpy2' in sys.modules)"
    )
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    seed = seedbridge.load(path).seed("train", rank=1)
    assert proc.stdout == (
        f'# seedbridge: job "train", keys "rank" = "1", derivation 1, seed {seed}\n'
        'RNGkind(kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")\n'
        f"set.seed({seed}L)\n"
        "False\n"
    )


def test_snippet_uses_the_jobs_kinds_and_escapes_names(manifest: seedbridge.Manifest) -> None:
    text = sb_r.snippet(manifest, "legacy")
    assert 'RNGkind(kind = "Knuth-TAOCP-2002", normal.kind = "Box-Muller", sample.kind = "Rounding")' in text
    assert "sample.kind Rounding reproduces R < 3.6" in text
    # Job names cannot hold control characters (docs/manifest.md); key values can.
    odd = manifest.with_job('a"b\\c')
    first = sb_r.snippet(odd, 'a"b\\c', fold="x\ny").splitlines()[0]
    assert first.startswith('# seedbridge: job "a\\"b\\\\c", keys "fold" = "x\\ny"')
    assert len(sb_r.snippet(odd, 'a"b\\c', fold="x\ny").splitlines()) == 3


def test_snippet_for_a_pinned_job_is_the_pin(manifest: seedbridge.Manifest) -> None:
    assert sb_r.snippet(manifest, "pinned").splitlines()[-1] == "set.seed(1234L)"


def test_snippet_rejects_unknown_jobs(manifest: seedbridge.Manifest) -> None:
    with pytest.raises(UnknownJobError, match="did you mean 'train'"):
        sb_r.snippet(manifest, "trian")


def test_cli_snippet_target_r(tmp_path: Path) -> None:
    path = tmp_path / "seedbridge.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "seedbridge", "snippet", "eval", "--target", "r", "--key", "fold=2", "-m", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0 and "invalid choice: 'snippet'" in proc.stderr:
        pytest.skip("the snippet command is not wired into the CLI yet")
    assert proc.returncode == 0, proc.stderr
    seed = seedbridge.load(path).seed("eval", fold="2")
    assert proc.stdout.splitlines()[-1] == f"set.seed({seed}L)"


def test_missing_rpy2_is_a_clear_error() -> None:
    code = (
        "import sys\n"
        "sys.modules['rpy2'] = None  # as if rpy2 were not installed\n"
        "import seedbridge.r as r\n"
        "print(r.available())\n"
        "try:\n"
        "    r.get_state()\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__)\n"
        "    print(exc)\n"
    )
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:2] == ["False", "MissingDependencyError"]
    message = "\n".join(lines[2:])
    assert "pip install 'seedbridge[r]'" in message
    assert "rpy2 3.6.x needs R >= 4.5" in message
    assert "rpy2 3.5.x" in message


def test_missing_dependency_error_is_an_import_error() -> None:
    assert issubclass(MissingDependencyError, ImportError)


# -- the embedded R ----------------------------------------------------------------------------------


@needs_rpy2
def test_available() -> None:
    assert sb_r.available() is True


@needs_rpy2
def test_set_seed_has_the_shape_of_every_target(manifest: seedbridge.Manifest, r_sandbox: None) -> None:
    """Like the other targets: job=None allowed, {"seed": ..., **apply's flags}, and version()."""
    import rpy2

    info = sb_r.set_seed("train", manifest=manifest, rank=1)
    seed = manifest.seed("train", rank=1)
    assert info == {
        "seed": seed,
        "set.seed": seed,
        "kinds": {"kind": "Mersenne-Twister", "normal.kind": "Inversion", "sample.kind": "Rejection"},
        "random_seed_1": 10403,
        "rpy2_version": rpy2.__version__,
    }
    json.dumps(info)  # plain data for the run record
    assert sb_r.version().count(".") == 2
    assert sb_r.apply(seed) == {k: v for k, v in info.items() if k != "seed"}


@needs_rpy2
def test_r_from_another_thread_is_a_clear_error(manifest: seedbridge.Manifest, r_sandbox: None) -> None:
    """rpy2 errors out or segfaults when R is used from a thread other than the main one (issue 10)."""
    import threading

    sb_r.set_seed("train", manifest=manifest)  # R started in the main thread first
    errors: list[BaseException] = []

    def call(fn: Any) -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    calls = [lambda: sb_r.set_seed("train", manifest=manifest), sb_r.get_state, sb_r.version,
             lambda: seedbridge.seed_everything("eval", manifest=manifest)]
    for fn in calls:
        thread = threading.Thread(target=call, args=(fn,), name="loader")
        thread.start()
        thread.join()
    assert len(errors) == len(calls)
    for exc in errors:
        assert isinstance(exc, FrameworkError)
        assert str(exc) == ("r can be seeded from the main thread only (R is not thread-safe and rpy2 runs it in the "
                            "main thread), got a call from thread 'loader'")


@needs_rpy2
def test_set_seed_makes_draws_repeatable(manifest: seedbridge.Manifest, r_sandbox: None) -> None:
    sb_r.set_seed("train", manifest=manifest)
    first = embedded_draws()
    sb_r.set_seed("train", manifest=manifest)
    assert embedded_draws() == first


@needs_rpy2
def test_different_jobs_and_keys_give_different_draws(manifest: seedbridge.Manifest, r_sandbox: None) -> None:
    draws = []
    for job, keys in [("train", {}), ("eval", {}), ("train", {"rank": 0}), ("train", {"rank": 1})]:
        sb_r.set_seed(job, manifest=manifest, **keys)
        draws.append(tuple(embedded_draws()))
    assert len(set(draws)) == 4


@needs_rpy2
def test_set_seed_pins_kinds_the_session_changed(manifest: seedbridge.Manifest, r_sandbox: None) -> None:
    import rpy2.robjects as robjects

    sb_r.set_seed("train", manifest=manifest)
    want = embedded_draws()
    robjects.r('suppressWarnings(RNGkind("Wichmann-Hill", "Box-Muller", "Rounding"))')
    sb_r.set_seed("train", manifest=manifest)
    assert list(robjects.r("RNGkind()")) == ["Mersenne-Twister", "Inversion", "Rejection"]
    assert embedded_draws() == want


@needs_rpy2
def test_set_seed_uses_the_jobs_kinds(manifest: seedbridge.Manifest, r_sandbox: None) -> None:
    import rpy2.robjects as robjects

    info = sb_r.set_seed("legacy", manifest=manifest)
    assert info["kinds"] == {"kind": "Knuth-TAOCP-2002", "normal.kind": "Box-Muller", "sample.kind": "Rounding"}
    assert info["random_seed_1"] == 6 + 100 * 2 + 10000 * 0
    assert list(robjects.r("RNGkind()")) == ["Knuth-TAOCP-2002", "Box-Muller", "Rounding"]


@needs_rpy2
def test_set_seed_loads_the_default_manifest(
    manifest: seedbridge.Manifest, monkeypatch: pytest.MonkeyPatch, r_sandbox: None
) -> None:
    assert manifest.path is not None
    monkeypatch.setenv("SEEDBRIDGE_MANIFEST", manifest.path)
    assert sb_r.set_seed("pinned")["seed"] == 1234
    assert sb_r.set_seed("pinned", manifest=manifest.path)["seed"] == 1234


@needs_rpy2
def test_set_seed_rejects_unknown_jobs_without_touching_r(manifest: seedbridge.Manifest, r_sandbox: None) -> None:
    sb_r.set_seed("train", manifest=manifest)
    before = sb_r.get_state()
    with pytest.raises(UnknownJobError):
        sb_r.set_seed("trian", manifest=manifest)
    assert sb_r.get_state() == before


@needs_rpy2
def test_state_round_trips(manifest: seedbridge.Manifest, r_sandbox: None) -> None:
    sb_r.set_seed("train", manifest=manifest)
    state = sb_r.get_state()
    assert state["kinds"] == ["Mersenne-Twister", "Inversion", "Rejection"]
    assert state["random_seed"][0] == 10403
    json.dumps(state)
    first = embedded_draws()
    sb_r.set_seed("legacy", manifest=manifest)
    sb_r.set_state(state)
    assert embedded_draws() == first


@needs_rpy2
def test_state_without_random_seed_round_trips(r_sandbox: None) -> None:
    import rpy2.robjects as robjects

    robjects.r('RNGkind("Knuth-TAOCP", "Box-Muller", "Rejection"); rm(".Random.seed", envir = globalenv())')
    state = sb_r.get_state()
    assert state == {"kinds": ["Knuth-TAOCP", "Box-Muller", "Rejection"], "random_seed": None}
    robjects.r("set.seed(1, kind = 'Mersenne-Twister')")
    sb_r.set_state(state)
    assert sb_r.get_state() == state


@needs_rpy2
def test_bad_state_is_an_error() -> None:
    with pytest.raises(FrameworkError, match=r"r state must be a dict from seedbridge\.r\.get_state"):
        sb_r.set_state({"random_seed": None})


# -- across processes: rpy2 here, Rscript with the installed R package there ---------------------------


def rscript_draws(code: str, tmp_path: Path, *, lib: Path | None = None, locale: str | None = None) -> list[float]:
    script = tmp_path / "draws.R"
    script.write_text(code + f'\ncat(sprintf("%.17g", {DRAWS_R}), sep = "\\n")\n', encoding="utf-8")
    env = dict(os.environ)
    env.pop("SEEDBRIDGE_MANIFEST", None)
    if lib is not None:
        env["R_LIBS"] = str(lib)
    if locale is not None:
        env["LC_ALL"] = locale
    proc = subprocess.run(["Rscript", "--vanilla", str(script)], capture_output=True, timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return [float(x) for x in proc.stdout.decode().split()]


CASES = [
    ("train", {}),
    ("train", {"rank": 3, "worker": 0}),
    ("legacy", {}),
    ("naïve", {"é": "x"}),
    ("pinned", {}),
    ("pinned", {"fold": 2}),
]


@needs_rpy2
@pytest.mark.parametrize(("job", "keys"), CASES, ids=[f"{j}-{k}" for j, k in CASES])
def test_rscript_with_the_r_package_draws_what_rpy2_draws(
    manifest: seedbridge.Manifest, r_lib: Path, tmp_path: Path, r_sandbox: None, job: str, keys: dict[str, object]
) -> None:
    sb_r.set_seed(job, manifest=manifest, **keys)
    here = embedded_draws()
    args = "".join(f", {json.dumps(k, ensure_ascii=False)} = {json.dumps(v)}" for k, v in keys.items())
    code = (
        "library(seedbridge)\n"
        f"invisible(sb_set_seed({json.dumps(job, ensure_ascii=False)}{args}, manifest = {json.dumps(manifest.path)}))"
    )
    assert rscript_draws(code, tmp_path, lib=r_lib) == here
    assert rscript_draws(code, tmp_path, lib=r_lib, locale="C") == here


@needs_rpy2
@pytest.mark.parametrize(("job", "keys"), CASES, ids=[f"{j}-{k}" for j, k in CASES])
def test_snippet_in_rscript_draws_what_rpy2_draws(
    manifest: seedbridge.Manifest, tmp_path: Path, r_sandbox: None, job: str, keys: dict[str, object]
) -> None:
    """The snippet is for R without the package: plain Rscript must reproduce the draws."""
    sb_r.set_seed(job, manifest=manifest, **keys)
    here = embedded_draws()
    assert rscript_draws(sb_r.snippet(manifest, job, **keys), tmp_path) == here
