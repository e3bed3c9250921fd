"""Input files are regular files read with a bound; writes go through symlinks and keep them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seedbridge._atomic import atomic_write_text
from seedbridge._files import Refused, read_regular
from seedbridge.errors import SeedbridgeError


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(Refused, match="FIFO"):
        read_regular(fifo, limit=100)


def test_a_character_device_is_refused() -> None:
    with pytest.raises(Refused, match="character device"):
        read_regular("/dev/zero", limit=100)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Refused, match="directory"):
        read_regular(tmp_path, limit=100)


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 101)
    with pytest.raises(Refused, match="larger than the limit"):
        read_regular(big, limit=100)
    assert read_regular(big, limit=101) == b"x" * 101


def test_a_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"abc")
    (tmp_path / "link").symlink_to("real")
    assert read_regular(tmp_path / "link", limit=10) == b"abc"


def test_writing_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    real = tmp_path / "sub" / "real.yaml"
    real.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(os.path.join("sub", "real.yaml"))
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == os.path.join("sub", "real.yaml")
    assert real.read_text() == "new"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["real.yaml"]  # no temp file left


def test_a_dangling_symlink_is_written_through(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to("target")
    atomic_write_text(link, "x")
    assert link.is_symlink() and (tmp_path / "target").read_text() == "x"


def test_a_symlink_loop_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(SeedbridgeError, match="symlink loop"):
        atomic_write_text(tmp_path / "a", "x")


def test_no_overwrite_refuses_an_existing_link(tmp_path: Path) -> None:
    (tmp_path / "real").write_text("old")
    (tmp_path / "link").symlink_to("real")
    with pytest.raises(SeedbridgeError, match="already exists"):
        atomic_write_text(tmp_path / "link", "new", overwrite=False)
    assert (tmp_path / "real").read_text() == "old"


def test_a_fifo_is_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SeedbridgeError, match="not a regular file"):
        atomic_write_text(fifo, "x")


def test_a_link_through_a_linked_folder_and_dotdot_is_written_where_the_kernel_resolves_it(tmp_path: Path) -> None:
    """link -> sub/../target.yaml, with sub a link to deep/inner: the file is deep/target.yaml. Resolving the
    text with normpath wrote a new target.yaml beside the link and left the real file stale."""
    (tmp_path / "deep" / "inner").mkdir(parents=True)
    (tmp_path / "deep" / "target.yaml").write_text("old")
    (tmp_path / "sub").symlink_to(tmp_path / "deep" / "inner")
    (tmp_path / "link.yaml").symlink_to(os.path.join("sub", "..", "target.yaml"))
    assert (tmp_path / "link.yaml").read_text() == "old"
    atomic_write_text(tmp_path / "link.yaml", "new")
    assert (tmp_path / "link.yaml").read_text() == (tmp_path / "deep" / "target.yaml").read_text() == "new"
    assert not (tmp_path / "target.yaml").exists()


def test_a_socket_and_a_symlink_loop_are_named_as_such(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock"))
        with pytest.raises(Refused, match="is a socket, not a regular file"):
            read_regular(tmp_path / "sock", limit=100)
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(Refused, match="symlink loop"):
        read_regular(tmp_path / "a", limit=100)


def test_a_path_with_a_nul_is_refused_not_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(Refused, match="NUL"):
        read_regular(str(tmp_path / "a\0b"), limit=100)
    with pytest.raises(SeedbridgeError, match="NUL"):
        atomic_write_text(str(tmp_path / "a\0b"), "x")
