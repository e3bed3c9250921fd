"""The Ray executor: every replicate is a Ray task (``pip install seedbridge[ray]``; docs/sweeps.md).

With no address (and no ``RAY_ADDRESS``) a local Ray is started for the sweep and shut down after it;
with one, the sweep joins that cluster and leaves it running. Nodes share no file system: the task
carries the input files, runs the command in a fresh folder on its node, and returns the files the
engine needs (outputs and metric files) and the logs; the engine writes them under the sweep's folder
and records the run. A task whose worker or node is lost is submitted once more (the same replicate:
the same seeds) and the loss is reported; a second loss fails the replicate.

``ray`` is imported only here, and only when a sweep uses this executor.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from seedbridge._files import MiB, Refused, read_regular
from seedbridge.errors import SeedbridgeError
from seedbridge.sweeps import _node
from seedbridge.sweeps._local import Callback, Task

__all__ = ["ADDRESS_ENV", "INPUT_LIMIT", "run_ray"]

ADDRESS_ENV = "RAY_ADDRESS"
# Inputs travel inside the object store: each is read into memory once, up to this size.
INPUT_LIMIT = 1024 * MiB


def _read_inputs(tasks: Sequence[Task]) -> dict[str, bytes]:
    """Every input file's bytes, by its relative path (the same files for every task)."""
    data: dict[str, bytes] = {}
    problems: list[str] = []
    for rel, source in (tasks[0].inputs if tasks else {}).items():
        try:
            data[rel] = read_regular(source, limit=INPUT_LIMIT)
        except Refused as exc:
            problems.append(f"{source}: --input: {exc}")
    if problems:
        raise SeedbridgeError("\n".join(problems))
    return data


def run_ray(tasks: Sequence[Task], *, parallel: int | None, address: str | None, frameworks: Sequence[str],
            started: Callback, finished: Callback) -> list[str]:
    """Run ``tasks`` as Ray tasks, at most ``parallel`` at a time (default: as many as the cluster has
    CPUs). Returns notes for the report (which cluster, replicates lost and retried)."""
    # Ray's driver prints the raylet's error messages ("A worker died ...") to sys.stdout from a thread of
    # its own (ray/_private/worker.py, listen_error_messages); stdout is the report's, so they go to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        return _run_ray(tasks, parallel=parallel, address=address, frameworks=frameworks, started=started,
                        finished=finished)


def _run_ray(tasks: Sequence[Task], *, parallel: int | None, address: str | None, frameworks: Sequence[str],
             started: Callback, finished: Callback) -> list[str]:
    # The engine has checked that Ray is installed. Typed as Any: Ray's own hints are partial.
    ray: Any = importlib.import_module("ray")
    inputs = _read_inputs(tasks)
    address = address or os.environ.get(ADDRESS_ENV) or None
    notes: list[str] = []
    # The task body is shipped by value, so nodes need Python and Ray but not seedbridge.
    importlib.import_module("ray.cloudpickle").register_pickle_by_value(_node)
    own = not ray.is_initialized()
    if not own:
        notes.append("ray: used the Ray session this process had already started or joined")
    else:
        try:
            if address:
                ray.init(address=address, log_to_driver=False, logging_level="ERROR")
            else:
                # "local": start a new instance even when `ray start` left one running on this machine
                # (ray.init(address=None) would join it: ray/_private/services.py, canonicalize_bootstrap_address).
                ray.init(address="local", num_cpus=parallel, include_dashboard=False, log_to_driver=False,
                         logging_level="ERROR")
        except Exception as exc:  # ConnectionError, ValueError, RuntimeError from ray.init
            where = f"the Ray cluster at {address}" if address else "a local Ray"
            raise SeedbridgeError(f"--executor ray: cannot start or join {where}: {exc}") from None
    pending: dict[Any, tuple[Task, int]] = {}
    try:
        if own:
            notes.append(f"ray: {'joined the cluster at ' + address if address else 'started a local Ray'} "
                         f"({int(ray.cluster_resources().get('CPU', 0))} CPUs)")
        remote = ray.remote(num_cpus=1, max_retries=0)(_node.remote_replicate)
        shipped = ray.put(inputs)
        limit = parallel or max(1, int(ray.cluster_resources().get("CPU", 1)))
        queue = list(tasks)

        def submit(task: Task, attempt: int) -> None:
            ref = remote.remote(list(task.argv), task.env, shipped, list(task.collect), list(frameworks))
            pending[ref] = (task, attempt)

        while queue or pending:
            while queue and len(pending) < limit:
                submit(queue.pop(0), 0)
            [ref], _ = ray.wait(list(pending), num_returns=1)
            task, attempt = pending.pop(ref)
            try:
                info = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:  # the task body raised on its node (a full disk, say)
                last = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
                info = _failed(f"the task failed on its node: {last}")
            except ray.exceptions.RayError as exc:  # the worker or node was lost
                what = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
                if attempt == 0:
                    notes.append(f"replicate {task.index}: lost with its worker or node ({what}); retried once")
                    submit(task, 1)
                    continue
                notes.append(f"replicate {task.index}: lost again on retry ({what}); counted as failed")
                info = _failed(f"lost twice with its worker or node ({what})")
            if attempt:
                info["retried"] = True
            started(task, info)
            finished(task, info)
    except BaseException:
        for ref in pending:
            with contextlib.suppress(Exception):  # already finished or gone
                ray.cancel(ref, force=True)
        raise
    finally:
        if own:
            ray.shutdown()
    return notes


def _failed(error: str) -> dict[str, Any]:
    now = _node._now()
    return {"started_at": now, "ended_at": now, "host": "unknown", "pid": None, "returncode": 1, "error": error,
            "seconds": 0.0, "files": {}, "logs": {}, "system": {}, "versions": {}}  # nothing known of the node
