"""Add the runs of a `seedbridge export` file to the ledger (a CI artifact brought home, say). Runs
already present are skipped; a run present with different content is kept as it is and reported,
and the exit status is then 1.

  seedbridge import ledger-export.json
  seedbridge import - < ledger-export.json
"""

from __future__ import annotations

import argparse
import sys

from seedbridge.cli._cmdline import add_ledger, ledger_from
from seedbridge.cli._common import add_manifest
from seedbridge.errors import LedgerError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="an export file, or - for stdin")
    add_ledger(parser)
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    from seedbridge._files import Refused, read_regular
    from seedbridge.ledger import Ledger, loads_export
    from seedbridge.ledger._export import MAX_EXPORT_BYTES

    if args.path == "-":
        data, source = sys.stdin.buffer.read(MAX_EXPORT_BYTES + 1), "<stdin>"
    else:
        try:
            data = read_regular(args.path, limit=MAX_EXPORT_BYTES)
        except Refused as exc:
            raise LedgerError(f"{args.path}: cannot read the export: {exc}") from None
        source = args.path
    records = loads_export(data, source=source)  # every run checked before anything is written
    with Ledger(ledger_from(args)) as book:
        result = book.import_records(records)
        where = book.path
    print(f"seedbridge: imported {len(result.added)} runs into {where} ({len(result.unchanged)} already there)",
          file=sys.stderr)
    for run_id in result.conflicts:
        print(f"seedbridge: conflict: run {run_id} is already in the ledger with other content; kept the ledger's",
              file=sys.stderr)
    return 1 if result.conflicts else 0
