"""`seedbridge doctor [JOB]`: findings with fixes, and exit codes by profile; real R, a real ledger."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import seedbridge
from seedbridge import _doctor, _provenance

PY = sys.executable
CLEAN = {k: v for k, v in os.environ.items()
         if not k.startswith("SEEDBRIDGE_") and k not in ("PYTHONHASHSEED", "TF_ENABLE_ONEDNN_OPTS",
                                                          "CUBLAS_WORKSPACE_CONFIG", "R_PROFILE_USER",
                                                          "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def doctor(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "seedbridge", "doctor", *args], cwd=cwd, env={**CLEAN, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    seedbridge.Manifest.new([
        seedbridge.Job("train", frameworks=["numpy"]),
        seedbridge.Job("tight", frameworks=["numpy"], profile="strict"),
        seedbridge.Job("keras", frameworks=["tensorflow"], profile="deterministic"),
        seedbridge.Job("stats", frameworks=["r"]),
    ], root=5).save(tmp_path / "seedbridge.yaml")
    return tmp_path


def test_an_unset_pythonhashseed_matters_under_every_profile(project: Path) -> None:
    proc = doctor("train", cwd=project, **THREADS)
    assert proc.returncode == 1
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("problem:")]
    assert "PYTHONHASHSEED is unset" in line and "fix: run the job with `seedbridge run train -- CMD`" in line


def test_an_unset_pythonhashseed_is_found_for_every_python_target() -> None:
    """jax and installed targets run in Python too (only r and caffe jobs run outside it)."""
    for frameworks, found in ((["jax"], True), (["mylib"], True), (["r"], False), (["r", "caffe"], False),
                              (["r", "numpy"], True)):
        job = seedbridge.Job("j", frameworks=frameworks)
        checks = [f.check for f in _doctor.diagnose(job, env=THREADS, system={}, versions={})]
        assert ("pythonhashseed" in checks) is found, frameworks


def test_a_clean_environment_exits_0(project: Path) -> None:
    proc = doctor("train", cwd=project, PYTHONHASHSEED="7", **THREADS)
    assert proc.returncode == 0, proc.stdout
    assert "nothing found for job train (profile seeded)" in proc.stdout


def test_unset_thread_counts_matter_only_under_strict(project: Path) -> None:
    seeded = doctor("train", cwd=project, PYTHONHASHSEED="7")
    assert seeded.returncode == 0 and "note: thread counts are unset" in seeded.stdout
    strict = doctor("tight", cwd=project, PYTHONHASHSEED="7")
    assert strict.returncode == 1 and "problem: thread counts are unset" in strict.stdout
    assert "export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1" in strict.stdout
    assert doctor("tight", cwd=project, PYTHONHASHSEED="7", **THREADS).returncode == 0


def test_onednn_on_under_a_deterministic_profile(project: Path) -> None:
    on = doctor("keras", cwd=project, PYTHONHASHSEED="7", **THREADS)
    assert on.returncode == 1 and "oneDNN optimizations are on (TF_ENABLE_ONEDNN_OPTS is unset)" in on.stdout
    assert "fix: export TF_ENABLE_ONEDNN_OPTS=0" in on.stdout
    assert doctor("keras", cwd=project, PYTHONHASHSEED="7", TF_ENABLE_ONEDNN_OPTS="0", **THREADS).returncode == 0


def test_versions_that_moved_since_the_last_successful_run(project: Path) -> None:
    run = subprocess.run([PY, "-m", "seedbridge", "run", "train", "-q", "--", PY, "-c", "pass"], cwd=project,
                         env=CLEAN, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert doctor("train", cwd=project, PYTHONHASHSEED="7", **THREADS).returncode == 0
    # The run as another machine recorded it: an older NumPy.
    conn = sqlite3.connect(project / ".seedbridge" / "ledger.sqlite")
    (versions,) = conn.execute("SELECT versions FROM runs").fetchone()
    conn.execute("UPDATE runs SET versions = ?", (json.dumps({**json.loads(versions), "numpy": "1.26.4"}),))
    conn.commit()
    conn.close()
    proc = doctor("train", cwd=project, PYTHONHASHSEED="7", **THREADS)
    assert proc.returncode == 1
    assert f"numpy is {_provenance.versions()['numpy']} now, 1.26.4 in run" in proc.stdout
    assert "fix: install numpy==1.26.4 to match that run" in proc.stdout


def test_versions_of_frameworks_the_job_does_not_list_are_notes(project: Path) -> None:
    """A numpy job's last run had another torch: a note under seeded, a problem under strict."""
    from seedbridge.ledger import RunRecord, new_run_id, utc_now

    now = _provenance.versions(["numpy"])
    last = RunRecord(run_id=new_run_id(), job="train", command=["true"], started_at=utc_now(), status="succeeded",
                     versions={**now, "torch": "1.0.0", "jax": "0.1"})
    env = {"PYTHONHASHSEED": "7", **THREADS}
    for job, matters in ((seedbridge.Job("train", frameworks=["numpy"]), False),
                         (seedbridge.Job("tight", frameworks=["numpy"], profile="strict"), True),
                         (seedbridge.Job("any"), True),  # lists none: may use any
                         (seedbridge.Job("torchjob", frameworks=["torch"]), True)):
        findings = [f for f in _doctor.diagnose(job, env=env, system={}, versions=now, last_run=last)
                    if f.check == "versions"]
        torch_finding = next(f for f in findings if f.message.startswith("torch is"))
        assert torch_finding.matters is matters, job.name
        assert ("the job does not list it" in torch_finding.message) is (job.name in ("train", "tight"))
    assert "jax" in _provenance.versions() and "jaxlib" in _provenance.versions()  # jax jobs have theirs recorded


def test_r_kinds_changed_by_an_rprofile(project: Path, tmp_path: Path) -> None:
    profile = tmp_path / "Rprofile"
    profile.write_text('RNGkind("L\'Ecuyer-CMRG")\n')
    proc = doctor("stats", cwd=project, R_PROFILE_USER=str(profile))
    assert proc.returncode == 1
    assert "R starts with other RNG kinds than the job's: kind \"L'Ecuyer-CMRG\" (manifest: 'Mersenne-Twister')" \
        in proc.stdout
    assert "r-kinds" not in doctor("stats", cwd=project).stdout
    assert "R starts with" not in doctor("stats", cwd=project).stdout


def test_cuda_without_a_cublas_workspace_matters_when_deterministic() -> None:
    """The rule on the system record of a machine with a GPU (this one has none)."""
    gpu = {**_provenance.system(), "gpu": "NVIDIA A100-SXM4-40GB", "gpu_driver": "550.54.14"}
    job = seedbridge.Job("train", frameworks=["torch"], profile="deterministic")
    env = {"PYTHONHASHSEED": "1", **THREADS}
    (finding,) = _doctor.diagnose(job, env=env, system=gpu, versions={})
    assert (finding.check, finding.matters) == ("cublas", True)
    assert "CUBLAS_WORKSPACE_CONFIG=:4096:8" in finding.fix
    assert _doctor.diagnose(job, env={**env, "CUBLAS_WORKSPACE_CONFIG": ":4096:8"}, system=gpu, versions={}) == []
    seeded = seedbridge.Job("train", frameworks=["torch"])
    assert _doctor.diagnose(seeded, env=env, system=gpu, versions={}) == []


def test_without_a_job_the_environment_is_checked_strictly(tmp_path: Path) -> None:
    proc = doctor(cwd=tmp_path, PYTHONHASHSEED="7")
    assert proc.returncode == 1 and "problem: thread counts are unset" in proc.stdout
    assert "this environment (as strict)" in proc.stdout


def test_an_unknown_job_is_a_usage_error(project: Path) -> None:
    proc = doctor("nope", cwd=project)
    assert proc.returncode == 2 and "no job 'nope'" in proc.stderr and "Traceback" not in proc.stderr
