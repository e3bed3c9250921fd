"""The PostgreSQL backend, through psycopg 3 (``pip install seedbridge[postgres]``), imported only here.

The URL is handed to libpq unchanged, so a password may come from the URL, ``PGPASSWORD`` or
``~/.pgpass`` (libpq's own rules); seedbridge never stores the URL and shows it only without its
password (``redact``). The schema is created and migrated by the first client that needs it, under a
transaction-scoped advisory lock, so any number of clients may start at once against an empty database.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from seedbridge.errors import LedgerError, MissingDependencyError
from seedbridge.ledger._backend import SCHEMA_VERSION, Backend, Run, retry
from seedbridge.ledger._record import utc_now

__all__ = ["MIGRATIONS", "PostgresBackend", "is_url", "redact"]

T = TypeVar("T")
SCHEMES = ("postgresql://", "postgres://")
# Seconds libpq waits for a server that does not answer (libpq waits forever by default).
CONNECT_TIMEOUT = 10
# Milliseconds sent data may stay unacknowledged before the connection counts as lost (libpq's
# tcp_user_timeout, TCP_USER_TIMEOUT on Linux; ignored where the OS lacks it). Without it a network that
# drops packets mid-run held `seedbridge run` after its command for the kernel's ~15 minutes of retransmits
# (tcp_retries2), instead of passing the command's status through.
TCP_USER_TIMEOUT_MS = 20_000


def is_url(location: str) -> bool:
    return location.startswith(SCHEMES)


def _split(url: str) -> tuple[str, str | None, str]:
    """(scheme, credentials or None, the rest) of a URL, the credentials running to its last '@'.

    libpq ends them at the first '@' before any '/' (conninfo_uri_parse_options in libpq's fe-connect.c),
    urllib at the last '@' before a '/', '?' or '#'. A password holding one of those unencoded makes them
    disagree; up to the last '@' hides the most, never less than either reading."""
    scheme, _, rest = url.partition("://")
    userinfo, at, tail = rest.rpartition("@")
    return (scheme, userinfo, tail) if at else (scheme, None, rest)


def _password_param(item: str) -> bool:
    # libpq percent-decodes parameter names too, so pass%77ord=... is a password.
    return urllib.parse.unquote(item.split("=", 1)[0]).strip().lower() == "password"


def redact(url: str) -> str:
    """``url`` without its password (in the authority or as a ``password=`` parameter)."""
    scheme, userinfo, rest = _split(url)
    if userinfo is not None:
        user = userinfo.split(":", 1)[0]
        rest = f"{user}@{rest}" if user else rest
    base, question, query = rest.partition("?")
    if question:
        kept = [item for item in query.split("&") if item and not _password_param(item)]
        rest = base + ("?" + "&".join(kept) if kept else "")
    return f"{scheme}://{rest}"


def _secrets(url: str) -> list[str]:
    """Every form in which the URL's password may appear in a message (longest first)."""
    _, userinfo, _ = _split(url)
    found = [userinfo.split(":", 1)[1]] if userinfo is not None and ":" in userinfo else []
    found += [item.split("=", 1)[1] for item in url.partition("?")[2].split("&")
              if "=" in item and _password_param(item)]
    forms = {form for f in found for form in (f, urllib.parse.unquote(f), urllib.parse.quote(urllib.parse.unquote(f),
                                                                                            safe="")) if form}
    return sorted(forms, key=len, reverse=True)


def _misread(url: str) -> bool:
    """Whether libpq would take part of the user name or password for the host: an unencoded '@' in them, or
    an unencoded '/' in the password (libpq's credentials end at the first '@' before any '/')."""
    rest = url.partition("://")[2]
    authority = rest.split("/", 1)[0]
    if authority.count("@") > 1:
        return True
    if "@" in authority or "@" not in rest or authority.endswith("]"):
        return False
    host, colon, port = authority.rpartition(":")
    return bool(colon and host) and not port.isdigit()


def _lock_key(name: str) -> int:
    """A 64-bit advisory lock key of our own, for pg_advisory_xact_lock."""
    return int.from_bytes(hashlib.sha256(name.encode("ascii")).digest()[:8], "big", signed=True)


SCHEMA_LOCK = _lock_key("seedbridge ledger schema")
IMPORT_LOCK = _lock_key("seedbridge ledger import")

# The same columns as the SQLite ledger at schema 3; run ids compare byte-wise ("C" collation), as in
# SQLite, so that they sort by time whatever the database's locale.
_V3_RUNS = """
CREATE TABLE runs (
    run_id          TEXT COLLATE "C" PRIMARY KEY,
    job             TEXT NOT NULL,
    keys            TEXT NOT NULL DEFAULT '{}',
    seeds           TEXT NOT NULL DEFAULT '{}',
    derivation      BIGINT,
    profile         TEXT,
    manifest_path   TEXT,
    manifest_digest TEXT,
    root_source     TEXT,
    command         TEXT NOT NULL,
    cwd             TEXT,
    environment     TEXT NOT NULL DEFAULT '{}',
    git_commit      TEXT,
    git_dirty       BOOLEAN,
    code_version    TEXT,
    inputs          TEXT NOT NULL DEFAULT '{}',
    outputs         TEXT NOT NULL DEFAULT '{}',
    params          TEXT NOT NULL DEFAULT '{}',
    versions        TEXT NOT NULL DEFAULT '{}',
    host            TEXT,
    pid             BIGINT,
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    exit_code       BIGINT,
    signal          BIGINT,
    status          TEXT NOT NULL CHECK (status IN ('started', 'succeeded', 'failed')),
    duplicate_of    TEXT COLLATE "C",
    deliberate      BOOLEAN NOT NULL DEFAULT FALSE,
    rerun_of        TEXT COLLATE "C",
    warnings        TEXT NOT NULL DEFAULT '[]',
    fingerprint     TEXT,
    system          TEXT NOT NULL DEFAULT '{}',
    sweep_id        TEXT COLLATE "C",
    metrics         TEXT NOT NULL DEFAULT '{}'
)
"""

# (version, what it does, SQL statements). A new PostgreSQL ledger starts at schema 3, the first schema
# this backend shipped with; later versions are appended here and in the SQLite list alike.
Migration = tuple[int, str, tuple[str, ...]]
MIGRATIONS: tuple[Migration, ...] = (
    (3, "runs table (the columns of SQLite schema 3) and lookup indexes", (
        _V3_RUNS,
        "CREATE INDEX runs_job_started ON runs (job, started_at)",
        "CREATE INDEX runs_fingerprint ON runs (fingerprint, status)",
        "CREATE INDEX runs_sweep ON runs (sweep_id)",
    )),
)
assert MIGRATIONS[-1][0] == SCHEMA_VERSION

_TRANSIENT = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


class PostgresBackend(Backend):
    kind = "postgresql"

    def __init__(self, url: str, *, timeout: float, readonly: bool) -> None:
        try:
            import psycopg
        except ImportError:
            raise MissingDependencyError("a PostgreSQL ledger needs psycopg 3; install seedbridge[postgres] "
                                         "(pip install 'seedbridge[postgres]')") from None
        self._psycopg = psycopg
        self.errors = (psycopg.Error,)
        self.duplicate = (psycopg.errors.UniqueViolation,)
        self.url = url
        self.shown = redact(url)
        self._secrets = _secrets(url)
        self.timeout = timeout
        if _misread(url):
            raise LedgerError(f"{self.shown}: the URL's user name or password holds an '@' or '/' that is not "
                              "percent-encoded, so libpq would read part of it as the host; write @ as %40 and / "
                              "as %2F")
        self._conn = self._connect()
        try:
            self.version = self._version()
            if self.version > SCHEMA_VERSION:
                raise LedgerError(f"{self.shown}: ledger schema version {self.version} is newer than this "
                                  f"seedbridge reads (up to {SCHEMA_VERSION}); upgrade seedbridge")
            if not readonly and self.version < SCHEMA_VERSION:
                self._migrate()
                self.version = self._version()
            self.columns = tuple(r[0] for r in self._conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'runs'").fetchall())
        except psycopg.Error as exc:
            self._conn.close()
            raise LedgerError(f"{self.shown}: not a usable seedbridge ledger: {self.message(exc)}") from None
        except BaseException:
            self._conn.close()
            raise

    def message(self, exc: BaseException) -> str:
        text = (" ".join(str(exc).split()) or type(exc).__name__).replace(self.url, self.shown)
        for form in self._secrets:
            text = text.replace(form, "***")
        return text

    def _connect(self) -> Any:
        psycopg = self._psycopg
        options: dict[str, Any] = {"autocommit": True}
        try:
            given = psycopg.conninfo.conninfo_to_dict(self.url)
        except psycopg.Error as exc:
            raise LedgerError(f"{self.shown}: not a usable PostgreSQL URL: {self.message(exc)}") from None
        if "connect_timeout" not in given:
            options["connect_timeout"] = CONNECT_TIMEOUT
        if "tcp_user_timeout" not in given:
            options["tcp_user_timeout"] = TCP_USER_TIMEOUT_MS
        if "application_name" not in given:
            options["application_name"] = "seedbridge"
        try:
            return psycopg.connect(self.url, **options)
        except psycopg.Error as exc:
            raise LedgerError(f"{self.shown}: cannot connect to the ledger: {self.message(exc)}") from None

    def _version(self) -> int:
        row = self._conn.execute("SELECT to_regclass('seedbridge_schema') IS NOT NULL").fetchone()
        if not row[0]:
            return 0
        return int(self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM seedbridge_schema").fetchone()[0])

    def _migrate(self) -> None:
        conn = self._conn
        with conn.transaction():
            # Concurrent first starts queue here; each re-reads the version once it holds the lock, so
            # exactly one of them creates the tables.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS seedbridge_schema ("
                         "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)")
            current = int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM seedbridge_schema").fetchone()[0])
            if current > SCHEMA_VERSION:
                raise LedgerError(f"{self.shown}: ledger schema version {current} is newer than this seedbridge "
                                  f"reads (up to {SCHEMA_VERSION}); upgrade seedbridge")
            for version, description, statements in MIGRATIONS:
                if current < version:
                    for sql in statements:
                        conn.execute(sql)
                    conn.execute("INSERT INTO seedbridge_schema VALUES (%s, %s, %s)",
                                 (version, description, utc_now()))

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def _transient(self, exc: BaseException) -> bool:
        return isinstance(exc, self._psycopg.Error) and getattr(exc, "sqlstate", None) in _TRANSIENT

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._conn.execute(self._sql(sql), tuple(params)).fetchall())

    def transaction(self, body: Callable[[Run], T], *, exclusive: bool = False) -> T:
        conn = self._conn

        def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
            cur = conn.execute(self._sql(sql), tuple(params))
            return list(cur.fetchall()) if cur.description is not None else []

        def attempt() -> T:
            with conn.transaction():
                if exclusive:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (IMPORT_LOCK,))
                return body(run)

        return retry(attempt, transient=self._transient, timeout=self.timeout, what=self.shown)

    def lost_connection(self, exc: BaseException) -> bool:
        return isinstance(exc, self._psycopg.OperationalError) and bool(self._conn.broken or self._conn.closed)

    def reconnect(self) -> bool:
        try:
            self._conn.close()
        finally:
            self._conn = self._connect()
        return True

    def integrity(self) -> str:
        """PostgreSQL checks its pages itself; a full read of every row fails on a damaged one."""
        self._conn.execute("SELECT count(*) FROM (SELECT * FROM runs) AS every_row").fetchone()
        return "ok"

    def close(self) -> None:
        self._conn.close()

