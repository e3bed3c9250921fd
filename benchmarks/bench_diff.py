"""Peak memory and time of comparing two differing output files (verify and rerun), per format.

    .venv/bin/python benchmarks/bench_diff.py [--mb 20] [--module seedbridge._diff]

Writes pairs of files of about --mb MB each that differ in many values (CSV of decimals, CSV of
one-digit integers, JSON records, a JSON array of decimals, .npy and .npz arrays), then compares each pair in a fresh interpreter and
prints the peak resident memory that the comparison added to the interpreter (ru_maxrss after minus
before), as MiB and as a multiple of the size of one file. The goal (issue 10): a few times the file
size at most. --module names another module with compare_files(a, b, name=...), to measure an older one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

# Peak RSS from /proc/self/status (VmHWM, KiB, reset by exec): on Linux getrusage's ru_maxrss is kept
# across exec, so a child would start at the peak of this parent, which built the files in memory.
CHILD = """
import sys, time, importlib
def peak():
    with open("/proc/self/status") as fh:
        return int(next(line for line in fh if line.startswith("VmHWM:")).split()[1])
compare_files = importlib.import_module(sys.argv[1]).compare_files
import numpy  # imported before the baseline: the NumPy formats need it, the others do not
before = peak()
start = time.perf_counter()
result = compare_files(sys.argv[2], sys.argv[3], name=sys.argv[2])
seconds = time.perf_counter() - start
after = peak()
print(before, after, round(seconds, 2), result.match, result.detail[:70], sep="\\t")
"""


def _write_pairs(folder: str, mb: int) -> dict[str, tuple[str, str]]:
    import numpy as np

    rng = random.Random(1)
    size = mb * 1_000_000
    pairs: dict[str, tuple[str, str]] = {}

    def pair(name: str, a: str | bytes, b: str | bytes) -> None:
        paths = (os.path.join(folder, f"a-{name}"), os.path.join(folder, f"b-{name}"))
        for path, data in zip(paths, (a, b), strict=True):
            with open(path, "wb") as fh:
                fh.write(data.encode() if isinstance(data, str) else data)
        pairs[name] = paths

    rows = size // 60
    values = [[rng.random() for _ in range(3)] for _ in range(rows)]
    header = "step,loss,accuracy,lr\n"
    pair("floats.csv", header + "".join(f"{i},{x!r},{y!r},{z!r}\n" for i, (x, y, z) in enumerate(values)),
         header + "".join(f"{i},{x + 1e-9!r},{y!r},{z!r}\n" for i, (x, y, z) in enumerate(values)))
    cells = [[rng.randrange(10) for _ in range(20)] for _ in range(size // 40)]
    pair("digits.csv", "".join(",".join(map(str, row)) + "\n" for row in cells),
         "".join(",".join(map(str, [*row[:-1], row[-1] + 1])) + "\n" for row in cells))
    records = [{"step": i, "loss": x, "accuracy": y, "lr": z} for i, (x, y, z) in enumerate(values[: size // 80])]
    pair("records.json", json.dumps(records),
         json.dumps([{**r, "loss": r["loss"] + 1e-9} for r in records]))
    floats = [rng.random() for _ in range(size // 20)]
    pair("array.json", json.dumps(floats), json.dumps([x + 1e-9 for x in floats]))
    array = np.random.default_rng(1).random(size // 8)
    for name, save in (("array.npy", np.save), ("arrays.npz", np.savez)):
        blobs = []
        for data in (array, array + 1e-9):
            path = os.path.join(folder, "tmp" + os.path.splitext(name)[1])
            save(path, data) if name.endswith(".npy") else save(path, x=data)
            with open(path, "rb") as fh:
                blobs.append(fh.read())
        pair(name, blobs[0], blobs[1])
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=20, help="size of each file in MB (default 20)")
    parser.add_argument("--module", default="seedbridge._diff", help="module holding compare_files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        pairs = _write_pairs(folder, args.mb)
        print(f"{'format':<14} {'file MB':>8} {'added MiB':>10} {'x file':>7} {'seconds':>8}  result")
        for name, (a, b) in pairs.items():
            out = subprocess.run([sys.executable, "-c", CHILD, args.module, a, b], capture_output=True, text=True,
                                 check=True).stdout
            before, after, seconds, match, detail = out.rstrip("\n").split("\t")
            added = (int(after) - int(before)) * 1024  # KiB
            file_size = os.path.getsize(a)
            print(f"{name:<14} {file_size / 1e6:>8.1f} {added / 2**20:>10.1f} {added / file_size:>7.2f} "
                  f"{float(seconds):>8.2f}  {detail if detail else 'match' if match == 'True' else 'differs'}")


if __name__ == "__main__":
    main()
