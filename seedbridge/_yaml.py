"""YAML text -> a tree of typed nodes, read exactly as the R package reads it.

The R package reads manifests with R's yaml package (libyaml plus its own YAML 1.1 rules), and it
cannot see how a scalar was written: only the type its resolver gave it and the text. So both
languages read a manifest the way R's yaml does, and Python reproduces that here on libyaml's
event stream (the same libyaml events R's yaml walks, vubiostat/r-yaml src/r_parse.c):

- a quoted scalar is text; any other scalar without a tag (plain, ``|`` and ``>`` blocks) gets the
  type of the first row of ``yaml_plain_scalars`` (R's yaml ``implicit.re``) that matches all of it;
- an explicit tag names its type after dropping ``tag:yaml.org,2002:`` or the leading ``!``s
  (``!!int``, ``!int`` and ``!<tag:yaml.org,2002:int>`` are all ``int``); ``yaml_types`` lists the
  types seedbridge reads, and anything else is "unsupported";
- an alias is the node of the *first* anchor of that name defined before it;
- a merge key (``<<``) stops the reading (R's yaml merges it, which seedbridge refuses), as does the
  same aliased key twice in one mapping and a mapping or list tagged ``!!merge`` or ``!!int#...``;
- every document is parsed, and the first one is the manifest (a second one is caught before
  parsing, by ``_schema.check_text``).

Values built in Python (``Manifest(...)``) become the same nodes through ``from_data``.
"""

from __future__ import annotations

import re

import yaml

from seedbridge import _schema

__all__ = ["Fatal", "Node", "check_text", "from_data", "read"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:  # the libyaml parser: R's yaml is built on libyaml too, so both accept the same syntax
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_YAML_TAG_PREFIX = "tag:yaml.org,2002:"


class Node:
    """One YAML node as seedbridge sees it.

    ``kind`` is str, int, float, bool, null, timestamp, na, merge, unsupported, map or seq;
    ``shape`` is scalar, map or seq (an unsupported mapping keeps its pairs, for merges)."""

    __slots__ = ("bare", "items", "kind", "line", "pairs", "shape", "text")

    def __init__(self, kind: str, shape: str = "scalar", *, text: str = "", line: int | None = None,
                 pairs: list[tuple[Node, Node]] | None = None, items: list[Node] | None = None,
                 bare: bool = False) -> None:
        self.kind = kind
        self.shape = shape
        self.text = text
        self.line = line
        self.pairs = pairs if pairs is not None else []
        self.items = items if items is not None else []
        # True for what R's yaml leaves unconverted: a node whose tag seedbridge does not know,
        # or an undefined alias.
        self.bare = bare

    def __repr__(self) -> str:
        return f"Node({self.kind!r}, {self.shape!r}, text={self.text!r}, line={self.line})"


class Fatal(Exception):
    """Reading stopped: ``rule`` (a rule id of the schema), the 1-based line (and column), details for
    the message."""

    def __init__(self, rule: str, line: int | None, *, column: int | None = None, **details: str) -> None:
        super().__init__(rule)
        self.rule = rule
        self.line = line
        self.column = column
        self.details = details


# One alternation of the table's rows, in order: the first row that matches the whole text wins,
# as in R's yaml (re2c takes the first of equally long matches).
_PLAIN = re.compile("|".join(f"(?P<t{i}>{rx[1:-1]})" for i, (_, rx) in enumerate(_schema.PLAIN_SCALARS)))


_TYPES = dict(_schema.YAML_TYPES)
_plain_types: dict[str, str] = {}  # keys, framework names and the like recur: remember (a bounded few)


def plain_type(text: str) -> str:
    """The type R's yaml gives an untagged, unquoted scalar (first matching row of the table)."""
    found = _plain_types.get(text)
    if found is None:
        m = _PLAIN.fullmatch(text)
        found = "str" if m is None or m.lastgroup is None else _schema.PLAIN_SCALARS[int(m.lastgroup[1:])][0]
        if len(_plain_types) < 4096:
            _plain_types[text] = found
    return found


def type_name(tag: str) -> str:
    """R's yaml ``process_tag``: the type part of an explicit tag."""
    if tag.startswith(_YAML_TAG_PREFIX):
        return tag[len(_YAML_TAG_PREFIX):]
    return tag.lstrip("!")


def _line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark is not None else None


def _scalar(event: yaml.ScalarEvent) -> Node:
    line = _line(event)
    if event.tag is None or event.tag == "!":
        name = "str" if event.style in ("'", '"') else plain_type(event.value)
    else:
        name = type_name(event.tag)
    kind = _TYPES.get(name)
    if kind is None:
        if name == "merge":  # R's yaml keeps only that it is a merge key
            return Node("merge", text="<<", line=line)
        return Node("unsupported", text=event.value, line=line, bare=True)
    if kind in ("map", "seq"):  # a collection's type on a scalar
        return Node("unsupported", text=event.value, line=line)
    return Node(kind, text=event.value, line=line)


def _collection(shape: str, tag: str | None, line: int | None, pairs: list[tuple[Node, Node]],
                items: list[Node]) -> Node:
    name = shape if tag is None else type_name(tag)
    kind = _TYPES.get(name)
    empty = not pairs and not items
    if kind in ("map", "seq"):
        if kind == shape or empty:  # R cannot tell an empty mapping from an empty list
            return Node(kind, kind, line=line, pairs=pairs, items=items)
        return Node("unsupported", line=line)
    if kind is not None:  # a scalar's type on a collection
        return Node("unsupported", line=line)
    if name == "merge" or name.startswith("int#"):
        # R's yaml stops with "Invalid tag" for these (r_parse.c, the default handlers).
        raise Fatal("unsupported-tag", line)
    return Node("unsupported", shape, line=line, pairs=pairs, items=items, bare=True)


def _identity(node: Node) -> object:
    """What R's yaml compares to find a key that is already in a mapping (``identical()``): nodes
    seedbridge reads carry a serial number, so only an alias is identical; unconverted ones compare
    by content."""
    if not node.bare:
        return id(node)
    if node.shape == "map":
        return ("map", tuple((_identity(k), _identity(v)) for k, v in node.pairs))
    if node.shape == "seq":
        return ("seq", tuple(_identity(i) for i in node.items))
    return ("scalar", node.text)


def _mergeable(node: Node) -> bool:
    return node.bare and node.shape == "map"


def _map_entries(children: list[Node]) -> list[tuple[Node, Node]]:
    """R's yaml ``handle_map`` loop: merge keys and repeated keys (by identity) are errors, except
    that a mapping it leaves unconverted is merged as R merges it."""
    entries: list[tuple[Node, Node, bool]] = []
    seen: dict[object, bool] = {}  # identity -> came from a merge

    def merge(source: Node) -> None:
        for key, value in source.pairs:
            ident = _identity(key)
            if ident not in seen:
                seen[ident] = True
                entries.append((key, value, True))

    for i in range(0, len(children) - 1, 2):
        key, value = children[i], children[i + 1]
        if key.kind == "merge":
            if _mergeable(value):
                merge(value)
            elif value.bare and value.shape == "seq" and all(_mergeable(v) for v in value.items):
                for v in value.items:
                    merge(v)
            else:
                raise Fatal("merge-key", key.line)
            continue
        ident = _identity(key)
        if ident in seen and not seen[ident]:
            raise Fatal("duplicate-alias-key", key.line)
        seen.setdefault(ident, False)
        entries.append((key, value, False))
    return [(k, v) for k, v, _ in entries]


def _line_at(text: str, pos: int) -> int:
    return len(_schema.pattern("line_break").split(text[:pos]))


def check_text(text: str) -> None:
    """The checks made on the text before it is parsed, because R's yaml cannot see what they catch:
    a NUL written as an escape (R strings end at NUL) and a second document (R's yaml returns the
    first one silently). Both are textual, so both languages apply them identically: an escape such
    as ``\\0`` counts even in a comment, and any line ``---`` after content starts a document."""
    found = _schema.pattern("nul_escape").search(text)
    if found is not None:
        raise Fatal("nul-character", _line_at(text, found.start()))
    if "---" not in text:
        return  # no line can start a document
    marker, not_content = _schema.pattern("document_marker"), _schema.pattern("not_content")
    starts, content = 0, False
    for number, line in enumerate(_schema.pattern("line_break").split(text), 1):
        if marker.fullmatch(line):
            if line.startswith("---"):
                starts += 1
                if starts > 1 or content:
                    raise Fatal("multiple-documents", number)
                content = not not_content.fullmatch(line[3:])
        elif not not_content.fullmatch(line):
            content = True


def read(text: str) -> Node | None:
    """The first document of ``text`` as nodes (None when there is none); raises Fatal."""
    stack: list[tuple[str, str | None, str | None, int | None, list[Node]]] = []
    anchors: dict[str, Node] = {}
    roots: list[Node] = []
    undefined_alias: int | None = None

    def done(node: Node, anchor: str | None) -> None:
        if anchor is not None:
            anchors.setdefault(anchor, node)  # R's yaml finds the first anchor of a name
        (stack[-1][4] if stack else roots).append(node)

    loader = _Loader(text)
    try:
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                done(_scalar(event), event.anchor)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                shape = "map" if kind is yaml.MappingStartEvent else "seq"
                stack.append((shape, event.tag, event.anchor, _line(event), []))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                shape, tag, anchor, line, children = stack.pop()
                if shape == "map":
                    node = _collection("map", tag, line, _map_entries(children), [])
                else:
                    node = _collection("seq", tag, line, [], children)
                done(node, anchor)
            elif kind is yaml.AliasEvent:
                target = anchors.get(event.anchor or "")
                if target is None:
                    undefined_alias = undefined_alias or _line(event) or 1
                    target = Node("unsupported", line=_line(event), bare=True)
                (stack[-1][4] if stack else roots).append(target)
            elif kind is yaml.StreamEndEvent:
                break
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise Fatal("yaml-syntax", mark.line + 1 if mark is not None else None,
                    column=mark.column + 1 if mark is not None else None,
                    problem=str(exc.problem or exc.context)) from None
    except yaml.YAMLError as exc:  # a reader error: characters YAML does not allow
        raise Fatal("yaml-syntax", None, problem=str(getattr(exc, "reason", None) or exc)) from None
    finally:
        loader.dispose()
    if undefined_alias is not None:
        raise Fatal("undefined-alias", undefined_alias)
    return roots[0] if roots else None


def from_data(value: object) -> Node:
    """Plain Python data (what ``Manifest.to_data`` returns) as nodes, typed as YAML would type them
    when ``Manifest.dumps`` writes them: text is quoted, so it stays text."""
    if isinstance(value, str):
        return Node("str", text=value)
    if isinstance(value, bool):
        return Node("bool", text=str(value).lower())
    if isinstance(value, int):
        return Node("int", text=str(value))
    if isinstance(value, float):
        return Node("float", text=repr(value))
    if value is None:
        return Node("null")
    if isinstance(value, dict):
        return Node("map", "map", pairs=[(from_data(k), from_data(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return Node("seq", "seq", items=[from_data(v) for v in value])
    return Node("unsupported", text=repr(value))
