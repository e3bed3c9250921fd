"""The pytest plugin (seedbridge/pytest_plugin.py), run for real with pytester: inner pytest sessions
with real random, NumPy and PyTorch, pytest-randomly and pytest-xdist.

Inner runs are in-process (fast) except where a fresh interpreter is the point (what gets imported) or
pytest-xdist starts its own workers. NumPy and torch are imported before an in-process run, because
pytester drops the modules a run imported afterwards and torch cannot be imported twice in a process.
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

import seedbridge
from seedbridge import Job, Manifest, Root
from seedbridge.pytest_plugin import SEEDER_NAME

pytest_plugins = ["pytester"]

JOB = "tests"
FRAMEWORKS = ["python", "numpy", "torch"]

# What every inner test draws: Python random, NumPy's global state, torch's default generator.
DRAWS = """
def draws():
    import random, numpy, torch
    return [random.random(), float(numpy.random.random()), float(torch.rand(1))]
"""

# The inner suite. Each test records its draws (and its fixtures') in $DRAWS_DIR, one file per test,
# and appends its node id to $DRAWS_DIR/order, so a run can be compared with another.
SUITE = DRAWS + '''
import hashlib, json, os, unittest
from pathlib import Path

import pytest


def record(nodeid, **values):
    out = Path(os.environ["DRAWS_DIR"])
    (out / hashlib.sha1(nodeid.encode()).hexdigest()).write_text(json.dumps({"test": nodeid, **values}))
    with open(out / "order", "a") as fh:
        fh.write(nodeid + "\\n")


@pytest.fixture(scope="module")
def shared():
    return draws()


@pytest.fixture(params=["x", "y"])
def own(request):
    return draws()


def test_plain(request, shared):
    record(request.node.nodeid, body=draws(), shared=shared)


def test_with_fixtures(request, own, shared):
    record(request.node.nodeid, body=draws(), own=own, shared=shared)


@pytest.mark.parametrize("n", [1, 2])
def test_param(request, n):
    record(request.node.nodeid, body=draws())


class TestGroup:
    def test_method(self, request, shared):
        record(request.node.nodeid, body=draws(), shared=shared)


class TestUnit(unittest.TestCase):
    def setUp(self):
        self.before = draws()

    def test_unit(self):
        record("test_draws.py::TestUnit::test_unit", body=self.before + draws())
'''

NODEIDS = [
    "test_draws.py::test_plain",
    "test_draws.py::test_with_fixtures[x]",
    "test_draws.py::test_with_fixtures[y]",
    "test_draws.py::test_param[1]",
    "test_draws.py::test_param[2]",
    "test_draws.py::TestGroup::test_method",
    "test_draws.py::TestUnit::test_unit",
]

# Options of every inner run, for speed: with torch loaded, pytest's unraisableexception plugin spends
# ~0.3 s of gc.collect() at the end of each in-process run, and hypothesis's plugin imports hypothesis
# (~0.5 s) anew in each, since pytester drops the modules a run imported. The inner suites need neither.
INNER = ("-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:hypothesispytest")

REVERSE = "def pytest_collection_modifyitems(items):\n    items.reverse()\n"


def draws() -> list[float]:
    namespace: dict[str, Any] = {}
    exec(DRAWS, namespace)
    result: list[float] = namespace["draws"]()
    return result


ROOT = Root(0x2A, source="explicit")


def write_manifest(folder: Path, root: Root = ROOT, **jobs: list[str]) -> Manifest:
    manifest = Manifest(root, [Job(name, frameworks=f) for name, f in jobs.items()])
    manifest.save(folder / "seedbridge.yaml")
    return seedbridge.load(folder / "seedbridge.yaml")


@pytest.fixture(scope="session")
def frameworks() -> None:
    """NumPy and torch imported before any pytester snapshot of sys.modules (session scope comes first)."""
    import numpy  # noqa: F401
    import torch  # noqa: F401


@pytest.fixture
def rng_sandbox(frameworks: None) -> Iterator[None]:
    """Seeding in this process (the outer one) leaves its RNG state as it was."""
    state = seedbridge.snapshot(FRAMEWORKS)
    yield
    seedbridge.restore(state)


@pytest.fixture
def suite(pytester: pytest.Pytester, rng_sandbox: None) -> pytest.Pytester:
    """A folder with the manifest and the inner suite; runs record into a fresh $DRAWS_DIR each."""
    write_manifest(pytester.path, tests=FRAMEWORKS)
    pytester.makepyfile(test_draws=SUITE)
    return pytester


class Draws:
    """What one run recorded: each test's draws by node id, and the order the tests ran in."""

    def __init__(self, folder: Path) -> None:
        self.by_test = {}
        for path in folder.iterdir():
            if path.name != "order":
                data = json.loads(path.read_text())
                self.by_test[data.pop("test")] = data
        self.order = (folder / "order").read_text().split() if (folder / "order").exists() else []


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str,
        passed: int = len(NODEIDS)) -> tuple[Draws, pytest.RunResult]:
    """An in-process run of the inner suite (pytest-xdist's workers are processes of their own)."""
    out = Path(pytester.mkdir(f"draws{len(list(pytester.path.glob('draws*')))}"))
    monkeypatch.setenv("DRAWS_DIR", str(out))
    result = pytester.runpytest(*INNER, *args)
    result.assert_outcomes(passed=passed)
    return Draws(out), result


# -- the same numbers whatever the order and selection -----------------------------------------------


@pytest.mark.slow
def test_each_test_draws_its_own_numbers_in_any_order_alone_or_under_xdist(
        suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    job = f"--seedbridge-job={JOB}"
    full, result = run(suite, monkeypatch, job, "-p", "no:randomly", "-rA")
    assert full.order == NODEIDS
    assert sorted(full.by_test) == sorted(NODEIDS)
    result.stdout.fnmatch_lines(["seedbridge: job 'tests' of seedbridge.yaml (root source explicit, derivation 1);*"])
    assert "- seedbridge -" not in result.stdout.str(), "-rA shows passing tests' sections: none of ours"

    reverse_conftest = suite.makeconftest(REVERSE)
    reversed_run, _ = run(suite, monkeypatch, job, "-p", "no:randomly")
    reverse_conftest.unlink()
    assert reversed_run.order == NODEIDS[::-1]
    assert reversed_run.by_test == full.by_test

    # pytest-randomly shuffles (and would reseed random and NumPy before each test itself).
    for seed in ("1", "2"):
        shuffled, result = run(suite, monkeypatch, job, "-p", "randomly", f"--randomly-seed={seed}")
        assert shuffled.order != NODEIDS and sorted(shuffled.order) == sorted(NODEIDS)
        assert shuffled.by_test == full.by_test
        result.stdout.fnmatch_lines(["seedbridge: pytest-randomly shuffles the order; its reseeding is off*"])

    for nodeid in NODEIDS:
        alone, _ = run(suite, monkeypatch, job, nodeid, passed=1)
        assert alone.by_test == {nodeid: full.by_test[nodeid]}

    distributed, result = run(suite, monkeypatch, job, "-n", "2")
    result.stdout.fnmatch_lines(["2 workers [[]7 items[]]"])
    assert distributed.by_test == full.by_test


def test_the_numbers_are_those_of_seed_everything_with_the_documented_keys(
        suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    got, _ = run(suite, monkeypatch, f"--seedbridge-job={JOB}", "-p", "no:randomly")
    manifest = seedbridge.load(suite.path / "seedbridge.yaml")

    def expected(**keys: object) -> list[float]:
        seedbridge.seed_everything(JOB, manifest=manifest, **keys)
        return draws()

    for nodeid in NODEIDS[:-1]:
        assert got.by_test[nodeid]["body"] == expected(test=nodeid)
    assert got.by_test["test_draws.py::test_plain"]["shared"] == expected(fixture="shared", node="test_draws.py")
    for index, param in enumerate("xy"):
        nodeid = f"test_draws.py::test_with_fixtures[{param}]"
        assert got.by_test[nodeid]["own"] == expected(fixture="own", node=nodeid, param=index)
    # A unittest.TestCase: setUp runs inside the call, after the test's seeding.
    unit = "test_draws.py::TestUnit::test_unit"
    seedbridge.seed_everything(JOB, manifest=manifest, test=unit)
    assert got.by_test[unit]["body"] == draws() + draws()

    bodies = [tuple(got.by_test[n]["body"][:3]) for n in NODEIDS]
    assert len(set(bodies)) == len(bodies), "every test has numbers of its own"
    assert got.by_test["test_draws.py::test_plain"]["body"] != got.by_test["test_draws.py::test_plain"]["shared"]


def test_rng_state_from_before_each_test_is_put_back(pytester: pytest.Pytester, rng_sandbox: None) -> None:
    write_manifest(pytester.path, tests=FRAMEWORKS)
    pytester.makeconftest(DRAWS + """
import json, random, numpy, torch

def pytest_sessionstart(session):
    random.seed(7); numpy.random.seed(7); torch.manual_seed(7)

def pytest_sessionfinish(session):
    with open("after.json", "w") as fh:
        json.dump(draws(), fh)
""")
    pytester.makepyfile(test_moves=DRAWS + "def test_one():\n    draws()\n\ndef test_two():\n    draws()\n")
    result = pytester.runpytest(*INNER, "-p", "no:randomly", f"--seedbridge-job={JOB}")
    result.assert_outcomes(passed=2)
    import numpy
    import torch

    random.seed(7)
    numpy.random.seed(7)
    torch.manual_seed(7)
    assert json.loads((pytester.path / "after.json").read_text()) == draws()


# -- off unless asked ---------------------------------------------------------------------------------


def test_this_suite_runs_with_the_plugin_loaded_and_off(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.hasplugin("seedbridge")
    assert pytestconfig.pluginmanager.get_plugin(SEEDER_NAME) is None


OFF_SUITE = """
import random, sys
import pytest

random.seed(7)
SEEN = []

@pytest.mark.parametrize("n", range(3))
def test_nothing_is_seeded_or_imported(request, n):
    assert request.config.pluginmanager.hasplugin("seedbridge")
    assert request.config.pluginmanager.get_plugin("seedbridge-seeder") is None
    loaded = [m for m in ("numpy", "torch", "tensorflow", "keras", "rpy2", "jax") if m in sys.modules]
    assert loaded == []
    SEEN.append(random.random())
    expected = random.Random(7)
    assert SEEN == [expected.random() for _ in SEEN]
"""


@pytest.mark.parametrize(("ini", "args"), [
    ("", []),
    ("seedbridge_job =\n", []),
    (f"seedbridge_job = {JOB}\n", ["--seedbridge-job="]),
], ids=["no-job", "empty-ini", "empty-option-over-ini"])
def test_without_a_job_nothing_is_seeded_and_no_framework_is_imported(
        pytester: pytest.Pytester, ini: str, args: list[str]) -> None:
    write_manifest(pytester.path, tests=FRAMEWORKS)
    pytester.makeini("[pytest]\n" + ini)
    pytester.makepyfile(test_off=OFF_SUITE)
    # pytest-randomly imports NumPy at start-up and reseeds random: it is not what this checks.
    result = pytester.runpytest_subprocess(*INNER, "-p", "no:randomly", *args)
    result.assert_outcomes(passed=3)
    assert "seedbridge:" not in result.stdout.str()


def test_importing_the_plugin_imports_no_framework(tmp_path: Path) -> None:
    probe = ("import sys, seedbridge.pytest_plugin\n"
             "print([m for m in ('numpy', 'torch', 'tensorflow', 'keras', 'rpy2', 'jax') if m in sys.modules])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    assert proc.stdout.strip() == "[]"


# -- configuration ------------------------------------------------------------------------------------


def test_ini_options_name_the_job_and_a_manifest_relative_to_the_ini_file(
        pytester: pytest.Pytester, rng_sandbox: None) -> None:
    (pytester.path / "config").mkdir()
    manifest = write_manifest(pytester.path / "config", Root(0x2A, source="env", env="CI_SEED"), tests=FRAMEWORKS)
    pytester.makeini(f"[pytest]\nseedbridge_job = {JOB}\nseedbridge_manifest = config/seedbridge.yaml\n")
    pytester.makepyfile(test_seed="def test_seed(seedbridge_seed, request):\n    print('SEED', seedbridge_seed)\n")
    (pytester.path / "elsewhere").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(pytester.path / "elsewhere")
        result = pytester.runpytest(*INNER, "-p", "no:randomly", "-s", "../test_seed.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        f"seedbridge: job 'tests' of {pytester.path / 'config' / 'seedbridge.yaml'} (root source env CI_SEED, "
        "derivation 1); tests seeded from keys test=<node id>",
        f"*SEED {manifest.seed(JOB, test='test_seed.py::test_seed')}",
    ])


def test_the_manifest_option_and_the_environment_variable(pytester: pytest.Pytester, rng_sandbox: None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    write_manifest(pytester.path, tests=["python"])
    (pytester.path / "seedbridge.yaml").rename(pytester.path / "seeds.yaml")
    pytester.makepyfile(test_fails="def test_fails():\n    assert False\n")
    result = pytester.runpytest(*INNER, "-p", "no:randomly", f"--seedbridge-job={JOB}",
                                "--seedbridge-manifest=seeds.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["seedbridge: job 'tests' of seeds.yaml *",
                                 "rerun alone with the same numbers: pytest --seedbridge-job=tests "
                                 "--seedbridge-manifest=seeds.yaml test_fails.py::test_fails"])
    monkeypatch.setenv("SEEDBRIDGE_MANIFEST", "seeds.yaml")
    result = pytester.runpytest(*INNER, "-p", "no:randomly", f"--seedbridge-job={JOB}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*--seedbridge-manifest=seeds.yaml test_fails.py::test_fails"])


def test_seedbridge_seed_without_a_job_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_seed="def test_seed(seedbridge_seed):\n    pass\n")
    result = pytester.runpytest(*INNER, "-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["seedbridge_seed: seedbridge is off; name a job with --seedbridge-job JOB or "
                                 "the ini option seedbridge_job"])
    assert "Traceback" not in result.stdout.str() and "def seedbridge_seed" not in result.stdout.str()


BAD_MANIFEST = """seedbridge: 1
derivation: 1
root:
  entropy: 42
jobs:
  tests:
    profile: fast
"""


HINT = "seedbridge: the manifest was named by {}; name another with --seedbridge-manifest PATH or the ini option " \
       "seedbridge_manifest"


@pytest.mark.parametrize(("setup", "args", "errors"), [
    ("good", ["--seedbridge-job=test"],
     ["seedbridge: seedbridge.yaml: no job 'test' in the manifest; did you mean 'tests'? (declared jobs: 'tests')"]),
    ("good", ["--seedbridge-job=tests", "--seedbridge-manifest=missing.yaml"],
     ["seedbridge: missing.yaml: no manifest here; create one with `seedbridge init` or name one with -m PATH "
      "or SEEDBRIDGE_MANIFEST", HINT.format("--seedbridge-manifest")]),
    ("good", ["--seedbridge-job=tests", "--seedbridge-manifest=."],
     ["seedbridge: .: cannot be read as a manifest: is a directory, not a regular file", HINT.format("--seedbridge-manifest")]),
    ("bad", ["--seedbridge-job=tests"],
     ["seedbridge: seedbridge.yaml:4 root.entropy: must be a quoted lower-case hex string of up to 128 bits such "
      "as \"0x2a\", got an integer 42",
      "seedbridge: seedbridge.yaml:7 jobs.tests.profile: must be one of seeded, deterministic, strict, got \"fast\"",
      HINT.format("the default: seedbridge.yaml in the rootdir")]),
    ("malformed", ["--seedbridge-job=tests"],
     ["seedbridge: seedbridge.yaml:2:1: malformed YAML: did not find expected node content",
      HINT.format("the default: seedbridge.yaml in the rootdir")]),
], ids=["unknown-job", "missing-manifest", "directory", "bad-fields", "malformed-yaml"])
def test_a_bad_manifest_or_job_stops_the_session_with_one_line_per_problem(
        pytester: pytest.Pytester, setup: str, args: list[str], errors: list[str]) -> None:
    if setup == "good":
        write_manifest(pytester.path, tests=["python"])
    else:
        (pytester.path / "seedbridge.yaml").write_text(BAD_MANIFEST if setup == "bad" else "jobs: [\n:")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess(*INNER, "-p", "no:randomly", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # pytest prints each line of a UsageError as "ERROR: line", followed by an empty line.
    assert [line for line in result.stderr.lines if line] == [f"ERROR: {line}" for line in errors]
    assert "test session starts" not in result.stdout.str()


def test_help_works_whatever_the_manifest(pytester: pytest.Pytester) -> None:
    (pytester.path / "seedbridge.yaml").write_text("jobs: [\n:")
    pytester.makeini(f"[pytest]\nseedbridge_job = {JOB}\n")
    result = pytester.runpytest("--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["seedbridge: seed every test from a job of the seed manifest:",
                                 "*--seedbridge-job=JOB*", "*seedbridge_job (string):*"])


# -- reports ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_failing_test_shows_its_seed_and_a_rerun_command_that_repeats_its_numbers(
        suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    suite.makepyfile(test_fails=DRAWS + """
import os
from pathlib import Path

def test_fails():
    (Path(os.environ["DRAWS_DIR"]) / "fails").write_text(repr(draws()))
    assert False
""")
    (suite.path / "sub").mkdir()
    out = Path(suite.mkdir("out"))
    monkeypatch.setenv("DRAWS_DIR", str(out))
    monkeypatch.chdir(suite.path / "sub")
    # The whole suite under xdist, started from a subfolder: the command is relative to that folder.
    result = suite.runpytest(*INNER, f"--seedbridge-job={JOB}", "-n", "2", "..")
    result.assert_outcomes(passed=len(NODEIDS), failed=1)
    seed = seedbridge.load(suite.path / "seedbridge.yaml").seed(JOB, test="test_fails.py::test_fails")
    result.stdout.fnmatch_lines([
        "*- seedbridge -*",
        f"job 'tests', seed {seed} (keys test=test_fails.py::test_fails)",
        "rerun alone with the same numbers: pytest --seedbridge-job=tests ../test_fails.py::test_fails",
    ])
    first = (out / "fails").read_text()
    command = re.search(r"rerun alone with the same numbers: (.*)", result.stdout.str())
    assert command is not None
    args = shlex.split(command[1])
    assert args[0] == "pytest"
    rerun = suite.runpytest(*INNER, *args[1:])
    rerun.assert_outcomes(failed=1)
    assert (out / "fails").read_text() == first


def test_doctests_are_seeded_from_their_node_id(pytester: pytest.Pytester, rng_sandbox: None) -> None:
    manifest = write_manifest(pytester.path, tests=["python"])
    seedbridge.seed_everything(JOB, manifest=manifest, test="lib.py::lib.draw")
    expected = random.random()
    pytester.makepyfile(lib=f'''
def draw():
    """
    >>> import random
    >>> random.random()
    {expected!r}
    """
''')
    result = pytester.runpytest(*INNER, "-p", "randomly", f"--seedbridge-job={JOB}",
                                "--doctest-modules", "lib.py")
    result.assert_outcomes(passed=1)


# -- the page docs/pytest.md --------------------------------------------------------------------------


def test_the_example_of_the_docs_page_gives_what_the_page_shows(pytester: pytest.Pytester, rng_sandbox: None) -> None:
    from test_docs import blocks

    page = REPO / "docs" / "pytest.md"
    (manifest,) = [body for _, body in blocks(page, "yaml") if "\n  tests:" in body]
    (config,) = [body for _, body in blocks(page, "toml")]
    (example,) = [body for marker, body in blocks(page, "python") if marker == "<!-- tests/test_model.py -->"]
    (header,) = [body for _, body in blocks(page, "text") if body.startswith("seedbridge: job")]
    (failure,) = [body for _, body in blocks(page, "text") if body.startswith("$ pytest")]
    (pytester.path / "seedbridge.yaml").write_text(manifest)
    (pytester.path / "pyproject.toml").write_text(config)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_model.py").write_text(example)

    command, *shown = failure.splitlines()
    assert command.startswith("$ pytest ")
    result = pytester.runpytest(*INNER, *shlex.split(command)[2:])
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([header.strip(), *(line for line in shown if line != "...")])


def test_the_rerun_command_quotes_node_ids_for_the_shell(pytester: pytest.Pytester, rng_sandbox: None) -> None:
    write_manifest(pytester.path, tests=["python"])
    pytester.makepyfile(test_ids="""
import random, pytest

@pytest.mark.parametrize("text", ["a b", "it's", "x::y"])
def test_ids(text):
    print("DRAW", random.random())
    assert False
""")
    result = pytester.runpytest(*INNER, "-p", "no:randomly", "-s", f"--seedbridge-job={JOB}")
    result.assert_outcomes(failed=3)
    commands = re.findall(r"rerun alone with the same numbers: (.*)", result.stdout.str())
    assert commands[0] == "pytest --seedbridge-job=tests 'test_ids.py::test_ids[a b]'"
    draws = re.findall(r"DRAW (\S+)", result.stdout.str())
    for command, draw in zip(commands, draws, strict=True):
        rerun = pytester.runpytest(*INNER, "-s", *shlex.split(command)[1:])
        rerun.assert_outcomes(failed=1)
        assert re.findall(r"DRAW (\S+)", rerun.stdout.str()) == [draw]
