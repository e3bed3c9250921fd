"""The python target: the global ``random`` module (the Mersenne Twister behind ``random.random()``).

``random.seed`` takes any integer, so every seed seedbridge derives fits. ``PYTHONHASHSEED`` (the order of
``set`` iteration, ``hash(str)``) is fixed when the interpreter starts and cannot be set from here:
``seed_everything`` warns when a deterministic profile meets a randomised interpreter.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from seedbridge import _context
from seedbridge.derive import FRAMEWORK_SEED_MAX
from seedbridge.errors import FrameworkError

if TYPE_CHECKING:
    from seedbridge._manifest import Job, Manifest

__all__ = ["NAME", "SEED_MAX", "apply", "available", "get_state", "hash_seed_fixed", "set_seed", "set_state",
           "snippet", "state_data", "state_tuple", "version"]

NAME = "python"
SEED_MAX = FRAMEWORK_SEED_MAX[NAME]


def available() -> bool:
    return True


def version() -> str:
    import platform

    return platform.python_version()


def apply(seed: int, *, profile: str = "seeded", job: Job | None = None) -> dict[str, Any]:
    """Seed ``random``; the flags set (no determinism switch exists for it)."""
    random.seed(seed)
    return {"random.seed": seed}


def set_seed(job: str | None = None, *, manifest: _context.ManifestLike = None, **keys: object) -> dict[str, Any]:
    """Seed ``random`` with the job's main seed; returns ``{"seed": ..., **flags}``."""
    return _context.set_seed(NAME, apply, job, manifest, keys)


def state_data(state: tuple[Any, ...]) -> dict[str, Any]:
    """A ``random.Random.getstate()`` tuple as plain data: ``{"version", "internal" (625 ints), "gauss_next"}``."""
    version_, internal, gauss_next = state
    return {"version": version_, "internal": list(internal), "gauss_next": gauss_next}


def state_tuple(data: Mapping[str, Any], what: str) -> tuple[Any, ...]:
    """``state_data``'s inverse, checked by a scratch ``random.Random`` (``what`` names it in errors)."""
    try:
        value = (data["version"], tuple(data["internal"]), data["gauss_next"])
        if not all(type(v) is int for v in value[1]) or not (value[2] is None or type(value[2]) is float):
            raise TypeError("internal must hold ints and gauss_next be a float or None")
        random.Random().setstate(value)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise FrameworkError(f"{what}: must be a Python random state as seedbridge.python.get_state() returns "
                             f"({exc})") from None
    return value


def get_state() -> dict[str, Any]:
    """``random.getstate()`` as plain data (``state_data``)."""
    return state_data(random.getstate())


def set_state(state: Mapping[str, Any]) -> None:
    random.setstate(state_tuple(state, "python state"))


def hash_seed_fixed() -> bool:
    """Whether this interpreter was started with a fixed PYTHONHASHSEED (an integer, 0 included).

    ``sys.flags.hash_randomization`` is 1 for PYTHONHASHSEED=5 as well, so the variable is what tells."""
    import os

    value = os.environ.get("PYTHONHASHSEED", "")
    return value.isascii() and value.isdigit()


def snippet(manifest: Manifest, job: str, /, **keys: object) -> str:
    """Standalone Python that seeds ``random`` like ``seed_everything`` does."""
    seed = _context.main_seed(manifest, job, keys, NAME)
    return (
        _context.header(manifest, job, keys, NAME)
        + "import random\n\n"
        + f"random.seed({seed})\n"
        + "# Set PYTHONHASHSEED before the interpreter starts (`seedbridge env`); it cannot change later.\n"
    )
