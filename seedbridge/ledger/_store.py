"""``Ledger``: the run records in a SQLite file or a PostgreSQL database, with one behaviour for both.

The SQL is written once here; the backend (``_sqlite.py``, ``_postgres.py``) runs it. Every driver
error becomes a LedgerError that names the ledger (a PostgreSQL URL without its password), so a
damaged file or a lost server is one line, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from seedbridge.errors import LedgerError, ValidationError
from seedbridge.ledger._backend import SCHEMA_VERSION, Backend, Run
from seedbridge.ledger._record import (
    BOOL_FIELDS,
    COLUMNS,
    JSON_FIELDS,
    STATUSES,
    RunRecord,
    check_metrics,
    record_problems,
)

__all__ = ["ImportResult", "Ledger", "check_location", "is_postgres"]

T = TypeVar("T")


def is_postgres(location: str | os.PathLike[str]) -> bool:
    """True when ``location`` is a ``postgresql://`` (or ``postgres://``) URL rather than a file path."""
    from seedbridge.ledger._postgres import is_url

    return isinstance(location, str) and is_url(location)


def check_location(location: str | os.PathLike[str]) -> None:
    """Refuse a URL of another kind, which would otherwise be taken for a SQLite file path: a SQLAlchemy
    ``postgresql+psycopg://user:secret@host/db`` made folders named after the password and printed it."""
    text = os.fspath(location)
    if isinstance(text, str) and "://" in text and not is_postgres(text):
        scheme = text.split("://", 1)[0]
        shown = f"{scheme}://..." if re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else "a location with ://"
        raise LedgerError(f"{shown}: not a ledger location: a PostgreSQL ledger is a postgresql:// (or postgres://) "
                          "URL, as libpq takes it; anything else is the path of a SQLite file")


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


class Ledger:
    """An open ledger: a SQLite file path, or a ``postgresql://USER@HOST:PORT/DB`` URL.

    Use as a context manager, or call ``close()``. ``readonly=True`` changes nothing in the database
    (no schema created or migrated): what history, show-run and export use."""

    def __init__(self, location: str | os.PathLike[str], *, timeout: float = 60.0, readonly: bool = False,
                 _target_version: int = SCHEMA_VERSION) -> None:
        backend: Backend
        check_location(location)
        if is_postgres(location):
            from seedbridge.ledger._postgres import PostgresBackend

            backend = PostgresBackend(str(location), timeout=timeout, readonly=readonly)
        else:
            from seedbridge.ledger._sqlite import SQLiteBackend

            backend = SQLiteBackend(os.fspath(location), timeout=timeout, readonly=readonly,
                                    target_version=_target_version)
        self._backend = backend
        self.path = backend.shown
        self.kind = backend.kind
        self._columns = tuple(c for c in COLUMNS if c in backend.columns)

    # -- plumbing -----------------------------------------------------------------------------

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(*self._backend.errors):
            self._backend.close()

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Driver errors as one-line LedgerErrors that say what failed and where."""
        try:
            yield
        except self._backend.errors as exc:
            raise LedgerError(f"{self.path}: {what}: {self._backend.message(exc)}") from None

    def _query(self, what: str, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._errors(what):
            return self._backend.query(sql, list(params))

    def _write(self, what: str, body: Callable[[Run], T], *, exclusive: bool = False,
               idempotent: bool = False) -> T:
        """``body`` in one transaction. An idempotent write that lost its connection (a PostgreSQL server
        restarted, a backend terminated) is tried once more on a new connection."""
        with self._errors(what):
            try:
                return self._backend.transaction(body, exclusive=exclusive)
            except self._backend.errors as exc:
                if not (idempotent and self._backend.lost_connection(exc)):
                    raise
            try:
                self._backend.reconnect()
            except LedgerError as exc:
                raise LedgerError(f"{self.path}: {what}: lost the connection, and {exc}") from None
            return self._backend.transaction(body, exclusive=exclusive)

    @property
    def schema_version(self) -> int:
        return self._backend.version

    # -- rows ---------------------------------------------------------------------------------

    def _to_row(self, record: RunRecord) -> list[Any]:
        row: list[Any] = []
        for name in self._columns:
            value = getattr(record, name)
            if name in JSON_FIELDS:
                value = json.dumps(value, ensure_ascii=False, sort_keys=name != "command")
            row.append(value)
        return row

    def _from_row(self, row: Iterable[Any]) -> RunRecord:
        data: dict[str, Any] = {}
        for name, value in zip(self._columns, row, strict=True):
            if name in JSON_FIELDS:
                value = json.loads(value)
            elif name in BOOL_FIELDS and value is not None:
                value = bool(value)
            data[name] = value
        return RunRecord(**data)

    def _select(self) -> str:
        return f"SELECT {', '.join(self._columns)} FROM runs"

    def _insert_sql(self) -> str:
        return f"INSERT INTO runs ({', '.join(self._columns)}) VALUES ({', '.join('?' * len(self._columns))})"

    @staticmethod
    def _check(record: RunRecord) -> None:
        problems = record_problems(record.to_dict(), where=f"run {record.run_id}")
        if problems:
            raise ValidationError(problems)

    def insert(self, record: RunRecord) -> None:
        """Add ``record`` in its own transaction; a run id already present is an error."""
        self._check(record)
        row = self._to_row(record)
        sql = self._insert_sql()

        try:
            self._backend.transaction(lambda run: run(sql, row))
        except self._backend.duplicate:  # run_id is the table's only unique constraint
            raise LedgerError(f"{self.path}: cannot record run {record.run_id}: the ledger already has it") from None
        except self._backend.errors as exc:
            raise LedgerError(f"{self.path}: cannot record run {record.run_id}: {self._backend.message(exc)}") from None

    def finish(self, run_id: str, *, ended_at: str, exit_code: int | None, signal: int | None, status: str,
               outputs: Mapping[str, str | None], warnings: Iterable[str] = ()) -> None:
        """Record how a started run ended."""
        if status not in STATUSES:
            raise LedgerError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        late = list(warnings)

        def body(run: Run) -> None:
            rows = run("SELECT warnings FROM runs WHERE run_id = ?", [run_id])
            if not rows:
                raise LedgerError(f"{self.path}: no run {run_id!r} to finish")
            merged = json.loads(rows[0][0])
            merged += [w for w in late if w not in merged]  # a retried write must not add them twice
            run("UPDATE runs SET ended_at = ?, exit_code = ?, signal = ?, status = ?, outputs = ?, warnings = ? "
                "WHERE run_id = ?",
                [ended_at, exit_code, signal, status, json.dumps(dict(outputs), ensure_ascii=False, sort_keys=True),
                 json.dumps(merged, ensure_ascii=False), run_id])

        self._write(f"cannot complete the record of run {run_id}", body, idempotent=True)

    def set_metrics(self, run_id: str, metrics: Mapping[str, Any]) -> None:
        """Store ``metrics`` (name -> JSON number or null) with a run, after it ended; replaces earlier ones."""
        from seedbridge.errors import Problem

        problems = check_metrics(dict(metrics))
        if problems:
            raise ValidationError([Problem(why, field=f"run {run_id} {name}") for name, why in problems])
        if "metrics" not in self._columns:
            raise LedgerError(f"{self.path}: the ledger's schema has no metrics; open it writable to migrate it")
        text = json.dumps(dict(metrics), ensure_ascii=False, sort_keys=True)

        def body(run: Run) -> None:
            if not run("SELECT 1 FROM runs WHERE run_id = ?", [run_id]):
                raise LedgerError(f"no run {run_id!r} in the ledger {self.path}")
            run("UPDATE runs SET metrics = ? WHERE run_id = ?", [text, run_id])

        self._write(f"cannot store the metrics of run {run_id}", body, idempotent=True)

    def get(self, run_id: str) -> RunRecord:
        """The run ``run_id``, or the one run whose id starts with it."""
        if not self._columns:
            raise LedgerError(f"no run {run_id!r} in the ledger {self.path} (it holds no runs yet)")
        what = "cannot read the ledger"
        rows = self._query(what, f"{self._select()} WHERE run_id = ?", [run_id])
        if rows:
            return self._from_row(rows[0])
        if run_id and all(c.isascii() and (c.isalnum() or c == "-") for c in run_id):
            rows = self._query(what, f"{self._select()} WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT 6",
                               [run_id, run_id + "\x7f"])
            if len(rows) == 1:
                return self._from_row(rows[0])
            if rows:
                shown = ", ".join(str(r[0]) for r in rows[:5])
                raise LedgerError(f"run id prefix {run_id!r} matches several runs ({shown}); give more of it")
        raise LedgerError(f"no run {run_id!r} in the ledger {self.path} (list them with `seedbridge history`)")

    def runs(self, job: str | None = None, sweep_id: str | None = None) -> list[RunRecord]:
        """Every run (of ``job``, of sweep ``sweep_id``), oldest first."""
        if not self._columns:
            return []
        where, params = [], []
        if job is not None:
            where.append("job = ?")
            params.append(job)
        if sweep_id is not None:
            if "sweep_id" not in self._columns:
                return []
            where.append("sweep_id = ?")
            params.append(sweep_id)
        sql = self._select() + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY run_id"
        return [self._from_row(row) for row in self._query("cannot read the ledger", sql, params)]

    def find_duplicate(self, fp: str | None, *, before: str) -> str | None:
        """The latest successful run before run id ``before`` with fingerprint ``fp``."""
        if fp is None or "fingerprint" not in self._columns:
            return None
        rows = self._query("cannot read the ledger",
                           "SELECT run_id FROM runs WHERE fingerprint = ? AND status = 'succeeded' AND run_id < ? "
                           "ORDER BY run_id DESC LIMIT 1", [fp, before])
        return str(rows[0][0]) if rows else None

    def import_records(self, records: Iterable[RunRecord]) -> ImportResult:
        """Add runs from an export or another ledger, all or nothing. A run already present unchanged is
        skipped; one present with other content is left as it is and reported as a conflict."""
        records = list(records)
        problems = [p for r in records for p in record_problems(r.to_dict(), where=f"run {r.run_id}")]
        if problems:
            raise ValidationError(problems)
        select = f"{self._select()} WHERE run_id = ?"
        insert = self._insert_sql()
        result = ImportResult()

        def body(run: Run) -> None:
            result.added.clear()
            result.unchanged.clear()
            result.conflicts.clear()
            for record in records:
                rows = run(select, [record.run_id])
                if not rows:
                    run(insert, self._to_row(record))
                    result.added.append(record.run_id)
                elif self._from_row(rows[0]) == record:
                    result.unchanged.append(record.run_id)
                else:
                    result.conflicts.append(record.run_id)

        self._write("cannot import runs", body, exclusive=True)
        return result

    def integrity(self) -> str:
        """``ok``, or the problems the database found (SQLite's integrity_check; a full read for PostgreSQL)."""
        with self._errors("integrity check failed"):
            return self._backend.integrity()
