"""Run CMD several times as JOB, each a fresh process in a folder of its own with the same seeds, and
compare the files it writes. For NumPy (.npy, .npz), JSON and CSV files that differ, the report gives
the largest absolute difference and where it is.

Paths work as they would by hand: CMD runs in its run folder; a relative --output names a file there;
a relative path in CMD that exists here is made absolute (unless it names an output or an output's
folder); --link PATH puts a symlink to PATH into every run folder, for files CMD opens on its own.

Exit status: 0 when every run succeeded and every output matched, 1 otherwise, 2 on a usage error.
Run folders are removed when all matched and kept for a look otherwise (or always, with --keep).

  seedbridge verify train --output model.npy -- python train.py --data data/train.csv
  seedbridge verify train --runs 4 --jobs 2 --output metrics.json --atol 1e-6 -- python train.py
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from seedbridge.cli._cmdline import add_command
from seedbridge.cli._common import add_keys, add_manifest, keys_from, manifest_from, stop_on_sigterm
from seedbridge.verify import RunOutcome


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", help="a job declared in the manifest")
    parser.add_argument("--runs", "-n", type=int, default=2, metavar="N", help="how many runs (default 2)")
    parser.add_argument("--output", "-o", action="append", default=[], metavar="PATH",
                        help="a file CMD writes, relative to its folder (repeatable)")
    parser.add_argument("--stdout", action="store_true", help="compare CMD's standard output too")
    parser.add_argument("--jobs", "-J", type=int, default=1, metavar="N", help="runs at a time (default 1)")
    parser.add_argument("--atol", type=float, default=0.0, metavar="X",
                        help="numeric files match when no value differs by more than X (default 0: exact)")
    parser.add_argument("--link", action="append", default=[], metavar="PATH",
                        help="symlink PATH (relative, here) into every run folder (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the run folders even when all matched")
    parser.add_argument("--format", "-f", choices=("text", "json"), default="text", help="report format")
    add_keys(parser)
    add_manifest(parser)
    add_command(parser, "seedbridge verify train --output out.npy -- python train.py")


class _Progress:
    """A live counter on a terminal; one line per finished run otherwise (CI logs)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.running = 0
        self.done = 0
        self.tty = sys.stderr.isatty()

    def _draw(self) -> None:
        sys.stderr.write(f"\r\x1b[Kverify: {self.done}/{self.total} runs done, {self.running} running")
        sys.stderr.flush()

    def start(self, outcome: RunOutcome) -> None:
        self.running += 1
        if self.tty:
            self._draw()

    def finish(self, outcome: RunOutcome, done: int, total: int) -> None:
        self.running -= 1
        self.done = done
        if self.tty:
            self._draw()
            if done == total:
                sys.stderr.write("\n")
        else:
            how = outcome.error or f"exit {outcome.exit_code}"
            print(f"verify: run {outcome.index} finished ({done}/{total}): {how} in {outcome.seconds:.2f}s",
                  file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from seedbridge.verify import verify

    manifest = manifest_from(args)
    stop_on_sigterm()
    progress = _Progress(max(args.runs, 0))
    report = verify(manifest, args.job, args.command, outputs=args.output, runs=args.runs, keys=keys_from(args),
                    jobs=args.jobs, links=args.link, stdout=args.stdout, atol=args.atol, keep=args.keep,
                    progress=progress.finish, on_start=progress.start)
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
        return 0 if report.ok else 1
    print(f"verify {report.job}: {len(report.runs)} runs with seed {report.seed}: {shlex.join(report.command)}")
    for r in report.runs:
        if r.exit_code != 0:
            print(f"  run {r.index}: {r.error or f'exit {r.exit_code}'}")
            tail = r.stderr_tail.strip().splitlines()[-5:]
            for line in tail:
                print(f"    | {line}")
    width = max((len(f.path) for f in report.files), default=0)
    for f in report.files:
        if f.missing_in or f.unusable:
            status = "; ".join(([f"missing in run {', '.join(map(str, f.missing_in))}"] if f.missing_in else [])
                               + [f"run {i}: {why}" for i, why in f.unusable.items()])
        elif all(c.identical for c in f.comparisons.values()):
            status = "identical in every run"
        else:
            status = "; ".join(f"run {i}: {c.detail}" for i, c in f.comparisons.items() if not c.identical)
        print(f"  {f.path:<{width}}  {'ok  ' if f.match else 'FAIL'}  {status}")
    failed = [f for f in report.files if not f.match]
    bad_runs = [r for r in report.runs if r.exit_code != 0]
    if report.ok:
        print(f"verdict: reproducible ({len(report.files)} outputs matched in {len(report.runs)} runs)")
        return 0
    parts = ([f"{len(failed)} of {len(report.files)} outputs differ"] if failed else []) + \
        ([f"{len(bad_runs)} runs failed"] if bad_runs else [])
    print(f"verdict: not reproducible ({', '.join(parts)}); run folders kept in {report.base_dir}")
    return 1
