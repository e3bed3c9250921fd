"""Benchmark of seedbridge.caffe: a 10 MB solver (large inline net_param) and 1,000 small solvers.

  .venv/bin/python benchmarks/bench_caffe.py [--mb 10] [--files 1000] [--repeat 3]

Prints MB/s for the large file and files/s for the small ones, next to two baselines: seedbridge's own
parse alone (the goal: a seeded edit costs no more than parsing the text once) and protobuf's
text_format.Parse of the same text (what a parse-then-reserialize approach would start from).
Best of --repeat runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from collections.abc import Callable

from seedbridge import Manifest, caffe
from seedbridge.caffe import _prototxt, _schema

HEADER = """# Benchmark solver: a large inline net.
base_lr: 0.01
momentum: 0.9
lr_policy: "step"   # step every 10k
stepsize: 10000
max_iter: 100000
snapshot_prefix: "snapshots/bench"
"""

LAYER = """  layer {{
    name: "conv{i}"   # layer {i}
    type: "Convolution"
    bottom: "conv{p}"
    top: "conv{i}"
    param {{ lr_mult: 1 decay_mult: 1 }}
    param {{ lr_mult: 2 decay_mult: 0 }}
    convolution_param {{
      num_output: 64 kernel_size: 3 pad: 1 stride: 1
      weight_filler {{ type: "msra" }}
      bias_filler {{ type: "constant" value: 0.1 }}
    }}
    include {{ phase: TRAIN stage: "a#b{{c" }}
  }}
"""

SMALL = """# Small solver {i}
net: "models/net{i}/train_val.prototxt"
test_iter: 100
test_interval: 500
base_lr: 0.01
momentum: 0.9
weight_decay: 0.0005
lr_policy: "inv"
gamma: 0.0001
power: 0.75
display: 100
max_iter: 10000
snapshot: 5000
snapshot_prefix: "snapshots/net{i}"
solver_mode: CPU
"""


def large_solver(megabytes: float) -> str:
    parts = [HEADER, 'net_param {\n  name: "Bench"\n']
    size, i = sum(map(len, parts)), 0
    while size < megabytes * 1e6:
        layer = LAYER.format(i=i, p=max(i - 1, 0))
        parts.append(layer)
        size += len(layer)
        i += 1
    parts.append("}\nsolver_mode: CPU\n")
    return "".join(parts)


def best(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def protobuf_parse(text: str) -> None:
    from google.protobuf import text_format

    text_format.Parse(text, _schema.solver_class()(), allow_unknown_field=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-protobuf", action="store_true", help="skip the slow protobuf baseline")
    args = parser.parse_args()
    warnings.simplefilter("ignore", caffe.CaffeWarning)
    _schema.solver_class()  # build the descriptor once, outside the timings

    text = large_solver(args.mb)
    mb = len(text.encode()) / 1e6
    print(f"large solver: {mb:.1f} MB, {text.count(chr(10)):,} lines")
    parse = best(args.repeat, lambda: _prototxt.parse(text))
    seed = best(args.repeat, lambda: caffe.seed_text(text, 12345))
    print(f"  parse only (seedbridge)          {parse:7.3f} s  {mb / parse:7.1f} MB/s")
    print(f"  seed_text (validate+edit+verify) {seed:7.3f} s  {mb / seed:7.1f} MB/s  ({seed / parse:.2f}x parse)")
    if not args.skip_protobuf:
        proto = best(1, lambda: protobuf_parse(text))
        print(f"  protobuf text_format.Parse       {proto:7.3f} s  {mb / proto:7.1f} MB/s")

    texts = [SMALL.format(i=i) for i in range(args.files)]
    parse = best(args.repeat, lambda: [_prototxt.parse(t) for t in texts])
    seed = best(args.repeat, lambda: [caffe.seed_text(t, 12345) for t in texts])
    print(f"{args.files} small solvers ({len(texts[0])} bytes each)")
    print(f"  parse only (seedbridge)          {parse:7.3f} s  {args.files / parse:9.0f} files/s")
    print(f"  seed_text (validate+edit+verify) {seed:7.3f} s  {args.files / seed:9.0f} files/s  "
          f"({seed / parse:.2f}x parse)")
    if not args.skip_protobuf:
        proto = best(args.repeat, lambda: [protobuf_parse(t) for t in texts])
        print(f"  protobuf text_format.Parse       {proto:7.3f} s  {args.files / proto:9.0f} files/s")

    with tempfile.TemporaryDirectory() as folder:
        manifest = Manifest.new(["train"], root=0x2A)
        for i, t in enumerate(texts):
            with open(os.path.join(folder, f"s{i}_solver.prototxt"), "w") as fh:
                fh.write(t)
        disk = best(1, lambda: caffe.seed_files([folder], job="train", manifest=manifest, in_place=True))
        check = best(args.repeat, lambda: caffe.check_files([folder], job="train", manifest=manifest))
        print(f"  seed_files --in-place on disk    {disk:7.3f} s  {args.files / disk:9.0f} files/s  "
              "(atomic writes: fsync per file)")
        print(f"  check_files on disk              {check:7.3f} s  {args.files / check:9.0f} files/s")


if __name__ == "__main__":
    main()
