"""The core commands, run as a user runs them: a real interpreter, real files."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import seedbridge
from seedbridge.derive import derive
from seedbridge.targets import BUILTIN, SNIPPET_ALIASES


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def fails(proc: subprocess.CompletedProcess[str], message: str) -> None:
    """A user error: non-zero exit, the message on stderr, no traceback."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_init_with_explicit_root_then_seed(cli, tmp_path: Path) -> None:
    ok(cli("init", "--root", "0x2a", "--job", "train", "--job", "eval"))
    m = seedbridge.load(tmp_path / "seedbridge.yaml")
    assert (m.root.entropy, m.root.source, list(m.jobs)) == (42, "explicit", ["train", "eval"])
    assert ok(cli("seed", "train")) == f"{derive(42, 'train')}\n"
    assert ok(cli("seed", "train", "--key", "rank=3", "--key", "worker=1", "--bits", "64")) == \
        f"{derive(42, 'train', {'worker': 1, 'rank': 3}, bits=64)}\n"


def test_init_refuses_to_overwrite_without_force(cli, tmp_path: Path) -> None:
    ok(cli("init", "--root", "1", "--job", "a"))
    before = (tmp_path / "seedbridge.yaml").read_bytes()
    fails(cli("init", "--root", "2", "--job", "b"), "already exists; pass --force")
    assert (tmp_path / "seedbridge.yaml").read_bytes() == before
    ok(cli("init", "--root", "2", "--job", "b", "--force"))
    assert list(seedbridge.load(tmp_path / "seedbridge.yaml").jobs) == ["b"]


def test_init_from_a_ci_variable(cli, tmp_path: Path) -> None:
    ok(cli("init", "--from-env", "CI_PIPELINE_SEED", "--job", "t", "-m", "ci.yaml", env={"CI_PIPELINE_SEED": "1234"}))
    root = seedbridge.load(tmp_path / "ci.yaml").root
    assert (root.entropy, root.source, root.env) == (1234, "env", "CI_PIPELINE_SEED")
    fails(cli("init", "--from-env", "CI_PIPELINE_SEED", "-m", "x.yaml"), "CI_PIPELINE_SEED is not set")
    fails(cli("init", "--from-env", "V", "-m", "x.yaml", env={"V": "12ab"}),
          "environment variable V: must be a decimal or 0x-hex integer, got '12ab'")
    assert not (tmp_path / "x.yaml").exists()


def test_init_draws_fresh_os_entropy_each_time(cli, tmp_path: Path) -> None:
    roots = set()
    for i in range(2):
        ok(cli("init", "-m", f"m{i}.yaml", "--job", "t"))
        root = seedbridge.load(tmp_path / f"m{i}.yaml").root
        assert root.source == "os-entropy"
        roots.add(root.entropy)
    assert len(roots) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--root", "-1"], "--root: must be in 0..2**128-1, got -1"),
    (["--root", str(2**128)], "--root: must be in 0..2**128-1"),
    (["--root", "0xzz"], "--root: must be a decimal or 0x-hex integer, got '0xzz'"),
    (["--job", "a", "--job", "a"], "--job: 'a' given twice"),
])
def test_init_rejects_bad_values(cli, args: list[str], message: str) -> None:
    fails(cli("init", *args), message)


def test_manifest_named_by_environment_variable(cli, tmp_path: Path) -> None:
    ok(cli("init", "--root", "5", "--job", "j", "-m", "elsewhere.yaml"))
    assert ok(cli("seed", "j", env={"SEEDBRIDGE_MANIFEST": str(tmp_path / "elsewhere.yaml")})) == f"{derive(5, 'j')}\n"


def test_unknown_job_and_bad_keys_are_one_line_errors(cli) -> None:
    ok(cli("init", "--root", "5", "--job", "train"))
    fails(cli("seed", "trian"), "seedbridge: error: seedbridge.yaml: no job 'trian' in the manifest; did you mean 'train'?")
    fails(cli("seed", "train", "--key", "rank"), "--key: must be NAME=VALUE such as rank=3, got 'rank'")
    fails(cli("seed", "train", "--key", "a=1", "--key", "a=2"), "--key: 'a' given twice")
    fails(cli("seed", "train", "--bits", "16"), "bits must be one of 31, 32, 63, 64, 128, got 16")
    proc = cli("seed", "train", "--bits", "many")
    assert proc.returncode == 2 and "invalid int value: 'many'" in proc.stderr


def test_missing_manifest_is_a_clear_error(cli) -> None:
    fails(cli("seed", "train"), "seedbridge.yaml: no manifest here; create one with `seedbridge init`")


def test_env_formats(cli, tmp_path: Path) -> None:
    ok(cli("init", "--root", "0x2a", "--job", "train"))
    seed = derive(42, "train")
    manifest = str(tmp_path / "seedbridge.yaml")
    data = json.loads(ok(cli("env", "train", "--format", "json")))
    assert data == {"SEEDBRIDGE_JOB": "train", "SEEDBRIDGE_SEED": str(seed), "SEEDBRIDGE_DERIVATION": "1",
                    "SEEDBRIDGE_PROFILE": "seeded", "SEEDBRIDGE_MANIFEST": manifest, "PYTHONHASHSEED": str(seed)}
    sh = ok(cli("env", "train"))
    assert f"export SEEDBRIDGE_SEED={seed}\n" in sh
    # The sh output really sets the variables in a POSIX shell.
    echoed = subprocess.run(["sh", "-c", sh + 'printf %s "$PYTHONHASHSEED $SEEDBRIDGE_JOB"'],
                            capture_output=True, text=True, check=True).stdout
    assert echoed == f"{seed} train"
    for fmt in ("dotenv", "github", "gitlab"):
        assert f"SEEDBRIDGE_SEED={seed}\n" in ok(cli("env", "train", "--format", fmt))


def test_env_keys_and_profile_variables(cli, tmp_path: Path) -> None:
    (tmp_path / "seedbridge.yaml").write_text(
        'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x2a"}\njobs:\n  "train job":\n    profile: strict\n',
        encoding="utf-8")
    data = json.loads(ok(cli("env", "train job", "--key", "rank=1", "-f", "json")))
    assert data["SEEDBRIDGE_SEED"] == data["PYTHONHASHSEED"] == str(derive(42, "train job", {"rank": 1}))
    assert data["SEEDBRIDGE_KEYS"] == '{"rank":"1"}'
    assert data["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8" and data["TF_DETERMINISTIC_OPS"] == "1"
    sh = ok(cli("env", "train job"))
    assert "export SEEDBRIDGE_JOB='train job'" in sh
    assert "SEEDBRIDGE_JOB='train job'" in ok(cli("env", "train job", "-f", "dotenv"))
    assert shlex.split(sh.splitlines()[0]) == ["export", "SEEDBRIDGE_JOB=train job"]


def test_env_refuses_a_pin_too_wide_for_pythonhashseed(cli, tmp_path: Path) -> None:
    (tmp_path / "seedbridge.yaml").write_text(
        'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x2a"}\njobs:\n  big: {seed: "0x100000000"}\n', encoding="utf-8")
    fails(cli("env", "big"), "PYTHONHASHSEED must be in 0..4294967295, and the job's pinned seed is 4294967296")


def test_show_lists_jobs_and_seeds(cli) -> None:
    ok(cli("init", "--root", "0x2a", "--job", "train", "--job", "naïve"))
    out = ok(cli("show"))
    assert "root:       0x0000000000000000000000000000002a" in out
    assert "source:     explicit" in out
    assert f"train  {derive(42, 'train')}" in out and f"naïve  {derive(42, 'naïve')}" in out


def test_validate_lists_every_problem(cli, tmp_path: Path) -> None:
    ok(cli("init", "--root", "1", "--job", "a"))
    assert "valid (schema 1, derivation 1, 1 job)" in ok(cli("validate"))
    assert ok(cli("validate", "-q")) == ""
    (tmp_path / "bad.yaml").write_text("seedbridge: 1\nderivation: 1\nroot: {entropy: 7}\njbos: {}\n", encoding="utf-8")
    proc = cli("validate", "-m", "bad.yaml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert 'seedbridge: error: bad.yaml:4 jbos: unknown key; did you mean "jobs"?' in lines[0] + lines[1] + lines[2]
    assert any("bad.yaml:3 root.entropy: must be a quoted lower-case hex string" in line for line in lines)
    assert any("jobs: required key is missing" in line for line in lines)


def test_help_and_unknown_commands(cli) -> None:
    out = ok(cli("--help"))
    for command in ("init", "seed", "env", "show", "validate", "snippet"):
        assert f"  {command}" in out
    proc = cli("sede")
    assert proc.returncode == 2 and "unknown command 'sede'; did you mean 'seed'?" in proc.stderr
    assert ok(cli("--version")).startswith("seedbridge ")
    assert "usage: seedbridge seed" in ok(cli("seed", "--help"))


# -- any key name, any job name: correct output or a one-line error (issue 10, section 4) ---------------

# Names of parameters somewhere behind the commands that take --key: none may be mistaken for one.
PARAMETER_NAMES = ("job", "manifest", "bits", "in_place", "keys", "self", "target", "m", "deterministic", "cwd")


def test_key_names_equal_to_parameter_names_work_in_every_command(cli) -> None:
    ok(cli("init", "--root", "0x2a", "--job", "train"))
    keys = {name: str(i) for i, name in enumerate(PARAMETER_NAMES)}
    flags = [arg for name, value in keys.items() for arg in ("--key", f"{name}={value}")]
    seed = derive(42, "train", keys)
    assert ok(cli("seed", "train", *flags)) == f"{seed}\n"
    assert ok(cli("seed", "train", *flags, "--bits", "64")) == f"{derive(42, 'train', keys, bits=64)}\n"
    assert json.loads(ok(cli("env", "train", *flags, "-f", "json")))["SEEDBRIDGE_SEED"] == str(seed)
    for target in (*BUILTIN, *SNIPPET_ALIASES):  # every target, so a new one cannot miss the rule
        out = ok(cli("snippet", "train", "--target", target, *flags))
        assert str(seed if target != "jax" else derive(42, "train", keys, bits=64)) in out, target
    printer = [sys.executable, "-c", "import os; print(os.environ['SEEDBRIDGE_SEED'])"]
    assert ok(cli("run", "-q", "train", *flags, "--", *printer)) == f"{seed}\n"
    assert "verdict: reproducible" in ok(cli("verify", "train", "--stdout", *flags, "--", *printer))


def test_the_python_functions_behind_them_take_any_key_name(tmp_path: Path) -> None:
    from seedbridge import targets
    from seedbridge._envvars import job_environment

    m = seedbridge.Manifest.new(["train"], root=42)
    keys = {name: "1" for name in PARAMETER_NAMES}
    seed = derive(42, "train", keys)
    assert m.seed_for("train", keys) == seed
    no_bits = {k: v for k, v in keys.items() if k != "bits"}  # Manifest.seed's bits= is the width (docs/api.md)
    assert m.seed("train", **no_bits) == derive(42, "train", no_bits)
    assert job_environment(m, "train", keys=keys)["SEEDBRIDGE_SEED"] == str(seed)
    for name in BUILTIN:
        wide = getattr(targets.get(name), "SEED_BITS", None)
        expected = seed if wide is None else derive(42, "train", keys, bits=wide)
        assert str(expected) in targets.get(name).snippet(m, "train", **keys), name


def test_names_with_control_characters_are_escaped_in_tables_and_errors(cli, tmp_path: Path) -> None:
    # A manifest refuses job names with control characters (docs/manifest.md); the refusal shows them escaped.
    (tmp_path / "seedbridge.yaml").write_text(
        'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x2a"}\njobs:\n  "\\"quoted": {}\n  plain: {}\n', encoding="utf-8")
    rows = ok(cli("show")).splitlines()[-2:]
    assert rows[0].startswith('"quoted  ') and rows[0].split()[1] == str(derive(42, '"quoted'))
    assert rows[1].startswith("plain  ")
    (tmp_path / "bad.yaml").write_text(
        'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x2a"}\njobs:\n  "a\\e[2J\\nb": {seed: -1}\n', encoding="utf-8")
    proc = cli("validate", "-m", "bad.yaml")
    assert proc.returncode == 2 and "\x1b" not in proc.stderr
    assert proc.stderr.splitlines() == ['seedbridge: error: bad.yaml:5 jobs."a\\x1b[2J\\nb": must not contain control '
                                        'characters, got "a\\x1b[2J\\nb"']
    odd = tmp_path / "odd\nname.yaml"
    seedbridge.Manifest.new(["a"], root=1).save(odd)
    assert ok(cli("validate", "-m", str(odd))).count("\n") == 1


def test_key_text_that_cannot_be_hashed_is_a_one_line_error(cli) -> None:
    ok(cli("init", "--root", "0x2a", "--job", "train"))
    not_utf8 = os.fsdecode(b"caf\xe9")  # bytes on a command line that are not UTF-8
    for args in (("seed", "train", "--key", f"{not_utf8}=1"), ("env", "train", "--key", f"rank={not_utf8}"),
                 ("snippet", "train", "-t", "python", "--key", f"rank={not_utf8}")):
        fails(cli(*args), "must be valid Unicode text, got a lone surrogate '\\udce9'")
        assert len(cli(*args).stderr.splitlines()) == 1
    fails(cli("seed", not_utf8), "no job 'caf\\udce9' in the manifest")
    long_text = "9" * 5000  # text of any length is a key value
    assert ok(cli("seed", "train", "--key", f"rank={long_text}")) == f"{derive(42, 'train', {'rank': long_text})}\n"


def test_snippets_keep_names_inside_their_comments(cli) -> None:
    """A key name with a line break must not end the comment and become a line of code."""
    ok(cli("init", "--root", "0x2a", "--job", "train"))
    out = ok(cli("snippet", "train", "-t", "python", "--key", "a\nimport os=1"))
    assert "\nimport os" not in out and "a\\nimport os=1" in out
    compile(out, "snippet.py", "exec")
    assert str(derive(42, "train", {"a\nimport os": "1"})) in out
