"""Framework targets: the one protocol every target implements, and the one registry that finds them.

``seed_everything``, ``snapshot`` / ``restore``, ``save_rng_state``, ``seedbridge snippet`` and
``seedbridge validate`` all look targets up here; nothing else lists them.

Built-in targets are the modules below (each imports its framework lazily). Other packages add targets
through the entry-point group ``seedbridge.targets``: the entry point's name is the target's name (as a job's
``frameworks:`` lists it) and its value a module or object that implements ``Target``::

    [project.entry-points."seedbridge.targets"]
    mylib = "mylib_seedbridge"             # a module with NAME, SEED_MAX, available(), ... (see Target)

A built-in name cannot be taken over by an entry point. Entry points are read only when a name is not a
built-in one, or when every target is listed, so ``import seedbridge`` and the light CLI commands never
scan installed packages.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from seedbridge.errors import FrameworkError

if TYPE_CHECKING:
    from seedbridge._manifest import Job, Manifest

__all__ = [
    "BUILTIN",
    "DEFAULT",
    "ENTRY_POINT_GROUP",
    "NAME_PATTERN",
    "SNIPPET_ALIASES",
    "Target",
    "closest_builtin",
    "get",
    "is_registered",
    "names",
    "unregistered",
]

ENTRY_POINT_GROUP = "seedbridge.targets"

# What a target name looks like, in the manifest (Python and R alike) and for an entry point.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")

# Built-in targets, in the order seed_everything seeds them: name -> module implementing Target.
# tensorflow comes after python and numpy, since Keras reseeds both with the same seed.
BUILTIN: Mapping[str, str] = {
    "python": "seedbridge.python",
    "numpy": "seedbridge.numpy",
    "torch": "seedbridge.torch",
    "tensorflow": "seedbridge.tensorflow",
    "jax": "seedbridge.jax",
    "r": "seedbridge.r",
    "caffe": "seedbridge.caffe._target",
}

# Seeded by seed_everything when a job lists no frameworks (if installed). Never R (it starts a second
# language runtime), Caffe (seeded through solver files) or JAX (it has no global state to seed).
DEFAULT = ("python", "numpy", "torch", "tensorflow")

# Other names `seedbridge snippet --target` accepts.
SNIPPET_ALIASES: Mapping[str, str] = {"pycaffe": "caffe"}

# What a target's get_state() returns and set_state() takes: plain data that a checkpoint file can hold
# without pickle (docs/checkpoints.md): None, bool, int, float, str, bytes, lists and str-keyed dicts.
StateData = Any


@runtime_checkable
class Target(Protocol):
    """What a framework target provides. A module satisfies it with module-level names.

    Optional: ``SEED_BITS`` (int) when the target takes a keyed seed of that width instead of the job's main
    seed (jax: 64), and ``ALSO_SEEDS`` (names) when applying it also reseeds other targets (tensorflow:
    Keras reseeds python and numpy)."""

    NAME: str
    SEED_MAX: int  # the largest seed ``apply`` accepts; every target's range is checked before any is seeded

    def available(self) -> bool:
        """Whether the framework can be used here, found without importing it where possible."""

    def version(self) -> str | None:
        """The framework's version, for the report (None when unknown)."""

    def apply(self, seed: int, *, profile: str = "seeded", job: Job | None = None) -> Mapping[str, Any]:
        """Seed the framework in this process (profile: seeded, deterministic or strict; job: the manifest's
        Job, for options such as R's kinds) and return the flags set, for the report."""

    def get_state(self) -> StateData:
        """The framework's global RNG state, as plain data."""

    def set_state(self, state: StateData) -> None:
        """Put back what get_state returned; a malformed state is a FrameworkError and changes nothing."""

    def snippet(self, manifest: Manifest, job: str, /, **keys: object) -> str:
        """Standalone code that applies the job's seed without seedbridge; needs no framework installed."""


_REQUIRED = ("NAME", "SEED_MAX", "available", "version", "apply", "get_state", "set_state", "snippet")

_loaded: dict[str, Target] = {}


def _entry_points() -> dict[str, Any]:
    """Installed ``seedbridge.targets`` entry points by name (well-formed, non-built-in names only)."""
    from importlib.metadata import entry_points

    found: dict[str, Any] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in BUILTIN:
            warnings.warn(f"entry point {ep.name} = {ep.value} ({ENTRY_POINT_GROUP}): {ep.name!r} is a built-in "
                          "target and cannot be replaced; ignored", RuntimeWarning, stacklevel=3)
        elif not NAME_PATTERN.fullmatch(ep.name):
            warnings.warn(f"entry point {ep.name} = {ep.value} ({ENTRY_POINT_GROUP}): target names must match "
                          f"{NAME_PATTERN.pattern}; ignored", RuntimeWarning, stacklevel=3)
        else:
            found.setdefault(ep.name, ep)
    return found


def names() -> tuple[str, ...]:
    """Every registered target: the built-in ones in seeding order, then installed ones by name."""
    return (*BUILTIN, *sorted(_entry_points()))


def is_registered(name: str) -> bool:
    return name in BUILTIN or name in _entry_points()


def closest_builtin(name: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, list(BUILTIN), n=1, cutoff=0.5)
    return close[0] if close else None


def unregistered(manifest: Manifest) -> list[str]:
    """One warning per ``frameworks:`` entry that no registered target provides, for ``seedbridge validate``.

    The manifest accepts any well-formed name (R cannot see Python's entry points); here is where a typo or a
    target package that is not installed shows up before ``seed_everything`` refuses the job."""
    known = set(names()) if any(f not in BUILTIN for j in manifest.jobs.values() for f in j.frameworks) else set()
    out = []
    for job in manifest.jobs.values():
        for fw in job.frameworks:
            if fw in BUILTIN or fw in known:
                continue
            close = closest_builtin(fw)
            hint = f"; did you mean {close!r}?" if close else ""
            where = f"{manifest.path} " if manifest.path else ""
            out.append(f"{where}jobs.{job.name}.frameworks: no registered target provides {fw!r}{hint} (an installed "
                       f"package adds one through the entry-point group {ENTRY_POINT_GROUP}; seed_everything "
                       "refuses the job until then)")
    return out


def _unknown(name: object, what: str) -> FrameworkError:
    shown = name if isinstance(name, str) else repr(name)
    hint = ""
    if isinstance(name, str):
        close = closest_builtin(name)
        hint = f"; did you mean {close!r}?" if close else ""
    return FrameworkError(
        f"{what}: no target {shown!r} is registered{hint} (built-in: {', '.join(BUILTIN)}; others come from "
        f"installed packages through the entry-point group {ENTRY_POINT_GROUP})"
    )


def get(name: str, *, what: str = "frameworks") -> Target:
    """The target called ``name``; an unknown name is a FrameworkError that suggests the closest built-in one.

    ``what`` names the caller's argument in the message."""
    if name in _loaded:
        return _loaded[name]
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise _unknown(name, what)
    if name in BUILTIN:
        target: Any = importlib.import_module(BUILTIN[name])
        source = BUILTIN[name]
    else:
        ep = _entry_points().get(name)
        if ep is None:
            raise _unknown(name, what)
        source = f"entry point {ep.name} = {ep.value}"
        try:
            target = ep.load()
        except Exception as exc:  # a third-party module may raise anything while importing
            raise FrameworkError(f"target {name!r} ({source}) failed to load: {type(exc).__name__}: {exc}") from exc
    missing = [attr for attr in _REQUIRED if not hasattr(target, attr)]
    if missing:
        raise FrameworkError(f"target {name!r} ({source}) lacks {', '.join(missing)} of the target protocol "
                             "(docs/api.md, Targets)")
    if name != target.NAME:
        raise FrameworkError(f"target {name!r} ({source}) says its NAME is {target.NAME!r}")
    _loaded[name] = target
    return target  # type: ignore[no-any-return]
