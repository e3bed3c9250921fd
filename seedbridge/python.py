"""The python target: the global ``random`` module (the Mersenne Twister behind ``random.random()``).

``random.seed`` takes any integer, so every seed seedbridge derives fits. ``PYTHONHASHSEED`` (the order of
``set`` iteration, ``hash(str)``) is fixed when the interpreter starts and cannot be set from here:
``seed_everything`` warns when a deterministic profile meets a randomised interpreter.
"""

from __future__ import annotations

import random
from typing import Any

from seedbridge import _context
from seedbridge.manifest import Manifest

__all__ = ["NAME", "apply", "available", "get_state", "hash_seed_fixed", "set_seed", "set_state", "snippet", "version"]

NAME = "python"


def available() -> bool:
    return True


def version() -> str:
    import platform

    return platform.python_version()


def apply(seed: int, *, profile: str = "seeded") -> dict[str, Any]:
    """Seed ``random``; the flags set (no determinism switch exists for it)."""
    random.seed(seed)
    return {"random.seed": seed}


def set_seed(job: str | None = None, *, manifest: _context.ManifestLike = None, **keys: object) -> dict[str, Any]:
    """Seed ``random`` with the job's main seed; returns ``{"seed": ..., **flags}``."""
    return _context.set_seed(NAME, apply, job, manifest, keys)


def get_state() -> object:
    return random.getstate()


def set_state(state: Any) -> None:
    random.setstate(state)


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
