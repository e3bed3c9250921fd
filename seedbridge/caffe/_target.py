"""The caffe target for the registry (seedbridge.targets): Caffe is seeded through its solver files.

A Caffe run reads ``random_seed`` from its solver prototxt (``seedbridge caffe JOB --in-place`` writes it), in a
process of its own; nothing in a Python process seeds it. So ``apply`` seeds nothing and says so in the report,
with the seed the job's solvers must carry; ``seedbridge verify`` / ``seedbridge caffe --check`` check them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seedbridge.caffe import snippet
from seedbridge.caffe._binary import version
from seedbridge.derive import FRAMEWORK_SEED_MAX, check_seed_for
from seedbridge.errors import FrameworkError

if TYPE_CHECKING:
    from seedbridge._manifest import Job

__all__ = ["NAME", "SEED_MAX", "apply", "available", "get_state", "set_state", "snippet", "version"]

NAME = "caffe"
SEED_MAX = FRAMEWORK_SEED_MAX[NAME]


def available() -> bool:
    """Always: the seed goes into solver files, which need no Caffe here (``version()`` is None without one)."""
    return True


def apply(seed: int, *, profile: str = "seeded", job: Job | None = None) -> dict[str, Any]:
    """Seeds nothing in this process (Caffe reads its seed from solver files); the flags say so."""
    check_seed_for(NAME, seed)
    where = f"seedbridge caffe {job.name} --in-place" if job is not None else "seedbridge caffe JOB --in-place"
    return {"in_process": False, "solver_random_seed": seed, "how": where}


def get_state() -> None:
    """No Caffe RNG lives in this process: nothing to capture."""
    return None


def set_state(state: object) -> None:
    if state is not None:
        raise FrameworkError(f"caffe state: no Caffe RNG lives in a Python process, so it must be None, got "
                             f"{state!r:.80}")
