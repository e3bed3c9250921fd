from __future__ import annotations

import hashlib
import json

import pytest
from conftest import GOLDEN
from hypothesis import given, settings
from hypothesis import strategies as st

from seedbridge.derive import ALLOWED_BITS, FRAMEWORK_SEED_MAX, check_seed_for, derive, encode, key_text, parse_int
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


@pytest.mark.parametrize("bits", [0, 30, 33, 65, 256, True])
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


names = st.text(max_size=12)
keymaps = st.dictionaries(st.text(min_size=1, max_size=6), st.one_of(st.text(max_size=6), st.integers()), max_size=4)


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
