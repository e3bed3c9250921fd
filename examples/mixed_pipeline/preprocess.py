"""Step 1, preprocessing (NumPy): make a data set and split it into train, validation and test sets.

The split uses a seeded shuffle from the manifest's `preprocess` job, as the seed document's
practice has it: preprocessing is its own job with its own recorded seed.

    python preprocess.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import seedbridge


def main(out: Path) -> None:
    report = seedbridge.seed_everything("preprocess")
    print(report)
    rng = seedbridge.numpy.generator("preprocess")  # a Generator from the wide (128-bit) derivation

    # A learnable task: 10 classes from a hidden linear teacher with label noise.
    n, features, classes = 2000, 32, 10
    x = rng.normal(size=(n, features)).astype(np.float32)
    teacher = rng.normal(size=(features, classes))
    logits = x @ teacher + rng.gumbel(size=(n, classes))
    y = np.eye(classes, dtype=np.float32)[logits.argmax(axis=1)]

    order = rng.permutation(n)  # the seeded shuffle that decides which sample lands in which split
    train, val, test = order[:1400], order[1400:1700], order[1700:]
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "splits.npz", x_train=x[train], y_train=y[train], x_val=x[val], y_val=y[val],
             x_test=x[test], y_test=y[test])
    print(f"wrote {out / 'splits.npz'}: train {len(train)}, validation {len(val)}, test {len(test)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
