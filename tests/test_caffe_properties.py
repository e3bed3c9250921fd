"""Property tests of the solver editor: one line changes or one is added, protobuf reads the seed back,
and seeding twice changes nothing the second time."""

from __future__ import annotations

import warnings

from hypothesis import given, settings
from hypothesis import strategies as st

from seedbridge import caffe
from seedbridge.caffe import _schema

EOLS = st.sampled_from(["\n", "\r\n"])
STRING = st.text(alphabet="ab #{}<>[]:;,'_.", max_size=8).map(lambda s: f'"{s}"')
INT32 = st.integers(-(2**31), 2**31 - 1).map(str)
FLOAT = st.sampled_from(["0.01", "1e-4", "0.5f", "3", "-1", ".25", "1E+2", "inf"])
SEP = st.sampled_from([": ", ":", " : ", ":\t"])
COMMENT = st.text(alphabet="ab #{}\"'_", max_size=12).map(lambda s: f"# {s}")

# Non-repeated scalar fields of SolverParameter and a value strategy for each.
SCALARS = {
    "base_lr": FLOAT,
    "momentum": FLOAT,
    "max_iter": INT32,
    "display": INT32,
    "lr_policy": st.sampled_from(['"fixed"', '"step"', "'inv'"]),
    "type": st.sampled_from(['"SGD"', '"Adam"', '"Nesterov"']),
    "snapshot_prefix": STRING,
    "solver_mode": st.sampled_from(["CPU", "0"]),
    "snapshot_format": st.sampled_from(["HDF5", "BINARYPROTO", "1"]),
    "debug_info": st.sampled_from(["true", "false", "t", "0"]),
    "net": STRING,
}
REPEATED = {"test_iter": INT32, "stepvalue": INT32, "test_net": STRING, "weights": STRING}


@st.composite
def nested(draw: st.DrawFn, depth: int = 0) -> list[str]:
    """The lines of a message body of made-up fields (a net's insides), maybe with its own random_seed."""
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(["name", "layer", "top", "dim", "random_seed", "type", "param", "x_1"]))
        kind = draw(st.sampled_from(["int", "str", "ident", "msg", "comment"] if depth < 3 else ["int", "str"]))
        indent = "  " * (depth + 1)
        if kind == "msg":
            inner = draw(nested(depth + 1))
            lines += [f"{indent}{name} {{", *inner, f"{indent}}}"]
        elif kind == "comment":
            lines.append(indent + draw(COMMENT))
        else:
            value = {"int": draw(INT32), "str": draw(STRING), "ident": draw(st.sampled_from(["TRAIN", "MAX"]))}[kind]
            lines.append(f"{indent}{name}: {value}")
    return lines


@st.composite
def solvers(draw: st.DrawFn) -> tuple[str, int | None]:
    """A solver text (its top-level fields each starting a line) and its random_seed, if any."""
    items: list[list[str]] = []
    names = draw(st.lists(st.sampled_from(sorted(SCALARS)), unique=True, max_size=len(SCALARS)))
    for name in names:
        trail = draw(st.sampled_from(["", ";", ",", "  " + draw(COMMENT)]))
        items.append([f"{name}{draw(SEP)}{draw(SCALARS[name])}{trail}"])
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(sorted(REPEATED)))
        items.append([f"{name}{draw(SEP)}{draw(REPEATED[name])}"])
    if draw(st.booleans()):
        items.append([f"test_iter: [{draw(INT32)}, {draw(INT32)}]"])
    if draw(st.booleans()):
        items.append(["net_param {", *draw(nested()), "}"])
    if draw(st.booleans()):
        items.append(['train_state { phase: TRAIN stage: "a" }'])
    seed = None
    if draw(st.booleans()):
        seed = draw(st.integers(-1, 2**40))
        spelled = draw(st.sampled_from([str(seed), hex(seed) if seed >= 0 else str(seed)]))
        items.append([f"random_seed{draw(SEP)}{spelled}"])
    for _ in range(draw(st.integers(0, 3))):
        items.append([draw(st.sampled_from(["", draw(COMMENT)]))])
    order = draw(st.permutations(range(len(items))))
    eol = draw(EOLS)
    text = eol.join(line for i in order for line in items[i])
    if text and draw(st.booleans()):
        text += eol
    return text, seed


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)  # the generated texts hold no line breaks but \n and \r\n


def protobuf_seed(text: str) -> int:
    from google.protobuf import text_format

    message = _schema.solver_class()()
    text_format.Parse(text, message, allow_unknown_field=True)
    return int(message.random_seed)


def seed_quietly(text: str, seed: int) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", caffe.CaffeWarning)
        return caffe.seed_text(text, seed)


@settings(max_examples=200, deadline=None)
@given(solvers(), st.integers(0, 2**32 - 1))
def test_seeding_changes_one_line_or_adds_one(solver: tuple[str, int | None], seed: int) -> None:
    text, before = solver
    assert caffe.read_seed(text) == before
    seeded = seed_quietly(text, seed)
    old, new = lines(text), lines(seeded)
    if before == seed:
        assert seeded == text
    elif before is not None:
        assert len(new) == len(old)
        differ = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        assert len(differ) == 1 and new[differ[0]].lstrip().startswith("random_seed")
    else:
        assert len(new) == len(old) + 1
        added = [i for i in range(len(new)) if new[:i] + new[i + 1:] == old]
        assert added and new[added[0]].strip().startswith("random_seed")
        assert new[added[0]].rstrip("\r\n").endswith(str(seed))
    assert protobuf_seed(seeded) == seed
    assert caffe.read_seed(seeded) == seed
    assert seed_quietly(seeded, seed) == seeded


@settings(max_examples=100, deadline=None)
@given(solvers(), EOLS)
def test_line_endings_are_never_mixed_by_an_edit(solver: tuple[str, int | None], eol: str) -> None:
    text, _ = solver
    seeded = seed_quietly(text, 7)
    if "\r\n" in text:
        assert seeded.count("\n") == seeded.count("\r\n")
    elif "\n" in text:
        assert "\r" not in seeded
