"""Caffe: set ``random_seed`` in solver prototxt files, changing one line and keeping every other byte.

  seed_file("solver.prototxt", job="train", in_place=True)   # the manifest's seed, written atomically
  check_files(["models/"], job="train")                      # does every solver carry it? (CI)
  seed_text(text, 42)                                        # the edit on a string
  snippet(manifest, "train")                                 # pycaffe code: caffe.set_random_seed(N)

A solver is validated against Caffe's SolverParameter before anything is written; on any problem a
SolverError lists them all (file:line:column) and no file is touched. Importing this module imports
neither caffe nor protobuf: protobuf is imported when a solver is validated, and ``snippet`` needs
neither. See docs/frameworks/caffe.md for what a seed does and does not control in Caffe.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from seedbridge._envvars import job_seed
from seedbridge._files import MiB, Refused, describe_mode, read_regular
from seedbridge._manifest import as_manifest
from seedbridge.caffe._edit import CAFFE_SEED_MAX, Edit, check_seed, edit, read
from seedbridge.errors import Problem, SeedbridgeError, SolverError, ValidationError

if TYPE_CHECKING:
    from seedbridge._manifest import Manifest

__all__ = [
    "CAFFE_SEED_MAX",
    "SOLVER_LIMIT",
    "CaffeWarning",
    "SeedResult",
    "check_file",
    "check_files",
    "read_seed",
    "seed_file",
    "seed_files",
    "seed_text",
    "snippet",
    "solver_paths",
]

# A directory stands for the solver files under it, found by Caffe's naming convention.
SOLVER_SUFFIX = ".prototxt"
SOLVER_MARK = "solver"
# Solvers are kilobytes; one with a large inline net is megabytes (benchmarks/bench_caffe.py seeds a 10 MB one).
# A bigger input is refused before it is read into memory: it is a wrong path (/dev/zero, a data set).
SOLVER_LIMIT = 64 * MiB


class CaffeWarning(UserWarning):
    """A Caffe behaviour that limits what the seed controls (GPU nondeterminism, HDF5Data shuffle...)."""


class SeedResult:
    """What seeding (or checking) one solver file found and did.

    ``before`` is the file's random_seed (None when absent), ``seed`` the manifest's, ``changed``
    whether the seeded text differs from the file, ``target`` where it was written (None: nowhere),
    ``text`` the seeded text and ``notes`` the Caffe caveats this file shows."""

    __slots__ = ("before", "before_at", "changed", "job", "notes", "seed", "source", "target", "text")

    def __init__(self, source: str, job: str, seed: int, result: Edit, target: str | None) -> None:
        self.source = source
        self.job = job
        self.seed = seed
        self.before = result.before
        self.before_at = result.before_at
        self.changed = result.changed
        self.text = result.text
        self.notes = result.notes
        self.target = target

    @property
    def ok(self) -> bool:
        """The file already carries the manifest's seed."""
        return self.before == self.seed

    def __repr__(self) -> str:
        return (f"SeedResult(source={self.source!r}, seed={self.seed}, before={self.before}, "
                f"changed={self.changed}, target={self.target!r})")


# -- text ---------------------------------------------------------------------------------------


def seed_text(text: str, seed: int, *, source: str | None = None) -> str:
    """``text`` with its top-level random_seed set to ``seed`` (one line changed, or one added).

    Raises SolverError (every problem, with line and column) when ``text`` is not a valid
    SolverParameter, SeedRangeError when ``seed`` is outside 0..2**32-1. Caffe caveats the text
    shows are issued as CaffeWarning. ``source`` names the text in messages."""
    result = edit(text, seed, source)
    for note in result.notes:
        warnings.warn(str(note), CaffeWarning, stacklevel=2)
    return result.text


def read_seed(text: str, *, source: str | None = None) -> int | None:
    """The top-level random_seed of a valid solver text, or None when it has none."""
    return read(text, source).before


def snippet(manifest: Manifest | str | os.PathLike[str] | None, job: str, /, **keys: object) -> str:
    """pycaffe code that seeds Caffe's RNG with ``job``'s seed; needs neither caffe nor protobuf.
    ``manifest`` and ``job`` are positional-only, so a key may have any name."""
    m = as_manifest(manifest)
    seed = check_seed(job_seed(m, job, keys))
    return (f"# seedbridge: job {job!r}, derivation {m.derivation}, seed {seed}\n"
            f"import caffe\ncaffe.set_random_seed({seed})\n")


def _keys(keys: Mapping[str, object] | None, more: Mapping[str, object]) -> dict[str, object]:
    """One mapping of derivation keys from ``keys=`` and keyword arguments. ``keys=`` is there because a key
    may be named like a parameter (``job``, ``manifest``, ``out``), which no keyword argument can carry."""
    merged = dict(keys or {})
    twice = sorted(set(merged) & set(more))
    if twice:
        raise SeedbridgeError(f"key {twice[0]!r} given twice: in keys= and as a keyword argument")
    merged.update(more)
    return merged


# -- files -----------------------------------------------------------------------------------------


def _read(path: str) -> str:
    # Regular files only, opened without blocking (a FIFO would hang open()), and at most SOLVER_LIMIT bytes.
    try:
        data = read_regular(path, limit=SOLVER_LIMIT)
    except Refused as exc:
        raise SolverError([Problem(f"cannot read the solver: {exc}", file=path)]) from None
    # surrogateescape: bytes that are not UTF-8 (in a comment, say) come back out exactly as they went in.
    return data.decode("utf-8", "surrogateescape")


def _expand(path: str) -> list[tuple[str, str]]:
    if not os.path.isdir(path):
        return [(path, os.path.basename(path))]
    below = []
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        below += [os.path.join(folder, f) for f in files
                  if f.endswith(SOLVER_SUFFIX) and SOLVER_MARK in f and not f.startswith(".")]
    if not below:
        raise SolverError([Problem(f"no *{SOLVER_MARK}*{SOLVER_SUFFIX} files in this directory", file=path)])
    return [(p, os.path.relpath(p, path)) for p in sorted(below)]


def solver_paths(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[str, str]]:
    """Each input as (path, name under an output directory); a directory stands for every
    ``*solver*.prototxt`` below it (sorted; hidden folders skipped)."""
    return [found for item in paths for found in _expand(os.fspath(item))]


def _inputs(paths: Iterable[str | os.PathLike[str]] | None, job: str,
            manifest: Manifest) -> list[tuple[str, str, bool]]:
    """(path, output name, came from a directory) for each solver; none given: the job's own list."""
    given = [os.fspath(p) for p in (paths or ())]
    if not given:
        listed = manifest.job(job).caffe.get("solvers") or ()
        if not listed:
            raise SeedbridgeError(f"no solver files given, and the manifest lists none for job {job!r} "
                                  f"(jobs.{job}.caffe.solvers)")
        base = os.path.dirname(manifest.path) if manifest.path else ""
        given = [os.path.join(base, p) for p in listed]
    return [(p, name, os.path.isdir(g)) for g in given for p, name in _expand(g)]


def _targets(inputs: list[tuple[str, str, bool]], out: str | None, in_place: bool) -> list[str | None]:
    if out is not None and in_place:
        raise SeedbridgeError("give an output (-o) or in_place (--in-place), not both")
    if in_place:
        return [path for path, _, _ in inputs]
    if out is None:
        if len(inputs) != 1 or inputs[0][2]:
            raise SeedbridgeError(f"{len(inputs)} solver files: give an output directory (-o DIR) or --in-place; "
                                  "only a single file can go to stdout")
        return [None]
    if len(inputs) == 1 and not inputs[0][2]:
        if os.path.isdir(out):
            raise SeedbridgeError(f"{out}: is a directory; with one solver file, -o names the output file")
        return [out]
    if os.path.exists(out) and not os.path.isdir(out):
        raise SeedbridgeError(f"{out}: is not a directory; with several solver files, -o names a directory")
    targets: dict[str, str] = {}
    for path, name, _ in inputs:
        target = os.path.join(out, name)
        if target in targets:
            raise SeedbridgeError(f"{targets[target]} and {path} would both be written to {target}")
        targets[target] = path
    return list(targets)


def _unwritable(target: str) -> str | None:
    """Why ``target`` cannot be written, or None. A write replaces the file a symlink points to
    (seedbridge/_atomic.py), so that file is checked; missing folders are created, so the nearest
    existing one must be a writable directory."""
    real = os.path.realpath(target)
    try:
        mode = os.stat(real).st_mode
    except (FileNotFoundError, NotADirectoryError):
        folder = os.path.dirname(real)
        while not os.path.exists(folder):
            folder = os.path.dirname(folder)
        if not os.path.isdir(folder):
            return f"cannot create its folder: {folder} is not a directory"
        return None if os.access(folder, os.W_OK) else f"cannot write: {folder} is not writable"
    except OSError as exc:
        return f"cannot write: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return f"is {describe_mode(mode)}; refusing to replace it"
    folder = os.path.dirname(real)
    return None if os.access(folder, os.W_OK) else f"cannot write: {folder} is not writable"


def _target_problems(inputs: list[tuple[str, str, bool]], targets: list[str | None]) -> list[Problem]:
    """Every reason a write would fail, found before the first write (so a bad second target leaves the
    first file unwritten), including two inputs whose targets are one file through symlinks."""
    problems = []
    written: dict[str, str] = {}
    for (path, _, _), target in zip(inputs, targets, strict=True):
        if target is None:
            continue
        reason = _unwritable(target)
        if reason is not None:
            problems.append(Problem(reason, file=target))
        real = os.path.realpath(target)
        other = written.setdefault(real, path)
        if os.path.realpath(other) != os.path.realpath(path):
            problems.append(Problem(f"{other} and {path} would both be written to this file ({real})",
                                    file=target))
    return problems


def _write(target: str, text: str, done: int) -> None:
    """Write one target; the targets were checked, so only the disk (full, gone read-only) fails here,
    and the message says how many files were written before."""
    from seedbridge._atomic import atomic_write_bytes

    folder = os.path.dirname(target)
    try:
        if folder:
            os.makedirs(folder, exist_ok=True)
        atomic_write_bytes(target, text.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        raise SeedbridgeError(f"{folder}: cannot create the folder: {exc.strerror or exc}; "
                              f"{done} file(s) before it were written") from None
    except SeedbridgeError as exc:
        raise SeedbridgeError(f"{exc}; {done} file(s) before it were written") from None


def seed_files(paths: Iterable[str | os.PathLike[str]] | None, *, job: str,
               manifest: Manifest | str | os.PathLike[str] | None = None, out: str | os.PathLike[str] | None = None,
               in_place: bool = False, keys: Mapping[str, object] | None = None,
               **more_keys: object) -> list[SeedResult]:
    """Set random_seed to ``job``'s seed in every solver of ``paths`` (files or directories; none: the
    job's ``caffe.solvers`` in the manifest).

    Output: ``in_place``; or ``out`` (a file for one input file, else a directory that mirrors the
    inputs); or neither, for one file, whose seeded text is only returned. Every input is validated and
    every target checked before any is written, so one bad solver or one unwritable target leaves all
    files untouched. A target that is a symlink is written through: its target file gets the new text.
    Derivation keys come as ``keys={...}`` (any names) or as keyword arguments."""
    m = as_manifest(manifest)
    seed = check_seed(job_seed(m, job, _keys(keys, more_keys)))
    inputs = _inputs(paths, job, m)
    targets = _targets(inputs, os.fspath(out) if out is not None else None, in_place)
    edits: list[Edit] = []
    problems: list[Problem] = []
    for path, _, _ in inputs:
        try:
            edits.append(edit(_read(path), seed, path))
        except SolverError as exc:
            problems += exc.problems
    unwritable = _target_problems(inputs, targets)
    if problems:
        raise SolverError(problems + unwritable)
    if unwritable:
        raise ValidationError(unwritable)
    results = []
    done = 0
    for (path, _, _), result, target in zip(inputs, edits, targets, strict=True):
        if target is not None and (result.changed or target != path):
            _write(target, result.text, done)
            done += 1
        results.append(SeedResult(path, job, seed, result, target))
    return results


def seed_file(path: str | os.PathLike[str], *, job: str, manifest: Manifest | str | os.PathLike[str] | None = None,
              out: str | os.PathLike[str] | None = None, in_place: bool = False,
              keys: Mapping[str, object] | None = None, **more_keys: object) -> SeedResult:
    """``seed_files`` for one solver file (``out`` is then a file)."""
    if os.path.isdir(path):
        raise SeedbridgeError(f"{os.fspath(path)}: is a directory; use seed_files for directories")
    return seed_files([path], job=job, manifest=manifest, out=out, in_place=in_place,
                      keys=_keys(keys, more_keys))[0]


def check_files(paths: Iterable[str | os.PathLike[str]] | None, *, job: str,
                manifest: Manifest | str | os.PathLike[str] | None = None, keys: Mapping[str, object] | None = None,
                **more_keys: object) -> list[SeedResult]:
    """Validate every solver and report whether it carries ``job``'s seed (``result.ok``); writes nothing.

    An invalid solver is a SolverError listing every problem of every file."""
    m = as_manifest(manifest)
    seed = check_seed(job_seed(m, job, _keys(keys, more_keys)))
    results: list[SeedResult] = []
    problems: list[Problem] = []
    for path, _, _ in _inputs(paths, job, m):
        try:
            results.append(SeedResult(path, job, seed, read(_read(path), path), None))
        except SolverError as exc:
            problems += exc.problems
    if problems:
        raise SolverError(problems)
    return results


def check_file(path: str | os.PathLike[str], *, job: str, manifest: Manifest | str | os.PathLike[str] | None = None,
               keys: Mapping[str, object] | None = None, **more_keys: object) -> SeedResult:
    """``check_files`` for one solver file."""
    return check_files([path], job=job, manifest=manifest, keys=_keys(keys, more_keys))[0]
