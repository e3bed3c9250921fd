"""The pytest plugin: every test draws numbers from its own seed, whatever runs before it (docs/pytest.md).

pytest loads this module at start-up through the ``pytest11`` entry point. It stays inactive, adding only
its options and the ``seedbridge_seed`` fixture, until a job is named with ``--seedbridge-job JOB`` or
the ini option ``seedbridge_job``; only then is a ``Seeder`` registered, with the per-test hooks.

While active, seeds come from the job through ``seedbridge.seed_everything`` with these keys:

- a test, right before it is called (after its fixtures): ``test=<node id>``;
- a fixture, right before its function runs: ``fixture=<name>``, ``node=<node id of what it is set up
  for>`` (the test; for a wider scope its class, module or package, ``""`` for the session) and, when
  parametrized, ``param=<index>``. So a module-scoped fixture has the same numbers whichever test sets
  it up first, and the test's own numbers do not depend on what its fixtures drew.

The RNG state from before the test is put back after its teardown. Importing this module imports no
framework; the first seeding does.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

import seedbridge
from seedbridge.errors import ManifestError, SeedbridgeError

__all__ = ["SEEDER_NAME", "Seeder"]

# The name the active Seeder is registered under: `config.pluginmanager.get_plugin(SEEDER_NAME)`.
SEEDER_NAME = "seedbridge-seeder"

_STATE = pytest.StashKey["seedbridge.RNGState"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seedbridge", "seedbridge: seed every test from a job of the seed manifest")
    group.addoption(
        "--seedbridge-job", metavar="JOB", default=None,
        help="seed each test and fixture from JOB of the manifest (overrides the ini option seedbridge_job; "
             "an empty JOB turns seeding off)",
    )
    group.addoption(
        "--seedbridge-manifest", metavar="PATH", default=None,
        help="the manifest (default: the ini option seedbridge_manifest, else $SEEDBRIDGE_MANIFEST, "
             "else seedbridge.yaml in the rootdir)",
    )
    parser.addini("seedbridge_job", "seed each test from this job of the manifest (empty: off)", default="")
    parser.addini("seedbridge_manifest", "the manifest, relative to the ini file (default: $SEEDBRIDGE_MANIFEST, "
                  "else seedbridge.yaml in the rootdir)", default="")


def pytest_configure(config: pytest.Config) -> None:
    job = config.getoption("seedbridge_job")
    if job is None:
        job = str(config.getini("seedbridge_job")).strip()
    if not job:
        return  # inactive: no hook below this line runs, no RNG is touched
    config.pluginmanager.register(Seeder(config, job), SEEDER_NAME)


@pytest.fixture
def seedbridge_seed(request: pytest.FixtureRequest) -> int:
    """This test's seed: ``manifest.seed(JOB, test=<node id>)``, the seed its frameworks were given.

    For your own generators, e.g. ``numpy.random.default_rng(seedbridge_seed)``."""
    seeder = request.config.pluginmanager.get_plugin(SEEDER_NAME)
    if not isinstance(seeder, Seeder):
        pytest.fail("seedbridge_seed: seedbridge is off; name a job with --seedbridge-job JOB or the ini "
                    "option seedbridge_job", pytrace=False)
    return seeder.seed_of(request.node.nodeid)


class Seeder:
    """The hooks of an active plugin: one job of one manifest, loaded at session start."""

    def __init__(self, config: pytest.Config, job: str) -> None:
        self.config = config
        self.job = job
        self.notes: list[str] = []
        # Where the manifest comes from decides what a rerun command must repeat: the ini option and the
        # rootdir's seedbridge.yaml are found again, an option or $SEEDBRIDGE_MANIFEST may not be.
        given = config.getoption("seedbridge_manifest")
        ini = str(config.getini("seedbridge_manifest")).strip()
        env = os.environ.get("SEEDBRIDGE_MANIFEST")
        if given:
            self.path, self.origin, self.repeat_path = given, "--seedbridge-manifest", True
        elif ini:
            base = config.inipath.parent if config.inipath is not None else config.rootpath
            self.path, self.origin, self.repeat_path = str(base / ini), f"seedbridge_manifest in {config.inipath}", False
        elif env:
            self.path, self.origin, self.repeat_path = env, "$SEEDBRIDGE_MANIFEST", True
        else:
            # The rootdir rather than the working directory, so `cd tests && pytest` finds it too.
            self.path = str(config.rootpath / "seedbridge.yaml")
            self.origin, self.repeat_path = "the default: seedbridge.yaml in the rootdir", False
        # Absolute, as tests may change the working directory; shown relative to where pytest started.
        self.path = os.path.normpath(config.invocation_params.dir / self.path)
        self.shown_path = self._shown(self.path)
        self._manifest: seedbridge.Manifest | None = None

    @property
    def manifest(self) -> seedbridge.Manifest:
        assert self._manifest is not None, "the manifest is loaded at session start"
        return self._manifest

    # -- session ---------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # A bad manifest or an unknown job stops the run here, one "ERROR:" line per problem and no
        # traceback (pytest prints each argument of a UsageError that way and exits with 4).
        try:
            # The shown path names the file in messages; the working directory is still where pytest started.
            manifest = seedbridge.load(self.shown_path)
            manifest.job(self.job)
        except SeedbridgeError as exc:
            lines = [f"seedbridge: {line}" for line in str(exc).splitlines()]
            if isinstance(exc, ManifestError):
                lines.append(f"seedbridge: the manifest was named by {self.origin}; name another with "
                             "--seedbridge-manifest PATH or the ini option seedbridge_manifest")
            raise pytest.UsageError(*lines) from None
        self._manifest = manifest
        option = session.config.option
        # pytest-randomly reseeds random and NumPy before each test phase, from its own seed (its
        # pytest_runtest_setup/call/teardown hooks); that would undo ours. Its shuffling stays.
        if session.config.pluginmanager.hasplugin("randomly") and getattr(option, "randomly_reset_seed", False):
            option.randomly_reset_seed = False
            self.notes.append("pytest-randomly shuffles the order; its reseeding is off while seedbridge seeds")

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        m = self.manifest
        root = m.root.source + (f" {m.root.env}" if m.root.env else "")
        return [f"seedbridge: job {self.job!r} of {self.shown_path} (root source {root}, derivation "
                f"{m.derivation}); tests seeded from keys test=<node id>", *(f"seedbridge: {n}" for n in self.notes)]

    # -- per test --------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        item.stash[_STATE] = seedbridge.snapshot()
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Generator[
            None, object, object]:
        keys: dict[str, Any] = {"fixture": fixturedef.argname, "node": request.node.nodeid}
        if hasattr(request, "param"):
            keys["param"] = request.param_index  # type: ignore[attr-defined]
        self._seed(keys)
        return (yield)

    # trylast: the innermost wrapper, so the seeding runs inside the call's log and output capture, yet
    # before every plain implementation (pytest-randomly's reseed, pytest's own call of the test).
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        self._seed({"test": item.nodeid})
        return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            return (yield)
        finally:
            state = item.stash.get(_STATE, None)
            if state is not None:
                del item.stash[_STATE]
                seedbridge.restore(state)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.failed:
            report.sections.append(("seedbridge", self.describe(item.nodeid)))
        return report

    def _seed(self, keys: dict[str, Any]) -> None:
        try:
            seedbridge.seed_everything(self.job, manifest=self.manifest, **keys)
        except SeedbridgeError as exc:
            # A configuration problem (e.g. a listed framework is not installed): its message, no traceback.
            pytest.fail(f"seedbridge: {exc}", pytrace=False)

    # -- reporting -------------------------------------------------------------------------------

    def seed_of(self, nodeid: str) -> int:
        """The seed a test is given: keyed seeds are ``manifest.seed(job, **keys)`` (docs/api.md)."""
        return self.manifest.seed(self.job, test=nodeid)

    def describe(self, nodeid: str) -> str:
        """The section added to a failing test's report: its seed and how to rerun it alone."""
        args = ["pytest", f"--seedbridge-job={self.job}"]
        if self.repeat_path:
            args.append(f"--seedbridge-manifest={self.shown_path}")
        # Node ids are relative to the rootdir; the command is run where pytest was started.
        path, sep, rest = nodeid.partition("::")
        args.append(os.path.relpath(self.config.rootpath / path, self.config.invocation_params.dir) + sep + rest)
        return (f"job {self.job!r}, seed {self.seed_of(nodeid)} (keys test={nodeid})\n"
                f"rerun alone with the same numbers: {shlex.join(args)}")

    def _shown(self, path: str) -> str:
        """``path`` relative to where pytest was started when it lies below it, else as it is (absolute)."""
        try:
            return str(Path(path).relative_to(self.config.invocation_params.dir))
        except ValueError:
            return path
