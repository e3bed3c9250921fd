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
    SeedbridgeError,
    SeedRangeError,
    SolverError,
    UnknownJobError,
    ValidationError,
)
from seedbridge.everything import FrameworkSeed, RNGState, SeedReport, restore, seed_everything, snapshot
from seedbridge.manifest import Job, Manifest, Root, load, loads

__version__ = "0.1.0"

# Framework modules load on first use (`seedbridge.numpy.generator(...)`), never at `import seedbridge`.
_LAZY_MODULES = frozenset({"python", "numpy", "torch", "tensorflow", "r", "caffe"})


def __getattr__(name: str) -> object:
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"seedbridge.{name}")
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
    "RNGState",
    "Root",
    "SeedRangeError",
    "SeedReport",
    "SeedbridgeError",
    "SolverError",
    "UnknownJobError",
    "ValidationError",
    "__version__",
    "load",
    "loads",
    "restore",
    "seed_everything",
    "snapshot",
]
