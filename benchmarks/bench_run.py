"""Overhead of `seedbridge run` over running the command directly, and the cost of recording what a run
ran on (the environment capture; goal: at most 50 ms per run).

    .venv/bin/python benchmarks/bench_run.py [--repeat 30]

Runs `true` (the cheapest command there is) directly and through `seedbridge run JOB -q -- true`
in a temporary git work tree with a manifest, and reports the median and mean wall time of each and
their difference: seedbridge's own cost per run (interpreter start, manifest, git, two ledger
transactions, output digests). Then times the environment capture (`_provenance.system()` and
`versions()` for a job listing every framework, R and Caffe included) in fresh interpreters, as each
`seedbridge run` pays it once.
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


_CAPTURE = """
import os, sys, time
from seedbridge import _provenance
start, cpu = time.perf_counter(), os.times()
_provenance.system()
_provenance.versions(sys.argv[1:])
end = os.times()
used = (end.user - cpu.user) + (end.system - cpu.system) + (end.children_user - cpu.children_user) + (
    end.children_system - cpu.children_system)
print((time.perf_counter() - start) * 1000, used * 1000)
"""


def capture_ms(frameworks: list[str]) -> tuple[float, float]:
    """The capture's wall and CPU time (Rscript's included) for a job listing ``frameworks``, in a fresh
    interpreter, in milliseconds."""
    out = subprocess.run([sys.executable, "-c", _CAPTURE, *frameworks], check=True, capture_output=True,
                         text=True).stdout
    wall_ms, cpu_ms = out.strip().splitlines()[-1].split()
    return float(wall_ms), float(cpu_ms)


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
    jobs = {"numpy, torch": ["numpy", "torch"], "every framework, R and Caffe included":
            ["python", "numpy", "torch", "tensorflow", "r", "caffe"]}
    capture = {name: [capture_ms(fws) for _ in range(args.repeat)] for name, fws in jobs.items()}
    med_d, med_w = statistics.median(direct), statistics.median(wrapped)
    print(f"runs: {args.repeat} each; python {sys.version.split()[0]}; {os.cpu_count()} cpus")
    print(f"direct `true`:                 median {med_d * 1000:7.1f} ms  mean {statistics.fmean(direct) * 1000:7.1f} ms")
    print(f"`seedbridge run ... -- true`:  median {med_w * 1000:7.1f} ms  mean {statistics.fmean(wrapped) * 1000:7.1f} ms")
    print(f"overhead per run:              median {(med_w - med_d) * 1000:7.1f} ms (one 1 MiB output digested)")
    print(f"environment capture per run (goal: at most 50 ms; load average {os.getloadavg()[0]:.1f}):")
    for name, times in capture.items():
        walls, cpus = [w for w, _ in times], [c for _, c in times]
        print(f"  job using {name + ':':<40} median {statistics.median(walls):6.1f} ms wall, "
              f"{statistics.median(cpus):5.1f} ms cpu (max {max(walls):.1f} ms wall)")


if __name__ == "__main__":
    main()
