"""The replicates' unit of work, and the local executor: P commands at a time on this machine.

Each replicate is its own process (the command); P threads each wait for one, so at most P commands run
at once, like a pool of P processes. The executor reports through two callbacks, which the engine
uses to record the run: ``started(task, info)`` just before the command starts and ``finished(task,
info)`` when it has ended, with what ``_node.execute`` returns.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from seedbridge._children import ChildPool
from seedbridge.sweeps._node import _now, execute

__all__ = ["Callback", "Task", "default_parallel", "run_local"]


@dataclass(frozen=True)
class Task:
    """One replicate, ready to run: the command, the job's variables and where its files go."""

    index: int
    run_id: str
    argv: tuple[str, ...]
    env: dict[str, str]  # the job's variables (seedbridge env plus run and sweep ids)
    folder: str  # DIR/replicate-i: the logs
    workdir: str  # DIR/replicate-i/work: where the command runs (locally) and its files land
    inputs: dict[str, str]  # relative path in workdir -> the file here (placed in workdir as a symlink)
    collect: tuple[str, ...]  # files the engine reads afterwards (outputs, metric files), relative


Callback = Callable[[Task, dict[str, Any]], None]


def default_parallel() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - platforms without sched_getaffinity
        return os.cpu_count() or 1


def run_local(tasks: Sequence[Task], *, parallel: int, started: Callback, finished: Callback) -> None:
    """Run ``tasks`` with at most ``parallel`` at a time. On an exception (Ctrl-C included) the running
    commands are killed, no new one starts, and the exception propagates."""
    children = ChildPool()

    def one(task: Task) -> None:
        if children.stopping.is_set():
            return
        started(task, {"started_at": _now(), "host": None, "pid": None})
        info = execute(task.argv, task.env, task.workdir, task.folder, started=children.track)
        finished(task, info)

    children.run(one, tasks, workers=parallel, name="seedbridge-sweep")
