"""Ledger records per second with 8 and 32 concurrent writers, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/bench_ledger.py [--writers 8 32] [--records 1600] [--postgres URL]

Each writer is a process of its own (as concurrent `seedbridge run`s are) with its own connection; it
writes complete records the way `seedbridge run` does: an insert as `started`, then the update with
the end, each its own transaction. Reports complete records per second over the wall time of all
writers (the total split evenly between them), and checks that every record arrived and the database
passes its integrity check. Without --postgres, a PostgreSQL server is started for the run in a
temporary folder (tests/pgserver.py: Debian's postgresql package; as root it runs as `postgres`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable

from seedbridge import ledger

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))


def writer(location: str, count: int, start: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    with ledger.Ledger(location) as book:
        start.wait()
        for i in range(count):
            rec = ledger.RunRecord(run_id=ledger.new_run_id(), job="train", command=["python", "train.py"],
                                   started_at=ledger.utc_now(), seeds={"seed": i}, params={"i": str(i)},
                                   inputs={"data.csv": "0" * 64}, code_version="abc",
                                   system={"os": "bench", "OMP_NUM_THREADS": None})
            book.insert(rec)
            book.finish(rec.run_id, ended_at=ledger.utc_now(), exit_code=0, signal=None, status="succeeded",
                        outputs={"model.npy": "1" * 64})


def measure(location: str, writers: int, total: int) -> tuple[float, int, str]:
    per = max(1, total // writers)
    ledger.Ledger(location).close()
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=writer, args=(location, per, start)) for _ in range(writers)]
    for p in procs:
        p.start()
    time.sleep(1.0 + writers * 0.05)  # let every writer connect first
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    with ledger.Ledger(location) as book:
        complete = sum(r.status == "succeeded" for r in book.runs())
        integrity = book.integrity()
    return writers * per / elapsed, complete, integrity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--records", type=int, default=1600, help="records in total, split between the writers")
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database to use (default: start one)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cpus; {args.records} complete records per measurement")
    server = None
    if args.postgres is None:
        from pgserver import PostgresServer

        server = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as work:
            backends: dict[str, Callable[[int], str]] = {
                "sqlite": lambda n: os.path.join(work, f"ledger-{n}.sqlite"),
                "postgresql": (lambda n: args.postgres) if args.postgres else
                (lambda n: server.url(server.new_database())),  # type: ignore[union-attr]
            }
            for name, location in backends.items():
                for n in args.writers:
                    rate, complete, integrity = measure(location(n), n, args.records)
                    print(f"{name:<10} {n:>3} writers: {rate:8.0f} complete records/s "
                          f"({complete} complete, integrity {integrity})", flush=True)
    finally:
        if server is not None:
            server.remove()


if __name__ == "__main__":
    main()
