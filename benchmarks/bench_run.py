"""Overhead of `seedbridge run` over running the command directly.

    .venv/bin/python benchmarks/bench_run.py [--repeat 30]

Runs `true` (the cheapest command there is) directly and through `seedbridge run JOB -q -- true`
in a temporary git work tree with a manifest, and reports the median and mean wall time of each and
their difference: seedbridge's own cost per run (interpreter start, manifest, git, two ledger
transactions, output digests).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    exe = shutil.which("seedbridge", path=os.path.dirname(sys.executable)) or shutil.which("seedbridge")
    sb = [exe] if exe else [sys.executable, "-m", "seedbridge"]
    true = shutil.which("true") or "true"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
    with tempfile.TemporaryDirectory() as work:
        git = ["git", "-c", "user.email=b@example.org", "-c", "user.name=bench"]
        subprocess.run([*git, "init", "-q"], cwd=work, check=True)
        subprocess.run([*sb, "init", "--root", "0x2a", "--job", "train"], cwd=work, env=env, check=True,
                       stderr=subprocess.DEVNULL)
        with open(os.path.join(work, "out.bin"), "wb") as fh:
            fh.write(os.urandom(1 << 20))
        subprocess.run([*git, "add", "seedbridge.yaml"], cwd=work, check=True)
        subprocess.run([*git, "commit", "-qm", "bench"], cwd=work, check=True)
        through = [*sb, "run", "train", "-q", "--output", "out.bin", "--rerun", "--", true]
        for _ in range(3):  # warm the page cache and the ledger file
            timed([true], work, env)
            timed(through, work, env)
        direct, wrapped = [], []
        for _ in range(args.repeat):
            direct.append(timed([true], work, env))
            wrapped.append(timed(through, work, env))
    med_d, med_w = statistics.median(direct), statistics.median(wrapped)
    print(f"runs: {args.repeat} each; python {sys.version.split()[0]}; {os.cpu_count()} cpus")
    print(f"direct `true`:                 median {med_d * 1000:7.1f} ms  mean {statistics.fmean(direct) * 1000:7.1f} ms")
    print(f"`seedbridge run ... -- true`:  median {med_w * 1000:7.1f} ms  mean {statistics.fmean(wrapped) * 1000:7.1f} ms")
    print(f"overhead per run:              median {(med_w - med_d) * 1000:7.1f} ms (one 1 MiB output digested)")


if __name__ == "__main__":
    main()
