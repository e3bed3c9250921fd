"""The seed derivation: (root, job, keys) -> integer, specified normatively in docs/derivation.md.

Stdlib only, the same bytes on every OS. Version 1 is frozen: a change of any output is a new
``DERIVATION_VERSION``, and manifests that say ``derivation: 1`` keep getting version 1 numbers.
The R package implements the same function; tests/golden/derivation-v1.json keeps both honest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from seedbridge import _schema
from seedbridge.errors import DerivationError, SeedRangeError

__all__ = [
    "ALLOWED_BITS",
    "DERIVATION_VERSION",
    "FRAMEWORK_SEED_MAX",
    "PORTABLE_BITS",
    "PORTABLE_MAX",
    "ROOT_BITS",
    "ROOT_MAX",
    "SUPPORTED_DERIVATIONS",
    "check_seed_for",
    "derive",
    "encode",
    "key_text",
    "parse_int",
]

DERIVATION_VERSION = 1
SUPPORTED_DERIVATIONS = (1,)

ROOT_BITS = 128
ROOT_MAX = 2**ROOT_BITS - 1

# The portable seed: valid unchanged for Python random, NumPy (legacy and Generator), PyTorch,
# TensorFlow, R's set.seed (a signed 32-bit int, NA_integer_ is -2**31) and Caffe.
PORTABLE_BITS = 31
PORTABLE_MAX = 2**PORTABLE_BITS - 1

ALLOWED_BITS = (31, 32, 63, 64, 128)

# Largest seed each built-in target takes unchanged (all take 0 as the smallest; seedbridge seeds
# are >= 0), as stated in the manifest schema data (manifest_schema.json, shared with R):
# - python: random.seed takes any int; 128 bits is the widest seed seedbridge derives.
# - numpy: np.random.seed (the legacy global state) rejects seeds outside 0..2**32-1.
# - torch: torch.manual_seed takes up to 0xffff_ffff_ffff_ffff (torch/random.py).
# - tensorflow: keras.utils.set_random_seed also calls np.random.seed, so 32 bits is the common limit.
# - r: set.seed coerces to a signed 32-bit integer; 2**31-1 is the largest valid one.
# - caffe: Caffe casts random_seed to unsigned int (caffe/common.cpp), so only 32 bits survive.
# - jax: jax.random.key takes a 64-bit seed (0..2**64-1).
FRAMEWORK_SEED_MAX: dict[str, int] = dict(_schema.TARGET_MAX)

_TAG = "seedbridge-derivation"


def _netstring(text: str) -> bytes:
    # Length-prefixed, so no character inside text (":", ",", "=", NUL, unicode) can shift a boundary:
    # the encoding of a sequence of strings is injective.
    data = text.encode("utf-8")
    return str(len(data)).encode("ascii") + b":" + data + b","


def parse_int(text: str) -> int:
    """Parse a decimal or ``0x`` hex integer (``_`` separators are not allowed)."""
    s = text.strip()
    negative = s.startswith("-")
    body = s[1:] if negative else s
    try:
        if body[:2].lower() == "0x":
            if not body[2:] or not all(c in "0123456789abcdefABCDEF" for c in body[2:]):
                raise ValueError
            value = int(body[2:], 16)
        else:
            if not body.isascii() or not body.isdigit():
                raise ValueError
            value = int(body, 10)
    except ValueError:
        raise DerivationError(
            f"must be a decimal or 0x-hex integer, got {text!r}"
        ) from None
    return -value if negative else value


def key_text(name: str, value: object) -> str:
    """The canonical text of one key value: text as is, an integral number as its decimal form."""
    if isinstance(value, bool):
        raise DerivationError(f"key {name!r}: must be text or an integer, got a boolean {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            raise DerivationError(f"key {name!r}: must be text or an integral number, got {value!r}")
        return str(int(value))
    if isinstance(value, str):
        return value
    # numpy integers and the like: anything that turns into an int exactly.
    index = getattr(value, "__index__", None)
    if index is not None:
        return str(index())
    raise DerivationError(
        f"key {name!r}: must be text or an integer, got {type(value).__name__} {value!r}"
    )


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str):
        raise DerivationError(f"{what} must be text, got {type(name).__name__} {name!r}")
    return name


def encode(root: int, job: str, keys: Mapping[str, object] | None = None) -> bytes:
    """The canonical message of version 1 (see docs/derivation.md, "Encoding")."""
    if isinstance(root, bool) or not isinstance(root, int) or not 0 <= root <= ROOT_MAX:
        raise DerivationError(f"root must be an integer in 0..2**128-1, got {root!r}")
    _check_name(job, "job name")
    items = []
    for name, value in (keys or {}).items():
        _check_name(name, "key name")
        if name == "":
            raise DerivationError("key names must not be empty")
        items.append((name.encode("utf-8"), name, key_text(name, value)))
    items.sort()
    parts = [
        _netstring(_TAG),
        _netstring(str(DERIVATION_VERSION)),
        _netstring(format(root, "032x")),
        _netstring(job),
        _netstring(str(len(items))),
    ]
    for _, name, text in items:
        parts.append(_netstring(name))
        parts.append(_netstring(text))
    return b"".join(parts)


def derive(
    root: int,
    job: str,
    keys: Mapping[str, object] | None = None,
    *,
    bits: int = PORTABLE_BITS,
    version: int = DERIVATION_VERSION,
) -> int:
    """The seed of ``job`` under ``root`` with ``keys``: the top ``bits`` bits of SHA-256(message)."""
    if version not in SUPPORTED_DERIVATIONS:
        raise DerivationError(
            f"derivation must be one of {', '.join(map(str, SUPPORTED_DERIVATIONS))}, got {version!r}"
        )
    if isinstance(bits, bool) or bits not in ALLOWED_BITS:
        raise DerivationError(
            f"bits must be one of {', '.join(map(str, ALLOWED_BITS))}, got {bits!r}"
        )
    digest = hashlib.sha256(encode(root, job, keys)).digest()
    return int.from_bytes(digest, "big") >> (256 - bits)


def check_seed_for(framework: str, seed: int) -> None:
    """Raise SeedRangeError when ``framework`` cannot take ``seed`` unchanged."""
    top = FRAMEWORK_SEED_MAX[framework]
    if not 0 <= seed <= top:
        raise SeedRangeError(f"must be an integer in 0..{top} for {framework}, got {seed}")
