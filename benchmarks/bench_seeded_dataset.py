"""Per-sample overhead of seedbridge.torch.SeededDataset (goal: at most 20 us beyond the dataset's own
__getitem__) and of seedbridge.numpy.sample_generator.

  .venv/bin/python benchmarks/bench_seeded_dataset.py [--samples N] [--batch B]

The wrapped dataset's __getitem__ does nothing, so what is timed is seedbridge's work: the per-sample SHA-256,
seeding random, NumPy's legacy state and torch's CPU generator, and saving and restoring the three global
states. Printed per sample, as the minimum of 5 rounds (the least disturbed by other processes):
- batched: ``__getitems__(indices)``, what a DataLoader with batch_size=B calls (states saved once per batch);
- one by one: ``dataset[i]`` (a DataLoader with batch_size=None, or direct indexing);
- the same with a cached Gaussian in NumPy's legacy state (np.random.normal drawn before), which is restored too;
- in a DataLoader worker (timed inside a real worker process), where the global states are the worker's own and
  are not saved and restored: the cost per sample with any batch size.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable

import numpy as np

import seedbridge
import seedbridge.numpy as sbn
import seedbridge.torch as sbt


class Plain:
    def __len__(self) -> int:
        return 1 << 30

    def __getitem__(self, i: int) -> int:
        return i


def per_sample_us(fn: Callable[[int], object], samples: int, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn(samples)
        best = min(best, time.perf_counter() - start)
    return best / samples * 1e6


class InWorker:
    """Item 0: the per-sample figures of ``dataset`` one by one, measured inside the DataLoader worker that
    fetches it (so torch.utils.data.get_worker_info() is set, as in training)."""

    def __init__(self, dataset: object, plain: object, samples: int) -> None:
        self.dataset, self.plain, self.samples = dataset, plain, samples

    def __len__(self) -> int:
        return 1

    def __getitem__(self, _: int) -> float:
        def single(ds: object) -> Callable[[int], object]:
            return lambda count: [ds[i] for i in range(count)]  # type: ignore[index]

        return per_sample_us(single(self.dataset), self.samples) - per_sample_us(single(self.plain), self.samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    n, b = args.samples, args.batch
    with tempfile.TemporaryDirectory() as tmp:
        manifest = seedbridge.load(seedbridge.Manifest.new(["train"], root=0x2A).save(os.path.join(tmp, "m.yaml")))
        plain = Plain()
        seeded = sbt.SeededDataset(plain, "train", manifest=manifest)

        def batched(ds: object) -> Callable[[int], object]:
            def run(count: int) -> None:
                getitems = getattr(ds, "__getitems__", None)
                for start in range(0, count, b):
                    indices = list(range(start, min(start + b, count)))
                    if getitems is not None:
                        getitems(indices)
                    else:
                        [ds[i] for i in indices]  # type: ignore[index]
            return run

        def single(ds: object) -> Callable[[int], object]:
            return lambda count: [ds[i] for i in range(count)]  # type: ignore[index]

        base_batched = per_sample_us(batched(plain), n)
        base_single = per_sample_us(single(plain), n)
        rows = [(f"SeededDataset, batched (__getitems__, batch {b})", per_sample_us(batched(seeded), n) - base_batched),
                ("SeededDataset, one by one (dataset[i])", per_sample_us(single(seeded), n) - base_single)]
        from torch.utils.data import DataLoader

        in_worker = DataLoader(InWorker(seeded, plain, n), batch_size=None, num_workers=1)
        rows.append(("SeededDataset in a DataLoader worker, any batch size", float(next(iter(in_worker)))))
        np.random.normal()  # leave a cached Gaussian, which each restore must put back
        rows += [("  the same with a cached Gaussian, batched", per_sample_us(batched(seeded), n) - base_batched),
                 ("  the same with a cached Gaussian, one by one", per_sample_us(single(seeded), n) - base_single)]
        rows.append(("numpy.sample_generator(i) (a Generator per sample)",
                     per_sample_us(lambda c: [sbn.sample_generator(i, job="train", manifest=manifest)
                                              for i in range(c)], max(n // 10, 100))))
        # A yardstick for how busy the machine is: on an idle core of the 2-core dev machine this is about 0.7 us.
        yardstick = per_sample_us(lambda c: [sum(range(100)) for _ in range(c)], n)
        print(f"yardstick: sum(range(100)) takes {yardstick:.2f} us here now (about 0.7 us on an idle core)")
        print(f"{'per sample, beyond the dataset itself':<55} {'us':>8}   (goal for SeededDataset: <= 20 us)")
        for label, us in rows:
            print(f"{label:<55} {us:>8.1f}")


if __name__ == "__main__":
    main()
