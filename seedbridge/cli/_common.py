"""Arguments and helpers that several commands share."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from seedbridge.errors import Problem, ValidationError

# Not `from typing import TYPE_CHECKING`: importing typing costs ~3 ms on every CLI call; type
# checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from seedbridge._manifest import Manifest

__all__ = ["add_bits", "add_keys", "add_manifest", "keys_from", "manifest_from", "parse_assignments", "stop_on_sigterm"]


def add_manifest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--manifest", metavar="PATH",
                        help="manifest file (default: $SEEDBRIDGE_MANIFEST, else ./seedbridge.yaml)")


def add_keys(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", "-k", action="append", default=[], metavar="NAME=VALUE",
                        help="a derivation key such as rank=3 (repeatable; order does not matter)")


def add_bits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bits", type=int, default=31, metavar="N",
                        help="seed width: 31 (portable, default), 32, 63, 64 or 128")


def manifest_from(args: argparse.Namespace) -> Manifest:
    from seedbridge._manifest import load

    return load(args.manifest)


def keys_from(args: argparse.Namespace) -> dict[str, str]:
    """``--key NAME=VALUE`` flags as a dict; values stay text, as the derivation encodes them."""
    return parse_assignments(args.key, flag="--key", example="rank=3")


def parse_assignments(items: Iterable[str], *, flag: str, example: str) -> dict[str, str]:
    """``NAME=VALUE`` items as a dict; every malformed or repeated one is reported."""
    problems: list[Problem] = []
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            problems.append(Problem(f"must be NAME=VALUE such as {example}, got {item!r}", field=flag))
        elif name in out:
            problems.append(Problem(f"{name!r} given twice ({out[name]!r} and {value!r})", field=flag))
        else:
            out[name] = value
    if problems:
        raise ValidationError(problems)
    return out


def stop_on_sigterm() -> None:
    """SIGTERM (a CI job cancelled, `kill`) stops a command that runs children as Ctrl-C does: it becomes a
    KeyboardInterrupt, so the children are killed instead of orphaned and seedbridge exits 130."""
    import signal

    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
