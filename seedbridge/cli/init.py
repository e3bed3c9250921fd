"""Write a new manifest. The root comes from --root, from a CI variable (--from-env VAR), or else from
128 bits of OS entropy. An existing manifest is kept unless --force.

  seedbridge init --job preprocess --job train
  seedbridge init --from-env CI_PIPELINE_SEED --job train     # a seed the CI chose
  seedbridge init --root 0x2a --job train                     # an explicit, reproducible root
"""

from __future__ import annotations

import argparse
import sys

from seedbridge.cli._common import add_manifest
from seedbridge.errors import DerivationError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--root", metavar="VALUE", help="root entropy, decimal or 0x-hex, up to 128 bits")
    source.add_argument("--from-env", metavar="VAR", help="read the root from environment variable VAR")
    parser.add_argument("--job", "-j", action="append", default=[], metavar="NAME", help="declare a job (repeatable)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing manifest")
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    from seedbridge._manifest import Manifest, default_path
    from seedbridge.derive import parse_int

    root = None
    if args.root is not None:
        try:
            root = parse_int(args.root)
        except DerivationError:
            raise DerivationError(f"--root: must be a decimal or 0x-hex integer, got {args.root!r}") from None
        if not 0 <= root < 2**128:
            raise DerivationError(f"--root: must be in 0..2**128-1, got {args.root}")
    seen = set()
    for name in args.job:
        if name in seen:
            raise DerivationError(f"--job: {name!r} given twice")
        seen.add(name)
    manifest = Manifest.new(args.job, root=root, from_env=args.from_env)
    path = manifest.save(args.manifest or default_path(), overwrite=args.force)
    print(f"wrote {path} (root from {manifest.root.source}"
          + (f" ${manifest.root.env}" if manifest.root.env else "") + f", {len(manifest.jobs)} jobs)",
          file=sys.stderr)
    return 0
