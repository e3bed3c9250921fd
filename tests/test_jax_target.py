"""The jax target: typed keys from the job's 64-bit seed, the report, the snippet; JAX on the CPU.

JAX runs in one subprocess (tests/scripts/jax_checks.py): once it has started its threads, a forking test
process would risk deadlocks (JAX warns at every os.fork)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import seedbridge

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[seedbridge.Manifest, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("jax")
    m = seedbridge.Manifest.new(
        ["train", seedbridge.Job("with_jax", frameworks=["python", "jax"]),
         seedbridge.Job("wide", seed=2**64 - 5, frameworks=["jax"])], root=0x2A)
    path = m.save(folder / "seedbridge.yaml")
    proc = subprocess.run([sys.executable, str(SCRIPTS / "jax_checks.py"), path], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return seedbridge.load(path), json.loads(proc.stdout)


def test_key_holds_all_64_bits_of_the_seed(checked: tuple[seedbridge.Manifest, dict[str, Any]]) -> None:
    m, out = checked
    seed = m.seed("train", bits=64, fold=2)
    assert seed >= 2**32  # a seed whose high half matters
    assert out["typed"] is True
    # threefry2x32 key data are the seed's (high, low) 32-bit words (jax.random.key with x64 on).
    assert out["key_data"] == [seed >> 32, seed & 0xFFFF_FFFF]
    assert out["draws"] == out["draws_again"] != out["draws_other"]
    assert out["wide"] == [2**32 - 1, 2**32 - 5]


def test_plain_jax_random_key_keeps_32_bits_and_refuses_2_to_the_63(
        checked: tuple[seedbridge.Manifest, dict[str, Any]]) -> None:
    """Why key() does not just call jax.random.key(seed): pins what docs/frameworks/jax.md states."""
    _, out = checked
    assert out["x64"] is False
    assert out["plain_5"] == out["plain_2p32_5"] == [0, 5]
    assert out["plain_2p63"] == "OverflowError"


def test_seed_everything_reports_the_prng_implementation(checked: tuple[seedbridge.Manifest, dict[str, Any]]) -> None:
    m, out = checked
    report = out["report"]
    assert [f["framework"] for f in report["frameworks"]] == ["python", "jax"]
    assert report["frameworks"][1] == {
        "framework": "jax", "version": out["version"], "seed": m.seed("with_jax", bits=64),
        "flags": {"jax_default_prng_impl": "threefry2x32", "global_state": "none (use seedbridge.jax.key)"}}
    assert "jax_default_prng_impl=threefry2x32" in out["report_text"]
    assert out["snapshot_jax"] is None
    assert out["bad_state"].startswith("jax state: JAX keeps no global random state, so it must be None")


def test_snippet_makes_the_same_key_without_seedbridge(checked: tuple[seedbridge.Manifest, dict[str, Any]]) -> None:
    m, out = checked
    assert "import seedbridge" not in out["snippet"]
    assert out["snippet_key_data"] == out["key_data"]
    assert seedbridge.jax.snippet(m, "train", fold=2) == out["snippet"]  # no JAX needed to write it


def test_deterministic_profile_sets_the_xla_flag(checked: tuple[seedbridge.Manifest, dict[str, Any]]) -> None:
    _, out = checked
    flags = "--xla_cpu_enable_fast_math=false --xla_gpu_deterministic_ops=true"
    assert out["xla_flags"] == [flags, flags]  # added once
