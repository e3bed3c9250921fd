"""Replay a recorded run: the same command in the same folder, with the same job, keys, parameters and
seeds (re-derived from the manifest, which must be the one the run used), then compare every recorded
output's SHA-256, file by file. The replay is recorded as a new run that links to the old one.

Exit status: 0 when every recorded output reproduced, 1 when any did not (or none was recorded),
2 when the rerun could not be set up (unknown run, changed manifest).

  seedbridge rerun 20251126T080102123Z-9f3a1c2e7b
  seedbridge rerun 20251126T0801 -m artifacts/seedbridge.yaml --ledger artifacts/ledger.sqlite
"""

from __future__ import annotations

import argparse
import json
import sys

from seedbridge.cli._cmdline import add_ledger, ledger_from
from seedbridge.cli._common import add_manifest
from seedbridge.ledger import RunRecord


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID", help="the run to replay (a unique prefix will do)")
    parser.add_argument("--allow-manifest-change", action="store_true",
                        help="rerun even though the manifest differs from the one the run used")
    parser.add_argument("--cwd", metavar="DIR", help="run in DIR instead of the recorded folder")
    parser.add_argument("--report", metavar="PATH", help="also write the comparison as JSON to PATH")
    add_ledger(parser)
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    from seedbridge import runner
    from seedbridge._atomic import atomic_write_text
    from seedbridge.manifest import load

    def started(record: RunRecord, ledger: str) -> None:
        print(f"seedbridge: rerun of {record.rerun_of} as run {record.run_id}: job {record.job}, seed {record.seed}",
              file=sys.stderr, flush=True)

    manifest = load(args.manifest) if args.manifest else None
    result = runner.rerun(args.run_id, manifest=manifest, ledger_path=ledger_from(args),
                          allow_manifest_change=args.allow_manifest_change, cwd=args.cwd, on_start=started)
    if result.run.error is not None:
        print(f"seedbridge: error: {result.run.error}", file=sys.stderr)
    width = max((len(c.path) for c in result.checks), default=0)
    for check in result.checks:
        print(f"  {check.path:<{width}}  {check.detail}", file=sys.stderr)
    for note in result.notes:
        print(f"seedbridge: {note}", file=sys.stderr)
    same = sum(c.reproduced for c in result.checks)
    verdict = "reproduced" if result.reproduced else "not reproduced"
    print(f"seedbridge: {verdict}: {same} of {len(result.checks)} outputs match run {result.original.run_id}",
          file=sys.stderr)
    if args.report:
        atomic_write_text(args.report, json.dumps({
            "run_id": result.run.record.run_id, "rerun_of": result.original.run_id,
            "reproduced": result.reproduced, "exit_code": result.run.exit_code,
            "recorded_exit_code": result.original.exit_code, "notes": result.notes,
            "outputs": [{"path": c.path, "reproduced": c.reproduced, "recorded": c.recorded, "now": c.now,
                         "detail": c.detail} for c in result.checks]}, indent=2) + "\n")
    if result.run.signal is not None:
        runner.exit_status(result.run)  # Ctrl-C or a kill ends seedbridge the same way
    return 0 if result.reproduced else 1
