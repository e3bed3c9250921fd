"""Sweep speed: parallel efficiency, and what each replicate costs beyond its command (docs/sweeps.md).

    .venv/bin/python benchmarks/bench_sweep.py [--repeat 5] [--no-ray]

1. `seedbridge sweep JOB --replicates 8 --parallel 2 -- sleep 1`, end to end through the CLI: the ideal is
   4 s (8 one-second replicates, two at a time); the goal is at most 1.25x that.
2. Per-replicate overhead of the local executor: (time of a 21-replicate sweep - time of a 1-replicate
   sweep) / 20, minus the time of `true` itself, with --parallel 1 so replicates add up; beside it the
   overhead of one `seedbridge run JOB -- true` over `true`. Goal: at most 100 ms beyond `seedbridge run`.
3. The same for Ray, in one Ray session started beforehand (its start-up time is printed separately).
   Goal: at most 250 ms per replicate after start-up.

Everything runs in a temporary git work tree with a manifest, as a user's project would be.
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

import seedbridge


def timed(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def engine_per_replicate(work: str, executor: str, repeat: int) -> float:
    """Median over ``repeat`` of (21-replicate sweep - 1-replicate sweep) / 20, in-process, --parallel 1."""
    true = shutil.which("true") or "true"

    def one(n: int) -> float:
        start = time.perf_counter()
        result = seedbridge.sweep("train", [true], replicates=n, parallel=1, executor=executor, plot=False,
                                  manifest=os.path.join(work, "seedbridge.yaml"), cwd=work)
        assert result.ok
        return time.perf_counter() - start

    one(2)  # warm-up: imports, the ledger file
    return statistics.median((one(21) - one(1)) / 20 for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray figures")
    args = parser.parse_args()
    exe = shutil.which("seedbridge", path=os.path.dirname(sys.executable)) or shutil.which("seedbridge")
    sb = [exe] if exe else [sys.executable, "-m", "seedbridge"]
    true = shutil.which("true") or "true"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEEDBRIDGE_", "RAY_ADDRESS"))}
    print(f"python {sys.version.split()[0]}; {os.cpu_count()} cpus; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as work:
        git = ["git", "-c", "user.email=b@example.org", "-c", "user.name=bench"]
        subprocess.run([*git, "init", "-q"], cwd=work, check=True)
        subprocess.run([*sb, "init", "--root", "0x2a", "--job", "train"], cwd=work, env=env, check=True,
                       stderr=subprocess.DEVNULL)
        subprocess.run([*git, "add", "seedbridge.yaml"], cwd=work, check=True)
        subprocess.run([*git, "commit", "-qm", "bench"], cwd=work, check=True)

        # 1. parallel efficiency
        sleeps = [timed([*sb, "sweep", "train", "--replicates", "8", "--parallel", "2", "--", "sleep", "1"], work, env)
                  for _ in range(max(1, args.repeat // 2))]
        best, median = min(sleeps), statistics.median(sleeps)
        print(f"8 x `sleep 1`, --parallel 2:   median {median:5.2f} s, best {best:5.2f} s; ideal 4.00 s; "
              f"ratio {median / 4:.3f} (goal <= 1.25)")

        # 2. local per-replicate overhead, beside `seedbridge run`'s
        through = [*sb, "run", "train", "-q", "--rerun", "--", true]
        for _ in range(3):
            timed([true], work, env)
            timed(through, work, env)
        direct = statistics.median(timed([true], work, env) for _ in range(20))
        run = statistics.median(timed(through, work, env) for _ in range(20)) - direct
        local = engine_per_replicate(work, "local", args.repeat) - direct
        print(f"`seedbridge run` overhead:      {run * 1000:7.1f} ms per run (over `true`: {direct * 1000:.1f} ms)")
        print(f"local sweep overhead:           {local * 1000:7.1f} ms per replicate; {(local - run) * 1000:+.1f} ms "
              f"beyond `seedbridge run` (goal <= +100 ms)")

        # 3. Ray, after start-up
        if args.no_ray:
            return
        import ray

        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        start = time.perf_counter()
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        print(f"ray start-up:                   {time.perf_counter() - start:7.2f} s (ray.init, local, 2 CPUs)")
        try:
            remote = engine_per_replicate(work, "ray", args.repeat) - direct
        finally:
            ray.shutdown()
        print(f"ray sweep overhead:             {remote * 1000:7.1f} ms per replicate after start-up (goal <= 250 ms)")


if __name__ == "__main__":
    main()
