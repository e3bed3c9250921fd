"""`seedbridge run` and the commands that read its records: real subprocesses, a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import seedbridge
from seedbridge.envvars import job_environment
from seedbridge.ledger import Ledger

PY = sys.executable
# The environment as it was when this module was collected: rpy2, once imported by another test,
# adds LD_LIBRARY_PATH=/usr/lib/... to os.environ, and a child interpreter then loads the system libpython.
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in BASE_ENV.items() if k != "PYTHONHASHSEED"}
    env.update(extra)
    return env


def sb(*args: str, cwd: Path, input: str | None = None, env: dict[str, str] | None = None,
       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "seedbridge", *args], cwd=cwd, env=env or clean_env(), input=input,
                          capture_output=True, text=True, timeout=120)


def sb_popen(*args: str, cwd: Path, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen([PY, "-m", "seedbridge", *args], cwd=cwd, env=clean_env(), text=True, **kw)  # type: ignore[call-overload]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git work tree with a committed script and a manifest, as a CI checkout looks."""
    git = ["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "data.csv").write_text("x\n1\n")
    (tmp_path / "write.py").write_text(
        "import os, sys\n"
        "open(sys.argv[1], 'w').write(os.environ['SEEDBRIDGE_SEED'] + ' ' + os.environ['PYTHONHASHSEED'])\n")
    seedbridge.Manifest.new(["train", seedbridge.Job("eval", profile="deterministic")], root=0x2A).save(tmp_path / "seedbridge.yaml")
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "initial"], cwd=tmp_path, check=True)
    return tmp_path


def runs(project: Path) -> list[seedbridge.ledger.RunRecord]:
    with Ledger(project / ".seedbridge" / "ledger.sqlite") as book:
        return book.runs()


def test_cmd_gets_the_job_environment_and_owns_stdout(project: Path) -> None:
    probe = ("import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith("
             "('SEEDBRIDGE_', 'PYTHONHASHSEED', 'TF_DETERMINISTIC', 'TF_CUDNN', 'CUBLAS_'))}))")
    proc = sb("run", "eval", "--key", "rank=2", "--", PY, "-c", probe, cwd=project)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)  # stdout is CMD's alone: it parses as CMD's JSON
    manifest = seedbridge.load(project / "seedbridge.yaml")
    expected = job_environment(manifest, "eval", keys={"rank": "2"},
                               extra={"SEEDBRIDGE_RUN_ID": seen["SEEDBRIDGE_RUN_ID"]})
    assert seen == expected
    assert seen["TF_DETERMINISTIC_OPS"] == "1"  # the job's profile is deterministic
    (rec,) = runs(project)
    assert rec.run_id == seen["SEEDBRIDGE_RUN_ID"]
    assert f"run {rec.run_id}" in proc.stderr
    assert (rec.status, rec.exit_code, rec.keys, rec.seeds["seed"]) == ("succeeded", 0, {"rank": "2"},
                                                                        manifest.seed("eval", rank=2))


def test_stdin_passes_through_and_the_exit_code_comes_back(project: Path) -> None:
    code = "import sys; data = sys.stdin.read(); sys.stdout.write(data.upper()); sys.exit(7)"
    proc = sb("run", "train", "-q", "--", PY, "-c", code, cwd=project, input="hello\n")
    assert (proc.returncode, proc.stdout, proc.stderr) == (7, "HELLO\n", "")
    (rec,) = runs(project)
    assert (rec.status, rec.exit_code) == ("failed", 7)


def test_a_full_record(project: Path) -> None:
    proc = sb("run", "train", "--input", "data.csv", "--param", "lr=0.01", "--param", "epochs=3",
              "--output", "out.txt", "--output", "never.txt", "--", PY, "write.py", "out.txt", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "output file not written: never.txt" in proc.stderr
    (rec,) = runs(project)
    import hashlib

    digest = lambda p: hashlib.sha256((project / p).read_bytes()).hexdigest()  # noqa: E731
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True).stdout.strip()
    manifest = seedbridge.load(project / "seedbridge.yaml")
    assert rec.inputs == {"data.csv": digest("data.csv")}
    assert rec.outputs == {"out.txt": digest("out.txt"), "never.txt": None}
    assert rec.params == {"lr": "0.01", "epochs": "3"}
    assert (rec.git_commit, rec.git_dirty, rec.code_version) == (head, False, head)
    assert rec.command == [PY, "write.py", "out.txt"]
    assert rec.cwd == str(project)
    assert rec.manifest_digest == manifest.digest()
    assert rec.root_source == "explicit"
    assert rec.versions["python"].endswith(".".join(map(str, sys.version_info[:3]))), rec.versions
    assert "numpy" in rec.versions and "r" not in rec.versions  # the job does not list r
    assert rec.host and rec.started_at.endswith("Z") and rec.ended_at and rec.ended_at >= rec.started_at


def test_a_dirty_tree_changes_the_code_version(project: Path) -> None:
    (project / "write.py").write_text((project / "write.py").read_text() + "# edited\n")
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project).returncode == 0
    (rec,) = runs(project)
    assert rec.git_dirty is True
    assert rec.code_version and rec.code_version.startswith(f"{rec.git_commit}+dirty.")


def test_a_repeated_run_is_flagged_unless_deliberate(project: Path) -> None:
    base = ("run", "train", "--input", "data.csv", "--param", "lr=0.1", "--output", "o.txt", "--")
    cmd = (PY, "write.py", "o.txt")
    assert sb(*base, *cmd, cwd=project).returncode == 0
    second = sb(*base, *cmd, cwd=project)
    assert second.returncode == 0
    assert "warning:" in second.stderr and "repeats run" in second.stderr
    deliberate = sb(*base[:-1], "--rerun", "--", *cmd, cwd=project)
    assert "warning:" not in deliberate.stderr
    other = sb("run", "train", "--input", "data.csv", "--param", "lr=0.2", "--output", "o.txt", "--", *cmd,
               cwd=project)
    assert "warning:" not in other.stderr
    first, dup, check, new = runs(project)
    assert (dup.duplicate_of, dup.deliberate) == (first.run_id, False)
    assert any("repeats run" in w for w in dup.warnings)
    assert (check.duplicate_of, check.deliberate) == (dup.run_id, True)
    assert new.duplicate_of is None


def test_16_parallel_runs_give_16_complete_records(project: Path) -> None:
    def one(i: int) -> int:
        proc = sb("run", "train", "--key", f"worker={i}", "--output", f"o{i}.txt", "--", PY, "write.py",
                  f"o{i}.txt", cwd=project)
        return proc.returncode

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(one, range(16)))
    assert codes == [0] * 16
    got = runs(project)
    assert len(got) == 16 and len({r.run_id for r in got}) == 16
    assert all(r.status == "succeeded" and r.ended_at and r.outputs[f"o{r.keys['worker']}.txt"] for r in got)
    assert sorted(r.keys["worker"] for r in got) == sorted(str(i) for i in range(16))
    with Ledger(project / ".seedbridge" / "ledger.sqlite") as book:
        assert book.integrity() == "ok"


def _wait_for_line(stream: object, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    line = stream.readline()  # type: ignore[attr-defined]
    assert time.monotonic() < deadline
    return str(line)


def test_killing_seedbridge_leaves_a_started_record_and_a_sound_file(project: Path) -> None:
    code = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
    proc = sb_popen("run", "train", "-q", "--", PY, "-c", code, cwd=project, stdout=subprocess.PIPE,
                    start_new_session=True)
    try:
        child = int(_wait_for_line(proc.stdout))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the orphaned command too
        proc.stdout.close()  # type: ignore[union-attr]
    assert child > 0
    (rec,) = runs(project)
    assert (rec.status, rec.ended_at, rec.exit_code) == ("started", None, None)
    conn = sqlite3.connect(project / ".seedbridge" / "ledger.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project).returncode == 0
    assert [r.status for r in runs(project)] == ["started", "succeeded"]


def test_a_signal_to_seedbridge_reaches_the_command(project: Path) -> None:
    code = ("import signal, sys, time\n"
            "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n")
    proc = sb_popen("run", "train", "-q", "--", PY, "-c", code, cwd=project, stdout=subprocess.PIPE)
    try:
        assert _wait_for_line(proc.stdout) == "ready\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 42  # the command's handler ran: seedbridge passed SIGTERM on
    finally:
        proc.kill()
        proc.stdout.close()  # type: ignore[union-attr]
    (rec,) = runs(project)
    assert (rec.status, rec.exit_code, rec.signal) == ("failed", 42, None)


def test_a_command_killed_by_a_signal_kills_seedbridge_the_same_way(project: Path) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    proc = sb("run", "train", "--", PY, "-c", code, cwd=project)
    assert proc.returncode == -signal.SIGTERM
    (rec,) = runs(project)
    assert (rec.status, rec.exit_code, rec.signal) == ("failed", 128 + signal.SIGTERM, signal.SIGTERM)


def test_a_command_that_does_not_exist_exits_127_and_is_recorded(project: Path) -> None:
    proc = sb("run", "train", "--", "no-such-program-xyz", cwd=project)
    assert proc.returncode == 127
    assert "cannot run 'no-such-program-xyz'" in proc.stderr and "Traceback" not in proc.stderr
    (rec,) = runs(project)
    assert (rec.status, rec.exit_code) == ("failed", 127)


@pytest.mark.parametrize(("args", "message"), [
    (("run", "train", "--input", "missing.csv", "--", "true"), "missing.csv: input file does not exist"),
    (("run", "nope", "--", "true"), "no job 'nope' in the manifest"),
    (("run", "train", "--param", "lr", "--", "true"), "--param: must be NAME=VALUE"),
    (("run", "train", "true"), "put the command after --"),
    (("run", "train", "--"), "a command is required after --"),
    (("show-run", "nope"), "no ledger at"),
])
def test_user_errors_are_one_line_and_exit_2(project: Path, args: tuple[str, ...], message: str) -> None:
    proc = sb(*args, cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    if args[0] == "run" and args[1] == "train" and "--input" in args:
        assert not (project / ".seedbridge").exists()  # nothing was recorded, nothing ran


def test_history_show_run_export_and_import(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project).returncode == 0
    assert sb("run", "eval", "--", PY, "-c", "raise SystemExit(3)", cwd=project).returncode == 3
    listed = json.loads(sb("history", "--format", "json", cwd=project).stdout)
    assert [r["job"] for r in listed] == ["train", "eval"]
    for r in listed:
        for key in ("run_id", "job", "keys", "seeds", "command", "started_at", "ended_at", "exit_code", "status"):
            assert key in r
        for stamp in (r["started_at"], r["ended_at"]):
            assert time.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert [r["exit_code"] for r in listed] == [0, 3]
    only = json.loads(sb("history", "--job", "eval", "-f", "json", cwd=project).stdout)
    assert [r["status"] for r in only] == ["failed"]
    table = sb("history", cwd=project).stdout
    assert "RUN ID" in table and listed[0]["run_id"] in table
    shown = sb("show-run", listed[1]["run_id"][:-3], cwd=project)
    assert shown.returncode == 0 and "exit code:      3" in shown.stdout
    assert json.loads(sb("show-run", listed[0]["run_id"], "-f", "json", cwd=project).stdout) == listed[0]

    export = project / "export.json"
    assert sb("export", "-o", str(export), cwd=project).returncode == 0
    one = json.loads(sb("export", listed[0]["run_id"], cwd=project).stdout)
    assert [r["run_id"] for r in one["runs"]] == [listed[0]["run_id"]]
    elsewhere = tmp_path_factory.mktemp("ci")
    target = str(elsewhere / "ledger.sqlite")
    imported = sb("import", str(export), "--ledger", target, cwd=elsewhere)
    assert imported.returncode == 0 and "imported 2 runs" in imported.stderr
    again = sb("import", "-", "--ledger", target, cwd=elsewhere, input=export.read_text())
    assert again.returncode == 0 and "imported 0 runs" in again.stderr and "2 already there" in again.stderr
    assert json.loads(sb("history", "-f", "json", "--ledger", target, cwd=elsewhere).stdout) == listed
    broken = elsewhere / "broken.json"
    broken.write_text('{"seedbridge_ledger_export": 1, "runs": [{"run_id": 1}]}')
    bad = sb("import", str(broken), "--ledger", target, cwd=elsewhere)
    assert bad.returncode == 2 and "runs[0].run_id: must be str, got 1" in bad.stderr


def test_history_of_an_empty_ledger_creates_nothing(project: Path) -> None:
    proc = sb("history", cwd=project)
    assert proc.returncode == 0 and "no runs recorded" in proc.stdout
    assert sb("history", "-f", "json", cwd=project).stdout.strip() == "[]"
    assert not (project / ".seedbridge").exists()


def test_the_ledger_variable_moves_the_ledger(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    target = tmp_path_factory.mktemp("l") / "runs.sqlite"
    proc = sb("run", "train", "--", PY, "-c", "pass", cwd=project, env=clean_env(SEEDBRIDGE_LEDGER=str(target)))
    assert proc.returncode == 0, proc.stderr
    assert target.exists() and not (project / ".seedbridge").exists()
