"""Shared fixtures: real files in a temp folder, the CLI in a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from pgserver import PostgresServer

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"


def run_cli(args: Sequence[str], *, cwd: str | os.PathLike[str] | None = None,
            env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m seedbridge ARGS`` in a fresh interpreter, as a user would run it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "seedbridge", *args], cwd=cwd, env=full_env, input=input,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)


def run_script(script: str, *args: str, out: Path, timeout: int = 600) -> dict[str, object]:
    """Run ``tests/scripts/SCRIPT ARGS`` in a fresh interpreter and return the JSON it wrote to ``out``."""
    import json

    proc = subprocess.run([sys.executable, str(REPO / "tests" / "scripts" / script), *args], capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return result


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the CLI with the temp folder as working directory."""

    def _run(*args: str, env: dict[str, str] | None = None, input: str | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(args, cwd=cwd or tmp_path, env=env, input=input)

    return _run


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A developer's shell may carry SEEDBRIDGE_* from `eval "$(seedbridge env ...)"`; tests start clean.
    for name in list(os.environ):
        if name.startswith("SEEDBRIDGE_"):
            monkeypatch.delenv(name)
    saved = dict(os.environ)
    yield
    # Importing rpy2 adds LD_LIBRARY_PATH (R's lib folder) to os.environ; child processes of later
    # tests would then load another libpython. Each test leaves the environment as it found it.
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def r_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The R package from this checkout, ``R CMD INSTALL``-ed once per session into a private library."""
    lib = tmp_path_factory.getbasetemp() / "r-lib"
    if not (lib / "seedbridge" / "DESCRIPTION").exists():
        lib.mkdir(exist_ok=True)
        proc = subprocess.run(
            ["R", "CMD", "INSTALL", "--no-docs", "--no-test-load", "-l", str(lib), str(REPO / "r-package")],
            capture_output=True, text=True, timeout=600, check=False,
        )
        assert proc.returncode == 0, f"R CMD INSTALL failed:\n{proc.stdout}\n{proc.stderr}"
    return lib


# -- PostgreSQL (tests/pgserver.py) -----------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session (initdb + pg_ctl in a temporary folder)."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL (password included) of a new, empty database on the session's server; dropped afterwards."""
    with postgres_server.database() as name:
        yield postgres_server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ledger of each backend: a SQLite file that does not exist yet, or an empty PostgreSQL database.
    Tests that take it run once per backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger" / "ledger.sqlite")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with server.database() as name:
        yield server.url(name)


@pytest.fixture(scope="session")
def caffe_binary() -> Path:
    """The real Caffe tool that `make caffe` (run by `make setup`) built and linked as .venv/bin/caffe.

    A missing binary fails the test: `make setup` fails when the build fails, so a missing one means
    setup was not run, and skipping would hide that the Caffe tests did not run."""
    link = Path(sys.prefix) / "bin" / "caffe"
    if not (link.is_file() and os.access(link, os.X_OK)):
        pytest.fail(f"no Caffe binary at {link}: run `make caffe` (part of `make setup`) first")
    return link
