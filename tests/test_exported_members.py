"""The public surface: `seedbridge.__all__` and the modules without a leading underscore are API (docs/api.md)."""

import pkgutil
from pathlib import Path

import seedbridge

ROOT = Path(__file__).resolve().parent.parent

# Pinned: a name added to or dropped from `seedbridge.__all__` is a change of API, made here on purpose.
EXPORTED = [
    "DERIVATION_VERSION", "DerivationError", "FrameworkError", "FrameworkSeed", "Job", "LedgerError", "Manifest",
    "ManifestError", "MissingDependencyError", "Problem", "RNGState", "Root", "SeedRangeError", "SeedReport",
    "SeedbridgeError", "SolverError", "SweepResult", "UnknownJobError", "ValidationError", "__version__", "load",
    "load_rng_state", "loads", "restore", "save_rng_state", "seed_everything", "snapshot", "sweep",
]


def test_all_is_sorted_and_pinned() -> None:
    assert seedbridge.__all__ == EXPORTED
    for name in seedbridge.__all__:
        assert hasattr(seedbridge, name), name


def test_every_public_module_is_documented() -> None:
    """A module without a leading underscore is API: the docs name it (`seedbridge.NAME`), or it is private."""
    docs = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    public = [m.name for m in pkgutil.iter_modules(seedbridge.__path__) if not m.name.startswith("_")]
    assert public, "no modules found"
    undocumented = [name for name in public if f"seedbridge.{name}" not in docs]
    assert undocumented == []


def test_errors_inherit_matching_builtins() -> None:
    assert issubclass(seedbridge.ManifestError, ValueError)
    assert issubclass(seedbridge.UnknownJobError, LookupError)
    assert issubclass(seedbridge.MissingDependencyError, ImportError)
    for name in seedbridge.__all__:
        obj = getattr(seedbridge, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, seedbridge.SeedbridgeError)
