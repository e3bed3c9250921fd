"""A real PostgreSQL server for tests: ``initdb`` and ``pg_ctl`` in a temporary folder, no system service.

PostgreSQL refuses to run as root, and CI runs as root, so when we are root the server runs as the
``postgres`` user that Debian's ``postgresql`` package creates (``make setup`` installs it). The server
listens on 127.0.0.1 at a free port with password (SCRAM) authentication for TCP clients, as a team's
server would, and on a Unix socket in its folder with trust authentication for the test's own admin
connection. Fixtures in conftest.py start one server per session; tests that stop a server start
their own with ``PostgresServer``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["PASSWORD", "USER", "PostgresServer", "bindir"]

USER = "seedbridge"  # the role tests connect as (not a superuser)
PASSWORD = "pw-Tq8#vZ 3!"  # characters that need quoting in a URL, to prove redaction and quoting
ADMIN = "admin"


def bindir() -> str:
    """The folder of initdb and pg_ctl: $PG_BINDIR, Debian's newest /usr/lib/postgresql/N/bin, or PATH."""
    if os.environ.get("PG_BINDIR"):
        return os.environ["PG_BINDIR"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's initdb was not found: install Debian's postgresql package "
                           "(make setup does) or set PG_BINDIR")
    return os.path.dirname(initdb)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL server in a temporary folder. ``start()``, ``url(db)``, ``new_database()``, ``stop()``."""

    def __init__(self) -> None:
        self.bin = bindir()
        # /tmp rather than $TMPDIR: the server's user must reach the folder (a root-only $TMPDIR would not do),
        # and its Unix socket path must stay under the 107 bytes a socket address holds.
        self.folder = Path(tempfile.mkdtemp(prefix="seedbridge-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        os.chmod(self.folder, 0o755)
        pwfile = self.folder / "pw"
        pwfile.write_text(f"{PASSWORD}\n")
        if self.user:
            os.chown(pwfile, pwd.getpwnam(self.user).pw_uid, -1)
        self._run("initdb", "-D", str(self.data), "-U", ADMIN, "--auth-local=trust", "--auth-host=scram-sha-256",
                  f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C", "--no-sync")
        pwfile.unlink()

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([os.path.join(self.bin, tool), *args], user=self.user, capture_output=True, text=True,
                              timeout=120, check=False, cwd=self.folder, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}")
        return proc

    def start(self) -> PostgresServer:
        # fsync off: test data need not survive a power cut, and the suite runs faster.
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=120"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        if not getattr(self, "_role", False):
            self.admin(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD.replace(chr(39), chr(39) * 2)}'")
            self._role = True
        return self

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        proc = subprocess.run([os.path.join(self.bin, "pg_ctl"), "-D", str(self.data), "status"], user=self.user,
                              capture_output=True, timeout=30, check=False)
        return proc.returncode == 0

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def admin(self, sql: str, dbname: str = "postgres") -> list[tuple[Any, ...]]:
        """Run ``sql`` as the superuser over the Unix socket; its rows (if any)."""
        import psycopg

        with psycopg.connect(host=str(self.folder), port=self.port, user=ADMIN, dbname=dbname, autocommit=True) as conn:
            cur = conn.execute(sql)  # type: ignore[arg-type]
            return list(cur.fetchall()) if cur.description is not None else []

    def new_database(self) -> str:
        """A new, empty database owned by the test role; its name."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.admin(f"CREATE DATABASE {name} OWNER {USER}")
        return name

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A new database for one test, dropped afterwards (each is a copy of template1, a few MB)."""
        name = self.new_database()
        try:
            yield name
        finally:
            if self.running():
                self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def url(self, dbname: str, *, password: bool = True, user: str = USER) -> str:
        from urllib.parse import quote

        secret = f":{quote(PASSWORD, safe='')}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{dbname}"
