"""The run record, its identity (run id, fingerprint, time stamps) and the rules every stored value obeys.

The rules are checked before anything is written, by ``Ledger.insert`` and by ``import`` alike, so both
backends hold the same values and a record that one of them would refuse (a NUL in a string for
PostgreSQL, a lone surrogate for SQLite's UTF-8, an integer past 64 bits) is refused by seedbridge first,
with the field it is in.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from seedbridge._text import printable
from seedbridge.errors import Problem

__all__ = ["STATUSES", "RunRecord", "check_metrics", "fingerprint", "new_run_id", "record_problems", "utc_now"]

# started: the command is running, or seedbridge died before it could record the end.
STATUSES = ("started", "succeeded", "failed")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> str:
    """Now as ISO 8601 UTC with microseconds: ``2025-11-26T08:01:02.123456Z``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(TIME_FORMAT)


def new_run_id() -> str:
    """A run id that sorts by start time and is unique without coordination:
    UTC time to the millisecond, then 40 random bits (``20251126T080102123Z-9f3a1c2e7b``)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z-" + os.urandom(5).hex()


def fingerprint(*, job: str, keys: Mapping[str, str], seed: int | None, code_version: str | None,
                inputs: Mapping[str, str | None], params: Mapping[str, str], command: Iterable[str]) -> str | None:
    """What makes two runs the same experiment: job, keys, seed, code version, input digests, parameters
    and command. None when the code version is unknown (no git), since sameness cannot be shown then."""
    if code_version is None:
        return None
    data = {"job": job, "keys": dict(keys), "seed": seed, "code_version": code_version,
            "inputs": sorted((inputs or {}).values(), key=str), "params": dict(params), "command": list(command)}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunRecord:
    """One run as the ledger holds it (docs/ledger.md lists every field)."""

    run_id: str
    job: str
    command: list[str]
    started_at: str
    keys: dict[str, str] = field(default_factory=dict)
    seeds: dict[str, int] = field(default_factory=dict)
    derivation: int | None = None
    profile: str | None = None
    manifest_path: str | None = None
    manifest_digest: str | None = None
    root_source: str | None = None
    cwd: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    git_commit: str | None = None
    git_dirty: bool | None = None
    code_version: str | None = None
    inputs: dict[str, str | None] = field(default_factory=dict)
    outputs: dict[str, str | None] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    host: str | None = None
    pid: int | None = None
    ended_at: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    status: str = "started"
    duplicate_of: str | None = None
    deliberate: bool = False
    rerun_of: str | None = None
    warnings: list[str] = field(default_factory=list)
    fingerprint: str | None = None
    # What the run ran on: OS, kernel, CPU, BLAS, CUDA, and the variables that change numerical results.
    system: dict[str, str | None] = field(default_factory=dict)
    sweep_id: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def seed(self) -> int | None:
        return self.seeds.get("seed")


COLUMNS = tuple(f.name for f in fields(RunRecord))
JSON_FIELDS = frozenset({"command", "keys", "seeds", "environment", "inputs", "outputs", "params", "versions",
                         "warnings", "system", "metrics"})
BOOL_FIELDS = frozenset({"git_dirty", "deliberate"})
REQUIRED = ("run_id", "job", "command", "started_at", "status")

# -- the rules ----------------------------------------------------------------------------------

# A run id as seedbridge makes them, and whatever else fits in a file name and a shell word.
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_TEXT = 64 * 1024  # characters in one string (a command argument, a warning, a path)
MAX_ITEMS = 10_000  # entries of one list or mapping
INT64 = (-(2**63), 2**63 - 1)
_INT_RANGES = {"derivation": (1, 2**31 - 1), "pid": (0, 2**31 - 1), "exit_code": (0, 255), "signal": (1, 255)}
# Seeds are the job's audit-trail seed (a pin may be up to 128 bits wide) and PYTHONHASHSEED.
SEED_RANGE = (0, 2**128 - 1)

_SCALAR_TEXT = ("job", "profile", "manifest_path", "root_source", "cwd", "git_commit", "code_version", "host")
_TEXT_MAPS = ("keys", "environment", "params", "versions")


def _text_problem(value: object, *, optional: bool = False) -> str | None:
    """Why ``value`` is not storable text (None when it is)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        return f"must be a string, got {_shown(value)}"
    if len(value) > MAX_TEXT:
        return f"must be at most {MAX_TEXT} characters, got {len(value)}"
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (it holds a lone surrogate)"
    return None


def _shown(value: object) -> str:
    """A short description of a bad value for a message: its type, and the value when it is small."""
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)
    if isinstance(value, (bool, int, float)) and len(repr(value)) <= 40:
        return f"{kind} {value!r}"
    if isinstance(value, str):
        return f"{kind} {value[:40]!r}" + ("..." if len(value) > 40 else "")
    return kind


def _time_problem(value: object, *, optional: bool) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        return f"must be a UTC time such as 2025-11-26T08:01:02.123456Z, got {_shown(value)}"
    try:
        datetime.datetime.strptime(value, TIME_FORMAT)
    except ValueError:
        return f"must be a UTC time such as 2025-11-26T08:01:02.123456Z, got {_shown(value)}"
    return None


def _int_problem(value: object, lo: int, hi: int, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        return f"must be an integer in {lo}..{hi}, got {_shown(value)}"
    if not lo <= value <= hi:
        return f"must be an integer in {lo}..{hi}, got {value if len(str(value)) <= 40 else 'a larger one'}"
    return None


def _id_problem(value: object, *, optional: bool) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not RUN_ID.fullmatch(value):
        return ("must be a run id: 1 to 128 of A-Z a-z 0-9 . _ : - (starting with a letter or digit), got "
                + _shown(value))
    return None


def _digest_problem(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not SHA256.fullmatch(value):
        return f"must be a SHA-256 digest (64 lower-case hex digits) or null, got {_shown(value)}"
    return None


def _mapping_problems(name: str, value: object, check_value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return [(name, f"must be an object, got {_shown(value)}")]
    if len(value) > MAX_ITEMS:
        return [(name, f"must have at most {MAX_ITEMS} entries, got {len(value)}")]
    out: list[tuple[str, str]] = []
    for key, item in value.items():
        where = f"{name}.{printable(key[:60])}" if isinstance(key, str) else name
        why = _text_problem(key)
        if why:
            out.append((where, f"names: {why}"))
            continue
        why = check_value(item)
        if why:
            out.append((where, why))
    return out


def check_metrics(metrics: object, *, name: str = "metrics") -> list[tuple[str, str]]:
    """(field, problem) for each entry of ``metrics`` that is not a finite JSON number or null."""

    def value(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return f"must be a number or null, got {_shown(v)}"
        if isinstance(v, float) and not math.isfinite(v):
            return f"must be a finite number or null (JSON has no NaN or infinity), got {v!r}"
        if isinstance(v, int) and not INT64[0] <= v <= INT64[1]:
            return "must be an integer that fits in 64 bits (or a float), got a larger one"
        return None

    return _mapping_problems(name, metrics, value)


def _problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, problem) for every value of ``data`` (a record as a mapping) that breaks a rule."""
    out: list[tuple[str, str]] = []

    def add(name: str, why: str | None) -> None:
        if why:
            out.append((name, why))

    get = data.get
    add("run_id", _id_problem(get("run_id"), optional=False))
    add("job", _text_problem(get("job")))
    for name in _SCALAR_TEXT[1:]:
        add(name, _text_problem(get(name), optional=True))
    add("started_at", _time_problem(get("started_at"), optional=False))
    add("ended_at", _time_problem(get("ended_at"), optional=True))
    status = get("status")
    if status not in STATUSES:
        add("status", f"must be one of {', '.join(STATUSES)}, got {_shown(status)}")
    for name, (lo, hi) in _INT_RANGES.items():
        add(name, _int_problem(get(name), lo, hi))
    for name in ("duplicate_of", "rerun_of", "sweep_id"):
        add(name, _id_problem(get(name), optional=True))
    for name in ("manifest_digest", "fingerprint"):
        add(name, _digest_problem(get(name)))
    for name in BOOL_FIELDS:
        value = get(name)
        if not isinstance(value, bool) and not (value is None and name == "git_dirty"):
            add(name, f"must be true or false{' or null' if name == 'git_dirty' else ''}, got {_shown(value)}")
    command = get("command")
    if not isinstance(command, list) or not command:
        add("command", f"must be a non-empty list of strings, got {_shown(command)}")
    elif len(command) > MAX_ITEMS:
        add("command", f"must have at most {MAX_ITEMS} arguments, got {len(command)}")
    else:
        for i, arg in enumerate(command):
            add(f"command[{i}]", _text_problem(arg))
    warnings = get("warnings", [])
    if not isinstance(warnings, list) or len(warnings) > MAX_ITEMS:
        add("warnings", f"must be a list of at most {MAX_ITEMS} strings, got {_shown(warnings)}")
    else:
        for i, w in enumerate(warnings):
            add(f"warnings[{i}]", _text_problem(w))
    for name in _TEXT_MAPS:
        out += _mapping_problems(name, get(name, {}), _text_problem)
    out += _mapping_problems("system", get("system", {}), lambda v: _text_problem(v, optional=True))
    for name in ("inputs", "outputs"):
        out += _mapping_problems(name, get(name, {}), _digest_problem)
    out += _mapping_problems("seeds", get("seeds", {}), lambda v: _int_problem(v, *SEED_RANGE, optional=False))
    out += check_metrics(get("metrics", {}))
    return out


def record_problems(data: Mapping[str, Any], *, where: str = "", source: str | None = None) -> list[Problem]:
    """Every rule ``data`` (a record as a mapping, e.g. one run of an export) breaks, as Problems whose
    field is ``where`` + the field path."""
    prefix = f"{where}." if where else ""
    return [Problem(why, file=source, field=prefix + name) for name, why in _problems(data)]
