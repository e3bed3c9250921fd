"""--metric NAME=FILE:PATH: the documented path syntax for JSON and CSV, and every way it can fail."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from seedbridge.errors import Problem
from seedbridge.sweeps import MetricSpec, parse_metric, read_metric
from seedbridge.sweeps._metrics import MAX_METRIC_FILE, Missing

HISTORY = {"val_accuracy": [0.5, 0.61, 0.72], "test": {"f1": 0.64, "val.acc": [0.1, 0.2]},
           "runs": [{"loss": 1.5}, {"loss": 0.5}], "flag": True, "text": "0.9", "nan": float("nan"), "list": [1, 2]}


def spec(text: str) -> MetricSpec:
    parsed = parse_metric(text)
    assert isinstance(parsed, MetricSpec), parsed
    return parsed


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "history.json").write_text(json.dumps(HISTORY))
    (tmp_path / "metrics.csv").write_text("epoch,accuracy, loss\n1,0.5,2.0\n\n2,0.6,1.0\n3,0.7,0.5\n4,0.8,oops\n")
    (tmp_path / "metrics.tsv").write_text("epoch\taccuracy\n1\t0.25\n2\t0.75\n")
    return tmp_path


@pytest.mark.parametrize(("text", "value"), [
    ("acc=history.json:val_accuracy[-1]", 0.72),
    ("acc=history.json:val_accuracy[0]", 0.5),
    ("f1=history.json:test.f1", 0.64),
    ("loss=history.json:runs[1].loss", 0.5),
    ('q=history.json:test["val.acc"][-1]', 0.2),
    ('q=history.json:["test"].f1', 0.64),
    ("acc=metrics.csv:accuracy[3]", 0.8),
    ("acc=metrics.csv:accuracy[0]", 0.5),
    ("acc=metrics.csv:accuracy[-2]", 0.7),
    ("acc=metrics.csv:accuracy", 0.8),
    ("loss=metrics.csv:loss[1]", 1.0),  # header cells are stripped
    ("acc=metrics.tsv:accuracy", 0.75),
])
def test_the_documented_paths_read_the_right_number(folder: Path, text: str, value: float) -> None:
    assert read_metric(spec(text), str(folder)) == value


@pytest.mark.parametrize(("text", "reason"), [
    ("acc=history.json:val_acc", "history.json: the document has no key 'val_acc' (keys: 'val_accuracy'"),
    ("acc=history.json:val_accuracy[3]", "val_accuracy has 3 items; [3] does not exist"),
    ("acc=history.json:val_accuracy[-4]", "val_accuracy has 3 items; [-4] does not exist"),
    ("acc=history.json:test[0]", "test is not a list, so [0] does not apply"),
    ("acc=history.json:val_accuracy.x", "val_accuracy is not an object, so key 'x' does not apply"),
    ("acc=history.json:flag", "flag is not a number: true"),
    ("acc=history.json:text", 'text is not a number: "0.9"'),
    ("acc=history.json:nan", "nan is not a finite number: nan"),
    ("acc=history.json:test", "test is not a number: dict"),
    ("acc=metrics.csv:recall", "has no column 'recall' (columns: 'epoch', 'accuracy', 'loss')"),
    ("acc=metrics.csv:accuracy[4]", "has 4 data rows; row [4] does not exist"),
    ("acc=metrics.csv:loss", "loss[-1] is not a number: 'oops'"),
    ("acc=absent.json:x", "absent.json: no such file"),
])
def test_a_missing_metric_says_why(folder: Path, text: str, reason: str) -> None:
    with pytest.raises(Missing) as info:
        read_metric(spec(text), str(folder))
    assert reason in str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ("acc", "must be NAME=FILE:PATH"),
    ("acc=history.json", "must be NAME=FILE:PATH"),
    ("=history.json:x", "must be NAME=FILE:PATH"),
    ("acc=history.json:", "must be NAME=FILE:PATH"),
    ("acc=:x", "must be NAME=FILE:PATH"),
    ("a b=history.json:x", "name must be letters, digits"),
    ("acc=/tmp/history.json:x", "must be a path inside the replicate's folder"),
    ("acc=../history.json:x", "must be a path inside the replicate's folder"),
    ("acc=history.txt:x", "must end in .json, .csv or .tsv"),
    ("acc=history.json:a..b", "JSON path must be keys joined by dots"),
    ("acc=history.json:a[x]", "JSON path must be keys joined by dots"),
    ("acc=history.json:a[0]b", "JSON path must be keys joined by dots"),
    ("acc=history.json:a.", "JSON path must be keys joined by dots"),
    ('acc=history.json:["a\\q"]', "JSON path must be keys joined by dots"),
])
def test_a_malformed_metric_is_refused_with_the_rule(text: str, message: str) -> None:
    problem = parse_metric(text)
    assert isinstance(problem, Problem)
    assert str(problem).startswith("--metric: ") and message in str(problem)


def test_the_file_is_everything_before_the_last_colon(folder: Path) -> None:
    (folder / "a:b.json").write_text('{"x": 3}')
    s = spec("x=a:b.json:x")
    assert (s.file, s.path) == ("a:b.json", "x")
    assert read_metric(s, str(folder)) == 3.0


def test_special_and_huge_files_are_refused_without_blocking(folder: Path) -> None:
    os.mkfifo(folder / "fifo.json")
    os.symlink("/dev/zero", folder / "zero.json")
    (folder / "dir.json").mkdir()
    with open(folder / "big.json", "wb") as fh:
        fh.truncate(MAX_METRIC_FILE + 1)
    for name, reason in (("fifo.json", "is a FIFO"), ("zero.json", "is a character device"),
                         ("dir.json", "is a directory"), ("big.json", "larger than the limit of 64 MiB")):
        with pytest.raises(Missing, match=re.escape(reason)):
            read_metric(spec(f"x={name}:x"), str(folder))


def test_malformed_files_are_missing_metrics_not_crashes(folder: Path) -> None:
    (folder / "bad.json").write_text('{"x": ')
    (folder / "latin.json").write_bytes(b'{"x": "\xe9"}')
    (folder / "empty.csv").write_text("")
    (folder / "ragged.csv").write_text("a,b\n1\n")
    for text, reason in (("x=bad.json:x", "malformed JSON"), ("x=latin.json:x", "not UTF-8 text"),
                         ("x=empty.csv:a", "is empty (a header row is needed)"),
                         ("x=ragged.csv:b", "b[-1] is not a number: ''")):
        with pytest.raises(Missing, match=re.escape(reason)):
            read_metric(spec(text), str(folder))


def test_numbers_beyond_a_double_and_deep_nesting_are_missing_metrics(folder: Path) -> None:
    (folder / "huge.json").write_text('{"x": 1' + "0" * 400 + "}")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(Missing, match="x is not a finite number: inf"):
        read_metric(spec("x=huge.json:x"), str(folder))
    with pytest.raises(Missing, match="nested too deeply"):
        read_metric(spec("x=deep.json:x"), str(folder))
