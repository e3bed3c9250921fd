"""Print the manifest as a table: root, where it came from, and each job's seed."""

from __future__ import annotations

import argparse

from seedbridge._envvars import job_seed
from seedbridge._text import printable
from seedbridge.cli._common import add_manifest, manifest_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    m = manifest_from(args)
    root = m.root
    source = root.source + (f" (${root.env})" if root.env else "")
    # Names, paths and dates come from the file: escaped, so ESC or a line break cannot reach the terminal.
    print(f"manifest:   {printable(str(m.path))}")
    print(f"derivation: {m.derivation}")
    print(f"root:       0x{root.entropy:032x}")
    print(f"source:     {printable(source)}" + (f", created {printable(str(root.created))}" if root.created else ""))
    print()
    rows = [("JOB", "SEED", "PINNED", "PROFILE", "FRAMEWORKS")]
    for name, job in m.jobs.items():
        rows.append((printable(name), str(job_seed(m, name)), "yes" if job.seed is not None else "no",
                     printable(job.profile), printable(", ".join(job.frameworks)) or "-"))
    if len(rows) == 1:
        print("no jobs yet; add them under `jobs:` (docs/manifest.md)")
        return 0
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)).rstrip())
    return 0
