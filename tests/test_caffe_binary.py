"""seedbridge.caffe._binary: finding the real Caffe tool and reading its version."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from seedbridge.caffe import _binary

# CAFFE_TARGET_VERSION in the CMakeLists.txt of brocolli-caffe 9.0.2 (what `make caffe` builds).
BUILT_VERSION = "1.0.0"


def test_the_built_binary_prints_the_version_seedbridge_reads(caffe_binary: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    printed = subprocess.run([str(caffe_binary), "--version"], capture_output=True, text=True, check=True).stdout
    assert printed == f"caffe version {BUILT_VERSION}\n"
    monkeypatch.setenv(_binary.CAFFE_ENV, str(caffe_binary))
    assert _binary.find() == str(caffe_binary)
    assert _binary.version() == BUILT_VERSION


def test_caffe_on_path_is_found_when_the_variable_is_unset(caffe_binary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(caffe_binary.parent))
    assert _binary.find() == str(caffe_binary)
    assert _binary.version() == BUILT_VERSION
    monkeypatch.setenv("PATH", "/nonexistent")
    assert (_binary.find(), _binary.version()) == (None, None)


def test_the_variable_may_name_a_program_on_path(caffe_binary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(caffe_binary.parent))
    monkeypatch.setenv(_binary.CAFFE_ENV, "caffe")
    assert _binary.find() == str(caffe_binary)


def test_a_renamed_binary_still_reports_its_version(caffe_binary: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """gflags prints the program's own name first: `mycaffe version 1.0.0`."""
    renamed = tmp_path / "mycaffe"
    renamed.symlink_to(caffe_binary)
    monkeypatch.setenv(_binary.CAFFE_ENV, str(renamed))
    assert _binary.version() == BUILT_VERSION


def test_an_unusable_variable_finds_nothing_and_does_not_fall_back(caffe_binary: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(caffe_binary.parent))  # a caffe on PATH that must not be used instead
    not_executable = tmp_path / "caffe"
    not_executable.write_text("not a program\n")
    for named in (str(not_executable), str(tmp_path / "missing"), str(tmp_path)):
        monkeypatch.setenv(_binary.CAFFE_ENV, named)
        assert (_binary.find(), _binary.version()) == (None, None)


def test_a_program_that_is_not_caffe_has_no_version(monkeypatch: pytest.MonkeyPatch) -> None:
    for program in ("/bin/true", "/bin/echo"):  # prints nothing; prints "--version"
        monkeypatch.setenv(_binary.CAFFE_ENV, program)
        assert _binary.find() == program
        assert _binary.version() is None
