"""Caffe's SolverParameter as a protobuf descriptor built in code, and validation against it.

The field table below restates public facts of BVLC caffe.proto (master, "SolverParameter next available
ID: 43 (last added: weights)"): names, numbers, labels, types, enums and defaults. No protoc runs and no
caffe_pb2 is needed; the descriptor lives in a private DescriptorPool, so it never clashes with a real
``caffe_pb2`` imported in the same process.

NetParameter is deliberately opaque (a message with no fields): seedbridge checks an inline net's syntax
with its own parser and leaves its meaning to Caffe, which validates the net when it builds it. NetState
(``train_state``, ``test_state``) is small and fully defined, so it is validated like the top level.

This module imports protobuf; ``seedbridge.caffe`` imports this module only when a solver is validated.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from google.protobuf.descriptor import FieldDescriptor as FD

from seedbridge.caffe._prototxt import Document, Field, Lines, Value
from seedbridge.errors import Problem

__all__ = ["OPAQUE", "check", "cuts", "solver_class", "verify"]

_OPTIONAL, _REPEATED = 1, 3  # FieldDescriptorProto.Label
_TYPES = {"double": 1, "float": 2, "int64": 3, "uint64": 4, "int32": 5, "bool": 8, "string": 9,
          "message": 11, "uint32": 13, "enum": 14}

# Top-level enum of caffe.proto.
_PHASE = ("Phase", (("TRAIN", 0), ("TEST", 1)))

# NetState: (name, number, label, type, type_name, default).
_NET_STATE = (
    ("phase", 1, _OPTIONAL, "enum", ".caffe.Phase", "TEST"),
    ("level", 2, _OPTIONAL, "int32", None, "0"),
    ("stage", 3, _REPEATED, "string", None, None),
)

_SOLVER_ENUMS = (
    ("SnapshotFormat", (("HDF5", 0), ("BINARYPROTO", 1))),
    ("SolverMode", (("CPU", 0), ("GPU", 1))),
    # DEPRECATED in caffe.proto: use the string field `type` instead.
    ("SolverType", (("SGD", 0), ("NESTEROV", 1), ("ADAGRAD", 2), ("RMSPROP", 3), ("ADADELTA", 4), ("ADAM", 5))),
)

# SolverParameter, in caffe.proto's order: (name, number, label, type, type_name, default).
_SOLVER = (
    ("net", 24, _OPTIONAL, "string", None, None),
    ("net_param", 25, _OPTIONAL, "message", ".caffe.NetParameter", None),
    ("train_net", 1, _OPTIONAL, "string", None, None),
    ("test_net", 2, _REPEATED, "string", None, None),
    ("train_net_param", 21, _OPTIONAL, "message", ".caffe.NetParameter", None),
    ("test_net_param", 22, _REPEATED, "message", ".caffe.NetParameter", None),
    ("train_state", 26, _OPTIONAL, "message", ".caffe.NetState", None),
    ("test_state", 27, _REPEATED, "message", ".caffe.NetState", None),
    ("test_iter", 3, _REPEATED, "int32", None, None),
    ("test_interval", 4, _OPTIONAL, "int32", None, "0"),
    ("test_compute_loss", 19, _OPTIONAL, "bool", None, "false"),
    ("test_initialization", 32, _OPTIONAL, "bool", None, "true"),
    ("base_lr", 5, _OPTIONAL, "float", None, None),
    ("display", 6, _OPTIONAL, "int32", None, None),
    ("average_loss", 33, _OPTIONAL, "int32", None, "1"),
    ("max_iter", 7, _OPTIONAL, "int32", None, None),
    ("iter_size", 36, _OPTIONAL, "int32", None, "1"),
    ("lr_policy", 8, _OPTIONAL, "string", None, None),
    ("gamma", 9, _OPTIONAL, "float", None, None),
    ("power", 10, _OPTIONAL, "float", None, None),
    ("momentum", 11, _OPTIONAL, "float", None, None),
    ("weight_decay", 12, _OPTIONAL, "float", None, None),
    ("regularization_type", 29, _OPTIONAL, "string", None, "L2"),
    ("stepsize", 13, _OPTIONAL, "int32", None, None),
    ("stepvalue", 34, _REPEATED, "int32", None, None),
    ("clip_gradients", 35, _OPTIONAL, "float", None, "-1"),
    ("snapshot", 14, _OPTIONAL, "int32", None, "0"),
    ("snapshot_prefix", 15, _OPTIONAL, "string", None, None),
    ("snapshot_diff", 16, _OPTIONAL, "bool", None, "false"),
    ("snapshot_format", 37, _OPTIONAL, "enum", ".caffe.SolverParameter.SnapshotFormat", "BINARYPROTO"),
    ("solver_mode", 17, _OPTIONAL, "enum", ".caffe.SolverParameter.SolverMode", "GPU"),
    ("device_id", 18, _OPTIONAL, "int32", None, "0"),
    ("random_seed", 20, _OPTIONAL, "int64", None, "-1"),
    ("type", 40, _OPTIONAL, "string", None, "SGD"),
    ("delta", 31, _OPTIONAL, "float", None, "1e-08"),
    ("momentum2", 39, _OPTIONAL, "float", None, "0.999"),
    ("rms_decay", 38, _OPTIONAL, "float", None, "0.99"),
    ("debug_info", 23, _OPTIONAL, "bool", None, "false"),
    ("snapshot_after_train", 28, _OPTIONAL, "bool", None, "true"),
    ("solver_type", 30, _OPTIONAL, "enum", ".caffe.SolverParameter.SolverType", "SGD"),
    ("layer_wise_reduce", 41, _OPTIONAL, "bool", None, "true"),
    ("weights", 42, _REPEATED, "string", None, None),
)

# Message types whose contents seedbridge checks for syntax only (see the module docstring).
OPAQUE = frozenset({"caffe.NetParameter"})

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1),
               "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1)}


def _add_fields(message: Any, table: tuple[tuple[str, int, int, str, str | None, str | None], ...]) -> None:
    for name, number, label, type_, type_name, default in table:
        field = message.field.add(name=name, number=number, label=label, type=_TYPES[type_])
        if type_name is not None:
            field.type_name = type_name
        if default is not None:
            field.default_value = default


@functools.cache
def solver_class() -> Any:
    """The generated message class of ``caffe.SolverParameter`` (built once, in a private pool)."""
    proto = descriptor_pb2.FileDescriptorProto(name="seedbridge/caffe_solver.proto", package="caffe",
                                               syntax="proto2")
    enum = proto.enum_type.add(name=_PHASE[0])
    for value_name, number in _PHASE[1]:
        enum.value.add(name=value_name, number=number)
    proto.message_type.add(name="NetParameter")  # opaque: see the module docstring
    _add_fields(proto.message_type.add(name="NetState"), _NET_STATE)
    solver = proto.message_type.add(name="SolverParameter")
    for enum_name, values in _SOLVER_ENUMS:
        enum = solver.enum_type.add(name=enum_name)
        for value_name, number in values:
            enum.value.add(name=value_name, number=number)
    _add_fields(solver, _SOLVER)
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(proto.SerializeToString())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("caffe.SolverParameter"))


def _expected(fd: Any) -> str:
    """What a value of field ``fd`` must look like, for messages."""
    if fd.type == FD.TYPE_ENUM:
        names = ", ".join(v.name for v in fd.enum_type.values)
        return f"one of {names} (or its number)"
    if fd.type == FD.TYPE_BOOL:
        return "true or false"
    if fd.type == FD.TYPE_STRING:
        return "a quoted string"
    if fd.type in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return "a number"
    kind = {FD.TYPE_INT32: "int32", FD.TYPE_INT64: "int64", FD.TYPE_UINT32: "uint32",
            FD.TYPE_UINT64: "uint64"}[fd.type]
    low, high = _INT_RANGES[kind]
    return f"an {kind} integer in {low}..{high}"


# protobuf's own text-format parsers of one scalar token, by field type (each raises ValueError).
_PARSERS: dict[int, Callable[[Any, str], object]] = {
    FD.TYPE_INT32: lambda fd, t: text_format.ParseInteger(t, is_signed=True, is_long=False),
    FD.TYPE_INT64: lambda fd, t: text_format.ParseInteger(t, is_signed=True, is_long=True),
    FD.TYPE_UINT32: lambda fd, t: text_format.ParseInteger(t, is_signed=False, is_long=False),
    FD.TYPE_UINT64: lambda fd, t: text_format.ParseInteger(t, is_signed=False, is_long=True),
    FD.TYPE_FLOAT: lambda fd, t: text_format.ParseFloat(t),
    FD.TYPE_DOUBLE: lambda fd, t: text_format.ParseFloat(t),
    FD.TYPE_BOOL: lambda fd, t: text_format.ParseBool(t),
    FD.TYPE_ENUM: text_format.ParseEnum,
}


def _scalar_ok(fd: Any, value: Value) -> bool:
    """Whether protobuf's text format accepts ``value`` for the scalar field ``fd``."""
    if fd.type == FD.TYPE_STRING:
        return value.token == "string"
    if value.token == "string":
        return False
    try:
        _PARSERS[fd.type](fd, value.text)
    except ValueError:
        return False
    return True


def check(doc: Document, source: str | None) -> list[Problem]:
    """Every rule of SolverParameter that ``doc`` breaks, in file order."""
    lines = Lines(doc.text)
    problems: list[Problem] = []
    descriptor = solver_class().DESCRIPTOR
    _check_fields(doc.fields, descriptor, "", lines, source, problems)
    # Caffe aborts when both are set (upgrade_proto.cpp, UpgradeSolverType): "old solver_type field (enum)
    # and new type field (string) cannot be both specified".
    by_name = {f.name: f for f in doc.fields}
    if "solver_type" in by_name and "type" in by_name:
        later = max(by_name["solver_type"], by_name["type"], key=lambda f: f.start)
        other = by_name["type" if later.name == "solver_type" else "solver_type"]
        line, column = lines.at(other.start)
        problems.append(_problem(
            f"both solver_type (deprecated enum) and type are set (the other at {line}:{column}); caffe aborts "
            "on this (upgrade_proto.cpp); keep only type", later, lines, source, later.name))
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    return problems


def _problem(message: str, where: Field | Value, lines: Lines, source: str | None, field: str) -> Problem:
    line, column = lines.at(where.start)
    return Problem(message, file=source, line=line, column=column, field=field)


def _check_fields(fields: list[Field], descriptor: Any, prefix: str, lines: Lines, source: str | None,
                  problems: list[Problem]) -> None:
    seen: dict[str, Field] = {}
    names = list(descriptor.fields_by_name)
    for f in fields:
        path = prefix + f.name
        fd = descriptor.fields_by_name.get(f.name)
        if fd is None:
            close = difflib.get_close_matches(f.name, names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(_problem(f"unknown {descriptor.name} field{hint}", f, lines, source, path))
            continue
        if not fd.is_repeated:
            if f.name in seen:
                line, column = lines.at(seen[f.name].start)
                problems.append(_problem(
                    f"non-repeated field given twice (first at {line}:{column}); caffe's parser rejects this",
                    f, lines, source, path))
                continue
            seen[f.name] = f
            if f.is_list:
                problems.append(_problem("is not a repeated field; a [...] list is not allowed here",
                                         f, lines, source, path))
                continue
        for value in f.values:
            if fd.message_type is not None:
                if value.kind != "message":
                    problems.append(_problem(
                        f"must be a {fd.message_type.name} message {{ ... }}, got {value.text!r}",
                        value, lines, source, path))
                elif fd.message_type.full_name not in OPAQUE and value.fields is not None:
                    _check_fields(value.fields, fd.message_type, path + ".", lines, source, problems)
            elif value.kind != "scalar":
                problems.append(_problem(f"must be {_expected(fd)}, got a message {{ ... }}",
                                         value, lines, source, path))
            elif not _scalar_ok(fd, value):
                problems.append(_problem(f"must be {_expected(fd)}, got {value.text!r}",
                                         value, lines, source, path))


def cuts(doc: Document) -> list[tuple[int, int]]:
    """The insides of the opaque (NetParameter) messages at the top level, as (start, end) offsets."""
    descriptor = solver_class().DESCRIPTOR
    spans = []
    for f in doc.fields:
        fd = descriptor.fields_by_name.get(f.name)
        if fd is not None and fd.message_type is not None and fd.message_type.full_name in OPAQUE:
            spans += [(v.start + 1, v.end - 1) for v in f.values if v.kind == "message"]
    return spans


def _blank(text: str, start: int, end: int) -> str:
    # The same newlines, and spaces up to the closing brace's column, so protobuf's line:column
    # positions in the skeleton are positions in the original text.
    newlines = text.count("\n", start, end)
    last = text.rfind("\n", start, end)
    return "\n" * newlines + " " * (end - (last + 1 if last >= 0 else start))


def verify(text: str, spans: list[tuple[int, int]], edit: tuple[int, int, str] | None,
           source: str | None) -> tuple[int | None, Problem | None]:
    """Parse ``text`` (with ``edit`` applied) as a SolverParameter with protobuf's own text format.

    Opaque NetParameter insides (``spans``) are blanked first, so the cost is that of the top level
    however large an inline net is. Returns (random_seed or None, the parse error or None)."""
    pieces: list[str] = []
    events = [(s, e, _blank(text, s, e)) for s, e in spans]
    if edit is not None:
        events.append(edit)
    pos = 0
    for start, end, replacement in sorted(events):
        pieces += (text[pos:start], replacement)
        pos = end
    pieces.append(text[pos:])
    message = solver_class()()
    try:
        text_format.Parse("".join(pieces), message)
    except text_format.ParseError as exc:
        detail = str(exc).split(" : ", 1)[-1]
        return None, Problem(f"protobuf's text format rejects this solver: {detail}", file=source,
                             line=exc.GetLine(), column=exc.GetColumn())
    return (message.random_seed if message.HasField("random_seed") else None), None
