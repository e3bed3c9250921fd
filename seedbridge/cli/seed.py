"""Print the seed of JOB (with optional keys), and nothing else.

  seedbridge seed train
  seedbridge seed train --key rank=3 --bits 64
"""

from __future__ import annotations

import argparse

from seedbridge.cli._common import add_bits, add_keys, add_manifest, keys_from, manifest_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", help="a job declared in the manifest")
    add_keys(parser)
    add_bits(parser)
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    manifest = manifest_from(args)
    print(manifest.seed_for(args.job, keys_from(args), bits=args.bits))
    return 0
