"""Time seed_everything with every framework already imported: the seeding, not the imports.

  .venv/bin/python benchmarks/bench_seed_everything.py [--repeat N]

Prints, per framework, the median time of seed_everything(frameworks=[that one]) and of the framework's own
seeding call alone, so the difference is what seedbridge adds; then the same for all frameworks together.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import seedbridge
from seedbridge._context import installed


def median_us(fn: Callable[[], object], repeat: int) -> float:
    for _ in range(max(3, repeat // 10)):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def native_calls(seed: int) -> dict[str, Callable[[], object]]:
    calls: dict[str, Callable[[], object]] = {"python": lambda: random.seed(seed)}
    if installed("numpy"):
        import numpy as np

        calls["numpy"] = lambda: np.random.seed(seed)
    if installed("torch"):
        import torch

        calls["torch"] = lambda: torch.manual_seed(seed)
    if installed("tensorflow"):
        import keras

        calls["tensorflow"] = lambda: keras.utils.set_random_seed(seed)
    return calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = seedbridge.Manifest.new(["train"], root=0x2A)
        manifest = seedbridge.load(manifest.save(os.path.join(tmp, "seedbridge.yaml")))
        seed = manifest.seed("train")
        calls = native_calls(seed)
        seedbridge.seed_everything("train", manifest=manifest)  # first call imports the modules
        print(f"{'framework':<12} {'seed_everything':>16} {'native call':>12} {'seedbridge adds':>16}")
        for name, native in calls.items():
            sb = median_us(lambda n=name: seedbridge.seed_everything("train", manifest=manifest, frameworks=[n]),
                           args.repeat)
            nat = median_us(native, args.repeat)
            print(f"{name:<12} {sb:>13.1f} us {nat:>9.1f} us {sb - nat:>13.1f} us")
        everything = median_us(lambda: seedbridge.seed_everything("train", manifest=manifest), args.repeat)
        derive_only = median_us(lambda: manifest.seed("train"), args.repeat)
        print(f"{'all':<12} {everything:>13.1f} us  ({len(calls)} frameworks; manifest.seed alone {derive_only:.1f} us)")


if __name__ == "__main__":
    main()
