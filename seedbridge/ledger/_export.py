"""The export document that `seedbridge export` writes and `seedbridge import` reads (docs/ledger.md).

``loads_export`` checks the whole document before any run is handed on: the format and schema numbers,
then every field of every run against the record rules (types, sizes, run id characters, time stamps).
Input that JSON itself chokes on (invalid UTF-8, 100 000 nested lists, a 5000-digit number) is a
ValidationError too, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from seedbridge._text import printable
from seedbridge.errors import Problem, ValidationError
from seedbridge.ledger._record import COLUMNS, REQUIRED, RunRecord, record_problems, utc_now

__all__ = ["EXPORT_FORMAT", "MAX_EXPORT_BYTES", "dumps_export", "loads_export"]

# Version of the JSON that `seedbridge export` writes and `seedbridge import` reads.
EXPORT_FORMAT = 1
# An export is read whole into memory; beyond this it is refused rather than exhausting it.
MAX_EXPORT_BYTES = 512 * 1024 * 1024


def dumps_export(records: Iterable[RunRecord], *, schema: int) -> str:
    """The export document: ``{"seedbridge_ledger_export": 1, "schema": N, "exported_at": ..., "runs": [...]}``."""
    doc = {"seedbridge_ledger_export": EXPORT_FORMAT, "schema": schema, "exported_at": utc_now(),
           "runs": [r.to_dict() for r in records]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def loads_export(data: str | bytes, *, source: str = "<export>", schema: int) -> list[RunRecord]:
    """Parse an export document; every problem is reported together, each with its field path.
    ``schema`` is the newest ledger schema this seedbridge knows: a newer export is refused."""

    def fail(message: str, **where: Any) -> ValidationError:
        return ValidationError([Problem(message, file=source, **where)])

    if isinstance(data, bytes):
        if len(data) > MAX_EXPORT_BYTES:
            raise fail(f"is larger than the limit of {MAX_EXPORT_BYTES // 2**20} MiB for an export")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise fail(f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"malformed JSON: {exc.msg}", line=exc.lineno) from None
    except RecursionError:  # json's C scanner guards its recursion: 100 000 nested lists end here
        raise fail("nests lists or objects too deeply; not a seedbridge ledger export") from None
    except ValueError as exc:  # e.g. an integer longer than Python's 4300-digit limit
        raise fail(f"malformed JSON: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict) or "runs" not in doc:
        raise fail('must be a seedbridge ledger export: an object with a "runs" list')
    problems: list[Problem] = []
    version = doc.get("seedbridge_ledger_export")
    if version != EXPORT_FORMAT or isinstance(version, bool):
        problems.append(Problem(f"export format must be {EXPORT_FORMAT}, got {_short(version)}", file=source,
                                field="seedbridge_ledger_export"))
    doc_schema = doc.get("schema")
    if doc_schema is not None and (not isinstance(doc_schema, int) or isinstance(doc_schema, bool)
                                   or not 1 <= doc_schema <= schema):
        why = (f"is newer than this seedbridge reads (up to {schema}); upgrade seedbridge"
               if isinstance(doc_schema, int) and not isinstance(doc_schema, bool) and doc_schema > schema
               else f"must be a ledger schema version in 1..{schema}, got {_short(doc_schema)}")
        problems.append(Problem(why, file=source, field="schema"))
    runs = doc["runs"]
    if not isinstance(runs, list):
        raise ValidationError([*problems, Problem("must be a list", file=source, field="runs")])
    records: list[RunRecord] = []
    known = set(COLUMNS)
    for i, item in enumerate(runs):
        where = f"runs[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem("must be an object", file=source, field=where))
            continue
        missing = [name for name in REQUIRED if item.get(name) is None]
        unknown = [name for name in item if name not in known]
        mine = [Problem("required field is missing", file=source, field=f"{where}.{name}") for name in missing]
        mine += [Problem(f"unknown field; known fields: {', '.join(sorted(known))}", file=source,
                         field=f"{where}.{printable(name[:60])}") for name in unknown]
        # Fields an older export lacks take their defaults; null stands for "not recorded" too.
        clean = {k: v for k, v in item.items() if k in known and (v is not None or k not in _DEFAULTED)}
        mine += [p for p in record_problems({**_DEFAULTS, **clean}, where=where, source=source)
                 if (p.field or "").removeprefix(f"{where}.") not in missing]
        if mine:
            problems += mine
        else:
            records.append(RunRecord(**clean))
    if problems:
        raise ValidationError(problems)
    return records


_DEFAULTS: dict[str, Any] = {"keys": {}, "seeds": {}, "environment": {}, "inputs": {}, "outputs": {}, "params": {},
                             "versions": {}, "warnings": [], "system": {}, "metrics": {}, "deliberate": False}
_DEFAULTED = frozenset(_DEFAULTS)


def _short(value: object) -> str:
    if isinstance(value, (list, dict)):  # never repr a container: it may nest hundreds deep
        return "a list" if isinstance(value, list) else "an object"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
