"""The run ledger: every ``seedbridge run``, recorded in a SQLite file or a PostgreSQL database (docs/ledger.md).

The ledger is ``--ledger``, else ``$SEEDBRIDGE_LEDGER``, else ``.seedbridge/ledger.sqlite`` beside the
manifest; a ``postgresql://USER@HOST:PORT/DB`` URL selects PostgreSQL (``seedbridge[postgres]``). A run is
inserted as ``started`` before its command starts and completed when it ends, each in one short
transaction, so any number of concurrent runs each get their complete record and a seedbridge killed in
between leaves a ``started`` row, never a torn record.

The schema carries its own version (table ``seedbridge_schema``, one row per applied migration); an
older database is migrated in order, inside one transaction, and a newer one is refused rather than
guessed at. Neither ``sqlite3`` nor ``psycopg`` is imported before a ledger is opened.

Rooms: ``_record`` (the record and its rules), ``_export`` (the JSON export), ``_store`` (``Ledger``),
``_sqlite`` and ``_postgres`` (the backends).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from seedbridge.errors import LedgerError
from seedbridge.ledger import _export
from seedbridge.ledger._backend import SCHEMA_VERSION
from seedbridge.ledger._export import EXPORT_FORMAT
from seedbridge.ledger._record import STATUSES, RunRecord, fingerprint, new_run_id, utc_now
from seedbridge.ledger._store import ImportResult, Ledger, check_location, is_postgres

__all__ = [
    "EXPORT_FORMAT",
    "LEDGER_ENV",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STATUSES",
    "ImportResult",
    "Ledger",
    "RunRecord",
    "copy",
    "default_path",
    "dumps_export",
    "fingerprint",
    "is_postgres",
    "loads_export",
    "new_run_id",
    "opened",
    "read_run",
    "read_runs",
    "shown",
    "utc_now",
]

LEDGER_ENV = "SEEDBRIDGE_LEDGER"
LEDGER_DIR = ".seedbridge"
LEDGER_FILE = "ledger.sqlite"


def __getattr__(name: str) -> object:
    # The SQLite migrations, loaded with sqlite3 only when asked for.
    if name == "MIGRATIONS":
        from seedbridge.ledger._sqlite import MIGRATIONS

        return MIGRATIONS
    raise AttributeError(f"module 'seedbridge.ledger' has no attribute {name!r}")


def default_path(manifest_path: str | os.PathLike[str] | None = None) -> str:
    """``$SEEDBRIDGE_LEDGER``, else ``.seedbridge/ledger.sqlite`` in the manifest's folder."""
    env = os.environ.get(LEDGER_ENV)
    if env:
        return env
    folder = os.path.dirname(os.path.abspath(os.fspath(manifest_path))) if manifest_path else os.getcwd()
    return os.path.join(folder, LEDGER_DIR, LEDGER_FILE)


def shown(location: str | os.PathLike[str]) -> str:
    """``location`` as it may be printed: a URL (of any scheme) loses its password."""
    text = os.fspath(location)
    if "://" in text:
        from seedbridge.ledger._postgres import redact

        return redact(text)
    return text


def _absent(location: str | os.PathLike[str]) -> bool:
    check_location(location)
    return not is_postgres(location) and not os.path.exists(location)


@contextmanager
def opened(path: str | os.PathLike[str] | None = None, *, manifest_path: str | None = None,
           readonly: bool = False) -> Iterator[Ledger]:
    """The ledger at ``path`` (default: ``default_path(manifest_path)``), closed afterwards."""
    ledger = Ledger(path if path is not None else default_path(manifest_path), readonly=readonly)
    try:
        yield ledger
    finally:
        ledger.close()


def read_runs(path: str | os.PathLike[str], *, job: str | None = None,
              sweep_id: str | None = None) -> list[RunRecord]:
    """Every run in the ledger at ``path`` (of ``job``, of ``sweep_id``); none when the file does not exist
    yet. Reads only: nothing is created or migrated, so a ledger on a read-only mount will do."""
    if _absent(path):
        return []
    with Ledger(path, readonly=True) as book:
        return book.runs(job=job, sweep_id=sweep_id)


def read_run(path: str | os.PathLike[str], run_id: str) -> RunRecord:
    """One run of the ledger at ``path`` (a unique prefix of its id will do). Reads only."""
    if _absent(path):
        raise LedgerError(f"no ledger at {os.fspath(path)}; runs are recorded there by `seedbridge run` "
                          f"(or name another with --ledger or ${LEDGER_ENV})")
    with Ledger(path, readonly=True) as book:
        return book.get(run_id)


def dumps_export(records: Iterable[RunRecord]) -> str:
    """The export document: ``{"seedbridge_ledger_export": 1, "schema": N, "exported_at": ..., "runs": [...]}``."""
    return _export.dumps_export(records, schema=SCHEMA_VERSION)


def loads_export(data: str | bytes, *, source: str = "<export>") -> list[RunRecord]:
    """Parse and check an export document (text, or bytes that must be UTF-8); every problem is reported
    together, each with its field path, before any run is returned."""
    return _export.loads_export(data, source=source, schema=SCHEMA_VERSION)


def copy(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> ImportResult:
    """Copy every run of ledger ``source`` into ledger ``target`` (SQLite or PostgreSQL, either way), as
    ``import`` does: runs already there unchanged are skipped, conflicting ones are left and reported."""
    check_location(target)
    if _absent(source):
        raise LedgerError(f"no ledger at {os.fspath(source)}")
    with Ledger(source, readonly=True) as src:
        records = src.runs()
    with Ledger(target) as dst:
        return dst.import_records(records)
