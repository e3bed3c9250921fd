"""`seedbridge rerun`: replay a recorded run, compare its outputs with the recorded digests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import seedbridge
from seedbridge.ledger import Ledger

PY = sys.executable
# The environment as it was when this module was collected: rpy2, once imported by another test,
# adds LD_LIBRARY_PATH=/usr/lib/... to os.environ, and a child interpreter then loads the system libpython.
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
DETERMINISTIC = ("import json, os, random, sys\n"
                 "random.seed(int(os.environ['SEEDBRIDGE_SEED']))\n"
                 "json.dump({'x': [random.random() for _ in range(5)]}, open(sys.argv[1], 'w'))\n")
URANDOM = "import os, sys\nopen(sys.argv[1], 'wb').write(os.urandom(64))\n"
NOISY_JSON = "import json, os, sys\njson.dump({'loss': 0.5 + os.urandom(1)[0] / 1000}, open(sys.argv[1], 'w'))\n"


def sb(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "seedbridge", *args], cwd=cwd, env={**BASE_ENV, **env}, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, code in (("det.py", DETERMINISTIC), ("rand.py", URANDOM), ("noisy.py", NOISY_JSON)):
        (tmp_path / name).write_text(code)
    seedbridge.Manifest.new(["train"], root=7).save(tmp_path / "seedbridge.yaml")
    return tmp_path


def last_run(project: Path) -> seedbridge.ledger.RunRecord:
    with Ledger(project / ".seedbridge" / "ledger.sqlite") as book:
        return book.runs()[-1]


def test_a_deterministic_run_reproduces(project: Path, ledger_location: str) -> None:
    env = {"SEEDBRIDGE_LEDGER": ledger_location}
    assert sb("run", "train", "-o", "out.json", "--", PY, "det.py", "out.json", cwd=project, **env).returncode == 0
    with Ledger(ledger_location) as book:
        (original,) = book.runs()
    proc = sb("rerun", original.run_id, "--report", "report.json", cwd=project, **env)
    assert proc.returncode == 0, proc.stderr
    assert "out.json  reproduced" in proc.stderr and "reproduced: 1 of 1 outputs" in proc.stderr
    assert f"the environment matches run {original.run_id}'s" in proc.stderr
    with Ledger(ledger_location) as book:
        _, again = book.runs()
    assert (again.rerun_of, again.deliberate, again.seeds) == (original.run_id, True, original.seeds)
    assert again.outputs == original.outputs and again.system == original.system
    report = json.loads((project / "report.json").read_text())
    assert report["reproduced"] is True and report["outputs"][0]["path"] == "out.json"
    assert report["drift"] == [] and report["likely_causes"] == []


def test_a_run_that_writes_urandom_bytes_does_not_reproduce(project: Path) -> None:
    assert sb("run", "train", "-o", "out.bin", "--", PY, "rand.py", "out.bin", cwd=project).returncode == 0
    original = last_run(project)
    proc = sb("rerun", original.run_id, cwd=project)
    assert proc.returncode == 1
    assert "out.bin  differs (sha256" in proc.stderr and "not reproduced: 0 of 1" in proc.stderr
    assert last_run(project).outputs["out.bin"] != original.outputs["out.bin"]


def test_a_numeric_output_that_moved_says_by_how_much(project: Path) -> None:
    assert sb("run", "train", "-o", "m.json", "--", PY, "noisy.py", "m.json", cwd=project).returncode == 0
    run_id = last_run(project).run_id
    proc = sb("rerun", run_id, cwd=project)
    if proc.returncode == 0:  # one chance in 256 that the random byte repeats
        proc = sb("rerun", run_id, cwd=project)
    assert proc.returncode == 1
    assert "max |Δ| = " in proc.stderr and "at $.loss" in proc.stderr


def test_an_output_the_rerun_does_not_write_is_not_taken_from_the_old_run(project: Path) -> None:
    (project / "maybe.py").write_text(
        "import os, sys\nif not os.path.exists('flag'):\n    open(sys.argv[1], 'w').write('x')\n")
    assert sb("run", "train", "-o", "o.txt", "--", PY, "maybe.py", "o.txt", cwd=project).returncode == 0
    (project / "flag").write_text("")
    proc = sb("rerun", last_run(project).run_id, cwd=project)
    assert proc.returncode == 1 and "o.txt  not written by the rerun" in proc.stderr
    assert (project / "o.txt").read_text() == "x"  # the user's file is given back


def test_a_changed_manifest_stops_the_rerun_unless_allowed(project: Path) -> None:
    assert sb("run", "train", "-o", "out.json", "--", PY, "det.py", "out.json", cwd=project).returncode == 0
    run_id = last_run(project).run_id
    seedbridge.Manifest.new(["train"], root=8).save(project / "seedbridge.yaml")
    proc = sb("rerun", run_id, cwd=project)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "differs from the manifest run" in proc.stderr and "the job's seed would be" in proc.stderr
    assert "--allow-manifest-change" in proc.stderr
    allowed = sb("rerun", run_id, "--allow-manifest-change", cwd=project)
    assert allowed.returncode == 1 and "out.json  differs" in allowed.stderr  # other seed, other numbers


def test_a_run_without_recorded_outputs_cannot_pass(project: Path) -> None:
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project).returncode == 0
    proc = sb("rerun", last_run(project).run_id, cwd=project)
    assert proc.returncode == 1 and "recorded no output files" in proc.stderr


def test_rerun_of_an_unknown_run_is_a_user_error(project: Path) -> None:
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project).returncode == 0
    proc = sb("rerun", "19990101", cwd=project)
    assert proc.returncode == 2 and "no run '19990101'" in proc.stderr and "Traceback" not in proc.stderr


def test_drift_is_shown_before_running_and_first_among_likely_causes(project: Path) -> None:
    assert sb("run", "train", "-o", "out.bin", "--", PY, "rand.py", "out.bin", cwd=project).returncode == 0
    run_id = last_run(project).run_id
    proc = sb("rerun", run_id, "--report", "r.json", cwd=project, OMP_NUM_THREADS="1", TF_ENABLE_ONEDNN_OPTS="0")
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    start = lines.index(f"seedbridge: the environment differs from run {run_id}'s in 3 items:")
    assert lines[start + 1].split() == ["ITEM", "RECORDED", "NOW"]
    table = {line.split()[0]: line.split()[1:] for line in lines[start + 2:start + 5]}
    assert table == {"OMP_NUM_THREADS": ["(unset)", "1"], "TF_ENABLE_ONEDNN_OPTS": ["(unset)", "0"],
                     "blas_threads": [str(min(os.cpu_count() or 1, 64)), "1"]}
    assert start < next(i for i, line in enumerate(lines) if "rerun of" in line)  # said before it ran
    causes = lines.index("seedbridge: likely causes, changed since the recorded run:")
    assert causes < next(i for i, line in enumerate(lines) if "out.bin  differs" in line)
    assert "OMP_NUM_THREADS: (unset) recorded, 1 now" in lines[causes + 1]
    report = json.loads((project / "r.json").read_text())
    assert sorted(report["likely_causes"]) == ["OMP_NUM_THREADS", "TF_ENABLE_ONEDNN_OPTS", "blas_threads"]
    assert {"item": "OMP_NUM_THREADS", "recorded": None, "now": "1"} in report["drift"]


def test_strict_env_refuses_to_rerun_in_a_changed_environment(project: Path) -> None:
    assert sb("run", "train", "-o", "out.json", "--", PY, "det.py", "out.json", cwd=project).returncode == 0
    run_id = last_run(project).run_id
    proc = sb("rerun", run_id, "--strict-env", cwd=project, MKL_NUM_THREADS="2")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "in 1 item:" in proc.stderr
    assert (f"error: environment changed since run {run_id}: MKL_NUM_THREADS: (unset) recorded, 2 now; "
            "--strict-env refuses") in proc.stderr
    assert last_run(project).run_id == run_id  # nothing ran
    assert sb("rerun", run_id, "--strict-env", cwd=project).returncode == 0  # unchanged: runs


def test_rerun_in_a_missing_folder_blames_that_folder(project: Path) -> None:
    assert sb("run", "train", "--", PY, "-c", "pass", cwd=project).returncode == 0
    proc = sb("rerun", last_run(project).run_id, "--cwd", "/nonexistent/here", cwd=project)
    assert proc.returncode == 2
    assert "/nonexistent/here: the folder given with --cwd does not exist" in proc.stderr
    assert str(project) not in proc.stderr


def test_a_rerun_killed_by_sigkill_exits_137(project: Path) -> None:
    (project / "kill.py").write_text("import os, signal, sys\nif os.path.exists('armed'):\n"
                                     "    os.kill(os.getpid(), signal.SIGKILL)\nopen(sys.argv[1], 'w').write('x')\n")
    assert sb("run", "train", "-o", "o.txt", "--", PY, "kill.py", "o.txt", cwd=project).returncode == 0
    (project / "armed").write_text("")
    proc = sb("rerun", last_run(project).run_id, cwd=project)
    assert proc.returncode == 137 and "Traceback" not in proc.stderr
    assert (last_run(project).status, last_run(project).signal) == ("failed", 9)
