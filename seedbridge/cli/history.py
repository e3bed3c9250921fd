"""List recorded runs, oldest first: id, job, seed, status, exit code, start, duration and command.

  seedbridge history
  seedbridge history --job train --format json
"""

from __future__ import annotations

import argparse
import json
import shlex

from seedbridge._text import printable
from seedbridge.cli._cmdline import add_ledger, ledger_from
from seedbridge.cli._common import add_manifest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--job", "-j", metavar="JOB", help="only runs of JOB")
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table",
                        help="table (default) or json: a list of run objects")
    parser.add_argument("--last", "-n", type=_positive, metavar="N", help="only the N most recent runs (N >= 1)")
    add_ledger(parser)
    add_manifest(parser)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _duration(start: str, end: str | None) -> str:
    if end is None:
        return "-"
    import datetime

    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    try:
        seconds = (datetime.datetime.strptime(end, fmt) - datetime.datetime.strptime(start, fmt)).total_seconds()
    except ValueError:
        return "?"
    return f"{seconds:.1f}s"


def run(args: argparse.Namespace) -> int:
    from seedbridge.ledger import read_runs

    runs = read_runs(ledger_from(args), job=args.job)
    if args.last is not None:
        runs = runs[-args.last:]
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in runs], ensure_ascii=False, indent=2))
        return 0
    if not runs:
        print("no runs recorded" + (f" for job {printable(args.job)!r}" if args.job else "") + "; record one with "
              "`seedbridge run JOB -- CMD`")
        return 0
    rows = [("RUN ID", "JOB", "SEED", "STATUS", "EXIT", "STARTED (UTC)", "TIME", "NOTE", "COMMAND")]
    for r in runs:
        note = ", ".join(n for n in (
            f"rerun of {r.rerun_of}" if r.rerun_of else "",
            f"duplicate of {r.duplicate_of}" if r.duplicate_of and not r.deliberate else "",
            "dirty tree" if r.git_dirty else "") if n) or "-"
        command = shlex.join(r.command)
        rows.append((r.run_id, r.job, str(r.seed), r.status, "-" if r.exit_code is None else str(r.exit_code),
                     r.started_at[:19].replace("T", " "), _duration(r.started_at, r.ended_at), note,
                     command if len(command) <= 60 else command[:57] + "..."))
    cells = [[printable(cell) for cell in row] for row in rows]  # an ESC or newline must not reach the terminal
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    for row in cells:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
    return 0
