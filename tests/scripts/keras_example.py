"""The seed document's Keras example, written for TensorFlow 2 / Keras 3, seeded by seedbridge.

Usage: python keras_example.py MANIFEST JOB
Runs the example twice in this process (seed_everything before each) and prints both results as JSON:
final weights (SHA-256 of their bytes) and the loss histories.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

import seedbridge
import seedbridge.numpy


def run(manifest: str, job: str) -> dict[str, object]:
    report = seedbridge.seed_everything(job, manifest=manifest, frameworks=["python", "numpy", "tensorflow"])
    # PREPROCESSING STAGE: the document's np.random.seed(42) twice, as a keyed NumPy Generator each.
    data = seedbridge.numpy.generator(job, manifest=manifest, stage="data").random((2000, 32))
    labels = seedbridge.numpy.generator(job, manifest=manifest, stage="labels").random((2000, 10))
    training_data, validation_data = data[:1000], data[1000:]
    training_labels, validation_labels = labels[:1000], labels[1000:]
    # TRAINING STAGE
    model = keras.Sequential([
        keras.Input(shape=(32,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(training_data, training_labels, epochs=10, batch_size=32,
                        validation_data=(validation_data, validation_labels), verbose=0)
    weights = b"".join(np.asarray(w).tobytes() for w in model.get_weights())
    return {
        "seed": report.seed,
        "weights": hashlib.sha256(weights).hexdigest(),
        "loss": [float(v) for v in history.history["loss"]],
        "val_loss": [float(v) for v in history.history["val_loss"]],
    }


if __name__ == "__main__":
    print(json.dumps({"first": run(sys.argv[1], sys.argv[2]), "second": run(sys.argv[1], sys.argv[2])}))
