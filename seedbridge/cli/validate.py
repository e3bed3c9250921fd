"""Check a manifest: exit 0 when valid, else list every problem (file:line field: rule) and exit 2.

A valid manifest may still name a framework that no registered target provides (a typo, or a target package
that is not installed here): each such entry is a warning on stderr, and the exit status stays 0."""

from __future__ import annotations

import argparse
import sys

from seedbridge._text import printable
from seedbridge.cli._common import add_manifest, manifest_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_manifest(parser)
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing when the manifest is valid")


def run(args: argparse.Namespace) -> int:
    from seedbridge.targets import unregistered

    manifest = manifest_from(args)
    for warning in unregistered(manifest):
        print(f"seedbridge: warning: {warning}", file=sys.stderr)
    if not args.quiet:
        n = len(manifest.jobs)
        print(f"{printable(str(manifest.path))}: valid (schema {manifest.schema}, derivation {manifest.derivation}, "
              f"{n} job{'s' if n != 1 else ''})", file=sys.stdout)
    return 0
