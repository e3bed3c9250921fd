"""The tensorflow target: TF and Keras seeds, in-process reseeding, op determinism, the seed document's example."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_script

import seedbridge
from seedbridge.errors import SeedRangeError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")
sbtf = pytest.importorskip("seedbridge.tensorflow")

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def manifest(tmp_path: Path) -> seedbridge.Manifest:
    m = seedbridge.Manifest.new(["train", "eval", seedbridge.Job("det", profile="deterministic")], root=0x2A)
    m.save(tmp_path / "seedbridge.yaml")
    return seedbridge.load(tmp_path / "seedbridge.yaml")


@pytest.fixture
def restore_op_determinism() -> Iterator[None]:
    # Only enable_op_determinism is public; its partners live beside it (tensorflow/python/framework/config.py).
    from tensorflow.python.framework import config

    before = config.is_op_determinism_enabled()
    yield
    if not before:
        config.disable_op_determinism()


def _draws() -> list[float]:
    """Numbers from every RNG a Keras program meets: TF ops, Keras's global generator, random, NumPy."""
    return [
        *tf.random.uniform((2,)).numpy().tolist(),
        *tf.random.normal((2,)).numpy().tolist(),
        *np.asarray(keras.random.normal((2,))).tolist(),
        random.random(),
        float(np.random.rand()),
    ]


def test_reseeding_in_process_replays_every_stream(manifest: seedbridge.Manifest) -> None:
    """TF #9171 / the seed document: with seedbridge an in-process rerun reproduces, no fresh runtime needed."""
    result = sbtf.set_seed("train", manifest=manifest)
    assert result["seed"] == manifest.seed("train")
    assert result["keras.utils.set_random_seed"] == manifest.seed("train")
    first = _draws() + _draws()
    sbtf.set_seed("train", manifest=manifest)
    assert _draws() + _draws() == first
    sbtf.set_seed("eval", manifest=manifest)
    assert _draws() != first[: len(_draws())]


def _small_model_fit() -> tuple[list[np.ndarray], list[float]]:
    x = np.random.rand(64, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("float32")
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=16, shuffle=True, verbose=0)
    return model.get_weights(), history.history["loss"]


def test_keras_training_reruns_in_process(manifest: seedbridge.Manifest) -> None:
    sbtf.set_seed("train", manifest=manifest)
    w1, l1 = _small_model_fit()
    sbtf.set_seed("train", manifest=manifest)
    w2, l2 = _small_model_fit()
    assert l1 == l2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2, strict=True))


@pytest.mark.usefixtures("restore_op_determinism")
def test_deterministic_profile_enables_op_determinism(manifest: seedbridge.Manifest) -> None:
    flags = sbtf.set_seed("det", manifest=manifest)
    assert flags["tf.config.experimental.enable_op_determinism"] is True
    from tensorflow.python.framework import config

    assert config.is_op_determinism_enabled()


def test_seed_beyond_32_bits_is_refused() -> None:
    with pytest.raises(SeedRangeError, match=r"must be an integer in 0\.\.4294967295 for tensorflow, got 4294967296"):
        sbtf.apply(2**32)


def test_state_round_trip(manifest: seedbridge.Manifest) -> None:
    sbtf.set_seed("train", manifest=manifest)
    _draws()
    state = sbtf.get_state()
    py, npy = random.getstate(), np.random.get_state()
    a = _draws()
    sbtf.set_state(state)
    random.setstate(py)
    np.random.set_state(npy)
    assert _draws() == a


def test_the_global_generator_is_seeded_and_its_state_kept(manifest: seedbridge.Manifest) -> None:
    sbtf.set_seed("train", manifest=manifest)
    first = tf.random.get_global_generator().normal((3,)).numpy().tolist()
    sbtf.set_seed("train", manifest=manifest)
    assert tf.random.get_global_generator().normal((3,)).numpy().tolist() == first
    state = sbtf.get_state()
    assert state["global_generator"]["algorithm"] == 1  # Philox
    later = tf.random.get_global_generator().normal((3,)).numpy().tolist()
    sbtf.set_state(state)
    assert tf.random.get_global_generator().normal((3,)).numpy().tolist() == later
    with pytest.raises(seedbridge.FrameworkError, match="tensorflow state: must be what"):
        sbtf.set_state({**state, "keras_generator": b"short"})
    # An unknown algorithm or a state of another size (TF failed on them with AttributeError and ValueError,
    # after the global seed had changed; a ThreeFry state was taken and failed at the next draw on the CPU).
    state = sbtf.get_state()
    for algorithm, words in ((0, 3), (99, 3), (-1, 2), (1, 2), (1, 4), (2, 3), (3, 1)):
        with pytest.raises(seedbridge.FrameworkError, match=r"global_generator must hold an algorithm \(1 Philox"):
            sbtf.set_state({**state, "global_seed": 5, "global_generator": {"algorithm": algorithm,
                                                                          "state": b"\x01" * 8 * words}})
    assert sbtf.get_state() == state
    # The reset seedbridge does by hand is TF's reset_from_seed.
    g = tf.random.get_global_generator()
    for seed in (0, 7, 2**32 - 1):
        sbtf.apply(seed)
        ours = g.state.numpy().tolist()
        g.reset_from_seed(seed)
        assert g.state.numpy().tolist() == ours


def _dropout_model() -> object:
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(4), keras.layers.Dropout(0.5),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 4)), np.ones((8, 1)), epochs=2, verbose=0)
    return model


def test_keras_checkpoints_leave_out_dropout_streams_and_model_state_has_them(
        manifest: seedbridge.Manifest, tmp_path: Path) -> None:
    """Pins docs/checkpoints.md: model.save does not keep a Dropout layer's SeedGenerator state, so a loaded
    model draws other masks unless get_model_state / set_model_state carry it over."""
    sbtf.set_seed("train", manifest=manifest)
    model = _dropout_model()
    state = sbtf.get_model_state(model)  # type: ignore[arg-type]
    assert len(state["paths"]) == 1 and state["states"][0][1] > 0  # the counter moved during fit
    model.save(tmp_path / "m.keras")  # type: ignore[attr-defined]
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert sbtf.get_model_state(loaded)["states"] != state["states"]
    sbtf.set_model_state(loaded, state)
    assert sbtf.get_model_state(loaded)["states"] == state["states"]
    with pytest.raises(seedbridge.FrameworkError, match="tensorflow model state: must be get_model_state"):
        sbtf.set_model_state(loaded, {"paths": ["a", "b"], "states": [[1, 2], [3, 4]]})


def _resume(manifest: str, out: Path, *args: str) -> dict[str, object]:
    return run_script("resume_keras.py", manifest, "train", str(out), *args, out=out)


@pytest.mark.slow
def test_resumed_keras_run_equals_the_uninterrupted_one(manifest: seedbridge.Manifest, tmp_path: Path) -> None:
    """4 epochs straight == 2, checkpoint, 2 more in a new process, bitwise; without the dropout layers' seed
    generator states (what model.save leaves out) it differs."""
    m = str(manifest.path)
    straight = _resume(m, tmp_path / "s.json", "--epochs", "4")
    first = _resume(m, tmp_path / "a.json", "--epochs", "2", "--save", str(tmp_path / "ck"))
    second = _resume(m, tmp_path / "b.json", "--epochs", "4", "--resume", str(tmp_path / "ck"))
    assert second["weights"] == straight["weights"]
    assert first["losses"] + second["losses"] == straight["losses"]  # type: ignore[operator]
    control = _resume(m, tmp_path / "c.json", "--epochs", "4", "--resume", str(tmp_path / "ck"), "--no-model-state")
    assert control["weights"] != straight["weights"]


def test_snippet_applies_the_same_seed(manifest: seedbridge.Manifest) -> None:
    code = sbtf.snippet(manifest, "det")
    assert f"keras.utils.set_random_seed({manifest.seed('det')})" in code
    assert "tf.config.experimental.enable_op_determinism()  # profile deterministic" in code
    plain = sbtf.snippet(manifest, "train")
    assert "enable_op_determinism" not in plain
    exec(compile(plain, "<snippet>", "exec"), {})
    a = _draws()
    sbtf.set_seed("train", manifest=manifest)
    assert _draws() == a


@pytest.mark.slow
def test_seed_document_keras_example_reruns_bitwise_in_fresh_processes(manifest: seedbridge.Manifest) -> None:
    """The document's example (Dense 64/64/10, Adam, 10 epochs, batch 32) in two subprocesses, each running
    it twice: final weights and loss histories agree across all four runs."""
    assert manifest.path is not None
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, str(SCRIPTS / "keras_example.py"), manifest.path, "train"],
                              capture_output=True, text=True, timeout=600, check=True)
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        runs += [out["first"], out["second"]]
    assert all(run == runs[0] for run in runs[1:])
    assert len(runs[0]["loss"]) == len(runs[0]["val_loss"]) == 10
