"""Arguments and helpers that several commands share."""

from __future__ import annotations

import argparse

from seedbridge.errors import DerivationError

# Not `from typing import TYPE_CHECKING`: importing typing costs ~3 ms on every CLI call; type
# checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from seedbridge.manifest import Manifest

__all__ = ["add_bits", "add_keys", "add_manifest", "keys_from", "manifest_from"]


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
    from seedbridge.manifest import load

    return load(args.manifest)


def keys_from(args: argparse.Namespace) -> dict[str, str]:
    """``--key NAME=VALUE`` flags as a dict; values stay text, as the derivation encodes them."""
    keys: dict[str, str] = {}
    for item in args.key:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise DerivationError(f"--key: must be NAME=VALUE such as rank=3, got {item!r}")
        if name in keys:
            raise DerivationError(f"--key: {name!r} given twice ({keys[name]!r} and {value!r})")
        keys[name] = value
    return keys
