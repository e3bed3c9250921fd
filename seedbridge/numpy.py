"""The numpy target: the legacy global state (``np.random.seed``) and modern ``Generator`` objects.

NumPy is imported inside the functions that need it. ``np.random.seed`` takes 0..2**32-1; the job's main
(31-bit) seed always fits. ``generator`` and ``seed_sequence`` use the wide (128-bit) derivation, which a
``SeedSequence`` takes whole, so thousands of keyed streams do not meet the birthday bound of 32-bit seeds.
Generators are built on an explicit ``PCG64``: ``default_rng`` does not promise which bit generator it uses
(numpy/random/_generator.pyx), and the documented streams must not change under a NumPy upgrade.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from seedbridge import _context
from seedbridge.derive import FRAMEWORK_SEED_MAX
from seedbridge.errors import FrameworkError

if TYPE_CHECKING:
    import numpy

    from seedbridge._manifest import Job, Manifest

__all__ = [
    "NAME",
    "SEED_MAX",
    "apply",
    "available",
    "generator",
    "get_state",
    "sample_generator",
    "seed_sequence",
    "set_seed",
    "set_state",
    "snippet",
    "version",
]

NAME = "numpy"
SEED_MAX = FRAMEWORK_SEED_MAX[NAME]

# SeedSequence entropy width: the widest seed seedbridge derives.
ENTROPY_BITS = 128

# The legacy MT19937 state: 624 32-bit words (numpy/random/_mt19937.pyx).
_MT_WORDS = 624


def available() -> bool:
    return _context.installed(NAME)


def _numpy() -> Any:
    _context.require(NAME)
    import numpy

    return numpy


def version() -> str:
    return str(_numpy().__version__)


def apply(seed: int, *, profile: str = "seeded", job: Job | None = None) -> dict[str, Any]:
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
    return cast("numpy.random.SeedSequence", np.random.SeedSequence(m.seed_for(name, merged, bits=ENTROPY_BITS)))


def _pcg64(entropy: int) -> numpy.random.Generator:
    np = _numpy()
    return cast("numpy.random.Generator", np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy))))


def generator(job: str | None = None, *, manifest: _context.ManifestLike = None,
              **keys: object) -> numpy.random.Generator:
    """A ``numpy.random.Generator`` on ``PCG64(SeedSequence(seed(job, bits=128, **keys)))``.

    Keys tell streams apart: ``generator("train", rank=1, worker=3, epoch=0)``."""
    m, name, merged = _context.resolve(job, manifest, keys)
    return _pcg64(m.seed_for(name, merged, bits=ENTROPY_BITS))


def sample_generator(index: int, *, epoch: int = 0, job: str | None = None, manifest: _context.ManifestLike = None,
                     **keys: object) -> numpy.random.Generator:
    """The Generator of one sample: ``generator(job, **keys, epoch=epoch, index=index)``.

    Draw a sample's augmentation from it and the numbers depend on (job, keys, epoch, index) only, not on
    which worker or batch the sample lands in. ``epoch`` and ``index`` cannot also be caller keys."""
    m, name, merged = _context.resolve(job, manifest, keys)
    stream = _context.stream_keys(merged, epoch=_context.check_index("epoch", epoch),
                                  index=_context.check_index("index", index))
    return _pcg64(m.seed_for(name, stream, bits=ENTROPY_BITS))


def get_state() -> dict[str, Any]:
    """The legacy state as plain data: ``{"bit_generator": "MT19937", "key" (624 little-endian uint32 words as
    bytes), "pos", "has_gauss", "cached_gaussian"}``."""
    kind, key, pos, has_gauss, cached = _numpy().random.get_state()
    return {"bit_generator": str(kind), "key": key.astype("<u4").tobytes(), "pos": int(pos),
            "has_gauss": int(has_gauss), "cached_gaussian": float(cached)}


def set_state(state: Mapping[str, Any]) -> None:
    np = _numpy()
    try:
        key, pos, has_gauss, cached = state["key"], state["pos"], state["has_gauss"], state["cached_gaussian"]
        if state["bit_generator"] != "MT19937" or not isinstance(key, bytes) or len(key) != 4 * _MT_WORDS:
            raise ValueError(f"bit_generator must be MT19937 and key {4 * _MT_WORDS} bytes")
        # NumPy takes pos unchecked and reads key[pos] on the next draw (numpy/random/src/mt19937/mt19937.h):
        # a position outside 0..624 from a damaged or crafted checkpoint would read outside the state.
        if type(pos) is not int or not 0 <= pos <= _MT_WORDS:
            raise ValueError(f"pos must be an integer in 0..{_MT_WORDS}, got {pos!r}")
        if type(has_gauss) is not int or has_gauss not in (0, 1) or type(cached) is not float:
            raise ValueError("has_gauss must be 0 or 1 and cached_gaussian a float")
        np.random.set_state(("MT19937", np.frombuffer(key, dtype="<u4").astype(np.uint32), pos, has_gauss, cached))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise FrameworkError(f"numpy state: must be what seedbridge.numpy.get_state() returned ({exc})") from None


def snippet(manifest: Manifest, job: str, /, **keys: object) -> str:
    """Standalone NumPy code: the legacy global seed and a Generator from the 128-bit derivation."""
    seed = _context.main_seed(manifest, job, keys, NAME)
    wide = manifest.seed_for(job, keys, bits=ENTROPY_BITS)
    return (
        _context.header(manifest, job, keys, NAME)
        + "import numpy as np\n\n"
        + f"np.random.seed({seed})  # the legacy global state (np.random.rand, np.random.shuffle, ...)\n"
        + f"rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence({wide})))  # the modern API\n"
    )
