"""`seedbridge seed JOB` wall time against `python -c "import yaml"` with the same interpreter.

Goal (issue 2): at most 1.5x, never above 2x. Usage: python benchmarks/bench_cli.py [ROUNDS]
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _timing import alternating_medians

from seedbridge import Manifest


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    # Measure what an installed user sees: bytecode compiled (pip compiles on install; this
    # machine sets PYTHONDONTWRITEBYTECODE, so without this every run would compile the sources).
    import compileall

    import seedbridge

    compileall.compile_dir(os.path.dirname(seedbridge.__file__), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "seedbridge.yaml")
        Manifest.new([f"job{i}" for i in range(20)] + ["train"], root=42).save(path)
        medians = alternating_medians(
            {
                "import yaml": [sys.executable, "-c", "import yaml"],
                "seedbridge seed": [sys.executable, "-m", "seedbridge", "seed", "train", "-m", path],
                "seedbridge env": [sys.executable, "-m", "seedbridge", "env", "train", "-m", path],
            },
            rounds=rounds,
        )
    base = medians["import yaml"]
    print(f"{'command':<18} {'median ms':>10} {'ratio':>6}   ({rounds} alternating rounds, {sys.executable})")
    for name, value in medians.items():
        print(f"{name:<18} {value * 1000:>10.1f} {value / base:>6.2f}")


if __name__ == "__main__":
    main()
