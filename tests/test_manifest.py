from __future__ import annotations

import os
from pathlib import Path

import pytest

import seedbridge
from seedbridge import Job, Manifest, ManifestError, Root, UnknownJobError
from seedbridge.derive import derive
from seedbridge.errors import DerivationError, SeedbridgeError, SeedRangeError

GOOD = """\
seedbridge: 1
derivation: 1
root:
  entropy: "0x2a"
  source: "env"
  env: "CI_SEED"
  created: "2026-11-26T08:00:00Z"
jobs:
  preprocess:
    frameworks: [numpy]
  train:
    description: "torch and keras training"
    seed: 1234
    frameworks: [torch, tensorflow]
    profile: deterministic
  analysis:
    frameworks: [r]
    r:
      sample.kind: Rounding
  "naïve":
"""


def write(tmp_path: Path, text: str, name: str = "seedbridge.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ManifestError) as info:
        seedbridge.load(path)
    return [str(p) for p in info.value.problems]


def test_load_reads_every_field(tmp_path: Path) -> None:
    m = seedbridge.load(write(tmp_path, GOOD))
    assert m.root == Root(0x2A, source="env", env="CI_SEED", created="2026-11-26T08:00:00Z")
    assert list(m.jobs) == ["preprocess", "train", "analysis", "naïve"]
    train = m.jobs["train"]
    assert train.seed == 1234 and train.frameworks == ("torch", "tensorflow") and train.deterministic
    assert m.jobs["analysis"].r_kinds == {"kind": "Mersenne-Twister", "normal.kind": "Inversion",
                                          "sample.kind": "Rounding"}
    assert m.jobs["naïve"] == Job("naïve")


def test_seed_uses_root_for_unpinned_and_pin_for_pinned_jobs(tmp_path: Path) -> None:
    m = seedbridge.load(write(tmp_path, GOOD))
    assert m.seed("preprocess") == derive(0x2A, "preprocess")
    assert m.seed("preprocess", rank=1, bits=64) == derive(0x2A, "preprocess", {"rank": 1}, bits=64)
    assert m.seed("train") == 1234
    # Keys under a pinned job derive from the pin, so changing the pin changes every rank's seed.
    assert m.seed("train", rank=1) == derive(1234, "train", {"rank": 1})
    repinned = m.with_job("train", seed=1235, frameworks=["torch"])
    assert repinned.seed("train", rank=1) != m.seed("train", rank=1)
    assert repinned.seed("preprocess") == m.seed("preprocess")


def test_pinned_seed_too_wide_for_bits_is_an_error() -> None:
    m = Manifest(Root(1), [Job("big", seed=2**40)])
    assert m.seed("big", bits=64) == 2**40
    with pytest.raises(SeedRangeError, match="pins seed 1099511627776, which does not fit in 31 bits"):
        m.seed("big")


def test_unknown_job_suggests_closest_names(tmp_path: Path) -> None:
    m = seedbridge.load(write(tmp_path, GOOD))
    with pytest.raises(UnknownJobError, match="no job 'trian' in the manifest; did you mean 'train'") as info:
        m.seed("trian")
    assert info.value.suggestions == ["train"]
    assert isinstance(info.value, LookupError)


def test_every_problem_is_reported_with_line_and_field(tmp_path: Path) -> None:
    text = """\
seedbridge: 1
derivation: 1
root:
  entropy: 0x2a
  source: ci
jbos: {}
jobs:
  train:
    seed: 3000000000
    frameworks: [r, Keras]
    profile: fast
    sed: 1
  on:
    seed: -5
  analysis:
    r:
      kind: Mersenne
      normal_kind: Inversion
"""
    found = problems_of(tmp_path, text)
    path = str(tmp_path / "seedbridge.yaml")
    expected = [
        f"{path}:6 jbos: unknown key; did you mean 'jobs'? (allowed: seedbridge, derivation, root, jobs)",
        f"{path}:4 root.entropy: must be a quoted lower-case hex string of up to 128 bits such as \"0x2a\", "
        "got '0x2a' (unquoted)",
        f"{path}:5 root.source: must be one of os-entropy, env, explicit, got 'ci'",
        f"{path}:12 jobs.train.sed: unknown key; did you mean 'seed'? "
        "(allowed: seed, frameworks, profile, description, r, caffe)",
        f"{path}:9 jobs.train.seed: integers above 2147483647 must be quoted hex text such as \"0xb2d05e00\" "
        "(R's yaml reads them as NA), got 3000000000",
        f"{path}:10 jobs.train.frameworks: must be a target name matching [a-z][a-z0-9_]*, got 'Keras'",
        f"{path}:11 jobs.train.profile: must be one of seeded, deterministic, strict, got 'fast'",
        f"{path}:13 jobs.on: keys must be text; YAML read 'on' as a boolean, quote it as \"on\"",
        f"{path}:18 jobs.analysis.r.normal_kind: unknown key; did you mean 'normal.kind'? "
        "(allowed: kind, normal.kind, sample.kind)",
        f"{path}:17 jobs.analysis.r.kind: must be one of Wichmann-Hill, Marsaglia-Multicarry, Super-Duper, "
        "Mersenne-Twister, Knuth-TAOCP, Knuth-TAOCP-2002, L'Ecuyer-CMRG, got 'Mersenne'",
    ]
    assert sorted(found) == sorted(expected)


def test_pinned_seed_is_checked_against_each_listed_framework(tmp_path: Path) -> None:
    text = GOOD.replace("seed: 1234\n    frameworks: [torch, tensorflow]",
                        'seed: "0x80000000"\n    frameworks: [torch, r, caffe]')
    found = problems_of(tmp_path, text)
    assert found == [f"{tmp_path / 'seedbridge.yaml'}:13 jobs.train.seed: must be an integer in 0..2147483647 "
                     "for r, got 2147483648"]


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    found = problems_of(tmp_path, GOOD + "  train:\n    seed: 1\n")
    assert found == [f"{tmp_path / 'seedbridge.yaml'}:21 jobs.train: duplicate key (first at line 11)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the manifest is empty"),
        ("- 1\n", "(top level): must be a mapping, got a list"),
        ("jobs: [\n", "malformed YAML"),
        ("seedbridge: 2\nderivation: 1\nroot: {entropy: \"0x1\"}\njobs:\n", "seedbridge: schema version must be 1, got 2"),
        ("seedbridge: 1\nderivation: 9\nroot: {entropy: \"0x1\"}\njobs:\n", "derivation: must be one of 1, got 9"),
        ("seedbridge: 1\nderivation: 1\njobs:\n", "root: required key is missing"),
        ("seedbridge: 1\nderivation: 1\nroot: {entropy: \"0x\"}\njobs:\n", "root.entropy: must be a quoted"),
        ("seedbridge: 1\nderivation: 1\nroot: {entropy: \"0x" + "f" * 33 + "\"}\njobs:\n", "root.entropy"),
        ("seedbridge: 1\nderivation: 1\nroot: {entropy: \"0x2A\"}\njobs:\n", "lower-case hex"),
        ("seedbridge: 1\nderivation: 1\nroot: {entropy: \"0x1\", source: explicit, env: X}\njobs:\n",
         "root.env: is only allowed when source is env"),
    ],
)
def test_bad_manifests_name_the_rule(tmp_path: Path, text: str, message: str) -> None:
    assert any(message in p for p in problems_of(tmp_path, text))


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no manifest here; create one with `seedbridge init`"):
        seedbridge.load(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("jobs: {na\xefve: {}}\n".encode("latin-1"))
    with pytest.raises(ManifestError, match="must be UTF-8 text"):
        seedbridge.load(bad)


def test_default_path_comes_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD, "other.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEEDBRIDGE_MANIFEST", "other.yaml")
    assert seedbridge.load().path == "other.yaml"
    monkeypatch.delenv("SEEDBRIDGE_MANIFEST")
    write(tmp_path, GOOD)
    assert seedbridge.load().path == "seedbridge.yaml"


def test_dump_and_load_round_trip(tmp_path: Path) -> None:
    m = seedbridge.load(write(tmp_path, GOOD)).with_job("big", seed=2**100, frameworks=["python"])
    m = m.with_job("y", description="a YAML 1.1 boolean word")
    path = tmp_path / "copy.yaml"
    m.save(path)
    text = path.read_text(encoding="utf-8")
    assert 'entropy: "0x2a"' in text and 'seed: "0x10000000000000000000000000"' in text and '"y":' in text
    again = seedbridge.load(path)
    assert again == m
    assert again.digest() == m.digest()
    assert [again.seed(j) for j in again.jobs if j != "big"] == [m.seed(j) for j in m.jobs if j != "big"]


def test_new_from_env_and_os_entropy() -> None:
    m = Manifest.new(["a"], from_env="CI_SEED", environ={"CI_SEED": "0x2a"})
    assert (m.root.entropy, m.root.source, m.root.env) == (42, "env", "CI_SEED")
    fresh = [Manifest.new(["a"]).root for _ in range(3)]
    assert all(r.source == "os-entropy" and 0 <= r.entropy < 2**128 for r in fresh)
    assert len({r.entropy for r in fresh}) == 3
    for environ, message in [({}, "CI_SEED is not set"), ({"CI_SEED": "abc"}, "must be a decimal or 0x-hex")]:
        with pytest.raises(DerivationError, match=message):
            Manifest.new(["a"], from_env="CI_SEED", environ=environ)


def test_models_built_in_python_are_validated() -> None:
    with pytest.raises(ManifestError) as info:
        Manifest(Root(1, source="magic"), [Job("t", frameworks=["Keras"], profile="x", seed=2**32, r={"kind": "?"})])
    text = str(info.value)
    for part in ["root.source", "jobs.t.frameworks", "jobs.t.profile", "jobs.t.r.kind"]:
        assert part in text
    with pytest.raises(AttributeError, match="immutable"):
        Manifest(Root(1), []).root = Root(2)  # type: ignore[misc]


def test_save_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    before = path.read_bytes()
    m = Manifest(Root(7), [Job("x")])
    with pytest.raises(SeedbridgeError, match="already exists"):
        m.save(path, overwrite=False)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seedbridge.yaml"]


def test_failed_write_midway_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the temp file is written (here: the rename) leaves the old manifest and no temp file."""
    path = write(tmp_path, GOOD)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(SeedbridgeError, match="cannot write: No space left on device; the old file is unchanged"):
        Manifest(Root(7), [Job("x")]).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seedbridge.yaml"]
