"""The ledger on both backends (a real SQLite file, a real PostgreSQL server): schema and migrations,
records, metrics and sweeps, export and import, copy; then what is particular to each backend."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pgserver import PASSWORD, PostgresServer

from seedbridge import ledger
from seedbridge.errors import LedgerError, ValidationError
from seedbridge.ledger import Ledger, RunRecord


def record(run_id: str | None = None, **overrides: object) -> RunRecord:
    data: dict[str, object] = {
        "run_id": run_id or ledger.new_run_id(), "job": "train", "command": ["python", "train.py"],
        "started_at": ledger.utc_now(), "keys": {"rank": "1"}, "seeds": {"seed": 42, "PYTHONHASHSEED": 42},
        "code_version": "abc", "params": {"lr": "0.1"}, "inputs": {"data.csv": "00" * 32},
        "system": {"os": "Debian", "OMP_NUM_THREADS": None}, "git_dirty": False,
    }
    data.update(overrides)
    return RunRecord(**data)  # type: ignore[arg-type]


def finish(book: Ledger, run_id: str, **overrides: object) -> None:
    args: dict[str, object] = {"ended_at": ledger.utc_now(), "exit_code": 0, "signal": None, "status": "succeeded",
                               "outputs": {}}
    args.update(overrides)
    book.finish(run_id, **args)  # type: ignore[arg-type]


# -- both backends --------------------------------------------------------------------------------


def test_a_new_ledger_is_at_the_current_schema_version(ledger_location: str) -> None:
    with Ledger(ledger_location) as book:
        assert book.schema_version == ledger.SCHEMA_VERSION == 3
        assert book.runs() == []
    with Ledger(ledger_location, readonly=True) as again:
        assert again.schema_version == ledger.SCHEMA_VERSION


def test_insert_finish_and_get_by_id_or_unique_prefix(ledger_location: str) -> None:
    with Ledger(ledger_location) as book:
        a = record("20250101T000000000Z-aaaaaaaaaa")
        b = record("20250101T000000000Z-abbbbbbbbb", job="eval")
        book.insert(a)
        book.insert(b)
        assert book.get(a.run_id) == a
        assert book.get(a.run_id).status == "started"
        finish(book, a.run_id, outputs={"model.npy": "11" * 32, "gone.txt": None}, warnings=["late note"])
        done = book.get("20250101T000000000Z-aa")
        assert (done.status, done.exit_code, done.outputs) == ("succeeded", 0, {"gone.txt": None,
                                                                               "model.npy": "11" * 32})
        assert done.warnings == ["late note"] and done.system == a.system and done.git_dirty is False
        with pytest.raises(LedgerError, match="matches several runs"):
            book.get("20250101T000000000Z-a")
        with pytest.raises(LedgerError, match="no run 'nope'"):
            book.get("nope")
        with pytest.raises(LedgerError, match=r"cannot record run .* already has it"):
            book.insert(a)
        assert [r.run_id for r in book.runs()] == [a.run_id, b.run_id]
        assert [r.run_id for r in book.runs(job="eval")] == [b.run_id]
        assert book.runs(job="other") == []


def test_runs_sort_by_id_byte_wise(ledger_location: str) -> None:
    """Run ids compare as bytes on both backends, whatever the database's locale."""
    ids = ["20250101T000000000Z-b", "20250101T000000000Z-B", "20250101T000000000Z_a", "20250101T000000000Z-a"]
    with Ledger(ledger_location) as book:
        for i in ids:
            book.insert(record(i))
        assert [r.run_id for r in book.runs()] == sorted(ids)


def test_sweep_id_and_metrics_are_stored_and_filtered(ledger_location: str) -> None:
    with Ledger(ledger_location) as book:
        one, two, other = record(sweep_id="sweep-1"), record(sweep_id="sweep-1", job="eval"), record()
        for r in (one, two, other):
            book.insert(r)
        book.set_metrics(one.run_id, {"loss": 0.25, "steps": 2**40, "acc": None})
        assert book.get(one.run_id).metrics == {"acc": None, "loss": 0.25, "steps": 2**40}
        assert [r.run_id for r in book.runs(sweep_id="sweep-1")] == sorted([one.run_id, two.run_id])
        assert [r.run_id for r in book.runs(job="eval", sweep_id="sweep-1")] == [two.run_id]
        assert book.runs(sweep_id="nope") == []
        for bad, message in (({"loss": float("nan")}, "finite number"), ({"loss": "low"}, "must be a number"),
                             ({"ok": True}, "must be a number"), ({"big": 2**70}, "fits in 64 bits")):
            with pytest.raises(ValidationError, match=message):
                book.set_metrics(one.run_id, bad)
        with pytest.raises(LedgerError, match="no run 'missing'"):
            book.set_metrics("missing", {"loss": 1})
        assert book.get(one.run_id).metrics["loss"] == 0.25  # refused writes changed nothing


def test_duplicates_are_found_only_among_earlier_successful_runs(ledger_location: str) -> None:
    fp = "f" * 64
    with Ledger(ledger_location) as book:
        book.insert(record("20250101T000000001Z-0000000001", fingerprint=fp))
        assert book.find_duplicate(fp, before="20250101T000000009Z-0") is None  # still started
        finish(book, "20250101T000000001Z-0000000001")
        assert book.find_duplicate(fp, before="20250101T000000009Z-0") == "20250101T000000001Z-0000000001"
        assert book.find_duplicate(fp, before="20250101T000000000Z-0") is None
        assert book.find_duplicate(None, before="9") is None


def test_records_that_break_a_rule_are_refused_before_writing(ledger_location: str) -> None:
    """The same refusals on both backends: PostgreSQL cannot store NUL, SQLite's UTF-8 no lone surrogate."""
    with Ledger(ledger_location) as book:
        for bad, field in ((record(job="a\x00b"), "job"), (record(command=["x\ud800"]), "command[0]"),
                           (record(run_id="bad id"), "run_id"), (record(seeds={"seed": 2**200}), "seeds.seed"),
                           (record(pid=2**64), "pid"), (record(started_at="yesterday"), "started_at")):
            with pytest.raises(ValidationError, match=field.replace("[", r"\[")):
                book.insert(bad)
        assert book.runs() == []


def test_export_then_import_into_another_ledger_round_trips(ledger_location: str, tmp_path: Path) -> None:
    with Ledger(tmp_path / "a.sqlite") as a:
        for i in range(3):
            a.insert(record(metrics={"loss": i / 3}, sweep_id="s1"))
        runs = a.runs()
    text = ledger.dumps_export(runs)
    assert json.loads(text)["seedbridge_ledger_export"] == ledger.EXPORT_FORMAT
    assert json.loads(text)["schema"] == ledger.SCHEMA_VERSION
    with Ledger(ledger_location) as b:
        first = b.import_records(ledger.loads_export(text))
        again = b.import_records(ledger.loads_export(text.encode("utf-8")))
        assert b.runs() == runs
        changed = json.loads(text)
        changed["runs"][0]["job"] = "eval"
        conflict = b.import_records(ledger.loads_export(json.dumps(changed)))
        assert b.runs()[0].job == "train"
    assert (len(first.added), len(again.added), len(again.unchanged)) == (3, 0, 3)
    assert conflict.conflicts == [runs[0].run_id]


def test_copy_goes_both_ways_and_refuses_conflicts(ledger_location: str, tmp_path: Path) -> None:
    src = str(tmp_path / "src.sqlite")
    with Ledger(src) as a:
        for _ in range(4):
            a.insert(record())
        runs = a.runs()
    result = ledger.copy(src, ledger_location)
    assert (len(result.added), result.unchanged, result.conflicts) == (4, [], [])
    back = str(tmp_path / "back.sqlite")
    assert len(ledger.copy(ledger_location, back).added) == 4
    with Ledger(back) as b:
        assert b.runs() == runs
    assert len(ledger.copy(src, ledger_location).unchanged) == 4
    with Ledger(src) as a:
        finish(a, runs[0].run_id)
    clash = ledger.copy(src, ledger_location)
    assert clash.conflicts == [runs[0].run_id]
    with Ledger(ledger_location) as book:
        assert book.get(runs[0].run_id).status == "started"  # the target's record was kept


def _insert_many(location: str, n: int, seed: int) -> None:
    with Ledger(location) as book:
        for i in range(n):
            rec = record(seeds={"seed": seed * 1000 + i})
            book.insert(rec)
            finish(book, rec.run_id)


@pytest.mark.slow
def test_concurrent_first_starts_create_the_schema_once(ledger_location: str) -> None:
    """Eight processes open an empty ledger at once: all migrate safely and every record arrives."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_insert_many, args=(ledger_location, 5, k)) for k in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 8
    with Ledger(ledger_location) as book:
        runs = book.runs()
        assert book.integrity() == "ok"
    assert len(runs) == 40 and all(r.status == "succeeded" for r in runs)


def test_a_ledger_newer_than_this_seedbridge_is_refused(ledger_location: str) -> None:
    Ledger(ledger_location).close()
    if ledger.is_postgres(ledger_location):
        import psycopg

        with psycopg.connect(ledger_location, autocommit=True) as conn:
            conn.execute("INSERT INTO seedbridge_schema VALUES (99, 'from the future', '2099-01-01')")
    else:
        conn = sqlite3.connect(ledger_location)
        conn.execute("INSERT INTO seedbridge_schema VALUES (99, 'from the future', '2099-01-01')")
        conn.commit()
        conn.close()
    for readonly in (False, True):
        with pytest.raises(LedgerError, match="schema version 99 is newer than this seedbridge reads"):
            Ledger(ledger_location, readonly=readonly)


def test_a_readonly_opening_creates_nothing(ledger_location: str) -> None:
    assert ledger.read_runs(ledger_location) == []
    if ledger.is_postgres(ledger_location):
        import psycopg

        with psycopg.connect(ledger_location) as conn:
            assert conn.execute("SELECT to_regclass('seedbridge_schema')").fetchone() == (None,)
    else:
        assert not os.path.exists(ledger_location)


def test_retry_jitter_leaves_the_global_random_alone(ledger_location: str) -> None:
    """A run recorded inside a seeded process, while the ledger is busy, must not consume the user's draws."""
    with Ledger(ledger_location) as book:
        book.insert(record())
        random.seed(1234)
        expected = [random.random() for _ in range(3)]
        random.seed(1234)
        hold = threading.Event()
        released = threading.Event()

        def locker() -> None:  # another client holds the write lock for 0.8 s
            if ledger.is_postgres(ledger_location):
                import psycopg

                with psycopg.connect(ledger_location) as conn:
                    conn.execute("LOCK TABLE runs IN EXCLUSIVE MODE")
                    hold.set()
                    time.sleep(0.8)
                    conn.commit()
            else:
                conn = sqlite3.connect(ledger_location, isolation_level=None)
                conn.execute("BEGIN IMMEDIATE")
                hold.set()
                time.sleep(0.8)
                conn.execute("COMMIT")
                conn.close()
            released.set()

        thread = threading.Thread(target=locker)
        thread.start()
        hold.wait(10)
        start = time.monotonic()
        book.insert(record())
        waited = time.monotonic() - start
        thread.join()
        assert released.is_set() and waited > 0.3  # the insert had to wait for the lock
        assert [random.random() for _ in range(3)] == expected


# -- export documents -----------------------------------------------------------------------------


def test_a_bad_export_reports_every_problem_with_its_field() -> None:
    doc = {"seedbridge_ledger_export": 1, "runs": [
        {"run_id": "x", "job": 3, "command": ["a"], "started_at": "t", "status": "started"},
        {"run_id": "y", "command": "not a list", "started_at": "t", "status": "weird", "colour": "red"},
        {"run_id": "a/../b", "job": "j", "command": [["nested"]], "started_at": "2025-01-01T00:00:00.000000Z",
         "status": "started", "exit_code": 2**70, "git_dirty": "yes", "inputs": {"d": "xyz"}},
    ]}
    with pytest.raises(ValidationError) as info:
        ledger.loads_export(json.dumps(doc), source="ci.json")
    text = str(info.value)
    for expected in ("ci.json runs[0].job: must be a string, got an integer 3",
                     "ci.json runs[0].started_at: must be a UTC time",
                     "ci.json runs[1].job: required field is missing", "ci.json runs[1].command: must be a non-empty list",
                     "runs[1].status: must be one of", "runs[1].colour: unknown field",
                     "runs[2].run_id: must be a run id", "runs[2].command[0]: must be a string, got a list",
                     "runs[2].exit_code: must be an integer in 0..255", "runs[2].git_dirty: must be true or false",
                     "runs[2].inputs.d: must be a SHA-256 digest"):
        assert expected in text
    assert "runs[1].job: must be a string" not in text  # a missing field is reported once


@pytest.mark.parametrize(("data", "message"), [
    ("{", "malformed JSON"),
    (b'{"runs": ["caf\xe9"]}', "is not valid UTF-8 (byte 0xe9 at offset 14)"),
    ('{"seedbridge_ledger_export": 1, "runs": [' + "[" * 100_000 + "]" * 100_000 + "]}", "nests lists or objects too deeply"),
    ('{"seedbridge_ledger_export": 1, "runs": [], "x": ' + "9" * 5000 + "}", "malformed JSON"),
    ('{"seedbridge_ledger_export": 1, "schema": 99, "runs": []}', "schema: is newer than this seedbridge"),
    ('{"seedbridge_ledger_export": 1, "schema": 1.5, "runs": []}', "schema: must be a ledger schema version"),
    ('{"seedbridge_ledger_export": 2, "runs": []}', "export format must be 1"),
    ('{"seedbridge_ledger_export": 1, "runs": [{"run_id": "r1", "job": "\\ud800", "command": ["a"], '
     '"started_at": "2025-01-01T00:00:00.000000Z", "status": "started"}]}', "runs[0].job: must be valid Unicode"),
    ('[1, 2]', 'an object with a "runs" list'),
])
def test_malformed_exports_are_clean_errors(data: str | bytes, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        ledger.loads_export(data, source="e.json")
    assert message in str(info.value)


def test_an_export_from_an_older_seedbridge_imports(tmp_path: Path) -> None:
    """Schema-2 exports lack system, sweep_id and metrics: they take their defaults."""
    doc = {"seedbridge_ledger_export": 1, "schema": 2, "runs": [
        {"run_id": "20250101T000000000Z-0000000001", "job": "train", "command": ["true"],
         "started_at": "2025-01-01T00:00:00.000000Z", "status": "succeeded", "exit_code": 0,
         "versions": {"python": "CPython 3.11.7", "platform": "Linux"}, "git_dirty": None, "fingerprint": None}]}
    (rec,) = ledger.loads_export(json.dumps(doc))
    assert (rec.system, rec.metrics, rec.sweep_id) == ({}, {}, None)


# -- SQLite only ----------------------------------------------------------------------------------


def test_a_new_sqlite_ledger_is_wal_with_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "ledger.sqlite"
    Ledger(path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [r[0] for r in conn.execute("SELECT version FROM seedbridge_schema ORDER BY version")]
        assert versions == [m[0] for m in ledger.MIGRATIONS] == [1, 2, 3]
    finally:
        conn.close()


def test_an_older_ledger_is_migrated_and_its_rows_kept(tmp_path: Path) -> None:
    """A version-1 file gains the fingerprint column, filled in for the rows it already had, and the
    columns of schema 3."""
    path = tmp_path / "ledger.sqlite"
    with Ledger(path, _target_version=1) as old:
        assert old.schema_version == 1
        rec = record("20250101T000000000Z-0000000001")
        old.insert(rec)  # written without the later columns, as seedbridge of schema 1 would
    assert ledger.read_runs(path)[0].system == {}  # read as it is, without migrating
    with Ledger(path) as book:
        assert book.schema_version == ledger.SCHEMA_VERSION
        got = book.get(rec.run_id)
        book.set_metrics(rec.run_id, {"loss": 1.5})
    assert got.fingerprint == ledger.fingerprint(job="train", keys={"rank": "1"}, seed=42, code_version="abc",
                                                 inputs=rec.inputs, params={"lr": "0.1"}, command=rec.command)
    assert got.fingerprint is not None and got.system == {}


def test_a_file_that_is_not_a_database_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LedgerError, match="not a usable seedbridge ledger"):
        Ledger(path)


def test_a_ledger_path_that_is_a_fifo_or_a_device_is_refused_without_blocking(tmp_path: Path) -> None:
    """SQLite's read-only open of a FIFO waited for a writer: history, export and ledger copy hung."""
    fifo = tmp_path / "ledger.sqlite"
    os.mkfifo(fifo)
    for command in (["history"], ["export"], ["ledger", "copy", str(fifo), str(tmp_path / "b.sqlite")]):
        ledger_flag = ["--ledger", str(fifo)] if command[0] != "ledger" else []
        # In a process of its own with a time limit: a regression blocks, and must not block the suite.
        proc = subprocess.run([sys.executable, "-m", "seedbridge", *command, *ledger_flag], capture_output=True,
                              text=True, timeout=60, cwd=tmp_path)
        assert (proc.returncode, proc.stderr) == (2, f"seedbridge: error: {fifo}: the ledger must be a SQLite file, "
                                                     "and this is a FIFO (named pipe)\n")
    for location, what in (("/dev/null", "a character device"), (str(tmp_path), "a directory")):
        for action, args in ((ledger.read_runs, (location,)), (Ledger, (location,)),
                             (ledger.copy, (location, tmp_path / "b.sqlite"))):
            with pytest.raises(LedgerError, match=f"^{location}: the ledger must be a SQLite file, and this is "
                                                  f"{re.escape(what)}$"):
                action(*args)


def test_a_corrupted_page_is_a_clean_error(tmp_path: Path) -> None:
    """Damage inside the runs table (not the header) surfaces when rows are read: a LedgerError."""
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as book:
        for _ in range(200):
            book.insert(record(warnings=["x" * 200]))
    size = path.stat().st_size
    with open(path, "r+b") as fh:  # break the b-tree header of every page but the first (the schema)
        for offset in range(4096, size, 4096):
            fh.seek(offset)
            fh.write(b"\xff" * 16)  # fixed bytes: random ones sometimes decode as a plausible value
    with pytest.raises(LedgerError) as info:
        ledger.read_runs(path)
    assert str(path) in str(info.value) and "malformed" in str(info.value)


def test_the_ledger_path_defaults_beside_the_manifest_and_obeys_the_variable(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert ledger.default_path(tmp_path / "sub" / "seedbridge.yaml") == \
        str(tmp_path / "sub" / ".seedbridge" / "ledger.sqlite")
    monkeypatch.setenv("SEEDBRIDGE_LEDGER", str(tmp_path / "elsewhere.sqlite"))
    assert ledger.default_path(tmp_path / "seedbridge.yaml") == str(tmp_path / "elsewhere.sqlite")


def test_run_ids_sort_by_time_and_do_not_collide() -> None:
    ids = [ledger.new_run_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert [i[:19] for i in ids] == sorted(i[:19] for i in ids)


def test_import_seedbridge_does_not_load_sqlite3_or_psycopg() -> None:
    code = ("import sys, seedbridge, seedbridge.ledger, seedbridge.runner\n"
            "assert 'sqlite3' not in sys.modules and 'psycopg' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- PostgreSQL only ------------------------------------------------------------------------------


def test_a_password_is_never_shown_nor_stored(postgres_url: str) -> None:
    assert PASSWORD.replace(" ", "%20") not in ledger.shown(postgres_url)
    with Ledger(postgres_url) as book:
        assert ":" not in book.path.split("@")[0].removeprefix("postgresql://")
        book.insert(record())
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        dump = json.dumps(conn.execute("SELECT * FROM runs").fetchall()) + json.dumps(
            conn.execute("SELECT * FROM seedbridge_schema").fetchall())
    assert PASSWORD not in dump


@pytest.mark.parametrize("source", ["PGPASSWORD", "pgpass"])
def test_the_password_may_come_from_pgpassword_or_pgpass(postgres_server: PostgresServer, source: str,
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = postgres_server.new_database()
    url = postgres_server.url(db, password=False)
    with pytest.raises(LedgerError, match="cannot connect"):
        Ledger(url)
    if source == "PGPASSWORD":
        monkeypatch.setenv("PGPASSWORD", PASSWORD)
    else:
        pgpass = tmp_path / "pgpass"
        pgpass.write_text(f"127.0.0.1:{postgres_server.port}:{db}:seedbridge:{PASSWORD.replace(':', chr(92) + ':')}\n")
        pgpass.chmod(0o600)
        monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with Ledger(url) as book:
        assert book.schema_version == ledger.SCHEMA_VERSION


def test_a_lost_connection_is_reopened_for_the_end_of_a_run(postgres_server: PostgresServer) -> None:
    """The server killed our backend between start and end (a restart, a failover): the end is still recorded."""
    url = postgres_server.url(postgres_server.new_database())
    with Ledger(url) as book:
        rec = record()
        book.insert(rec)
        postgres_server.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = 'seedbridge' AND pid <> pg_backend_pid()")
        finish(book, rec.run_id)
        assert book.get(rec.run_id).status == "succeeded"


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    server = PostgresServer()  # initialised, never started: nothing listens on its port
    try:
        url = server.url("nowhere")
        with pytest.raises(LedgerError) as info:
            Ledger(url)
        text = str(info.value)
        assert text.startswith(f"postgresql://seedbridge@127.0.0.1:{server.port}/nowhere: cannot connect")
        assert "\n" not in text and PASSWORD not in text and "pw-" not in text
    finally:
        server.remove()


@pytest.mark.parametrize("url", ["postgresql://u:pw-x@[bad/db", "postgresql://u:pw-x@host:notaport/db",
                                 "postgresql://u:pw-x@host/db?sslmode=sometimes"])
def test_a_malformed_url_is_one_line_without_the_password(url: str) -> None:
    with pytest.raises(LedgerError) as info:
        Ledger(url)
    assert "pw-x" not in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("postgresql://")


@pytest.mark.parametrize(("url", "shown"), [
    # libpq takes a '#' or '?' in a password as it is; urllib reads them as a fragment or query.
    ("postgresql://u:pw#sec@h:5/db", "postgresql://u@h:5/db"),
    ("postgresql://u:pw?sec@h:5/db", "postgresql://u@h:5/db"),
    # libpq percent-decodes parameter names: pass%77ord is password.
    ("postgresql://h/db?user=u&pass%77ord=sec&sslmode=require", "postgresql://h/db?user=u&sslmode=require"),
    ("postgresql://h/db?password=sec", "postgresql://h/db"),
    # A Unix-socket URL keeps its empty host (urlunsplit dropped the //, and the result was no URL at all).
    ("postgresql:///db?host=/run/pg&password=sec", "postgresql:///db?host=/run/pg"),
    # Several hosts, and IPv6, are shown as given (they were "a URL that does not parse").
    ("postgresql://u:sec@h1:5,h2:6/db", "postgresql://u@h1:5,h2:6/db"),
    ("postgres://u:sec@[::1]:5/db", "postgres://u@[::1]:5/db"),
])
def test_redaction_follows_libpq_not_urllib(url: str, shown: str) -> None:
    assert ledger.shown(url) == shown
    assert "sec" not in ledger.shown(url)


@pytest.mark.parametrize("url", ["postgresql://u:p@ss@127.0.0.1:1/db", "postgresql://u:pa/ss@127.0.0.1:1/db",
                                 "postgresql://u@example.org:pass@127.0.0.1:1/db"])
def test_an_unencoded_at_or_slash_in_the_credentials_is_refused_before_connecting(url: str) -> None:
    """libpq would take part of the password for the host, and its error then named that host: 'ss@127.0.0.1'."""
    with pytest.raises(LedgerError) as info:
        Ledger(url)
    text = str(info.value)
    assert text.startswith("postgresql://u") and "/db: the URL's user name or password holds an '@' or '/' that is " \
        "not percent-encoded, so libpq would read part of it as the host" in text
    assert not any(secret in text for secret in ("p@ss", "ss@127", "pa/ss", ":pass"))


@pytest.mark.parametrize("location", ["postgresql+psycopg://u:sec@db.example.org/ledger", "POSTGRESQL://u:sec@h/db",
                                      "sqlite:///tmp/ledger.sqlite"])
def test_a_url_of_another_scheme_is_not_taken_for_a_file(location: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A SQLAlchemy URL made folders named after its password, and `run` printed it as the ledger's path."""
    monkeypatch.chdir(tmp_path)
    for action in (lambda: Ledger(location), lambda: ledger.read_runs(location),
                   lambda: ledger.copy(location, tmp_path / "b.sqlite"), lambda: ledger.copy(tmp_path / "b", location)):
        with pytest.raises(LedgerError, match=r"^\S+://\.\.\.: not a ledger location: a PostgreSQL ledger is a "
                                              r"postgresql:// \(or postgres://\) URL") as info:
            action()
        assert "sec" not in str(info.value) and "/tmp/ledger" not in str(info.value)
    assert list(tmp_path.iterdir()) == []
    assert "sec" not in ledger.shown(location)


def test_copy_from_a_missing_ledger_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no ledger at"):
        ledger.copy(tmp_path / "none.sqlite", tmp_path / "b.sqlite")
    assert not (tmp_path / "b.sqlite").exists()


def test_without_psycopg_a_postgresql_ledger_names_the_extra(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['psycopg'] = None\n"  # what Python does for a module that is not installed
            "from seedbridge.cli import main\n"
            "raise SystemExit(main(['history', '--ledger', 'postgresql://u@localhost/db']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "install seedbridge[postgres]" in proc.stderr and "Traceback" not in proc.stderr
