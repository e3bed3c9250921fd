"""Run CMD as JOB once per replicate: replicate i gets the job's seeds for the key replicate=i (plus any
--key), runs in a fresh folder of its own and is recorded in the ledger with the sweep's id. Each
--metric reads one number from a file the replicate wrote; the summary gives n, mean, sd, median, min,
max and the 95% t interval of the mean per metric (docs/sweeps.md). DIR/sweep.json holds every
replicate and the summary, DIR/sweep.png draws them.

Exit status: 0 when every replicate succeeded and had every metric, 1 otherwise (the failures are
listed and left out of the statistics), 2 on a usage error.

  seedbridge sweep train --replicates 10 --metric acc=history.json:val_accuracy[-1] -- python train.py
  seedbridge sweep train --replicates 8 --parallel 2 --input data.csv --metric f1=metrics.csv:f1 \\
      --out sweeps/baseline -- python train.py data.csv
  seedbridge sweep train --replicates 32 --executor ray --ray-address head:6379 --input train.py \\
      --metric acc=metrics.json:test.acc -- python train.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from seedbridge.cli._cmdline import add_command, add_ledger, ledger_from
from seedbridge.cli._common import add_keys, add_manifest, keys_from, manifest_from, parse_assignments, stop_on_sigterm
from seedbridge.sweeps import EXECUTORS, Replicate, SweepResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", help="a job declared in the manifest")
    parser.add_argument("--replicates", type=int, required=True, metavar="N", help="how many replicates (seeds)")
    parser.add_argument("--parallel", type=int, metavar="P",
                        help="replicates at a time (default: the number of cores; with ray, the cluster's CPUs)")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="local: processes on this machine (default); ray: Ray tasks")
    parser.add_argument("--ray-address", metavar="ADDR",
                        help="join this Ray cluster (default: $RAY_ADDRESS, else start a local Ray for the sweep)")
    parser.add_argument("--metric", action="append", default=[], metavar="NAME=FILE:PATH",
                        help="a number to read from each replicate's files, such as "
                             "acc=history.json:val_accuracy[-1] or f1=metrics.csv:f1 (repeatable)")
    parser.add_argument("--output", "-o", action="append", default=[], metavar="FILE",
                        help="a file CMD writes in its folder; its SHA-256 is recorded (repeatable)")
    parser.add_argument("--input", "-i", action="append", default=[], metavar="FILE",
                        help="a file CMD reads: recorded, and placed at the same relative path in each "
                             "replicate's folder (repeatable)")
    add_keys(parser)
    parser.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter to record, such as lr=0.01 (repeatable)")
    parser.add_argument("--out", metavar="DIR",
                        help="folder for the replicates, sweep.json and sweep.png "
                             "(default: .seedbridge/sweeps/SWEEP_ID beside the manifest)")
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table", help="report format")
    add_ledger(parser)
    add_manifest(parser)
    add_command(parser, "seedbridge sweep train --replicates 8 --metric acc=m.json:acc -- python train.py")


class _Progress:
    """A bar with an ETA on a terminal; one line per finished replicate otherwise (CI logs)."""

    def __init__(self, job: str) -> None:
        self.job = job
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self.failed = 0

    def __call__(self, rep: Replicate, done: int, total: int) -> None:
        self.failed += rep.status != "succeeded"
        if not self.tty:
            how = rep.error or (f"exit {rep.exit_code}" if rep.signal is None else f"signal {rep.signal}")
            values = ", ".join(f"{k}={v:.6g}" for k, v in rep.metrics.items())
            missing = ", ".join(f"{k} missing" for k in rep.missing)
            extra = "; ".join(x for x in (values, missing) if x)
            print(f"sweep {self.job}: replicate {rep.index} finished ({done}/{total}): {how} in "
                  f"{rep.seconds or 0:.2f}s" + (f"; {extra}" if extra else ""), file=sys.stderr, flush=True)
            return
        elapsed = time.monotonic() - self.start
        eta = elapsed / done * (total - done)
        width = 30
        filled = round(width * done / total)
        failed = f", {self.failed} failed" if self.failed else ""
        sys.stderr.write(f"\r\x1b[Ksweep {self.job} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{failed}"
                         f"  elapsed {_clock(elapsed)}  ETA {_clock(eta)}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def print_table(result: SweepResult) -> None:
    ok = sum(r.status == "succeeded" for r in result.replicates)
    print(f"sweep {result.sweep_id}: job {result.job}, {ok} of {len(result.replicates)} replicates succeeded "
          f"({result.executor})")
    print(f"folder {result.out}")
    names = list(result.summary)
    rows = [["replicate", "seed", "status", *names]]
    for r in result.replicates:
        rows.append([str(r.index), str(r.seed), r.status + (" (retried)" if r.retried else ""),
                     *(_num(r.metrics.get(n)) for n in names)])
    _print_rows(rows)
    if names:
        print()
        rows = [["metric", "n", "mean", "sd", "median", "min", "max", "95% CI of the mean"]]
        for name, s in result.summary.items():
            ci = f"[{_num(s.ci95[0])}, {_num(s.ci95[1])}]" if s.ci95 else "undefined (n < 2)"
            rows.append([name, str(s.n), _num(s.mean), _num(s.sd), _num(s.median), _num(s.min), _num(s.max), ci])
        _print_rows(rows)
    problems = []
    for r in result.replicates:
        if r.status != "succeeded":
            problems.append(f"replicate {r.index} failed: {r.error or f'exit {r.exit_code}'}; left out")
            problems += [f"  | {line}" for line in r.stderr_tail.splitlines()]
        problems += [f"replicate {r.index}: {name} missing: {why}; left out of {name}"
                     for name, why in r.missing.items()]
        problems += [f"replicate {r.index}: {note}" for note in r.notes]
    if problems or result.notes:
        print()
    for line in problems:
        print(line)
    for note in result.notes:
        print(f"note: {note}")


def _print_rows(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def run(args: argparse.Namespace) -> int:
    from seedbridge.sweeps import sweep

    manifest = manifest_from(args)
    stop_on_sigterm()
    result = sweep(args.job, args.command, replicates=args.replicates, metrics=args.metric, manifest=manifest,
                   parallel=args.parallel, executor=args.executor, ray_address=args.ray_address,
                   outputs=args.output, inputs=args.input, keys=keys_from(args),
                   params=parse_assignments(args.param, flag="--param", example="lr=0.01"), out=args.out,
                   ledger=ledger_from(args), progress=_Progress(args.job))
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_table(result)
    return 0 if result.ok else 1
