"""`seedbridge verify` and the file comparison behind it: real processes, real files."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import seedbridge
from seedbridge._diff import compare_files
from seedbridge.verify import rewrite_command

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
import time
import numpy as np
np.save(sys.argv[1], np.random.default_rng().random((5, 4)))
"""


def sb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # TMPDIR inside the test's folder: run folders that verify keeps (not reproducible) go with it.
    return subprocess.run([PY, "-m", "seedbridge", *args], cwd=cwd, env={**BASE_ENV, "TMPDIR": str(cwd)},
                          capture_output=True, text=True, timeout=120)


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
    assert not compare_files(*write_pair(tmp_path, ".npy", nan, np.array([0.0, 1.0])), atol=1e300).match


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
    c = compare_files(*write_pair(tmp_path, ".csv", "x,y\n1,2\n3,4.0\n", "x,y\n1,2\n3,4.001\n"))
    assert c.max_abs_diff == pytest.approx(0.001) and "row 3, column 2" in c.detail
    c = compare_files(*write_pair(tmp_path, ".csv", "x\nred\n", "x\nblue\n"))
    assert not c.match and "row 2, column 1: 'red' vs 'blue'" in c.detail


def test_other_files_say_where_the_bytes_part(tmp_path: Path) -> None:
    c = compare_files(*write_pair(tmp_path, ".bin", b"abcdef", b"abcXef"))
    assert not c.match and c.max_abs_diff is None and "from offset 3" in c.detail
    c = compare_files(*write_pair(tmp_path, ".npy", b"not npy", b"not npy either"))
    assert not c.match and "bytes differ" in c.detail  # unreadable as .npy: bytes only, no crash


# -- exact comparison (issue 10, section 3) -----------------------------------------------------------


def differs(tmp_path: Path, suffix: str, a: object, b: object, atol: float = 0.0) -> str:
    """The detail of a comparison that must not match."""
    c = compare_files(*write_pair(tmp_path, suffix, a, b), atol=atol)
    assert not c.match, c
    return c.detail


@pytest.mark.parametrize("atol", [0.0, 10.0])
def test_integers_never_pass_through_a_float(tmp_path: Path, atol: float) -> None:
    """2**53 and 2**53 + 1 are the same double; as integers they differ, and --atol does not relax them."""
    big = 2**53
    assert f"{big} vs {big + 1}" in differs(tmp_path, ".json", f"[{big}]", f"[{big + 1}]", atol)
    assert f"'{big}' vs '{big + 1}'" in differs(tmp_path, ".csv", f"x\n{big}\n", f"x\n{big + 1}\n", atol)
    assert "[1]: 4611686018427387904 vs 4611686018427387905" in differs(
        tmp_path, ".npy", np.array([0, 2**62], dtype=np.int64), np.array([0, 2**62 + 1], dtype=np.int64), atol)
    assert "[0]: 18446744073709551615 vs 18446744073709551614" in differs(
        tmp_path, ".npy", np.array([2**64 - 1], dtype=np.uint64), np.array([2**64 - 2], dtype=np.uint64), atol)
    npz = differs(tmp_path, ".npz", {"n": np.array([7, 2**63 - 1])}, {"n": np.array([7, 2**63 - 2])}, atol)
    assert "n[1]: 9223372036854775807 vs 9223372036854775806" in npz


def test_a_difference_in_kind_is_a_difference(tmp_path: Path) -> None:
    assert "dtype <u8 vs <i8" in differs(tmp_path, ".npy", np.array([2**64 - 1], dtype=np.uint64),
                                         np.array([-2], dtype=np.int64))  # the same 8 bytes
    assert "dtype <f8 vs <f4" in differs(tmp_path, ".npy", np.ones(2), np.ones(2, dtype=np.float32), atol=1.0)
    assert "memory order" in differs(tmp_path, ".npy", np.zeros((2, 3)), np.asfortranarray(np.zeros((2, 3))))
    assert "integer 1 vs decimal 1.0" in differs(tmp_path, ".json", "[1]", "[1.0]", atol=1.0)
    assert "boolean true vs integer 1" in differs(tmp_path, ".json", "[true]", "[1]")
    assert "integer '1' vs decimal '1.0'" in differs(tmp_path, ".csv", "1\n", "1.0\n", atol=1.0)
    assert "decimal '2.5' vs text '2.5x'" in differs(tmp_path, ".csv", "2.5\n", "2.5x\n")


def test_complex_numbers_compare_part_by_part(tmp_path: Path) -> None:
    """A NaN in one part must not hide the other part (NumPy's isnan is true when either part is NaN)."""
    a = np.array([complex(np.nan, 1.0), 2.0])
    assert "max |Δ| = 1 at [0] (imaginary part)" in differs(tmp_path, ".npy", a, np.array([complex(np.nan, 2.0), 2.0]))
    assert "at [0] (real part)" in differs(tmp_path, ".npy", a, np.array([complex(3.0, 1.0), 2.0]), atol=1e9)
    assert compare_files(*write_pair(tmp_path, ".npy", a, a.copy())).match
    c64 = np.array([complex(1.0, np.nan)], dtype=np.complex64)
    other = c64.copy()
    other.imag = -np.nan
    assert compare_files(*write_pair(tmp_path, ".npy", c64, other)).match  # NaN matches NaN, any sign bit


def test_nan_matches_nan_and_no_number(tmp_path: Path) -> None:
    """The documented rule (docs/ci.md): NaN vs NaN is the same value; NaN vs a number differs at any --atol."""
    for suffix, a, b in ((".json", "[NaN, 1]", "[NaN,1]"), (".csv", "nan,1\n", "NaN,1\n"),
                         (".npy", np.array([np.nan, 1.0]), np.array([-np.nan, 1.0]))):
        c = compare_files(*write_pair(tmp_path, suffix, a, b))
        assert c.match and not c.identical and "same values" in c.detail, (suffix, c)
    for suffix, a, b in ((".json", "[NaN]", "[0.5]"), (".csv", "nan\n", "0.5\n"),
                         (".npy", np.array([np.nan]), np.array([0.5]))):
        assert "max |Δ| = inf" in differs(tmp_path, suffix, a, b, atol=1e300)


def test_zeros_of_opposite_sign_differ_unless_a_tolerance_is_given(tmp_path: Path) -> None:
    """The documented rule (docs/ci.md): exact means the same number, and 0.0 and -0.0 are not
    (1 / -0.0 is -inf); under --atol X > 0 they match, as |0.0 - -0.0| = 0 <= X."""
    for suffix, a, b in ((".json", "[1.5, 0.0]", "[1.5, -0.0]"), (".csv", "1.5,0.0\n", "1.5,-0.0\n"),
                         (".npy", np.array([1.5, 0.0]), np.array([1.5, -0.0])),
                         (".npy", np.array([0j]), np.array([complex(0.0, -0.0)]))):
        assert "(the sign of zero differs)" in differs(tmp_path, suffix, a, b), suffix
        c = compare_files(*write_pair(tmp_path, suffix, a, b), atol=1e-12)
        assert c.match and "same values" in c.detail, (suffix, c)
    assert compare_files(*write_pair(tmp_path, ".json", "[0]", "[-0]")).match  # integers have one zero


def test_atol_relaxes_decimals_only(tmp_path: Path) -> None:
    for suffix, a, b in ((".json", "[1, 0.5]", "[1, 0.75]"), (".csv", "1,0.5\n", "1,0.75\n"),
                         (".npy", np.array([0.5]), np.array([0.75]))):
        assert "max |Δ| = 0.25" in differs(tmp_path, suffix, a, b, atol=0.2)
        assert compare_files(*write_pair(tmp_path, suffix, a, b), atol=0.25).match
    assert "1 vs 2" in differs(tmp_path, ".json", "[1, 0.5]", "[2, 0.5]", atol=100.0)


def test_huge_integers_and_decimals_do_not_crash(tmp_path: Path) -> None:
    """A 400-digit integer overflowed float(); 5000 digits are beyond Python's int() digit limit."""
    for digits in (400, 5000):
        n = "1" * digits
        assert f"({digits} digits)" in differs(tmp_path, ".json", f"[{n}]", f"[{n[:-1]}2]")
        assert compare_files(*write_pair(tmp_path, ".json", f"[{n}]", f"[ {n}]")).match
        assert "row 1, column 1" in differs(tmp_path, ".csv", f"{n}\n", f"{n[:-1]}2\n")
        assert compare_files(*write_pair(tmp_path, ".csv", f"{n}\n", f"+{n}\n")).match
    assert "max |Δ| = inf" in differs(tmp_path, ".json", "[1e400]", "[1e401]")  # not both "inf"
    assert "max |Δ| = 1e-400" not in differs(tmp_path, ".csv", "1e-400\n", "2e-400\n")  # not both 0.0
    assert compare_files(*write_pair(tmp_path, ".json", "[1e400]", "[10e399]")).match
    assert "max |Δ| = inf" in differs(tmp_path, ".csv", ".5e400\n", ".6e400\n")
    assert compare_files(*write_pair(tmp_path, ".csv", "inf\n", "Infinity\n")).match  # the word, not a number
    assert 'object {"a": Infinity} vs array [1]' in differs(tmp_path, ".json", '[{"a": 1e400}]', "[[1]]")


def test_other_array_kinds_compare_element_by_element(tmp_path: Path) -> None:
    assert "[1]: 'b' vs 'c'" in differs(tmp_path, ".npy", np.array(["a", "b"]), np.array(["a", "c"]))
    assert "[0]: (1, 2.0) vs (1, 3.0)" in differs(tmp_path, ".npy", np.array([(1, 2.0)], dtype="i4,f8"),
                                                   np.array([(1, 3.0)], dtype="i4,f8"))
    nat = np.array(["2020-01-01", "NaT"], dtype="M8[D]")
    assert compare_files(*write_pair(tmp_path, ".npy", nat, nat.copy())).identical
    fortran = np.asfortranarray([[1, 2], [3, 4]])
    changed = fortran.copy(order="F")
    changed[1, 0] = 5
    assert "[1, 0]: 3 vs 5" in differs(tmp_path, ".npy", fortran, changed)
    assert "the value" in differs(tmp_path, ".npy", np.float32(1.5), np.float32(2.5))
    assert "(2 differences)" in differs(tmp_path, ".npy", np.arange(5), np.array([0, 9, 2, 9, 4]))


def test_files_that_do_not_parse_are_compared_as_bytes(tmp_path: Path) -> None:
    cases = {
        ".npy": (b"not npy", b"not npy either"),
        ".npz": (b"PK\x03\x04 not a zip", b"PK\x03\x04 not a zip at all"),
        ".json": ("[1, 2", "[1, 3"),
        ".csv": ('"a,1\n', '"a,2\n'),  # a quote that never closes
    }
    for suffix, (a, b) in cases.items():
        assert "bytes differ from offset" in differs(tmp_path, suffix, a, b), suffix
    pa, pb = write_pair(tmp_path, ".npy", np.arange(1000.0), np.arange(1000.0) + 1)
    pb.write_bytes(pb.read_bytes()[:500])
    assert "ends early" in compare_files(pa, pb).detail
    deep = "[" * 100_000 + "]" * 100_000
    assert "bytes differ" in differs(tmp_path, ".json", deep, deep[:-1] + " ]")
    np.save(pa, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(pb, np.array([{"a": 2}], dtype=object), allow_pickle=True)
    assert "never loaded" in compare_files(pa, pb).detail


@pytest.mark.slow
def test_large_json_is_walked_item_by_item(tmp_path: Path) -> None:
    """Beyond JSON_WINDOW characters a container is not parsed whole; the answers stay the same."""
    from seedbridge._diff import JSON_WINDOW

    records = [{"step": i, "loss": i / 7, "tags": ["a", "b"]} for i in range(25_000)]
    text = json.dumps({"history": records, "n": 1})
    assert len(text) > JSON_WINDOW
    changed = json.loads(text)
    changed["history"][20_000]["loss"] += 0.5
    changed["history"][22_000]["step"] = 2**53 + 1
    detail = differs(tmp_path, ".json", text, json.dumps(changed))
    assert "$.history[22000].step: 22000 vs 9007199254740993" in detail
    assert "max |Δ| = 0.5 at $.history[20000].loss" in detail
    reordered = json.dumps({"n": 1, "history": records}, indent=1)
    assert compare_files(*write_pair(tmp_path, ".json", text, reordered)).match
    assert "$.n: 1 vs 2" in differs(tmp_path, ".json", text, json.dumps({"n": 2, "history": records}))
    assert "$.history: 25000 items vs 24999" in differs(tmp_path, ".json", text,
                                                        json.dumps({"history": records[:-1], "n": 1}))
    assert "$.history: array vs object" in differs(tmp_path, ".json", text, json.dumps({"history": {}, "n": 1}))
    pairs = json.dumps([[i, i + 0.5] for i in range(80_000)])
    assert len(pairs) > JSON_WINDOW
    assert "$[79999]: array vs integer 7" in differs(tmp_path, ".json", pairs, pairs[: pairs.rindex("[")] + "7]")
    numbers = json.dumps([i / 3 for i in range(80_000)])
    detail = differs(tmp_path, ".json", numbers, numbers.replace("0.0,", "-0.0,", 1).replace("]", ", 1e400]"))
    assert "$[0]: 0.0 vs -0.0 (the sign of zero differs) (2 differences)" in detail
    assert "80000 items vs 80001" in differs(tmp_path, ".json", numbers, numbers.replace("]", ", 1e400]"))


def test_csv_rows_beyond_the_limit_are_compared_as_bytes(tmp_path: Path) -> None:
    from seedbridge._diff import CSV_ROW_LIMIT

    row = ",".join(["1"] * (CSV_ROW_LIMIT // 2 + 1))
    assert "longer than" in differs(tmp_path, ".csv", f"{row}\n", f"{row},2\n")


def test_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    regular = tmp_path / "regular.json"
    regular.write_text("[1]")
    for a, b in ((regular, fifo), (fifo, regular), (regular, Path("/dev/zero")), (regular, tmp_path)):
        c = compare_files(a, b, name="x.json")  # returns at once: a blocking open would hang the test
        assert not c.match and "not a regular file" in c.detail, c


def test_verify_reports_an_output_that_is_a_fifo(project: Path) -> None:
    proc = sb("verify", "train", "-o", "out.txt", "--", PY, "-c", "import os; os.mkfifo('out.txt')", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert "run 1: is a FIFO (named pipe), not a regular file" in proc.stdout


def test_verify_fails_on_integers_that_are_equal_as_doubles(project: Path) -> None:
    # Run 2 (working directory .../run-2/work) writes 2**53 + 1, run 1 writes 2**53: the same double.
    code = "import json, os; json.dump([2**53 + os.getcwd().endswith('run-2/work')], open('n.json', 'w'))"
    proc = sb("verify", "train", "-o", "n.json", "--", PY, "-c", code, cwd=project)
    assert proc.returncode == 1 and "$[0]: 9007199254740992 vs 9007199254740993" in proc.stdout, proc.stdout


GRANDPARENT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
mark = os.path.join(sys.argv[1], f"grandchild-{os.getpid()}")
with open(mark + ".tmp", "w") as fh:
    fh.write(str(child.pid))
os.rename(mark + ".tmp", mark)
time.sleep(300)
"""


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_verify_kills_what_its_runs_started(project: Path, stop: signal.Signals) -> None:
    """Ctrl-C or SIGTERM: each run is killed with what it started (a shell's or a launcher's children), not
    only the process verify started, which left `sh -c "python train.py"` training in the background
    (SIGTERM killed verify alone)."""
    (project / "grandparent.py").write_text(GRANDPARENT)
    marks = project / "marks"
    marks.mkdir()
    proc = subprocess.Popen([PY, "-m", "seedbridge", "verify", "train", "--stdout", "--jobs", "2", "--",
                             PY, "grandparent.py", str(marks)], cwd=project, env={**BASE_ENV, "TMPDIR": str(project)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(list(marks.glob("grandchild-*[0-9]"))) < 2:
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    grandchildren = [int(p.read_text()) for p in marks.glob("grandchild-*[0-9]")]
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "seedbridge: interrupted" in err, err
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in grandchildren):
        assert time.monotonic() < deadline, f"still running: {[p for p in grandchildren if _alive(p)]}"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    """Running and not a zombie (a killed grandchild is reaped by init, perhaps later)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
