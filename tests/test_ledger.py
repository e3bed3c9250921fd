"""The SQLite ledger: schema and migrations, records, export and import, on a real file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from seedbridge import ledger
from seedbridge.errors import LedgerError, ValidationError
from seedbridge.ledger import Ledger, RunRecord


def record(run_id: str | None = None, **overrides: object) -> RunRecord:
    data: dict[str, object] = {
        "run_id": run_id or ledger.new_run_id(), "job": "train", "command": ["python", "train.py"],
        "started_at": ledger.utc_now(), "keys": {"rank": "1"}, "seeds": {"seed": 42, "PYTHONHASHSEED": 42},
        "code_version": "abc", "params": {"lr": "0.1"}, "inputs": {"data.csv": "00" * 32},
    }
    data.update(overrides)
    return RunRecord(**data)  # type: ignore[arg-type]


def test_a_new_ledger_is_wal_and_at_the_current_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "ledger.sqlite"
    with Ledger(path) as book:
        assert book.schema_version == ledger.SCHEMA_VERSION == len(ledger.MIGRATIONS)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [r[0] for r in conn.execute("SELECT version FROM seedbridge_schema ORDER BY version")]
        assert versions == [m[0] for m in ledger.MIGRATIONS]
    finally:
        conn.close()


def test_an_older_ledger_is_migrated_and_its_rows_kept(tmp_path: Path) -> None:
    """A version-1 file gains the fingerprint column, filled in for the rows it already had."""
    path = tmp_path / "ledger.sqlite"
    with Ledger(path, _target_version=1) as old:
        assert old.schema_version == 1
        rec = record("20250101T000000000Z-0000000001")
        old.insert(rec)  # written without the fingerprint column, as seedbridge of schema 1 would
    with Ledger(path) as book:
        assert book.schema_version == ledger.SCHEMA_VERSION
        got = book.get(rec.run_id)
    assert got.fingerprint == ledger.fingerprint(job="train", keys={"rank": "1"}, seed=42, code_version="abc",
                                                 inputs=rec.inputs, params={"lr": "0.1"}, command=rec.command)
    assert got.fingerprint is not None


def test_a_ledger_newer_than_this_seedbridge_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO seedbridge_schema VALUES (99, 'from the future', '2099-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="schema version 99 is newer than this seedbridge reads"):
        Ledger(path)


def test_a_file_that_is_not_a_database_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LedgerError, match="not a usable seedbridge ledger"):
        Ledger(path)


def test_insert_finish_and_get_by_id_or_unique_prefix(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as book:
        a = record("20250101T000000000Z-aaaaaaaaaa")
        b = record("20250101T000000000Z-abbbbbbbbb")
        book.insert(a)
        book.insert(b)
        assert book.get(a.run_id).status == "started"
        book.finish(a.run_id, ended_at=ledger.utc_now(), exit_code=0, signal=None, status="succeeded",
                    outputs={"model.npy": "11" * 32, "gone.txt": None}, warnings=["late note"])
        done = book.get("20250101T000000000Z-aa")
        assert (done.status, done.exit_code, done.outputs) == ("succeeded", 0, {"gone.txt": None,
                                                                               "model.npy": "11" * 32})
        assert done.warnings == ["late note"]
        with pytest.raises(LedgerError, match="matches several runs"):
            book.get("20250101T000000000Z-a")
        with pytest.raises(LedgerError, match="no run 'nope'"):
            book.get("nope")
        with pytest.raises(LedgerError, match="cannot record run"):
            book.insert(a)
        assert [r.run_id for r in book.runs()] == [a.run_id, b.run_id]
        assert book.runs(job="other") == []


def test_duplicates_are_found_only_among_earlier_successful_runs(tmp_path: Path) -> None:
    fp = "f" * 64
    with Ledger(tmp_path / "l.sqlite") as book:
        book.insert(record("20250101T000000001Z-0000000001", fingerprint=fp))
        assert book.find_duplicate(fp, before="20250101T000000009Z-0") is None  # still started
        book.finish("20250101T000000001Z-0000000001", ended_at=ledger.utc_now(), exit_code=0, signal=None,
                    status="succeeded", outputs={})
        assert book.find_duplicate(fp, before="20250101T000000009Z-0") == "20250101T000000001Z-0000000001"
        assert book.find_duplicate(fp, before="20250101T000000000Z-0") is None
        assert book.find_duplicate(None, before="9") is None


def test_export_then_import_into_another_ledger_round_trips(tmp_path: Path) -> None:
    with Ledger(tmp_path / "a.sqlite") as a:
        for _ in range(3):
            a.insert(record())
        runs = a.runs()
    text = ledger.dumps_export(runs)
    assert json.loads(text)["seedbridge_ledger_export"] == ledger.EXPORT_FORMAT
    with Ledger(tmp_path / "b.sqlite") as b:
        first = b.import_records(ledger.loads_export(text))
        again = b.import_records(ledger.loads_export(text))
        assert b.runs() == runs
        changed = json.loads(text)
        changed["runs"][0]["job"] = "eval"
        conflict = b.import_records(ledger.loads_export(json.dumps(changed)))
        assert b.runs()[0].job == "train"
    assert (len(first.added), len(again.added), len(again.unchanged)) == (3, 0, 3)
    assert conflict.conflicts == [runs[0].run_id]


def test_a_bad_export_reports_every_problem_with_its_field() -> None:
    doc = {"seedbridge_ledger_export": 1, "runs": [
        {"run_id": "x", "job": 3, "command": ["a"], "started_at": "t", "status": "started"},
        {"run_id": "y", "command": "not a list", "started_at": "t", "status": "weird", "colour": "red"},
    ]}
    with pytest.raises(ValidationError) as info:
        ledger.loads_export(json.dumps(doc), source="ci.json")
    text = str(info.value)
    for expected in ("ci.json runs[0].job: must be str, got 3", "ci.json runs[1].job: required field is missing",
                     "ci.json runs[1].command: must be list", "runs[1].status: must be one of",
                     "runs[1].colour: unknown field"):
        assert expected in text
    with pytest.raises(ValidationError, match="malformed JSON"):
        ledger.loads_export("{", source="x.json")


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


def test_import_seedbridge_does_not_load_sqlite3() -> None:
    code = "import sys, seedbridge; assert 'sqlite3' not in sys.modules, 'sqlite3 imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
