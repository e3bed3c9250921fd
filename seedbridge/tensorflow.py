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

``tf.random.set_seed`` leaves the global ``tf.random.Generator`` alone (it starts from OS entropy when first
used, ``stateful_random_ops.get_global_generator``), so ``apply`` seeds it too, with the same seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from seedbridge import _context
from seedbridge.derive import FRAMEWORK_SEED_MAX, check_seed_for
from seedbridge.errors import FrameworkError
from seedbridge.python import state_data, state_tuple

if TYPE_CHECKING:
    from seedbridge._manifest import Job, Manifest

__all__ = ["ALSO_SEEDS", "NAME", "SEED_MAX", "apply", "available", "get_model_state", "get_state", "set_model_state",
           "set_seed", "set_state", "snippet", "version"]

NAME = "tensorflow"
SEED_MAX = FRAMEWORK_SEED_MAX[NAME]
# keras.utils.set_random_seed also seeds random and NumPy: their state is part of a snapshot.
ALSO_SEEDS = ("python", "numpy")

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


def apply(seed: int, *, profile: str = "seeded", job: Job | None = None) -> dict[str, Any]:
    """Seed TensorFlow, its global ``tf.random.Generator`` and Keras (which also seeds ``random`` and NumPy's
    legacy state); with a deterministic or strict profile also ``tf.config.experimental.enable_op_determinism()``
    (never turned off again)."""
    tf = _tf()
    check_seed_for(NAME, seed)
    keras = _keras()
    # The global generator first: tf.random.set_seed (below) clears the kernel cache, and an op run right after
    # it pays for building its kernel again.
    _seed_global_generator(tf, seed)
    flags: dict[str, Any] = {"tf.random.Generator.from_seed": seed}
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


def _seed_global_generator(tf: Any, seed: int) -> None:
    from tensorflow.python.ops import stateful_random_ops

    current = stateful_random_ops.global_generator
    if current is None:
        tf.random.set_global_generator(tf.random.Generator.from_seed(seed))
    else:
        # Reset in place: a tf.function traced earlier keeps the generator object it captured (TF's
        # set_global_generator docstring). The state reset_from_seed(seed) would compute, without the seven TF
        # ops it takes for it (each recompiled after tf.random.set_seed clears the kernel cache, 20 ms a call):
        # _make_1d_state in stateful_random_ops.py chops the int into 64-bit words, low word first. A test
        # checks it against reset_from_seed.
        import numpy as np

        words = [(seed >> (64 * i)) & (2**64 - 1) for i in range(int(current.state.shape[0]))]
        current.reset(np.array([w - 2**64 if w >= 2**63 else w for w in words], dtype=np.int64))


def _eager_context() -> Any:
    from tensorflow.python.eager import context

    return context.context()


def _keras_global_state() -> Any:
    try:
        from keras.src.backend.common import global_state
    except ImportError:
        return None
    return global_state


def _int64(values: Any) -> bytes:
    import numpy as np

    return np.asarray(values, dtype="<i8").tobytes()


def get_state() -> dict[str, Any]:
    """As plain data: the global seed, the op-seed counter's state (a Python ``random`` state), Keras's seed and
    its global SeedGenerator's state, and the global ``tf.random.Generator``'s algorithm and state (int64 words
    as little-endian bytes).

    Not captured: the internal state of a stateful random op given its own op seed (``seed=3``) and of
    ``tf.random.Generator`` objects you create; restoring clears TensorFlow's kernel cache, which restarts
    those ops."""
    _tf()
    from tensorflow.python.ops import stateful_random_ops

    ctx = _eager_context()
    rng = getattr(ctx, "_rng", None)
    state: dict[str, Any] = {
        "global_seed": ctx._seed,
        "op_seed_rng": None if rng is None else state_data(rng.getstate()),
        "keras_seed": None,
        "keras_generator": None,
        "global_generator": None,
    }
    gs = _keras_global_state()
    if gs is not None:
        state["keras_seed"] = gs.get_global_attribute(_KERAS_SEED)
        gen = gs.get_global_attribute(_KERAS_GENERATOR)
        if gen is not None:
            state["keras_generator"] = _int64(gen.state.numpy())
    glob = stateful_random_ops.global_generator
    if glob is not None:
        state["global_generator"] = {"algorithm": int(glob.algorithm), "state": _int64(glob.state.numpy())}
    return state


# tf.random.Algorithm value (PHILOX 1, THREEFRY 2, AUTO_SELECT 3) -> int64 words of a generator's state
# (_get_state_size in tensorflow/python/ops/stateful_random_ops.py; AUTO_SELECT is managed as Philox). An
# unknown algorithm reaches TensorFlow's own error path there, which fails with an AttributeError (TF 2.21).
_STATE_WORDS = {1: 3, 2: 2, 3: 3}


def _check(state: Mapping[str, Any]) -> None:
    def seed_or_none(value: object) -> bool:
        return value is None or (type(value) is int and 0 <= value < 2**64)

    if not isinstance(state, Mapping) or set(state) != {"global_seed", "op_seed_rng", "keras_seed",
                                                        "keras_generator", "global_generator"}:
        raise ValueError("keys must be global_seed, op_seed_rng, keras_seed, keras_generator, global_generator")
    if not seed_or_none(state["global_seed"]) or not seed_or_none(state["keras_seed"]):
        raise ValueError("global_seed and keras_seed must be integers or None")
    gen = state["keras_generator"]
    if gen is not None and (not isinstance(gen, bytes) or len(gen) != 16):
        raise ValueError("keras_generator must be 16 bytes")
    glob = state["global_generator"]
    if glob is not None and (not isinstance(glob, Mapping) or type(glob.get("algorithm")) is not int
                             or not isinstance(glob.get("state"), bytes)
                             or 8 * _STATE_WORDS.get(glob["algorithm"], -1) != len(glob["state"])):
        raise ValueError("global_generator must hold an algorithm (1 Philox, 2 ThreeFry, 3 auto-select) and its "
                         "int64 state words (3, 2, 3)")


def set_state(state: Mapping[str, Any]) -> None:
    """Put back ``get_state()``'s result; a malformed state is a FrameworkError and changes nothing."""
    tf = _tf()
    import numpy as np
    from tensorflow.python.ops import stateful_random_ops

    try:
        _check(state)
    except (TypeError, ValueError, KeyError) as exc:
        raise FrameworkError(f"tensorflow state: must be what seedbridge.tensorflow.get_state() returned "
                             f"({exc})") from None
    rng = state["op_seed_rng"]
    op_seed_rng = None if rng is None else state_tuple(rng, "tensorflow state op_seed_rng")
    ctx = _eager_context()
    if state["global_seed"] is None:
        tf.random.set_seed(None)
    else:
        # Sets the seed, a fresh op-seed counter and clears the kernel cache; then rewind the counter.
        ctx._set_global_seed(state["global_seed"])
        if op_seed_rng is not None:
            ctx._rng.setstate(op_seed_rng)
    gs = _keras_global_state()
    if gs is not None:
        gs.set_global_attribute(_KERAS_SEED, state["keras_seed"])
        if state["keras_generator"] is None:
            gs.set_global_attribute(_KERAS_GENERATOR, None)
        else:
            from keras.src.random import seed_generator

            gen = seed_generator.global_seed_generator()
            gen.state.assign(np.frombuffer(state["keras_generator"], dtype="<i8").astype(gen.state.dtype))
    glob = state["global_generator"]
    if glob is None:
        stateful_random_ops.global_generator = None
    else:
        words = np.frombuffer(glob["state"], dtype="<i8").astype(np.int64)
        current = stateful_random_ops.global_generator
        if current is not None and int(current.algorithm) == glob["algorithm"]:
            current.reset(words)
        else:
            tf.random.set_global_generator(tf.random.Generator.from_state(words, glob["algorithm"]))


# A keras.random.SeedGenerator keeps its state in a variable of this name (keras/src/random/seed_generator.py).
_SEED_GENERATOR_STATE = "seed_generator_state"


def _seed_generator_variables(model: Any) -> list[Any]:
    return [v for v in model.variables if v.name == _SEED_GENERATOR_STATE]


def get_model_state(model: Any) -> dict[str, Any]:
    """The state of every Keras ``SeedGenerator`` a model holds (Dropout, GaussianNoise, random augmentation
    layers), as JSON-ready data: ``{"paths": [...], "states": [[int, ...], ...]}``.

    ``model.save`` and ``tf.train.Checkpoint`` leave these states out (Keras 3; a test pins it), so a model
    loaded from a checkpoint draws its dropout masks from fresh generators. Save this next to the checkpoint
    and give it to ``set_model_state`` after loading (docs/checkpoints.md)."""
    found = _seed_generator_variables(model)
    return {"paths": [str(v.path) for v in found], "states": [[int(x) for x in v.numpy().tolist()] for v in found]}


def set_model_state(model: Any, state: Mapping[str, Any]) -> None:
    """Put back ``get_model_state(model)``'s result into a model of the same architecture, generator by generator
    in the order of ``model.variables`` (the paths are for people: Keras numbers generator names per process). A
    state that does not fit (another count or size) is a FrameworkError and changes nothing."""
    import numpy as np

    found = _seed_generator_variables(model)
    paths = [str(v.path) for v in found]
    try:
        states = [list(s) for s in state["states"]]
        ok = len(states) == len(found) and all(
            len(s) == next(iter(v.shape)) and all(type(x) is int for x in s) for s, v in zip(states, found, strict=True))
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise FrameworkError(f"tensorflow model state: must be get_model_state() of a model with the seed generators "
                             f"{paths}, got {dict(state) if isinstance(state, Mapping) else state!r:.200}")
    for variable, values in zip(found, states, strict=True):
        variable.assign(np.asarray(values, dtype=variable.dtype))


def snippet(manifest: Manifest, job: str, /, **keys: object) -> str:
    """Standalone TensorFlow 2 / Keras code that applies the job's seed and its profile's switch."""
    seed = _context.main_seed(manifest, job, keys, NAME)
    profile = manifest.job(job).profile
    text = (
        _context.header(manifest, job, keys, NAME)
        + "import keras\nimport tensorflow as tf\n\n"
        + f"keras.utils.set_random_seed({seed})  # also random.seed, np.random.seed and tf.random.set_seed\n"
        + f"tf.random.set_global_generator(tf.random.Generator.from_seed({seed}))  # tf.random.get_global_generator()\n"
    )
    if profile != "seeded":
        text += f"tf.config.experimental.enable_op_determinism()  # profile {profile}\n"
    return text
