"""Where and with what a run ran: git commit and dirtiness, host, Python, R and framework versions.

Framework versions come from installed package metadata (importlib.metadata), so no framework is
imported: reading torch's version must not cost torch's import time or touch its RNG.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Iterable

__all__ = ["CodeState", "code_state", "host", "versions"]

# Distribution names whose versions a record carries when installed (the frameworks' pip names).
_DISTRIBUTIONS = ("numpy", "torch", "tensorflow", "tensorflow-cpu", "keras", "rpy2")


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
    import sys

    wanted = {re.sub(r"[-_.]+", "_", n).lower(): n for n in names}
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
            if key in wanted and wanted[key] not in found and version:
                found[wanted[key]] = version.split("-")[0]
    return {n: found[n] for n in names if n in found}


def versions(frameworks: Iterable[str] = ()) -> dict[str, str]:
    """Python's version and seedbridge's, each installed framework's, and R's when ``frameworks`` lists r."""
    out = {"python": f"{platform.python_implementation()} {platform.python_version()}"}
    out.update(_installed(("seedbridge", *_DISTRIBUTIONS)))
    if "r" in frameworks:
        r = _r_version()
        out["r"] = r if r is not None else "not found (no Rscript on PATH)"
    out["platform"] = f"{platform.system()} {platform.release()} {platform.machine()}"
    return out
