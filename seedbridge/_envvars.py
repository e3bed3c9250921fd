"""A job's environment variables, and their rendering for shells, dotenv files and CI systems.

Pure text: no framework is imported. ``seedbridge env`` prints these; ``seedbridge run`` starts the
command with them.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping

from seedbridge._manifest import Manifest
from seedbridge.derive import check_text, key_text
from seedbridge.errors import DerivationError, SeedRangeError

__all__ = ["DETERMINISM_ENV", "FORMATS", "PYTHONHASHSEED_MAX", "format_env", "job_environment", "job_seed"]

# PYTHONHASHSEED accepts 0..4294967295 and is read once, when the interpreter starts (Python docs).
PYTHONHASHSEED_MAX = 2**32 - 1

# Variables that frameworks read at start-up to turn on determinism (the profile's launch-time half).
DETERMINISM_ENV = {
    # cuBLAS needs a fixed workspace for deterministic results (CUDA docs; torch's
    # use_deterministic_algorithms raises on CUDA >= 10.2 without it).
    "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
    # Read by TensorFlow at start-up: the legacy switch, deprecated by TF 2.8 (its release notes), where
    # tf.config.experimental.enable_op_determinism() replaced it; kept for older TensorFlow.
    "TF_DETERMINISTIC_OPS": "1",
    "TF_CUDNN_DETERMINISTIC": "1",
}

FORMATS = ("sh", "dotenv", "json", "github", "gitlab")


def job_seed(manifest: Manifest, job: str, keys: Mapping[str, object] | None = None) -> int:
    """The one number that identifies a job's seed in the audit trail: the portable (31-bit) seed,
    or a job's pin as written when it is wider."""
    keys = dict(keys or {})
    if not keys and manifest.is_pinned(job):
        pin = manifest.job(job).seed
        assert pin is not None
        return pin
    return manifest.seed_for(job, keys)


def job_environment(
    manifest: Manifest,
    job: str,
    *,
    keys: Mapping[str, object] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables a process of ``job`` should start with (see docs/cli.md, `seedbridge env`)."""
    keys = dict(keys or {})
    seed = job_seed(manifest, job, keys)
    # A pinned job's seed is its pin, never hashed: check its name here, since no environment variable
    # can hold NUL (and the rule is the derivation's: docs/derivation.md, "Text").
    check_text(job, "job name")
    if seed > PYTHONHASHSEED_MAX:
        raise SeedRangeError(
            f"job {job!r}: PYTHONHASHSEED must be in 0..{PYTHONHASHSEED_MAX}, and the job's pinned seed is {seed}"
        )
    j = manifest.job(job)
    env = {
        "SEEDBRIDGE_JOB": job,
        "SEEDBRIDGE_SEED": str(seed),
        "SEEDBRIDGE_DERIVATION": str(manifest.derivation),
        "SEEDBRIDGE_PROFILE": j.profile,
    }
    if manifest.path is not None:
        env["SEEDBRIDGE_MANIFEST"] = os.path.abspath(manifest.path)
    if keys:
        env["SEEDBRIDGE_KEYS"] = json.dumps({k: key_text(k, v) for k, v in sorted(keys.items())},
                                            ensure_ascii=False, separators=(",", ":"))
    env["PYTHONHASHSEED"] = str(seed)
    if j.deterministic:
        env.update(DETERMINISM_ENV)
    if extra:
        env.update(extra)
    return env


_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./:,+@%")


def format_env(env: Mapping[str, str], fmt: str) -> str:
    """Render ``env`` in one of FORMATS; the text ends with a newline."""
    if fmt == "json":
        return json.dumps(dict(env), ensure_ascii=False, indent=2) + "\n"
    lines = []
    for name, value in env.items():
        if fmt == "sh":
            lines.append(f"export {name}={shlex.quote(value)}")
        elif fmt == "github":
            # $GITHUB_ENV: NAME=value, or a heredoc-style block for values with line breaks.
            if "\n" in value:
                delimiter = "SEEDBRIDGE_EOF"
                while delimiter in value:
                    delimiter += "_"
                lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}")
            else:
                lines.append(f"{name}={value}")
        elif fmt in ("dotenv", "gitlab"):
            if "\n" in value or "\r" in value:
                raise DerivationError(f"{fmt} format cannot hold line breaks; {name} is {value!r}")
            if fmt == "dotenv" and not set(value) <= _SAFE:
                if "'" in value:
                    raise DerivationError(f"dotenv format cannot quote {name}={value!r}; use --format json")
                value = f"'{value}'"
            lines.append(f"{name}={value}")
        else:
            raise DerivationError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return "".join(line + "\n" for line in lines)
