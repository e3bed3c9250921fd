"""The numpy target: legacy global seed, Generator from the 128-bit derivation, snippet."""

from __future__ import annotations

from pathlib import Path

import pytest

import seedbridge

np = pytest.importorskip("numpy")
sbn = pytest.importorskip("seedbridge.numpy")


@pytest.fixture
def manifest(tmp_path: Path) -> seedbridge.Manifest:
    m = seedbridge.Manifest.new(["train", "eval"], root=0x2A)
    m.save(tmp_path / "seedbridge.yaml")
    return seedbridge.load(tmp_path / "seedbridge.yaml")


def test_generator_is_seeded_from_the_wide_derivation(manifest: seedbridge.Manifest) -> None:
    entropy = manifest.seed("train", bits=128, rank=1)
    assert entropy > 2**64  # a 128-bit value, not the portable seed
    expected = np.random.default_rng(np.random.SeedSequence(entropy)).random(4)
    assert np.array_equal(sbn.generator("train", manifest=manifest, rank=1).random(4), expected)
    assert sbn.seed_sequence("train", manifest=manifest, rank=1).entropy == entropy


def test_generators_differ_by_job_and_keys(manifest: seedbridge.Manifest) -> None:
    draws = {
        tuple(sbn.generator(job, manifest=manifest, **keys).integers(0, 2**63, 2))
        for job in ("train", "eval")
        for keys in ({}, {"rank": 0}, {"rank": 1}, {"rank": 0, "epoch": 1})
    }
    assert len(draws) == 8


def test_generator_reads_the_manifest_from_the_environment(manifest: seedbridge.Manifest,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert manifest.path is not None
    monkeypatch.setenv("SEEDBRIDGE_MANIFEST", manifest.path)
    monkeypatch.setenv("SEEDBRIDGE_JOB", "eval")
    monkeypatch.setenv("SEEDBRIDGE_KEYS", '{"fold":"3"}')
    expected = np.random.default_rng(np.random.SeedSequence(manifest.seed("eval", bits=128, fold=3))).random()
    assert sbn.generator().random() == expected


def test_set_seed_seeds_the_legacy_state(manifest: seedbridge.Manifest) -> None:
    seed = sbn.set_seed("train", manifest=manifest)["seed"]
    a = np.random.rand(3)
    np.random.seed(seed)
    assert np.array_equal(np.random.rand(3), a)


def test_state_round_trip() -> None:
    np.random.seed(3)
    state = sbn.get_state()
    a = np.random.rand(3)
    sbn.set_state(state)
    assert np.array_equal(np.random.rand(3), a)


def test_snippet_reproduces_both_apis(manifest: seedbridge.Manifest) -> None:
    code = sbn.snippet(manifest, "train")
    assert "seedbridge" not in code.split("\n", 2)[2]  # only the header comment names seedbridge
    scope: dict[str, object] = {}
    exec(compile(code, "<snippet>", "exec"), scope)
    legacy = np.random.rand()
    assert scope["rng"].random() == sbn.generator("train", manifest=manifest).random()  # type: ignore[attr-defined]
    sbn.set_seed("train", manifest=manifest)
    assert np.random.rand() == legacy
