from __future__ import annotations

import hashlib
import json

import pytest
from conftest import GOLDEN
from hypothesis import given, settings
from hypothesis import strategies as st

import seedbridge
from seedbridge.derive import (
    ALLOWED_BITS,
    FRAMEWORK_SEED_MAX,
    KEY_INT_MAX,
    check_seed_for,
    derive,
    encode,
    key_text,
    parse_int,
)
from seedbridge.errors import DerivationError, SeedRangeError

VECTORS = json.loads((GOLDEN / "derivation-v1.json").read_text(encoding="utf-8"))["vectors"]


def test_golden_vectors_match() -> None:
    """Version 1 never changes: every stored vector recomputes to the same message and seed."""
    assert len(VECTORS) > 1000
    for v in VECTORS:
        root = int(v["root"], 16)
        assert encode(root, v["job"], v["keys"]).hex() == v["message_hex"], v
        assert str(derive(root, v["job"], v["keys"], bits=v["bits"])) == v["seed"], v


def test_golden_vectors_cover_awkward_names() -> None:
    jobs = {v["job"] for v in VECTORS}
    assert {"", ":", "a:b", "naïve", "日本語", "🎲", "line\nbreak"} <= jobs
    assert {v["bits"] for v in VECTORS} == set(ALLOWED_BITS)


def test_message_is_the_documented_netstring_concatenation() -> None:
    """The example in docs/derivation.md, built by hand, hashes to what derive returns."""
    msg = b"21:seedbridge-derivation,1:1,32:0000000000000000000000000000002a,5:train,1:1,4:rank,1:3,"
    assert encode(0x2A, "train", {"rank": 3}) == msg
    digest = hashlib.sha256(msg).digest()
    assert derive(0x2A, "train", {"rank": 3}) == int.from_bytes(digest[:4], "big") >> 1
    assert derive(0x2A, "train", {"rank": 3}, bits=64) == int.from_bytes(digest[:8], "big")
    assert derive(0x2A, "train", {"rank": 3}, bits=128) == int.from_bytes(digest[:16], "big")


def test_key_values_are_text_so_cli_python_and_r_agree() -> None:
    assert derive(1, "j", {"rank": 3}) == derive(1, "j", {"rank": "3"}) == derive(1, "j", {"rank": 3.0})
    assert derive(1, "j", {"rank": "03"}) != derive(1, "j", {"rank": 3})


@pytest.mark.parametrize("bad", [3.5, float("nan"), float("inf"), True, None, [1], b"3"])
def test_bad_key_values_are_errors(bad: object) -> None:
    with pytest.raises(DerivationError, match="key 'rank'"):
        derive(1, "j", {"rank": bad})


def test_numpy_integers_are_keys() -> None:
    np = pytest.importorskip("numpy")
    assert derive(1, "j", {"rank": np.int64(7)}) == derive(1, "j", {"rank": 7})


@pytest.mark.parametrize("bits", [0, 30, 33, 65, 256, True, 31.0, pytest.param(10**5000, id="5001 digits")])
def test_bits_outside_the_allowed_widths_are_errors(bits: int) -> None:
    with pytest.raises(DerivationError, match="bits must be one of 31, 32, 63, 64, 128"):
        derive(1, "j", bits=bits)


@pytest.mark.parametrize("root", [-1, 2**128, "0x2a", True])
def test_root_must_be_a_128_bit_integer(root: object) -> None:
    with pytest.raises(DerivationError, match="root must be an integer"):
        derive(root, "j")  # type: ignore[arg-type]


def test_unknown_version_is_an_error() -> None:
    with pytest.raises(DerivationError, match="derivation must be one of 1, got 2"):
        derive(1, "j", version=2)


def test_empty_key_name_is_an_error() -> None:
    with pytest.raises(DerivationError, match="key names must not be empty"):
        derive(1, "j", {"": 1})


def test_parse_int_accepts_decimal_and_hex_only() -> None:
    assert parse_int("42") == parse_int("0x2a") == parse_int("0X2A") == 42
    for bad in ["", "0x", "4_2", "4.2", "²", "0xg", "forty"]:
        with pytest.raises(DerivationError, match="decimal or 0x-hex"):
            parse_int(bad)


def test_check_seed_for_names_framework_and_range() -> None:
    check_seed_for("r", 2**31 - 1)
    with pytest.raises(SeedRangeError, match=r"must be an integer in 0\.\.2147483647 for r, got 2147483648"):
        check_seed_for("r", 2**31)
    assert FRAMEWORK_SEED_MAX["caffe"] == 2**32 - 1


# Text the derivation takes: any Unicode except NUL and lone surrogates (docs/derivation.md, "Text").
texts = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
names = st.text(texts, max_size=12)
keymaps = st.dictionaries(st.text(texts, min_size=1, max_size=6), st.one_of(st.text(texts, max_size=6), st.integers()),
                          max_size=4)


@settings(max_examples=300, deadline=None)
@given(j1=names, k1=keymaps, j2=names, k2=keymaps)
def test_encoding_is_injective(j1: str, k1: dict[str, object], j2: str, k2: dict[str, object]) -> None:
    canon1 = (j1, {k: key_text(k, v) for k, v in k1.items()})
    canon2 = (j2, {k: key_text(k, v) for k, v in k2.items()})
    assert (encode(7, j1, k1) == encode(7, j2, k2)) == (canon1 == canon2)


@settings(max_examples=200, deadline=None)
@given(job=names, keys=keymaps, data=st.data())
def test_key_order_does_not_matter(job: str, keys: dict[str, object], data: st.DataObject) -> None:
    shuffled = dict(data.draw(st.permutations(list(keys.items()))))
    assert derive(5, job, keys) == derive(5, job, shuffled)


@settings(max_examples=200, deadline=None)
@given(root=st.integers(0, 2**128 - 1), job=names, keys=keymaps, bits=st.sampled_from(ALLOWED_BITS))
def test_seeds_lie_in_range_and_share_leading_bits(root: int, job: str, keys: dict[str, object], bits: int) -> None:
    value = derive(root, job, keys, bits=bits)
    assert 0 <= value < 2**bits
    assert derive(root, job, keys, bits=128) >> (128 - bits) == value


# -- the Python API raises DerivationError, and nothing else, for bad input ------------------------------


class Unindexable:
    def __index__(self) -> int:
        raise TypeError("no")

    def __repr__(self) -> str:
        raise ValueError("no repr either")


BAD_CALLS = {
    "bits as a float": ((1, "j"), {"bits": 31.0}),
    "bits as a string": ((1, "j"), {"bits": "31"}),
    "version as a float": ((1, "j"), {"version": 1.0}),
    "root as a float": ((1.0, "j"), {}),
    "job as bytes": ((1, b"j"), {}),
    "keys as a list": ((1, "j", [("rank", 1)]), {}),
    "keys as text": ((1, "j", "rank=1"), {}),
    "key name not text": ((1, "j", {3: 1}), {}),
    "lone surrogate in the job": ((1, "tr\udcffain"), {}),
    "lone surrogate in a key name": ((1, "j", {"\ud800": 1}), {}),
    "lone surrogate in a key value": ((1, "j", {"rank": "\udfff"}), {}),
    "NUL in the job": ((1, "a\x00b"), {}),
    "NUL in a key name": ((1, "j", {"a\x00": 1}), {}),
    "NUL in a key value": ((1, "j", {"rank": "\x00"}), {}),
    "an integer too large for text": ((1, "j", {"rank": 10**5000}), {}),
    "an integer just beyond the bound": ((1, "j", {"rank": KEY_INT_MAX + 1}), {}),
    "a negative integer beyond the bound": ((1, "j", {"rank": -KEY_INT_MAX - 1}), {}),
    "an object whose __index__ refuses": ((1, "j", {"rank": Unindexable()}), {}),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_input_is_a_derivation_error(case: str) -> None:
    args, kwargs = BAD_CALLS[case]
    with pytest.raises(DerivationError) as info:
        derive(*args, **kwargs)  # type: ignore[arg-type]
    assert len(str(info.value).splitlines()) == 1 and len(str(info.value)) < 300


def test_numpy_values_that_are_not_one_integer_are_derivation_errors() -> None:
    np = pytest.importorskip("numpy")
    for bits in (np.int64(64), np.int64(31), np.uint8(32)):
        with pytest.raises(DerivationError, match="bits must be one of"):
            derive(1, "j", bits=bits)
    with pytest.raises(DerivationError, match="key 'rank': must be text or an integer"):
        derive(1, "j", {"rank": np.array([1, 2])})
    assert derive(1, "j", {"rank": np.uint64(2**64 - 1)}) == derive(1, "j", {"rank": 2**64 - 1})


def test_the_manifest_api_raises_derivation_errors_too() -> None:
    """Manifest.seed and seed_for, pinned jobs included (they return the pin without deriving)."""
    m = seedbridge.Manifest.new(["train", seedbridge.Job("pinned", seed=5)], root=3)
    for job in ("train", "pinned"):
        for bits in (31.0, True, 30):
            with pytest.raises(DerivationError, match="bits must be one of"):
                m.seed(job, bits=bits)  # type: ignore[arg-type]
    with pytest.raises(DerivationError, match="within"):
        m.seed("train", rank=10**5000)
    with pytest.raises(DerivationError, match="lone surrogate"):
        m.seed_for("pinned", {"\udcff": 1})


def test_integer_keys_up_to_the_bound_work_and_equal_their_text() -> None:
    for value in (KEY_INT_MAX, -KEY_INT_MAX, 2**64 - 1, 10**300):
        assert derive(1, "j", {"rank": value}) == derive(1, "j", {"rank": str(value)})
    assert derive(1, "j", {"rank": 1e308}) == derive(1, "j", {"rank": str(int(1e308))})  # any integral double fits
    long_text = "9" * 5000  # text of any length is fine: it is hashed, never converted
    assert derive(1, "j", {"rank": long_text}) == derive(1, "j", {"rank": long_text})


def test_text_is_utf8_without_normalisation() -> None:
    assert encode(1, "naïve").endswith(b"6:na\xc3\xafve,1:0,")
    assert derive(1, "na\u00efve") != derive(1, "nai\u0308ve")  # NFC and NFD are different names


hashable = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary(),
                     st.decimals(allow_nan=False), st.fractions())
anything = st.one_of(hashable, st.lists(st.integers(), max_size=2))


@settings(max_examples=400, deadline=None)
@given(root=st.one_of(st.integers(-1, 2**129), anything), job=st.one_of(st.text(), anything),
       keys=st.one_of(st.dictionaries(st.one_of(st.text(), hashable), anything, max_size=3), anything),
       bits=st.one_of(st.sampled_from(ALLOWED_BITS), anything))
def test_any_input_gives_a_seed_or_a_derivation_error(root: object, job: object, keys: object, bits: object) -> None:
    """Whatever the Python API is given, it returns a seed or raises DerivationError: never TypeError,
    OverflowError, UnicodeEncodeError or a bare ValueError."""
    try:
        seed = derive(root, job, keys, bits=bits)  # type: ignore[arg-type]
    except DerivationError:
        return
    assert isinstance(seed, int) and 0 <= seed < 2**bits  # type: ignore[operator]
