"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder.

A path that is a symlink is written *through*: the file the link points to is replaced atomically (temp
file beside the target, rename over it) and the link itself stays as it was, as editors and ``cp`` do.
Replacing the link with a regular file would leave the real file stale while the user's tree looks updated.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from seedbridge.errors import SeedbridgeError

__all__ = ["atomic_write_bytes", "atomic_write_text"]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old file or the new one, never a mix.

    With ``overwrite=False`` an existing file is an error and is left alone. The file keeps the mode
    of the file it replaces (0o666 minus the umask for a new one)."""
    shown = os.fspath(path)
    if "\0" in shown:
        raise SeedbridgeError(f"{shown!r}: the path holds a NUL character; cannot write there")
    target = _through_links(shown)
    folder = os.path.dirname(target)
    if not overwrite and os.path.lexists(shown):
        raise SeedbridgeError(f"{shown}: already exists; pass --force (overwrite=True) to replace it")
    try:
        if not stat.S_ISREG(os.stat(target).st_mode):
            raise SeedbridgeError(f"{shown}: is not a regular file; refusing to replace it")
    except FileNotFoundError:
        pass
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SeedbridgeError(f"{shown}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, target)
        else:
            # link fails if the target appeared meanwhile, so a concurrent writer is never clobbered.
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise SeedbridgeError(f"{shown}: already exists; pass --force (overwrite=True) to replace it") from None
            os.unlink(tmp)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise SeedbridgeError(f"{shown}: cannot write: {exc.strerror or exc}; the old file is unchanged") from None
        raise
    _fsync_dir(folder)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = True) -> None:
    """``atomic_write_bytes`` for UTF-8 text, written with exactly the newlines it contains."""
    atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def _through_links(path: str) -> str:
    """The absolute path a write to ``path`` should replace: the final target of a chain of symlinks
    (which may not exist yet: a dangling link is written through to create its target). Resolved as the
    kernel resolves it, so ``link -> dirlink/../file`` reaches the file beside the folder dirlink points
    to, not the one beside the link (normpath would drop ``dirlink/..`` by its text)."""
    try:
        return os.path.realpath(path, strict=True)
    except FileNotFoundError:
        return os.path.realpath(path)  # not there yet: the folders and links on the way are resolved
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SeedbridgeError(f"{path}: symlink loop; refusing to write") from None
        return os.path.abspath(path)  # e.g. a file where a folder should be: writing says why


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)
