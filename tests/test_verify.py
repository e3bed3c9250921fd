"""`seedbridge verify` and the file comparison behind it: real processes, real files."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import seedbridge
from seedbridge.verify import compare_files, rewrite_command

PY = sys.executable
# The environment as it was when this module was collected: rpy2, once imported by another test,
# adds LD_LIBRARY_PATH=/usr/lib/... to os.environ, and a child interpreter then loads the system libpython.
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
DETERMINISTIC = """\
import json, os, sys
import numpy as np
data = np.loadtxt(sys.argv[1], delimiter=",")
rng = np.random.default_rng(int(os.environ["SEEDBRIDGE_SEED"]))
np.save(sys.argv[2], data + rng.random(data.shape))
np.savez(sys.argv[3], w=rng.normal(size=(3, 2)), b=np.arange(3))
json.dump({"loss": float(rng.random())}, open("metrics.json", "w"))
"""
NONDETERMINISTIC = """\
import sys
import numpy as np
np.save(sys.argv[1], np.random.default_rng().random((5, 4)))
"""


def sb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "seedbridge", *args], cwd=cwd, env=BASE_ENV, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "det.py").write_text(DETERMINISTIC)
    (tmp_path / "nondet.py").write_text(NONDETERMINISTIC)
    (tmp_path / "data.csv").write_text("1,2\n3,4\n")
    seedbridge.Manifest.new(["train"], root=3).save(tmp_path / "seedbridge.yaml")
    return tmp_path


def test_a_deterministic_numpy_script_verifies(project: Path) -> None:
    proc = sb("verify", "train", "--runs", "3", "--jobs", "2", "--output", "out/pred.npy", "--output", "w.npz",
              "--output", "metrics.json", "--", PY, "scripts/det.py", "data.csv", "out/pred.npy", "w.npz",
              cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verdict: reproducible (3 outputs matched in 3 runs)" in proc.stdout
    assert proc.stderr.count("verify: run ") == 3  # a progress line per finished run (stderr is not a tty)
    assert not (project / "out").exists() and not (project / "metrics.json").exists()  # runs wrote elsewhere


def test_a_nondeterministic_script_fails_with_the_largest_difference(project: Path) -> None:
    proc = sb("verify", "train", "--output", "x.npy", "--format", "json", "--", PY, "nondet.py", "x.npy",
              cwd=project)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    (out,) = report["outputs"]
    assert out["match"] is False and 0 < out["max_abs_diff"] < 1
    assert "max |Δ| = " in out["runs"]["2"]["detail"]
    assert report["run_dir"] and os.path.isdir(report["run_dir"])  # kept for a look
    text = sb("verify", "train", "-o", "x.npy", "--", PY, "nondet.py", "x.npy", cwd=project).stdout
    assert "x.npy  FAIL  run 2: differs: max |Δ| = " in text and "verdict: not reproducible" in text


def test_a_failing_command_fails_verification(project: Path) -> None:
    proc = sb("verify", "train", "--stdout", "--", PY, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)",
              cwd=project)
    assert proc.returncode == 1 and "run 1: exit 3" in proc.stdout and "| boom" in proc.stdout


def test_stdout_can_be_compared(project: Path) -> None:
    assert sb("verify", "train", "--stdout", "--", PY, "-c", "import os; print(os.environ['SEEDBRIDGE_SEED'])",
              cwd=project).returncode == 0
    assert sb("verify", "train", "--stdout", "--", PY, "-c", "import os; print(os.urandom(8).hex())",
              cwd=project).returncode == 1


@pytest.mark.parametrize(("args", "message"), [
    (("--output", "/tmp/x.npy"), "--output /tmp/x.npy: must be a relative path"),
    (("--runs", "1", "--output", "x"), "--runs: must be an integer >= 2"),
    ((), "nothing to compare"),
    (("--link", "missing", "--stdout"), "--link missing: does not exist here"),
])
def test_verify_usage_errors(project: Path, args: tuple[str, ...], message: str) -> None:
    proc = sb("verify", "train", *args, "--", "true", cwd=project)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_link_makes_files_the_program_opens_itself_visible(project: Path) -> None:
    code = "import shutil; shutil.copy('data.csv', 'copy.csv')"
    assert sb("verify", "train", "-o", "copy.csv", "--", PY, "-c", code, cwd=project).returncode == 1
    assert sb("verify", "train", "-o", "copy.csv", "--link", "data.csv", "--", PY, "-c", code,
              cwd=project).returncode == 0


def test_rewrite_makes_existing_paths_absolute_but_leaves_outputs(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "t.py").write_text("")
    (tmp_path / "data.csv").write_text("")
    (tmp_path / "out").mkdir()
    (tmp_path / "model.npy").write_text("old output from a run by hand")
    got = rewrite_command(["python", "scripts/t.py", "--data=data.csv", "--out", "out", "model.npy", "new.npy",
                           "-v", "."], str(tmp_path), ["out/pred.npy", "model.npy"])
    assert got == ["python", str(tmp_path / "scripts" / "t.py"), f"--data={tmp_path / 'data.csv'}", "--out", "out",
                   "model.npy", "new.npy", "-v", "."]
    (tmp_path / "run.sh").write_text("")
    assert rewrite_command(["./run.sh"], str(tmp_path), [])[0] == str(tmp_path / "run.sh")


def test_rewrite_leaves_module_names_and_code_alone(tmp_path: Path) -> None:
    """`python -m pkg` run from a project root: the package folder exists here, but it is a module name."""
    (tmp_path / "seedbridge").mkdir()
    (tmp_path / "x").write_text("")
    for command in (["python", "-m", "seedbridge", "seed"], ["python", "-c", "x"], ["Rscript", "-e", "x"]):
        assert rewrite_command(command, str(tmp_path), []) == command


# -- compare_files ---------------------------------------------------------------------------------


def write_pair(tmp_path: Path, suffix: str, a: object, b: object) -> tuple[Path, Path]:
    pa, pb = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    for p, v in ((pa, a), (pb, b)):
        if isinstance(v, bytes):
            p.write_bytes(v)
        elif suffix == ".npy":
            np.save(p, v)
        elif suffix == ".npz":
            np.savez(p, **v)  # type: ignore[arg-type]
        else:
            p.write_text(str(v))
    return pa, pb


def test_npy_reports_max_difference_and_where(tmp_path: Path) -> None:
    x = np.zeros((3, 4))
    y = x.copy()
    y[1, 2], y[2, 0] = 0.5, -0.25
    c = compare_files(*write_pair(tmp_path, ".npy", x, y))
    assert (c.match, c.max_abs_diff) == (False, 0.5) and "at [1, 2]" in c.detail
    assert compare_files(*write_pair(tmp_path, ".npy", x, y), atol=0.5).match
    assert compare_files(*write_pair(tmp_path, ".npy", x, x)).identical


def test_npy_shape_and_nan_handling(tmp_path: Path) -> None:
    c = compare_files(*write_pair(tmp_path, ".npy", np.zeros(3), np.zeros(4)))
    assert not c.match and "shape (3,) vs (4,)" in c.detail
    nan = np.array([np.nan, 1.0])
    assert compare_files(*write_pair(tmp_path, ".npy", nan, nan.copy())).match
    c = compare_files(*write_pair(tmp_path, ".npy", nan, np.array([0.0, 1.0])))
    assert c.max_abs_diff == math.inf and not c.match
    c = compare_files(*write_pair(tmp_path, ".npy", np.arange(4, dtype=np.int64), np.array([0, 1, 2, 9])))
    assert c.max_abs_diff == 6.0


def test_npz_names_the_array(tmp_path: Path) -> None:
    c = compare_files(*write_pair(tmp_path, ".npz", {"w": np.ones(2), "b": np.zeros(2)},
                                  {"w": np.ones(2), "b": np.array([0.0, 0.125])}))
    assert c.max_abs_diff == 0.125 and "at b[1]" in c.detail
    c = compare_files(*write_pair(tmp_path, ".npz", {"w": np.ones(2)}, {"v": np.ones(2)}))
    assert not c.match and "arrays differ" in c.detail


def test_json_numbers_structure_and_formatting(tmp_path: Path) -> None:
    c = compare_files(*write_pair(tmp_path, ".json", '{"a": [1, 2.5], "b": "x"}', '{"a": [1, 2.75], "b": "x"}'))
    assert c.max_abs_diff == 0.25 and "at $.a[1]" in c.detail
    c = compare_files(*write_pair(tmp_path, ".json", '{"a": 1}', '{"a": 1, "c": 2}'))
    assert not c.match and "keys differ" in c.detail
    c = compare_files(*write_pair(tmp_path, ".json", '{"a": 1, "b": 2}', '{"b":2,"a":1}'))
    assert c.match and not c.identical and "same values" in c.detail


def test_csv_cells(tmp_path: Path) -> None:
    c = compare_files(*write_pair(tmp_path, ".csv", "x,y\n1,2\n3,4\n", "x,y\n1,2\n3,4.001\n"))
    assert c.max_abs_diff == pytest.approx(0.001) and "row 3, column 2" in c.detail
    c = compare_files(*write_pair(tmp_path, ".csv", "x\nred\n", "x\nblue\n"))
    assert not c.match and "row 2, column 1: 'red' vs 'blue'" in c.detail


def test_other_files_say_where_the_bytes_part(tmp_path: Path) -> None:
    c = compare_files(*write_pair(tmp_path, ".bin", b"abcdef", b"abcXef"))
    assert not c.match and c.max_abs_diff is None and "from offset 3" in c.detail
    c = compare_files(*write_pair(tmp_path, ".npy", b"not npy", b"not npy either"))
    assert not c.match and "bytes differ" in c.detail  # unreadable as .npy: bytes only, no crash
