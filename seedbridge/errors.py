"""The whole seedbridge exception tree.

::

    SeedbridgeError                          root: catch this to catch everything seedbridge raises
    ├── ValidationError (ValueError)         one or more problems, each with file, line and field
    │   ├── ManifestError                    the manifest breaks a schema rule
    │   └── SolverError                      a Caffe solver file breaks a SolverParameter rule
    ├── DerivationError (ValueError)         bad derivation input: key value, bits, root
    ├── SeedRangeError (ValueError)          a seed outside what a framework accepts
    ├── UnknownJobError (LookupError)        a job the manifest does not declare
    ├── MissingDependencyError (ImportError) an optional framework is not installed
    ├── FrameworkError (RuntimeError)        a framework refused or did not take a seed
    └── LedgerError (RuntimeError)           the run ledger cannot be read or written

Messages are lower-case, state the rule, show the bad value and say where, e.g.
``seedbridge.yaml:7 jobs.train.seed: must be an integer in 0..2147483647 for r, got 3000000000``.
"""

from __future__ import annotations

__all__ = [
    "DerivationError",
    "FrameworkError",
    "LedgerError",
    "ManifestError",
    "MissingDependencyError",
    "Problem",
    "SeedRangeError",
    "SeedbridgeError",
    "SolverError",
    "UnknownJobError",
    "ValidationError",
]


class SeedbridgeError(Exception):
    """Root of every error seedbridge raises on purpose."""


class Problem:
    """One rule broken at one place: ``file:line:column field: message``.

    ``rule`` is the stable id of the rule (``unknown-key``, ``pin-out-of-range``...; docs/manifest.md
    lists them), the same in Python and R; None where a checker has no ids."""

    __slots__ = ("column", "field", "file", "line", "message", "rule")

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        rule: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.rule = rule

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        parts = [p for p in (where, self.field) if p]
        prefix = " ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class ValidationError(SeedbridgeError, ValueError):
    """Every problem found in one input, reported together (one per line)."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("a ValidationError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ManifestError(ValidationError):
    """The manifest file breaks a schema rule."""


class SolverError(ValidationError):
    """A Caffe solver file breaks a SolverParameter rule."""


class DerivationError(SeedbridgeError, ValueError):
    """An input to the derivation is not valid (key value, bits, root)."""


class SeedRangeError(SeedbridgeError, ValueError):
    """A seed lies outside the range a framework accepts; seedbridge never clamps it."""


class UnknownJobError(SeedbridgeError, LookupError):
    """The manifest declares no job of that name."""

    def __init__(self, message: str, *, job: str, suggestions: list[str]) -> None:
        super().__init__(message)
        self.job = job
        self.suggestions = suggestions


class MissingDependencyError(SeedbridgeError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class FrameworkError(SeedbridgeError, RuntimeError):
    """A framework refused a seed, or reading it back showed it did not take effect."""


class LedgerError(SeedbridgeError, RuntimeError):
    """The run ledger cannot be opened, migrated, read or written."""
