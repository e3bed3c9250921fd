"""Step 4, training with Caffe: the real `caffe` tool trains an MLP on the preprocess step's data.

The LeNet-style solver template gets the caffe_train job's seed from `seedbridge.caffe` (one added line),
the splits become HDF5 files for Caffe's HDF5Data layer, and `caffe train` runs in OUT_DIR. Its log's loss
lines and the final snapshot are the step's outputs, so `seedbridge verify` compares the numbers Caffe made.

    python train_caffe.py SPLITS_NPZ OUT_DIR

Writes to OUT_DIR: caffe_history.json (training loss every 50 iterations, validation accuracy every 100),
caffe_iter_560.caffemodel (the trained weights), and the seeded solver, the net, the HDF5 files and
caffe_train.log (the whole log) beside them. Finds `caffe` through $SEEDBRIDGE_CAFFE or PATH (`make caffe`
links it into .venv/bin).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

from seedbridge import caffe

HERE = Path(__file__).resolve().parent
LOSS = re.compile(r"\] Iteration (\d+)\b[^\n]*, loss = (\S+)$", re.M)
ACCURACY = re.compile(r"\] Iteration (\d+), Testing net .*?Test net output #0: accuracy = (\S+)$", re.M | re.S)


def write_hdf5(out: Path, name: str, x: np.ndarray, y: np.ndarray) -> None:
    """x as "data", the class index as "label" (HDF5Data reads float blobs), and the one-line list file."""
    with h5py.File(out / f"{name}.h5", "w") as f:
        f.create_dataset("data", data=x.astype(np.float32))
        f.create_dataset("label", data=y.argmax(axis=1).astype(np.float32))
    (out / f"{name}_h5.txt").write_text(f"{name}.h5\n")


def main(splits: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = np.load(splits)
    write_hdf5(out, "train", data["x_train"], data["y_train"])
    write_hdf5(out, "val", data["x_val"], data["y_val"])
    shutil.copyfile(HERE / "caffe_net.prototxt", out / "caffe_net.prototxt")
    seeded = caffe.seed_file(HERE / "lenet_solver.template.prototxt", job="caffe_train",
                             out=out / "lenet_solver.prototxt")
    print(f"caffe_train: random_seed {seeded.seed} written to {seeded.target}")

    binary = shutil.which(os.environ.get("SEEDBRIDGE_CAFFE") or "caffe")
    if binary is None:
        sys.exit("train_caffe: no caffe binary on PATH; `make caffe` builds one (docs/frameworks/caffe.md)")
    # GLOG_logtostderr: Caffe's log goes to stderr only, not also into files under /tmp.
    proc = subprocess.run([binary, "train", "-solver", "lenet_solver.prototxt"], cwd=out, capture_output=True,
                          text=True, env={**os.environ, "GLOG_logtostderr": "1"}, check=False)
    (out / "caffe_train.log").write_text(proc.stderr)
    if proc.returncode != 0:
        sys.exit(f"train_caffe: caffe train failed with exit status {proc.returncode}; see {out / 'caffe_train.log'}")

    losses = [(int(i), float(v)) for i, v in LOSS.findall(proc.stderr)]
    accuracy = [(int(i), float(v)) for i, v in ACCURACY.findall(proc.stderr)]
    history = {"iteration": [i for i, _ in losses], "loss": [v for _, v in losses],
               "val_iteration": [i for i, _ in accuracy], "val_accuracy": [v for _, v in accuracy]}
    (out / "caffe_history.json").write_text(json.dumps(history, indent=1) + "\n")
    print(f"caffe: final loss {history['loss'][-1]:.4f}, val_accuracy {history['val_accuracy'][-1]:.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
