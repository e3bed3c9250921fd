"""seedbridge's in-code SolverParameter against the caffe.proto of the Caffe that `make caffe` built.

The oracle is independent of the code under test: Debian's protoc compiles the built tree's caffe.proto
into a descriptor set, and every field seedbridge declares is compared with it (name, number, label,
type, type name, default), as are the enums and NetState. The built tree (PyPI's brocolli-caffe) follows
the SSD fork of Caffe where it differs from BVLC master, whose SolverParameter seedbridge restates: those
differences are listed here and in docs/frameworks/caffe.md, and nothing else may differ.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from google.protobuf import descriptor_pb2

from seedbridge.caffe import _schema

# Fields only the built tree has, and fields only BVLC master (seedbridge's schema) has: the same two numbers.
TREE_ONLY = {"eval_type": (41, "optional string", "classification"), "ap_version": (42, "optional string", "Integral")}
BVLC_ONLY = {"layer_wise_reduce": (41, "optional bool", "true"), "weights": (42, "repeated string", "")}
FD = descriptor_pb2.FieldDescriptorProto


@pytest.fixture(scope="module")
def built_proto(caffe_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> descriptor_pb2.FileDescriptorProto:
    """The built tree's caffe.proto (installed beside the binary by scripts/caffe/build.sh), compiled by protoc."""
    proto = caffe_binary.resolve().parent.parent / "share" / "caffe.proto"
    assert proto.is_file(), f"{proto} is missing; `make caffe` installs it beside the binary"
    protoc = shutil.which("protoc")
    assert protoc is not None, "protoc is missing; `make caffe` installs protobuf-compiler"
    out = tmp_path_factory.mktemp("proto") / "caffe.desc"
    subprocess.run([protoc, f"-I{proto.parent}", f"--descriptor_set_out={out}", str(proto)], check=True,
                   capture_output=True, timeout=120)
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    assert [f.package for f in files] == ["caffe"]
    return files[0]


def ours() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    _schema.solver_class().DESCRIPTOR.file.CopyToProto(proto)
    return proto


def message(file: descriptor_pb2.FileDescriptorProto, name: str) -> descriptor_pb2.DescriptorProto:
    return next(m for m in file.message_type if m.name == name)


def facts(field: Any) -> tuple[object, ...]:
    """What must agree; a float default is compared as the float32 Caffe stores (1e-8 == 9.99999994e-09)."""
    default: object = field.default_value
    if field.type == FD.TYPE_FLOAT and default:
        default = struct.unpack("<f", struct.pack("<f", float(default)))[0]
    return field.name, field.number, field.label, field.type, field.type_name, default


def by_name(msg: descriptor_pb2.DescriptorProto) -> dict[str, tuple[object, ...]]:
    return {f.name: facts(f) for f in msg.field}


def enums(msg: descriptor_pb2.DescriptorProto | descriptor_pb2.FileDescriptorProto) -> dict[str, list[tuple[str, int]]]:
    return {e.name: [(v.name, v.number) for v in e.value] for e in msg.enum_type}


def describe(field: descriptor_pb2.FieldDescriptorProto) -> tuple[int, str, str]:
    label = "repeated" if field.label == FD.LABEL_REPEATED else "optional"
    kind = {FD.TYPE_BOOL: "bool", FD.TYPE_STRING: "string"}[field.type]
    return field.number, f"{label} {kind}", field.default_value


def test_every_shared_solver_field_agrees_with_the_built_caffe_proto(built_proto: Any) -> None:
    tree, mine = by_name(message(built_proto, "SolverParameter")), by_name(message(ours(), "SolverParameter"))
    shared = set(tree) & set(mine)
    assert len(shared) == len(mine) - len(BVLC_ONLY)
    for name in sorted(shared):
        assert mine[name] == tree[name], name


def test_the_only_differences_are_the_listed_ssd_fields(built_proto: Any) -> None:
    tree = {f.name: f for f in message(built_proto, "SolverParameter").field}
    mine = {f.name: f for f in message(ours(), "SolverParameter").field}
    assert {n: describe(tree[n]) for n in set(tree) - set(mine)} == TREE_ONLY
    assert {n: describe(mine[n]) for n in set(mine) - set(tree)} == BVLC_ONLY


def test_enums_and_net_state_agree(built_proto: Any) -> None:
    assert enums(message(ours(), "SolverParameter")) == enums(message(built_proto, "SolverParameter"))
    assert by_name(message(ours(), "NetState")) == by_name(message(built_proto, "NetState"))
    assert enums(ours()) == {"Phase": enums(built_proto)["Phase"]}


def test_the_docs_list_the_differences() -> None:
    page = (REPO / "docs" / "frameworks" / "caffe.md").read_text(encoding="utf-8")
    for name, (number, kind, _) in {**TREE_ONLY, **BVLC_ONLY}.items():
        assert f"| `{name}` | {number} | {kind} |" in page, name
