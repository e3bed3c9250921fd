"""`import seedbridge`, the framework modules and the seed/env/snippet commands load no framework."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import seedbridge

HEAVY = ("numpy", "torch", "tensorflow", "keras", "rpy2", "psycopg", "sqlite3")

_PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _loaded(body: str, cwd: Path) -> tuple[list[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
    proc = subprocess.run([sys.executable, "-c", _PROBE.format(body=body, heavy=HEAVY)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stderr.strip().splitlines()[-1]), proc.stdout


def test_import_seedbridge_and_framework_modules_load_no_framework(tmp_path: Path) -> None:
    body = ("import seedbridge\nimport seedbridge.python, seedbridge.numpy, seedbridge.torch, seedbridge.tensorflow\n"
            "seedbridge.seed_everything, seedbridge.snapshot, seedbridge.numpy.generator")
    assert _loaded(body, tmp_path)[0] == []


@pytest.mark.parametrize("command", [
    ["seed", "train"],
    ["seed", "train", "--bits", "64", "--key", "rank=1"],
    ["env", "train"],
    ["snippet", "train", "--target", "python"],
    ["snippet", "train", "--target", "numpy"],
    ["snippet", "train", "--target", "torch"],
    ["snippet", "train", "--target", "tensorflow"],
])
def test_cli_commands_load_no_framework(tmp_path: Path, command: list[str]) -> None:
    seedbridge.Manifest.new(["train"], root=0x2A).save(tmp_path / "seedbridge.yaml")
    body = f"from seedbridge.cli import main\nrc = main({command!r})\nassert rc == 0, rc"
    loaded, stdout = _loaded(body, tmp_path)
    assert loaded == []
    assert stdout.strip()
