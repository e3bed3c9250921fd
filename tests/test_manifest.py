"""The manifest model (seedbridge._manifest): loading, the rules, building and saving from Python.

Which manifests are accepted or refused, and with which field and rule, is pinned file by file by the
conformance corpus (tests/test_conformance.py); these tests cover the model, the messages, the files
a manifest may be read from, and the Python-built side.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

import seedbridge
from seedbridge import Job, Manifest, ManifestError, Root, UnknownJobError, _manifest
from seedbridge import derive as derive_module
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


def rules_of(exc: pytest.ExceptionInfo[ManifestError]) -> list[tuple[str | None, str | None]]:
    return [(p.field, p.rule) for p in exc.value.problems]


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


def test_every_problem_is_reported_with_line_field_and_rule() -> None:
    path = Path(__file__).parent / "conformance" / "cases" / "every-problem-together.yaml"
    with pytest.raises(ManifestError) as info:
        seedbridge.load(path)
    assert [str(p) for p in info.value.problems] == [
        f'{path}:6 jbos: unknown key; did you mean "jobs"? (allowed: seedbridge, derivation, root, jobs)',
        f'{path}:4 root.entropy: must be a quoted lower-case hex string of up to 128 bits such as "0x2a", '
        "got an integer 0x2a",
        f'{path}:5 root.source: must be one of os-entropy, env, explicit, got "ci"',
        f'{path}:12 jobs.train.sed: unknown key; did you mean "seed"? '
        "(allowed: seed, frameworks, profile, description, r, caffe)",
        f'{path}:9 jobs.train.seed: integers above 2147483647 must be quoted hex text such as "0xb2d05e00" '
        "(R's yaml reads them as NA), got 3000000000",
        f'{path}:10 jobs.train.frameworks: must be a target name such as "numpy" ([a-z][a-z0-9_]*), got "Keras"',
        f'{path}:11 jobs.train.profile: must be one of seeded, deterministic, strict, got "fast"',
        f'{path}:13 jobs.on: keys must be text, got a boolean on; quote it as "on"',
        f'{path}:18 jobs.analysis.r.normal_kind: unknown key; did you mean "normal.kind"? '
        "(allowed: kind, normal.kind, sample.kind)",
        f"{path}:17 jobs.analysis.r.kind: must be one of Wichmann-Hill, Marsaglia-Multicarry, Super-Duper, "
        "Mersenne-Twister, Knuth-TAOCP, Knuth-TAOCP-2002, L'Ecuyer-CMRG, got \"Mersenne\"",
    ]
    assert [p.rule for p in info.value.problems] == [
        "unknown-key", "entropy-format", "not-one-of", "unknown-key", "wide-integer", "target-name", "not-one-of",
        "key-not-text", "unknown-key", "not-one-of"]


def test_rule_ids_and_messages_come_from_the_schema_data() -> None:
    data = json.loads((Path(_manifest.__file__).parent / "manifest_schema.json").read_text(encoding="utf-8"))
    assert set(data["rules"]) >= {"unknown-key", "pin-out-of-range", "key-not-text", "nul-character",
                                  "multiple-documents", "merge-key", "duplicate-key"}
    assert _manifest.FRAMEWORKS == tuple(data["targets"]) == (
        "python", "numpy", "torch", "tensorflow", "r", "caffe", "jax")
    assert {name: int(t["max"], 16) for name, t in data["targets"].items()} == derive_module.FRAMEWORK_SEED_MAX
    assert derive_module.FRAMEWORK_SEED_MAX["jax"] == 2**64 - 1
    assert _manifest.PROFILES == ("seeded", "deterministic", "strict")


def test_yaml_11_edge_cases_are_clear_errors(tmp_path: Path) -> None:
    """created: 2026-13-45, tags and a 5000-digit integer were tracebacks once."""
    text = """\
seedbridge: !!int abc
derivation: 1
root:
  entropy: "0x2a"
  created: 2026-13-45
jobs:
  a: {description: !foo bar, seed: %s}
  b: {seed: 1:20}
  c: {seed: 1_000}
""" % ("9" * 5000)
    with pytest.raises(ManifestError) as info:
        seedbridge.load(write(tmp_path, text))
    assert rules_of(info) == [("seedbridge", "not-integer"), ("root.created", "bad-timestamp"),
                              ("jobs.a.seed", "seed-out-of-range"), ("jobs.a.description", "not-text"),
                              ("jobs.b.seed", "not-integer"), ("jobs.c.seed", "not-integer")]
    messages = [p.message for p in info.value.problems]
    assert messages[1] == 'must be an ISO 8601 date or time such as "2026-11-26T08:00:00Z", got a timestamp 2026-13-45'
    assert messages[2].startswith("must be an integer in 0..2**128-1, got 9999") and "(5000 characters)" in messages[2]


def test_a_second_document_and_an_escaped_nul_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        seedbridge.loads(GOOD + "---\nseedbridge: 2\n")
    assert rules_of(info) == [(None, "multiple-documents")]
    assert info.value.problems[0].line == 21
    with pytest.raises(ManifestError) as info:
        seedbridge.loads(GOOD + '  "a\\0b":\n')
    assert rules_of(info) == [(None, "nul-character")]


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no manifest here; create one with `seedbridge init`"):
        seedbridge.load(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("jobs: {na\xefve: {}}\n".encode("latin-1"))
    with pytest.raises(ManifestError, match="must be UTF-8 text"):
        seedbridge.load(bad)


def test_a_fifo_a_device_or_a_directory_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    result: list[object] = []

    def load() -> None:
        try:
            seedbridge.load(fifo)
        except ManifestError as exc:
            result.append(exc)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert [p.rule for p in result[0].problems] == ["not-a-file"]  # type: ignore[attr-defined]
    assert "is a FIFO (named pipe), not a regular file" in str(result[0])
    for path, reason in [("/dev/zero", "character device"), (str(tmp_path), "directory")]:
        with pytest.raises(ManifestError, match=reason) as info:
            seedbridge.load(path)
        assert rules_of(info) == [(None, "not-a-file")]


def test_a_manifest_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(GOOD.encode() + b"#" * _manifest.FILE_LIMIT_BYTES)
    with pytest.raises(ManifestError, match="is larger than the limit of 1048576 bytes") as info:
        seedbridge.load(big)
    assert rules_of(info) == [(None, "too-large")]
    write(tmp_path, GOOD + "#" * (_manifest.FILE_LIMIT_BYTES - len(GOOD.encode()) - 1) + "\n", "edge.yaml")
    assert list(seedbridge.load(tmp_path / "edge.yaml").jobs) == ["preprocess", "train", "analysis", "naïve"]


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
    m = m.with_job("y", description="a YAML 1.1 boolean word").with_job("1_000", frameworks=["jax", "my_lib"])
    m = m.with_job("solve", caffe={"solvers": ["a.prototxt", "b c.prototxt"]}, r={"kind": "L'Ecuyer-CMRG"})
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


def test_manifests_built_in_python_are_checked_by_the_same_rules() -> None:
    with pytest.raises(ManifestError) as info:
        Manifest(Root(1, source="magic"), [Job("t", frameworks=["Keras"], profile="x", seed=2**32, r={"kind": "?"})])
    assert rules_of(info) == [("root.source", "not-one-of"), ("jobs.t.frameworks", "target-name"),
                              ("jobs.t.profile", "not-one-of"), ("jobs.t.r.kind", "not-one-of")]
    with pytest.raises(ManifestError) as info:
        Manifest(Root(1), [Job("t", seed=2**32, frameworks=["numpy", "r"])])
    assert str(info.value) == "jobs.t.seed: must be an integer in 0..4294967295 for numpy, got 4294967296\n" \
                              "jobs.t.seed: must be an integer in 0..2147483647 for r, got 4294967296"
    with pytest.raises(AttributeError, match="immutable"):
        Manifest(Root(1), []).root = Root(2)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("job", "field", "rule"),
    [
        (Job("t", caffe={"solvers": "abc"}), "jobs.t.caffe.solvers", "not-list"),
        (Job("t", description=5), "jobs.t.description", "not-text"),  # type: ignore[arg-type]
        (Job("t", frameworks="numpy"), "jobs.t.frameworks", "not-list"),
        (Job("t", seed=True), "jobs.t.seed", "not-integer"),
        (Job("t", seed=-1), "jobs.t.seed", "seed-out-of-range"),
        (Job("t", seed=2**128), "jobs.t.seed", "seed-out-of-range"),
        (Job("t", r={"kind": "Mersenne-Twister", "sample": "x"}), "jobs.t.r.sample", "unknown-key"),
        (Job("t", caffe={"solvers": ["ok", ""]}), "jobs.t.caffe.solvers", "empty-text"),
        (Job("a\tb"), 'jobs."a\\tb"', "control-character"),
        (Job(""), 'jobs.""', "empty-text"),
        (Job(5), "jobs.5", "key-not-text"),  # type: ignore[arg-type]
        (Job({}), "jobs", "key-not-text"),  # type: ignore[arg-type]
        (Job("t", frameworks=5), "jobs.t.frameworks", "not-list"),  # type: ignore[arg-type]
        # Text no file can hold: save wrote the NUL as an escape load refuses, the surrogate as one libyaml refuses.
        (Job("t", description="a\0b"), "jobs.t.description", "nul-character"),
        (Job("t", description="\ud800"), "jobs.t.description", "not-utf8"),
        (Job("\udcff"), 'jobs."\\udcff"', "not-utf8"),
    ],
)
def test_save_never_writes_a_file_load_refuses(job: Job, field: str, rule: str) -> None:
    """What `load` refuses, building the Manifest refuses already (so `save` is never reached)."""
    with pytest.raises(ManifestError) as info:
        Manifest(Root(1), [job])
    assert rules_of(info) == [(field, rule)]


def test_a_built_manifest_holds_the_values_load_would_give(tmp_path: Path) -> None:
    """Text that a file may hold where a number belongs is read as that number, as load reads it: a Job
    pinned to the text "5" seeds like one pinned to 5, and Root("0x2a") is the root 42."""
    m = Manifest(Root("0x2a"), [Job("a", seed="5", frameworks=iter(["numpy"])), Job("b", frameworks=None)])  # type: ignore[arg-type]
    assert (m.root.entropy, m.jobs["a"].seed, m.jobs["a"].frameworks, m.jobs["b"].frameworks) == (42, 5, ("numpy",), ())
    assert m.seed("a") == 5 and m.seed("a", rank=1) == derive(5, "a", {"rank": 1})
    assert seedbridge.load(m.save(tmp_path / "m.yaml")) == m


@pytest.mark.parametrize("jobs", ["train", None, 5, [1], {"a": Job("a")}])
def test_jobs_must_be_a_list_of_names_or_jobs(jobs: object) -> None:
    """A lone name is not a list of names: Manifest.new("train") declared the jobs t, r, a, i and n."""
    with pytest.raises(ManifestError, match="jobs: must be a list of"):
        Manifest.new(jobs, root=1)  # type: ignore[arg-type]
    with pytest.raises(ManifestError, match="jobs: must be a list of Job objects"):
        Manifest(Root(1), jobs)  # type: ignore[arg-type]


def test_loads_takes_text_only() -> None:
    for value in (b"seedbridge: 1\n", None):
        with pytest.raises(ManifestError, match="must be text"):
            seedbridge.loads(value)  # type: ignore[arg-type]


def test_a_repeated_job_is_refused_not_merged() -> None:
    with pytest.raises(ManifestError) as info:
        Manifest.new(["a", "b", "a"], root=1)
    assert rules_of(info) == [("jobs.a", "duplicate-key")]
    with pytest.raises(ManifestError):
        Manifest(Root(1), [Job("a", seed=1), Job("a", seed=2)])
    assert list(Manifest.new(["a"], root=1).with_job("a", seed=3).jobs) == ["a"]  # with_job replaces on purpose


def test_root_values_are_checked() -> None:
    for root, field, rule in [(Root(-1), "root.entropy", "entropy-format"),
                              (Root(2**128), "root.entropy", "entropy-format"),
                              (Root(1, source="env"), "root.env", "required-when"),
                              (Root(1, env="X"), "root.env", "only-when"),
                              (Root(1, source="env", env="1X"), "root.env", "env-name"),
                              (Root(1, created="2026-02-30"), "root.created", "bad-timestamp")]:
        with pytest.raises(ManifestError) as info:
            Manifest(root, [])
        assert rules_of(info) == [(field, rule)]


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


# -- through the CLI ------------------------------------------------------------------------------


def test_validate_prints_one_line_per_problem_and_exits_2(cli, tmp_path: Path) -> None:
    write(tmp_path, "seedbridge: !!int abc\nderivation: 1\nroot: {entropy: \"0x2a\", created: !foo bar}\n"
                    "jobs:\n  a: {seed: 1:20}\n")
    proc = cli("validate")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        "seedbridge: error: seedbridge.yaml:1 seedbridge: must be an integer, got an integer abc; "
        "write it in plain decimal",
        "seedbridge: error: seedbridge.yaml:3 root.created: must be an ISO 8601 date or time such as "
        "\"2026-11-26T08:00:00Z\", got a value of a YAML type seedbridge does not read",
        "seedbridge: error: seedbridge.yaml:5 jobs.a.seed: must be an integer, got an integer 1:20; "
        "write it in plain decimal",
    ]


def test_validate_refuses_a_fifo_without_hanging(cli, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    proc = cli("validate", "-m", "fifo.yaml")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("seedbridge: error: fifo.yaml: cannot be read as a manifest: "
                                   "is a FIFO (named pipe), not a regular file")


def test_init_force_writes_through_a_symlink_and_keeps_it(cli, tmp_path: Path) -> None:
    target = tmp_path / "shared" / "manifest.yaml"
    target.parent.mkdir()
    write(tmp_path / "shared", GOOD, "manifest.yaml")
    link = tmp_path / "seedbridge.yaml"
    link.symlink_to(target)
    proc = cli("init", "--root", "0x7", "--job", "fresh")
    assert proc.returncode != 0 and "already exists" in proc.stderr
    assert cli("init", "--force", "--root", "0x7", "--job", "fresh").returncode == 0
    assert stat.S_ISLNK(os.lstat(link).st_mode) and os.readlink(link) == str(target)
    written = seedbridge.load(target)
    assert list(written.jobs) == ["fresh"] and written.root.entropy == 7
