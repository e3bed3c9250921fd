"""Finding the Caffe command-line tool and its version, for run records and reports.

The binary is ``$SEEDBRIDGE_CAFFE`` when set, else ``caffe`` on ``PATH``. Its version is what
``caffe --version`` prints (gflags' version string, set from CAFFE_VERSION in tools/caffe.cpp:
``caffe version 1.0.0``). Nothing here runs at import; ``version()`` starts the binary once per process.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess

__all__ = ["CAFFE_ENV", "find", "version"]

CAFFE_ENV = "SEEDBRIDGE_CAFFE"


def find() -> str | None:
    """The path of the Caffe binary: ``$SEEDBRIDGE_CAFFE`` if it names an executable file, else ``caffe`` on
    PATH; None when there is none."""
    named = os.environ.get(CAFFE_ENV)
    if named:
        return named if os.path.isfile(named) and os.access(named, os.X_OK) else None
    return shutil.which("caffe")


@functools.lru_cache(maxsize=8)
def _version_of(binary: str) -> str | None:
    try:
        proc = subprocess.run([binary, "--version"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(rb"version\s+(\S+)", proc.stdout + proc.stderr)
    return match.group(1).decode("ascii", "replace") if match else None


def version() -> str | None:
    """``caffe --version``'s version of the binary ``find()`` returns; None without a binary or a version."""
    binary = find()
    return None if binary is None else _version_of(binary)
