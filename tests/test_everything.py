"""seed_everything, its report, snapshot/restore, and the environment set by `seedbridge run`/`env`."""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import seedbridge
from seedbridge.errors import DerivationError, FrameworkError, SeedRangeError, UnknownJobError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def manifest(tmp_path: Path) -> seedbridge.Manifest:
    m = seedbridge.Manifest.new(
        [
            "train",
            "eval",
            seedbridge.Job("numpy_only", frameworks=["numpy"]),
            seedbridge.Job("det", frameworks=["python"], profile="deterministic"),
            seedbridge.Job("wide", seed=2**40, frameworks=["python", "torch"]),
            seedbridge.Job("with_r", frameworks=["python", "r"]),
        ],
        root=0x2A,
    )
    m.save(tmp_path / "seedbridge.yaml")
    return seedbridge.load(tmp_path / "seedbridge.yaml")


def test_report_names_each_framework_seed_and_flags(manifest: seedbridge.Manifest,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    with caplog.at_level(logging.INFO, logger="seedbridge"):
        report = seedbridge.seed_everything("train", manifest=manifest, frameworks=["python", "numpy", "torch"],
                                            fold=2)
    seed = manifest.seed("train", fold=2)
    assert report.seed == seed and report.keys == {"fold": "2"} and report.profile == "seeded"
    assert report.seeded == ("python", "numpy", "torch")
    assert report["torch"].version == torch.__version__ and report["torch"].flags == {"torch.manual_seed": seed}
    assert report["numpy"].version == np.__version__
    data = json.loads(report.to_json())
    assert data["frameworks"][1] == {"framework": "numpy", "version": np.__version__, "seed": seed,
                                     "flags": {"numpy.random.seed": seed}}
    assert data["manifest"] == manifest.path and data["derivation"] == 1
    text = str(report)
    assert text.splitlines()[0] == f"seedbridge: job 'train' (fold=2) seed {seed}, profile seeded, derivation 1"
    assert f"seed {seed}  torch.manual_seed={seed}" in text
    assert caplog.records[-1].getMessage() == text and caplog.records[-1].levelno == logging.INFO


def test_job_frameworks_limit_what_is_seeded(manifest: seedbridge.Manifest) -> None:
    pytest.importorskip("numpy")
    random.seed(99)
    expected = random.random()
    random.seed(99)
    report = seedbridge.seed_everything("numpy_only", manifest=manifest)
    assert report.seeded == ("numpy",)
    assert random.random() == expected  # random was not touched


def test_without_listed_frameworks_every_installed_one_is_seeded(manifest: seedbridge.Manifest) -> None:
    report = seedbridge.seed_everything("train", manifest=manifest)
    from seedbridge._context import installed

    assert report.seeded == tuple(t for t in ("python", "numpy", "torch", "tensorflow") if installed(t))
    assert "r" not in report.seeded


def test_in_process_rerun_reproduces(manifest: seedbridge.Manifest) -> None:
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")

    def draws() -> tuple[float, float, float]:
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    seedbridge.seed_everything("train", manifest=manifest, frameworks=["python", "numpy", "torch"])
    first = draws()
    seedbridge.seed_everything("eval", manifest=manifest, frameworks=["python", "numpy", "torch"])
    other = draws()
    seedbridge.seed_everything("train", manifest=manifest, frameworks=["python", "numpy", "torch"])
    assert draws() == first != other


def test_snapshot_and_restore_every_seeded_framework(manifest: seedbridge.Manifest) -> None:
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    seedbridge.seed_everything("train", manifest=manifest, frameworks=["python", "numpy", "torch"])
    state = seedbridge.snapshot(["python", "numpy", "torch"])
    assert state.frameworks == ("python", "numpy", "torch")
    a = (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist())
    seedbridge.seed_everything("eval", manifest=manifest, frameworks=["python", "numpy", "torch"])
    seedbridge.restore(state)
    assert (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()) == a
    assert set(seedbridge.snapshot().frameworks) >= {"python", "numpy", "torch"}  # default: all seeded so far


def test_restore_refuses_anything_but_a_snapshot() -> None:
    with pytest.raises(FrameworkError, match="restore: must be given what snapshot\\(\\) returned, got dict"):
        seedbridge.restore({"python": random.getstate()})  # type: ignore[arg-type]


def test_wide_pin_seeds_torch_whole_and_is_refused_by_numpy(manifest: seedbridge.Manifest) -> None:
    pytest.importorskip("torch")
    assert seedbridge.seed_everything("wide", manifest=manifest)["torch"].seed == 2**40
    with pytest.raises(SeedRangeError, match=r"must be an integer in 0\.\.4294967295 for numpy, got 1099511627776"):
        seedbridge.seed_everything("wide", manifest=manifest, frameworks=["numpy"])


def test_caffe_is_reported_as_seeded_through_its_solver_files(manifest: seedbridge.Manifest) -> None:
    report = seedbridge.seed_everything("train", manifest=manifest, frameworks=["caffe"])
    assert report["caffe"].flags == {"in_process": False, "solver_random_seed": manifest.seed("train"),
                                     "how": "seedbridge caffe train --in-place"}


def test_unknown_frameworks_are_errors_that_name_the_closest_builtin(manifest: seedbridge.Manifest) -> None:
    state = random.getstate()
    with pytest.raises(FrameworkError, match=r"frameworks: no target 'pytorch' is registered; did you mean 'torch'\? "
                                             r"\(built-in: python, numpy, torch, tensorflow, jax, r, caffe; others come "
                                             r"from installed packages through the entry-point group seedbridge.targets\)"):
        seedbridge.seed_everything("train", manifest=manifest, frameworks=["python", "pytorch"])
    assert random.getstate() == state  # nothing seeded


def test_unknown_job_is_an_error_before_anything_is_seeded(manifest: seedbridge.Manifest) -> None:
    state = random.getstate()
    with pytest.raises(UnknownJobError, match="no job 'trian' in the manifest; did you mean 'train'"):
        seedbridge.seed_everything("trian", manifest=manifest)
    assert random.getstate() == state


def test_deterministic_profile_warns_when_hash_randomisation_is_on(manifest: seedbridge.Manifest,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    with pytest.warns(RuntimeWarning, match=r"profile deterministic of job 'det' needs a fixed PYTHONHASHSEED.*"
                                            r"`seedbridge run det -- COMMAND`"):
        report = seedbridge.seed_everything("det", manifest=manifest)
    assert report.profile == "deterministic" and len(report.warnings) == 1
    monkeypatch.setenv("PYTHONHASHSEED", str(manifest.seed("det")))
    assert seedbridge.seed_everything("det", manifest=manifest).warnings == ()


def test_job_keys_and_manifest_come_from_the_environment(manifest: seedbridge.Manifest,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert manifest.path is not None
    monkeypatch.setenv("SEEDBRIDGE_MANIFEST", manifest.path)
    monkeypatch.setenv("SEEDBRIDGE_JOB", "eval")
    monkeypatch.setenv("SEEDBRIDGE_KEYS", '{"fold":"3"}')
    report = seedbridge.seed_everything(frameworks=["python"])
    assert (report.job, report.keys, report.seed) == ("eval", {"fold": "3"}, manifest.seed("eval", fold=3))
    with pytest.raises(DerivationError, match="key 'fold': given as 4, but SEEDBRIDGE_KEYS says '3'"):
        seedbridge.seed_everything(frameworks=["python"], fold=4)
    monkeypatch.setenv("SEEDBRIDGE_SEED", "12")
    with pytest.warns(RuntimeWarning, match="SEEDBRIDGE_SEED is 12 but the manifest gives job 'eval' seed"):
        seedbridge.seed_everything(frameworks=["python"])
    monkeypatch.setenv("SEEDBRIDGE_KEYS", "fold=3")
    with pytest.raises(DerivationError, match="SEEDBRIDGE_KEYS: must be a JSON object of text values"):
        seedbridge.seed_everything(frameworks=["python"])


def test_no_job_and_no_environment_is_an_error() -> None:
    with pytest.raises(UnknownJobError, match="no job given and SEEDBRIDGE_JOB is not set"):
        seedbridge.seed_everything()


def test_under_seedbridge_env_variables(manifest: seedbridge.Manifest, tmp_path: Path) -> None:
    """A process started with `seedbridge env`'s variables seeds its job with no arguments and no warning."""
    from seedbridge._envvars import job_environment

    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
    env.update(job_environment(manifest, "det", keys={"fold": 1}))
    code = "import seedbridge; print(seedbridge.seed_everything().to_json())"
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=True)
    data = json.loads(proc.stdout)
    assert (data["job"], data["keys"], data["seed"], data["warnings"]) == ("det", {"fold": "1"},
                                                                          manifest.seed("det", fold=1), [])


def test_missing_framework_names_the_extra(manifest: seedbridge.Manifest, tmp_path: Path) -> None:
    """In an interpreter that has only PyYAML, a job listing torch fails and an unlisted one seeds python."""
    import yaml

    site = tmp_path / "site"
    site.mkdir()
    (site / "yaml").symlink_to(Path(yaml.__file__).parent)
    code = textwrap.dedent(f"""
        import seedbridge
        print(seedbridge.seed_everything("train", manifest={manifest.path!r}).seeded)
        try:
            seedbridge.seed_everything("wide", manifest={manifest.path!r})
        except seedbridge.MissingDependencyError as exc:
            print(exc)
    """)
    env = {"PYTHONPATH": f"{site}{os.pathsep}{REPO}", "PATH": os.environ.get("PATH", "")}
    proc = subprocess.run([sys.executable, "-S", "-c", code], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["('python',)", "the torch target needs torch; install seedbridge[torch]"]


def test_r_is_seeded_only_when_the_job_lists_it(manifest: seedbridge.Manifest) -> None:
    sbr = pytest.importorskip("seedbridge.r")
    pytest.importorskip("rpy2")
    if not sbr.available():
        pytest.skip("R is not reachable through rpy2")
    assert "r" not in seedbridge.seed_everything("train", manifest=manifest).seeded
    report = seedbridge.seed_everything("with_r", manifest=manifest)
    assert report.seeded == ("python", "r")
    assert report["r"].seed == manifest.seed("with_r")
    from rpy2 import robjects

    state = seedbridge.snapshot(["python", "r"])
    a = list(robjects.r("runif(3)"))
    seedbridge.restore(state)
    assert list(robjects.r("runif(3)")) == a


RANK_VARIABLES = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK")


def test_rank_none_int_and_auto(manifest: seedbridge.Manifest, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in RANK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    alike = seedbridge.seed_everything("train", manifest=manifest, frameworks=["python"])
    assert (alike.seed, alike.rank, alike.rank_source) == (manifest.seed("train"), None, None)
    given = seedbridge.seed_everything("train", manifest=manifest, frameworks=["python"], rank=2, fold=1)
    assert (given.seed, given.keys, given.rank_source) == (manifest.seed("train", rank=2, fold=1),
                                                           {"fold": "1", "rank": "2"}, "argument")
    assert "rank 2 (argument)" in str(given).splitlines()[0]
    as_text = seedbridge.seed_everything("train", manifest=manifest, frameworks=["python"], rank="2", fold=1)
    assert as_text.seed == given.seed  # a key's text form, as R's bridge passes keys
    none_set = seedbridge.seed_everything("train", manifest=manifest, frameworks=["python"], rank="auto")
    assert (none_set.rank, none_set.rank_source) == (0, "no rank variable set: rank 0")
    # The first variable set wins, in the documented order.
    for value, name in zip((4, 3, 2, 1), reversed(RANK_VARIABLES), strict=True):
        monkeypatch.setenv(name, str(value))
        report = seedbridge.seed_everything("train", manifest=manifest, frameworks=["python"], rank="auto")
        assert (report.rank, report.rank_source, report.seed) == (value, name, manifest.seed("train", rank=value))
        assert report.to_dict()["rank_source"] == name


def test_bad_ranks_are_errors(manifest: seedbridge.Manifest, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DerivationError, match="rank: must be None, a non-negative integer or 'auto', got 'first'"):
        seedbridge.seed_everything("train", manifest=manifest, rank="first")
    with pytest.raises(DerivationError, match="rank: must be a non-negative integer, got -1"):
        seedbridge.seed_everything("train", manifest=manifest, rank=-1)
    monkeypatch.setenv("RANK", "one")
    with pytest.raises(DerivationError, match="environment variable RANK: must be a non-negative integer rank, "
                                              "got 'one'"):
        seedbridge.seed_everything("train", manifest=manifest, rank="auto")
    assert manifest.path is not None
    monkeypatch.setenv("SEEDBRIDGE_MANIFEST", manifest.path)
    monkeypatch.setenv("SEEDBRIDGE_JOB", "train")
    monkeypatch.setenv("SEEDBRIDGE_KEYS", '{"rank":"1"}')
    with pytest.raises(DerivationError, match="key 'rank': given both as rank=2 and as a key '1'"):
        seedbridge.seed_everything(rank=2)


def test_a_range_problem_seeds_nothing(manifest: seedbridge.Manifest) -> None:
    """Every target's range is checked before any is seeded: python comes first, numpy refuses the pin."""
    random.seed(5)
    state = random.getstate()
    with pytest.raises(SeedRangeError, match="for numpy"):
        seedbridge.seed_everything("wide", manifest=manifest, frameworks=["python", "numpy"])
    assert random.getstate() == state
