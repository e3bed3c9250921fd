"""The sweep statistics against R (qt, t.test), the reference every statistician can re-run."""

from __future__ import annotations

import json
import math
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedbridge.sweeps import summarize, t_quantile
from seedbridge.sweeps._stats import LARGER, WITHIN, difference

A = [0.712, 0.698, 0.731, 0.705, 0.722, 0.690, 0.715]
B = [0.701, 0.699, 0.712, 0.690, 0.716, 0.671, 0.709]
DFS = [1, 2, 3, 4, 7.5, 9, 30, 120, 1000]


def rscript(code: str) -> object:
    proc = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def reference() -> dict[str, list[float]]:
    a, b = ", ".join(map(repr, A)), ", ".join(map(repr, B))
    code = f"""
    a <- c({a}); b <- c({b})
    q <- qt(0.975, c({", ".join(map(str, DFS))}))
    one <- t.test(a)$conf.int; p <- t.test(a, b, paired = TRUE)$conf.int; w <- t.test(a, b)
    f <- function(x) sprintf("%.17g", x)
    cat("{{", '"qt": [', paste(f(q), collapse = ","), '], "one": [', paste(f(one), collapse = ","),
        '], "paired": [', paste(f(p), collapse = ","), '], "welch": [', paste(f(w$conf.int), collapse = ","),
        '], "welch_df": [', f(w$parameter), '], "sd": [', f(sd(a)), '], "median": [', f(median(a)), "]}}")
    """
    result = rscript(code)
    assert isinstance(result, dict)
    return result


def test_t_quantile_matches_r_qt(reference: dict[str, list[float]]) -> None:
    for df, expected in zip(DFS, reference["qt"], strict=True):
        assert t_quantile(0.975, df) == pytest.approx(expected, rel=1e-10), df


def test_summary_matches_r(reference: dict[str, list[float]]) -> None:
    s = summarize(A)
    assert s.n == len(A)
    assert s.mean == pytest.approx(sum(A) / len(A), rel=1e-15)
    assert s.sd == pytest.approx(reference["sd"][0], rel=1e-12)
    assert s.median == reference["median"][0]
    assert (s.min, s.max) == (min(A), max(A))
    assert s.ci95 == pytest.approx(tuple(reference["one"]), rel=1e-10)


def test_paired_and_welch_intervals_match_r_t_test(reference: dict[str, list[float]]) -> None:
    paired = difference(A, B, paired=True)
    assert paired.ci95 == pytest.approx(tuple(reference["paired"]), rel=1e-9)
    assert paired.df == len(A) - 1
    welch = difference(A, B, paired=False)
    assert welch.ci95 == pytest.approx(tuple(reference["welch"]), rel=1e-9)
    assert welch.df == pytest.approx(reference["welch_df"][0], rel=1e-12)
    # Pairing removes the shared seed effect here: the paired interval excludes 0, Welch's does not.
    assert (paired.verdict, welch.verdict) == (LARGER, WITHIN)


def test_fewer_than_two_values_leave_the_interval_undefined() -> None:
    assert summarize([]).n == 0 and summarize([]).mean is None
    one = summarize([0.5])
    assert (one.n, one.mean, one.sd, one.ci95, one.median) == (1, 0.5, None, None, 0.5)
    d = difference([0.5], [0.4, 0.6], paired=False)
    assert d.ci95 is None and d.verdict.startswith("undefined")
    assert difference([0.5], [0.4], paired=True).verdict.startswith("undefined")


def test_identical_values_give_a_zero_width_interval() -> None:
    s = summarize([0.7, 0.7, 0.7])
    assert (s.sd, s.ci95) == (0.0, (0.7, 0.7))
    assert difference([0.7, 0.7], [0.7, 0.7], paired=False).verdict == WITHIN
    assert difference([0.7, 0.7], [0.6, 0.6], paired=False).verdict == LARGER


def test_t_quantile_refuses_bad_arguments() -> None:
    for p, df in ((0.0, 3), (1.0, 3), (0.9, 0), (0.9, -1), (math.nan, 3)):
        with pytest.raises(ValueError, match="t_quantile needs"):
            t_quantile(p, df)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.001, 0.999), st.floats(0.2, 1e4))
def test_t_quantile_inverts_the_cdf_and_is_symmetric(p: float, df: float) -> None:
    from seedbridge.sweeps._stats import _t_cdf

    q = t_quantile(p, df)
    assert _t_cdf(q, df) == pytest.approx(p, abs=1e-9)
    assert t_quantile(1 - p, df) == pytest.approx(-q, rel=1e-9, abs=1e-12)
