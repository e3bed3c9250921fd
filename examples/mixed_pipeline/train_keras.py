"""Step 2a, training with TensorFlow/Keras: the seed document's model, written for TensorFlow 2.

    seedbridge run train_keras -- python train_keras.py SPLITS_NPZ OUT_DIR

The job and its keys come from the environment seedbridge sets (run, verify, sweep), so each replicate of
`seedbridge sweep train_keras` trains with its own seed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off the log

import numpy as np

import seedbridge


def main(splits: Path, out: Path) -> None:
    print(seedbridge.seed_everything())  # job and keys from the environment; random, NumPy, TF, Keras; op determinism
    import keras

    data = np.load(splits)
    model = keras.Sequential([
        keras.Input(shape=(data["x_train"].shape[1],)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(data["x_train"], data["y_train"], epochs=10, batch_size=32,
                        validation_data=(data["x_val"], data["y_val"]), verbose=2)
    predictions = model.predict(data["x_val"], verbose=0).argmax(axis=1)
    correct = (predictions == data["y_val"].argmax(axis=1)).astype(int)

    out.mkdir(parents=True, exist_ok=True)
    curves = {k: [float(v) for v in values] for k, values in history.history.items()}
    (out / "keras_history.json").write_text(json.dumps(curves, indent=1) + "\n")
    np.savez(out / "keras_weights.npz", *model.get_weights())
    np.savetxt(out / "keras_val_correct.csv", correct, fmt="%d", header="correct", comments="")
    print(f"keras validation accuracy {correct.mean():.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
