"""The code in the docs runs, so it cannot rot.

Rules, per Markdown page in docs/ and the README:
- ```python blocks run in order in one namespace per page, in a scratch folder that holds the docs'
  standard manifest (`seedbridge.yaml`, root 0x2a, the jobs below);
- ```console blocks: each `$ command` line runs in bash in that folder (same folder for the whole page)
  and must exit 0 (or N when the line ends with `  # exit N`); the lines after it, up to the next
  `$ ` line, are the expected output, compared exactly unless the block is marked `<!-- output varies -->`;
- ```yaml blocks that start with `seedbridge: 1` must be valid manifests, unless marked `<!-- invalid -->`;
- a block right after `<!-- no test -->` is skipped (use it for what needs CI secrets, GPUs or minutes).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

import seedbridge
from seedbridge import Job, Manifest, Root

PAGES = [*sorted((REPO / "docs").rglob("*.md")), REPO / "README.md"]
FENCE = re.compile(r"(?P<marker><!--[^>]*-->\s*\n)?```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```\s*$", re.S | re.M)
STANDARD_JOBS = [
    Job("preprocess", frameworks=["numpy"]),
    Job("train", frameworks=["python", "numpy", "torch"]),
    Job("analysis", frameworks=["r"]),
    Job("caffe_train", frameworks=["caffe"]),
]


def blocks(page: Path, lang: str) -> list[tuple[str, str]]:
    """(marker, body) of each fenced block in ``lang``."""
    text = page.read_text(encoding="utf-8")
    return [((m["marker"] or "").strip(), m["body"]) for m in FENCE.finditer(text) if m["lang"] == lang]


def standard_folder(tmp_path: Path) -> Path:
    Manifest(Root(0x2A, source="explicit"), STANDARD_JOBS).save(tmp_path / "seedbridge.yaml")
    return tmp_path


def page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


def test_every_page_has_been_found() -> None:
    names = {page_id(p) for p in PAGES}
    assert {"README.md", "docs/manifest.md", "docs/derivation.md"} <= names


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")], ids=page_id)
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(standard_folder(tmp_path))
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for marker, body in blocks(page, "python"):
        if marker == "<!-- no test -->":
            continue
        exec(compile(body, f"{page_id(page)}", "exec"), namespace)


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "console")], ids=page_id)
def test_console_blocks_run(page: Path, tmp_path: Path) -> None:
    folder = standard_folder(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    for marker, body in blocks(page, "console"):
        if marker == "<!-- no test -->":
            continue
        for command, expected in _commands(body):
            want_exit = 0
            if m := re.search(r"\s+# exit (\d+)$", command):
                want_exit, command = int(m[1]), command[: m.start()]
            proc = subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True,
                                  timeout=600)
            assert proc.returncode == want_exit, f"{page_id(page)}: $ {command}\n{proc.stdout}{proc.stderr}"
            if marker != "<!-- output varies -->":
                got = (proc.stdout + proc.stderr).rstrip("\n")
                assert got == expected.rstrip("\n"), f"{page_id(page)}: $ {command}"


def _commands(body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], ""))
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + line + "\n")
    return out


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "yaml")], ids=page_id)
def test_yaml_manifests_are_valid(page: Path) -> None:
    for marker, body in blocks(page, "yaml"):
        if body.startswith("seedbridge: 1") and marker not in ("<!-- invalid -->", "<!-- no test -->"):
            seedbridge.loads(body, path=page_id(page))
