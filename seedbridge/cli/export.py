"""Write the ledger, or some of its runs, as JSON: for a CI artifact, or to carry runs to another ledger
with `seedbridge import`. The format is in docs/ledger.md.

  seedbridge export -o ledger-export.json
  seedbridge export 20251126T080102123Z-9f3a1c2e7b > run.json
"""

from __future__ import annotations

import argparse
import sys

from seedbridge.cli._cmdline import add_ledger, ledger_from
from seedbridge.cli._common import add_manifest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", nargs="*", metavar="RUN_ID", help="only these runs (default: all)")
    parser.add_argument("--job", "-j", metavar="JOB", help="only runs of JOB")
    parser.add_argument("--output", "-o", metavar="PATH", help="write to PATH (atomically) instead of stdout")
    add_ledger(parser)
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    from seedbridge._atomic import atomic_write_text
    from seedbridge.ledger import dumps_export, read_run, read_runs

    path = ledger_from(args)
    if args.run_id:
        runs = [read_run(path, rid) for rid in args.run_id]
        if args.job:
            runs = [r for r in runs if r.job == args.job]
    else:
        runs = read_runs(path, job=args.job)
    text = dumps_export(runs)
    if args.output:
        atomic_write_text(args.output, text)
        print(f"seedbridge: exported {len(runs)} runs to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
