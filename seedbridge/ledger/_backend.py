"""What the two ledger backends share: the backend interface, retries with a private jitter, migrations.

A backend holds one connection and knows its database's dialect; ``Ledger`` (``_store.py``) writes the
SQL once, with ``?`` placeholders, and every backend runs it. Each backend keeps its own list of
migrations, numbered alike: schema N means the same columns in SQLite and in PostgreSQL.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from seedbridge.errors import LedgerError

__all__ = ["SCHEMA_VERSION", "Backend", "Run", "retry"]

T = TypeVar("T")
# The schema this seedbridge writes; both backends migrate up to it and refuse a newer one.
SCHEMA_VERSION = 3

# Run one statement inside a transaction and return its rows (empty for statements without any).
Run = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

# Backoff jitter from a generator of our own: drawing from the global `random` would consume the draws
# of a user who seeded it and records a run from the same process (issue 10, section 6).
_JITTER = random.Random()


def retry(action: Callable[[], T], *, transient: Callable[[BaseException], bool], timeout: float,
          what: str) -> T:
    """Run ``action``; while it fails with a transient error (a lock, a serialisation failure), wait with
    jittered exponential backoff and try again, up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            return action()
        except Exception as exc:
            if not transient(exc):
                raise
            if time.monotonic() > deadline:
                raise LedgerError(f"{what}: the ledger stayed locked for {timeout:g} s") from None
        time.sleep(delay * (1 + _JITTER.random()))
        delay = min(delay * 2, 0.2)


class Backend:
    """One open connection to a ledger database. Subclasses: SQLiteBackend, PostgresBackend."""

    kind: str
    shown: str  # the location as it may be printed: a path, or a URL without its password
    errors: tuple[type[BaseException], ...]  # the driver's errors, which Ledger turns into LedgerError
    duplicate: tuple[type[BaseException], ...]  # the driver's error for a constraint violation
    columns: tuple[str, ...]  # the runs table's columns (older schemas have fewer)
    version: int  # the schema version of the database as opened

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement outside a transaction (reads)."""
        raise NotImplementedError

    def transaction(self, body: Callable[[Run], T], *, exclusive: bool = False) -> T:
        """``body`` in one transaction, retried as a whole on transient failures. ``exclusive``: no
        other exclusive transaction runs at the same time (imports compare, then insert)."""
        raise NotImplementedError

    def reconnect(self) -> bool:
        """After a lost connection, connect again; False when this backend cannot lose one."""
        return False

    def lost_connection(self, exc: BaseException) -> bool:
        return False

    def integrity(self) -> str:
        raise NotImplementedError

    def message(self, exc: BaseException) -> str:
        """One line about a driver error, safe to print."""
        return " ".join(str(exc).split()) or type(exc).__name__

    def close(self) -> None:
        raise NotImplementedError
