"""Ledger records per second with concurrent writers.

    .venv/bin/python benchmarks/bench_ledger.py [--writers 8] [--records 200]

Each writer is a process of its own (as concurrent `seedbridge run`s are) with its own connection; it
writes complete records the way `seedbridge run` does: an insert as `started`, then the update with
the end, each its own BEGIN IMMEDIATE transaction. Reports complete records per second over the wall
time of all writers, and checks that every record arrived and the file passes integrity_check.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time

from seedbridge import ledger


def writer(path: str, count: int, start: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    start.wait()
    with ledger.Ledger(path) as book:
        for i in range(count):
            rec = ledger.RunRecord(run_id=ledger.new_run_id(), job="train", command=["python", "train.py"],
                                   started_at=ledger.utc_now(), seeds={"seed": i}, params={"i": str(i)},
                                   inputs={"data.csv": "0" * 64}, code_version="abc")
            book.insert(rec)
            book.finish(rec.run_id, ended_at=ledger.utc_now(), exit_code=0, signal=None, status="succeeded",
                        outputs={"model.npy": "1" * 64})


def measure(writers: int, records: int) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "ledger.sqlite")
        ledger.Ledger(path).close()
        start = multiprocessing.Event()
        procs = [multiprocessing.Process(target=writer, args=(path, records, start)) for _ in range(writers)]
        for p in procs:
            p.start()
        time.sleep(0.5)  # let every writer import and connect first
        t0 = time.perf_counter()
        start.set()
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - t0
        assert all(p.exitcode == 0 for p in procs)
        with ledger.Ledger(path) as book:
            runs = book.runs()
            complete = sum(r.status == "succeeded" for r in runs)
            integrity = book.integrity()
    return writers * records / elapsed, complete, integrity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--records", type=int, default=200, help="records per writer")
    args = parser.parse_args()
    for n in sorted({1, args.writers}):
        rate, complete, integrity = measure(n, args.records)
        print(f"{n} writer(s) x {args.records} records: {rate:8.0f} complete records/s "
              f"({complete}/{n * args.records} complete, integrity {integrity})")


if __name__ == "__main__":
    main()
