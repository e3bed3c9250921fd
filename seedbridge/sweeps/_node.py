"""Running one replicate's command in its folder: shared by the local executor and by Ray tasks.

Standard library only: a Ray task ships this module to the node by value (``register_pickle_by_value``),
so the node needs Python and Ray, not seedbridge. When the node has seedbridge all the same, the task
describes the node with it (system and framework versions, for the run's record).
"""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["LOG_LIMIT", "RETURN_LIMIT", "execute", "remote_replicate"]

# What a Ray task sends back per file, and per log: beyond it the file is reported, not shipped.
RETURN_LIMIT = 256 * 1024 * 1024
LOG_LIMIT = 4 * 1024 * 1024


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def execute(argv: Sequence[str], env: Mapping[str, str], workdir: str, logs: str,
            started: Callable[[subprocess.Popen[bytes]], None] | None = None) -> dict[str, Any]:
    """Run ``argv`` in ``workdir`` with ``env`` added to this process's environment, stdin from
    /dev/null, stdout and stderr into ``logs``/stdout.log and stderr.log. Returns the returncode
    (negative: killed by that signal) or the error that kept it from starting, the times, host and pid.
    ``started`` receives the process once it runs (so a caller can kill it)."""
    full_env = {**os.environ, **env}
    info: dict[str, Any] = {"started_at": _now(), "host": platform.node() or "unknown", "pid": os.getpid(),
                            "returncode": None, "error": None}
    start = time.monotonic()
    try:
        with open(os.path.join(logs, "stdout.log"), "wb") as out, open(os.path.join(logs, "stderr.log"), "wb") as err:
            proc = subprocess.Popen(list(argv), cwd=workdir, env=full_env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, start_new_session=True)  # a group of its own: killed whole
            if started is not None:
                started(proc)
            info["returncode"] = proc.wait()
    except FileNotFoundError:
        info["returncode"], info["error"] = 127, f"cannot run {argv[0]!r}: no such file or directory (not on PATH?)"
    except PermissionError:
        info["returncode"], info["error"] = 126, f"cannot run {argv[0]!r}: permission denied (not executable?)"
    except OSError as exc:
        info["returncode"], info["error"] = 126, f"cannot run {argv[0]!r}: {exc.strerror or exc}"
    info["seconds"] = time.monotonic() - start
    info["ended_at"] = _now()
    return info


def _read_back(path: str, limit: int, *, tail: bool = False) -> bytes | str:
    """The bytes of ``path`` (the last ``limit`` of them when ``tail``), or why they are not sent."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        size = info.st_size
        if size > limit and not tail:
            return f"{size} bytes, more than the {limit // (1024 * 1024)} MiB a task sends back"
        with open(path, "rb") as fh:
            fh.seek(max(0, size - limit))
            return fh.read()
    except FileNotFoundError:
        return "not written"
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"


def _describe(env: Mapping[str, str], frameworks: Sequence[str]) -> dict[str, Any]:
    """The node's system and framework versions as a run record holds them, or None for each when the
    node has no seedbridge to read them with."""
    try:
        from seedbridge import _provenance
    except ImportError:
        return {"system": None, "versions": None}
    return {"system": _provenance.system({**os.environ, **env}), "versions": _provenance.versions(frameworks)}


def remote_replicate(argv: Sequence[str], env: Mapping[str, str], inputs: Mapping[str, bytes],
                     collect: Sequence[str], frameworks: Sequence[str]) -> dict[str, Any]:
    """The body of a Ray task: write ``inputs`` (relative path -> bytes) into a fresh folder, run the
    command there, and return what ``execute`` returns plus ``files`` (relative path -> bytes, or the
    reason a file is not sent), the two logs, and the node's ``system`` and ``versions``. The folder is
    removed afterwards."""
    base = tempfile.mkdtemp(prefix="seedbridge-replicate-")
    try:
        work = os.path.join(base, "work")
        os.mkdir(work)
        for rel, data in inputs.items():
            target = os.path.join(work, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(data)
        for rel in collect:
            os.makedirs(os.path.join(work, os.path.dirname(rel)), exist_ok=True)
        info = {**_describe(env, frameworks), **execute(argv, env, work, base)}
        info["files"] = {rel: _read_back(os.path.join(work, rel), RETURN_LIMIT) for rel in collect}
        info["logs"] = {name: _read_back(os.path.join(base, name), LOG_LIMIT, tail=True)
                        for name in ("stdout.log", "stderr.log")}
        return info
    finally:
        shutil.rmtree(base, ignore_errors=True)
