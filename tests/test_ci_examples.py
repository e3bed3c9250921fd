"""The CI examples parse as YAML, and every seedbridge command in them exists with the flags they use."""

from __future__ import annotations

import argparse
import importlib
import shlex
from pathlib import Path

import pytest
import yaml

from seedbridge.cli import COMMANDS

CI = Path(__file__).resolve().parent.parent / "examples" / "ci"
GITHUB = CI / "github-actions.yml"
GITLAB = CI / ".gitlab-ci.yml"


def github_scripts(doc: dict) -> list[str]:
    return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]


def gitlab_scripts(doc: dict) -> list[str]:
    out: list[str] = []
    for name, job in doc.items():
        if isinstance(job, dict) and name != "default":
            for key in ("before_script", "script", "after_script"):
                out += job.get(key, [])
    return out + doc.get("default", {}).get("before_script", [])


_OPERATORS = frozenset(";&|<>()")
_KEYWORDS = ("then", "do", "else", "if", "fi", "done", "!")


def seedbridge_calls(script: str) -> list[list[str]]:
    """Each `seedbridge ...` command in a shell script (at a command's start: line start, after an
    operator, `$(` or a keyword), as the argv after the program name."""
    calls: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        # Unquote "$(...)" so that a seedbridge call inside a command substitution is checked too.
        lexer = shlex.shlex(line.replace('"$(', "$(").replace(')"', ")"), posix=True, punctuation_chars=";&|<>()")
        lexer.whitespace_split = True
        tokens = list(lexer)
        for i, token in enumerate(tokens):
            at_start = i == 0 or set(tokens[i - 1]) <= _OPERATORS or tokens[i - 1] in (*_KEYWORDS, "$")
            if token == "seedbridge" and at_start:
                args: list[str] = []
                for t in tokens[i + 1:]:
                    if set(t) <= _OPERATORS or t in _KEYWORDS:
                        break
                    args.append(t)
                calls.append(args)
    return calls


def check_call(args: list[str]) -> None:
    name, rest = args[0], args[1:]
    assert name in COMMANDS, f"no seedbridge command {name!r}"
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"seedbridge {name}", exit_on_error=False)
    module.add_arguments(parser)
    try:
        parser.parse_args(rest)
    except SystemExit as exc:  # argparse exits on unknown flags whatever exit_on_error says
        raise AssertionError(f"`seedbridge {shlex.join(args)}` does not parse") from exc


@pytest.mark.parametrize(("path", "scripts"), [(GITHUB, github_scripts), (GITLAB, gitlab_scripts)])
def test_every_seedbridge_call_in_the_ci_examples_parses(path: Path, scripts) -> None:
    doc = yaml.safe_load(path.read_text())
    calls = [c for s in scripts(doc) for c in seedbridge_calls(s)]
    used = {c[0] for c in calls}
    # The walk-through's promise: create the manifest, export the environment, run through the ledger,
    # keep the export, rerun.
    assert {"init", "env", "run", "verify", "export", "import", "rerun", "history"} <= used, used
    assert ["init", "--from-env", "PIPELINE_SEED", "--job", "preprocess", "--job", "train"] in calls
    assert ["init", "--job", "preprocess", "--job", "train"] in calls  # fresh entropy by default
    for call in calls:
        check_call(call)
    assert sum(c[0] == "history" for c in calls) >= 2, "the rerun job's command substitutions were not seen"


def test_the_github_workflow_shape() -> None:
    doc = yaml.safe_load(GITHUB.read_text())
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "workflow_dispatch" in triggers
    assert set(doc["jobs"]) == {"seeds", "train", "rerun"}
    uploads = [s["with"] for j in doc["jobs"].values() for s in j["steps"]
               if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert any("ledger-export.json" in u["path"] and "seedbridge.yaml" in u["path"] for u in uploads)
    env_step = [s for s in doc["jobs"]["train"]["steps"] if "GITHUB_ENV" in s.get("run", "")]
    assert env_step and "seedbridge env train --format github" in env_step[0]["run"]
    for job in doc["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), "pass expressions through env:, not into the script"


def test_the_gitlab_pipeline_shape() -> None:
    doc = yaml.safe_load(GITLAB.read_text())
    assert doc["stages"] == ["seeds", "train", "rerun"]
    assert {"seeds", "train", "rerun"} <= set(doc)
    assert doc["seeds"]["artifacts"]["reports"]["dotenv"] == "seeds.env"
    assert {"seedbridge.yaml", "ledger-export.json"} <= set(doc["train"]["artifacts"]["paths"])
    assert doc["train"]["artifacts"]["when"] == "always"
    for name in ("seeds", "train", "rerun"):
        assert doc[name]["stage"] in doc["stages"]


def test_the_checker_catches_a_flag_that_does_not_exist() -> None:
    with pytest.raises(AssertionError, match="does not parse"):
        check_call(["run", "train", "--no-such-flag", "--", "python", "x.py"])
    with pytest.raises(AssertionError, match="no seedbridge command"):
        check_call(["replay", "x"])


@pytest.mark.parametrize(("path", "scripts"), [(GITHUB, github_scripts), (GITLAB, gitlab_scripts)])
def test_the_ci_examples_copy_runs_into_a_team_ledger_when_there_is_one(path: Path, scripts) -> None:
    doc = yaml.safe_load(path.read_text())
    copies = [c for s in scripts(doc) for c in seedbridge_calls(s) if c[:2] == ["ledger", "copy"]]
    assert copies and copies[0][2] == ".seedbridge/ledger.sqlite" and copies[0][3].startswith("$")
    if path == GITHUB:
        assert doc["jobs"]["train"]["env"]["TEAM_LEDGER"] == "${{ secrets.SEEDBRIDGE_LEDGER }}"
