"""Print everything recorded about one run: seeds, manifest, command, code version, input and output
digests, parameters, versions, what it ran on (OS, CPU, BLAS, CUDA, numerical environment variables),
host, times, exit status, sweep and metrics.

  seedbridge show-run 20251126T080102123Z-9f3a1c2e7b
  seedbridge show-run 20251126T0801 --format json
"""

from __future__ import annotations

import argparse
import json
import shlex

from seedbridge._text import printable
from seedbridge.cli._cmdline import add_ledger, ledger_from
from seedbridge.cli._common import add_manifest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID", help="a run id (a unique prefix will do)")
    parser.add_argument("--format", "-f", choices=("text", "json"), default="text", help="text (default) or json")
    add_ledger(parser)
    add_manifest(parser)


def _mapping(title: str, data: dict[str, object], missing: str = "(missing)") -> list[str]:
    if not data:
        return [f"{title + ':':<16}-"]
    lines = [f"{title}:"]
    width = max(len(printable(k)) for k in data)
    lines += [f"  {printable(k):<{width}}  {missing if v is None else printable(str(v))}" for k, v in data.items()]
    return lines


def run(args: argparse.Namespace) -> int:
    from seedbridge.ledger import read_run

    r = read_run(ledger_from(args), args.run_id)
    if args.format == "json":
        print(json.dumps(r.to_dict(), ensure_ascii=False, indent=2))
        return 0
    code = "-" if r.git_commit is None else r.git_commit + (" (dirty: " + (r.code_version or "?") + ")"
                                                            if r.git_dirty else "")
    fields = [
        ("run", r.run_id), ("job", r.job), ("status", r.status),
        ("exit code", "-" if r.exit_code is None else str(r.exit_code)
         + (f" (signal {r.signal})" if r.signal else "")),
        ("started", r.started_at), ("ended", r.ended_at or "-"),
        ("command", shlex.join(r.command)), ("cwd", r.cwd or "-"),
        ("manifest", f"{r.manifest_path or '-'} (sha256 {r.manifest_digest or '-'})"),
        ("root source", r.root_source or "-"), ("derivation", str(r.derivation)), ("profile", r.profile or "-"),
        ("git commit", code), ("host", f"{r.host or '-'} (pid {r.pid})"),
        ("rerun of", r.rerun_of or "-"),
        ("duplicate of", (r.duplicate_of or "-") + (" (deliberate)" if r.duplicate_of and r.deliberate else "")),
        ("sweep", r.sweep_id or "-"),
    ]
    for name, value in fields:
        print(f"{name + ':':<16}{printable(value)}")
    for title, data in (("keys", r.keys), ("seeds", r.seeds), ("params", r.params), ("inputs", r.inputs),
                        ("outputs", r.outputs), ("versions", r.versions)):
        for line in _mapping(title, dict(data)):
            print(line)
    for line in _mapping("metrics", dict(r.metrics), missing="null"):
        print(line)
    for line in _mapping("system", dict(r.system), missing="(unset)"):
        print(line)
    for line in _mapping("environment", dict(r.environment)):
        print(line)
    for w in r.warnings:
        print(f"warning:        {printable(w)}")
    return 0
