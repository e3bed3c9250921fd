"""The jax target: typed PRNG keys from the job's 64-bit seed.

JAX has no global random state to seed: every draw takes a key. ``key(job, **keys)`` builds one from
``seed(job, bits=64, **keys)``; ``seed_everything`` records the PRNG implementation keys are made with
(``jax_default_prng_impl``: threefry2x32 unless configured otherwise) and the seed ``key`` uses.

All 64 bits are used: ``jax.random.key(int)`` keeps only the low 32 bits of a seed unless ``jax_enable_x64``
is on, and refuses Python ints from 2**63 (OverflowError, jax 0.10; tests pin both), so ``key`` passes the
seed as a ``numpy.uint64`` with x64 enabled for that one call. JAX is imported inside the functions that use it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from seedbridge import _context
from seedbridge.derive import FRAMEWORK_SEED_MAX
from seedbridge.errors import FrameworkError

if TYPE_CHECKING:
    from seedbridge._manifest import Job, Manifest

__all__ = ["NAME", "SEED_BITS", "SEED_MAX", "apply", "available", "get_state", "key", "prng_impl", "set_state",
           "snippet", "version"]

NAME = "jax"
SEED_MAX = FRAMEWORK_SEED_MAX[NAME]
# seed_everything gives this target seed(job, bits=64, **keys), the seed key() uses, not the 31-bit main seed.
SEED_BITS = 64

# XLA's switch for deterministic GPU kernels; read when JAX starts its GPU backend (JAX docs, "GPU performance
# tips"). CPU kernels are deterministic already.
XLA_DETERMINISTIC = "--xla_gpu_deterministic_ops=true"


def available() -> bool:
    return _context.installed(NAME)


def _jax() -> Any:
    _context.require(NAME)
    import jax

    return jax


def version() -> str:
    return str(_jax().__version__)


def prng_impl() -> str:
    """The PRNG implementation new keys use (``jax.config.jax_default_prng_impl``)."""
    return str(_jax().config.jax_default_prng_impl)


def _key(seed: int) -> Any:
    jax = _jax()
    import numpy as np

    # jax.enable_x64 is the context manager in current JAX; older releases had it in jax.experimental.
    enable_x64 = jax.enable_x64 if hasattr(jax, "enable_x64") else jax.experimental.enable_x64
    with enable_x64(True):
        return jax.random.key(np.uint64(seed))


def key(job: str | None = None, *, manifest: _context.ManifestLike = None, **keys: object) -> Any:
    """A typed PRNG key (``jax.random.key``) from ``seed(job, bits=64, **keys)``; split it for streams."""
    m, name, merged = _context.resolve(job, manifest, keys)
    return _key(m.seed_for(name, merged, bits=SEED_BITS))


def apply(seed: int, *, profile: str = "seeded", job: Job | None = None) -> dict[str, Any]:
    """JAX has no global RNG to seed: this records the PRNG implementation and checks that a key can be made
    from ``seed``; with a deterministic or strict profile it adds XLA's deterministic-GPU-ops flag to
    ``XLA_FLAGS`` (read when the GPU backend starts: set it before the process starts to be sure)."""
    from seedbridge.derive import check_seed_for

    check_seed_for(NAME, seed)
    _key(seed)
    flags: dict[str, Any] = {"jax_default_prng_impl": prng_impl(), "global_state": "none (use seedbridge.jax.key)"}
    if profile != "seeded":
        current = os.environ.get("XLA_FLAGS", "")
        if XLA_DETERMINISTIC not in current.split():
            os.environ["XLA_FLAGS"] = f"{current} {XLA_DETERMINISTIC}".strip()
        flags["XLA_FLAGS"] = os.environ["XLA_FLAGS"]
    return flags


def get_state() -> None:
    """JAX keeps no global random state: nothing to capture."""
    return None


def set_state(state: object) -> None:
    if state is not None:
        raise FrameworkError(f"jax state: JAX keeps no global random state, so it must be None, got {state!r:.80}")


def snippet(manifest: Manifest, job: str, /, **keys: object) -> str:
    """Standalone JAX code that makes the key ``seedbridge.jax.key(job, **keys)`` returns under the default
    threefry2x32 implementation: its key data are the seed's high and low 32-bit words."""
    seed = manifest.seed_for(job, keys, bits=SEED_BITS)
    return (
        _context.header(manifest, job, keys, NAME)
        + "import jax\nimport numpy as np\n\n"
        + f"# seed {seed} as (high, low) 32-bit words; jax.random.key({seed}) would keep only the low 32 bits "
        "unless jax_enable_x64 is on\n"
        + f"key = jax.random.wrap_key_data(np.array([{seed >> 32}, {seed & 0xFFFF_FFFF}], dtype=np.uint32), "
        "impl=\"threefry2x32\")\n"
    )
