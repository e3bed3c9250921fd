"""Shared timing helpers for the benchmark scripts (run on demand; they print figures, they assert nothing)."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Sequence


def wall(cmd: Sequence[str], **kwargs: object) -> float:
    """Wall time of one run of ``cmd`` in seconds (output discarded)."""
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def alternating_medians(commands: dict[str, Sequence[str]], *, rounds: int, warmup: int = 3,
                        **kwargs: object) -> dict[str, float]:
    """Median wall time of each command, run in alternation so drift hits all of them alike."""
    for _ in range(warmup):
        for cmd in commands.values():
            wall(cmd, **kwargs)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            times[name].append(wall(cmd, **kwargs))
    return {name: statistics.median(values) for name, values in times.items()}
