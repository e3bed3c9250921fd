"""The run ledger: one SQLite file that records every ``seedbridge run`` (docs/ledger.md).

The ledger lives at ``$SEEDBRIDGE_LEDGER``, else ``.seedbridge/ledger.sqlite`` beside the manifest.
It is opened in WAL mode, so readers never block the writer; every write is one short
``BEGIN IMMEDIATE`` transaction, retried on SQLITE_BUSY, so any number of concurrent runs each get
their complete record. A run is inserted as ``started`` before its command starts and updated when
it ends: a seedbridge that is killed in between leaves a ``started`` row, never a torn file (SQLite
commits are atomic).

The schema carries its own version (table ``seedbridge_schema``, one row per applied migration);
``MIGRATIONS`` upgrades an older file in order, inside one transaction, and a file newer than this
seedbridge understands is refused rather than guessed at. ``sqlite3`` is imported when a ledger is
opened, never at ``import seedbridge``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

from seedbridge.errors import LedgerError, Problem, ValidationError

if TYPE_CHECKING:
    import sqlite3

__all__ = [
    "EXPORT_FORMAT",
    "LEDGER_ENV",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STATUSES",
    "ImportResult",
    "Ledger",
    "RunRecord",
    "default_path",
    "dumps_export",
    "fingerprint",
    "loads_export",
    "new_run_id",
    "read_run",
    "read_runs",
    "utc_now",
]

LEDGER_ENV = "SEEDBRIDGE_LEDGER"
LEDGER_DIR = ".seedbridge"
LEDGER_FILE = "ledger.sqlite"
# Version of the JSON that `seedbridge export` writes and `seedbridge import` reads.
EXPORT_FORMAT = 1
# started: the command is running, or seedbridge died before it could record the end.
STATUSES = ("started", "succeeded", "failed")

T = TypeVar("T")


def default_path(manifest_path: str | os.PathLike[str] | None = None) -> str:
    """``$SEEDBRIDGE_LEDGER``, else ``.seedbridge/ledger.sqlite`` in the manifest's folder."""
    env = os.environ.get(LEDGER_ENV)
    if env:
        return env
    folder = os.path.dirname(os.path.abspath(os.fspath(manifest_path))) if manifest_path else os.getcwd()
    return os.path.join(folder, LEDGER_DIR, LEDGER_FILE)


def utc_now() -> str:
    """Now as ISO 8601 UTC with microseconds: ``2025-11-26T08:01:02.123456Z``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id() -> str:
    """A run id that sorts by start time and is unique without coordination:
    UTC time to the millisecond, then 40 random bits (``20251126T080102123Z-9f3a1c2e7b``)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z-" + os.urandom(5).hex()


def fingerprint(*, job: str, keys: Mapping[str, str], seed: int, code_version: str | None,
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
    sweep_id: str | None = None  # the sweep this run is a replicate of (docs/sweeps.md)
    metrics: dict[str, Any] = field(default_factory=dict)  # metric name -> value read from the run's files

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def seed(self) -> int | None:
        return self.seeds.get("seed")


_JSON_FIELDS = frozenset({"command", "keys", "seeds", "environment", "inputs", "outputs", "params", "versions",
                          "warnings", "metrics"})
_BOOL_FIELDS = frozenset({"git_dirty", "deliberate"})
_COLUMNS = tuple(f.name for f in fields(RunRecord))

# -- schema -------------------------------------------------------------------------------------

_V1_RUNS = """
CREATE TABLE runs (
    run_id          TEXT PRIMARY KEY,
    job             TEXT NOT NULL,
    keys            TEXT NOT NULL DEFAULT '{}',
    seeds           TEXT NOT NULL DEFAULT '{}',
    derivation      INTEGER,
    profile         TEXT,
    manifest_path   TEXT,
    manifest_digest TEXT,
    root_source     TEXT,
    command         TEXT NOT NULL,
    cwd             TEXT,
    environment     TEXT NOT NULL DEFAULT '{}',
    git_commit      TEXT,
    git_dirty       INTEGER,
    code_version    TEXT,
    inputs          TEXT NOT NULL DEFAULT '{}',
    outputs         TEXT NOT NULL DEFAULT '{}',
    params          TEXT NOT NULL DEFAULT '{}',
    versions        TEXT NOT NULL DEFAULT '{}',
    host            TEXT,
    pid             INTEGER,
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    exit_code       INTEGER,
    signal          INTEGER,
    status          TEXT NOT NULL CHECK (status IN ('started', 'succeeded', 'failed')),
    duplicate_of    TEXT,
    deliberate      INTEGER NOT NULL DEFAULT 0,
    rerun_of        TEXT,
    warnings        TEXT NOT NULL DEFAULT '[]'
)
"""


def _backfill_fingerprints(conn: sqlite3.Connection) -> None:
    rows = conn.execute("SELECT run_id, job, keys, seeds, code_version, inputs, params, command FROM runs").fetchall()
    for run_id, job, keys, seeds, code_version, inputs, params, command in rows:
        fp = fingerprint(job=job, keys=json.loads(keys), seed=json.loads(seeds).get("seed"),
                         code_version=code_version, inputs=json.loads(inputs), params=json.loads(params),
                         command=json.loads(command))
        conn.execute("UPDATE runs SET fingerprint = ? WHERE run_id = ?", (fp, run_id))


# (version, what it does, SQL statements, optional Python step run after them). Append only: a
# released migration never changes, so every older ledger file upgrades along the same path.
Migration = tuple[int, str, tuple[str, ...], "Callable[[sqlite3.Connection], None] | None"]
MIGRATIONS: tuple[Migration, ...] = (
    (1, "runs table", (_V1_RUNS,), None),
    (2, "duplicate-run fingerprint and lookup indexes", (
        "ALTER TABLE runs ADD COLUMN fingerprint TEXT",
        "CREATE INDEX runs_job_started ON runs (job, started_at)",
        "CREATE INDEX runs_fingerprint ON runs (fingerprint, status)",
    ), _backfill_fingerprints),
    (3, "sweep id and metrics of sweep replicates", (
        "ALTER TABLE runs ADD COLUMN sweep_id TEXT",
        "ALTER TABLE runs ADD COLUMN metrics TEXT NOT NULL DEFAULT '{}'",
        "CREATE INDEX runs_sweep ON runs (sweep_id)",
    ), None),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _is_busy(exc: BaseException) -> bool:
    import sqlite3

    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF in (5, 6))  # SQLITE_BUSY, SQLITE_LOCKED (extended codes keep them in the low byte)
    text = str(exc)
    return "locked" in text or "busy" in text


class Ledger:
    """An open ledger file. Use as a context manager, or call ``close()``."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 60.0,
                 _target_version: int = SCHEMA_VERSION) -> None:
        import sqlite3

        self.path = os.fspath(path)
        self.timeout = timeout
        folder = os.path.dirname(os.path.abspath(self.path))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise LedgerError(f"{self.path}: cannot create the ledger folder: {exc.strerror}") from None
        try:
            # isolation_level=None: no implicit transactions; every write is an explicit BEGIN IMMEDIATE.
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise LedgerError(f"{self.path}: cannot open the ledger: {exc}") from None
        try:
            self._retry(lambda: self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}"))
            mode = self._retry(lambda: self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            if str(mode).lower() != "wal":
                raise LedgerError(f"{self.path}: the ledger needs WAL journal mode, the file system gave {mode!r}")
            # In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits.
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate(_target_version)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise LedgerError(f"{self.path}: not a usable seedbridge ledger: {exc}") from None
        except BaseException:
            self._conn.close()
            raise

    # -- plumbing -----------------------------------------------------------------------------

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def _retry(self, action: Callable[[], T]) -> T:
        """Run ``action``; on SQLITE_BUSY (beyond busy_timeout) wait with jittered backoff and try again."""
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        while True:
            try:
                return action()
            except Exception as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    if _is_busy(exc):
                        raise LedgerError(f"{self.path}: the ledger stayed locked for {self.timeout:g} s") from None
                    raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.2)

    def _transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """``body`` inside one BEGIN IMMEDIATE transaction (the write lock taken up front, so it cannot
        fail half-way on a lock upgrade), retried as a whole when the database is busy."""
        conn = self._conn

        def attempt() -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = body(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        return self._retry(attempt)

    def _migrate(self, target: int) -> None:
        def body(conn: sqlite3.Connection) -> None:
            conn.execute("CREATE TABLE IF NOT EXISTS seedbridge_schema ("
                         "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)")
            current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM seedbridge_schema").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise LedgerError(f"{self.path}: ledger schema version {current} is newer than this seedbridge "
                                  f"reads (up to {SCHEMA_VERSION}); upgrade seedbridge")
            for version, description, statements, step in MIGRATIONS:
                if current < version <= target:
                    for sql in statements:
                        conn.execute(sql)
                    if step is not None:
                        step(conn)
                    conn.execute("INSERT INTO seedbridge_schema VALUES (?, ?, ?)", (version, description, utc_now()))

        self._transaction(body)

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM seedbridge_schema").fetchone()[0])

    # -- rows ---------------------------------------------------------------------------------

    def _columns(self) -> tuple[str, ...]:
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(runs)")}
        return tuple(c for c in _COLUMNS if c in have)

    @staticmethod
    def _to_row(record: RunRecord, columns: tuple[str, ...]) -> list[Any]:
        row: list[Any] = []
        for name in columns:
            value = getattr(record, name)
            if name in _JSON_FIELDS:
                value = json.dumps(value, ensure_ascii=False, sort_keys=name != "command")
            elif name in _BOOL_FIELDS and value is not None:
                value = int(value)
            row.append(value)
        return row

    @staticmethod
    def _from_row(columns: Iterable[str], row: Iterable[Any]) -> RunRecord:
        data: dict[str, Any] = {}
        for name, value in zip(columns, row, strict=False):
            if name in _JSON_FIELDS:
                value = json.loads(value)
            elif name in _BOOL_FIELDS and value is not None:
                value = bool(value)
            data[name] = value
        return RunRecord(**data)

    def insert(self, record: RunRecord) -> None:
        """Add ``record`` in its own transaction; a run id already present is an error."""
        import sqlite3

        columns = self._columns()
        sql = f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        row = self._to_row(record, columns)
        try:
            self._transaction(lambda conn: conn.execute(sql, row))
        except sqlite3.IntegrityError as exc:
            raise LedgerError(f"{self.path}: cannot record run {record.run_id}: {exc}") from None

    def finish(self, run_id: str, *, ended_at: str, exit_code: int | None, signal: int | None, status: str,
               outputs: Mapping[str, str | None], warnings: Iterable[str] = ()) -> None:
        """Record how a started run ended."""
        if status not in STATUSES:
            raise LedgerError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")

        def body(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT warnings FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise LedgerError(f"{self.path}: no run {run_id!r} to finish")
            merged = json.loads(row[0]) + [w for w in warnings]
            conn.execute(
                "UPDATE runs SET ended_at = ?, exit_code = ?, signal = ?, status = ?, outputs = ?, warnings = ? "
                "WHERE run_id = ?",
                (ended_at, exit_code, signal, status, json.dumps(dict(outputs), ensure_ascii=False, sort_keys=True),
                 json.dumps(merged, ensure_ascii=False), run_id))

        self._transaction(body)

    def get(self, run_id: str) -> RunRecord:
        """The run ``run_id``, or the one run whose id starts with it."""
        columns = self._columns()
        select = f"SELECT {', '.join(columns)} FROM runs"
        row = self._conn.execute(f"{select} WHERE run_id = ?", (run_id,)).fetchone()
        if row is not None:
            return self._from_row(columns, row)
        if run_id and all(c.isalnum() or c == "-" for c in run_id):
            rows = self._conn.execute(f"{select} WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT 6",
                                      (run_id, run_id + "\U0010ffff")).fetchall()
            if len(rows) == 1:
                return self._from_row(columns, rows[0])
            if rows:
                shown = ", ".join(r[0] for r in rows[:5])
                raise LedgerError(f"run id prefix {run_id!r} matches several runs ({shown}); give more of it")
        raise LedgerError(f"no run {run_id!r} in the ledger {self.path} (list them with `seedbridge history`)")

    def runs(self, job: str | None = None, sweep_id: str | None = None) -> list[RunRecord]:
        """Every run (of ``job``, of sweep ``sweep_id``), oldest first."""
        columns = self._columns()
        where = [(name, value) for name, value in (("job", job), ("sweep_id", sweep_id)) if value is not None]
        sql = f"SELECT {', '.join(columns)} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(f"{name} = ?" for name, _ in where)
        cursor = self._conn.execute(sql + " ORDER BY run_id", [value for _, value in where])
        return [self._from_row(columns, row) for row in cursor]

    def set_metrics(self, run_id: str, metrics: Mapping[str, Any]) -> None:
        """Replace the metrics recorded for run ``run_id`` (a sweep's replicates)."""
        text = json.dumps(dict(metrics), ensure_ascii=False, sort_keys=True)

        def body(conn: sqlite3.Connection) -> None:
            if conn.execute("UPDATE runs SET metrics = ? WHERE run_id = ?", (text, run_id)).rowcount != 1:
                raise LedgerError(f"{self.path}: no run {run_id!r} to set metrics of")

        self._transaction(body)

    def find_duplicate(self, fp: str | None, *, before: str) -> str | None:
        """The latest successful run before run id ``before`` with fingerprint ``fp``."""
        if fp is None:
            return None
        row = self._conn.execute(
            "SELECT run_id FROM runs WHERE fingerprint = ? AND status = 'succeeded' AND run_id < ? "
            "ORDER BY run_id DESC LIMIT 1", (fp, before)).fetchone()
        return None if row is None else str(row[0])

    def import_records(self, records: Iterable[RunRecord]) -> ImportResult:
        """Add runs from an export. A run already present unchanged is skipped; one present with other
        content is left as it is and reported as a conflict."""
        records = list(records)
        columns = self._columns()
        select = f"SELECT {', '.join(columns)} FROM runs WHERE run_id = ?"
        insert = f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        result = ImportResult()

        def body(conn: sqlite3.Connection) -> None:
            result.added.clear()
            result.unchanged.clear()
            result.conflicts.clear()
            for record in records:
                row = conn.execute(select, (record.run_id,)).fetchone()
                if row is None:
                    conn.execute(insert, self._to_row(record, columns))
                    result.added.append(record.run_id)
                elif self._from_row(columns, row) == record:
                    result.unchanged.append(record.run_id)
                else:
                    result.conflicts.append(record.run_id)

        self._transaction(body)
        return result

    def integrity(self) -> str:
        """SQLite's own check of the file: ``ok`` or the problems it found."""
        return "\n".join(str(r[0]) for r in self._conn.execute("PRAGMA integrity_check"))


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


@contextmanager
def opened(path: str | os.PathLike[str] | None = None, *, manifest_path: str | None = None) -> Iterator[Ledger]:
    """The ledger at ``path`` (default: ``default_path(manifest_path)``), closed afterwards."""
    ledger = Ledger(path if path is not None else default_path(manifest_path))
    try:
        yield ledger
    finally:
        ledger.close()


def read_runs(path: str | os.PathLike[str], *, job: str | None = None) -> list[RunRecord]:
    """Every run in the ledger at ``path`` (of ``job``); none when the file does not exist yet."""
    if not os.path.exists(path):
        return []
    with Ledger(path) as book:
        return book.runs(job=job)


def read_run(path: str | os.PathLike[str], run_id: str) -> RunRecord:
    """One run of the ledger at ``path`` (a unique prefix of its id will do)."""
    if not os.path.exists(path):
        raise LedgerError(f"no ledger at {os.fspath(path)}; runs are recorded there by `seedbridge run` "
                          f"(or name another with --ledger or ${LEDGER_ENV})")
    with Ledger(path) as book:
        return book.get(run_id)


# -- export / import ----------------------------------------------------------------------------


def dumps_export(records: Iterable[RunRecord]) -> str:
    """The export document: ``{"seedbridge_ledger_export": 1, "schema": N, "exported_at": ..., "runs": [...]}``."""
    doc = {"seedbridge_ledger_export": EXPORT_FORMAT, "schema": SCHEMA_VERSION, "exported_at": utc_now(),
           "runs": [r.to_dict() for r in records]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


_TYPES: dict[str, tuple[type, ...]] = {
    "run_id": (str,), "job": (str,), "command": (list,), "started_at": (str,), "keys": (dict,), "seeds": (dict,),
    "environment": (dict,), "inputs": (dict,), "outputs": (dict,), "params": (dict,), "versions": (dict,),
    "warnings": (list,), "derivation": (int,), "exit_code": (int,), "signal": (int,), "pid": (int,),
    "git_dirty": (bool,), "deliberate": (bool,), "status": (str,), "metrics": (dict,),
}
_REQUIRED = ("run_id", "job", "command", "started_at", "status")


def loads_export(text: str, *, source: str = "<export>") -> list[RunRecord]:
    """Parse an export document; every problem is reported together, each with its field path."""
    problems: list[Problem] = []
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError([Problem(f"malformed JSON: {exc.msg}", file=source, line=exc.lineno)]) from None
    if not isinstance(doc, dict) or "runs" not in doc:
        raise ValidationError([Problem("must be a seedbridge ledger export: an object with a \"runs\" list",
                                       file=source)])
    version = doc.get("seedbridge_ledger_export")
    if version != EXPORT_FORMAT:
        problems.append(Problem(f"export format must be {EXPORT_FORMAT}, got {version!r}", file=source,
                                field="seedbridge_ledger_export"))
    runs = doc["runs"]
    if not isinstance(runs, list):
        raise ValidationError([*problems, Problem("must be a list", file=source, field="runs")])
    records: list[RunRecord] = []
    known = set(_COLUMNS)
    for i, item in enumerate(runs):
        where = f"runs[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem("must be an object", file=source, field=where))
            continue
        before = len(problems)
        for name in _REQUIRED:
            if item.get(name) is None:
                problems.append(Problem("required field is missing", file=source, field=f"{where}.{name}"))
        for name, value in item.items():
            if name not in known:
                problems.append(Problem(f"unknown field; known fields: {', '.join(sorted(known))}", file=source,
                                        field=f"{where}.{name}"))
                continue
            allowed = _TYPES.get(name, (str,))
            ok = value is None or (isinstance(value, allowed) and not (bool not in allowed and isinstance(value, bool)))
            if not ok:
                problems.append(Problem(f"must be {' or '.join(t.__name__ for t in allowed)}, got {value!r}",
                                        file=source, field=f"{where}.{name}"))
        if item.get("status") not in (None, *STATUSES):
            problems.append(Problem(f"must be one of {', '.join(STATUSES)}, got {item['status']!r}", file=source,
                                    field=f"{where}.status"))
        if len(problems) == before:
            clean = {k: v for k, v in item.items() if v is not None or k not in _TYPES or _TYPES[k] == (str,)}
            records.append(RunRecord(**clean))
    if problems:
        raise ValidationError(problems)
    return records
