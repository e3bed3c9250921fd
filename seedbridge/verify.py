"""Run a command several times with the same seeds and compare what it writes (docs/ci.md, "verify").

Each run is a fresh process in a working directory of its own, so one run cannot read what another
wrote. Outputs are compared by ``seedbridge._diff``: byte for byte, then, for NumPy (``.npy``,
``.npz``), JSON and CSV files that differ, value by value, exactly (the report says where and by how much).

Paths, as when run by hand (the rule, also in docs/ci.md):

* the command runs with its run directory as working directory;
* a relative ``--output`` names a file in each run directory (its parent folders are created);
  an absolute one is refused, since every run would write the same file;
* a command argument that is a relative path to something that exists in the caller's directory is
  made absolute, so scripts and data are found (also the value of ``--name=value``); an argument
  that names an output, or a folder an output is in, stays relative, so it lands in the run directory;
  the program name is rewritten only when it contains a slash (``./train.sh``), else PATH finds it;
  the value after ``-m``, ``-c`` or ``-e`` (``python -m pkg``, ``Rscript -e CODE``) is never rewritten;
* files the program opens on its own, not named on the command line, are found through ``--link``,
  which symlinks a path of the caller's directory into every run directory.
"""

from __future__ import annotations

import math
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seedbridge import _files
from seedbridge._children import ChildPool
from seedbridge._diff import Comparison, compare_files
from seedbridge._envvars import job_environment, job_seed
from seedbridge._manifest import Manifest
from seedbridge.errors import Problem, ValidationError

__all__ = [
    "STDOUT",
    "RunOutcome",
    "VerifyReport",
    "rewrite_command",
    "verify",
]

STDOUT = "(stdout)"  # the name under which --stdout compares the command's standard output


# -- running --------------------------------------------------------------------------------------


def _norm(path: str) -> str:
    return os.path.normpath(path)


# Interpreter flags whose value is a module name or program text, never a file (python -m/-c, Rscript -e).
_NOT_PATH_FLAGS = frozenset({"-m", "-c", "-e"})


def rewrite_command(command: Sequence[str], caller_cwd: str, outputs: Iterable[str]) -> list[str]:
    """``command`` with relative paths to existing things made absolute (see the module docstring)."""
    outs = [_norm(o) for o in outputs]

    def keeps_relative(path: str) -> bool:
        p = _norm(path)
        return any(o == p or p == os.curdir or o.startswith(p.rstrip(os.sep) + os.sep) for o in outs)

    def absolute(path: str) -> str:
        if not path or os.path.isabs(path) or keeps_relative(path):
            return path
        full = os.path.join(caller_cwd, path)
        return os.path.abspath(full) if os.path.lexists(full) else path

    out: list[str] = []
    for i, arg in enumerate(command):
        if i == 0:
            out.append(absolute(arg) if os.sep in arg else arg)
        elif command[i - 1] in _NOT_PATH_FLAGS:
            out.append(arg)  # `python -m pkg`, `python -c CODE`, `Rscript -e CODE`: a name or code, not a path
        elif arg.startswith("-") and "=" in arg:
            name, _, value = arg.partition("=")
            out.append(f"{name}={absolute(value)}")
        elif arg.startswith("-"):
            out.append(arg)
        else:
            out.append(absolute(arg))
    return out


@dataclass
class RunOutcome:
    index: int  # 1-based
    workdir: str
    exit_code: int | None = None
    seconds: float = 0.0
    stderr_tail: str = ""
    error: str | None = None


@dataclass
class FileReport:
    path: str
    comparisons: dict[int, Comparison] = field(default_factory=dict)  # run index (2..N) -> vs run 1
    missing_in: list[int] = field(default_factory=list)
    unusable: dict[int, str] = field(default_factory=dict)  # run index -> why it is not a regular file

    @property
    def match(self) -> bool:
        return not self.missing_in and not self.unusable and all(c.match for c in self.comparisons.values())

    @property
    def max_abs_diff(self) -> float | None:
        values = [c.max_abs_diff for c in self.comparisons.values() if c.max_abs_diff is not None]
        return max(values) if values else None


@dataclass
class VerifyReport:
    job: str
    seed: int
    command: list[str]
    runs: list[RunOutcome]
    files: list[FileReport]
    base_dir: str
    kept: bool

    @property
    def ok(self) -> bool:
        return all(r.exit_code == 0 for r in self.runs) and all(f.match for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job, "seed": self.seed, "command": self.command, "ok": self.ok,
            "run_dir": self.base_dir if self.kept else None,
            "runs": [{"run": r.index, "exit_code": r.exit_code, "seconds": round(r.seconds, 3),
                      "error": r.error} for r in self.runs],
            "outputs": [{"path": f.path, "match": f.match, "missing_in_runs": f.missing_in,
                         "not_regular_in_runs": {str(i): why for i, why in f.unusable.items()},
                         "max_abs_diff": f.max_abs_diff,
                         "runs": {str(i): {"match": c.match, "identical": c.identical, "detail": c.detail,
                                           "max_abs_diff": c.max_abs_diff} for i, c in f.comparisons.items()}}
                        for f in self.files],
        }


def _file_state(path: str) -> str | None:
    """None for a regular file (after symlinks), "missing", or why the output cannot be compared (a FIFO
    the command made would block a reader forever)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    return None if stat.S_ISREG(mode) else f"is {_files.describe_mode(mode)}, not a regular file"


def _tail(path: str, limit: int = 2000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - limit))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def verify(
    manifest: Manifest,
    job: str,
    command: Sequence[str],
    *,
    outputs: Iterable[str] = (),
    runs: int = 2,
    keys: Mapping[str, str] | None = None,
    jobs: int = 1,
    links: Iterable[str] = (),
    stdout: bool = False,
    atol: float = 0.0,
    keep: bool = False,
    cwd: str | None = None,
    progress: Callable[[RunOutcome, int, int], None] | None = None,
    on_start: Callable[[RunOutcome], None] | None = None,
) -> VerifyReport:
    """Run ``command`` ``runs`` times as ``job`` (``jobs`` at a time) and compare its outputs with run 1's.
    Run folders are removed when everything matched, kept (and named in the report) otherwise."""
    outputs = list(dict.fromkeys(outputs))
    links = list(dict.fromkeys(links))
    caller = os.path.abspath(cwd or os.getcwd())
    problems: list[Problem] = []
    if not command:
        problems.append(Problem("a command is required: seedbridge verify JOB --output PATH -- CMD ..."))
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        problems.append(Problem(f"must be an integer >= 2 (verify compares runs with each other), got {runs!r}",
                                field="--runs"))
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        problems.append(Problem(f"must be an integer >= 1, got {jobs!r}", field="--jobs"))
    if not (atol >= 0 and math.isfinite(atol)):
        problems.append(Problem(f"must be a finite number >= 0, got {atol!r}", field="--atol"))
    if not outputs and not stdout:
        problems.append(Problem("nothing to compare: name the files the command writes with --output PATH, "
                                "or compare its standard output with --stdout"))
    for o in outputs:
        if os.path.isabs(o):
            problems.append(Problem("must be a relative path: each run writes into a folder of its own, and an "
                                    "absolute path would have every run write the same file",
                                    field=f"--output {o}"))
        elif _norm(o).startswith(os.pardir):
            problems.append(Problem("must stay inside the run folder (no leading ..)", field=f"--output {o}"))
    for link in links:
        if os.path.isabs(link) or _norm(link).startswith(os.pardir):
            problems.append(Problem("must be a relative path inside the current folder", field=f"--link {link}"))
        elif not os.path.lexists(os.path.join(caller, link)):
            problems.append(Problem("does not exist here", field=f"--link {link}"))
    if problems:
        raise ValidationError(problems)

    env = {**os.environ, **job_environment(manifest, job, keys=keys)}
    seed = job_seed(manifest, job, keys)
    argv = rewrite_command(command, caller, outputs)
    base = tempfile.mkdtemp(prefix=f"seedbridge-verify-{job}-"[:60])
    outcomes = [RunOutcome(i, os.path.join(base, f"run-{i}", "work")) for i in range(1, runs + 1)]
    children = ChildPool()
    lock = threading.Lock()  # for the count of finished runs
    done_count = [0]

    def one(outcome: RunOutcome) -> RunOutcome:
        if children.stopping.is_set():
            return outcome
        work = outcome.workdir
        os.makedirs(work)
        for o in outputs:
            parent = os.path.dirname(_norm(o))
            if parent:
                os.makedirs(os.path.join(work, parent), exist_ok=True)
        for link in links:
            target = os.path.join(work, _norm(link))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.symlink(os.path.join(caller, link), target)
        logs = os.path.dirname(work)
        if on_start is not None:
            on_start(outcome)
        started = time.monotonic()
        try:
            with open(os.path.join(logs, "stdout.log"), "wb") as out, open(os.path.join(logs, "stderr.log"), "wb") as err:
                proc = subprocess.Popen(argv, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                        start_new_session=True)  # a group of its own: killed whole
                children.track(proc)
                try:
                    outcome.exit_code = proc.wait()
                finally:
                    children.forget(proc)
        except OSError as exc:
            outcome.exit_code = 127 if isinstance(exc, FileNotFoundError) else 126
            outcome.error = f"cannot run {argv[0]!r}: {exc.strerror or exc}"
        outcome.seconds = time.monotonic() - started
        outcome.stderr_tail = _tail(os.path.join(logs, "stderr.log"))
        with lock:
            done_count[0] += 1
            finished = done_count[0]
        if progress is not None:
            progress(outcome, finished, runs)
        return outcome

    try:
        children.run(one, outcomes, workers=jobs, name="seedbridge-verify")
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise

    files: list[FileReport] = []
    names = ([STDOUT] if stdout else []) + outputs

    def located(outcome: RunOutcome, name: str) -> str:
        if name == STDOUT:
            return os.path.join(os.path.dirname(outcome.workdir), "stdout.log")
        return os.path.join(outcome.workdir, _norm(name))

    for name in names:
        report = FileReport(name)
        first = located(outcomes[0], name)
        state = {o.index: _file_state(located(o, name)) for o in outcomes}
        report.missing_in = [i for i, s in state.items() if s == "missing"]
        report.unusable = {i: s for i, s in state.items() if s not in (None, "missing")}
        if state[1] is None:
            for other in outcomes[1:]:
                if state[other.index] is None:
                    report.comparisons[other.index] = compare_files(first, located(other, name), atol=atol,
                                                                    name=name)
        files.append(report)

    result = VerifyReport(job=job, seed=seed, command=argv, runs=outcomes, files=files, base_dir=base, kept=True)
    if result.ok and not keep:
        shutil.rmtree(base, ignore_errors=True)
        result.kept = False
    return result
