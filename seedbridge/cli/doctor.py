"""Check this environment for what breaks a job's reproducibility; one line per finding, with its fix:
PYTHONHASHSEED unset, thread counts unset, oneDNN on under a deterministic profile, CUDA without
CUBLAS_WORKSPACE_CONFIG, framework versions that differ from the job's last successful run (from the
ledger), R RNG kinds at start-up that differ from the manifest's.

Exit status: 0 when no finding matters under the job's profile, 1 when one does (under `strict`, every
finding does; without JOB the environment is checked as for a strict job), 2 for usage errors.

  seedbridge doctor train
  seedbridge doctor            # the environment alone, strictly
"""

from __future__ import annotations

import argparse
import os

from seedbridge.cli._cmdline import add_ledger, ledger_from
from seedbridge.cli._common import add_manifest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", nargs="?", metavar="JOB", help="a job declared in the manifest (default: none)")
    add_ledger(parser)
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    from seedbridge import _doctor, _provenance
    from seedbridge._text import printable
    from seedbridge.cli._common import manifest_from
    from seedbridge.errors import LedgerError

    job = manifest_from(args).job(args.job) if args.job else None
    frameworks = job.frameworks if job is not None else ()
    last = None
    notes: list[str] = []
    if job is not None:
        from seedbridge.ledger import read_runs, shown

        location = ledger_from(args)
        try:
            done = [r for r in read_runs(location, job=job.name) if r.status == "succeeded"]
        except LedgerError as exc:
            done = []
            notes.append(f"note: cannot compare with the job's last successful run: {exc}")
        last = done[-1] if done else None
        if last is None and not notes:
            notes.append(f"note: no successful run of job {printable(job.name)} in {shown(location)} to compare "
                         "versions with")
    r_kinds = _doctor.r_start_kinds() if job is not None and "r" in job.frameworks else None
    findings = _doctor.diagnose(job, env=os.environ, system=_provenance.system(), versions=_provenance.versions(frameworks),
                                last_run=last, r_kinds=r_kinds)
    what = f"job {printable(job.name)} (profile {job.profile})" if job is not None else "this environment (as strict)"
    for f in findings:
        print(f"{'problem' if f.matters else 'note'}: {printable(f.message)}; fix: {printable(f.fix)}")
    for note in notes:
        print(note)
    matters = sum(f.matters for f in findings)
    if not findings:
        print(f"seedbridge doctor: nothing found for {what}")
    else:
        print(f"seedbridge doctor: {len(findings)} findings for {what}, {matters} of which matter under its profile")
    return 1 if matters else 0
