"""``--metric NAME=FILE:PATH``: one number per replicate, read from a file the command wrote.

The syntax (docs/sweeps.md, "Metrics"):

* FILE is everything before the last colon, relative to the replicate's folder; its suffix says how it is
  read: ``.json``, or ``.csv`` / ``.tsv`` (a header row, then data rows).
* JSON PATH: keys joined by dots, list indexes in brackets, negative from the end:
  ``val_accuracy[-1]``, ``test.f1``, ``runs[0].loss``; a key with dots or brackets in it is quoted:
  ``["val.acc"][-1]``.
* CSV PATH: a column name, optionally with a data row index: ``accuracy`` is the last data row,
  ``accuracy[3]`` the fourth (0-based, negative from the end, as for JSON). Blank lines are skipped.

The value must be a finite number: a JSON number (not a boolean, not a string), or a CSV cell that
parses as one. Anything else is a reason the metric is missing for that replicate, never a guess.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from dataclasses import dataclass

from seedbridge._files import MiB, Refused, read_regular
from seedbridge.errors import Problem

__all__ = ["MAX_METRIC_FILE", "MetricSpec", "Missing", "parse_metric", "read_metric"]

# A metrics file is small; this bound keeps a runaway log named as one from filling memory.
MAX_METRIC_FILE = 64 * MiB
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_SUFFIXES = {".json": "json", ".csv": "csv", ".tsv": "tsv"}
# One step of a JSON path: .name | name (at the start) | [int] | ["text"]
_STEP = re.compile(r'\[(-?\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.\[\]"]+)')
_CSV_PATH = re.compile(r"(?P<column>.+?)(?:\[(?P<row>-?\d+)\])?\Z", re.S)


class Missing(Exception):
    """The metric could not be read for one replicate; ``str()`` says why (lower-case)."""


@dataclass(frozen=True)
class MetricSpec:
    name: str
    file: str  # relative to the replicate's folder
    path: str
    kind: str  # json, csv or tsv
    steps: tuple[str | int, ...]  # JSON: keys and indexes; CSV: (column,) or (column, row)

    def __str__(self) -> str:
        return f"{self.name}={self.file}:{self.path}"

    @property
    def source(self) -> str:
        return f"{self.file}:{self.path}"


def _json_steps(path: str) -> tuple[str | int, ...] | None:
    steps: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None or (m.group(3) is not None and pos > 0 and not path.startswith(".", pos)):
            return None
        if m.group(1) is not None:
            steps.append(int(m.group(1)))
        elif m.group(2) is not None:
            try:
                steps.append(json.loads(f'"{m.group(2)}"'))
            except ValueError:  # a bad escape such as \q
                return None
        else:
            steps.append(m.group(3))
        pos = m.end()
    return tuple(steps) if steps else None


def parse_metric(text: str, *, field: str = "--metric") -> MetricSpec | Problem:
    """``NAME=FILE:PATH`` as a MetricSpec, or the Problem that says what is wrong with it."""
    example = "such as acc=history.json:val_accuracy[-1] or f1=metrics.csv:f1"
    name, eq, rest = text.partition("=")
    file, colon, path = rest.rpartition(":")
    if not eq or not colon or not name or not file or not path:
        return Problem(f"must be NAME=FILE:PATH {example}, got {text!r}", field=field)
    if not _NAME.match(name):
        return Problem(f"name must be letters, digits, _ . - (starting with a letter or _), got {name!r}",
                       field=field)
    if os.path.isabs(file) or ".." in file.replace("\\", "/").split("/"):
        return Problem(f"the file must be a path inside the replicate's folder (relative, without ..), "
                       f"got {file!r}", field=field)
    kind = _SUFFIXES.get(os.path.splitext(file)[1].lower())
    if kind is None:
        return Problem(f"the file must end in .json, .csv or .tsv, got {file!r}", field=field)
    steps: tuple[str | int, ...] | None
    if kind == "json":
        steps = _json_steps(path)
        if steps is None:
            return Problem(f"JSON path must be keys joined by dots with [index] or [\"key\"] steps, such as "
                           f"val_accuracy[-1] or test.f1, got {path!r}", field=field)
    else:
        m = _CSV_PATH.match(path)
        assert m is not None  # the pattern matches any non-empty text
        steps = (m["column"],) if m["row"] is None else (m["column"], int(m["row"]))
    return MetricSpec(name=name, file=os.path.normpath(file), path=path, kind=kind, steps=steps)


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = json.dumps(value)[:60] if not isinstance(value, (dict, list)) else type(value).__name__
        raise Missing(f"{what} is not a number: {shown}")
    try:
        number = float(value)
    except OverflowError:  # a JSON integer beyond a double's range
        number = math.inf
    if not math.isfinite(number):
        raise Missing(f"{what} is not a finite number: {number}")
    return number


def _walk_json(doc: object, spec: MetricSpec) -> float:
    here: object = doc
    where = ""
    for step in spec.steps:
        if isinstance(step, int):
            if not isinstance(here, list):
                raise Missing(f"{where or 'the document'} is not a list, so [{step}] does not apply")
            if not -len(here) <= step < len(here):
                raise Missing(f"{where or 'the document'} has {len(here)} items; [{step}] does not exist")
            here = here[step]
            where += f"[{step}]"
        else:
            if not isinstance(here, dict):
                raise Missing(f"{where or 'the document'} is not an object, so key {step!r} does not apply")
            if step not in here:
                keys = ", ".join(map(repr, list(here)[:8]))
                raise Missing(f"{where or 'the document'} has no key {step!r} (keys: {keys or 'none'})")
            here = here[step]
            where += f".{step}" if where else step
    return _number(here, where)


def _read_table(text: str, spec: MetricSpec) -> float:
    delimiter = "\t" if spec.kind == "tsv" else ","
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
    except csv.Error as exc:
        raise Missing(f"malformed {spec.kind.upper()}: {exc}") from None
    if not rows:
        raise Missing("is empty (a header row is needed)")
    header, data = [c.strip() for c in rows[0]], rows[1:]
    column = str(spec.steps[0])
    if column not in header:
        raise Missing(f"has no column {column!r} (columns: {', '.join(map(repr, header[:12]))})")
    index = int(spec.steps[1]) if len(spec.steps) > 1 else -1
    if not -len(data) <= index < len(data):
        raise Missing(f"has {len(data)} data rows; row [{index}] does not exist")
    row = data[index]
    col = header.index(column)
    cell = row[col].strip() if col < len(row) else ""
    try:
        number = float(cell)
    except ValueError:
        raise Missing(f"{column}[{index}] is not a number: {cell[:40]!r}") from None
    if not math.isfinite(number):
        raise Missing(f"{column}[{index}] is not a finite number: {cell!r}")
    return number


def read_metric(spec: MetricSpec, folder: str) -> float:
    """The metric's value in ``folder``; raises Missing with the reason when there is none."""
    try:
        data = read_regular(os.path.join(folder, spec.file), limit=MAX_METRIC_FILE)
    except Refused as exc:
        raise Missing(f"{spec.file}: {exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Missing(f"{spec.file}: not UTF-8 text") from None
    try:
        if spec.kind == "json":
            try:
                doc = json.loads(text)
            except ValueError as exc:
                raise Missing(f"malformed JSON: {exc}") from None
            except RecursionError:
                raise Missing("malformed JSON: nested too deeply") from None
            return _walk_json(doc, spec)
        return _read_table(text, spec)
    except Missing as exc:
        raise Missing(f"{spec.file}: {exc}") from None
