"""seedbridge: one seed manifest for mixed-language ML pipelines.

``import seedbridge`` imports no framework (numpy, torch, tensorflow, rpy2): each framework module
imports its framework inside the functions that apply seeds.
"""

from __future__ import annotations

from seedbridge.derive import DERIVATION_VERSION
from seedbridge.errors import (
    DerivationError,
    FrameworkError,
    LedgerError,
    ManifestError,
    MissingDependencyError,
    Problem,
    SeedbridgeError,
    SeedRangeError,
    SolverError,
    UnknownJobError,
    ValidationError,
)
from seedbridge.manifest import Job, Manifest, Root, load, loads

# Not `from typing import TYPE_CHECKING`: importing typing costs ~3 ms on every CLI call; type
# checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from seedbridge.everything import FrameworkSeed, RNGState, SeedReport, restore, seed_everything, snapshot
    from seedbridge.sweeps import SweepResult, sweep

__version__ = "0.1.0"

# Framework modules load on first use (`seedbridge.numpy.generator(...)`), never at `import seedbridge`;
# so does seed_everything's module (logging, dataclasses), which the CLI's seed and env never need.
_LAZY_MODULES = frozenset({"python", "numpy", "torch", "tensorflow", "r", "caffe"})
_LAZY_NAMES = frozenset({"FrameworkSeed", "RNGState", "SeedReport", "restore", "seed_everything", "snapshot"})
# Sweeps (docs/sweeps.md) load on first use too; the package is seedbridge.sweeps, the function sweep.
_LAZY_SWEEP_NAMES = frozenset({"SweepResult", "sweep"})


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"seedbridge.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module("seedbridge.everything"), name)
    if name in _LAZY_SWEEP_NAMES:
        return getattr(importlib.import_module("seedbridge.sweeps"), name)
    raise AttributeError(f"module 'seedbridge' has no attribute {name!r}")


__all__ = [
    "DERIVATION_VERSION",
    "DerivationError",
    "FrameworkError",
    "FrameworkSeed",
    "Job",
    "LedgerError",
    "Manifest",
    "ManifestError",
    "MissingDependencyError",
    "Problem",
    "RNGState",
    "Root",
    "SeedRangeError",
    "SeedReport",
    "SeedbridgeError",
    "SolverError",
    "SweepResult",
    "UnknownJobError",
    "ValidationError",
    "__version__",
    "load",
    "loads",
    "restore",
    "seed_everything",
    "snapshot",
    "sweep",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_NAMES | _LAZY_MODULES | _LAZY_SWEEP_NAMES)
