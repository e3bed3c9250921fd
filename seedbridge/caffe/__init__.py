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
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

from seedbridge.caffe._edit import CAFFE_SEED_MAX, Edit, check_seed, edit, read
from seedbridge.envvars import job_seed
from seedbridge.errors import Problem, SeedbridgeError, SolverError
from seedbridge.manifest import as_manifest

if TYPE_CHECKING:
    from seedbridge.manifest import Manifest

__all__ = [
    "CAFFE_SEED_MAX",
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
    """pycaffe code that seeds Caffe's RNG with ``job``'s seed; needs neither caffe nor protobuf."""
    m = as_manifest(manifest)
    seed = check_seed(job_seed(m, job, keys))
    return (f"# seedbridge: job {job!r}, derivation {m.derivation}, seed {seed}\n"
            f"import caffe\ncaffe.set_random_seed({seed})\n")


# -- files --------------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise SolverError([Problem(f"cannot read the solver: {exc.strerror or exc}", file=path)]) from None
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


def seed_files(paths: Iterable[str | os.PathLike[str]] | None, *, job: str,
               manifest: Manifest | str | os.PathLike[str] | None = None, out: str | os.PathLike[str] | None = None,
               in_place: bool = False, **keys: object) -> list[SeedResult]:
    """Set random_seed to ``job``'s seed in every solver of ``paths`` (files or directories; none: the
    job's ``caffe.solvers`` in the manifest).

    Output: ``in_place``; or ``out`` (a file for one input file, else a directory that mirrors the
    inputs); or neither, for one file, whose seeded text is only returned. Every file is validated
    before any is written, so one bad solver leaves all of them untouched."""
    m = as_manifest(manifest)
    seed = check_seed(job_seed(m, job, keys))
    inputs = _inputs(paths, job, m)
    targets = _targets(inputs, os.fspath(out) if out is not None else None, in_place)
    edits: list[Edit] = []
    problems: list[Problem] = []
    for path, _, _ in inputs:
        try:
            edits.append(edit(_read(path), seed, path))
        except SolverError as exc:
            problems += exc.problems
    if problems:
        raise SolverError(problems)
    from seedbridge._atomic import atomic_write_bytes

    results = []
    for (path, _, _), result, target in zip(inputs, edits, targets, strict=True):
        if target is not None and (result.changed or target != path):
            folder = os.path.dirname(target)
            if folder:
                os.makedirs(folder, exist_ok=True)
            atomic_write_bytes(target, result.text.encode("utf-8", "surrogateescape"))
        results.append(SeedResult(path, job, seed, result, target))
    return results


def seed_file(path: str | os.PathLike[str], *, job: str, manifest: Manifest | str | os.PathLike[str] | None = None,
              out: str | os.PathLike[str] | None = None, in_place: bool = False, **keys: object) -> SeedResult:
    """``seed_files`` for one solver file (``out`` is then a file)."""
    if os.path.isdir(path):
        raise SeedbridgeError(f"{os.fspath(path)}: is a directory; use seed_files for directories")
    return seed_files([path], job=job, manifest=manifest, out=out, in_place=in_place, **keys)[0]


def check_files(paths: Iterable[str | os.PathLike[str]] | None, *, job: str,
                manifest: Manifest | str | os.PathLike[str] | None = None, **keys: object) -> list[SeedResult]:
    """Validate every solver and report whether it carries ``job``'s seed (``result.ok``); writes nothing.

    An invalid solver is a SolverError listing every problem of every file."""
    m = as_manifest(manifest)
    seed = check_seed(job_seed(m, job, keys))
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
               **keys: object) -> SeedResult:
    """``check_files`` for one solver file."""
    return check_files([path], job=job, manifest=manifest, **keys)[0]
