"""Set random_seed in Caffe solver files to JOB's seed, changing one line per file (or --check them).

  seedbridge caffe solver.prototxt --job train                # the seeded text on stdout
  seedbridge caffe solver.prototxt --job train --in-place
  seedbridge caffe models/ --job train -o seeded/             # every *solver*.prototxt below models/
  seedbridge caffe models/ --job train --check                # CI: exit 1 unless every solver has the seed
  seedbridge caffe --job train --in-place                     # the solvers listed in jobs.train.caffe.solvers

Every solver is validated against Caffe's SolverParameter first; on any problem nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from seedbridge.cli._common import add_keys, add_manifest, keys_from, manifest_from

if TYPE_CHECKING:
    from seedbridge.caffe import SeedResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("solvers", nargs="*", metavar="SOLVER",
                        help="solver files or directories (default: the job's caffe.solvers in the manifest)")
    parser.add_argument("--job", "-j", required=True, help="the job whose seed the solvers get")
    add_keys(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("-o", "--output", metavar="OUT",
                      help="write here: a file for one solver file, else a directory")
    mode.add_argument("--in-place", "-i", action="store_true", help="rewrite the solver files themselves")
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 unless every solver already carries the job's seed")
    add_manifest(parser)


def _warn(results: Sequence[SeedResult]) -> None:
    for result in results:
        for note in result.notes:
            print(f"seedbridge: warning: {note}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from seedbridge import caffe

    manifest = manifest_from(args)
    keys = keys_from(args)
    if args.check:
        results = caffe.check_files(args.solvers, job=args.job, manifest=manifest, keys=keys)
        _warn(results)
        failed = 0
        for r in results:
            if r.ok:
                print(f"{r.source}: ok, random_seed is {r.seed} (job {r.job!r})")
                continue
            failed += 1
            if r.before_at is None:
                print(f"seedbridge: check failed: {r.source} random_seed: absent (caffe then seeds from "
                      f"/dev/urandom); job {r.job!r} has seed {r.seed}", file=sys.stderr)
            else:
                line, column = r.before_at
                print(f"seedbridge: check failed: {r.source}:{line}:{column} random_seed: is {r.before}, "
                      f"job {r.job!r} has seed {r.seed}", file=sys.stderr)
        if failed:
            print(f"seedbridge: {failed} of {len(results)} solver file(s) lack the seed; set it with "
                  f"`seedbridge caffe ... --job {args.job} --in-place`", file=sys.stderr)
            return 1
        return 0
    results = caffe.seed_files(args.solvers, job=args.job, manifest=manifest, out=args.output,
                               in_place=args.in_place, keys=keys)
    _warn(results)
    if args.output is None and not args.in_place:
        # Bytes, so CRLF endings and non-UTF-8 comment bytes reach stdout unchanged.
        sys.stdout.flush()
        sys.stdout.buffer.write(results[0].text.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()
        return 0
    for r in results:
        was = "absent" if r.before is None else str(r.before)
        where = f" -> {r.target}" if r.target != r.source else ""
        state = f"random_seed {was} -> {r.seed}" if r.changed else f"random_seed already {r.seed}"
        print(f"{r.source}{where}: {state}")
    return 0
