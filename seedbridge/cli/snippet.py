"""Print code that applies JOB's seed in a target framework, for places that cannot import seedbridge.

  seedbridge snippet train --target torch
  seedbridge snippet analysis --target r --key fold=2
"""

from __future__ import annotations

import argparse
import importlib
import sys

from seedbridge.cli._common import add_keys, add_manifest, keys_from, manifest_from

# target -> module whose snippet(manifest, job, **keys) returns the code.
TARGETS = {
    "python": "seedbridge.python",
    "numpy": "seedbridge.numpy",
    "torch": "seedbridge.torch",
    "tensorflow": "seedbridge.tensorflow",
    "r": "seedbridge.r",
    "pycaffe": "seedbridge.caffe",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", help="a job declared in the manifest")
    parser.add_argument("--target", "-t", required=True, choices=list(TARGETS), help="the language or framework")
    add_keys(parser)
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    manifest = manifest_from(args)
    module = importlib.import_module(TARGETS[args.target])
    sys.stdout.write(module.snippet(manifest, args.job, **keys_from(args)))
    return 0
