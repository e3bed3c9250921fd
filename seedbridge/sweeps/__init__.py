"""Seed variance: run a job under many seeds and say whether a difference is larger than seed noise.

``sweep`` runs a command once per replicate seed (the job's seed for the keys ``replicate=0..N-1``),
locally or on a Ray cluster, records every run in the ledger, reads one number per metric from each
replicate's files and summarises them; ``compare`` says whether two sweeps differ by more than seed
noise. docs/sweeps.md has the how and the statistics.

Importing this package imports neither Ray nor matplotlib nor NumPy: each is imported when used.
"""

from __future__ import annotations

from seedbridge.sweeps._compare import MetricComparison, SweepComparison, SweepData, compare, load_sweep
from seedbridge.sweeps._engine import EXECUTORS, REPLICATE_KEY, Replicate, SweepResult, sweep
from seedbridge.sweeps._metrics import MetricSpec, parse_metric, read_metric
from seedbridge.sweeps._stats import Difference, Summary, summarize, t_quantile

__all__ = [
    "EXECUTORS",
    "REPLICATE_KEY",
    "Difference",
    "MetricComparison",
    "MetricSpec",
    "Replicate",
    "Summary",
    "SweepComparison",
    "SweepData",
    "SweepResult",
    "compare",
    "load_sweep",
    "parse_metric",
    "read_metric",
    "summarize",
    "sweep",
    "t_quantile",
]
