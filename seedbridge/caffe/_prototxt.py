"""A parser of protobuf text format that keeps offsets, so an edit can splice the original text.

Stdlib only. It checks the grammar of the whole text (nested messages included) in one pass over the
tokens and records, with their offsets, the fields of the top level and of the messages directly inside
it; deeper messages are checked and skipped. Nothing is rebuilt from the parse: an edit replaces a span
of the original string, so comments, blank lines, order, spacing and line endings stay byte for byte.

Tokens follow protobuf's text format: ``#`` comments to the end of the line (not inside strings), quoted
strings (adjacent ones concatenate), identifiers, numbers (``-`` attached, ``0x`` hex, ``1e-8``, ``1.0f``)
and the symbols ``{ } < > [ ] : , ;``.
"""

from __future__ import annotations

import bisect
import re

__all__ = ["MAX_DEPTH", "Document", "Field", "Lines", "PrototxtError", "Value", "parse"]

# Deeper nesting is refused rather than risking Python's recursion limit (three frames per level).
MAX_DEPTH = 100

_TOKEN = re.compile(
    r"""
      (?P<ws>[ \t\r\n\f\v]+)
    | (?P<comment>\#[^\n]*)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>-?(?:[0-9]|\.[0-9])[0-9A-Za-z_.+-]*|-[A-Za-z_][A-Za-z0-9_]*)
    | (?P<string>"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')
    | (?P<symbol>[{}<>\[\]:,;])
    | (?P<bad>[\s\S])
    """,
    re.VERBOSE,
)
_CLOSE = {"{": "}", "<": ">"}
# Layer types whose data order random_seed does not control (see docs/frameworks/caffe.md).
_HDF5_TYPES = frozenset({'"HDF5Data"', "'HDF5Data'", "HDF5_DATA"})


class PrototxtError(Exception):
    """The text is not protobuf text format; ``offset`` is where the parser stopped."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class Value:
    """One value: a scalar token (strings: one or more adjacent ones) or a message ``{ ... }``."""

    __slots__ = ("end", "fields", "kind", "start", "text", "token")

    def __init__(self, kind: str, start: int, end: int, text: str, token: str,
                 fields: list[Field] | None = None) -> None:
        self.kind = kind  # "scalar" or "message"
        self.start = start  # offset of the first character (a message: its opening brace)
        self.end = end  # offset after the last character (a message: after its closing brace)
        self.text = text  # the source text of a scalar; "{...}" for a message
        self.token = token  # "ident", "number", "string" or "message"
        self.fields = fields  # a message's fields, when recorded


class Field:
    """``name: value``, ``name { ... }`` or ``name: [v, ...]`` with offsets into the text."""

    __slots__ = ("end", "is_list", "name", "start", "values")

    def __init__(self, name: str, start: int, end: int, values: list[Value], is_list: bool) -> None:
        self.name = name
        self.start = start  # offset of the name
        self.end = end  # offset after the value and its optional "," or ";"
        self.values = values
        self.is_list = is_list


class Document:
    """A parsed text: its top-level fields and where HDF5Data layers appear."""

    __slots__ = ("fields", "hdf5", "text")

    def __init__(self, text: str, fields: list[Field], hdf5: list[int]) -> None:
        self.text = text
        self.fields = fields
        self.hdf5 = hdf5


class Lines:
    """1-based line and column of an offset (the newline index is built on first use)."""

    __slots__ = ("_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    def at(self, offset: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1


def parse(text: str) -> Document:
    """Parse ``text``; raise PrototxtError at the first place it breaks the grammar."""
    parser = _Parser(text)
    fields = parser.message(0, None, -1, True)
    assert fields is not None
    return Document(text, fields, parser.hdf5)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.hdf5: list[int] = []
        self._tokens = _TOKEN.finditer(text)
        self.kind = ""
        self.tok = ""
        self.start = self.end = self.prev_end = 0
        self.advance()

    def advance(self) -> None:
        self.prev_end = self.end
        for m in self._tokens:
            kind = m.lastgroup
            if kind == "ws" or kind == "comment":
                continue
            self.kind, self.tok, self.start, self.end = kind or "", m.group(), m.start(), m.end()
            if kind == "bad":
                if self.tok in "\"'":
                    raise PrototxtError("unterminated string: a quoted string must end on the same line",
                                        self.start)
                raise PrototxtError(f"unexpected character {self.tok!r}", self.start)
            return
        self.kind, self.tok, self.start = "eof", "", len(self.text)
        self.end = self.start

    def describe(self) -> str:
        return "the end of the file" if self.kind == "eof" else repr(self.tok)

    def message(self, depth: int, close: str | None, opened: int, record: bool) -> list[Field] | None:
        """Fields up to ``close`` (the end of the text at the top level); stops on the closing token."""
        fields: list[Field] | None = [] if record else None
        while True:
            if self.kind == "ident":
                field = self.field(depth, record)
                if fields is not None and field is not None:
                    fields.append(field)
            elif (self.kind == "symbol" and self.tok == close) or (self.kind == "eof" and close is None):
                return fields
            elif self.kind == "eof":
                raise PrototxtError(f"unclosed {'{' if close == '}' else '<'}: the file ends before its {close!r}",
                                    opened)
            elif self.kind == "symbol" and self.tok == "[":
                raise PrototxtError("extension and Any fields ([name]) are not supported in a solver", self.start)
            else:
                raise PrototxtError(f"expected a field name, got {self.describe()}", self.start)

    def field(self, depth: int, record: bool) -> Field | None:
        name, start = self.tok, self.start
        self.advance()
        colon = self.kind == "symbol" and self.tok == ":"
        if colon:
            self.advance()
        values: list[Value] = []
        is_list = self.kind == "symbol" and self.tok == "["
        if is_list:
            self.advance()
            if not (self.kind == "symbol" and self.tok == "]"):
                while True:
                    value = self.value(name, depth, record, colon)
                    if value is not None:
                        values.append(value)
                    if self.kind == "symbol" and self.tok == "]":
                        break
                    if not (self.kind == "symbol" and self.tok == ","):
                        raise PrototxtError(f"expected ',' or ']' in the list of {name}, got {self.describe()}",
                                            self.start)
                    self.advance()
            self.advance()
        else:
            value = self.value(name, depth, record, colon)
            if value is not None:
                values.append(value)
        if self.kind == "symbol" and self.tok in ",;":
            self.advance()
        if not record:
            return None
        return Field(name, start, self.prev_end, values, is_list)

    def value(self, name: str, depth: int, record: bool, colon: bool) -> Value | None:
        start = self.start
        if self.kind == "symbol" and self.tok in _CLOSE:
            if depth + 1 > MAX_DEPTH:
                raise PrototxtError(f"messages nested deeper than {MAX_DEPTH} levels are not supported", start)
            close = _CLOSE[self.tok]
            self.advance()
            # Fields are recorded for the top level and the messages directly inside it.
            fields = self.message(depth + 1, close, start, record and depth == 0)
            self.advance()  # the closing token
            return Value("message", start, self.prev_end, "{...}", "message", fields) if record else None
        if not colon:
            raise PrototxtError(f"expected ':' after the field name {name!r}, got {self.describe()}", self.start)
        kind = self.kind
        if kind == "ident" or kind == "number":
            if name == "type" and self.tok in _HDF5_TYPES:
                self.hdf5.append(start)
            text = self.tok
            self.advance()
        elif kind == "string":
            if name == "type" and self.tok in _HDF5_TYPES:
                self.hdf5.append(start)
            while self.kind == "string":  # adjacent strings concatenate
                self.advance()
            text = self.text[start:self.prev_end]
        else:
            raise PrototxtError(f"expected a value for {name!r}, got {self.describe()}", self.start)
        return Value("scalar", start, self.prev_end, text, kind) if record else None
