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
    "KEY_INT_MAX",
    "PORTABLE_BITS",
    "PORTABLE_MAX",
    "ROOT_BITS",
    "ROOT_MAX",
    "SUPPORTED_DERIVATIONS",
    "check_bits",
    "check_seed_for",
    "check_text",
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

# Integer key values must lie in -KEY_INT_MAX..KEY_INT_MAX: every integral double (an R number, a NumPy
# float) is inside, and the decimal text stays far below Python's int-to-text digit limit (4300 by
# default, never below 640: sys.set_int_max_str_digits). Larger numbers can be given as text.
KEY_INT_MAX = 2**1024 - 1

# Largest seed each built-in target takes unchanged (all take 0 as the smallest; seedbridge seeds
# are >= 0), as stated in the manifest schema data (manifest_schema.json, shared with R):
# - python: random.seed takes any int; 128 bits is the widest seed seedbridge derives.
# - numpy: np.random.seed (the legacy global state) rejects seeds outside 0..2**32-1.
# - torch: torch.manual_seed takes up to 0xffff_ffff_ffff_ffff (torch/random.py).
# - tensorflow: keras.utils.set_random_seed also calls np.random.seed, so 32 bits is the common limit.
# - r: set.seed coerces to a signed 32-bit integer; 2**31-1 is the largest valid one.
# - caffe: Caffe casts random_seed to unsigned int (caffe/common.cpp), so only 32 bits survive.
# - jax: seedbridge.jax.key builds a key from all 64 bits (under jax.enable_x64); plain jax.random.key(int)
#   keeps only the low 32 bits unless jax_enable_x64 is on, and refuses ints >= 2**63 (jax 0.10).
FRAMEWORK_SEED_MAX: dict[str, int] = dict(_schema.TARGET_MAX)

_TAG = "seedbridge-derivation"


def _utf8(text: str, what: str) -> bytes:
    """``text`` as UTF-8: NUL and lone surrogates are refused (docs/derivation.md, "Text")."""
    if "\x00" in text:
        raise DerivationError(f"{what} must not contain NUL (\\x00), got {text!r}")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DerivationError(
            f"{what} must be valid Unicode text, got a lone surrogate {text[exc.start]!r} at position {exc.start}"
            f" in {text!r}"
        ) from None


def check_text(text: str, what: str) -> None:
    """Raise DerivationError when ``text`` cannot be hashed: it holds NUL or a lone surrogate."""
    _utf8(text, what)


def _netstring(data: bytes) -> bytes:
    # Length-prefixed, so no byte inside (":", ",", "=", unicode) can shift a boundary: the encoding of a
    # sequence of strings is injective.
    return str(len(data)).encode("ascii") + b":" + data + b","


def check_bits(bits: object) -> int:
    """``bits`` if it is one of ALLOWED_BITS as a Python int (not a bool, float or NumPy integer)."""
    if type(bits) is not int or bits not in ALLOWED_BITS:
        raise DerivationError(f"bits must be one of {', '.join(map(str, ALLOWED_BITS))}, got {_short(bits)}")
    return bits


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
    if isinstance(value, str):
        _utf8(value, f"key {name!r}: the value")
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            raise DerivationError(f"key {name!r}: must be text or an integral number, got {value!r}")
        return str(int(value))
    if not isinstance(value, int):
        # NumPy integers and the like: anything that turns into an int exactly (operator.index).
        # No __index__, or one that refuses (a NumPy array of several numbers): either way not an integer.
        try:
            value = value.__index__()  # type: ignore[attr-defined]
        except Exception:
            raise DerivationError(
                f"key {name!r}: must be text or an integer, got {type(value).__name__} {_short(value)}"
            ) from None
        if not isinstance(value, int):
            raise DerivationError(f"key {name!r}: must be text or an integer, got {_short(value)}")
    if not -KEY_INT_MAX <= value <= KEY_INT_MAX:
        raise DerivationError(
            f"key {name!r}: integers must lie within -(2**1024-1)..2**1024-1 ({value.bit_length()} bits given);"
            " give larger numbers as text"
        )
    return str(int(value))


def _short(value: object) -> str:
    # A repr may fail (an int beyond the digit limit, a broken __repr__): the type name says enough then.
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str):
        raise DerivationError(f"{what} must be text, got {type(name).__name__} {_short(name)}")
    return name


def encode(root: int, job: str, keys: Mapping[str, object] | None = None) -> bytes:
    """The canonical message of version 1 (see docs/derivation.md, "Encoding")."""
    if type(root) is not int or not 0 <= root <= ROOT_MAX:
        raise DerivationError(f"root must be an integer in 0..2**128-1, got {_short(root)}")
    job_bytes = _utf8(_check_name(job, "job name"), "job name")
    if keys is None:
        keys = {}
    if not isinstance(keys, Mapping):
        raise DerivationError(f"keys must be a mapping of name to value, got {type(keys).__name__} {_short(keys)}")
    items = []
    for name, value in keys.items():
        _check_name(name, "key name")
        if name == "":
            raise DerivationError("key names must not be empty")
        items.append((_utf8(name, "key name"), _utf8(key_text(name, value), f"key {name!r}: the value")))
    items.sort()
    parts = [
        _netstring(_TAG.encode("ascii")),
        _netstring(str(DERIVATION_VERSION).encode("ascii")),
        _netstring(format(root, "032x").encode("ascii")),
        _netstring(job_bytes),
        _netstring(str(len(items)).encode("ascii")),
    ]
    for name_bytes, text_bytes in items:
        parts.append(_netstring(name_bytes))
        parts.append(_netstring(text_bytes))
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
    if type(version) is not int or version not in SUPPORTED_DERIVATIONS:
        raise DerivationError(
            f"derivation must be one of {', '.join(map(str, SUPPORTED_DERIVATIONS))}, got {_short(version)}"
        )
    bits = check_bits(bits)
    digest = hashlib.sha256(encode(root, job, keys)).digest()
    return int.from_bytes(digest, "big") >> (256 - bits)


def check_seed_for(framework: str, seed: int) -> None:
    """Raise SeedRangeError when ``framework`` cannot take ``seed`` unchanged."""
    top = FRAMEWORK_SEED_MAX[framework]
    if not 0 <= seed <= top:
        raise SeedRangeError(f"must be an integer in 0..{top} for {framework}, got {seed}")
