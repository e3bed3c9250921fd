"""Comparing two sweeps: is the difference of their means larger than seed noise? (docs/sweeps.md)

A sweep is named by its ``sweep.json`` (or the folder holding it) or by its id in the ledger. The two
are *paired* when their replicates' seeds come from the same base (the same root, or pin, and
derivation version: ``root_digest``) with the same keys apart from ``replicate``: replicate i of A and
replicate i of B then share their seed's contribution, and the paired t interval of the differences
is used. Otherwise the sweeps are compared unpaired, with Welch's interval.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

from seedbridge import ledger as _ledger
from seedbridge._atomic import atomic_write_bytes
from seedbridge._files import MiB, Refused, read_regular
from seedbridge.errors import LedgerError, Problem, ValidationError
from seedbridge.sweeps._engine import REPLICATE_KEY, SWEEP_FORMAT, SweepResult, root_digest
from seedbridge.sweeps._stats import Difference, Summary, difference, summarize

__all__ = ["MetricComparison", "SweepComparison", "SweepData", "compare", "load_sweep"]

SWEEP_FILE = "sweep.json"


@dataclass
class SweepData:
    """What a comparison needs of a sweep, from its sweep.json or from the ledger."""

    sweep_id: str
    job: str
    source: str  # the sweep.json path, or "ledger PATH"
    root_digest: str | None  # None: not known (the manifest the runs used is gone or changed)
    keys: dict[str, str]  # the keys apart from replicate
    metrics: dict[int, dict[str, float]]  # replicate -> metrics, succeeded replicates only
    excluded: dict[int, str] = field(default_factory=dict)  # replicate -> why it is left out
    label: str = ""

    def names(self) -> list[str]:
        return list(dict.fromkeys(n for values in self.metrics.values() for n in values))

    def values(self, metric: str) -> dict[int, float]:
        return {i: v[metric] for i, v in sorted(self.metrics.items()) if metric in v}


def _from_result(result: SweepResult) -> SweepData:
    return SweepData(result.sweep_id, result.job, os.path.join(result.out, SWEEP_FILE), result.root_digest,
                     dict(result.keys),
                     {r.index: dict(r.metrics) for r in result.replicates if r.status == "succeeded"},
                     {r.index: f"failed ({r.error or f'exit {r.exit_code}'})" for r in result.replicates
                      if r.status != "succeeded"})


def _finite(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _from_file(path: str) -> SweepData:
    try:
        doc = json.loads(read_regular(path, limit=256 * MiB).decode("utf-8"))
    except Refused as exc:
        raise ValidationError([Problem(str(exc), file=path)]) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValidationError([Problem(f"not a sweep.json: malformed JSON ({exc})", file=path)]) from None
    if not isinstance(doc, dict) or doc.get("seedbridge_sweep") != SWEEP_FORMAT:
        got = doc.get("seedbridge_sweep") if isinstance(doc, dict) else type(doc).__name__
        raise ValidationError([Problem(f"must be a sweep.json of format {SWEEP_FORMAT} (written by seedbridge sweep), "
                                       f"got seedbridge_sweep={got!r}", file=path, field="seedbridge_sweep")])
    problems: list[Problem] = []
    for name, kind in (("sweep_id", str), ("job", str), ("keys", dict), ("replicates", list)):
        if not isinstance(doc.get(name), kind):
            problems.append(Problem(f"must be {'text' if kind is str else 'an ' + kind.__name__}, got "
                                    f"{doc.get(name)!r}"[:200], file=path, field=name))
    if problems:
        raise ValidationError(problems)
    metrics: dict[int, dict[str, float]] = {}
    excluded: dict[int, str] = {}
    for k, rep in enumerate(doc["replicates"]):
        if not isinstance(rep, dict) or not isinstance(rep.get("replicate"), int) or \
                not isinstance(rep.get("metrics"), dict):
            problems.append(Problem("must be an object with replicate (integer) and metrics (object)", file=path,
                                    field=f"replicates[{k}]"))
            continue
        bad = [n for n, v in rep["metrics"].items() if not _finite(v)]
        if bad:
            problems.append(Problem(f"metrics must be finite numbers, got {bad[0]}={rep['metrics'][bad[0]]!r}"[:200],
                                    file=path,
                                    field=f"replicates[{k}].metrics"))
        elif rep.get("status") == "succeeded":
            metrics[rep["replicate"]] = {n: float(v) for n, v in rep["metrics"].items()}
        else:
            excluded[rep["replicate"]] = f"failed ({rep.get('error') or 'exit ' + str(rep.get('exit_code'))})"
    if problems:
        raise ValidationError(problems)
    digest = doc.get("root_digest")
    return SweepData(doc["sweep_id"], doc["job"], path, digest if isinstance(digest, str) else None,
                     {str(k): str(v) for k, v in doc["keys"].items()}, metrics, excluded)


def _from_ledger(ref: str, ledger_path: str) -> SweepData:
    if not _ledger.is_postgres(ledger_path) and not os.path.exists(ledger_path):
        raise LedgerError(f"no sweep.json at {ref} and no ledger at {ledger_path} to look up a sweep id in")
    with _ledger.Ledger(ledger_path, readonly=True) as book:
        runs = book.runs(sweep_id=ref)
        if not runs:
            ids = sorted({r.sweep_id for r in book.runs() if r.sweep_id and r.sweep_id.startswith(ref)})
            if len(ids) > 1:
                raise LedgerError(f"sweep id prefix {ref!r} matches several sweeps ({', '.join(ids[:5])}); "
                                  "give more of it")
            runs = book.runs(sweep_id=ids[0]) if ids else []
    if not runs:
        raise LedgerError(f"no sweep.json at {ref} and no sweep {ref!r} in the ledger {ledger_path}")
    first = runs[0]
    keys = {k: v for k, v in first.keys.items() if k != REPLICATE_KEY}
    digest = None
    if first.manifest_path and os.path.isfile(first.manifest_path):
        from seedbridge._manifest import load

        try:
            manifest = load(first.manifest_path)
        except ValidationError:
            manifest = None
        if manifest is not None and manifest.digest() == first.manifest_digest and first.job in manifest.jobs:
            digest = root_digest(manifest, first.job)
    metrics: dict[int, dict[str, float]] = {}
    excluded: dict[int, str] = {}
    for r in runs:
        try:
            index = int(r.keys[REPLICATE_KEY])
        except (KeyError, ValueError):  # not a replicate as sweep records it (an edited import, say)
            continue
        if r.status == "succeeded":
            metrics[index] = {n: float(v) for n, v in r.metrics.items() if _finite(v)}
        else:
            excluded[index] = f"{r.status} (exit {r.exit_code})" if r.status == "failed" else "did not finish"
    return SweepData(str(first.sweep_id), first.job, f"ledger {ledger_path}", digest, keys, metrics, excluded)


def load_sweep(ref: str | os.PathLike[str] | SweepResult, *, ledger: str | os.PathLike[str] | None = None,
               manifest_path: str | None = None) -> SweepData:
    """A sweep from a SweepResult, a sweep.json (or its folder), or a sweep id in the ledger."""
    if isinstance(ref, SweepResult):
        return _from_result(ref)
    text = os.fspath(ref)
    path = os.path.join(text, SWEEP_FILE) if os.path.isdir(text) else text
    if os.path.lexists(path):
        return _from_file(path)
    return _from_ledger(text, os.fspath(ledger) if ledger is not None else _ledger.default_path(manifest_path))


@dataclass
class MetricComparison:
    metric: str
    a: Summary
    b: Summary
    difference: Difference
    pairs: list[int]  # replicate indices paired (when paired)
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "a": self.a.to_dict(), "b": self.b.to_dict(), **self.difference.to_dict(),
                "pairs": self.pairs, "notes": self.notes}


@dataclass
class SweepComparison:
    a: SweepData
    b: SweepData
    paired: bool
    pairing: str  # why paired or not, in words
    metrics: list[MetricComparison]
    png: str | None = None

    def to_dict(self) -> dict[str, Any]:
        side = {k: {"sweep_id": s.sweep_id, "job": s.job, "source": s.source, "keys": s.keys,
                    "excluded": {str(i): why for i, why in s.excluded.items()}}
                for k, s in (("a", self.a), ("b", self.b))}
        return {**side, "paired": self.paired, "pairing": self.pairing, "confidence": 0.95,
                "metrics": [m.to_dict() for m in self.metrics], "plot": self.png}


def _pairing(a: SweepData, b: SweepData) -> tuple[bool, str]:
    if a.root_digest is None or b.root_digest is None:
        unknown = a if a.root_digest is None else b
        return False, (f"unpaired: the seed base of {unknown.sweep_id} is unknown (the manifest its runs used is "
                       "gone or has changed)")
    if a.root_digest != b.root_digest:
        return False, "unpaired: the sweeps' seeds derive from different roots (or pins)"
    if a.keys != b.keys:
        return False, f"unpaired: different keys apart from replicate ({a.keys} vs {b.keys})"
    if a.job == b.job:
        return True, "paired: the same job, root and keys, so replicate i of A and of B ran with the same seed"
    return True, ("paired by replicate: the same root and keys (the jobs differ, so the two runs of a pair had "
                  "different seeds)")


def compare(a: str | os.PathLike[str] | SweepResult | SweepData, b: str | os.PathLike[str] | SweepResult | SweepData,
            *, metric: str | None = None, ledger: str | os.PathLike[str] | None = None,
            manifest_path: str | None = None, plot: str | os.PathLike[str] | None = None) -> SweepComparison:
    """Compare sweep ``a`` with sweep ``b`` (mean of A minus mean of B) for ``metric`` (default: every
    metric both have); with ``plot``, write the comparison PNG there."""
    sa, sb = (s if isinstance(s, SweepData) else load_sweep(s, ledger=ledger, manifest_path=manifest_path)
              for s in (a, b))
    same_job = sa.job == sb.job
    sa.label = f"A: {sa.job}" + (f" ({sa.sweep_id[-10:]})" if same_job else "")
    sb.label = f"B: {sb.job}" + (f" ({sb.sweep_id[-10:]})" if same_job else "")
    common = [n for n in sa.names() if n in sb.names()]
    if metric is not None:
        problems = [Problem(f"sweep {s.sweep_id} has no metric {metric!r} (it has: {', '.join(s.names()) or 'none'})",
                            field="--metric") for s in (sa, sb) if metric not in s.names()]
        if problems:
            raise ValidationError(problems)
        common = [metric]
    elif not common:
        raise ValidationError([Problem(
            f"the sweeps share no metric name (A has {', '.join(sa.names()) or 'none'}; B has "
            f"{', '.join(sb.names()) or 'none'}); give the metrics the same NAME when sweeping")])
    paired, why = _pairing(sa, sb)
    results: list[MetricComparison] = []
    for name in common:
        va, vb = sa.values(name), sb.values(name)
        notes: list[str] = []
        pairs: list[int] = []
        if paired:
            pairs = sorted(set(va) & set(vb))
            alone = sorted(set(va) ^ set(vb))
            if alone:
                notes.append(f"replicates {', '.join(map(str, alone))} have {name} in one sweep only: left out "
                             "of the pairs")
            diff = difference([va[i] for i in pairs], [vb[i] for i in pairs], paired=True)
        else:
            diff = difference(list(va.values()), list(vb.values()), paired=False)
        results.append(MetricComparison(name, summarize(list(va.values())), summarize(list(vb.values())), diff,
                                        pairs, notes))
    comparison = SweepComparison(sa, sb, paired, why, results)
    if plot is not None:
        from seedbridge.sweeps._plot import compare_png

        comparison.png = os.fspath(plot)
        atomic_write_bytes(comparison.png, compare_png(comparison))
    return comparison
