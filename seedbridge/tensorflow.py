"""The tensorflow target: TensorFlow's global seed and Keras's, plus op determinism.

TensorFlow and Keras are imported inside the functions that need them. ``keras.utils.set_random_seed``
(Keras 3, ``keras/src/utils/rng_utils.py``) calls ``random.seed``, ``np.random.seed`` and
``tf.random.set_seed`` and drops Keras's global ``SeedGenerator``; Keras layers draw their initializer
seeds from Python's ``random`` (``keras/src/random/seed_generator.py``, ``make_default_seed``). The seed
must fit ``np.random.seed``: 0..2**32-1.

In eager mode ``tf.random.set_seed`` also resets the counter that hands out op seeds and clears the
kernel cache (``Context._set_global_seed`` in ``tensorflow/python/eager/context.py``), so reseeding in the
same process replays the same numbers. A TF1-style graph draws op seeds from the graph's op count
instead (TF issue #9171): only a new graph or a fresh process replays it.
"""

from __future__ import annotations

from typing import Any

from seedbridge import _context
from seedbridge.derive import check_seed_for
from seedbridge.manifest import Manifest

__all__ = ["NAME", "apply", "available", "get_state", "set_seed", "set_state", "snippet", "version"]

NAME = "tensorflow"

# Keras keeps its global SeedGenerator and seed in global_state under these names (keras/src/random,
# keras/src/utils/rng_utils.py); not public API, so every access is guarded.
_KERAS_GENERATOR = "global_seed_generator"
_KERAS_SEED = "global_random_seed"


def available() -> bool:
    return _context.installed(NAME)


def _tf() -> Any:
    _context.require(NAME)
    import tensorflow as tf

    return tf


def _keras() -> Any:
    try:
        import keras
    except ImportError:
        return None
    return keras


def version() -> str:
    return str(_tf().__version__)


def apply(seed: int, *, profile: str = "seeded") -> dict[str, Any]:
    """Seed TensorFlow and Keras (which also seeds ``random`` and NumPy's legacy state); with a deterministic
    or strict profile also ``tf.config.experimental.enable_op_determinism()`` (never turned off again)."""
    tf = _tf()
    check_seed_for(NAME, seed)
    keras = _keras()
    flags: dict[str, Any] = {}
    if keras is not None:
        keras.utils.set_random_seed(seed)
        flags["keras.utils.set_random_seed"] = seed
        flags["also_seeded"] = ["random", "numpy", "tf.random.set_seed"]
    else:  # TensorFlow without Keras: the same three calls by hand.
        import random

        import numpy as np

        random.seed(seed)
        np.random.seed(seed)
        tf.random.set_seed(seed)
        flags["tf.random.set_seed"] = seed
        flags["also_seeded"] = ["random", "numpy"]
    if profile != "seeded":
        # TF has no warn-only mode: with op determinism on, a nondeterministic op raises (TF 2.9+).
        tf.config.experimental.enable_op_determinism()
        flags["tf.config.experimental.enable_op_determinism"] = True
    return flags


def set_seed(job: str | None = None, *, manifest: _context.ManifestLike = None, deterministic: bool = False,
             **keys: object) -> dict[str, Any]:
    """Seed TensorFlow/Keras with the job's main seed; returns ``{"seed": ..., **flags}``."""
    return _context.set_seed(NAME, apply, job, manifest, keys, deterministic=deterministic)


def _eager_context() -> Any:
    from tensorflow.python.eager import context

    return context.context()


def _keras_global_state() -> Any:
    try:
        from keras.src.backend.common import global_state
    except ImportError:
        return None
    return global_state


def get_state() -> dict[str, Any]:
    """The global seed, the op-seed counter's state and Keras's global SeedGenerator state.

    Not captured: the internal state of a stateful random op given its own op seed (``seed=3``) and the
    global ``tf.random.Generator``; restoring clears TensorFlow's kernel cache, which restarts those ops."""
    _tf()
    ctx = _eager_context()
    rng = getattr(ctx, "_rng", None)
    state: dict[str, Any] = {
        "global_seed": ctx._seed,
        "op_seed_rng": rng.getstate() if rng is not None else None,
        "keras_seed": None,
        "keras_generator": None,
    }
    gs = _keras_global_state()
    if gs is not None:
        state["keras_seed"] = gs.get_global_attribute(_KERAS_SEED)
        gen = gs.get_global_attribute(_KERAS_GENERATOR)
        if gen is not None:
            state["keras_generator"] = gen.state.numpy()
    return state


def set_state(state: dict[str, Any]) -> None:
    tf = _tf()
    ctx = _eager_context()
    if state["global_seed"] is None:
        tf.random.set_seed(None)
    else:
        # Sets the seed, a fresh op-seed counter and clears the kernel cache; then rewind the counter.
        ctx._set_global_seed(state["global_seed"])
        if state["op_seed_rng"] is not None:
            ctx._rng.setstate(state["op_seed_rng"])
    gs = _keras_global_state()
    if gs is not None:
        gs.set_global_attribute(_KERAS_SEED, state["keras_seed"])
        if state["keras_generator"] is None:
            gs.set_global_attribute(_KERAS_GENERATOR, None)
        else:
            from keras.src.random import seed_generator

            gen = seed_generator.global_seed_generator()
            gen.state.assign(state["keras_generator"])


def snippet(manifest: Manifest, job: str, /, **keys: object) -> str:
    """Standalone TensorFlow 2 / Keras code that applies the job's seed and its profile's switch."""
    seed = _context.main_seed(manifest, job, keys, NAME)
    profile = manifest.job(job).profile
    text = (
        _context.header(manifest, job, keys, NAME)
        + "import keras\nimport tensorflow as tf\n\n"
        + f"keras.utils.set_random_seed({seed})  # also random.seed, np.random.seed and tf.random.set_seed\n"
    )
    if profile != "seeded":
        text += f"tf.config.experimental.enable_op_determinism()  # profile {profile}\n"
    return text
