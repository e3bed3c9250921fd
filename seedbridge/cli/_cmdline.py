"""The ``-- CMD ...`` tail of `run` and `verify`, and the ledger option several commands share.

argparse cannot take a command after ``--`` together with options before it (a REMAINDER positional
swallows the options too, and ``nargs="*"`` drops inner ``--``), so the arguments are split at the first
``--`` before argparse sees them: everything after it is the command, untouched.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["add_command", "add_ledger", "ledger_from"]


def add_command(parser: argparse.ArgumentParser, example: str) -> None:
    parser.add_argument("command", nargs="*", metavar="-- CMD", help="the command and its arguments, after --")
    original = parser.parse_known_args

    def parse_known_args(args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        argv = list(sys.argv[1:] if args is None else args)
        tail: list[str] | None = None
        if "--" in argv:
            i = argv.index("--")
            argv, tail = argv[:i], argv[i + 1:]
        ns, extra = original(argv, namespace)
        if ns.command:
            parser.error(f"put the command after --, e.g. {example} (got {' '.join(ns.command)!r} before it)")
        ns.command = tail or []
        if not ns.command:
            parser.error(f"a command is required after --, e.g. {example}")
        return ns, extra

    parser.parse_known_args = parse_known_args  # type: ignore[method-assign, assignment]


def add_ledger(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ledger", metavar="PATH|URL",
                        help="ledger: a SQLite file or a postgresql://USER@HOST:PORT/DB URL (default: "
                             "$SEEDBRIDGE_LEDGER, else .seedbridge/ledger.sqlite beside the manifest)")


def ledger_from(args: Any) -> str:
    from seedbridge._manifest import default_path as manifest_default
    from seedbridge.ledger import default_path

    return str(args.ledger) if args.ledger else default_path(args.manifest or manifest_default())
