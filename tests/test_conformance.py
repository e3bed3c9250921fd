"""The manifest conformance corpus (tests/conformance): Python and R judge every file alike.

Each file of tests/conformance/cases has an expected outcome in expected.json (written by
make_corpus.py from hand-stated expectations and the derivation): accepted with the seeds of a few
queries, or rejected with the field and rule id of each problem. Python must meet it; R must give
exactly what Python gives, messages included, under LC_ALL=C. r-package/tests/testthat/
test-conformance.R checks R against expected.json as well.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

import seedbridge
from seedbridge import ManifestError

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "conformance"
CASES = CORPUS / "cases"
EXPECTED: dict[str, Any] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["cases"]


def python_result(path: Path, queries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What Python makes of one file, in the shape run_r.R prints."""
    try:
        m = seedbridge.load(path)
    except ManifestError as exc:
        problems = [{"field": p.field, "rule": p.rule, "message": p.message} for p in exc.problems]
        return {"file": path.name, "accepted": False, "problems": problems}
    jobs = [[j.name, None if j.seed is None else f"0x{j.seed:x}"] for j in m.jobs.values()]
    seeds = [str(m.seed_for(q["job"], q["keys"], bits=q["bits"])) for q in queries or []]
    return {"file": path.name, "accepted": True, "root": f"0x{m.root.entropy:x}", "jobs": jobs, "seeds": seeds}


def run_r(folder: Path, r_lib: Path, *, queries: Path | None = None, locale: str = "C") -> dict[str, Any]:
    env = {**os.environ, "R_LIBS": str(r_lib), "LC_ALL": locale}
    args = ["Rscript", str(CORPUS / "run_r.R"), str(folder)] + ([str(queries)] if queries else [])
    proc = subprocess.run(args, capture_output=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return {r["file"]: r for r in json.loads(proc.stdout.decode("utf-8"))}


def test_corpus_has_at_least_100_cases_each_with_an_expectation() -> None:
    files = sorted(p.name for p in CASES.iterdir())
    assert files == sorted(EXPECTED)
    assert len(files) >= 100
    accepted = sum(1 for c in EXPECTED.values() if c["accepted"])
    assert accepted >= 40 and len(files) - accepted >= 60


def test_the_r_package_ships_the_same_schema_data() -> None:
    python_copy = REPO / "seedbridge" / "manifest_schema.json"
    r_copy = REPO / "r-package" / "inst" / "manifest_schema.json"
    assert python_copy.read_bytes() == r_copy.read_bytes()


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_python_meets_the_expected_outcome(case: str) -> None:
    expected = EXPECTED[case]
    got = python_result(CASES / case, expected.get("queries"))
    if expected["accepted"]:
        assert got["accepted"], got.get("problems")
        assert got["root"] == expected["root"]
        assert got["jobs"] == expected["jobs"]
        assert got["seeds"] == [q["seed"] for q in expected["queries"]]
    else:
        assert not got["accepted"], "accepted a manifest the corpus expects refused"
        assert [{"field": p["field"], "rule": p["rule"]} for p in got["problems"]] == expected["problems"]


@pytest.fixture(scope="module")
def r_corpus(r_lib: Path) -> dict[str, Any]:
    return run_r(CASES, r_lib, queries=CORPUS / "expected.json")


@pytest.mark.slow
def test_r_gives_what_python_gives_on_every_case(r_corpus: dict[str, Any]) -> None:
    differ = []
    for case, expected in sorted(EXPECTED.items()):
        py = python_result(CASES / case, expected.get("queries"))
        if py != r_corpus[case]:
            differ.append(f"{case}:\n  python {py}\n  R      {r_corpus[case]}")
    assert not differ, "\n".join(differ)


# -- random manifests: beyond the corpus ------------------------------------------------------------

# Pieces a hostile user might combine; every combination must be judged alike by Python and R.
_SCALARS = ["1", "-1", "0x1F", "010", "1_000", "1,000", "1:20", "1.5", ".5", ".", ".inf", "y", "n", "yes",
            "off", "~", "null", "", "=", "<<", ".na", "2026-01-01", "2026-13-45", "2026-01-01T00:00:00Z",
            '"x"', "'0x2a'", '"0x2a"', "numpy", "Keras", "jax", '"a\\tb"', '"\\e"', '"\\x85"', "na\u00efve",
            "\u00a012", "!!str 5", "!!int 5", "!!int x", "!foo x", "! 5", "!!binary aGk=", "*a", "&a 3",
            "[numpy, r]", "[r, r]", "{}", "[]", "{seed: 5}", "!!set {a}", "!!map []", "[[]]", "|-\n      12",
            '"3000000000"', "3000000000", '"0x80000000"', "1e3", "0b11", "0x_", "+5", "-0", "'007'"]
_KEYS = ["seed", "frameworks", "profile", "description", "r", "caffe", "sed", "created", '"seed"', "1",
         "on", "~", "<<", "=", "!!str seed", "? [a]"]


def _random_manifest(rng: random.Random) -> str:
    lines = ["seedbridge: " + rng.choice(["1", "1", "2", '"1"', "!!int 1", "0x1"]),
             "derivation: " + rng.choice(["1", "1", "1.0"]),
             "root:",
             "  entropy: " + rng.choice(['"0x2a"', '"0x2a"', "0x2a", '"0x2A"', rng.choice(_SCALARS)])]
    if rng.random() < 0.3:
        lines.append("  source: " + rng.choice(["env", "explicit", "ci", rng.choice(_SCALARS)]))
    if rng.random() < 0.3:
        lines.append("  env: " + rng.choice(["CI_SEED", "1X", rng.choice(_SCALARS)]))
    if rng.random() < 0.3:
        lines.append("  created: " + rng.choice(_SCALARS))
    lines.append("jobs:")
    for i in range(rng.randint(0, 4)):
        name = rng.choice([f"job{i}", rng.choice(_SCALARS), rng.choice(_KEYS)])
        if name.startswith(("[", "{", "|", "&", "*", "!")) or name == "":
            name = f'"{i}"' if rng.random() < 0.5 else name
        lines.append(f"  {name}:")
        for _ in range(rng.randint(0, 3)):
            lines.append(f"    {rng.choice(_KEYS)}: {rng.choice(_SCALARS)}")
    return "\n".join(lines) + "\n"


# Mostly valid manifests: these take R's fast reading (no tag, no "="), the others its exact one.
_NAMES = ["train", "na\u00efve", "\u65e5\u672c", '"a b"', "'q'", "1", "on", "~", "1_000", "a.b", '"x\\ty"', '""',
          '"train"', "[a]", "-x", "\u00e9" * 50]
_JOBS = ["{}", "", "{seed: 5}", "{seed: 0x10}", '{seed: "0xffffffffffffffff", frameworks: [torch, jax]}',
         "{seed: 3000000000}", "{frameworks: [numpy, r, numpy]}", "{frameworks: [numpy, Mylib]}", "{profile: strict}",
         "{profile: fast}", "{description: hi}", "{r: {kind: Super-Duper}}", '{caffe: {solvers: [a, ""]}}', "[1]",
         "5", "{sed: 1}", "&a {seed: 9}", "*a", "{frameworks: &f [r]}", "{frameworks: *f}", "{seed: '12'}"]


def _mostly_valid_manifest(rng: random.Random) -> str:
    root = rng.choice(["", ", source: os-entropy", ", source: env, env: CI", ", created: 2024-02-29"])
    lines = ["seedbridge: 1", "derivation: 1", f'root: {{entropy: "0x{rng.getrandbits(128):x}"{root}}}', "jobs:"]
    lines += [f"  {rng.choice(_NAMES)}: {rng.choice(_JOBS)}" for _ in range(rng.randint(0, 6))]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_r_gives_what_python_gives_on_random_manifests(tmp_path: Path, r_lib: Path) -> None:
    rng = random.Random(20261129)
    for i in range(400):
        make = _random_manifest if i % 2 else _mostly_valid_manifest
        (tmp_path / f"{i:03d}.yaml").write_text(make(rng), encoding="utf-8")
    r = run_r(tmp_path, r_lib)
    differ = []
    for path in sorted(tmp_path.glob("*.yaml")):
        py = python_result(path)
        if py != r[path.name]:
            differ.append(f"{path.name}:\n{path.read_text(encoding='utf-8')}  python {py}\n  R      {r[path.name]}")
    assert not differ, "\n".join(differ[:5])
