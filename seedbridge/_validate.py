"""Check a node tree against the manifest rules of ``manifest_schema.json``.

One walk serves a file (nodes from ``_yaml.read``) and a Manifest built in Python (nodes from
``_yaml.from_data`` of its plain data). r-package/R/manifest.R walks the same data the same way, in
the same order, with the same messages; tests/conformance keeps the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator

from seedbridge import _schema
from seedbridge._yaml import Node
from seedbridge.errors import Problem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["INVALID", "Walker", "describe", "join", "show_text"]


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_CLIP = 60  # longer text is shown cut to its first 40 characters
_SURROGATE = re.compile("[\ud800-\udfff]")
_TYPED = ("int", "float", "bool", "null", "timestamp", "na", "merge")
# The keys of each mapping spec that have checks across keys (only_when, required_when, ranges_from).
_CROSS_KEYS = {name: [key for key, kspec in spec.get("keys", {}).items()
                      if {"only_when", "required_when", "ranges_from"} & kspec.keys()]
               for name, spec in _schema.DATA["fields"].items()}


def _escape(text: str) -> str:
    control = _schema.pattern("control")
    out = []
    for c in text:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif control.fullmatch(c):  # as repr and the CLI's tables write them (seedbridge/_text.py)
            out.append(f"\\x{ord(c):02x}")
        elif "\ud800" <= c <= "\udfff":  # a lone surrogate (a Manifest built in Python): no stream can print it
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def show_text(text: str) -> str:
    """Text as messages show it: double-quoted, escaped, cut when long."""
    if len(text) <= _CLIP:
        return f'"{_escape(text)}"'
    return f'"{_escape(text[:40])}..." ({len(text)} characters)'


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else f"{text[:40]}... ({len(text)} characters)"


def describe(node: Node) -> str:
    """What a node is, for messages: ``text "x"``, ``a boolean yes``, ``a mapping``..."""
    kind, text = node.kind, _clip(node.text)
    return {
        "str": f"text {show_text(node.text)}",
        "int": f"an integer {text}",
        "float": f"a number {text}",
        "bool": f"a boolean {text}",
        "null": "null",
        "timestamp": f"a timestamp {text}",
        "na": f"R's NA ({text})",
        "merge": f"a merge key {text}",
        "map": "a mapping",
        "seq": "a list",
    }.get(kind, "a value of a YAML type seedbridge does not read")


def _quote_hint(node: Node) -> str:
    # A scalar YAML typed as something else: say how to make it text.
    return f"; quote it as {show_text(node.text)}" if node.kind in _TYPED and node.text else ""


def join(base: str, key: str, *, known: bool = False) -> str:
    """A field path: ``jobs.train.seed``; a key that is not a plain word (nor a schema key) is quoted."""
    shown = key if known or _PLAIN_KEY.fullmatch(key) else show_text(key)
    return f"{base}.{shown}" if base else shown


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbours as one edit (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def suggest(key: str, choices: list[str]) -> str:
    """``; did you mean "x"?`` for the closest choice (at most 2 edits, and 1 per 3 characters)."""
    best = min(choices, key=lambda c: _distance(key, c), default=None)
    if best is None:
        return ""
    d = _distance(key, best)
    return f"; did you mean {show_text(best)}?" if d <= 2 and 3 * d <= len(key) else ""


def parse_integer(text: str) -> int | None:
    """Decimal or 0x hex text (sign allowed) as an int; None when it has more than 40 digits, which
    is out of every range (and keeps a 5000-digit number from costing anything)."""
    negative = text.startswith("-")
    body = text.lstrip("+-")
    hexa = body.startswith("0x")
    # Leading zeros are dropped first: int() refuses decimal text of more than 4300 digits, zeros included.
    digits = (body[2:] if hexa else body).lstrip("0") or "0"
    if len(digits) > 40:
        return None
    value = int(digits, 16 if hexa else 10)
    return -value if negative else value


def _is_date(y: int, m: int, d: int) -> bool:
    if not 1 <= m <= 12 or d < 1:
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return d <= (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[m - 1]


def valid_timestamp(text: str) -> bool:
    """ISO 8601 date or date and time (``2026-11-26``, ``2026-11-26T08:00:00Z``), a real calendar date."""
    m = _schema.pattern("timestamp").fullmatch(text)
    if m is None:
        return False
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not _is_date(y, mo, d):
        return False
    if m.group(4) is not None and (int(m.group(5)) > 23 or int(m.group(6)) > 59 or int(m.group(7)) > 59):
        return False
    return not (m.group(10) is not None and (int(m.group(10)) > 23 or int(m.group(11)) > 59))


class Walker:
    """Walks nodes with the schema, collecting every problem (file, line, field, rule, message)."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def bad(self, node: Node | None, field: str, rule: str, **values: str) -> None:
        message = _schema.RULES[rule].format(**values)
        line = node.line if node is not None else None
        self.problems.append(Problem(message, file=self.file, line=line, field=field or None, rule=rule))

    # -- the document -------------------------------------------------------------------------

    def manifest(self, root: Node) -> dict[str, Any]:
        """The manifest's values (schema, derivation, root, jobs), valid only when no problem was found."""
        out = self.map(root, "", "manifest")
        return out if out is not INVALID else {}

    def spec(self, name: str) -> Any:
        return _schema.DATA["fields"][name]

    def value(self, node: Node, field: str, spec: Any) -> Any:
        kind = spec["type"]
        if kind == "map":
            return self.map(node, field, spec["spec"])
        return getattr(self, "check_" + kind)(node, field, spec)

    def map(self, node: Node, field: str, spec_name: str) -> Any:
        spec = self.spec(spec_name)
        if node.kind == "null" and spec.get("null_is_empty"):
            return {}
        if node.kind != "map":
            self.bad(node, field or "(top level)", "not-mapping", got=describe(node))
            return INVALID
        keys: dict[str, Any] = spec["keys"]
        present: dict[str, tuple[Node, Node]] = {}
        for key, kfield, knode, vnode in self.text_entries(node, field, keys):
            if key not in keys:
                self.bad(knode, kfield, "unknown-key", hint=suggest(key, list(keys)), allowed=", ".join(keys))
                continue
            present[key] = (knode, vnode)
        out: dict[str, Any] = {}
        for key, kspec in keys.items():
            kfield = join(field, key, known=True)
            if key in present:
                value = self.value(present[key][1], kfield, kspec)
                if value is not INVALID:
                    out[key] = value
            elif kspec.get("required"):
                self.bad(node, kfield, "missing-key")
        if _CROSS_KEYS[spec_name]:
            self.cross_checks(node, field, keys, _CROSS_KEYS[spec_name], present, out)
        return out

    def text_entries(self, node: Node, field: str, known: Container[str] = ()) -> Iterator[tuple[str, str, Node, Node]]:
        """(key, field, key node, value node) of each entry of mapping ``node`` with a new text key,
        after reporting the others; lazily, so that the caller's problems keep the document order."""
        seen: set[str] = set()
        for knode, vnode in node.pairs:
            if knode.kind != "str":
                self.key_not_text(knode, field)
                continue
            kfield = join(field, knode.text, known=knode.text in known)
            if knode.text in seen:
                self.bad(knode, kfield, "duplicate-key")
                continue
            seen.add(knode.text)
            yield knode.text, kfield, knode, vnode

    def key_not_text(self, knode: Node, field: str) -> None:
        # A scalar key is named in the path; a mapping or list used as a key is not (R's yaml, which
        # turns keys into names, cannot tell which of the two it was).
        if knode.shape == "scalar":
            self.bad(knode, join(field, knode.text), "key-not-text", got=describe(knode), hint=_quote_hint(knode))
        else:
            self.bad(knode, field or "(top level)", "key-not-text", got="a mapping or list", hint="")

    def cross_checks(self, node: Node, field: str, keys: dict[str, Any], cross_keys: list[str],
                     present: dict[str, tuple[Node, Node]], out: dict[str, Any]) -> None:
        for key in cross_keys:
            kspec = keys[key]
            kfield = join(field, key, known=True)
            for rule, cond in (("only-when", kspec.get("only_when")), ("required-when", kspec.get("required_when"))):
                if cond is None:
                    continue
                other = cond["key"]
                if other in present and other not in out:
                    continue  # the other field is wrong already: one problem per mistake
                actual = out.get(other, keys[other].get("default"))
                if rule == "only-when" and key in present and actual != cond["value"]:
                    self.bad(present[key][1], kfield, rule, other=other, required=cond["value"], actual=actual)
                if rule == "required-when" and key not in present and actual == cond["value"]:
                    self.bad(present[other][1] if other in present else node, kfield, rule, other=other,
                             value=cond["value"])
            source = kspec.get("ranges_from")
            if source is not None and key in out and source in out:
                for target in out[source]:
                    top = _schema.TARGET_MAX.get(target)
                    if top is not None and out[key] > top:
                        self.bad(present[key][1], kfield, "pin-out-of-range", max=str(top), target=target,
                                 value=str(out[key]))

    def check_jobs(self, node: Node, field: str, spec: Any) -> Any:
        if node.kind == "null":
            return []  # `jobs:` with nothing under it: no jobs yet
        if node.kind != "map":
            self.bad(node, field, "not-mapping", got=describe(node))
            return INVALID
        jobs: list[tuple[str, dict[str, Any]]] = []
        for name, kfield, knode, vnode in self.text_entries(node, field):
            if self.name_problem(knode, kfield, name):
                continue
            job = self.map(vnode, kfield, spec["spec"])
            if job is not INVALID:
                jobs.append((name, job))
        return jobs

    def unwritable(self, node: Node, field: str, text: str) -> bool:
        """Text no manifest file can hold: a NUL or a lone surrogate. A file never gives such text (it is
        refused before the walk); a Manifest built in Python may, and ``save`` must not write it."""
        if "\0" in text:
            self.bad(node, field, "nul-character")
            return True
        if _SURROGATE.search(text):
            self.bad(node, field, "not-utf8")
            return True
        return False

    def name_problem(self, node: Node, field: str, text: str) -> bool:
        """Names (job names, solver paths) are non-empty text without control characters."""
        if self.unwritable(node, field, text):
            return True
        if text == "":
            self.bad(node, field, "empty-text")
            return True
        if _schema.pattern("control").search(text):
            self.bad(node, field, "control-character", value=show_text(text))
            return True
        return False

    # -- scalars ------------------------------------------------------------------------------

    def check_text(self, node: Node, field: str, spec: Any) -> Any:
        if node.kind != "str":
            self.bad(node, field, "not-text", got=describe(node), hint=_quote_hint(node))
            return INVALID
        text = node.text
        if self.unwritable(node, field, text):
            return INVALID
        if "one_of" in spec and text not in spec["one_of"]:
            self.bad(node, field, "not-one-of", choices=", ".join(spec["one_of"]), value=show_text(text))
            return INVALID
        if "pattern" in spec and not _schema.pattern(spec["pattern"]).fullmatch(text):
            self.bad(node, field, spec["pattern_rule"], value=show_text(text))
            return INVALID
        return text

    def check_name(self, node: Node, field: str, spec: Any) -> Any:
        text = self.check_text(node, field, spec)
        if text is INVALID or self.name_problem(node, field, text):
            return INVALID
        return text

    def check_integer(self, node: Node, field: str, spec: Any) -> Any:
        value = self.integer_of(node, field)
        if value is INVALID:
            return INVALID
        if value not in spec["one_of"]:
            self.bad(node, field, "not-one-of", choices=", ".join(map(str, spec["one_of"])), value=_clip(node.text))
            return INVALID
        return value

    def integer_of(self, node: Node, field: str) -> Any:
        """A YAML integer written in decimal or 0x hex (None when too long to be in any range)."""
        ok = node.kind == "int" and (_schema.pattern("decimal").fullmatch(node.text)
                                     or _schema.pattern("hex").fullmatch(node.text))
        if not ok:
            hint = "; write it in plain decimal" if node.kind == "int" else ""
            self.bad(node, field, "not-integer", got=describe(node), hint=hint)
            return INVALID
        return parse_integer(node.text)

    def check_pin(self, node: Node, field: str, spec: Any) -> Any:
        if node.kind == "str":
            if not _schema.pattern("text_integer").fullmatch(node.text):
                self.bad(node, field, "not-integer", got=describe(node), hint="")
                return INVALID
            value = parse_integer(node.text)
        else:
            value = self.integer_of(node, field)
            if value is INVALID:
                return INVALID
        if value is None or not 0 <= value <= _schema.PIN_MAX:
            self.bad(node, field, "seed-out-of-range", value=_clip(node.text))
            return INVALID
        if node.kind == "int" and value > _schema.PLAIN_INTEGER_MAX:
            self.bad(node, field, "wide-integer", max=str(_schema.PLAIN_INTEGER_MAX), hex=f"0x{value:x}",
                     value=_clip(node.text))
            return INVALID
        return value

    def check_entropy(self, node: Node, field: str, spec: Any) -> Any:
        if node.kind == "str" and _schema.pattern("entropy").fullmatch(node.text):
            return int(node.text, 16)
        self.bad(node, field, "entropy-format", got=describe(node))
        return INVALID

    def check_timestamp(self, node: Node, field: str, spec: Any) -> Any:
        if node.kind in ("str", "timestamp") and valid_timestamp(node.text):
            return node.text
        self.bad(node, field, "bad-timestamp", got=describe(node))
        return INVALID

    def check_list(self, node: Node, field: str, spec: Any) -> Any:
        if node.kind != "seq":
            self.bad(node, field, "not-list", example=spec["example"], got=describe(node))
            return INVALID
        out: list[Any] = []
        for item in node.items:
            value = self.value(item, field, spec["item"])
            if value is INVALID:
                continue
            if spec.get("unique") and value in out:
                self.bad(item, field, "duplicate-item", value=show_text(value))
                continue
            out.append(value)
        return out
