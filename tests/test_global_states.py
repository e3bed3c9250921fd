"""seedbridge._global_states: the fast save and restore of Python's random and NumPy's legacy state give what
getstate/setstate give, and anything unexpected takes the public path."""

from __future__ import annotations

import random

import pytest

from seedbridge import _global_states

np = pytest.importorskip("numpy")


def _python_draws() -> tuple[object, ...]:
    return random.random(), random.gauss(0.0, 1.0), random.getrandbits(70), random.gauss(0.0, 1.0)


def _numpy_draws() -> tuple[object, ...]:
    return np.random.rand(3).tolist(), float(np.random.normal()), np.random.randint(0, 2**31, 5).tolist()


@pytest.mark.parametrize("cached_gaussian", [True, False])
def test_python_state_round_trips_words_index_and_cached_gaussian(cached_gaussian: bool) -> None:
    state = _global_states.PythonRandomState()
    assert state.fast  # CPython's RandomObject layout was found and checked
    random.seed(11)
    random.random()
    [random.random() for _ in range(700)]  # past one refill of the 624 words
    if cached_gaussian:
        random.gauss(0.0, 1.0)  # leaves gauss_next set
    before = random.getstate()
    saved = state.save()
    expected = _python_draws()
    random.seed(99)
    random.gauss(0.0, 1.0)
    state.restore(saved)
    assert random.getstate() == before
    assert _python_draws() == expected


def test_python_seed_is_random_seed() -> None:
    state = _global_states.PythonRandomState()
    for value in (0, 5, 2**32 + 1, 2**128 - 1):
        random.seed(value)
        expected = _python_draws()
        random.gauss(0.0, 1.0)  # a cached Gaussian that seeding must clear
        state.seed(value)
        assert _python_draws() == expected


def test_python_state_takes_the_public_path_when_random_was_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    class Subclass(random.Random):
        pass

    for replacement in (Subclass(3).random, lambda: 0.5):
        monkeypatch.setattr(random, "random", replacement)
        state = _global_states.PythonRandomState()
        assert not state.fast
        random.seed(4)
        saved = state.save()
        expected = random.getrandbits(64), random.gauss(0.0, 1.0)
        state.seed(8)
        random.getrandbits(64)
        state.restore(saved)
        assert (random.getrandbits(64), random.gauss(0.0, 1.0)) == expected
        state.seed(8)
        draw = random.getrandbits(64)
        random.seed(8)
        assert random.getrandbits(64) == draw


@pytest.mark.parametrize("cached_gaussian", [True, False])
def test_numpy_state_round_trips_words_position_and_cached_gaussian(cached_gaussian: bool) -> None:
    state = _global_states.NumpyLegacyState()
    assert state.fast  # the MT19937 words and the RandomState's cached Gaussian were found and checked
    np.random.seed(5)
    np.random.rand(700)
    if cached_gaussian:
        np.random.normal()
    kind, key, pos, has_gauss, gauss = np.random.get_state()
    assert has_gauss == cached_gaussian
    saved = state.save()
    expected = _numpy_draws()
    np.random.seed(77)
    np.random.normal()  # the other way of the cache
    state.restore(saved)
    after = np.random.get_state()
    assert after[0] == kind and (after[1] == key).all() and after[2:] == (pos, has_gauss, gauss)
    assert _numpy_draws() == expected


def test_numpy_state_follows_a_replaced_bit_generator() -> None:
    original = np.random.get_bit_generator()
    state = _global_states.NumpyLegacyState()
    try:
        # Replaced between a save and its restore: the saved generator and its state go back.
        np.random.seed(6)
        saved = state.save()
        expected = _numpy_draws()
        np.random.set_bit_generator(np.random.MT19937(1))
        np.random.normal()
        state.restore(saved)
        assert np.random.get_bit_generator() is original
        assert _numpy_draws() == expected
        # Another kind of bit generator: the public path, the same round trip.
        np.random.set_bit_generator(np.random.PCG64(2))
        np.random.normal()
        saved = state.save()
        assert not state.fast
        expected = _numpy_draws()
        state.restore(saved)
        assert _numpy_draws() == expected
        # And back to an MT19937: found again.
        np.random.set_bit_generator(np.random.MT19937(3))
        saved = state.save()
        assert state.fast
        expected = _numpy_draws()
        state.restore(saved)
        assert _numpy_draws() == expected
    finally:
        np.random.set_bit_generator(original)


def test_finding_the_layouts_leaves_the_states_as_they_were() -> None:
    random.seed(21)
    random.gauss(0.0, 1.0)
    np.random.seed(21)
    np.random.normal()
    python, numpy = random.getstate(), np.random.get_state()
    _global_states.PythonRandomState()
    _global_states.NumpyLegacyState()
    assert random.getstate() == python
    after = np.random.get_state()
    assert (after[1] == numpy[1]).all() and after[2:] == numpy[2:]
