"""``seed_everything``: apply one job's seed to every framework target it names, and report what was done.

Targets come from one registry (``seedbridge.targets``): the built-in ones and those installed packages add
through the ``seedbridge.targets`` entry points. A framework is imported only when it is seeded. What was
seeded, and under which job, is remembered for ``snapshot`` and ``save_rng_state`` (seedbridge._checkpoint).
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from seedbridge import _context, targets
from seedbridge.derive import key_text
from seedbridge.errors import DerivationError, FrameworkError, MissingDependencyError, SeedbridgeError, SeedRangeError

__all__ = ["FrameworkSeed", "SeedReport", "current", "seed_everything", "seeded"]

logger = logging.getLogger("seedbridge")

# Targets seeded in this process, in seeding order (with what they also seed): what snapshot() captures by
# default. And the job the last seed_everything applied: what a checkpoint records and checks.
_seeded: dict[str, None] = {}
_current: dict[str, Any] | None = None


def seeded() -> tuple[str, ...]:
    """The targets seeded in this process so far (by seed_everything), in seeding order."""
    return tuple(_seeded)


def current() -> dict[str, Any] | None:
    """The job of this process's last seed_everything: ``{"job", "keys", "manifest_digest", "manifest",
    "derivation", "rank"}``, or None before any."""
    if _current is None:
        return None
    out = {k: v for k, v in _current.items() if k != "_manifest"}
    # The digest (a JSON dump and a SHA-256 of the whole manifest) only when asked: seed_everything can run
    # once per test, a checkpoint is rarer.
    out["manifest_digest"] = _current["_manifest"].digest()
    return out


@dataclass(frozen=True)
class FrameworkSeed:
    """What seed_everything did to one framework."""

    framework: str
    version: str | None
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
    rank: int | None = None
    rank_source: str | None = None

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
            "rank": self.rank,
            "rank_source": self.rank_source,
        }

    def to_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kwargs)

    def __str__(self) -> str:
        keys = ", ".join(f"{k}={v}" for k, v in self.keys.items())
        lines = [f"seedbridge: job {self.job!r}" + (f" ({keys})" if keys else "")
                 + f" seed {self.seed}, profile {self.profile}, derivation {self.derivation}"]
        if self.rank is not None:
            lines[0] += f", rank {self.rank} ({self.rank_source})"
        width = max((len(e.framework) for e in self.frameworks), default=0)
        vwidth = max((len(e.version or "-") for e in self.frameworks), default=0)
        for e in self.frameworks:
            flags = ", ".join(_flag_text(k, v) for k, v in e.flags.items())
            lines.append(f"  {e.framework:<{width}}  {e.version or '-':<{vwidth}}  seed {e.seed}  {flags}".rstrip())
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


def _chosen(job: str, listed: Iterable[str], frameworks: Iterable[str] | None) -> list[targets.Target]:
    """The targets to seed: ``frameworks`` when given, else the job's list, else every available default one.
    Built-in targets come in seeding order, others after them in the order given."""
    if frameworks is not None:
        names = [frameworks] if isinstance(frameworks, str) else list(frameworks)
        what = "frameworks"
    else:
        names, what = list(listed), f"jobs.{job}.frameworks"
        if not names:
            return [targets.get(n) for n in targets.DEFAULT if targets.get(n).available()]
    names = list(dict.fromkeys(names))
    found = [targets.get(n, what=what) for n in names]
    for target in found:
        with _target_errors(target, "available"):
            usable = target.available()
        if not usable:
            raise MissingDependencyError(_missing(target.NAME))
    order = {name: i for i, name in enumerate(targets.BUILTIN)}
    return sorted(found, key=lambda t: order.get(t.NAME, len(order)))


def _missing(name: str) -> str:
    if name in _context.EXTRAS:
        module, extra = _context.EXTRAS[name]
        if not _context.installed(name):
            return f"the {name} target needs {module}; install seedbridge[{extra}]"
        return f"the {name} target is installed ({module}) but cannot be used here; see docs/frameworks/{name}.md"
    return f"the {name} target is registered but not available here (its available() is False)"


@contextmanager
def _target_errors(target: targets.Target, what: str) -> Iterator[None]:
    """A target's own exception (a third-party target's bug, a framework that fails) as one FrameworkError that
    names the target, chained to the original for its traceback."""
    try:
        yield
    except SeedbridgeError:
        raise
    except Exception as exc:
        raise FrameworkError(f"target {target.NAME!r}: {what}() failed: {type(exc).__name__}: "
                             f"{' '.join(str(exc).split())[:300]}") from exc


def _rank(rank: int | str | None) -> tuple[int | None, str | None]:
    if rank is None:
        return None, None
    if rank == "auto":
        value, source = _context.detect_rank()
        return value, source or "no rank variable set: rank 0"
    if isinstance(rank, str):
        # Decimal text is the key's own canonical form (keys are text; R's bridge passes every key as text).
        if not (rank.isascii() and rank.isdigit()):
            raise DerivationError(f"rank: must be None, a non-negative integer or 'auto', got {rank!r}")
        return int(rank), "argument"
    return _context.check_index("rank", rank), "argument"


def seed_everything(
    job: str | None = None,
    *,
    manifest: _context.ManifestLike = None,
    frameworks: Iterable[str] | None = None,
    deterministic: bool = False,
    rank: int | str | None = None,
    **keys: object,
) -> SeedReport:
    """Seed every framework the job lists (python, numpy, torch, tensorflow, jax, r, caffe, or an installed
    target) with the job's seed, and report what was done.

    ``job=None`` reads ``SEEDBRIDGE_JOB`` / ``SEEDBRIDGE_KEYS`` (set by ``seedbridge run`` and ``seedbridge env``).
    ``frameworks=None`` seeds the job's listed frameworks, or every installed one of python, numpy, torch
    and tensorflow when it lists none. ``deterministic=True``, or a job profile of deterministic or strict,
    also turns on each framework's determinism switches. ``rank=None`` seeds every rank alike; an integer or
    ``"auto"`` (RANK, SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMI_RANK, else 0) adds the rank as a key. Every
    target's range is checked before any is seeded. The report is returned and logged at INFO."""
    global _current
    m, name, merged = _context.resolve(job, manifest, keys)
    rank_value, rank_source = _rank(rank)
    if rank_value is not None:
        if "rank" in merged:
            raise DerivationError(f"key 'rank': given both as rank={rank!r} and as a key {merged['rank']!r}")
        merged["rank"] = rank_value
    j = m.job(name)
    chosen = _chosen(name, j.frameworks, frameworks)
    seed = _context.main_seed(m, name, merged)
    seeds: list[int] = []
    for target in chosen:
        bits = getattr(target, "SEED_BITS", None)
        value = seed if bits is None else m.seed_for(name, merged, bits=bits)
        if not 0 <= value <= target.SEED_MAX:
            raise SeedRangeError(f"must be an integer in 0..{target.SEED_MAX} for {target.NAME}, got {value}")
        seeds.append(value)
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
    env_seed = os.environ.get("SEEDBRIDGE_SEED")
    if job is None and env_seed is not None and env_seed != str(seed) and rank_value is None:
        notes.append(f"SEEDBRIDGE_SEED is {env_seed} but the manifest gives job {name!r} seed {seed}; "
                     "the manifest changed since the process was started")

    entries: list[FrameworkSeed] = []
    for target, value in zip(chosen, seeds, strict=True):
        with _target_errors(target, "apply"):
            flags = target.apply(value, profile=profile, job=j)
            if not isinstance(flags, Mapping):
                raise FrameworkError(f"target {target.NAME!r}: apply() must return a dict of the flags it set, "
                                     f"got {type(flags).__name__}")
        with _target_errors(target, "version"):
            entry = FrameworkSeed(target.NAME, target.version(), value, dict(flags))
        entries.append(entry)
        _seeded[target.NAME] = None
        for also in getattr(target, "ALSO_SEEDS", ()):
            if targets.get(also).available():
                _seeded.setdefault(also, None)

    text_keys = {k: key_text(k, v) for k, v in sorted(merged.items())}
    _current = {"job": name, "keys": text_keys, "_manifest": m, "manifest": m.path,
                "derivation": m.derivation, "rank": rank_value}
    report = SeedReport(
        job=name, seed=seed, profile=profile, derivation=m.derivation, manifest=m.path, keys=text_keys,
        frameworks=tuple(entries), warnings=tuple(notes), rank=rank_value, rank_source=rank_source,
    )
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    logger.info("%s", report)
    return report
