"""`seedbridge doctor`: what in this environment breaks a job's reproducibility, each with its fix.

A finding *matters* under a profile when it can change a job's results there: everything matters under
``strict``; thread counts only there (they change the order of floating-point reductions between
machines, not between runs on one machine); oneDNN and cuBLAS under ``deterministic`` too; an unset
PYTHONHASHSEED, framework versions that moved since the job's last successful run and R RNG kinds
that differ from the manifest's under every profile (versions of frameworks the job does not list only
under ``strict``). Without a job, the environment is checked as for a strict job.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from seedbridge._manifest import Job
from seedbridge.ledger import RunRecord

__all__ = ["Finding", "diagnose"]

# Targets that run outside Python: every other one (jax, an installed target) runs in a Python process.
_NOT_PYTHON = frozenset({"r", "caffe"})
_NUMERIC = frozenset({"numpy", "torch", "tensorflow"})
_THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class Finding:
    check: str  # a stable name: pythonhashseed, threads, onednn, cublas, versions, r-kinds, ledger
    message: str
    fix: str
    matters: bool


def _uses(job: Job | None, frameworks: frozenset[str]) -> bool:
    """Whether the job uses any of ``frameworks``; a job that lists none (or no job) may use any."""
    return job is None or not job.frameworks or bool(frameworks & set(job.frameworks))


def diagnose(job: Job | None, *, env: Mapping[str, str], system: Mapping[str, str | None],
             versions: Mapping[str, str], last_run: RunRecord | None = None,
             r_kinds: Mapping[str, str] | None = None) -> list[Finding]:
    """Every finding for ``job`` (None: the environment alone, as strict) in environment ``env`` on
    ``system`` with framework ``versions`` (``_provenance.system`` and ``versions``); ``last_run`` is
    the job's last successful RunRecord, ``r_kinds`` R's kinds at start-up (``r_start_kinds()``)."""
    from seedbridge._drift import drift

    profile = job.profile if job is not None else "strict"
    name = job.name if job is not None else "JOB"
    strict = profile == "strict"
    deterministic = profile in ("deterministic", "strict")
    found: list[Finding] = []

    python = job is None or not job.frameworks or not set(job.frameworks) <= _NOT_PYTHON
    if python and env.get("PYTHONHASHSEED") in (None, "", "random"):
        found.append(Finding(
            "pythonhashseed", "PYTHONHASHSEED is unset: str and bytes hashes, and so the order of sets, change "
            "from one Python process to the next",
            f"run the job with `seedbridge run {name} -- CMD`, or `eval \"$(seedbridge env {name})\"` before "
            "Python starts (it is read once, at start-up)", True))
    unset = [v for v in _THREADS if not env.get(v)]
    if _uses(job, _NUMERIC) and unset:
        cores = system.get("cpu_cores") or "one per core"
        found.append(Finding(
            "threads", f"thread counts are unset ({', '.join(unset)}): BLAS and OpenMP start one thread per core "
            f"({cores} here), and the order of floating-point reductions follows the thread count, so results "
            "differ between machines",
            "export " + " ".join(f"{v}=1" for v in _THREADS) + " (or another fixed count, the same everywhere)",
            strict))
    tensorflow = "tensorflow" in versions or "tensorflow-cpu" in versions
    if deterministic and tensorflow and _uses(job, frozenset({"tensorflow"})) and env.get("TF_ENABLE_ONEDNN_OPTS") != "0":
        state = env.get("TF_ENABLE_ONEDNN_OPTS")
        found.append(Finding(
            "onednn", f"oneDNN optimizations are on (TF_ENABLE_ONEDNN_OPTS is {'unset' if state is None else state}) "
            f"under the {profile} profile: TensorFlow warns they may give slightly different numerical results "
            "from different orders of computation",
            "export TF_ENABLE_ONEDNN_OPTS=0", True))
    cuda = system.get("gpu") or system.get("gpu_driver")
    if deterministic and cuda and not env.get("CUBLAS_WORKSPACE_CONFIG"):
        found.append(Finding(
            "cublas", f"CUDA is present ({cuda}) but CUBLAS_WORKSPACE_CONFIG is unset: cuBLAS picks workspaces "
            "at run time and its results are not deterministic (CUDA docs, 'Results reproducibility')",
            "export CUBLAS_WORKSPACE_CONFIG=:4096:8 (`seedbridge run` sets it for deterministic jobs)", True))
    if last_run is not None:
        # A record holds the version of every installed framework; only those of the job's frameworks (and
        # Python's and seedbridge's) can change its results. A job that lists none may use any.
        used = None
        if job is not None and job.frameworks:
            from seedbridge._provenance import FRAMEWORK_VERSIONS

            used = {"python", "seedbridge"} | {v for fw in job.frameworks for v in FRAMEWORK_VERSIONS.get(fw, (fw,))}
        for d in drift(last_run.versions, {}, versions, {}):
            pin = f"{d.item}=={d.recorded}" if d.recorded else d.item
            found.append(Finding(
                "versions", f"{d.item} is {d.now or 'not installed'} now, {d.recorded or 'absent'} in run "
                f"{last_run.run_id} (the job's last successful run)"
                + ("" if used is None or d.item in used else "; the job does not list it"),
                f"install {pin} to match that run, or record a new baseline run with this version",
                strict or used is None or d.item in used))
    if job is not None and "r" in job.frameworks and r_kinds is not None:
        wanted = job.r_kinds
        differ = {k: (r_kinds.get(k), v) for k, v in wanted.items() if r_kinds.get(k) != v}
        if differ:
            shown = ", ".join(f"{k} {now!r} (manifest: {want!r})" for k, (now, want) in differ.items())
            found.append(Finding(
                "r-kinds", f"R starts with other RNG kinds than the job's: {shown}",
                "seed R through seedbridge (sb_seed / sb_local_seed set all three kinds), or remove the "
                "RNGkind() call from .Rprofile / Rprofile.site", True))
    return found


def r_start_kinds() -> dict[str, str] | None:
    """R's RNG kinds as a fresh ``Rscript`` starts (after Rprofile.site and ~/.Rprofile); None without R."""
    exe = shutil.which("Rscript")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "-e", 'cat(RNGkind(), sep = "\\n")'], capture_output=True, text=True,
                              timeout=60, check=False, stdin=subprocess.DEVNULL, env=dict(os.environ))
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or len(lines) < 3:
        return None
    return dict(zip(("kind", "normal.kind", "sample.kind"), lines[-3:], strict=True))
