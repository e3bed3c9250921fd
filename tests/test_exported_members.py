import seedbridge


def test_all_is_sorted_and_pinned() -> None:
    assert seedbridge.__all__ == sorted(seedbridge.__all__)
    for name in seedbridge.__all__:
        assert hasattr(seedbridge, name), name


def test_errors_inherit_matching_builtins() -> None:
    assert issubclass(seedbridge.ManifestError, ValueError)
    assert issubclass(seedbridge.UnknownJobError, LookupError)
    assert issubclass(seedbridge.MissingDependencyError, ImportError)
    for name in seedbridge.__all__:
        obj = getattr(seedbridge, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, seedbridge.SeedbridgeError)
