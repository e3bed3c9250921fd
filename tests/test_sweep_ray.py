"""The Ray executor for real: a local Ray that the sweep starts and stops, and a `ray start --head` cluster
joined by address. Few and lean: Ray takes seconds to start on two cores."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_cli

import seedbridge
from seedbridge import Job, Manifest, Root
from seedbridge.ledger import Ledger

pytestmark = pytest.mark.slow  # Ray itself is installed by `make setup` (seedbridge[ray]): no skip without it

SCRIPT = str(REPO / "tests" / "scripts" / "sweep_train.py")
ACC = "acc=history.json:val_accuracy[-1]"
RAY_BIN = Path(sys.executable).with_name("ray")


def ray_env() -> dict[str, str]:
    """Token authentication with a token of this test run only (Ray >= 2.59 turns it on for local clusters),
    no usage reporting, and no RAY_ADDRESS from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS" and not k.startswith("SEEDBRIDGE_")}
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(16), RAY_USAGE_STATS_ENABLED="0")
    return env


def ray_processes(temp: str) -> set[int]:
    """Pids of Ray's daemons (raylet, gcs_server) whose session lives under ``temp``."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if temp.encode() in cmdline and (b"/raylet\x00" in cmdline or b"/gcs_server\x00" in cmdline):
            found.add(int(pid))
    return found


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    Manifest(Root(0x5EED, source="explicit"), [Job("train", frameworks=["python"])]).save(tmp_path / "seedbridge.yaml")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("x\n1\n")
    return tmp_path


def local_metrics(folder: Path, replicates: int) -> dict[int, float]:
    result = seedbridge.sweep("train", [sys.executable, SCRIPT], replicates=replicates, metrics=[ACC],
                              manifest=folder / "seedbridge.yaml", plot=False, cwd=folder, out=folder / "local")
    return result.values("acc")


def test_a_local_ray_runs_the_replicates_returns_their_files_and_retries_a_lost_one(folder: Path) -> None:
    temp = tempfile.mkdtemp(prefix="sbray", dir="/tmp")  # short: Ray puts Unix sockets in it
    env = {**ray_env(), "RAY_TMPDIR": temp}  # Ray's session folder, so its daemons can be told from others'
    marker = folder / "killed-once"
    proc = run_cli(["sweep", "train", "--replicates", "3", "--parallel", "2", "--executor", "ray", "--metric", ACC,
                    "--input", "data/train.csv", "--output", "history.json", "--out", "ray", "--format", "json",
                    "--", sys.executable, SCRIPT, "--require", "data/train.csv", "--kill-parent-once", str(marker)],
                   cwd=folder, env=env)
    deadline = time.monotonic() + 30  # the sweep shuts down the Ray it started (its daemons exit promptly)
    while ray_processes(temp) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ray_processes(temp) == set()
    shutil.rmtree(temp, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    assert marker.exists()  # replicate 1 did kill its Ray worker once
    assert any(n.startswith("replicate 1: lost with its worker or node") and n.endswith("retried once")
               for n in doc["notes"]), doc["notes"]
    assert "ray: started a local Ray (2 CPUs)" in doc["notes"]
    assert [r["retried"] for r in doc["replicates"]] == [False, True, False]
    # The same seeds give the same metrics as the local executor, replicate by replicate.
    assert {r["replicate"]: r["metrics"]["acc"] for r in doc["replicates"]} == local_metrics(folder, 3)
    with Ledger(folder / ".seedbridge" / "ledger.sqlite") as book:
        runs = {r.run_id: r for r in book.runs(sweep_id=doc["sweep_id"])}
    for rep in doc["replicates"]:
        work = folder / "ray" / rep["folder"] / "work"
        # Declared outputs and metric files came back from the node; undeclared files did not.
        assert json.loads((work / "history.json").read_text())["val_accuracy"][-1] == rep["metrics"]["acc"]
        assert not (work / "where.txt").exists()
        run = runs[rep["run_id"]]
        assert run.status == "succeeded" and run.outputs["history.json"] is not None and run.metrics
        assert run.host and run.pid != os.getpid()
        # The node described itself (it has seedbridge here): its system and versions, not the driver's.
        assert run.system.get("os") and run.versions.get("python") and run.environment["PYTHONHASHSEED"]


@pytest.fixture
def ray_head() -> Iterator[tuple[str, dict[str, str]]]:
    """A real `ray start --head` on a free port, in a process group of its own; killed afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = tempfile.mkdtemp(prefix="sbray", dir="/tmp")  # short: Ray puts Unix sockets in it
    env = ray_env()
    with open(os.path.join(temp, "head.log"), "wb") as log:  # closed even when Popen fails
        head = subprocess.Popen([str(RAY_BIN), "start", "--head", "--port", str(port), "--node-ip-address", "127.0.0.1",
                                 "--num-cpus", "2", "--include-dashboard", "false", "--temp-dir", temp, "--block"],
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 180
            while b"Ray runtime started" not in Path(temp, "head.log").read_bytes():
                assert head.poll() is None, Path(temp, "head.log").read_text()
                assert time.monotonic() < deadline, "ray start --head did not come up in 180 s"
                time.sleep(0.5)
            yield f"127.0.0.1:{port}", env
            assert head.poll() is None  # joining and leaving did not stop the cluster
        finally:
            os.killpg(head.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                head.wait(timeout=10)
            if _group_alive(head.pid):
                os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(temp, ignore_errors=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_sweep_joins_a_running_cluster_by_address(folder: Path, ray_head: tuple[str, dict[str, str]]) -> None:
    address, env = ray_head
    proc = run_cli(["sweep", "train", "--replicates", "2", "--executor", "ray", "--ray-address", address,
                    "--metric", ACC, "--input", "data/train.csv", "--out", "joined", "--format", "json", "--",
                    sys.executable, SCRIPT, "--require", "data/train.csv"], cwd=folder, env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert f"ray: joined the cluster at {address} (2 CPUs)" in doc["notes"]
    assert {r["replicate"]: r["metrics"]["acc"] for r in doc["replicates"]} == local_metrics(folder, 2)
