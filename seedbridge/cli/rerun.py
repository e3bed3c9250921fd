"""Replay a recorded run: the same command in the same folder, with the same job, keys, parameters and
seeds (re-derived from the manifest, which must be the one the run used), then compare every recorded
output's SHA-256, file by file. The replay is recorded as a new run that links to the old one.

Before it runs, what changed in the environment since the recorded run (framework versions, OS, CPU,
BLAS, CUDA, thread and determinism variables) is printed as a table; when outputs differ, those changes
are listed first, as likely causes. --strict-env refuses to run in a changed environment.

Exit status: 0 when every recorded output reproduced, 1 when any did not (or none was recorded),
2 when the rerun could not be set up (unknown run, changed manifest, changed environment with
--strict-env); when the command died of a signal, what `run` gives (e.g. 137 for SIGKILL).

  seedbridge rerun 20251126T080102123Z-9f3a1c2e7b
  seedbridge rerun 20251126T0801 -m artifacts/seedbridge.yaml --ledger artifacts/ledger.sqlite
"""

from __future__ import annotations

import argparse
import json
import sys

from seedbridge._text import printable
from seedbridge.cli._cmdline import add_ledger, ledger_from
from seedbridge.cli._common import add_manifest
from seedbridge.ledger import RunRecord


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID", help="the run to replay (a unique prefix will do)")
    parser.add_argument("--allow-manifest-change", action="store_true",
                        help="rerun even though the manifest differs from the one the run used")
    parser.add_argument("--cwd", metavar="DIR", help="run in DIR instead of the recorded folder")
    parser.add_argument("--strict-env", action="store_true",
                        help="refuse to rerun when the environment differs from the recorded run's")
    parser.add_argument("--report", metavar="PATH", help="also write the comparison as JSON to PATH")
    add_ledger(parser)
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    from seedbridge import runner
    from seedbridge._atomic import atomic_write_text
    from seedbridge._drift import Drift, format_table
    from seedbridge._manifest import load

    def say(text: str) -> None:
        print(f"seedbridge: {text}", file=sys.stderr, flush=True)

    def drifted(original: RunRecord, changes: list[Drift]) -> None:
        if changes:
            items = f"{len(changes)} item" + ("s" if len(changes) != 1 else "")
            say(f"the environment differs from run {printable(original.run_id)}'s in {items}:")
            for line in format_table(changes):
                print(line, file=sys.stderr, flush=True)
        elif original.system:
            say(f"the environment matches run {printable(original.run_id)}'s")

    def started(record: RunRecord, ledger: str) -> None:
        say(f"rerun of {record.rerun_of} as run {record.run_id}: job {printable(record.job)}, seed {record.seed}")

    manifest = load(args.manifest) if args.manifest else None
    result = runner.rerun(args.run_id, manifest=manifest, ledger_path=ledger_from(args),
                          allow_manifest_change=args.allow_manifest_change, cwd=args.cwd, strict_env=args.strict_env,
                          on_drift=drifted, on_start=started)
    if result.run.error is not None:
        print(f"seedbridge: error: {result.run.error}", file=sys.stderr)
    if result.run.record_error is not None:
        print(f"seedbridge: error: {result.run.record_error}", file=sys.stderr)
    causes = result.drift if not result.reproduced else []
    if causes:
        say("likely causes, changed since the recorded run:")
        for d in causes:
            print(f"  {printable(str(d))}", file=sys.stderr)
    width = max((len(printable(c.path)) for c in result.checks), default=0)
    for check in result.checks:
        print(f"  {printable(check.path):<{width}}  {check.detail}", file=sys.stderr)
    for note in result.notes:
        say(printable(note))
    same = sum(c.reproduced for c in result.checks)
    verdict = "reproduced" if result.reproduced else "not reproduced"
    say(f"{verdict}: {same} of {len(result.checks)} outputs match run {result.original.run_id}")
    if args.report:
        drift = [{"item": d.item, "recorded": d.recorded, "now": d.now} for d in result.drift]
        atomic_write_text(args.report, json.dumps({
            "run_id": result.run.record.run_id, "rerun_of": result.original.run_id,
            "reproduced": result.reproduced, "exit_code": result.run.exit_code,
            "recorded_exit_code": result.original.exit_code,
            "likely_causes": [d["item"] for d in drift] if causes else [],
            "drift": drift, "notes": result.notes,
            "outputs": [{"path": c.path, "reproduced": c.reproduced, "recorded": c.recorded, "now": c.now,
                         "detail": c.detail} for c in result.checks]}, ensure_ascii=False, indent=2) + "\n")
    if result.run.signal is not None:
        return runner.exit_status(result.run)  # dies of the same signal, or 128 + signal (137 for SIGKILL)
    return 0 if result.reproduced else 1
