"""The python target: random.seed with the job's main seed, state capture, standalone snippet."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import seedbridge
import seedbridge.python as sbp


@pytest.fixture
def manifest(tmp_path: Path) -> seedbridge.Manifest:
    m = seedbridge.Manifest.new(["train", seedbridge.Job("pinned", seed=7)], root=0x2A)
    m.save(tmp_path / "seedbridge.yaml")
    return seedbridge.load(tmp_path / "seedbridge.yaml")


def test_set_seed_uses_the_main_seed(manifest: seedbridge.Manifest) -> None:
    result = sbp.set_seed("train", manifest=manifest, fold=2)
    assert result["seed"] == manifest.seed("train", fold=2)
    first = random.random()
    random.seed(manifest.seed("train", fold=2))
    assert random.random() == first


def test_pinned_job_seeds_with_its_pin(manifest: seedbridge.Manifest) -> None:
    assert sbp.set_seed("pinned", manifest=manifest)["seed"] == 7


def test_state_round_trip() -> None:
    random.seed(1)
    state = sbp.get_state()
    a = [random.random() for _ in range(3)]
    sbp.set_state(state)
    assert [random.random() for _ in range(3)] == a


def test_snippet_runs_without_seedbridge_and_matches(manifest: seedbridge.Manifest) -> None:
    code = sbp.snippet(manifest, "train", fold=2)
    assert "import seedbridge" not in code
    assert code.startswith("# seedbridge: seeds of job 'train' with keys fold=2")
    assert "--key=fold=2" in code
    exec(compile(code, "<snippet>", "exec"), {})
    from_snippet = random.random()
    sbp.set_seed("train", manifest=manifest, fold=2)
    assert random.random() == from_snippet


def test_hash_seed_fixed_reads_pythonhashseed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    assert sbp.hash_seed_fixed()
    monkeypatch.setenv("PYTHONHASHSEED", "random")
    assert not sbp.hash_seed_fixed()
    monkeypatch.delenv("PYTHONHASHSEED")
    assert not sbp.hash_seed_fixed()
