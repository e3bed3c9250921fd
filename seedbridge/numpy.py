"""The numpy target: the legacy global state (``np.random.seed``) and modern ``Generator`` objects.

NumPy is imported inside the functions that need it. ``np.random.seed`` takes 0..2**32-1; the job's main
(31-bit) seed always fits. ``generator`` and ``seed_sequence`` use the wide (128-bit) derivation, which a
``SeedSequence`` takes whole, so thousands of keyed streams do not meet the birthday bound of 32-bit seeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from seedbridge import _context
from seedbridge.manifest import Manifest

if TYPE_CHECKING:
    import numpy

__all__ = [
    "NAME",
    "apply",
    "available",
    "generator",
    "get_state",
    "seed_sequence",
    "set_seed",
    "set_state",
    "snippet",
    "version",
]

NAME = "numpy"

# SeedSequence entropy width: the widest seed seedbridge derives.
ENTROPY_BITS = 128


def available() -> bool:
    return _context.installed(NAME)


def _numpy() -> Any:
    _context.require(NAME)
    import numpy

    return numpy


def version() -> str:
    return str(_numpy().__version__)


def apply(seed: int, *, profile: str = "seeded") -> dict[str, Any]:
    """Seed NumPy's legacy global state; the flags set (NumPy has no determinism switch)."""
    np = _numpy()
    np.random.seed(seed)
    return {"numpy.random.seed": seed}


def set_seed(job: str | None = None, *, manifest: _context.ManifestLike = None, **keys: object) -> dict[str, Any]:
    """Seed the legacy global state with the job's main seed; returns ``{"seed": ..., **flags}``."""
    return _context.set_seed(NAME, apply, job, manifest, keys)


def seed_sequence(job: str | None = None, *, manifest: _context.ManifestLike = None,
                  **keys: object) -> numpy.random.SeedSequence:
    """``SeedSequence(manifest.seed(job, bits=128, **keys))``: spawn it for parallel streams."""
    np = _numpy()
    m, name, merged = _context.resolve(job, manifest, keys)
    return cast("numpy.random.SeedSequence", np.random.SeedSequence(m.seed(name, bits=ENTROPY_BITS, **merged)))


def generator(job: str | None = None, *, manifest: _context.ManifestLike = None,
              **keys: object) -> numpy.random.Generator:
    """A ``numpy.random.Generator`` (PCG64) seeded from the job's 128-bit derivation with ``keys``.

    Keys tell streams apart: ``generator("train", rank=1, worker=3, epoch=0)``."""
    np = _numpy()
    return cast("numpy.random.Generator", np.random.default_rng(seed_sequence(job, manifest=manifest, **keys)))


def get_state() -> object:
    return _numpy().random.get_state()


def set_state(state: Any) -> None:
    _numpy().random.set_state(state)


def snippet(manifest: Manifest, job: str, /, **keys: object) -> str:
    """Standalone NumPy code: the legacy global seed and a Generator from the 128-bit derivation."""
    seed = _context.main_seed(manifest, job, keys, NAME)
    wide = manifest.seed_for(job, keys, bits=ENTROPY_BITS)
    return (
        _context.header(manifest, job, keys, NAME)
        + "import numpy as np\n\n"
        + f"np.random.seed({seed})  # the legacy global state (np.random.rand, np.random.shuffle, ...)\n"
        + f"rng = np.random.default_rng(np.random.SeedSequence({wide}))  # the modern API\n"
    )
