"""The manifest rules as data: ``manifest_schema.json``, loaded once.

The same file (byte for byte) is ``r-package/inst/manifest_schema.json``, which the R package reads,
so Python and R validate with one statement of the rules. This module only loads and names it;
``_validate`` applies it and ``_yaml`` reads YAML the way it says.
"""

from __future__ import annotations

import json
import os
import re
from types import MappingProxyType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DATA",
    "DERIVATIONS",
    "FILE_LIMIT_BYTES",
    "PIN_MAX",
    "PLAIN_INTEGER_MAX",
    "PLAIN_SCALARS",
    "RULES",
    "R_DEFAULT_KINDS",
    "SCHEMA_VERSION",
    "TARGET_MAX",
    "YAML_TYPES",
    "pattern",
]

PATH = os.path.join(os.path.dirname(__file__), "manifest_schema.json")

with open(PATH, encoding="utf-8") as _fh:
    DATA: Any = json.load(_fh)

SCHEMA_VERSION: int = DATA["schema_version"]
DERIVATIONS: tuple[int, ...] = tuple(DATA["derivations"])
FILE_LIMIT_BYTES: int = DATA["file_limit_bytes"]
PLAIN_INTEGER_MAX: int = DATA["plain_integer_max"]
PIN_MAX: int = int(DATA["pin_max"], 16)
# Built-in targets and the largest seed each takes unchanged (docs/manifest.md, "Frameworks").
TARGET_MAX: MappingProxyType[str, int] = MappingProxyType(
    {name: int(spec["max"], 16) for name, spec in DATA["targets"].items()})
R_DEFAULT_KINDS: MappingProxyType[str, str] = MappingProxyType(DATA["r_default_kinds"])
YAML_TYPES: MappingProxyType[str, str] = MappingProxyType(DATA["yaml_types"])
PLAIN_SCALARS: tuple[tuple[str, str], ...] = tuple((name, rx) for name, rx in DATA["yaml_plain_scalars"])
RULES: MappingProxyType[str, str] = MappingProxyType(DATA["rules"])

_compiled: dict[str, re.Pattern[str]] = {}


def pattern(name_or_regex: str) -> re.Pattern[str]:
    """A pattern of the data by name (``patterns``) or a regex from a field spec, compiled once.

    Patterns are written ``^...$``; callers use ``fullmatch``, so ``$`` never accepts a trailing
    newline (R uses ``\\z`` for the same reason)."""
    found = _compiled.get(name_or_regex)
    if found is None:
        found = _compiled[name_or_regex] = re.compile(DATA["patterns"].get(name_or_regex, name_or_regex))
    return found
