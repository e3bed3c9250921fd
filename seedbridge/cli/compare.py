"""Compare two sweeps: is the difference of their means larger than seed noise? A sweep is named by its
sweep.json (or the folder holding it) or by its id in the ledger. When both sweeps derive their seeds
from the same root with the same keys (apart from replicate), replicate i of each form a pair and the
interval is the paired t interval of the differences; otherwise it is Welch's (docs/sweeps.md). The
verdict: "larger than seed noise" when the 95% interval of mean(A) - mean(B) excludes 0, else
"within seed noise".

  seedbridge compare sweeps/baseline sweeps/new-lr
  seedbridge compare sweep-20261126T080102123Z-9f3a1c2e7b sweeps/new-lr/sweep.json --metric acc --plot cmp.png
"""

from __future__ import annotations

import argparse
import json

from seedbridge.cli._cmdline import add_ledger, ledger_from
from seedbridge.cli._common import add_manifest
from seedbridge.sweeps import SweepComparison


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sweep_a", metavar="SWEEP_A", help="a sweep id, a sweep.json or its folder")
    parser.add_argument("sweep_b", metavar="SWEEP_B", help="the other sweep (A - B is reported)")
    parser.add_argument("--metric", metavar="NAME", help="compare this metric only (default: every shared one)")
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table", help="report format")
    parser.add_argument("--plot", metavar="FILE", help="write a PNG of both sweeps side by side")
    add_ledger(parser)
    add_manifest(parser)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def print_table(c: SweepComparison) -> None:
    for tag, s in (("A", c.a), ("B", c.b)):
        excluded = f", {len(s.excluded)} left out (failed)" if s.excluded else ""
        print(f"{tag}  {s.sweep_id}  job {s.job}  {len(s.metrics)} replicates{excluded}  ({s.source})")
    print(c.pairing)
    print()
    rows = [["metric", "n A", "n B", "mean A", "mean B", "A - B", "95% CI", "method", "verdict"]]
    for m in c.metrics:
        d = m.difference
        ci = f"[{_num(d.ci95[0])}, {_num(d.ci95[1])}]" if d.ci95 else "undefined"
        rows.append([m.metric, str(m.a.n), str(m.b.n), _num(m.a.mean), _num(m.b.mean), _num(d.estimate), ci,
                     d.method, d.verdict])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for m in c.metrics:
        for note in m.notes:
            print(f"note: {m.metric}: {note}")
    if c.png:
        print(f"plot {c.png}")


def run(args: argparse.Namespace) -> int:
    from seedbridge.sweeps import compare

    comparison = compare(args.sweep_a, args.sweep_b, metric=args.metric, ledger=ledger_from(args),
                         manifest_path=args.manifest, plot=args.plot)
    if args.format == "json":
        print(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_table(comparison)
    return 0
