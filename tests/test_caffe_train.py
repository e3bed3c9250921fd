"""The real Caffe binary trains from seedbridge's solvers: what random_seed does, observed, not assumed.

A tiny net trains for ten iterations in a fraction of a second: DummyData draws gaussian inputs, the
InnerProduct weights come from gaussian and xavier fillers, and Dropout draws a mask every iteration, so
every source of randomness in the training goes through Caffe's one RNG, the one random_seed seeds.
What the tests compare is what carries the numbers: the .caffemodel snapshot (BINARYPROTO) and the loss
lines of the log. (The .solverstate records the snapshot's path, and glog lines carry times and pids.)
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run_cli

import seedbridge
from seedbridge import caffe

NET = """name: "tiny"
layer { name: "data" type: "DummyData" top: "data" top: "label"
  dummy_data_param { shape { dim: 8 dim: 4 } shape { dim: 8 }
    data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 1 } } }
layer { name: "fc1" type: "InnerProduct" bottom: "data" top: "fc1"
  inner_product_param { num_output: 16 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "drop" type: "Dropout" bottom: "fc1" top: "fc1" dropout_param { dropout_ratio: 0.5 } }
layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2"
  inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc2" bottom: "label" top: "loss" }
"""
ITERATIONS = 10
SNAPSHOT = f"snap_iter_{ITERATIONS}.caffemodel"
# glog's prefix (severity, date, time, thread id) varies from run to run; the message after "] " does not.
LOSS_LINE = re.compile(r"\] (Iteration \d+.*loss = .*)$", re.M)
# Caffe's glog writes log files into /tmp unless it logs to stderr only.
GLOG_ENV = {**os.environ, "GLOG_logtostderr": "1"}


def solver_text(net: Path, seed_line: str = "") -> str:
    return (f'net: "{net}"\nbase_lr: 0.1\nlr_policy: "fixed"\nmax_iter: {ITERATIONS}\ndisplay: 1\n'
            f'snapshot_prefix: "snap"\nsolver_mode: CPU\n{seed_line}')


@dataclass(frozen=True)
class Training:
    weights: bytes
    losses: list[str]


@pytest.fixture
def net(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_net.prototxt"
    path.write_text(NET)
    return path


def caffe_log(binary: Path, solver: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """`caffe train -solver=SOLVER` in ``folder``; its log (stderr) read as text whatever its bytes."""
    return subprocess.run([str(binary), "train", f"-solver={solver}"], cwd=folder, env=GLOG_ENV,
                          capture_output=True, text=True, errors="replace", timeout=120, check=False)


def train(binary: Path, solver: Path, folder: Path) -> Training:
    """`caffe train` of ``solver`` in a fresh ``folder``: the snapshot's bytes and the loss lines."""
    folder.mkdir()
    proc = caffe_log(binary, solver, folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    losses = LOSS_LINE.findall(proc.stderr)
    assert len(losses) > ITERATIONS, proc.stderr[-3000:]
    return Training((folder / SNAPSHOT).read_bytes(), losses)


def train_with(binary: Path, net: Path, tmp_path: Path, seed_line: str, name: str) -> Training:
    """Train from a solver whose random_seed line is written as given (outside seedbridge's range, too)."""
    solver = tmp_path / f"{name}_solver.prototxt"
    solver.write_text(solver_text(net, seed_line))
    return train(binary, solver, tmp_path / name)


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "seedbridge.yaml"
    seedbridge.Manifest.new(["a", "b"], root=0x2A).save(path)
    return path


def seeded_by_cli(tmp_path: Path, net: Path, job: str) -> Path:
    """A solver seeded by `seedbridge caffe --job JOB`, the way a user seeds one."""
    template = tmp_path / "template_solver.prototxt"
    template.write_text(solver_text(net))
    out = tmp_path / f"{job}_solver.prototxt"
    proc = run_cli(["caffe", str(template), "--job", job, "-o", str(out)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return out


# -- the seed makes training repeatable ------------------------------------------------------------


def test_same_job_twice_gives_identical_snapshot_and_losses(caffe_binary: Path, net: Path, manifest: Path,
                                                             tmp_path: Path) -> None:
    solver = seeded_by_cli(tmp_path, net, "a")
    assert caffe.read_seed(solver.read_text()) == seedbridge.load(manifest).seed("a")
    first = train(caffe_binary, solver, tmp_path / "run1")
    second = train(caffe_binary, solver, tmp_path / "run2")
    assert first.weights == second.weights
    assert first.losses == second.losses


def test_another_job_gives_other_weights(caffe_binary: Path, net: Path, manifest: Path, tmp_path: Path) -> None:
    a_solver = seeded_by_cli(tmp_path, net, "a")
    b_solver = tmp_path / "b_solver.prototxt"
    caffe.seed_file(a_solver, job="b", manifest=manifest, out=b_solver)  # the API: one CLI start less
    a = train(caffe_binary, a_solver, tmp_path / "a")
    b = train(caffe_binary, b_solver, tmp_path / "b")
    assert a.weights != b.weights
    assert a.losses != b.losses


def test_without_random_seed_every_run_differs(caffe_binary: Path, net: Path, tmp_path: Path) -> None:
    """Observed on this machine: an unseeded solver (Caffe then seeds from /dev/urandom) never repeats."""
    first = train_with(caffe_binary, net, tmp_path, "", "run1")
    second = train_with(caffe_binary, net, tmp_path, "", "run2")
    assert first.weights != second.weights
    assert first.losses != second.losses


# -- what Caffe does with the values (docs/frameworks/caffe.md states these results) -----------------


def weights_by_seed(binary: Path, net: Path, folder: Path, seeds: list[int]) -> dict[int, bytes]:
    folder.mkdir(exist_ok=True)
    return {s: train_with(binary, net, folder, f"random_seed: {s}\n", f"seed{i}").weights
            for i, s in enumerate(seeds)}


def test_only_the_low_32_bits_of_random_seed_count(caffe_binary: Path, net: Path, tmp_path: Path) -> None:
    """S and S + 2**32 train alike; 2**63-1 trains like 2**32-1 (Caffe::set_random_seed takes unsigned int)."""
    w = weights_by_seed(caffe_binary, net, tmp_path, [5, 5 + 2**32, 0, 2**32, 2**32 - 1, 2**63 - 1])
    assert w[5] == w[5 + 2**32]
    assert w[0] == w[2**32]
    assert w[2**32 - 1] == w[2**63 - 1]
    assert len({w[5], w[0], w[2**32 - 1]}) == 3


def test_every_seed_up_to_2_to_the_32_minus_1_is_its_own(caffe_binary: Path, net: Path, tmp_path: Path) -> None:
    """Above 2**31 nothing folds: 2**31-1, 2**31 and 2**32-1 are three different trainings, and each repeats."""
    seeds = [2**31 - 1, 2**31, 2**32 - 1]
    w = weights_by_seed(caffe_binary, net, tmp_path / "first", seeds)
    again = weights_by_seed(caffe_binary, net, tmp_path / "second", seeds)
    assert len(set(w.values())) == 3
    assert w == again


@pytest.mark.parametrize("seed", [-1, -5, 5 - 2**32, -(2**63)])
def test_a_negative_seed_leaves_caffe_unseeded(caffe_binary: Path, net: Path, tmp_path: Path, seed: int) -> None:
    """solver.cpp seeds only when random_seed >= 0: a negative value (even 5 - 2**32, whose low 32 bits are
    5) gives a different training on every run, like no seed at all."""
    first = train_with(caffe_binary, net, tmp_path, f"random_seed: {seed}\n", "run1")
    second = train_with(caffe_binary, net, tmp_path, f"random_seed: {seed}\n", "run2")
    assert first.weights != second.weights
    if seed == 5 - 2**32:
        assert first.weights != train_with(caffe_binary, net, tmp_path, "random_seed: 5\n", "five").weights


def test_a_seed_beyond_int64_stops_caffe_and_seedbridge(caffe_binary: Path, net: Path, tmp_path: Path) -> None:
    solver = tmp_path / "wide_solver.prototxt"
    solver.write_text(solver_text(net, f"random_seed: {2**63}\n"))
    proc = caffe_log(caffe_binary, solver, tmp_path)
    assert proc.returncode != 0
    assert f"Integer out of range ({2**63})" in proc.stderr
    with pytest.raises(seedbridge.SeedbridgeError, match="must be an int64 integer"):
        caffe.read_seed(solver.read_text())


def test_seedbridge_writes_exactly_the_seeds_caffe_tells_apart() -> None:
    """0..2**32-1 is what the tests above observed to be distinct and effective; seedbridge writes those
    and refuses the rest instead of writing a value Caffe would fold or ignore."""
    assert caffe.CAFFE_SEED_MAX == 2**32 - 1
    assert caffe.read_seed(caffe.seed_text("", 0)) == 0
    assert caffe.read_seed(caffe.seed_text("", 2**32 - 1)) == 2**32 - 1
    for refused in (-1, 2**32, 2**63 - 1):
        with pytest.raises(seedbridge.SeedRangeError, match=r"0\.\.4294967295 for caffe"):
            caffe.seed_text("", refused)


# -- seedbridge's validation against Caffe's own parser ----------------------------------------------

CAFFE_REFUSES = {
    "a field twice": ("", "random_seed: 1\nrandom_seed: 2\n",
                      'Non-repeated field "random_seed" is specified multiple times'),
    "a byte order mark": ("\ufeff", "", "1:1: Interpreting non ascii codepoint 239"),
    "solver_type and type": ("", 'solver_type: ADAM\ntype: "Adam"\n',
                             "old solver_type field (enum) and new type field (string) cannot be both specified"),
    "an unknown field": ("", "random_sed: 1\n", 'has no field named "random_sed"'),
    "an int32 overflow": ("", "stepsize: 3000000000\n", "Integer out of range (3000000000)"),
}


@pytest.mark.parametrize("case", list(CAFFE_REFUSES))
def test_what_seedbridge_refuses_caffe_refuses_too(caffe_binary: Path, net: Path, tmp_path: Path, case: str) -> None:
    before, after, caffe_says = CAFFE_REFUSES[case]
    text = before + solver_text(net) + after
    solver = tmp_path / "bad_solver.prototxt"
    solver.write_text(text, encoding="utf-8")
    proc = caffe_log(caffe_binary, solver, tmp_path)
    assert proc.returncode != 0
    assert caffe_says in proc.stderr
    with pytest.raises(seedbridge.SolverError):
        caffe.read_seed(text)


@pytest.mark.parametrize(("written", "value"), [("0x10", 16), ("0X1f", 31), ("010", 8), ("4294967295", 2**32 - 1)])
def test_seedbridge_reads_a_seed_as_caffe_does(caffe_binary: Path, net: Path, tmp_path: Path, written: str,
                                               value: int) -> None:
    """Hex and C-style octal too: Caffe echoes the solver it parsed, random_seed included, in its log."""
    solver = tmp_path / "x_solver.prototxt"
    solver.write_text(solver_text(net, f"random_seed: {written}\n"))
    proc = caffe_log(caffe_binary, solver, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.findall(r"^random_seed: (\d+)$", proc.stderr, re.M) == [str(value)]
    assert caffe.read_seed(solver.read_text()) == value


# -- seedbridge run and verify of a `caffe train` step ---------------------------------------------


def caffe_step(caffe_binary: Path, solver: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`seedbridge ARGS -- caffe train -solver SOLVER`, with a ledger and run folders under ``tmp_path``."""
    env = {"SEEDBRIDGE_LEDGER": str(tmp_path / "ledger.sqlite"), "GLOG_logtostderr": "1", "TMPDIR": str(tmp_path)}
    return run_cli([*args, "--output", SNAPSHOT, "--", str(caffe_binary), "train", "-solver", str(solver)],
                   cwd=tmp_path, env=env)


def snapshot_line(report: str) -> str:
    return next(line for line in report.splitlines() if line.strip().startswith(SNAPSHOT))


@pytest.mark.slow
def test_run_and_verify_reproduce_a_seeded_caffe_train(caffe_binary: Path, net: Path, manifest: Path,
                                                       tmp_path: Path) -> None:
    solver = seeded_by_cli(tmp_path, net, "a")
    run = caffe_step(caffe_binary, solver, tmp_path, "run", "a")
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / SNAPSHOT).is_file()
    verify = caffe_step(caffe_binary, solver, tmp_path, "verify", "a", "--runs", "2")
    assert verify.returncode == 0, verify.stdout + verify.stderr[-2000:]
    assert snapshot_line(verify.stdout).split()[1] == "ok"
    assert "verdict: reproducible" in verify.stdout


@pytest.mark.slow
def test_verify_names_the_snapshot_an_unseeded_caffe_train_changes(caffe_binary: Path, net: Path, manifest: Path,
                                                                   tmp_path: Path) -> None:
    solver = tmp_path / "unseeded_solver.prototxt"
    solver.write_text(solver_text(net))
    verify = caffe_step(caffe_binary, solver, tmp_path, "verify", "a", "--runs", "2")
    assert verify.returncode == 1, verify.stdout + verify.stderr[-2000:]
    assert snapshot_line(verify.stdout).split()[1] == "FAIL"
    assert "verdict: not reproducible" in verify.stdout
