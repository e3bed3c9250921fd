"""Where and with what a run ran: git commit and dirtiness, host, Python, R, Caffe and framework versions,
and the system (OS, kernel, CPU, NumPy's BLAS and its threads, CUDA, cuDNN, GPU, and the environment
variables that change numerical results).

Nothing here imports a framework: versions come from installed package metadata and from files the
frameworks ship (torch/version.py, TensorFlow's build_info.py, NumPy's __config__.py), so reading them
costs neither a framework's import time nor its RNG state. The whole capture costs a few milliseconds
(benchmarks/bench_run.py); only R and Caffe start a process, and only for jobs that list them.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping

__all__ = ["FRAMEWORK_VERSIONS", "NUMERIC_ENV", "CodeState", "code_state", "host", "system", "versions"]

# Distribution names whose versions a record carries when installed (the frameworks' pip names).
_DISTRIBUTIONS = ("numpy", "torch", "tensorflow", "tensorflow-cpu", "keras", "rpy2", "protobuf", "jax", "jaxlib")
# The items of a record's versions that each built-in target's results depend on.
FRAMEWORK_VERSIONS = {
    "python": ("python",),
    "numpy": ("numpy",),
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "keras", "protobuf"),
    "jax": ("jax", "jaxlib"),
    "r": ("r", "rpy2"),
    "caffe": ("caffe", "protobuf"),
}
# Environment variables that change numerical results: thread counts (the order of floating-point
# reductions), oneDNN and determinism switches, cuBLAS's workspace, hash seeding, visible GPUs.
NUMERIC_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_ENABLE_ONEDNN_OPTS",
               "TF_DETERMINISTIC_OPS", "CUBLAS_WORKSPACE_CONFIG", "PYTHONHASHSEED", "CUDA_VISIBLE_DEVICES")


class CodeState:
    """The git commit of a folder, whether tracked files differ from it, and a code version that
    names the exact tracked content: the commit, plus a digest of the diff when dirty."""

    __slots__ = ("commit", "dirty", "version")

    def __init__(self, commit: str | None, dirty: bool | None, version: str | None) -> None:
        self.commit = commit
        self.dirty = dirty
        self.version = version


def _git(cwd: str, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    exe = shutil.which("git")
    if exe is None:
        return None
    try:
        return subprocess.run([exe, *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def code_state(cwd: str) -> CodeState:
    """The code state of ``cwd``'s git work tree; all None outside one (or without git).

    Only tracked files count, as for ``git describe --dirty``: outputs and other untracked files do not
    make a tree dirty, so a run that writes into the tree does not change the next run's code version."""
    head = _git(cwd, "rev-parse", "--verify", "-q", "HEAD")
    if head is None or head.returncode != 0:
        return CodeState(None, None, None)
    commit = head.stdout.decode("ascii", "replace").strip()
    diff = _git(cwd, "diff", "HEAD", "--binary", "--no-ext-diff", "--no-color")
    if diff is None or diff.returncode != 0:
        return CodeState(commit, None, None)
    if not diff.stdout:
        return CodeState(commit, False, commit)
    return CodeState(commit, True, f"{commit}+dirty.{hashlib.sha256(diff.stdout).hexdigest()[:16]}")


def host() -> str:
    return platform.node() or "unknown"


def _r_version() -> str | None:
    exe = shutil.which("Rscript")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "--version"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    # "Rscript (R) version 4.2.2 (2022-10-31)"; older R prints "R scripting front-end version 3.6.3 ..."
    match = re.search(rb"version (\d+\.\d+\.\d+)", proc.stdout + proc.stderr)
    return match.group(1).decode("ascii") if match else None


def _installed(names: Iterable[str]) -> dict[str, str]:
    """Versions of installed distributions from their ``NAME-VERSION.dist-info`` folder names (PEP 427),
    which is what importlib.metadata reads too, at a fraction of its import time."""
    every = _distributions()
    out: dict[str, str] = {}
    for n in names:
        version = every.get(re.sub(r"[-_.]+", "_", n).lower())
        if version is not None:
            out[n] = version
    return out


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, str]:
    """Normalised name -> version of every distribution on sys.path (the first one found wins, as for
    imports). Scanned once per process."""
    import sys

    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        for item in listing:
            if not item.endswith((".dist-info", ".egg-info")):
                continue
            stem = item.rsplit(".", 1)[0]
            name, _, version = stem.partition("-")
            key = re.sub(r"[-_.]+", "_", name).lower()
            if version and key not in found:
                found[key] = version.split("-")[0]
    return found


def versions(frameworks: Iterable[str] = ()) -> dict[str, str]:
    """Python's version and seedbridge's, each installed framework's (numpy, torch, tensorflow, keras, rpy2,
    protobuf, jax, jaxlib), R's when ``frameworks`` lists r and the Caffe binary's when it lists caffe."""
    frameworks = tuple(frameworks)
    out = {"python": f"{platform.python_implementation()} {platform.python_version()}"}
    out.update(_installed(("seedbridge", *_DISTRIBUTIONS)))
    if "r" in frameworks:
        r = _r_version()
        out["r"] = r if r is not None else "not found (no Rscript on PATH)"
    if "caffe" in frameworks:
        from seedbridge.caffe._binary import version as caffe_version

        caffe = caffe_version()
        out["caffe"] = caffe if caffe is not None else "not found (no caffe binary; set SEEDBRIDGE_CAFFE)"
    return out


# -- the system ---------------------------------------------------------------------------------


def _read(path: str, limit: int = 1 << 16) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def _os_name() -> str:
    try:
        release = platform.freedesktop_os_release()
        return release.get("PRETTY_NAME") or release.get("NAME") or platform.system()
    except OSError:
        pass
    if platform.system() == "Darwin":
        return f"macOS {platform.mac_ver()[0]}"
    return f"{platform.system()} {platform.release()}"


def _cpu_model() -> str:
    text = _read("/proc/cpuinfo", 1 << 15)
    if text:
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "cpu model", "Processor") and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def _site_file(package: str, *parts: str) -> str | None:
    """The path of a file inside an installed package, found on sys.path without importing it."""
    import sys

    for entry in sys.path:
        candidate = os.path.join(entry or ".", package, *parts)
        if os.path.isfile(candidate):
            return candidate
    return None


def _blas() -> dict[str, str]:
    """NumPy's BLAS (name and version from numpy/__config__.py, NumPy >= 1.25) and its thread count,
    asked of the library itself: OpenBLAS reads OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS, OMP_NUM_THREADS
    and the CPU count when it loads, so the count is the one the command's NumPy will use."""
    config = _site_file("numpy", "__config__.py")
    if config is None:
        return {}
    text = _read(config, 1 << 17) or ""
    out: dict[str, str] = {}
    match = re.search(r'"blas":\s*\{\s*"name":\s*"([^"]+)".*?"version":\s*"([^"]*)"', text, re.S)
    out["blas"] = f"{match.group(1)} {match.group(2)}".strip() if match else "unknown"
    threads = _blas_threads(os.path.dirname(config))
    if threads is not None:
        out["blas_threads"] = str(threads)
    return out


# Thread-count getters of the BLAS libraries NumPy wheels bundle (scipy-openblas, 64- and 32-bit
# integer builds) or link (OpenBLAS, MKL).
_THREAD_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
                   "openblas_get_num_threads", "MKL_Get_Max_Threads")


def _blas_threads(numpy_dir: str) -> int | None:
    import ctypes
    import glob

    site = os.path.dirname(numpy_dir)
    candidates = sorted(glob.glob(os.path.join(site, "numpy.libs", "*openblas*"))
                        + glob.glob(os.path.join(numpy_dir, ".dylibs", "*openblas*"))
                        + glob.glob(os.path.join(site, "scipy_openblas*", "lib", "*openblas*.so*")))
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _THREAD_GETTERS:
            getter = getattr(lib, name, None)
            if getter is not None:
                getter.restype = ctypes.c_int
                return int(getter())
    return None


def _python_assignment(path: str | None, name: str) -> str | None:
    """The string value of ``name = '...'`` in a Python file, without running it."""
    text = _read(path) if path else None
    if not text:
        return None
    match = re.search(rf"^{name}\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", text, re.M)
    return match.group(1) if match else None


def _gpu() -> dict[str, str]:
    """CUDA and cuDNN of the installed frameworks' builds, and the NVIDIA GPUs and driver, when present."""
    out: dict[str, str] = {}
    cuda = _python_assignment(_site_file("torch", "version.py"), "cuda")
    build = _read(_site_file("tensorflow", "python", "platform", "build_info.py") or "") or ""
    tf_cuda = re.search(r"'cuda_version',\s*'([^']+)'", build)
    tf_cudnn = re.search(r"'cudnn_version',\s*'([^']+)'", build)
    if cuda or tf_cuda:
        out["cuda"] = cuda or (tf_cuda.group(1) if tf_cuda else "")
    cudnn = _installed(("nvidia-cudnn-cu12", "nvidia-cudnn-cu11")).values()
    if cudnn or tf_cudnn:
        out["cudnn"] = next(iter(cudnn), None) or (tf_cudnn.group(1) if tf_cudnn else "")
    # The NVIDIA kernel driver lists each GPU under /proc (no nvidia-smi process needed).
    import glob

    models = []
    for info in sorted(glob.glob("/proc/driver/nvidia/gpus/*/information")):
        match = re.search(r"^Model:\s*(.+)$", _read(info) or "", re.M)
        if match:
            models.append(match.group(1).strip())
    if models:
        out["gpu"] = ", ".join(models)
    driver = re.search(r"Kernel Module\s+(\S+)", _read("/proc/driver/nvidia/version") or "")
    if driver:
        out["gpu_driver"] = driver.group(1)
    return out


def system(env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """What a run runs on: OS, kernel, machine, CPU model and cores, NumPy's BLAS and its threads, CUDA,
    cuDNN and GPUs when present, then each of NUMERIC_ENV as the command sees it (None when unset)."""
    env = os.environ if env is None else env
    uname = platform.uname()
    out: dict[str, str | None] = {
        "os": _os_name(),
        "kernel": f"{uname.system} {uname.release} {uname.version}".strip(),
        "machine": uname.machine,
        "cpu": _cpu_model(),
        "cpu_cores": str(os.cpu_count() or "unknown"),
    }
    if hasattr(os, "sched_getaffinity"):
        usable = len(os.sched_getaffinity(0))
        if usable != os.cpu_count():
            out["cpu_cores_usable"] = str(usable)
    out.update(_blas())
    out.update(_gpu())
    for name in NUMERIC_ENV:
        out[name] = env.get(name)
    return out
