"""``seed_everything``: apply one job's seed to every Python-side framework, and report what was done.

Also ``snapshot`` / ``restore``, which capture and put back the RNG state of every framework seeded in
this process together. A framework is imported only when it is seeded or its state is captured.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seedbridge import _context
from seedbridge.derive import key_text
from seedbridge.errors import FrameworkError

__all__ = ["TARGETS", "FrameworkSeed", "RNGState", "SeedReport", "restore", "seed_everything", "snapshot"]

logger = logging.getLogger("seedbridge")

# The frameworks seed_everything can seed, in the order it seeds them. Caffe is seeded through its solver
# files, not in-process. R is seeded only when the job (or the caller) names it.
TARGETS = ("python", "numpy", "torch", "tensorflow", "r")
_DEFAULT_TARGETS = ("python", "numpy", "torch", "tensorflow")

# Frameworks seeded in this process, in seeding order: what snapshot() captures by default.
_seeded: dict[str, None] = {}


@dataclass(frozen=True)
class FrameworkSeed:
    """What seed_everything did to one framework."""

    framework: str
    version: str
    seed: int
    flags: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {"framework": self.framework, "version": self.version, "seed": self.seed,
                "flags": _plain(dict(self.flags))}


@dataclass(frozen=True)
class SeedReport:
    """The report of one seed_everything call; ``str()`` is a short table, ``to_json()`` the record."""

    job: str
    seed: int
    profile: str
    derivation: int
    manifest: str | None
    keys: Mapping[str, str] = field(default_factory=dict, hash=False)
    frameworks: tuple[FrameworkSeed, ...] = ()
    warnings: tuple[str, ...] = ()

    def __getitem__(self, framework: str) -> FrameworkSeed:
        for entry in self.frameworks:
            if entry.framework == framework:
                return entry
        raise KeyError(framework)

    @property
    def seeded(self) -> tuple[str, ...]:
        return tuple(entry.framework for entry in self.frameworks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "keys": dict(self.keys),
            "seed": self.seed,
            "profile": self.profile,
            "derivation": self.derivation,
            "manifest": self.manifest,
            "frameworks": [entry.to_dict() for entry in self.frameworks],
            "warnings": list(self.warnings),
        }

    def to_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kwargs)

    def __str__(self) -> str:
        keys = ", ".join(f"{k}={v}" for k, v in self.keys.items())
        lines = [f"seedbridge: job {self.job!r}" + (f" ({keys})" if keys else "")
                 + f" seed {self.seed}, profile {self.profile}, derivation {self.derivation}"]
        width = max((len(e.framework) for e in self.frameworks), default=0)
        vwidth = max((len(e.version) for e in self.frameworks), default=0)
        for e in self.frameworks:
            flags = ", ".join(_flag_text(k, v) for k, v in e.flags.items())
            lines.append(f"  {e.framework:<{width}}  {e.version:<{vwidth}}  seed {e.seed}  {flags}".rstrip())
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _flag_text(name: str, value: Any) -> str:
    if isinstance(value, list):
        return f"{name}=" + "+".join(map(str, value))
    return f"{name}={value}"


def _plain(value: Any) -> Any:
    """JSON-safe copy of flag values (R's dict may hold vectors)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


@dataclass(frozen=True)
class RNGState:
    """The RNG state of several frameworks, captured together; picklable (torch tensors via torch.save)."""

    states: Mapping[str, Any] = field(hash=False)

    @property
    def frameworks(self) -> tuple[str, ...]:
        return tuple(self.states)


def _module(target: str) -> Any:
    return importlib.import_module(f"seedbridge.{target}")


def _targets(job_frameworks: Iterable[str], frameworks: Iterable[str] | None) -> list[str]:
    if frameworks is not None:
        if isinstance(frameworks, str):
            frameworks = [frameworks]
        chosen = list(dict.fromkeys(frameworks))
        for name in chosen:
            if name == "caffe":
                raise FrameworkError("frameworks: caffe is seeded through its solver files, not by "
                                     "seed_everything, got 'caffe'")
            if name not in TARGETS:
                raise FrameworkError(f"frameworks: must be among {', '.join(TARGETS)}, got {name!r}")
        for name in chosen:
            _context.require(name)
        return [t for t in TARGETS if t in chosen]
    listed = [f for f in job_frameworks if f in TARGETS]
    if listed:
        for name in listed:
            _context.require(name)
        return [t for t in TARGETS if t in listed]
    if any(f == "caffe" for f in job_frameworks):
        return []  # a Caffe-only job: nothing to seed in this process
    return [t for t in _DEFAULT_TARGETS if _context.installed(t)]


def seed_everything(
    job: str | None = None,
    *,
    manifest: _context.ManifestLike = None,
    frameworks: Iterable[str] | None = None,
    deterministic: bool = False,
    **keys: object,
) -> SeedReport:
    """Seed ``random``, NumPy, PyTorch and TensorFlow/Keras (and R when the job lists it) with the job's seed.

    ``job=None`` reads ``SEEDBRIDGE_JOB`` / ``SEEDBRIDGE_KEYS`` (set by ``seedbridge run`` and ``seedbridge env``).
    ``frameworks=None`` seeds the job's listed frameworks, or every installed one of python, numpy, torch
    and tensorflow when it lists none. ``deterministic=True``, or a job profile of deterministic or strict,
    also turns on each framework's determinism switches. The report is returned and logged at INFO."""
    m, name, merged = _context.resolve(job, manifest, keys)
    j = m.job(name)
    targets = _targets(j.frameworks, frameworks)
    seed = _context.main_seed(m, name, merged)
    for target in targets:
        if target != "r":
            from seedbridge.derive import check_seed_for

            check_seed_for(target, seed)
    profile = _context.profile(j, deterministic)

    notes: list[str] = []
    if profile != "seeded":
        from seedbridge.python import hash_seed_fixed

        if not hash_seed_fixed():
            notes.append(
                f"profile {profile} of job {name!r} needs a fixed PYTHONHASHSEED, but this interpreter started with "
                f"hash randomisation on and cannot change it; start it with `seedbridge run {name} -- COMMAND` "
                f"or after `eval \"$(seedbridge env {name})\"`"
            )
    import os

    env_seed = os.environ.get("SEEDBRIDGE_SEED")
    if job is None and env_seed is not None and env_seed != str(seed):
        notes.append(f"SEEDBRIDGE_SEED is {env_seed} but the manifest gives job {name!r} seed {seed}; "
                     "the manifest changed since the process was started")

    entries: list[FrameworkSeed] = []
    for target in targets:
        module = _module(target)
        if target == "r":
            # seedbridge.r.set_seed returns the run record: framework, job, keys, seed, r_version, ... .
            result = dict(module.set_seed(name, manifest=m, **merged))
            for known in ("framework", "job", "keys"):
                result.pop(known, None)
            used = int(result.pop("seed", seed))
            ver = str(result.pop("r_version", None) or result.pop("version", None) or "")
            entries.append(FrameworkSeed("r", ver, used, result))
        else:
            entries.append(FrameworkSeed(target, module.version(), seed, module.apply(seed, profile=profile)))
        _seeded[target] = None
        if target == "tensorflow":
            # keras.utils.set_random_seed also seeds random and NumPy: their state is part of a snapshot.
            _seeded.setdefault("python", None)
            if _context.installed("numpy"):
                _seeded.setdefault("numpy", None)

    report = SeedReport(
        job=name, seed=seed, profile=profile, derivation=m.derivation, manifest=m.path,
        keys={k: key_text(k, v) for k, v in sorted(merged.items())},
        frameworks=tuple(entries), warnings=tuple(notes),
    )
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    logger.info("%s", report)
    return report


def snapshot(frameworks: Iterable[str] | None = None) -> RNGState:
    """The RNG state of ``frameworks``; by default of every framework seeded in this process so far, or, before
    any seeding, of ``random`` and whichever of numpy, torch and tensorflow are already imported."""
    if frameworks is None:
        chosen = list(_seeded) or ["python"] + [t for t in ("numpy", "torch", "tensorflow") if t in sys.modules]
    else:
        chosen = _targets((), frameworks)
    return RNGState({t: _module(t).get_state() for t in chosen})


def restore(state: RNGState) -> None:
    """Put back every framework's RNG state captured by ``snapshot``."""
    if not isinstance(state, RNGState):
        raise FrameworkError(f"restore: must be given what snapshot() returned, got {type(state).__name__}")
    for target, value in state.states.items():
        _module(target).set_state(value)
