"""Derivations per second in-process, against NumPy's SeedSequence(...).spawn + generate_state per child.

Usage: python benchmarks/bench_derive.py [N]
"""

from __future__ import annotations

import sys
import time

from seedbridge.derive import derive


def rate(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(n)
    return n / (time.perf_counter() - start)


def seedbridge_children(n: int) -> None:
    root = 0x9E3779B97F4A7C15F39CC0605CEDC834
    for i in range(n):
        derive(root, "train", {"rank": i % 64, "worker": i // 64}, bits=64)


def seedbridge_portable(n: int) -> None:
    for i in range(n):
        derive(42, f"job{i}")


def numpy_spawn(n: int) -> None:
    import numpy as np

    for child in np.random.SeedSequence(0x9E3779B97F4A7C15F39CC0605CEDC834).spawn(n):
        child.generate_state(2, np.uint32)  # 64 bits, like the derivation above


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rows = [
        ("seedbridge derive, 2 keys, 64 bits", rate(seedbridge_children, n)),
        ("seedbridge derive, no keys, 31 bits", rate(seedbridge_portable, n)),
        ("numpy SeedSequence.spawn + generate_state", rate(numpy_spawn, n)),
    ]
    for name, per_second in rows:
        print(f"{name:<44} {per_second:>12,.0f} /s   ({1e6 / per_second:.2f} us each, n={n})")


if __name__ == "__main__":
    main()
