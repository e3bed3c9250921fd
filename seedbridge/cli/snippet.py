"""Print code that applies JOB's seed in a target framework, for places that cannot import seedbridge.

  seedbridge snippet train --target torch
  seedbridge snippet analysis --target r --key fold=2
"""

from __future__ import annotations

import argparse
import sys

from seedbridge.cli._common import add_keys, add_manifest, keys_from, manifest_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", help="a job declared in the manifest")
    # Any registered target (seedbridge.targets: built-in or installed), checked in run() so that installed
    # ones are found without scanning entry points for every other command.
    parser.add_argument("--target", "-t", required=True, metavar="TARGET",
                        help="a registered target: python, numpy, torch, tensorflow, jax, r, caffe (or pycaffe), "
                             "or one an installed package adds")
    add_keys(parser)
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    from seedbridge import targets

    manifest = manifest_from(args)
    target = targets.get(targets.SNIPPET_ALIASES.get(args.target, args.target), what="--target")
    sys.stdout.write(target.snippet(manifest, args.job, **keys_from(args)))
    return 0
