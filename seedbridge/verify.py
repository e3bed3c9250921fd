"""Run a command several times with the same seeds and compare what it writes (docs/ci.md, "verify").

Each run is a fresh process in a working directory of its own, so one run cannot read what another
wrote. Outputs are compared byte for byte; when NumPy (``.npy``, ``.npz``), JSON or CSV files differ,
the report gives the largest absolute difference and where it is, not just "differs".

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

NumPy is imported only to compare ``.npy``/``.npz`` files.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from seedbridge.envvars import job_environment, job_seed
from seedbridge.errors import Problem, ValidationError
from seedbridge.manifest import Manifest

__all__ = [
    "STDOUT",
    "Comparison",
    "RunOutcome",
    "VerifyReport",
    "compare_files",
    "rewrite_command",
    "verify",
]

NUMERIC_SUFFIXES = (".npy", ".npz", ".json", ".csv", ".tsv")
STDOUT = "(stdout)"  # the name under which --stdout compares the command's standard output


# -- comparing two files --------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """How file ``b`` compares with file ``a``."""

    match: bool  # identical bytes, or equal numbers within the tolerance
    identical: bool  # identical bytes
    detail: str  # one line for people
    max_abs_diff: float | None = None  # for numeric files whose structure matches
    numeric_detail: str | None = None  # "max |Δ| = 0.25 at [3, 1]"


class _Acc:
    """Largest absolute difference seen so far, and the first structural or text difference."""

    def __init__(self) -> None:
        self.max: float = 0.0
        self.where: str | None = None
        self.mismatch: str | None = None

    def number(self, d: float, where: str) -> None:
        if d > self.max or (self.where is None and d == self.max and d > 0):
            self.max, self.where = d, where

    def differ(self, what: str) -> None:
        if self.mismatch is None:
            self.mismatch = what


def _num_diff(x: float, y: float) -> float:
    if x == y or (math.isnan(x) and math.isnan(y)):
        return 0.0
    d = abs(x - y)
    return math.inf if math.isnan(d) else d


def _walk_json(x: Any, y: Any, path: str, acc: _Acc) -> None:
    if isinstance(x, bool) or isinstance(y, bool) or isinstance(x, str) or isinstance(y, str) or x is None or y is None:
        if x != y or type(x) is not type(y):
            acc.differ(f"{path}: {json.dumps(x)[:40]} vs {json.dumps(y)[:40]}")
    elif isinstance(x, (int, float)) and isinstance(y, (int, float)):
        acc.number(_num_diff(float(x), float(y)), path)
    elif isinstance(x, dict) and isinstance(y, dict):
        if x.keys() != y.keys():
            only = sorted(set(x) ^ set(y))
            acc.differ(f"{path}: keys differ ({', '.join(map(repr, only[:3]))})")
        for k in x.keys() & y.keys():
            _walk_json(x[k], y[k], f"{path}.{k}", acc)
    elif isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            acc.differ(f"{path}: {len(x)} items vs {len(y)}")
        for i, (u, v) in enumerate(zip(x, y, strict=False)):
            _walk_json(u, v, f"{path}[{i}]", acc)
    else:
        acc.differ(f"{path}: {type(x).__name__} vs {type(y).__name__}")


def _json_diff(a: str, b: str, acc: _Acc) -> bool:
    try:
        with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
            x, y = json.load(fa), json.load(fb)
    except (ValueError, UnicodeDecodeError):
        return False
    _walk_json(x, y, "$", acc)
    return True


def _csv_diff(a: str, b: str, acc: _Acc, delimiter: str) -> bool:
    try:
        with open(a, encoding="utf-8", newline="") as fa, open(b, encoding="utf-8", newline="") as fb:
            rows_a = list(csv.reader(fa, delimiter=delimiter))
            rows_b = list(csv.reader(fb, delimiter=delimiter))
    except (csv.Error, UnicodeDecodeError):
        return False
    if len(rows_a) != len(rows_b):
        acc.differ(f"{len(rows_a)} rows vs {len(rows_b)}")
    for r, (ra, rb) in enumerate(zip(rows_a, rows_b, strict=False), start=1):
        if len(ra) != len(rb):
            acc.differ(f"row {r}: {len(ra)} columns vs {len(rb)}")
        for c, (u, v) in enumerate(zip(ra, rb, strict=False), start=1):
            if u == v:
                continue
            try:
                acc.number(_num_diff(float(u), float(v)), f"row {r}, column {c}")
            except ValueError:
                acc.differ(f"row {r}, column {c}: {u[:30]!r} vs {v[:30]!r}")
    return True


def _array_diff(np: Any, x: Any, y: Any, label: str, acc: _Acc) -> None:
    if x.shape != y.shape:
        acc.differ(f"{label}shape {x.shape} vs {y.shape}")
        return
    kinds = x.dtype.kind + y.dtype.kind
    if not set(kinds) <= set("biufc"):
        n = int(np.count_nonzero(x != y))
        if n:
            acc.differ(f"{label}{n} of {x.size} elements differ ({x.dtype} values)")
        return
    if x.size == 0:
        return
    wide = np.complex128 if "c" in kinds else np.float64
    xf, yf = x.astype(wide), y.astype(wide)
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(xf - yf)
        d = np.where((xf == yf) | (np.isnan(xf) & np.isnan(yf)), 0.0, d)
        d = np.where(np.isnan(d), np.inf, d)
    i = int(np.argmax(d))
    at = [int(k) for k in np.unravel_index(i, d.shape)]
    acc.number(float(d.flat[i]), f"{label}{at}")


def _numpy_diff(a: str, b: str, acc: _Acc, npz: bool) -> bool:
    import numpy as np

    try:
        if not npz:
            _array_diff(np, np.load(a, allow_pickle=False), np.load(b, allow_pickle=False), "", acc)
            return True
        with np.load(a, allow_pickle=False) as za, np.load(b, allow_pickle=False) as zb:
            if set(za.files) != set(zb.files):
                acc.differ(f"arrays differ: {sorted(za.files)} vs {sorted(zb.files)}")
            for name in sorted(set(za.files) & set(zb.files)):
                _array_diff(np, za[name], zb[name], f"{name}", acc)
    except (ValueError, OSError, EOFError):
        return False
    return True


def _first_difference(a: str, b: str) -> int | None:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        offset = 0
        while True:
            ca, cb = fa.read(1 << 20), fb.read(1 << 20)
            if ca != cb:
                n = min(len(ca), len(cb))
                i = next((k for k in range(n) if ca[k] != cb[k]), n)
                return offset + i
            if not ca:
                return None
            offset += len(ca)


def compare_files(a: str | os.PathLike[str], b: str | os.PathLike[str], *, atol: float = 0.0,
                  name: str | None = None) -> Comparison:
    """Compare ``b`` with ``a``: bytes first; numeric files that differ get their largest absolute
    difference. Equal numbers in different bytes (JSON spacing, say) match; so do numbers within ``atol``.
    The file type comes from the suffix of ``name`` (default: ``a``)."""
    a, b = os.fspath(a), os.fspath(b)
    offset = _first_difference(a, b)
    if offset is None:
        return Comparison(True, True, "identical")
    size_a, size_b = os.path.getsize(a), os.path.getsize(b)
    byte_detail = f"bytes differ from offset {offset} ({size_a} vs {size_b} bytes)"
    suffix = os.path.splitext(name or a)[1].lower()
    acc = _Acc()
    parsed = False
    if suffix in (".npy", ".npz"):
        parsed = _numpy_diff(a, b, acc, npz=suffix == ".npz")
    elif suffix == ".json":
        parsed = _json_diff(a, b, acc)
    elif suffix in (".csv", ".tsv"):
        parsed = _csv_diff(a, b, acc, "," if suffix == ".csv" else "\t")
    if not parsed:
        return Comparison(False, False, byte_detail)
    if acc.mismatch is not None:
        numeric = f"max |Δ| = {acc.max:.6g} at {acc.where}" if acc.where else None
        text = f"differs: {acc.mismatch}" + (f"; {numeric}" if numeric else "")
        return Comparison(False, False, text, None, numeric)
    numeric = f"max |Δ| = {acc.max:.6g}" + (f" at {acc.where}" if acc.where else "")
    if acc.max == 0:
        return Comparison(True, False, f"same values, different bytes ({byte_detail})", 0.0, numeric)
    if acc.max <= atol:
        return Comparison(True, False, f"within tolerance: {numeric} <= {atol:g}", acc.max, numeric)
    return Comparison(False, False, f"differs: {numeric}", acc.max, numeric)


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

    @property
    def match(self) -> bool:
        return not self.missing_in and all(c.match for c in self.comparisons.values())

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
                         "max_abs_diff": f.max_abs_diff,
                         "runs": {str(i): {"match": c.match, "identical": c.identical, "detail": c.detail,
                                           "max_abs_diff": c.max_abs_diff} for i, c in f.comparisons.items()}}
                        for f in self.files],
        }


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
    live: set[subprocess.Popen[bytes]] = set()
    lock = threading.Lock()
    stopping = threading.Event()
    done_count = [0]

    def one(outcome: RunOutcome) -> RunOutcome:
        if stopping.is_set():
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
                proc = subprocess.Popen(argv, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
                with lock:
                    live.add(proc)
                try:
                    outcome.exit_code = proc.wait()
                finally:
                    with lock:
                        live.discard(proc)
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
        with ThreadPoolExecutor(max_workers=min(jobs, runs), thread_name_prefix="seedbridge-verify") as pool:
            futures = [pool.submit(one, o) for o in outcomes]
            try:
                for f in futures:
                    f.result()
            except BaseException:
                stopping.set()
                with lock:
                    for proc in live:
                        proc.kill()
                raise
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
        present = {o.index: os.path.isfile(located(o, name)) for o in outcomes}
        report.missing_in = [i for i, ok in present.items() if not ok]
        if present[1]:
            for other in outcomes[1:]:
                if present[other.index]:
                    report.comparisons[other.index] = compare_files(first, located(other, name), atol=atol,
                                                                    name=name)
        files.append(report)

    result = VerifyReport(job=job, seed=seed, command=argv, runs=outcomes, files=files, base_dir=base, kept=True)
    if result.ok and not keep:
        shutil.rmtree(base, ignore_errors=True)
        result.kept = False
    return result
