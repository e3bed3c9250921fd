"""Reading input files safely: only regular files, never blocking, never unbounded.

A FIFO given as a manifest would block ``open()`` until a writer appears, and ``/dev/zero`` never ends.
Every input seedbridge reads goes through ``open_regular`` (non-blocking open, then ``fstat``: anything
but a regular file is refused before a byte is read) and, when the whole file is read into memory,
``read_regular`` with a size limit. Symlinks are followed: a link to a regular file is that file.

Errors are ``Refused`` with a reason in the project's message style (lower-case, no path); callers put
the path and the field around it (a ``Problem``), so each command reports in its own terms.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from typing import BinaryIO

__all__ = ["MiB", "Refused", "describe_mode", "open_regular", "read_regular"]

MiB = 1024 * 1024


class Refused(Exception):
    """The path cannot be used as an input file; ``str()`` is the reason."""


def describe_mode(mode: int) -> str:
    """What a non-regular file is, for messages: ``a FIFO``, ``a directory``, ``a character device``..."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for binary reading, if it is a regular file (after following symlinks).

    Opened with O_NONBLOCK, so a FIFO cannot hang the call; the flag is cleared again before returning."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise Refused("no such file") from None
    except IsADirectoryError:
        raise Refused("is a directory, not a file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("is a symlink loop (too many levels of symbolic links)") from None
        if exc.errno == errno.ENXIO:  # a UNIX socket cannot be opened at all: say what it is
            with contextlib.suppress(OSError):
                raise Refused(f"is {describe_mode(os.stat(path).st_mode)}, not a regular file") from None
        raise Refused(f"cannot open: {exc.strerror or exc}") from None
    except ValueError:  # os.open refuses a path with a NUL in it
        raise Refused("the path holds a NUL character") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise Refused(f"is {describe_mode(mode)}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """The whole of regular file ``path``; more than ``limit`` bytes is refused (the file may still be
    growing, so the limit is checked on what is read, not on the size ``stat`` gave)."""
    with open_regular(path) as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise Refused(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise Refused(f"is larger than the limit of {_size(limit)} for this kind of file")
    return data


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n % MiB == 0 else f"{n} bytes"
