"""A pool of threads that each run a child process (verify's runs, a local sweep's replicates).

When one call fails (an exception, Ctrl-C included) no new call starts, every running child is killed,
and the exception propagates once the threads are done; the calls check ``stopping`` before starting.
Callers start children with ``start_new_session=True``, so each leads a process group and killing
it kills what it started too (``sh -c "python train.py"`` leaves no training running).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["ChildPool"]

T = TypeVar("T")


class ChildPool:
    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[bytes]] = set()

    def track(self, proc: subprocess.Popen[bytes]) -> None:
        """A child that has just started; killed at once when the pool is already stopping."""
        with self._lock:
            self._live.add(proc)
            if self.stopping.is_set():
                _kill(proc)

    def forget(self, proc: subprocess.Popen[bytes]) -> None:
        """A child that has ended."""
        with self._lock:
            self._live.discard(proc)

    def run(self, fn: Callable[[T], Any], items: Sequence[T], *, workers: int, name: str) -> None:
        """``fn(item)`` for every item, at most ``workers`` at a time."""
        pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(items))), thread_name_prefix=name)
        try:
            for future in [pool.submit(fn, item) for item in items]:
                future.result()
        except BaseException:
            self.stopping.set()
            with self._lock:
                for proc in self._live:
                    if proc.poll() is None:
                        _kill(proc)
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the child's process group (itself and what it started), or to the child alone when it
    does not lead a group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
