"""Run CMD as JOB: with the job's seeds, PYTHONHASHSEED, determinism variables and SEEDBRIDGE_RUN_ID in
its environment; stdin, stdout, stderr and signals pass straight through, and seedbridge exits with
CMD's status. The run is recorded in the ledger (history, show-run, rerun). Stdout is CMD's alone;
seedbridge's own lines go to stderr.

  seedbridge run train --input data/train.csv --param lr=0.01 --output model.npy -- python train.py
  seedbridge run train --key rank=1 -- python train.py
  seedbridge run train --rerun -- python train.py     # a deliberate repeat: not flagged as a duplicate
"""

from __future__ import annotations

import argparse
import sys

from seedbridge._text import printable
from seedbridge.cli._cmdline import add_command, add_ledger, ledger_from
from seedbridge.cli._common import add_keys, add_manifest, keys_from, manifest_from, parse_assignments
from seedbridge.ledger import RunRecord


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", help="a job declared in the manifest")
    add_keys(parser)
    parser.add_argument("--input", "-i", action="append", default=[], metavar="PATH",
                        help="a file CMD reads; its SHA-256 is recorded (repeatable)")
    parser.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter to record, such as lr=0.01 (repeatable)")
    parser.add_argument("--output", "-o", action="append", default=[], metavar="PATH",
                        help="a file CMD writes; its SHA-256 is recorded after CMD ends (repeatable)")
    parser.add_argument("--rerun", action="store_true",
                        help="this repeats an earlier run on purpose (a reproducibility check)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no start and end lines on stderr")
    add_ledger(parser)
    add_manifest(parser)
    add_command(parser, "seedbridge run train -- python train.py")


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(f"seedbridge: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from seedbridge import runner

    manifest = manifest_from(args)

    def started(record: RunRecord, ledger: str) -> None:
        _say(args, f"run {record.run_id}: job {printable(record.job)}, seed {record.seed} (ledger {printable(ledger)})")

    result = runner.run(manifest, args.job, args.command, keys=keys_from(args), inputs=args.input,
                        outputs=args.output, params=parse_assignments(args.param, flag="--param", example="lr=0.01"),
                        deliberate=args.rerun, ledger_path=ledger_from(args), on_start=started)
    if result.error is not None:
        print(f"seedbridge: error: {result.error}", file=sys.stderr)
    how = f"killed by signal {result.signal}" if result.signal else f"exit {result.exit_code}"
    _say(args, f"run {result.record.run_id} {result.record.status} ({how})")
    if result.record_error is not None:  # said even with --quiet: the audit trail has a gap
        print(f"seedbridge: error: {result.record_error}", file=sys.stderr, flush=True)
    return runner.exit_status(result)
