"""seedbridge sweep and compare with the local executor: real processes, a real ledger, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

import seedbridge
from seedbridge import Job, Manifest, Root
from seedbridge.ledger import Ledger
from seedbridge.sweeps import SweepResult, compare, load_sweep
from seedbridge.sweeps._stats import LARGER, WITHIN, difference

SCRIPT = str(REPO / "tests" / "scripts" / "sweep_train.py")
ACC = "acc=history.json:val_accuracy[-1]"
CLI = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    Manifest(Root(0x5EED, source="explicit"), [Job("train", frameworks=["python"]), Job("other")]).save(
        tmp_path / "seedbridge.yaml")
    return tmp_path


def sweep_json(cli: CLI, *args: str, code: int = 0) -> dict[str, Any]:
    proc = cli("sweep", "train", "--format", "json", *args)
    assert proc.returncode == code, proc.stderr
    doc = json.loads(proc.stdout)
    assert isinstance(doc, dict)
    return doc


def test_rerunning_a_deterministic_sweep_gives_the_same_metrics_replicate_by_replicate(folder: Path, cli: CLI) -> None:
    args = ["--replicates", "4", "--parallel", "2", "--metric", ACC, "--metric", "f1=history.json:test.f1",
            "--metric", "last=metrics.csv:accuracy", "--", sys.executable, SCRIPT]
    first = sweep_json(cli, "--out", "a", *args)
    second = sweep_json(cli, "--out", "b", *args)
    assert first["sweep_id"] != second["sweep_id"]
    seeds = [int(cli("seed", "train", "--key", f"replicate={i}").stdout) for i in range(4)]
    assert len(set(seeds)) == 4
    for one, two, seed in zip(first["replicates"], second["replicates"], seeds, strict=True):
        assert one["seed"] == two["seed"] == seed
        assert one["metrics"] == two["metrics"]
        assert set(one["metrics"]) == {"acc", "f1", "last"} and one["metrics"]["acc"] == one["metrics"]["last"]
    assert first["summary"] == second["summary"]
    assert first["summary"]["acc"]["n"] == 4 and first["summary"]["acc"]["ci95"] is not None
    assert (folder / "a" / "sweep.json").is_file()
    assert (folder / "a" / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_each_replicate_runs_in_a_fresh_folder_and_is_a_run_of_the_sweep_in_the_ledger(folder: Path, cli: CLI) -> None:
    (folder / "data").mkdir()
    (folder / "data" / "train.csv").write_text("x\n1\n")
    doc = sweep_json(cli, "--replicates", "3", "--metric", ACC, "--input", "data/train.csv", "--output",
                     "history.json", "--param", "lr=0.1", "--out", "s", "--", sys.executable, SCRIPT)
    wheres = []
    for rep in doc["replicates"]:
        work = folder / "s" / rep["folder"] / "work"
        wheres.append((work / "where.txt").read_text())
        assert os.readlink(work / "data" / "train.csv") == str(folder / "data" / "train.csv")
        assert (folder / "s" / rep["folder"] / "stderr.log").is_file()
    assert wheres == [str(folder / "s" / f"replicate-{i}" / "work") for i in range(3)]
    with Ledger(folder / ".seedbridge" / "ledger.sqlite") as book:
        runs = sorted(book.runs(sweep_id=doc["sweep_id"]), key=lambda r: int(r.keys["replicate"]))
    assert [r.run_id for r in runs] == [rep["run_id"] for rep in doc["replicates"]]
    for i, (run, rep) in enumerate(zip(runs, doc["replicates"], strict=True)):
        assert run.keys == {"replicate": str(i)} and run.seed == rep["seed"] and run.status == "succeeded"
        assert run.metrics == rep["metrics"] and run.params == {"lr": "0.1"}
        assert run.environment["SEEDBRIDGE_SWEEP_ID"] == doc["sweep_id"]
        assert run.inputs["data/train.csv"] is not None and run.outputs["history.json"] is not None
        assert run.cwd == wheres[i]


def test_failed_replicates_and_missing_metrics_are_reported_and_left_out(folder: Path, cli: CLI) -> None:
    proc = cli("sweep", "train", "--replicates", "5", "--parallel", "2", "--metric", ACC, "--out", "s", "--",
               sys.executable, SCRIPT, "--fail", "1", "--no-metrics", "3")
    assert proc.returncode == 1, proc.stderr
    assert "replicate 1 failed: exit 3; left out" in proc.stdout
    assert "  | replicate 1: simulated divergence" in proc.stdout
    assert "replicate 3: acc missing: history.json: no such file; left out of acc" in proc.stdout
    summary = [line.split() for line in proc.stdout.splitlines() if line.startswith("acc ")]
    assert summary[0][1] == "3"  # n: five replicates minus one failed, one without the metric
    progress = [line for line in proc.stderr.splitlines() if line.startswith("sweep train: replicate ")]
    assert len(progress) == 5 and any("exit 3" in line for line in progress)
    doc = json.loads((folder / "s" / "sweep.json").read_text())
    assert [r["status"] for r in doc["replicates"]] == ["succeeded", "failed", "succeeded", "succeeded", "succeeded"]
    assert doc["replicates"][3]["missing"] == {"acc": "history.json: no such file"}
    assert doc["summary"]["acc"]["n"] == 3


def test_keys_join_the_replicate_key(folder: Path, cli: CLI) -> None:
    doc = sweep_json(cli, "--replicates", "2", "--key", "fold=2", "--metric", ACC, "--", sys.executable, SCRIPT)
    for rep in doc["replicates"]:
        expected = cli("seed", "train", "--key", "fold=2", "--key", f"replicate={rep['replicate']}").stdout
        assert rep["seed"] == int(expected)
    assert doc["keys"] == {"fold": "2"}
    assert doc["out"] == str(folder / ".seedbridge" / "sweeps" / doc["sweep_id"])
    assert doc["replicates"][0]["folder"] == "replicate-0"


def test_usage_errors_are_reported_together_before_anything_runs(folder: Path, cli: CLI) -> None:
    (folder / "full").mkdir()
    (folder / "full" / "x").write_text("")
    os.mkfifo(folder / "fifo")
    proc = cli("sweep", "train", "--replicates", "0", "--parallel", "0", "--metric", "acc", "--metric",
               "acc=h.txt:x", "--output", "/tmp/abs.json", "--input", "missing.csv", "--input", "fifo",
               "--key", "replicate=3", "--ray-address", "localhost:6379", "--out", "full", "--", "true")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    for expected in ("--replicates: must be an integer in 1..100000, got 0", "--parallel: must be an integer >= 1, got 0",
                     "--metric: must be NAME=FILE:PATH", "--metric: the file must end in .json, .csv or .tsv",
                     "--output: must be a path inside the replicate's folder",
                     "missing.csv --input: input does not exist", "fifo --input: input is not a regular file",
                     "--key: 'replicate' is the key sweep sets", "--ray-address: only applies with --executor ray",
                     "full --out: already exists and is not an empty folder"):
        assert f"seedbridge: error: {expected}" in proc.stderr, expected
    assert not (folder / ".seedbridge").exists()
    unknown = cli("sweep", "nope", "--replicates", "2", "--", "true")
    assert unknown.returncode == 2 and "no job 'nope'" in unknown.stderr
    assert cli("sweep", "train", "--replicates", "x", "--", "true").returncode == 2
    assert "a command is required after --" in cli("sweep", "train", "--replicates", "2").stderr


def test_an_unusable_ledger_or_too_many_replicates_stop_the_sweep_before_any_folder(folder: Path, cli: CLI) -> None:
    (folder / "dir.sqlite").mkdir()
    proc = cli("sweep", "train", "--replicates", "2", "--ledger", "dir.sqlite", "--out", "s", "--", "true")
    assert proc.returncode == 2 and "dir.sqlite: the ledger must be a SQLite file, and this is a directory" in proc.stderr, \
        proc.stderr
    assert not (folder / "s").exists()
    proc = cli("sweep", "train", "--replicates", "1000000", "--", "true")
    assert proc.returncode == 2 and "--replicates: must be an integer in 1..100000, got 1000000" in proc.stderr


def test_sigterm_stops_the_running_replicates_and_records_them(folder: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
    proc = subprocess.Popen([sys.executable, "-m", "seedbridge", "sweep", "train", "--replicates", "4", "--parallel",
                             "2", "--", "sleep", "300"], cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    ledger = folder / ".seedbridge" / "ledger.sqlite"

    def recorded() -> list[Any]:
        if not ledger.exists():
            return []
        with Ledger(ledger) as book:
            return book.runs()

    deadline = time.monotonic() + 120
    while len(recorded()) != 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.2)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "seedbridge: interrupted" in err
    runs = recorded()
    assert len(runs) == 2 and {(r.status, r.signal) for r in runs} == {("failed", 9)}


def test_the_python_api_is_the_same_engine(folder: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    seen: list[tuple[int, int, int]] = []
    result = seedbridge.sweep("train", [sys.executable, SCRIPT], replicates=3, metrics={"acc": "history.json:"
                              "val_accuracy[-1]"}, manifest="seedbridge.yaml", parallel=2, out="api",
                              progress=lambda rep, done, total: seen.append((rep.index, done, total)))
    assert isinstance(result, SweepResult) and result.ok
    assert sorted(i for i, _, _ in seen) == [0, 1, 2] and [d for _, d, _ in seen] == [1, 2, 3]
    doc = sweep_json(cli, "--replicates", "3", "--metric", ACC, "--", sys.executable, SCRIPT)
    assert [r["metrics"] for r in doc["replicates"]] == [{"acc": v} for v in result.values("acc").values()]
    assert json.loads((folder / "api" / "sweep.json").read_text()) == result.to_dict()


def test_a_command_that_ignores_its_seed_gets_a_note(folder: Path, cli: CLI) -> None:
    proc = cli("sweep", "train", "--replicates", "3", "--metric", ACC, "--", sys.executable, SCRIPT, "--ignore-seed")
    assert proc.returncode == 0, proc.stderr
    assert "note: every replicate gave the same acc" in proc.stdout and "seed_everything()" in proc.stdout


def test_progress_on_a_terminal_is_a_bar_with_an_eta(folder: Path) -> None:
    import pty

    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
    proc = subprocess.run([sys.executable, "-m", "seedbridge", "sweep", "train", "--replicates", "2", "--metric", ACC,
                           "--", sys.executable, SCRIPT], cwd=folder, env=env, stderr=child, stdout=subprocess.PIPE,
                          timeout=300, check=False)
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    assert proc.returncode == 0
    text = output.decode()
    assert "\r\x1b[Ksweep train [" in text and "2/2" in text and "ETA 0:00" in text
    assert "replicate 0 finished" not in text


def test_sweep_without_matplotlib_stops_before_running_and_names_the_extra(folder: Path) -> None:
    code = ("import sys; sys.modules['matplotlib'] = None\nfrom seedbridge.cli import main\n"
            f"sys.exit(main(['sweep', 'train', '--replicates', '2', '--metric', {ACC!r}, '--out', 's', '--', 'true']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "seedbridge: error: sweep.png needs matplotlib; install seedbridge[plot]"
    assert not (folder / "s").exists()


def test_sweeping_and_comparing_load_no_heavy_module() -> None:
    code = ("import sys, seedbridge\nseedbridge.sweep, seedbridge.SweepResult\nimport seedbridge.sweeps\n"
            "from seedbridge.cli import compare, sweep\n"
            "print(sorted(m for m in ('numpy', 'ray', 'matplotlib', 'torch', 'tensorflow') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert proc.stdout.strip() == "[]"


# -- compare -------------------------------------------------------------------------------------


def api_sweep(folder: Path, *args: str, replicates: int = 4, keys: dict[str, str] | None = None,
              out: str | None = None) -> SweepResult:
    """A sweep through the Python API (the same engine as the CLI, without an interpreter per call)."""
    return seedbridge.sweep("train", [sys.executable, SCRIPT, *args], replicates=replicates, metrics=[ACC],
                            manifest=folder / "seedbridge.yaml", keys=keys, out=folder / out if out else None,
                            plot=False, cwd=folder)


def test_compare_pairs_sweeps_of_the_same_root_and_keys(folder: Path, cli: CLI) -> None:
    base = api_sweep(folder, out="base")
    shifted = api_sweep(folder, "--shift", "0.05", out="shift")
    proc = cli("compare", base.sweep_id, "shift", "--plot", "cmp.png")
    assert proc.returncode == 0, proc.stderr
    assert "paired: the same job, root and keys" in proc.stdout
    row = next(line for line in proc.stdout.splitlines() if line.startswith("acc "))
    assert row.split()[5] == "-0.05" and row.endswith(LARGER) and "paired t" in row
    assert (folder / "cmp.png").read_bytes()[:4] == b"\x89PNG"
    again = json.loads(cli("compare", "base/sweep.json", "base", "--format", "json").stdout)
    assert again["paired"] and again["metrics"][0]["difference"] == 0.0
    assert again["metrics"][0]["verdict"] == WITHIN
    by_prefix = cli("compare", base.sweep_id[:24], shifted.sweep_id, "--metric", "acc", "--format", "json")
    assert json.loads(by_prefix.stdout)["metrics"][0]["verdict"] == LARGER


def test_compare_is_unpaired_with_other_keys_and_uses_welch(folder: Path, cli: CLI) -> None:
    one = api_sweep(folder, keys={"fold": "1"}, out="one")
    two = api_sweep(folder, keys={"fold": "2"}, replicates=3, out="two")
    doc = json.loads(cli("compare", "one", "two", "--format", "json").stdout)
    assert not doc["paired"] and "different keys" in doc["pairing"]
    expected = difference(list(one.values("acc").values()), list(two.values("acc").values()), paired=False)
    got = doc["metrics"][0]
    assert got["method"] == "Welch t" and got["ci95"] == list(expected.ci95 or ())
    assert got["verdict"] == expected.verdict


def test_compare_errors_say_what_and_where(folder: Path, cli: CLI) -> None:
    api_sweep(folder, replicates=2, out="s")
    seedbridge.sweep("train", [sys.executable, SCRIPT], replicates=2, metrics=["f1=history.json:test.f1"],
                     manifest=folder / "seedbridge.yaml", out=folder / "f", plot=False, cwd=folder)
    (folder / "bad.json").write_text('{"seedbridge_sweep": 7}')
    (folder / "broken.json").write_text("{")
    cases = [
        (("s", "nope"), "no sweep.json at nope and no sweep 'nope' in the ledger"),
        (("s", "bad.json"), "bad.json seedbridge_sweep: must be a sweep.json of format 1"),
        (("s", "broken.json"), "broken.json: not a sweep.json: malformed JSON"),
        (("s", "f"), "the sweeps share no metric name (A has acc; B has f1)"),
        (("s", "s", "--metric", "f1"), "--metric: sweep"),
    ]
    for args, message in cases:
        proc = cli("compare", *args)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)


def test_compare_in_python_takes_sweep_results(folder: Path) -> None:
    runs = [api_sweep(folder, "--shift", shift, replicates=3) for shift in ("0", "0.01")]
    c = compare(runs[0], runs[1])
    assert c.paired and c.metrics[0].pairs == [0, 1, 2]
    assert c.metrics[0].difference.estimate == pytest.approx(-0.01)
    assert load_sweep(runs[0]).values("acc") == runs[0].values("acc")
