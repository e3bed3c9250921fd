"""Work on whole ledgers. `seedbridge ledger copy SRC DST` copies every run of ledger SRC into ledger DST
(each a SQLite file or a postgresql:// URL, either way round): runs already in DST unchanged are
skipped; a run in DST with other content is left as it is and reported, and the exit status is then 1.
The copy is one transaction in DST: all or nothing.

  seedbridge ledger copy .seedbridge/ledger.sqlite postgresql://ci@db.example.org/seedbridge
  seedbridge ledger copy "$SEEDBRIDGE_LEDGER" backup.sqlite
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    copy = sub.add_parser("copy", help="copy every run from one ledger to another",
                          description="Copy every run of ledger SRC into ledger DST (SQLite file or postgresql:// URL).")
    copy.add_argument("source", metavar="SRC", help="the ledger to read: a SQLite file or a postgresql:// URL")
    copy.add_argument("target", metavar="DST", help="the ledger to add the runs to (created when new)")


def run(args: argparse.Namespace) -> int:
    from seedbridge.ledger import copy, shown

    result = copy(args.source, args.target)
    print(f"seedbridge: copied {len(result.added)} runs from {shown(args.source)} to {shown(args.target)} "
          f"({len(result.unchanged)} already there)", file=sys.stderr)
    for run_id in result.conflicts:
        print(f"seedbridge: conflict: run {run_id} is already in {shown(args.target)} with other content; kept it",
              file=sys.stderr)
    return 1 if result.conflicts else 0
