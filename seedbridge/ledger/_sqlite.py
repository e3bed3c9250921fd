"""The SQLite backend: one file, WAL mode, BEGIN IMMEDIATE writes retried on SQLITE_BUSY.

Opened in WAL mode, readers never block the writer; every write is one short ``BEGIN IMMEDIATE``
transaction (the write lock taken up front, so it cannot fail half-way on a lock upgrade). SQLite's
busy handler waits up to 250 ms per attempt; past that the attempt is retried with jittered backoff
until the ledger's timeout. A read-only opening (history, show-run, export) changes nothing in the file,
and on a read-only mount, where SQLite cannot create the WAL index, the file is opened immutable.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from seedbridge._files import describe_mode
from seedbridge.errors import LedgerError
from seedbridge.ledger._backend import SCHEMA_VERSION, Backend, Run, retry
from seedbridge.ledger._record import fingerprint, utc_now

__all__ = ["MIGRATIONS", "SQLiteBackend"]

T = TypeVar("T")
# SQLite's own wait for a lock, per attempt; the retry loop around it spreads the rest with jitter.
_BUSY_MS = 250

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
    (3, "what each run ran on (system), sweep id and metrics", (
        "ALTER TABLE runs ADD COLUMN system TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE runs ADD COLUMN sweep_id TEXT",
        "ALTER TABLE runs ADD COLUMN metrics TEXT NOT NULL DEFAULT '{}'",
        "CREATE INDEX runs_sweep ON runs (sweep_id)",
    ), None),
)
assert MIGRATIONS[-1][0] == SCHEMA_VERSION


def _is_busy(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF in (5, 6))  # SQLITE_BUSY, SQLITE_LOCKED (extended codes keep them in the low byte)
    text = str(exc)
    return "locked" in text or "busy" in text


class SQLiteBackend(Backend):
    kind = "sqlite"
    errors = (sqlite3.Error,)
    duplicate = (sqlite3.IntegrityError,)

    def __init__(self, path: str, *, timeout: float, readonly: bool, target_version: int) -> None:
        self.path = self.shown = path
        self.timeout = timeout
        try:
            mode: int | None = os.stat(path).st_mode
        except OSError:
            mode = None  # not there yet (or unreachable): SQLite says what is wrong when it opens it
        if mode is not None and not stat.S_ISREG(mode):
            # A FIFO would block SQLite's read-only open until a writer came; a device is no database either.
            raise LedgerError(f"{path}: the ledger must be a SQLite file, and this is {describe_mode(mode)}")
        if readonly:
            if not os.path.exists(path):
                raise LedgerError(f"no ledger at {path}")
            uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
            # On a read-only mount SQLite cannot create the WAL index (-shm) a WAL file needs, so the file
            # is opened as immutable: nobody can be writing to it there (sqlite.org/wal.html, "read-only").
            if not os.access(os.path.dirname(os.path.abspath(path)), os.W_OK):
                uri += "&immutable=1"
            target = uri
        else:
            folder = os.path.dirname(os.path.abspath(path))
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:
                raise LedgerError(f"{path}: cannot create the ledger folder: {exc.strerror}") from None
            target = path
        try:
            # isolation_level=None: no implicit transactions; every write is an explicit BEGIN IMMEDIATE.
            self._conn = sqlite3.connect(target, timeout=min(timeout, _BUSY_MS / 1000), isolation_level=None,
                                         check_same_thread=False, uri=readonly)
        except sqlite3.Error as exc:
            raise LedgerError(f"{path}: cannot open the ledger: {exc}") from None
        try:
            if readonly:
                self.version = self._version()
            else:
                mode = self._retry(lambda: self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
                if str(mode).lower() != "wal":
                    raise LedgerError(f"{path}: the ledger needs WAL journal mode, the file system gave {mode!r}")
                # In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits.
                self._conn.execute("PRAGMA synchronous = NORMAL")
                self._migrate(target_version)
                self.version = self._version()
            if self.version > SCHEMA_VERSION:
                raise LedgerError(f"{path}: ledger schema version {self.version} is newer than this seedbridge "
                                  f"reads (up to {SCHEMA_VERSION}); upgrade seedbridge")
            have = {row[1] for row in self._conn.execute("PRAGMA table_info(runs)")}
            self.columns = tuple(have)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise LedgerError(f"{path}: not a usable seedbridge ledger: {exc}") from None
        except BaseException:
            self._conn.close()
            raise

    def _retry(self, action: Callable[[], T]) -> T:
        return retry(action, transient=_is_busy, timeout=self.timeout, what=self.path)

    def _version(self) -> int:
        exists = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'seedbridge_schema'").fetchone()
        if not exists:
            return 0
        return int(self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM seedbridge_schema").fetchone()[0])

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

        self._raw_transaction(body)

    def _raw_transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
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

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def transaction(self, body: Callable[[Run], T], *, exclusive: bool = False) -> T:
        # BEGIN IMMEDIATE already admits one writer at a time: every transaction is exclusive.
        return self._raw_transaction(lambda conn: body(lambda sql, params: conn.execute(sql, tuple(params)).fetchall()))

    def integrity(self) -> str:
        """SQLite's own check of the file: ``ok`` or the problems it found."""
        return "\n".join(str(r[0]) for r in self._conn.execute("PRAGMA integrity_check"))

    def close(self) -> None:
        self._conn.close()
