"""The target registry: one protocol, the built-in targets, and targets that installed packages add."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_cli

import seedbridge
from seedbridge import derive, targets
from seedbridge.errors import FrameworkError


def test_every_builtin_target_implements_the_protocol() -> None:
    for name in targets.BUILTIN:
        target = targets.get(name)
        assert isinstance(target, targets.Target), name
        assert name == target.NAME
        assert derive.FRAMEWORK_SEED_MAX[name] == target.SEED_MAX
    assert set(targets.BUILTIN) == set(derive.FRAMEWORK_SEED_MAX)  # one set of built-in names
    assert set(targets.DEFAULT) < set(targets.BUILTIN)


def test_unknown_target_names_the_closest_builtin() -> None:
    with pytest.raises(FrameworkError, match=r"^frameworks: no target 'tensorflw' is registered; did you mean "
                                             r"'tensorflow'\?"):
        targets.get("tensorflw")
    with pytest.raises(FrameworkError, match=r"no target 'Torch!' is registered"):
        targets.get("Torch!")
    assert targets.closest_builtin("zzz") is None


def test_snippet_cli_reads_the_registry(tmp_path: Path) -> None:
    seedbridge.Manifest.new(["train"], root=0x2A).save(tmp_path / "seedbridge.yaml")
    for target in (*targets.BUILTIN, *targets.SNIPPET_ALIASES):
        proc = run_cli(["snippet", "train", "--target", target], cwd=tmp_path)
        assert proc.returncode == 0, (target, proc.stderr)
    proc = run_cli(["snippet", "train", "--target", "pytorch"], cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("seedbridge: error: --target: no target 'pytorch' is registered; did you mean 'torch'?")


def test_validate_warns_about_frameworks_no_target_provides(tmp_path: Path) -> None:
    m = seedbridge.Manifest.new([seedbridge.Job("train", frameworks=["python", "pytorch", "mylib"])], root=0x2A)
    m.save(tmp_path / "seedbridge.yaml")
    path = "seedbridge.yaml"  # as the command was given it (the default)
    proc = run_cli(["validate", "-q"], cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr.splitlines() == [
        f"seedbridge: warning: {path} jobs.train.frameworks: no registered target provides 'pytorch'; did you mean "
        "'torch'? (an installed package adds one through the entry-point group seedbridge.targets; "
        "seed_everything refuses the job until then)",
        f"seedbridge: warning: {path} jobs.train.frameworks: no registered target provides 'mylib' (an installed "
        "package adds one through the entry-point group seedbridge.targets; seed_everything refuses the job "
        "until then)",
    ]
    with pytest.raises(FrameworkError, match=r"^jobs.train.frameworks: no target 'pytorch' is registered; "
                                             r"did you mean 'torch'\?"):
        seedbridge.seed_everything("train", manifest=m)


def test_docs_table_lists_the_registered_targets() -> None:
    """docs/api.md's table of targets is the registry's: names, ranges and snippet targets."""
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| `(seedbridge\.[\w.]+)` \| 0\.\.(\S+) \|", text, re.M)
    assert [r[0] for r in rows] == list(targets.BUILTIN)
    for name, module, top in rows:
        assert targets.BUILTIN[name] == module
        assert eval(top, {}) == targets.get(name).SEED_MAX  # e.g. 2**64-1


PLUGIN = '''
"""A third-party target: a die whose rolls follow its seed."""
import importlib.metadata

NAME = "dice"
SEED_MAX = 2**32 - 1
_state = {"seed": 0, "rolls": 0}


def available():
    return True


def version():
    return importlib.metadata.version("seedbridge-dice")


def apply(seed, *, profile="seeded", job=None):
    _state.update(seed=seed, rolls=0)
    return {"dice.seed": seed, "profile": profile}


def roll():
    _state["rolls"] += 1
    return (_state["seed"] * 31 + _state["rolls"] * 7919) % 6 + 1


def get_state():
    return dict(_state)


def set_state(state):
    if set(state) != {"seed", "rolls"}:
        raise ValueError("not a dice state")
    _state.update(state)


def snippet(manifest, job, **keys):
    return f"dice.seed({manifest.seed_for(job, keys)})\\n"
'''

PROBE = '''
import json, seedbridge, seedbridge.targets as t
import sb_dice
m = seedbridge.load()
out = {"names": list(t.names())}
report = seedbridge.seed_everything("dice_job", manifest=m)
out["seeded"] = list(report.seeded)
out["entry"] = report["dice"].to_dict()
first = [sb_dice.roll() for _ in range(3)]
state = seedbridge.snapshot()
out["snapshot"] = list(state.frameworks)
later = [sb_dice.roll() for _ in range(3)]
seedbridge.save_rng_state("rng.sbrng")
seedbridge.restore(state)
out["restored"] = [sb_dice.roll() for _ in range(3)] == later
seedbridge.load_rng_state("rng.sbrng")
out["loaded"] = sb_dice.get_state()
out["first"] = first
print(json.dumps(out))
'''


@pytest.mark.slow
def test_an_installed_target_is_seeded_reported_and_snapshotted(tmp_path: Path) -> None:
    """A package made here, pip-installed into a folder of its own (other tests never see it), adds target
    'dice' through the seedbridge.targets entry point."""
    pkg = tmp_path / "pkg"
    (pkg / "sb_dice").mkdir(parents=True)
    (pkg / "sb_dice" / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    (pkg / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "seedbridge-dice"
        version = "1.2.3"

        [project.entry-points."seedbridge.targets"]
        dice = "sb_dice"
    """), encoding="utf-8")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--no-index", "--target", str(site), str(pkg)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "work"
    work.mkdir()
    m = seedbridge.Manifest.new([seedbridge.Job("dice_job", frameworks=["python", "dice"])], root=0x2A)
    m.save(work / "seedbridge.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBRIDGE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    seed = m.seed("dice_job")
    assert out["names"] == [*targets.BUILTIN, "dice"]
    assert out["seeded"] == ["python", "dice"]
    assert out["entry"] == {"framework": "dice", "version": "1.2.3", "seed": seed,
                            "flags": {"dice.seed": seed, "profile": "seeded"}}
    assert out["first"] == [(seed * 31 + r * 7919) % 6 + 1 for r in (1, 2, 3)]
    assert out["snapshot"] == ["python", "dice"] and out["restored"] is True
    assert out["loaded"] == {"seed": seed, "rolls": 6}
    snippet = run_cli(["snippet", "dice_job", "--target", "dice"], cwd=work, env={"PYTHONPATH": env["PYTHONPATH"]})
    assert (snippet.returncode, snippet.stdout) == (0, f"dice.seed({seed})\n")
    # Here, where the package is not installed, the job's target is an error, before anything is seeded.
    with pytest.raises(FrameworkError, match=r"jobs.dice_job.frameworks: no target 'dice' is registered"):
        seedbridge.seed_everything("dice_job", manifest=m)


# -- entry points that misbehave: a distribution folder on sys.path, read by importlib.metadata itself --------

HALF = '''
NAME = "{name}"
SEED_MAX = 2**32 - 1
state = {{"seed": 0}}
def available(): return True
def version(): return "1.0"
def apply(seed, *, profile="seeded", job=None):
    {apply}
def get_state(): return dict(state)
def set_state(new):
    state["seed"] = new.get("seed")  # changes its state, then refuses it
    if not isinstance(new.get("seed"), int):
        raise ValueError("seed must be an int")
def snippet(manifest, job, /, **keys): return "pass\\n"
'''


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``installed({entry name: module source})``: a distribution with those seedbridge.targets entry points,
    its modules beside it, on sys.path for this test."""
    site = tmp_path / "site"
    modules: list[str] = []

    def install(entries: dict[str, str], sources: dict[str, str]) -> None:
        info = site / "sb_test_targets-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sb-test-targets\nVersion: 1.0\n")
        lines = [f"{name} = {value}" for name, value in entries.items()]
        (info / "entry_points.txt").write_text("[seedbridge.targets]\n" + "\n".join(lines) + "\n")
        for module, source in sources.items():
            (site / f"{module}.py").write_text(source)
            modules.append(module)
        monkeypatch.syspath_prepend(str(site))

    yield install
    for module in modules:
        sys.modules.pop(module, None)
    for name in list(targets._loaded):
        if name not in targets.BUILTIN:
            del targets._loaded[name]


def test_an_entry_point_cannot_shadow_a_builtin_or_break_the_registry(installed: Any) -> None:
    installed({"numpy": "sbt_fake_numpy", "Bad-Name": "sbt_fake_numpy", "nothing_here": "sbt_missing_module",
               "partial": "sbt_partial", "liar": "sbt_liar"},
              {"sbt_fake_numpy": "NAME = 'numpy'\n", "sbt_partial": "NAME = 'partial'\nSEED_MAX = 1\n",
               "sbt_liar": HALF.format(name="someone_else", apply="return {}")})
    with pytest.warns(RuntimeWarning) as caught:
        names = targets.names()
    assert names == (*targets.BUILTIN, "liar", "nothing_here", "partial")
    said = sorted(str(w.message) for w in caught)
    assert any("'numpy' is a built-in target and cannot be replaced; ignored" in m for m in said)
    assert any("Bad-Name = sbt_fake_numpy" in m and "target names must match" in m for m in said)
    assert targets.get("numpy") is seedbridge.numpy  # the built-in, whatever is installed
    with pytest.warns(RuntimeWarning), pytest.raises(
            FrameworkError, match=r"^target 'nothing_here' \(entry point nothing_here = sbt_missing_module\) failed "
                                  r"to load: ModuleNotFoundError"):
        targets.get("nothing_here")
    with pytest.warns(RuntimeWarning), pytest.raises(
            FrameworkError, match=r"^target 'partial' .* lacks available, version, apply, get_state, set_state, "
                                  r"snippet of the target protocol"):
        targets.get("partial")
    with pytest.warns(RuntimeWarning), pytest.raises(FrameworkError, match="says its NAME is 'someone_else'"):
        targets.get("liar")


@pytest.mark.parametrize(("apply", "message"), [
    ("raise KeyError('boom')", r"target 'half': apply\(\) failed: KeyError: 'boom'"),
    ("return None", r"target 'half': apply\(\) must return a dict of the flags it set, got NoneType"),
])
def test_a_target_that_raises_or_returns_no_flags_is_a_framework_error(installed: Any, apply: str,
                                                                        message: str) -> None:
    installed({"half": "sbt_half"}, {"sbt_half": HALF.format(name="half", apply=apply)})
    m = seedbridge.Manifest.new([seedbridge.Job("j", frameworks=["half"])], root=0x2A)
    with pytest.raises(FrameworkError, match=message) as info:
        seedbridge.seed_everything("j", manifest=m)
    assert info.value.__cause__ is not None or "must return" in message  # the target's traceback is kept


def test_a_target_that_changes_its_state_then_refuses_it_is_put_back(installed: Any) -> None:
    installed({"half": "sbt_half"}, {"sbt_half": HALF.format(name="half", apply="state['seed'] = seed; return {}")})
    m = seedbridge.Manifest.new([seedbridge.Job("j", frameworks=["python", "half"])], root=0x2A)
    seedbridge.seed_everything("j", manifest=m)
    good = seedbridge.snapshot()
    before = (seedbridge.targets.get("half").get_state(), random.getstate())
    bad = seedbridge.RNGState({**good.states, "half": {"seed": "x"}}, job=good.job, keys=good.keys,
                              manifest_digest=good.manifest_digest, derivation=good.derivation)
    with pytest.raises(FrameworkError, match=r"^rng state: half state: refused by the framework: ValueError: seed "
                                             r"must be an int; nothing was restored$"):
        seedbridge.load_rng_state(bad.to_bytes())
    assert (seedbridge.targets.get("half").get_state(), random.getstate()) == before
