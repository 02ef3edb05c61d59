"""Replication summaries (:mod:`supplysim.analysis.intervals`): the plain-Python sums of a small
sample give NumPy's numbers to the last bit, so every ``summary.json`` is unchanged by them."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import special

from supplysim.analysis.intervals import SMALL_SAMPLE, _sum, summarize, t_quantile

finite = st.floats(allow_nan=False, allow_infinity=False)
values = st.one_of(
    finite,
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324, 1e308]),
)


def _numpy(xs: list[float]) -> tuple[float, float, float, int]:
    """What :func:`summarize` computed with NumPy alone: mean, sd (ddof 1), half-width, n."""
    x = np.asarray([v for v in xs if math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    sd = float(x.std(ddof=1))
    return mean, sd, float(float(special.stdtrit(n - 1, 0.975)) * sd / math.sqrt(n)), n


def _bits(x: float) -> str:
    return "nan" if math.isnan(x) else x.hex()


@settings(max_examples=3000, deadline=None)
@given(st.lists(values, max_size=SMALL_SAMPLE + 2))  # above SMALL_SAMPLE it is NumPy itself
@example([-0.0, -0.0])  # NumPy's sum of zeros is +0.0
@example([-0.0] * 9)
@example([1e308, 1e308, -1e308])  # an overflowing sum: ∞, then NaN
@example([0.1] * 8 + [0.2] * 8 + [0.3])  # the eight partial sums, then the rest
def test_summarize_is_numpys_to_the_last_bit(xs: list[float]) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        want = _numpy(xs)
    s = summarize(xs)
    assert s.n == want[3]
    assert [_bits(s.mean), _bits(s.sd), _bits(s.ci95_half_width)] == [_bits(v) for v in want[:3]], xs


@settings(max_examples=2000, deadline=None)
@given(st.lists(finite, max_size=128) | st.lists(st.sampled_from([0.1, -0.0, 1e308, -1e308, 5e-324]), max_size=128))
@example([0.1] * 127 + [1e16])  # the partial sums and the rest, at NumPy's whole block
def test_the_plain_sum_is_numpys_up_to_128_values(xs: list[float]) -> None:
    """``_sum`` of 0 to 128 values (beyond what summarize gives it) is ``numpy.add.reduce``'s, bit for
    bit, once the reduction's 0.0 is added."""
    with np.errstate(over="ignore", invalid="ignore"):
        want = float(np.add.reduce(np.asarray(xs, dtype=float)))
        got = 0.0 + _sum(xs)
    assert _bits(got) == _bits(want), xs


def test_the_plain_sum_refuses_what_numpy_would_split() -> None:
    import pytest

    with pytest.raises(ValueError, match="at most 128"):
        _sum([1.0] * 129)


def test_summarize_of_typical_replications_is_numpys() -> None:
    """Many seeded samples of the sizes and scales a run has (3 to 200 replications, profits,
    rates, counts): every mean and sd equal to NumPy's bits (hypothesis above covers the odd ones)."""
    rng = np.random.default_rng(7)
    for trial in range(20_000):
        n = int(rng.integers(2, 200)) if trial % 2 else int(rng.integers(2, 12))
        scale = 10 ** rng.uniform(-6, 9)
        x = rng.normal(size=n) * scale if trial % 3 else rng.lognormal(0, 2, size=n) * scale
        s = summarize(x.tolist())
        assert (s.mean, s.sd) == (float(x.mean()), float(x.std(ddof=1))), (n, scale)


def test_t_quantile_remembers_and_stays_exact() -> None:
    assert t_quantile(0.975, 2) == float(special.stdtrit(2, 0.975))
    assert abs(t_quantile(0.975, 2) - 4.303) < 5e-4  # the tables' t_{0.975, 2}
    hits = t_quantile.cache_info().hits
    assert t_quantile(0.975, 7.25) == t_quantile(0.975, 7.25) == float(special.stdtrit(7.25, 0.975))
    assert t_quantile.cache_info().hits == hits + 1
    for df in range(1, 600):  # more pairs than it remembers: each still the same value
        assert t_quantile(0.975, df) == float(special.stdtrit(df, 0.975))
