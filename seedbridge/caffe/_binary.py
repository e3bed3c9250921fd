"""Finding the Caffe command-line tool and its version, for run records and reports.

The binary is ``$SEEDBRIDGE_CAFFE`` when set (a path, or a name looked up on ``PATH``), else ``caffe`` on
``PATH``. Its version is what ``caffe --version`` prints: gflags writes ``<program name> version <string>``,
the string set from CAFFE_VERSION in tools/caffe.cpp (``caffe version 1.0.0`` for the Caffe that `make caffe`
builds; the program name is whatever the binary or its symlink is called). Nothing here runs at import;
``version()`` starts the binary once per process and path.
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
    """The path of the Caffe binary: ``$SEEDBRIDGE_CAFFE`` if it names an executable file (a name without a
    slash is looked up on PATH), else ``caffe`` on PATH; None when there is none. A set but unusable
    ``$SEEDBRIDGE_CAFFE`` is None, not a fallback to PATH: the user asked for that binary."""
    named = os.environ.get(CAFFE_ENV)
    return shutil.which(named) if named else shutil.which("caffe")


@functools.lru_cache(maxsize=8)
def _version_of(binary: str) -> str | None:
    try:
        proc = subprocess.run([binary, "--version"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    # gflags' --version output (gflags_reporting.cc, ShowVersion): "<program> version <string>" on line one.
    match = re.match(rb"\S+ version (\S+)\s*$", proc.stdout.split(b"\n", 1)[0])
    return match.group(1).decode("ascii", "replace") if match else None


def version() -> str | None:
    """``caffe --version``'s version of the binary ``find()`` returns; None without a binary or a version."""
    binary = find()
    return None if binary is None else _version_of(binary)
