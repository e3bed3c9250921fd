"""The Keras resume recipe of docs/checkpoints.md: train, checkpoint, resume in a new process.

Usage: python resume_keras.py MANIFEST JOB OUT.json --epochs N [--resume PREFIX] [--save PREFIX]
                              [--no-model-state]
A Dense/Dropout/Dense model, SGD with momentum, the data order of epoch e from seedbridge.numpy.generator(job,
epoch=e). The checkpoint is PREFIX.keras (weights and optimizer), PREFIX.json (the epoch and the dropout layers'
seed generator states) and PREFIX.sbrng (seedbridge's RNG state). --no-model-state resumes without the seed
generator states (a control). OUT.json gets the SHA-256 of the final weights and this process's losses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

import seedbridge
import seedbridge.numpy as sbn
import seedbridge.tensorflow as sbtf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("job")
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--resume")
    parser.add_argument("--save")
    parser.add_argument("--no-model-state", action="store_true")
    args = parser.parse_args()

    seedbridge.seed_everything(args.job, manifest=args.manifest, frameworks=["python", "numpy", "tensorflow"])
    x = np.random.default_rng(0).random((64, 4)).astype("float32")
    y = (x.sum(axis=1) > 2).astype("float32")
    start = 0
    if args.resume:
        model = keras.models.load_model(args.resume + ".keras")
        with open(args.resume + ".json", encoding="utf-8") as f:
            side = json.load(f)
        start = side["epoch"]
        if not args.no_model_state:
            sbtf.set_model_state(model, side["model_state"])
        seedbridge.load_rng_state(args.resume + ".sbrng")
    else:
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dropout(0.3), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="binary_crossentropy")
    losses: list[float] = []
    for epoch in range(start, args.epochs):
        order = sbn.generator(args.job, manifest=args.manifest, epoch=epoch).permutation(len(x))
        history = model.fit(x[order], y[order], epochs=1, batch_size=8, shuffle=False, verbose=0)
        losses += history.history["loss"]
    if args.save:
        model.save(args.save + ".keras")
        with open(args.save + ".json", "w", encoding="utf-8") as f:
            json.dump({"epoch": args.epochs, "model_state": sbtf.get_model_state(model)}, f)
        seedbridge.save_rng_state(args.save + ".sbrng")
    weights = b"".join(np.asarray(w).tobytes() for w in model.get_weights())
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"weights": hashlib.sha256(weights).hexdigest(), "losses": losses}, f)


if __name__ == "__main__":
    main()
