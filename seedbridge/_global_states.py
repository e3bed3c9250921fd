"""Save and restore the process-wide states of Python's ``random`` and NumPy's legacy ``np.random`` in about a
microsecond each, for code that puts them back after every sample (``seedbridge.torch.SeededDataset``).

The public interfaces copy a state number by number: ``random.getstate()`` builds a tuple of 625 ints (13 us
here), ``np.random.get_state()`` and ``set_state()`` convert the 624 words one by one (tens of us). Both keep the
state in one block of memory, so a copy of the block's bytes is the state:

- CPython's ``RandomObject`` (Modules/_randommodule.c): ``int index; uint32_t state[624]``, inside the object
  behind ``random.random``; ``random.Random`` keeps one cached Gaussian in ``gauss_next``, a Python attribute;
- NumPy's ``mt19937_state`` (numpy/random/src/mt19937/mt19937.h): ``uint32_t key[624]; int pos``, at the bit
  generator's documented ``ctypes.state_address``; the ``RandomState`` behind ``np.random.rand`` caches one
  Gaussian in its ``aug_bitgen_t`` (numpy/random/include/legacy-distributions.h: ``bitgen_t *bit_generator;
  int has_gauss; double gauss``), whose first field points at the bit generator's ``bitgen_t`` inside the
  ``RandomState``, whose first field is the state address.

Each block is found once by its contents and checked against the public interface; anything unexpected (another
interpreter, another layout, another bit generator) takes the public path: the same results, only slower.

Stdlib only; NumPy is imported by ``NumpyLegacyState`` alone.
"""

from __future__ import annotations

import _random
import ctypes
import random
import struct
import sys
from typing import Any

__all__ = ["NumpyLegacyState", "PythonRandomState"]

_MT_WORDS = 624
# id() is the object's address in CPython only; elsewhere (PyPy) the public path is taken.
_CPYTHON = sys.implementation.name == "cpython"
_POINTER = struct.Struct("P")  # native: a pointer as the C code stores it


def _offset_of(memory: bytes, block: bytes) -> int | None:
    """Where ``block`` lies in ``memory``, when it occurs exactly once."""
    offset = memory.find(block)
    return offset if offset >= 0 and memory.find(block, offset + 1) < 0 else None


def _view(address: int, size: int) -> Any:
    """The ``size`` bytes at ``address`` as a ctypes array: its ``raw`` reads and writes them in a tenth of the
    time of ``ctypes.string_at`` and ``ctypes.memmove``, which are foreign calls. It does not keep the memory's
    owner alive: the caller does."""
    return (ctypes.c_char * size).from_address(address)


def _pointer_offsets(address: int, size: int, value: int) -> list[int]:
    """The aligned offsets in the ``size`` bytes at ``address`` that hold the pointer ``value``."""
    memory = ctypes.string_at(address, size)
    width = _POINTER.size
    return [at for at in range(0, size - width + 1, width) if _POINTER.unpack_from(memory, at)[0] == value]


class PythonRandomState:
    """The state of Python's global ``random`` (the instance behind ``random.random``)."""

    _SIZE = 4 + 4 * _MT_WORDS

    def __init__(self) -> None:
        # The module's functions are bound methods of one hidden instance (random._inst); if any was replaced,
        # the public path is taken.
        owners = {id(getattr(f, "__self__", None)) for f in (random.random, random.seed, random.getstate)}
        self._inst: Any = getattr(random.random, "__self__", None) if len(owners) == 1 else None
        address = self._locate()
        self._view = None if address is None else _view(address, self._SIZE)

    @property
    def fast(self) -> bool:
        """Whether the state is copied as bytes (the layout check held)."""
        return self._view is not None

    def _locate(self) -> int | None:
        inst = self._inst
        if not _CPYTHON or type(inst) is not random.Random:  # another class may keep its state elsewhere
            return None
        before = inst.getstate()
        internal = before[1]
        if len(internal) != _MT_WORDS + 1:
            return None
        block = struct.pack(f"=i{_MT_WORDS}I", internal[-1], *internal[:-1])
        offset = _offset_of(ctypes.string_at(id(inst), type(inst).__basicsize__), block)
        if offset is None:
            return None
        address = id(inst) + offset
        # A round trip through the bytes must give getstate()'s state back after draws moved it.
        inst.random()
        ctypes.memmove(address, block, self._SIZE)
        if inst.getstate()[1] != internal:
            inst.setstate(before)
            return None
        return address

    def save(self) -> tuple[Any, ...]:
        if self._view is None:
            return ("state", random.getstate())
        return ("bytes", self._view.raw, self._inst.gauss_next)

    def restore(self, saved: tuple[Any, ...]) -> None:
        if saved[0] == "state":
            random.setstate(saved[1])
        else:
            self._view.raw = saved[1]  # type: ignore[union-attr]
            self._inst.gauss_next = saved[2]

    def seed(self, value: int) -> None:
        """``random.seed(value)`` for an int. random.py's ``Random.seed`` passes an int to the C seeding
        (``_random.Random.seed``) and clears ``gauss_next``: the same, without its Python-level checks."""
        if self._view is None:
            random.seed(value)
        else:
            _random.Random.seed(self._inst, value)
            self._inst.gauss_next = None


class NumpyLegacyState:
    """The state of NumPy's legacy global generator (the ``RandomState`` behind ``np.random.rand``): its MT19937
    words and its cached Gaussian."""

    _SIZE = 4 * _MT_WORDS + 4
    _GAUSS = struct.Struct("=i4xd")  # has_gauss, padding, gauss: aug_bitgen_t after its pointer

    def __init__(self) -> None:
        import numpy as np

        self._np: Any = np  # Any: numpy's stubs do not export get_bit_generator (public since NumPy 1.25)
        self._state = getattr(np.random.random_sample, "__self__", None)
        self._gauss: Any = None  # a view of the cached Gaussian, in the RandomState (found once)
        self.seed = np.random.seed  # the MT19937 words from an int in 0..2**32-1, no cached Gaussian
        self._locate()

    @property
    def fast(self) -> bool:
        """Whether the state is copied as bytes (the layout checks held)."""
        return self._words is not None

    def _locate(self) -> None:
        """Finds the words of the current bit generator, and the cached Gaussian on the first call."""
        np = self._np
        self._bit_generator = bg = np.random.get_bit_generator()
        self._words: Any = None
        state = self._state
        if not isinstance(bg, np.random.MT19937) or not isinstance(state, np.random.RandomState):
            return
        before = state.get_state()
        _, key, pos, _, _ = before
        words = _view(int(bg.ctypes.state_address), self._SIZE)
        if words.raw != key.astype("=u4").tobytes() + struct.pack("=i", pos):
            return
        if self._gauss is None and _CPYTHON:
            try:
                self._gauss = self._locate_gauss(state, ctypes.addressof(words), key, pos)
            finally:
                state.set_state(before)
        if self._gauss is not None:
            self._words = words

    def _locate_gauss(self, state: Any, words: int, key: Any, pos: int) -> Any:
        # The RandomState's bitgen_t starts with the state address; aug_bitgen_t starts with the bitgen_t's.
        size = type(state).__basicsize__
        bitgen = _pointer_offsets(id(state), size, words)
        augs = _pointer_offsets(id(state), size, id(state) + bitgen[0]) if len(bitgen) == 1 else []
        if len(augs) != 1:
            return None
        gauss = _view(id(state) + augs[0] + _POINTER.size, self._GAUSS.size)
        # Both ways of the cached Gaussian must read back as set_state() wrote them.
        for has_gauss, value in ((1, 0.8125), (0, 0.0)):
            state.set_state(("MT19937", key, pos, has_gauss, value))
            if self._GAUSS.unpack(gauss.raw) != (has_gauss, value):
                return None
        return gauss

    def save(self) -> tuple[Any, ...]:
        if self._np.random.get_bit_generator() is not self._bit_generator:  # np.random.set_bit_generator()
            self._locate()
        if self._words is None:
            return ("state", self._np.random.get_state(legacy=False))  # a dict: any bit generator, no warning
        # The bit generator is kept with the bytes, so the words' memory stays valid until they are written back.
        return ("bytes", self._bit_generator, self._words, self._words.raw, self._gauss.raw)

    def restore(self, saved: tuple[Any, ...]) -> None:
        if saved[0] == "state":
            self._np.random.set_state(saved[1])
            return
        _, bg, words, words_bytes, gauss_bytes = saved
        if self._np.random.get_bit_generator() is not bg:  # replaced in between: the saved one goes back
            self._np.random.set_bit_generator(bg)
        words.raw = words_bytes
        self._gauss.raw = gauss_bytes  # in the RandomState, whatever its bit generator
