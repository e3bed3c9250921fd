"""The numpy target: legacy global seed, Generator from the 128-bit derivation, snippet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import seedbridge
from seedbridge.errors import DerivationError

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
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy))).random(4)
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
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(manifest.seed("eval", bits=128,
                                                                                        fold=3)))).random()
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


GOLDEN = Path(__file__).parent / "golden" / "numpy-generator-v1.json"


def test_generator_streams_match_the_golden_draws() -> None:
    """The first draws of generator() and sample_generator() are pinned: an explicit PCG64, whatever
    default_rng picks in a later NumPy (docs/frameworks/numpy.md)."""
    doc = json.loads(GOLDEN.read_text(encoding="utf-8"))
    m = seedbridge.Manifest.new(["train", seedbridge.Job("pinned", seed=7)], root=int(doc["root"], 16))
    for case in doc["cases"]:
        keys = dict(case["keys"])
        if set(keys) == {"epoch", "index"}:
            g = sbn.sample_generator(int(keys["index"]), epoch=int(keys["epoch"]), job=case["job"], manifest=m)
        else:
            g = sbn.generator(case["job"], manifest=m, **keys)
        assert m.seed(case["job"], bits=128, **keys) == int(case["entropy"], 16)
        assert g.integers(0, 2**63, 4).tolist() == case["integers_0_2p63"]
        assert g.random(2).tolist() == case["random"]
        # The file stands alone: PCG64 seeded from its entropy gives its draws.
        plain = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(case["entropy"], 16))))
        assert plain.integers(0, 2**63, 4).tolist() == case["integers_0_2p63"]
    assert isinstance(sbn.generator("train", manifest=m).bit_generator, np.random.PCG64)


def test_sample_generator_is_the_keyed_generator(manifest: seedbridge.Manifest,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    a = sbn.sample_generator(7, epoch=2, job="train", manifest=manifest, fold=1).random(3)
    b = sbn.generator("train", manifest=manifest, fold=1, epoch=2, index=7).random(3)
    assert np.array_equal(a, b)
    assert not np.array_equal(sbn.sample_generator(8, epoch=2, job="train", manifest=manifest, fold=1).random(3), a)
    assert manifest.path is not None
    monkeypatch.setenv("SEEDBRIDGE_MANIFEST", manifest.path)
    monkeypatch.setenv("SEEDBRIDGE_JOB", "train")
    monkeypatch.setenv("SEEDBRIDGE_KEYS", '{"index":"3"}')
    with pytest.raises(DerivationError, match="key 'index': is set by seedbridge"):
        sbn.sample_generator(1)
    with pytest.raises(DerivationError, match="index: must be a non-negative integer, got -1"):
        sbn.sample_generator(-1, job="train", manifest=manifest)
    # A NumPy integer (what a sampler over an index array gives) is the same index.
    assert sbn.sample_generator(np.int64(3), epoch=np.int32(1), job="train", manifest=manifest).random() == \
        sbn.sample_generator(3, epoch=1, job="train", manifest=manifest).random()


def test_state_is_plain_data_and_bad_state_is_refused() -> None:
    np.random.seed(4)
    np.random.normal()
    state = sbn.get_state()
    assert isinstance(state["key"], bytes) and len(state["key"]) == 2496 and state["has_gauss"] == 1
    with pytest.raises(seedbridge.FrameworkError, match=r"numpy state: must be what seedbridge\.numpy\.get_state"):
        sbn.set_state({**state, "key": b"123"})
    # NumPy itself takes any position and reads the word there on the next draw: far out of range, it crashed.
    for pos in (-1, 625, 100_000, 2**31 - 1, 1.0, True, "3"):
        with pytest.raises(seedbridge.FrameworkError, match=r"pos must be an integer in 0\.\.624, got"):
            sbn.set_state({**state, "pos": pos})
    for bad in ({"has_gauss": 2}, {"has_gauss": True}, {"cached_gaussian": 1}, {"cached_gaussian": None}):
        with pytest.raises(seedbridge.FrameworkError, match="has_gauss must be 0 or 1 and cached_gaussian a float"):
            sbn.set_state({**state, **bad})
    assert sbn.get_state() == state
    sbn.set_state({**state, "pos": 624})  # the end of the words: the next draw regenerates them
    assert sbn.get_state()["pos"] == 624
