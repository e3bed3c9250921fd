"""Seeding one solver text: validate it, splice ``random_seed`` in, verify, and note Caffe's caveats.

Stdlib only at import; validation imports protobuf through ``_schema``.
"""

from __future__ import annotations

from seedbridge.caffe._prototxt import Document, Field, Lines, PrototxtError, parse
from seedbridge.derive import FRAMEWORK_SEED_MAX
from seedbridge.errors import Problem, SeedRangeError, SolverError

__all__ = ["CAFFE_SEED_MAX", "Edit", "analyse", "edit"]

# Caffe casts random_seed to unsigned int (Caffe::set_random_seed(const unsigned int), common.cpp),
# so only 32 bits survive.
CAFFE_SEED_MAX = FRAMEWORK_SEED_MAX["caffe"]


class Edit:
    """The outcome of seeding one text; ``text`` is the result, equal to the input when unchanged."""

    __slots__ = ("before", "before_at", "changed", "notes", "seed", "text")

    def __init__(self, text: str, seed: int | None, before: int | None, before_at: tuple[int, int] | None,
                 changed: bool, notes: tuple[Problem, ...]) -> None:
        self.text = text
        self.seed = seed
        self.before = before
        self.before_at = before_at
        self.changed = changed
        self.notes = notes


def check_seed(seed: int) -> int:
    """``seed`` itself when Caffe takes it unchanged; otherwise SeedRangeError (never clamped)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SeedRangeError(f"random_seed: must be an integer, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed <= CAFFE_SEED_MAX:
        raise SeedRangeError(
            f"random_seed: must be an integer in 0..{CAFFE_SEED_MAX} for caffe, got {seed} (a negative seed "
            "means /dev/urandom, and caffe casts random_seed to unsigned int, so only 32 bits survive)")
    return seed


def _parse(text: str, source: str | None) -> Document:
    try:
        return parse(text)
    except PrototxtError as exc:
        line, column = Lines(text).at(exc.offset)
        raise SolverError([Problem(exc.message, file=source, line=line, column=column)]) from None


def _seed_field(doc: Document) -> Field | None:
    return next((f for f in doc.fields if f.name == "random_seed"), None)


def analyse(text: str, source: str | None) -> tuple[Document, list[tuple[int, int]]]:
    """Parse and validate ``text`` against SolverParameter; SolverError lists every problem."""
    from seedbridge.caffe import _schema

    doc = _parse(text, source)
    problems = _schema.check(doc, source)
    if problems:
        raise SolverError(problems)
    return doc, _schema.cuts(doc)


def _int(text: str) -> int:
    # Validated already as an int64 by protobuf's rules: decimal, 0x hex or C-style 0-prefixed octal.
    negative = text.startswith("-")
    body = text[1:] if negative else text
    if body[:2].lower() == "0x":
        value = int(body[2:], 16)
    elif len(body) > 1 and body.startswith("0"):
        value = int(body[1:], 8)
    else:
        value = int(body)
    return -value if negative else value


def _format(seed: int, old: str) -> str:
    # Keep a hex seed hex (and its letter case); anything else becomes decimal.
    if old[:2] in ("0x", "0X"):
        digits = old[2:]
        return old[:2] + (f"{seed:X}" if any(c in "ABCDEF" for c in digits) else f"{seed:x}")
    return str(seed)


def _eol(text: str, newline_at: int) -> str:
    return "\r\n" if newline_at > 0 and text[newline_at - 1] == "\r" else "\n"


def _insertion(doc: Document, seed: int) -> tuple[int, int, str]:
    """Where and what to insert when the solver has no random_seed: one whole line, nothing else."""
    text, fields = doc.text, doc.fields
    separator = ": "
    for f in fields:  # follow the file's own "name: value" spacing
        if f.values and f.values[0].kind == "scalar" and not f.is_list:
            between = text[f.start + len(f.name):f.values[0].start]
            if ":" in between and "\n" not in between and "#" not in between:
                separator = between
                break
    line = f"random_seed{separator}{seed}"
    if not fields:  # only comments and blank lines, or nothing at all
        if text == "" or text.endswith("\n"):
            eol = _eol(text, len(text) - 1) if text else "\n"
            return len(text), len(text), line + eol
        line_start = text.rfind("\n") + 1  # before the final line, which has no newline
        return line_start, line_start, line + (_eol(text, line_start - 1) if line_start > 0 else "\n")
    last = fields[-1]
    line_start = text.rfind("\n", 0, last.start) + 1
    lead = text[line_start:last.start]
    indent = lead if lead.strip(" \t") == "" else ""
    newline = text.find("\n", last.end)
    if newline >= 0:  # right after the line where the last top-level field ends
        return newline + 1, newline + 1, indent + line + _eol(text, newline)
    # The last field ends on the final line, which has no newline: insert before that line if it starts
    # at the top level, so the final line keeps its bytes (and the file its missing final newline).
    if not any(f.start < line_start < f.end for f in fields):
        eol = _eol(text, line_start - 1) if line_start > 0 else "\n"
        return line_start, line_start, indent + line + eol
    first = text.find("\n")
    return len(text), len(text), (_eol(text, first) if first >= 0 else "\n") + line


def _notes(doc: Document, source: str | None) -> list[Problem]:
    """Caffe facts that limit what a seed controls, where this file shows them."""
    lines = Lines(doc.text)
    notes = []
    for f in doc.fields:
        if f.name == "solver_mode" and f.values and f.values[0].text in ("GPU", "1"):
            line, column = lines.at(f.start)
            notes.append(Problem(
                "gpu training is not bit-reproducible with a seed: cudnn kernels are nondeterministic; with "
                "several gpus rank r trains with random_seed + r (solver.cpp), so jobs whose seeds differ by "
                "less than the gpu count share seeds across ranks", file=source, line=line, column=column,
                field="solver_mode"))
    if doc.hdf5:
        line, column = lines.at(doc.hdf5[0])
        notes.append(Problem(
            "HDF5Data layer: its shuffle uses std::random_shuffle (hdf5_data_layer.cpp), which random_seed "
            "does not control", file=source, line=line, column=column, field="type"))
    return notes


def _value_notes(value: int, field: Field, doc: Document, source: str | None) -> list[Problem]:
    line, column = Lines(doc.text).at(field.values[0].start)
    if value < 0:
        return [Problem(f"is {value}: a negative seed takes no effect, caffe seeds from /dev/urandom",
                        file=source, line=line, column=column, field="random_seed")]
    if value > CAFFE_SEED_MAX:
        return [Problem(f"is {value}, wider than 32 bits: caffe casts it to unsigned int and uses "
                        f"{value & CAFFE_SEED_MAX}", file=source, line=line, column=column, field="random_seed")]
    return []


def read(text: str, source: str | None) -> Edit:
    """Validate ``text`` and report its random_seed without changing anything."""
    from seedbridge.caffe import _schema

    doc, spans = analyse(text, source)
    found, problem = _schema.verify(text, spans, None, source)
    if problem is not None:
        raise SolverError([problem])
    field = _seed_field(doc)
    notes = _notes(doc, source)
    at = None
    if field is not None and found is not None:
        notes += _value_notes(found, field, doc, source)
        at = Lines(text).at(field.values[0].start)
    return Edit(text, None, found, at, False, tuple(notes))


def edit(text: str, seed: int, source: str | None) -> Edit:
    """Set the top-level random_seed of ``text`` to ``seed``, changing one line or adding one."""
    from seedbridge.caffe import _schema

    check_seed(seed)
    doc, spans = analyse(text, source)
    field = _seed_field(doc)
    before = _int(field.values[0].text) if field is not None else None
    at = Lines(text).at(field.values[0].start) if field is not None else None
    if before == seed:
        splice = None
    elif field is not None:
        value = field.values[0]
        splice = (value.start, value.end, _format(seed, value.text))
    else:
        splice = _insertion(doc, seed)
    found, problem = _schema.verify(text, spans, splice, source)
    if problem is not None or found != seed:
        # Protobuf and seedbridge's validator disagree: report the input's own problem if it has one.
        _, own = _schema.verify(text, spans, None, source)
        raise SolverError([own or Problem(
            f"seedbridge bug: the seeded text does not parse back with random_seed {seed} ({problem}); "
            "the file is unchanged; please report this", file=source)])
    result = text if splice is None else text[:splice[0]] + splice[2] + text[splice[1]:]
    return Edit(result, seed, before, at, splice is not None, tuple(_notes(doc, source)))
