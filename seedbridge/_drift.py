"""Drift: what changed in the environment between a recorded run and now (framework versions, system).

``rerun`` prints it before replaying a run and puts it first among the likely causes when the outputs
differ; ``doctor`` compares with a job's last successful run. The items are a record's ``versions``
and ``system`` entries (docs/ledger.md); an item the recorded run did not capture at all (a record made
before seedbridge recorded the system) is not drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Drift", "drift", "format_table", "shown_value"]

# Recorded by seedbridge before its system capture; the system's os/kernel/machine replace it.
_RETIRED = frozenset({"platform"})


@dataclass(frozen=True)
class Drift:
    item: str
    recorded: str | None
    now: str | None

    def __str__(self) -> str:
        return f"{self.item}: {shown_value(self.item, self.recorded)} recorded, {shown_value(self.item, self.now)} now"


def shown_value(item: str, value: str | None) -> str:
    """A value for a table: an environment variable that is not set shows as ``(unset)``."""
    if value is None:
        return "(unset)" if item.isupper() else "(none)"
    return value


def _changes(recorded: Mapping[str, str | None], now: Mapping[str, str | None]) -> list[Drift]:
    if not recorded:  # not captured when the run was recorded
        return []
    out = []
    for item in [*recorded, *(k for k in now if k not in recorded)]:
        if item in _RETIRED:
            continue
        before, after = recorded.get(item), now.get(item)
        if before != after:
            out.append(Drift(item, before, after))
    return out


def drift(recorded_versions: Mapping[str, str], recorded_system: Mapping[str, str | None],
          versions: Mapping[str, str], system: Mapping[str, str | None]) -> list[Drift]:
    """Every item whose value differs between the recorded run and now: versions first, then the system."""
    return _changes(recorded_versions, versions) + _changes(recorded_system, system)


def format_table(items: list[Drift], *, indent: str = "  ") -> list[str]:
    """``item  recorded  now`` lines with a header, aligned, for a terminal."""
    from seedbridge._text import printable

    rows = [("ITEM", "RECORDED", "NOW")] + [
        (printable(d.item), printable(shown_value(d.item, d.recorded)), printable(shown_value(d.item, d.now)))
        for d in items]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
