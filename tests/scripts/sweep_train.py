"""A stand-in training script for sweep tests: its "accuracy" is a function of SEEDBRIDGE_SEED.

    python sweep_train.py [--shift X] [--fail I,J] [--no-metrics I,J] [--ignore-seed] [--require FILE]
                          [--kill-parent-once MARKER]

Writes history.json ({"val_accuracy": [...], "test": {"f1": ...}}), metrics.csv and where.txt (its folder)
into the current folder, which must not hold them yet (exit 1 otherwise). Replicates listed in --fail exit 3 after
writing to stderr; those in --no-metrics write no history.json. --require exits 4 when FILE is not there.
--kill-parent-once: replicate 1 kills its parent process (under Ray: the worker running the task) with
SIGKILL the first time, that is when MARKER does not exist yet.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--shift", type=float, default=0.0)
parser.add_argument("--fail", default="")
parser.add_argument("--no-metrics", default="")
parser.add_argument("--ignore-seed", action="store_true")
parser.add_argument("--require")
parser.add_argument("--kill-parent-once")
args = parser.parse_args()

OWN = ("history.json", "metrics.csv", "where.txt")
if any(os.path.exists(name) for name in OWN):
    sys.exit(f"folder not fresh: {sorted(os.listdir('.'))}")  # exit status 1 with this message
replicate = json.loads(os.environ.get("SEEDBRIDGE_KEYS", "{}")).get("replicate", "")
if args.require and not os.path.isfile(args.require):
    sys.exit(4)
if args.kill_parent_once and replicate == "1" and not os.path.exists(args.kill_parent_once):
    open(args.kill_parent_once, "w").close()
    os.kill(os.getppid(), signal.SIGKILL)
    # The killed worker cannot remove its task folder (the parent of this one): do it here.
    import shutil

    shutil.rmtree(os.path.dirname(os.getcwd()), ignore_errors=True)
    sys.exit(5)
if replicate in args.fail.split(","):
    print(f"replicate {replicate}: simulated divergence", file=sys.stderr)
    sys.exit(3)
rng = random.Random(0 if args.ignore_seed else int(os.environ["SEEDBRIDGE_SEED"]))
accuracy = round(0.7 + args.shift + 0.1 * rng.random(), 6)
with open("where.txt", "w") as fh:
    fh.write(os.getcwd())
with open("metrics.csv", "w") as fh:
    fh.write(f"epoch,accuracy\n1,0.5\n2,{accuracy}\n")
if replicate not in args.no_metrics.split(","):
    with open("history.json", "w") as fh:
        json.dump({"val_accuracy": [0.5, accuracy], "test": {"f1": round(accuracy - 0.05, 6)}}, fh)
