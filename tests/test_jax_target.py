"""The jax target: typed keys from the job's 64-bit seed, the report, the snippet; JAX on the CPU."""

from __future__ import annotations

from pathlib import Path

import pytest

import seedbridge
from seedbridge.errors import FrameworkError

jax = pytest.importorskip("jax")
np = pytest.importorskip("numpy")
sbj = pytest.importorskip("seedbridge.jax")


@pytest.fixture
def manifest(tmp_path: Path) -> seedbridge.Manifest:
    m = seedbridge.Manifest.new(
        ["train", seedbridge.Job("with_jax", frameworks=["python", "jax"]),
         seedbridge.Job("wide", seed=2**64 - 5, frameworks=["jax"])], root=0x2A)
    m.save(tmp_path / "seedbridge.yaml")
    return seedbridge.load(tmp_path / "seedbridge.yaml")


def test_key_holds_all_64_bits_of_the_seed(manifest: seedbridge.Manifest) -> None:
    key = sbj.key("train", manifest=manifest, fold=2)
    seed = manifest.seed("train", bits=64, fold=2)
    assert seed >= 2**32  # a seed whose high half matters
    assert jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
    # threefry2x32 key data are the seed's (high, low) 32-bit words (jax.random.key with x64 on).
    assert jax.random.key_data(key).tolist() == [seed >> 32, seed & 0xFFFF_FFFF]
    draws = jax.random.uniform(key, (3,))
    assert np.array_equal(np.asarray(jax.random.uniform(sbj.key("train", manifest=manifest, fold=2), (3,))),
                          np.asarray(draws))
    assert not np.array_equal(np.asarray(jax.random.uniform(sbj.key("train", manifest=manifest, fold=3), (3,))),
                              np.asarray(draws))
    assert jax.random.key_data(sbj.key("wide", manifest=manifest)).tolist() == [2**32 - 1, 2**32 - 5]


def test_plain_jax_random_key_keeps_32_bits_and_refuses_2_to_the_63() -> None:
    """Why key() does not just call jax.random.key(seed): pins the behaviour docs/frameworks/jax.md states."""
    assert not jax.config.jax_enable_x64
    same = [jax.random.key_data(jax.random.key(s)).tolist() for s in (5, 2**32 + 5)]
    assert same[0] == same[1] == [0, 5]
    with pytest.raises(OverflowError):
        jax.random.key(2**63)


def test_seed_everything_reports_the_prng_implementation(manifest: seedbridge.Manifest) -> None:
    report = seedbridge.seed_everything("with_jax", manifest=manifest)
    assert report.seeded == ("python", "jax")
    entry = report["jax"]
    assert entry.seed == manifest.seed("with_jax", bits=64)
    assert entry.version == jax.__version__
    assert entry.flags == {"jax_default_prng_impl": "threefry2x32", "global_state": "none (use seedbridge.jax.key)"}
    assert "jax_default_prng_impl=threefry2x32" in str(report)
    state = seedbridge.snapshot(["python", "jax"])
    assert state.states["jax"] is None
    seedbridge.restore(state)
    with pytest.raises(FrameworkError, match="jax state: JAX keeps no global random state"):
        sbj.set_state({"x": 1})


def test_snippet_makes_the_same_key_without_seedbridge(manifest: seedbridge.Manifest) -> None:
    code = sbj.snippet(manifest, "train", fold=2)
    assert "import seedbridge" not in code
    scope: dict[str, object] = {}
    exec(compile(code, "<snippet>", "exec"), scope)
    assert jax.random.key_data(scope["key"]).tolist() == jax.random.key_data(
        sbj.key("train", manifest=manifest, fold=2)).tolist()


def test_deterministic_profile_sets_the_xla_flag(manifest: seedbridge.Manifest,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    flags = sbj.apply(5, profile="deterministic")
    assert flags["XLA_FLAGS"] == "--xla_cpu_enable_fast_math=false --xla_gpu_deterministic_ops=true"
    assert sbj.apply(5, profile="strict")["XLA_FLAGS"] == flags["XLA_FLAGS"]  # added once
