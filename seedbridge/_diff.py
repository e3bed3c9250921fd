"""Comparing two output files exactly, in bounded memory: the comparison behind ``verify`` and ``rerun``.

The rules (stated for users in docs/ci.md, "How outputs are compared"):

* identical bytes match; anything else is compared as values when the suffix says NumPy (``.npy``,
  ``.npz``), JSON or CSV (``.csv``, ``.tsv``), and as bytes otherwise or when a file does not parse;
* integers are compared exactly, at any size: they never pass through a float;
* a difference in kind is a difference: integer vs decimal, number vs text, dtype, shape, memory
  order, array names, object keys, number of rows or items;
* decimals match when they are the same number: NaN matches NaN, ``0.0`` and ``-0.0`` differ (the
  sign of a zero changes what follows: ``1 / -0.0`` is ``-inf``); ``atol`` relaxes decimals only:
  ``|a - b| <= atol`` matches (so ``0.0`` and ``-0.0`` match under any ``atol > 0``), a NaN never
  matches a number. Decimal text is read as an IEEE double, as JSON readers do; a literal outside the
  double range (``1e400``) is kept as an exact decimal rather than rounded to infinity or zero;
* memory stays bounded: CSV rows and array elements are streamed a chunk at a time; a JSON file is held
  as text (up to ``JSON_TEXT_LIMIT``) and its containers are parsed into objects only when their text is
  at most ``JSON_WINDOW`` long, larger ones are walked element by element.

Only regular files are read (``seedbridge._files``): a FIFO or a device is refused without blocking.
NumPy is imported only to compare ``.npy``/``.npz`` files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from typing import IO, Any

from seedbridge._files import MiB, Refused, open_regular

__all__ = ["CSV_ROW_LIMIT", "JSON_TEXT_LIMIT", "JSON_WINDOW", "Comparison", "compare_files"]

CHUNK = MiB  # bytes read at a time, for the byte comparison and for array data
CSV_ROW_LIMIT = 4 * MiB  # characters in one CSV row; a longer row is compared as bytes
JSON_TEXT_LIMIT = 256 * MiB  # bytes of a JSON file compared as values; a larger file is compared as bytes
JSON_WINDOW = MiB  # characters of a JSON array or object parsed into objects at once


@dataclass(frozen=True)
class Comparison:
    """How file ``b`` compares with file ``a``."""

    match: bool  # identical bytes, or the same values (decimals within the tolerance)
    identical: bool  # identical bytes
    detail: str  # one line for people
    max_abs_diff: float | None = None  # the largest |a - b| of two decimals that are not the same number
    numeric_detail: str | None = None  # "max |Δ| = 0.25 at [3, 1]"


class _Unparsed(Exception):
    """The file cannot be compared as its format (not valid, or beyond a memory bound); ``str()`` says why."""


class _Acc:
    """What the walk found: the first exact difference (and how many), and the largest decimal |Δ|."""

    def __init__(self, atol: float) -> None:
        self.atol = atol
        self.first: str | None = None
        self.count = 0
        self.max = 0.0
        self.where: str | None = None

    def differ(self, what: str, n: int = 1) -> None:
        if self.first is None:
            self.first = what
        self.count += n

    def decimal(self, delta: float, where: Callable[[], str], x: object, y: object) -> None:
        """Record two decimals that are not the same number; ``delta`` is |x - y| (0.0 for 0.0 vs -0.0)."""
        if delta == 0.0:
            if self.atol == 0:
                self.differ(f"{where()}: {x!r} vs {y!r} (the sign of zero differs)")
        elif delta > self.max:
            self.max, self.where = delta, where()


# -- numbers ----------------------------------------------------------------------------------------

# Wide enough that subtracting two parsed decimals rounds only past the 60th digit, and never overflows.
_WIDE = Context(prec=60, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])


@dataclass(frozen=True)
class _BigInt:
    """An integer literal too long for ``int()`` (Python limits int/str conversion to 4300 digits by
    default, sys.set_int_max_str_digits): kept as its normalised decimal text."""

    text: str


def _normal_int(text: str) -> str:
    """Decimal integer text without a plus sign or leading zeros (``-0`` is ``0``)."""
    digits = text.lstrip("+-").lstrip("0")
    return ("-" if text.startswith("-") else "") + digits if digits else "0"


def _parse_int(text: str) -> int | _BigInt:
    try:
        return int(text)
    except ValueError:
        return _BigInt(_normal_int(text))


def _same_int(x: int | _BigInt, y: int | _BigInt) -> bool:
    if isinstance(x, int) and isinstance(y, int):
        return x == y
    # One side is beyond int(): an int that int() could build has fewer digits, so the texts differ.
    return isinstance(x, _BigInt) and isinstance(y, _BigInt) and x.text == y.text


_MANTISSA_NONZERO = re.compile(r"[^eE]*[1-9]")


def _parse_real(text: str) -> float | Decimal:
    """A decimal literal as the nearest double, unless it lies outside the double range: ``1e400`` would
    become inf and ``1e-400`` zero, so two different numbers would compare equal; those stay exact."""
    value = float(text)
    if (math.isinf(value) and not text.lstrip("+-")[:1].isalpha()) or (value == 0.0 and _MANTISSA_NONZERO.match(text)):
        return Decimal(text)  # a number, not the word inf or infinity
    return value


def _decimal_delta(x: float | Decimal, y: float | Decimal) -> float | None:
    """None when ``x`` and ``y`` are the same number (NaN matches NaN), else |x - y| as a float (inf
    when one is NaN; 0.0 for zeros of opposite sign)."""
    if isinstance(x, float) and isinstance(y, float):
        if x == y:
            return 0.0 if x == 0.0 and math.copysign(1.0, x) != math.copysign(1.0, y) else None
        if x != x or y != y:
            return None if x != x and y != y else math.inf
        return abs(x - y)  # inf when it overflows: larger than any tolerance, as it should be
    dx, dy = Decimal(x), Decimal(y)  # exact: Decimal(float) keeps every bit
    if dx.is_nan() or dy.is_nan():
        return None if dx.is_nan() and dy.is_nan() else math.inf
    if dx == dy:
        return 0.0 if dx.is_zero() and dx.is_signed() != dy.is_signed() else None
    return float(_WIDE.abs(_WIDE.subtract(dx, dy)))


def _show(value: object) -> str:
    if isinstance(value, (int, _BigInt)) and not isinstance(value, bool):
        text = value.text if isinstance(value, _BigInt) else str(value)
        # Long integers: both ends and the length, so two that differ in a late digit still look different.
        return text if len(text) <= 40 else f"{text[:16]}...{text[-16:]} ({len(text.lstrip('-'))} digits)"
    # json.dumps writes ASCII, so control characters and lone surrogates arrive escaped.
    text = str(value) if isinstance(value, Decimal) else json.dumps(value, default=_json_default)
    return text if len(text) <= 40 else text[:37] + "..."


def _json_default(value: object) -> object:
    """Numbers _EXACT keeps, inside a container being shown."""
    return float(value) if isinstance(value, Decimal) else value.text if isinstance(value, _BigInt) else str(value)


# -- JSON -------------------------------------------------------------------------------------------

# json's C scanner, twice: the plain one is fast; the exact one, used for containers parsed whole and to
# re-read the rare numbers the plain one cannot keep, calls back into Python for every number.
# scan_once is set by JSONDecoder.__init__ (json/decoder.py) but not declared in typeshed.
_Scan = Callable[[str, int], tuple[Any, int]]
_FAST: _Scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # (text, index) -> (value, end)
_EXACT: _Scan = json.JSONDecoder(parse_float=_parse_real, parse_int=_parse_int).scan_once  # type: ignore[attr-defined]
_RUN_END = re.compile(r'["\[\]{}]')  # where a run of numbers and literals ends
_RUN = 65536  # characters of numbers and literals parsed at once
_WS = re.compile(r"[ \t\n\r]*")
_AFTER_ITEM = re.compile(r"[ \t\n\r]*(?:(,)[ \t\n\r]*|([\]}]))")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPEN = ("[", "{")
_REORDER_KEYS = 100_000  # keys of one object indexed when its keys come in different orders


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, _BigInt)):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "decimal"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _member(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENTIFIER.fullmatch(key) else f"{path}[{json.dumps(key)}]"


# A place in the document: "$", or (parent place, key or index). Formatted only when a difference is
# reported, so walking a large document builds no text.
_Place = str | tuple[Any, str | int]


def _where(place: _Place) -> str:
    if isinstance(place, str):
        return place
    parent, key = place
    return f"{_where(parent)}[{key}]" if isinstance(key, int) else _member(_where(parent), key)


def _plainly_equal(x: object, y: object) -> bool:
    """True for two equal scalars whose equality needs no rule: same type, not a zero (sign) or a bool."""
    t = type(x)
    return t is type(y) and (t is str or t is int or (t is float and x != 0.0)) and x == y


def _leaf(x: object, y: object, place: _Place, acc: _Acc) -> None:
    kx, ky = _kind(x), _kind(y)
    if kx != ky:
        acc.differ(f"{_where(place)}: {kx} {_show(x)} vs {ky} {_show(y)}")
    elif kx == "integer":
        if not _same_int(x, y):  # type: ignore[arg-type]
            acc.differ(f"{_where(place)}: {_show(x)} vs {_show(y)}")
    elif kx == "decimal":
        delta = _decimal_delta(x, y)  # type: ignore[arg-type]
        if delta is not None:
            acc.decimal(delta, lambda: _where(place), x, y)
    elif x != y:
        acc.differ(f"{_where(place)}: {_show(x)} vs {_show(y)}")


def _walk(x: Any, y: Any, place: _Place, acc: _Acc) -> None:
    """Compare two parsed values (objects compare by key, in any order)."""
    if _plainly_equal(x, y):
        return
    if isinstance(x, dict) and isinstance(y, dict):
        if x.keys() != y.keys():
            only = sorted(set(x) ^ set(y))
            acc.differ(f"{_where(place)}: keys differ ({', '.join(json.dumps(k) for k in only[:3])})")
        for k in x:
            if k in y:
                _walk(x[k], y[k], (place, k), acc)
    elif isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            acc.differ(f"{_where(place)}: {len(x)} items vs {len(y)}")
        for i, (u, v) in enumerate(zip(x, y, strict=False)):
            _walk(u, v, (place, i), acc)
    else:
        _leaf(x, y, place, acc)


class _Cursor:
    """A read position in the text of a JSON document, kept at the next non-blank character."""

    def __init__(self, text: str, pos: int = 0) -> None:
        self.text = text
        self.pos = pos
        self._blank()

    def _blank(self) -> None:
        match = _WS.match(self.text, self.pos)
        assert match is not None  # the pattern matches the empty string
        self.pos = match.end()

    def char(self) -> str:
        return self.text[self.pos:self.pos + 1]

    def take(self, char: str) -> None:
        if self.char() != char:
            raise _Unparsed(f"expected {char!r} at offset {self.pos}")
        self.pos += 1
        self._blank()

    def scalar(self) -> Any:
        """The next value, which is not a container."""
        pos = self.pos
        try:
            value, end = _FAST(self.text, pos)
        except StopIteration:
            raise _Unparsed(f"expected a value at offset {pos}") from None
        except ValueError:  # an integer beyond int()'s digit limit, or not JSON (raised again below)
            value, end = _EXACT(self.text, pos)
        else:
            if type(value) is float and (value == 0.0 or math.isinf(value)):
                value, end = _EXACT(self.text, pos)  # maybe a literal outside the double range
        self.pos = end
        return value

    def small(self) -> tuple[bool, Any]:
        """(True, value) when the container here is at most JSON_WINDOW characters long, its numbers read
        as doubles (so 1e400 is inf: read its text with _EXACT to compare); (False, None), position
        unchanged, when it is longer. Tried on growing slices, so a large container costs at
        most about 1.3 JSON_WINDOW characters of scanning before it is walked item by item."""
        start, width = self.pos, 256
        while True:
            piece = self.text[start:start + width]
            try:
                try:
                    value, end = _FAST(piece, 0)  # a container ends with its bracket: never cut short
                except ValueError:  # perhaps an integer beyond int()'s digit limit
                    value, end = _EXACT(piece, 0)
            except (ValueError, StopIteration):
                if start + width >= len(self.text):
                    raise _Unparsed(f"not valid JSON after offset {start}") from None
                if width >= JSON_WINDOW:
                    return False, None
                width *= 4
                continue
            self.pos = start + end
            return True, value

    def scalars(self) -> list[Any]:
        """The items from here (a number or literal, in an array) up to the next string or container, at
        most _RUN characters of them, parsed at once; the cursor stops before the separator after them."""
        start = self.pos
        piece = self.text[start:start + _RUN]
        match = _RUN_END.search(piece)
        stop = match.start() if match else len(piece)
        # Up to the array's end, every item is complete; otherwise up to the last comma before the stop.
        cut = stop if match and piece[stop] == "]" else piece.rfind(",", 0, stop)
        if cut <= 0:
            return [self.scalar()]
        text = "[" + piece[:cut] + "]"
        try:
            values, _ = _FAST(text, 0)
            # A zero or an infinity may be a literal beyond the double range (1e-400, 1e400): read exactly.
            if 0.0 in values or math.inf in values or -math.inf in values:
                values, _ = _EXACT(text, 0)
        except (ValueError, StopIteration):
            return [self.scalar()]  # an integer beyond int()'s digit limit, or not JSON: one at a time
        self.pos = start + cut
        self._blank()
        return values  # type: ignore[no-any-return]

    def open(self, char: str) -> bool:
        """Consume ``[`` or ``{``; True when the container has items."""
        self.take(char)
        return self.char() != ("]" if char == "[" else "}")

    def after_item(self, close: str) -> bool:
        """Consume what follows an item: True after a comma, False at ``close`` (left unconsumed)."""
        match = _AFTER_ITEM.match(self.text, self.pos)
        if match is None or match.group(2) not in (None, close):
            raise _Unparsed(f"expected ',' or {close!r} at offset {self.pos}")
        if match.group(1):
            self.pos = match.end()
            if self.char() in ("]", "}"):
                raise _Unparsed(f"trailing comma at offset {self.pos}")
            return True
        self.pos = match.start(2)
        return False

    def key(self) -> str:
        if self.char() != '"':
            raise _Unparsed(f"expected a key at offset {self.pos}")
        key = self.scalar()
        self._blank()
        self.take(":")
        return str(key)

    def skip(self) -> None:
        """Pass over the next value without keeping it."""
        char = self.char()
        if char not in _OPEN:
            self.scalar()
            return
        if self.small()[0]:
            return
        close = "]" if char == "[" else "}"
        more = self.open(char)
        while more:
            if char == "{":
                self.key()
            self.skip()
            more = self.after_item(close)
        self.take(close)


def _json_pair(a: _Cursor, b: _Cursor, place: _Place, acc: _Acc) -> None:
    ca, cb = a.char(), b.char()
    if ca in _OPEN and ca == cb:
        start_a, start_b = a.pos, b.pos
        small_a, x = a.small()
        small_b, y = b.small()
        if small_a and small_b:
            text_a, text_b = a.text[start_a:a.pos], b.text[start_b:b.pos]
            if text_a != text_b:  # the same text holds the same values; else compare them, read exactly
                _walk(_EXACT(text_a, 0)[0], _EXACT(text_b, 0)[0], place, acc)
            return
        a.pos, b.pos = start_a, start_b  # at least one is large: walk both item by item
        (_json_array if ca == "[" else _json_object)(a, b, place, acc)
    elif ca in _OPEN or cb in _OPEN:
        kinds = {"[": "array", "{": "object"}
        acc.differ(f"{_where(place)}: {kinds.get(ca, 'not a container')} vs {kinds.get(cb, 'not a container')}")
        a.skip()
        b.skip()
    else:
        x, y = a.scalar(), b.scalar()
        if not _plainly_equal(x, y):
            _leaf(x, y, place, acc)


def _items(doc: _Cursor) -> Iterator[tuple[bool, Any]]:
    """The items of the array at ``doc``: (False, value) for a number, literal or string; (True, None) when
    the item is a container, which the caller reads from ``doc`` before asking for the next item."""
    more = doc.open("[")
    while more:
        if doc.char() in _OPEN:
            yield True, None
        elif doc.char() == '"':
            yield False, doc.scalar()
        else:
            for value in doc.scalars():
                yield False, value
        more = doc.after_item("]")
    doc.take("]")


def _json_array(a: _Cursor, b: _Cursor, place: _Place, acc: _Acc) -> None:
    items_a, items_b = _items(a), _items(b)
    i = 0
    while True:
        item_a, item_b = next(items_a, None), next(items_b, None)
        if item_a is None or item_b is None:
            break
        (open_a, x), (open_b, y) = item_a, item_b
        if open_a and open_b:
            _json_pair(a, b, (place, i), acc)
        elif open_a or open_b:
            inside, value = (a, y) if open_a else (b, x)
            kinds = ("array" if inside.char() == "[" else "object", f"{_kind(value)} {_show(value)}")
            acc.differ(f"{_where((place, i))}: {' vs '.join(kinds if open_a else kinds[::-1])}")
            inside.skip()
        elif not _plainly_equal(x, y):
            _leaf(x, y, (place, i), acc)
        i += 1
    extra = [0, 0]
    for n, (cursor, item, items) in enumerate(((a, item_a, items_a), (b, item_b, items_b))):
        while item is not None:
            if item[0]:
                cursor.skip()
            extra[n] += 1
            item = next(items, None)
    if extra != [0, 0]:
        acc.differ(f"{_where(place)}: {i + extra[0]} items vs {i + extra[1]}")


def _json_object(a: _Cursor, b: _Cursor, place: _Place, acc: _Acc) -> None:
    more_a, more_b = a.open("{"), b.open("{")
    while more_a and more_b:
        start_a, start_b = a.pos, b.pos
        ka, kb = a.key(), b.key()
        if ka != kb:
            a.pos, b.pos = start_a, start_b
            break
        _json_pair(a, b, (place, ka), acc)
        more_a, more_b = a.after_item("}"), b.after_item("}")
    if more_a or more_b:
        # Keys in another order, or other keys: compare the rest by key, from where each value starts.
        at_a, at_b = _value_positions(a, more_a), _value_positions(b, more_b)
        if at_a.keys() != at_b.keys():
            only = sorted(set(at_a) ^ set(at_b))
            acc.differ(f"{_where(place)}: keys differ ({', '.join(json.dumps(k) for k in only[:3])})")
        for key, pos in at_a.items():
            if key in at_b:
                _json_pair(_Cursor(a.text, pos), _Cursor(b.text, at_b[key]), (place, key), acc)
    a.take("}")
    b.take("}")


def _value_positions(doc: _Cursor, more: bool) -> dict[str, int]:
    """Key -> where its value starts, for the members left in the object at ``doc`` (read past them)."""
    out: dict[str, int] = {}
    while more:
        key = doc.key()
        out[key] = doc.pos
        if len(out) > _REORDER_KEYS:
            raise _Unparsed(f"an object has more than {_REORDER_KEYS} keys in another order")
        doc.skip()
        more = doc.after_item("}")
    return out


def _json_diff(fa: IO[bytes], fb: IO[bytes], acc: _Acc) -> None:
    texts = []
    for fh in (fa, fb):
        data = fh.read(JSON_TEXT_LIMIT + 1)
        if len(data) > JSON_TEXT_LIMIT:
            raise _Unparsed(f"larger than {JSON_TEXT_LIMIT // MiB} MiB, the limit for comparing JSON as values")
        texts.append(data.decode("utf-8"))
        del data
    a, b = _Cursor(texts[0]), _Cursor(texts[1])
    _json_pair(a, b, "$", acc)
    for doc in (a, b):
        doc._blank()
        if doc.char():
            raise _Unparsed(f"extra data after the JSON value at offset {doc.pos}")


# -- CSV --------------------------------------------------------------------------------------------

_CSV_INT = re.compile(r"[+-]?[0-9]+")
_CSV_REAL = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE)


class _BoundedLines:
    """Lines of a text file for csv.reader, refusing rows longer than CSV_ROW_LIMIT characters (one line
    of a 20 MB file would otherwise be split into millions of cells at once)."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.used = 0  # characters of the row being read; reset by the caller after each row

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.text.readline(CSV_ROW_LIMIT + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > CSV_ROW_LIMIT:
            raise _Unparsed(f"a row is longer than {CSV_ROW_LIMIT // MiB} MiB")
        return line


def _rows(text: IO[str], delimiter: str) -> Iterator[list[str]]:
    lines = _BoundedLines(text)
    for row in csv.reader(lines, delimiter=delimiter, strict=True):
        lines.used = 0
        yield row


def _cell(u: str, v: str, r: int, c: int, acc: _Acc) -> None:
    def where() -> str:
        return f"row {r}, column {c}"

    ku = "integer" if _CSV_INT.fullmatch(u) else "decimal" if _CSV_REAL.fullmatch(u) else "text"
    kv = "integer" if _CSV_INT.fullmatch(v) else "decimal" if _CSV_REAL.fullmatch(v) else "text"
    if ku != kv:
        acc.differ(f"{where()}: {ku} {u[:30]!r} vs {kv} {v[:30]!r}")
    elif ku == "integer":
        if _normal_int(u) != _normal_int(v):
            acc.differ(f"{where()}: {u[:30]!r} vs {v[:30]!r}")
    elif ku == "decimal":
        x, y = _parse_real(u), _parse_real(v)
        delta = _decimal_delta(x, y)
        if delta is not None:
            acc.decimal(delta, where, u, v)
    else:
        acc.differ(f"{where()}: {u[:30]!r} vs {v[:30]!r}")


def _csv_diff(fa: IO[bytes], fb: IO[bytes], acc: _Acc, delimiter: str) -> None:
    texts = [io.TextIOWrapper(fh, encoding="utf-8", newline="") for fh in (fa, fb)]
    try:
        _csv_rows_diff(_rows(texts[0], delimiter), _rows(texts[1], delimiter), acc)
    finally:
        for text in texts:
            text.detach()  # the caller closes the files


def _csv_rows_diff(rows_a: Iterator[list[str]], rows_b: Iterator[list[str]], acc: _Acc) -> None:
    r = 0
    while True:
        ra, rb = next(rows_a, None), next(rows_b, None)
        if ra is None or rb is None:
            break
        r += 1
        if len(ra) != len(rb):
            acc.differ(f"row {r}: {len(ra)} columns vs {len(rb)}")
        for c, (u, v) in enumerate(zip(ra, rb, strict=False), start=1):
            if u != v:
                _cell(u, v, r, c, acc)
    extra_a = 0 if ra is None else 1 + sum(1 for _ in rows_a)
    extra_b = 0 if rb is None else 1 + sum(1 for _ in rows_b)
    if extra_a or extra_b:
        acc.differ(f"{r + extra_a} rows vs {r + extra_b}")


# -- NumPy ------------------------------------------------------------------------------------------


class _Array:
    """The header of an array in ``.npy`` format, and its elements read a chunk at a time."""

    def __init__(self, fh: IO[bytes]) -> None:
        import numpy as np

        fmt = np.lib.format
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise _Unparsed(f"npy format version {version[0]}.{version[1]} is compared as bytes")
        if dtype.hasobject:
            raise _Unparsed("the array holds Python objects (pickles), which are never loaded")
        self.fh, self.shape, self.fortran, self.dtype = fh, tuple(shape), bool(fortran), dtype
        self.size = math.prod(self.shape)

    def chunks(self) -> Iterator[Any]:
        import numpy as np

        itemsize = self.dtype.itemsize
        per = max(1, CHUNK // max(itemsize, 1))
        left = self.size if itemsize else 0  # zero-width items (dtype "S0") hold nothing to compare
        while left:
            n = min(per, left)
            data = _read_exactly(self.fh, n * itemsize)
            if len(data) < n * itemsize:
                raise _Unparsed("the array data ends early")
            yield np.frombuffer(data, dtype=self.dtype, count=n)
            left -= n

    def where(self, label: str, flat: int) -> str:
        import numpy as np

        if not self.shape:
            return label or "the value"
        at = np.unravel_index(flat, self.shape, order="F" if self.fortran else "C")
        return f"{label}[{', '.join(str(int(k)) for k in at)}]"


def _read_exactly(fh: IO[bytes], n: int) -> bytes:
    parts = []
    while n > 0:
        part = fh.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def _array_pair(fa: IO[bytes], fb: IO[bytes], label: str, acc: _Acc) -> None:
    a, b = _Array(fa), _Array(fb)
    name = f"{label}: " if label else ""
    if a.shape != b.shape:
        acc.differ(f"{name}shape {a.shape} vs {b.shape}")
    elif a.dtype != b.dtype:
        acc.differ(f"{name}dtype {a.dtype.str} vs {b.dtype.str}")
    elif a.fortran != b.fortran:
        acc.differ(f"{name}memory order {'Fortran' if a.fortran else 'C'} vs {'Fortran' if b.fortran else 'C'}")
    else:
        base = 0
        for x, y in zip(a.chunks(), b.chunks(), strict=True):
            _elements(x, y, base, a, label, acc)
            base += len(x)


def _elements(x: Any, y: Any, base: int, array: _Array, label: str, acc: _Acc) -> None:
    """Compare one chunk of elements (same dtype); ``base`` is the flat index of the first one."""
    import numpy as np

    kind = x.dtype.kind
    parts = 1
    if kind == "c":  # each complex number as its real and imaginary parts, so a NaN part is seen as one
        part_dtype = np.dtype(f"{x.dtype.byteorder}f{x.dtype.itemsize // 2}")
        x, y, parts = x.view(part_dtype), y.view(part_dtype), 2

    def where(k: int) -> str:
        place = array.where(label, base + k // parts)
        return place + ("" if parts == 1 else (" (real part)", " (imaginary part)")[k % 2])

    if kind in "fc":
        with np.errstate(all="ignore"):
            equal = x == y
            differ = ~(equal | (np.isnan(x) & np.isnan(y)))
            if acc.atol == 0:
                signs = np.flatnonzero(equal & (x == 0) & (np.signbit(x) != np.signbit(y)))
                if signs.size:
                    k = int(signs[0])
                    acc.differ(f"{where(k)}: {x[k].item()!r} vs {y[k].item()!r} (the sign of zero differs)",
                               n=int(signs.size))
            idx = np.flatnonzero(differ)
            if idx.size:
                wide = np.longdouble if x.dtype.itemsize > 8 else np.float64
                delta = np.abs(x[idx].astype(wide) - y[idx].astype(wide))
                delta[np.isnan(delta)] = np.inf
                j = int(np.argmax(delta))
                k = int(idx[j])
                acc.decimal(float(delta[j]), lambda: where(k), x[k].item(), y[k].item())
        return
    if kind in "mM":  # NaT, like NaN, matches NaT
        differ = (x != y) & ~(np.isnat(x) & np.isnat(y))
    else:  # integers and booleans exactly; text and records element by element
        differ = x != y
        if not isinstance(differ, np.ndarray):  # records NumPy cannot compare with !=: by their bytes
            width = x.dtype.itemsize
            differ = (x.view(np.uint8).reshape(-1, width) != y.view(np.uint8).reshape(-1, width)).any(axis=1)
    idx = np.flatnonzero(differ)
    if idx.size:
        k = int(idx[0])
        acc.differ(f"{where(k)}: {_show_element(x[k])} vs {_show_element(y[k])}", n=int(idx.size))


def _show_element(value: Any) -> str:
    text = repr(value.item()) if hasattr(value, "item") else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _npz_diff(fa: IO[bytes], fb: IO[bytes], acc: _Acc) -> None:
    with zipfile.ZipFile(fa) as za, zipfile.ZipFile(fb) as zb:
        names_a, names_b = set(za.namelist()), set(zb.namelist())
        if names_a != names_b:
            show = [sorted(n.removesuffix(".npy") for n in names) for names in (names_a, names_b)]
            acc.differ(f"arrays differ: {show[0]} vs {show[1]}")
        for member in sorted(names_a & names_b):
            with za.open(member) as ma, zb.open(member) as mb:
                if member.endswith(".npy"):
                    _array_pair(ma, mb, member.removesuffix(".npy"), acc)
                elif _first_difference(ma, mb) is not None:
                    acc.differ(f"{member}: bytes differ")


# -- the comparison ---------------------------------------------------------------------------------


def _first_difference(fa: IO[bytes], fb: IO[bytes]) -> int | None:
    """Offset of the first byte that differs (or where one stream ends), None when identical."""
    offset = 0
    while True:
        ca, cb = _read_exactly(fa, CHUNK), _read_exactly(fb, CHUNK)
        if ca != cb:
            lo, hi = 0, min(len(ca), len(cb))
            while lo < hi:  # the longest common prefix, by halving
                mid = (lo + hi + 1) // 2
                if ca[:mid] == cb[:mid]:
                    lo = mid
                else:
                    hi = mid - 1
            return offset + lo
        if not ca:
            return None
        offset += len(ca)


_PARSERS: dict[str, Callable[[IO[bytes], IO[bytes], _Acc], None]] = {
    ".npy": lambda fa, fb, acc: _array_pair(fa, fb, "", acc),
    ".npz": _npz_diff,
    ".json": _json_diff,
    ".csv": lambda fa, fb, acc: _csv_diff(fa, fb, acc, ","),
    ".tsv": lambda fa, fb, acc: _csv_diff(fa, fb, acc, "\t"),
}
# What a file that does not parse as its suffix says may raise while it is read.
_NOT_PARSED = (_Unparsed, ValueError, EOFError, OSError, csv.Error, zipfile.BadZipFile, zlib.error,
               NotImplementedError, RecursionError)


def compare_files(a: str | os.PathLike[str], b: str | os.PathLike[str], *, atol: float = 0.0,
                  name: str | None = None) -> Comparison:
    """Compare ``b`` with ``a`` by the rules in the module docstring; the format comes from the suffix of
    ``name`` (default: ``a``). A path that is not a regular file gives a non-matching Comparison that
    says why; nothing blocks."""
    opened: list[IO[bytes]] = []

    def reopen(path: str | os.PathLike[str]) -> IO[bytes]:
        fh = open_regular(path)
        opened.append(fh)
        return fh

    try:
        try:
            fa, fb = reopen(a), reopen(b)
        except Refused as exc:
            which = a if len(opened) == 0 else b
            return Comparison(False, False, f"{os.fspath(which)}: {exc}")
        offset = _first_difference(fa, fb)
        if offset is None:
            return Comparison(True, True, "identical")
        size_a, size_b = os.fstat(fa.fileno()).st_size, os.fstat(fb.fileno()).st_size
        byte_detail = f"bytes differ from offset {offset} ({size_a} vs {size_b} bytes)"
        parser = _PARSERS.get(os.path.splitext(name or os.fspath(a))[1].lower())
        if parser is None:
            return Comparison(False, False, byte_detail)
        acc = _Acc(atol)
        try:
            for fh in (fa, fb):
                fh.seek(0)
            parser(fa, fb, acc)
        except _NOT_PARSED as exc:
            reason = f": {exc}" if isinstance(exc, _Unparsed) else ""
            return Comparison(False, False, byte_detail + reason)
    finally:
        for fh in opened:
            fh.close()
    numeric = f"max |Δ| = {acc.max:.6g} at {acc.where}" if acc.where else None
    largest = acc.max if acc.where else None
    if acc.first is not None:
        more = f" ({acc.count} differences)" if acc.count > 1 else ""
        return Comparison(False, False, f"differs: {acc.first}{more}" + (f"; {numeric}" if numeric else ""),
                          largest, numeric)
    if numeric is None:
        return Comparison(True, False, f"same values, different bytes ({byte_detail})", None, None)
    if acc.max <= atol:
        return Comparison(True, False, f"within tolerance: {numeric} <= {atol:g}", largest, numeric)
    return Comparison(False, False, f"differs: {numeric}", largest, numeric)
