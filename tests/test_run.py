"""`seedbridge run` and the commands that read its records: real subprocesses, a real SQLite file and a
real PostgreSQL server. Tests that take ``book`` run once per backend."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pgserver import PASSWORD, PostgresServer

import seedbridge
from seedbridge._envvars import job_environment
from seedbridge.ledger import Ledger, RunRecord

PY = sys.executable
# The environment as it was when this module was collected: rpy2, once imported by another test,
# adds LD_LIBRARY_PATH=/usr/lib/... to os.environ, and a child interpreter then loads the system libpython.
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
CLI = Callable[..., subprocess.CompletedProcess[str]]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in BASE_ENV.items() if k not in ("PYTHONHASHSEED", "PGPASSWORD", "PGPASSFILE")}
    env.update(extra)
    return env


def sb(*args: str, cwd: Path, input: str | None = None, env: dict[str, str] | None = None,
       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "seedbridge", *args], cwd=cwd, env=env or clean_env(), input=input,
                          capture_output=True, text=True, timeout=120)


def sb_popen(*args: str, cwd: Path, env: dict[str, str] | None = None, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen([PY, "-m", "seedbridge", *args], cwd=cwd, env=env or clean_env(), text=True,  # type: ignore[call-overload]
                            **kw)


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


@pytest.fixture
def book(ledger_location: str) -> str:
    """The ledger of each backend, named to seedbridge by $SEEDBRIDGE_LEDGER in ``run_sb``."""
    return ledger_location


@pytest.fixture
def run_sb(book: str) -> CLI:
    """``sb`` with $SEEDBRIDGE_LEDGER set to the test's ledger."""

    def _run(*args: str, cwd: Path, input: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        return sb(*args, cwd=cwd, input=input, env=clean_env(SEEDBRIDGE_LEDGER=book, **env))

    return _run


def runs(location: str | Path) -> list[RunRecord]:
    with Ledger(location) as ledger:
        return ledger.runs()


def default_ledger(project: Path) -> Path:
    return project / ".seedbridge" / "ledger.sqlite"


# -- both backends --------------------------------------------------------------------------------


def test_cmd_gets_the_job_environment_and_owns_stdout(project: Path, book: str, run_sb: CLI) -> None:
    probe = ("import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith("
             "('SEEDBRIDGE_', 'PYTHONHASHSEED', 'TF_DETERMINISTIC', 'TF_CUDNN', 'CUBLAS_')) "
             "and k != 'SEEDBRIDGE_LEDGER'}))")
    proc = run_sb("run", "eval", "--key", "rank=2", "--", PY, "-c", probe, cwd=project)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)  # stdout is CMD's alone: it parses as CMD's JSON
    manifest = seedbridge.load(project / "seedbridge.yaml")
    expected = job_environment(manifest, "eval", keys={"rank": "2"},
                               extra={"SEEDBRIDGE_RUN_ID": seen["SEEDBRIDGE_RUN_ID"]})
    assert seen == expected
    assert seen["TF_DETERMINISTIC_OPS"] == "1"  # the job's profile is deterministic
    (rec,) = runs(book)
    assert rec.run_id == seen["SEEDBRIDGE_RUN_ID"]
    assert f"run {rec.run_id}" in proc.stderr
    assert (rec.status, rec.exit_code, rec.keys, rec.seeds["seed"]) == ("succeeded", 0, {"rank": "2"},
                                                                        manifest.seed("eval", rank=2))


def test_stdin_passes_through_and_the_exit_code_comes_back(project: Path, book: str, run_sb: CLI) -> None:
    code = "import sys; data = sys.stdin.read(); sys.stdout.write(data.upper()); sys.exit(7)"
    proc = run_sb("run", "train", "-q", "--", PY, "-c", code, cwd=project, input="hello\n")
    assert (proc.returncode, proc.stdout, proc.stderr) == (7, "HELLO\n", "")
    (rec,) = runs(book)
    assert (rec.status, rec.exit_code) == ("failed", 7)


def test_a_full_record(project: Path, book: str, run_sb: CLI) -> None:
    proc = run_sb("run", "eval", "--input", "data.csv", "--param", "lr=0.01", "--param", "epochs=3",
                  "--output", "out.txt", "--output", "never.txt", "--", PY, "write.py", "out.txt", cwd=project,
                  OMP_NUM_THREADS="1")
    assert proc.returncode == 0, proc.stderr
    assert "output file not written: never.txt" in proc.stderr
    (rec,) = runs(book)

    def digest(p: str) -> str:
        return hashlib.sha256((project / p).read_bytes()).hexdigest()

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
    assert "numpy" in rec.versions and "protobuf" in rec.versions and "r" not in rec.versions
    assert rec.host and rec.started_at.endswith("Z") and rec.ended_at and rec.ended_at >= rec.started_at
    # What it ran on, as the command saw it.
    system = rec.system
    assert system["cpu_cores"] == str(os.cpu_count()) and system["kernel"].startswith(os.uname().sysname)
    assert system["OMP_NUM_THREADS"] == "1" and system["MKL_NUM_THREADS"] is None
    assert system["PYTHONHASHSEED"] == str(rec.seeds["PYTHONHASHSEED"])
    assert system["TF_DETERMINISTIC_OPS"] == "1"  # set by seedbridge for the deterministic profile
    assert system["blas"].startswith(("scipy-openblas", "openblas", "mkl", "accelerate")), system
    assert system["blas_threads"] == "1"  # OpenBLAS follows OMP_NUM_THREADS when OPENBLAS_NUM_THREADS is unset
    shown = run_sb("show-run", rec.run_id, cwd=project).stdout
    assert "\nsystem:\n" in shown
    for key, value in (("OMP_NUM_THREADS", "1"), ("MKL_NUM_THREADS", "(unset)"), ("blas_threads", "1"),
                       ("cpu", system["cpu"]), ("numpy", rec.versions["numpy"])):
        assert re.search(rf"^  {key} +{re.escape(str(value))}$", shown, re.M), (key, shown)


def test_a_repeated_run_is_flagged_unless_deliberate(project: Path, book: str, run_sb: CLI) -> None:
    base = ("run", "train", "--input", "data.csv", "--param", "lr=0.1", "--output", "o.txt", "--")
    cmd = (PY, "write.py", "o.txt")
    assert run_sb(*base, *cmd, cwd=project).returncode == 0
    second = run_sb(*base, *cmd, cwd=project)
    assert second.returncode == 0
    assert "warning:" in second.stderr and "repeats run" in second.stderr
    deliberate = run_sb(*base[:-1], "--rerun", "--", *cmd, cwd=project)
    assert "warning:" not in deliberate.stderr
    other = run_sb("run", "train", "--input", "data.csv", "--param", "lr=0.2", "--output", "o.txt", "--", *cmd,
                   cwd=project)
    assert "warning:" not in other.stderr
    first, dup, check, new = runs(book)
    assert (dup.duplicate_of, dup.deliberate) == (first.run_id, False)
    assert any("repeats run" in w for w in dup.warnings)
    assert (check.duplicate_of, check.deliberate) == (dup.run_id, True)
    assert new.duplicate_of is None


@pytest.mark.slow
def test_32_concurrent_runs_give_32_complete_records(project: Path, book: str, run_sb: CLI) -> None:
    def one(i: int) -> int:
        proc = run_sb("run", "train", "-q", "--key", f"worker={i}", "--output", f"o{i}.txt", "--", PY, "write.py",
                      f"o{i}.txt", cwd=project)
        assert proc.stderr == "", proc.stderr
        return proc.returncode

    with ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(one, range(32)))
    assert codes == [0] * 32
    got = runs(book)
    assert len(got) == 32 and len({r.run_id for r in got}) == 32
    assert all(r.status == "succeeded" and r.ended_at and r.outputs[f"o{r.keys['worker']}.txt"] for r in got)
    assert sorted(r.keys["worker"] for r in got) == sorted(str(i) for i in range(32))
    with Ledger(book) as ledger:
        assert ledger.integrity() == "ok"


def test_killing_seedbridge_leaves_a_started_record(project: Path, book: str) -> None:
    code = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
    proc = sb_popen("run", "train", "-q", "--", PY, "-c", code, cwd=project, stdout=subprocess.PIPE,
                    start_new_session=True, env=clean_env(SEEDBRIDGE_LEDGER=book))
    try:
        child = int(_wait_for_line(proc.stdout))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the orphaned command too
        proc.stdout.close()  # type: ignore[union-attr]
    assert child > 0
    (rec,) = runs(book)
    assert (rec.status, rec.ended_at, rec.exit_code) == ("started", None, None)
    with Ledger(book) as ledger:
        assert ledger.integrity() == "ok"
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project,
              env=clean_env(SEEDBRIDGE_LEDGER=book)).returncode == 0
    assert [r.status for r in runs(book)] == ["started", "succeeded"]


@pytest.mark.slow
def test_history_show_run_export_import_and_copy(project: Path, book: str, run_sb: CLI,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    assert run_sb("run", "train", "--", PY, "-c", "pass", cwd=project).returncode == 0
    assert run_sb("run", "eval", "--", PY, "-c", "raise SystemExit(3)", cwd=project).returncode == 3
    listed = json.loads(run_sb("history", "--format", "json", cwd=project).stdout)
    assert [r["job"] for r in listed] == ["train", "eval"]
    for r in listed:
        for key in ("run_id", "job", "keys", "seeds", "command", "started_at", "ended_at", "exit_code", "status",
                    "system", "sweep_id", "metrics"):
            assert key in r
        for stamp in (r["started_at"], r["ended_at"]):
            assert time.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert [r["exit_code"] for r in listed] == [0, 3]
    only = json.loads(run_sb("history", "--job", "eval", "-f", "json", cwd=project).stdout)
    assert [r["status"] for r in only] == ["failed"]
    assert [r["run_id"] for r in json.loads(run_sb("history", "--last", "1", "-f", "json", cwd=project).stdout)] \
        == [listed[1]["run_id"]]
    table = run_sb("history", cwd=project).stdout
    assert "RUN ID" in table and listed[0]["run_id"] in table
    shown = run_sb("show-run", listed[1]["run_id"][:-3], cwd=project)
    assert shown.returncode == 0 and "exit code:      3" in shown.stdout
    assert json.loads(run_sb("show-run", listed[0]["run_id"], "-f", "json", cwd=project).stdout) == listed[0]

    export = project / "export.json"
    assert run_sb("export", "-o", str(export), cwd=project).returncode == 0
    one = json.loads(run_sb("export", listed[0]["run_id"], cwd=project).stdout)
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
    assert bad.returncode == 2 and "runs[0].run_id: must be a run id" in bad.stderr

    # ledger copy: to a new SQLite file and back into the test's ledger (nothing new to add there).
    copied = str(elsewhere / "copy.sqlite")
    there = sb("ledger", "copy", book, copied, cwd=elsewhere)
    assert there.returncode == 0 and "copied 2 runs" in there.stderr, there.stderr
    assert PASSWORD not in there.stderr
    back = sb("ledger", "copy", copied, book, cwd=elsewhere)
    assert back.returncode == 0 and "copied 0 runs" in back.stderr and "(2 already there)" in back.stderr
    assert runs(copied) == runs(book)


# -- PostgreSQL faults ----------------------------------------------------------------------------


def test_a_server_that_is_down_stops_run_before_the_command(project: Path) -> None:
    server = PostgresServer()  # never started
    try:
        url = server.url("ledger")
        proc = sb("run", "train", "--", PY, "-c", "open('ran', 'w')", cwd=project,
                  env=clean_env(SEEDBRIDGE_LEDGER=url))
    finally:
        server.remove()
    assert proc.returncode == 2 and not (project / "ran").exists()
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"seedbridge: error: postgresql://seedbridge@127.0.0.1:{server.port}/ledger: cannot connect")
    assert "pw-" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_sqlalchemy_url_stops_run_before_the_command_without_saying_its_password(project: Path) -> None:
    url = "postgresql+psycopg://ci:s3cret@db.example.org/ledger"
    proc = sb("run", "train", "--", PY, "-c", "open('ran', 'w')", cwd=project, env=clean_env(SEEDBRIDGE_LEDGER=url))
    assert proc.returncode == 2 and not (project / "ran").exists()
    assert proc.stderr == ("seedbridge: error: postgresql+psycopg://...: not a ledger location: a PostgreSQL ledger "
                           "is a postgresql:// (or postgres://) URL, as libpq takes it; anything else is the path of "
                           "a SQLite file\n")
    assert not (project / "postgresql+psycopg:").exists()


def test_refused_credentials_stop_run_before_the_command(project: Path, postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    url = postgres_server.url(db).replace("%20", "%21")  # a wrong password
    proc = sb("run", "train", "--", PY, "-c", "open('ran', 'w')", cwd=project, env=clean_env(SEEDBRIDGE_LEDGER=url))
    assert proc.returncode == 2 and not (project / "ran").exists()
    (line,) = proc.stderr.splitlines()
    assert f"postgresql://seedbridge@127.0.0.1:{postgres_server.port}/{db}: cannot connect" in line
    assert "password authentication failed" in line and "pw-" not in line


def test_the_password_is_never_written_to_the_ledger_or_said(project: Path, postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    url = postgres_server.url(db, password=False)
    env = clean_env(SEEDBRIDGE_LEDGER=url, PGPASSWORD=PASSWORD)
    said = []
    for args in (("run", "train", "--", PY, "-c", "pass"), ("history",), ("export",)):
        proc = sb(*args, cwd=project, env=env)
        assert proc.returncode == 0, proc.stderr
        said.append(proc.stdout + proc.stderr)
    run_id = runs(postgres_server.url(db))[0].run_id
    said.append(sb("show-run", run_id, cwd=project, env=env).stdout)
    dump = postgres_server.admin("SELECT row_to_json(r)::text FROM runs r", dbname=db)
    log = postgres_server.log.read_text()
    for text in (*said, json.dumps(dump), log):
        assert PASSWORD not in text and "pw-Tq8" not in text
    assert f"(ledger postgresql://seedbridge@127.0.0.1:{postgres_server.port}/{db})" in said[0]


def _can_unshare_the_network() -> bool:
    try:
        return subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _can_unshare_the_network(), reason="needs a network namespace (unshare -n) and ip")
def test_a_network_that_drops_every_packet_mid_run_still_passes_the_status_through(tmp_path: Path) -> None:
    """Packets dropped, not refused: without a TCP user timeout the end of the run waited ~15 minutes."""
    from seedbridge.ledger._postgres import TCP_USER_TIMEOUT_MS

    out = tmp_path / "partition.json"
    proc = subprocess.run(["unshare", "-n", PY, str(Path(__file__).parent / "scripts" / "pg_partition.py"), str(out)],
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["exit"] == 5, result
    assert result["seconds"] < TCP_USER_TIMEOUT_MS / 1000 + 30
    assert "the record could not be completed" in result["stderr"] and "Traceback" not in result["stderr"]
    assert "pw-" not in result["stderr"]


@pytest.mark.slow
def test_a_server_stopped_mid_run_passes_the_status_through(project: Path) -> None:
    server = PostgresServer().start()
    try:
        url = server.url(server.new_database())
        code = "import sys, time; print('ready', flush=True); sys.stdin.readline(); sys.exit(5)"
        proc = sb_popen("run", "train", "--", PY, "-c", code, cwd=project, stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(SEEDBRIDGE_LEDGER=url))
        assert _wait_for_line(proc.stdout) == "ready\n"
        server.stop()
        _, err = proc.communicate("go\n", timeout=120)
        assert proc.returncode == 5, err
        assert "the record could not be completed" in err and "Traceback" not in err
        assert "pw-" not in err
        server.start()
        (rec,) = runs(url)
        assert rec.status == "started"
    finally:
        server.remove()


# -- SQLite, and what does not depend on the backend ------------------------------------------------


def test_a_dirty_tree_changes_the_code_version(project: Path) -> None:
    (project / "write.py").write_text((project / "write.py").read_text() + "# edited\n")
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project).returncode == 0
    (rec,) = runs(default_ledger(project))
    assert rec.git_dirty is True
    assert rec.code_version and rec.code_version.startswith(f"{rec.git_commit}+dirty.")


def _wait_for_line(stream: object, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    line = stream.readline()  # type: ignore[attr-defined]
    assert time.monotonic() < deadline
    return str(line)


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
    (rec,) = runs(default_ledger(project))
    assert (rec.status, rec.exit_code, rec.signal) == ("failed", 42, None)


def test_a_command_killed_by_a_signal_kills_seedbridge_the_same_way(project: Path) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    proc = sb("run", "train", "--", PY, "-c", code, cwd=project)
    assert proc.returncode == -signal.SIGTERM
    (rec,) = runs(default_ledger(project))
    assert (rec.status, rec.exit_code, rec.signal) == ("failed", 128 + signal.SIGTERM, signal.SIGTERM)


def test_a_command_killed_by_sigkill_exits_137_like_the_shell(project: Path) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    shell = subprocess.run(["sh", "-c", f'"$0" -c "{code}"; exit $?', PY], capture_output=True)
    proc = sb("run", "train", "--", PY, "-c", code, cwd=project)
    assert proc.returncode == shell.returncode == 137
    assert "Traceback" not in proc.stderr and "killed by signal 9" in proc.stderr
    (rec,) = runs(default_ledger(project))
    assert (rec.status, rec.exit_code, rec.signal) == ("failed", 137, signal.SIGKILL)


def test_a_command_that_does_not_exist_exits_127_and_is_recorded(project: Path) -> None:
    proc = sb("run", "train", "--", "no-such-program-xyz", cwd=project)
    assert proc.returncode == 127
    assert "cannot run 'no-such-program-xyz'" in proc.stderr and "Traceback" not in proc.stderr
    (rec,) = runs(default_ledger(project))
    assert (rec.status, rec.exit_code) == ("failed", 127)


@pytest.mark.parametrize(("args", "message"), [
    (("run", "train", "--input", "missing.csv", "--", "true"), "missing.csv: input file does not exist"),
    (("run", "nope", "--", "true"), "no job 'nope' in the manifest"),
    (("run", "train", "--param", "lr", "--", "true"), "--param: must be NAME=VALUE"),
    (("run", "train", "true"), "put the command after --"),
    (("run", "train", "--"), "a command is required after --"),
    (("show-run", "nope"), "no ledger at"),
    (("history", "--last", "-1"), "--last/-n: must be a positive integer, got '-1'"),
    (("history", "--last", "0"), "--last/-n: must be a positive integer, got '0'"),
])
def test_user_errors_are_one_line_and_exit_2(project: Path, args: tuple[str, ...], message: str) -> None:
    proc = sb(*args, cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    if args[0] == "run" and args[1] == "train" and "--input" in args:
        assert not (project / ".seedbridge").exists()  # nothing was recorded, nothing ran


def test_a_fifo_as_input_or_output_is_refused_before_the_command(project: Path) -> None:
    os.mkfifo(project / "pipe")
    for flag in ("--input", "--output"):
        proc = subprocess.run([PY, "-m", "seedbridge", "run", "train", flag, "pipe", "--", PY, "-c",
                               "open('ran', 'w')"], cwd=project, env=clean_env(), capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert "pipe: " in proc.stderr and "a FIFO (named pipe)" in proc.stderr and "regular file" in proc.stderr
        assert not (project / "ran").exists()
    # A command that turns its output into a FIFO: recorded without a digest, and nothing hangs.
    code = "import os; os.mkfifo('later')"
    proc = sb("run", "train", "--output", "later", "--", PY, "-c", code, cwd=project)
    assert proc.returncode == 0 and "output later is a FIFO (named pipe)" in proc.stderr
    (rec,) = runs(default_ledger(project))
    assert rec.outputs == {"later": None} and any("FIFO" in w for w in rec.warnings)


def test_control_characters_are_escaped_in_history_and_show_run(project: Path) -> None:
    """A job name with ESC and a newline (from a manifest, or an old ledger) cannot reach the terminal raw."""
    path = default_ledger(project)
    Ledger(path).close()
    conn = sqlite3.connect(path)  # as an older seedbridge could have written it
    conn.execute("INSERT INTO runs (run_id, job, command, started_at, status) VALUES (?, ?, ?, ?, 'started')",
                 ("20250101T000000000Z-\x1b[2J", "tr\x1b[31main\nFAKE ROW", json.dumps(["echo", "\x1b]0;x\x07"]),
                  "2025-01-01T00:00:00.000000Z"))
    conn.commit()
    conn.close()
    table = sb("history", cwd=project)
    assert table.returncode == 0
    assert "\x1b" not in table.stdout and "tr\\x1b[31main\\nFAKE ROW" in table.stdout
    assert len(table.stdout.splitlines()) == 2  # header and one row: the newline forged none
    shown = sb("show-run", "20250101T000000000Z-\x1b[2J", cwd=project)
    assert shown.returncode == 0 and "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "run:            20250101T000000000Z-\\x1b[2J" in shown.stdout


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


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount a small tmpfs (needs root, as CI runs); unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mounted: list[Path] = []

    def _mount(size: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield _mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_full_disk_during_the_run_passes_the_status_through(project: Path, mount: Callable[..., Path]) -> None:
    disk = mount("2m")
    target = disk / "ledger.sqlite"
    env = clean_env(SEEDBRIDGE_LEDGER=str(target))
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project, env=env).returncode == 0
    fill = (f"import sys\nf = open({str(disk / 'fill')!r}, 'wb')\n"
            "try:\n    while True:\n        f.write(b'x' * 4096); f.flush()\n"
            "except OSError:\n    pass\nsys.exit(3)\n")
    proc = sb("run", "train", "--", PY, "-c", fill, cwd=project, env=env)
    assert proc.returncode == 3, proc.stderr
    assert "the record could not be completed" in proc.stderr and "Traceback" not in proc.stderr
    (disk / "fill").unlink()
    assert [r.status for r in runs(target)] == ["succeeded", "started"]


def test_a_ledger_on_a_read_only_mount_can_be_read(project: Path, mount: Callable[..., Path]) -> None:
    disk = mount("8m")
    target = disk / "ledger.sqlite"
    env = clean_env(SEEDBRIDGE_LEDGER=str(target))
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project, env=env).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    listed = sb("history", "-f", "json", cwd=project, env=env)
    assert listed.returncode == 0, listed.stderr
    (rec,) = json.loads(listed.stdout)
    shown = sb("show-run", rec["run_id"], cwd=project, env=env)
    exported = sb("export", cwd=project, env=env)
    assert shown.returncode == 0 and rec["run_id"] in shown.stdout
    assert exported.returncode == 0 and json.loads(exported.stdout)["runs"] == [rec]
    refused = sb("run", "train", "--", PY, "-c", "open('ran', 'w')", cwd=project, env=env)
    assert refused.returncode == 2 and not (project / "ran").exists() and "Traceback" not in refused.stderr
