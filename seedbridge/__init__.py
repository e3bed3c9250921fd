"""seedbridge: one seed manifest for mixed-language ML pipelines.

``import seedbridge`` imports no framework (numpy, torch, tensorflow, rpy2): each framework module
imports its framework inside the functions that apply seeds.
"""

from __future__ import annotations

from seedbridge._manifest import Job, Manifest, Root, load, loads
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

# Not `from typing import TYPE_CHECKING`: importing typing costs ~3 ms on every CLI call; type
# checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from seedbridge._checkpoint import RNGState, load_rng_state, restore, save_rng_state, snapshot
    from seedbridge._everything import FrameworkSeed, SeedReport, seed_everything
    from seedbridge.sweeps import SweepResult, sweep

__version__ = "0.1.0"

# Framework modules load on first use (`seedbridge.numpy.generator(...)`), never at `import seedbridge`;
# so does seed_everything's module (logging, dataclasses), which the CLI's seed and env never need.
_LAZY_MODULES = frozenset({"python", "numpy", "torch", "tensorflow", "jax", "r", "caffe"})
# public name -> the module that defines it
_LAZY_NAMES = {
    "FrameworkSeed": "_everything",
    "SeedReport": "_everything",
    "seed_everything": "_everything",
    "RNGState": "_checkpoint",
    "load_rng_state": "_checkpoint",
    "restore": "_checkpoint",
    "save_rng_state": "_checkpoint",
    "snapshot": "_checkpoint",
    # Sweeps (docs/sweeps.md): the package is seedbridge.sweeps, the function sweep.
    "SweepResult": "sweeps",
    "sweep": "sweeps",
}


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"seedbridge.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f"seedbridge.{_LAZY_NAMES[name]}"), name)
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
    "load_rng_state",
    "loads",
    "restore",
    "save_rng_state",
    "seed_everything",
    "snapshot",
    "sweep",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_NAMES) | _LAZY_MODULES)
