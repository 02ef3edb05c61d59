"""The wait sketch: exact quantiles while the waits are few, relative resolution beyond."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from supplysim.sim.stats import WaitSketch, exact_quantile

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False).map(
    lambda x: x + 0.0  # −0.0 becomes 0.0: which of two equal zeros sorts first is not defined
)
probability = st.floats(min_value=0.0, max_value=1.0)


@given(st.lists(finite, min_size=1, max_size=60), probability)
def test_exact_quantile_is_numpys_linear_quantile_to_the_last_bit(values: list[float], p: float) -> None:
    expected = float(np.quantile(np.asarray(values), p))
    got = exact_quantile(values, p)
    assert got.hex() == expected.hex(), (values, p, got, expected)


@given(st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=1, max_size=30))
def test_exact_quantile_at_the_ends_and_leaves_its_input_alone(values: list[float]) -> None:
    before = list(values)
    assert exact_quantile(values, 0.0) == min(values)
    assert exact_quantile(values, 1.0) == max(values)
    assert values == before


def test_exact_quantile_interpolates_between_order_statistics() -> None:
    # h = (5 - 1) * 0.3 = 1.2: x(1) + 0.2 * (x(2) - x(1)) = 2 + 0.2 * 2
    assert math.isclose(exact_quantile([8.0, 2.0, 4.0, 0.0, 6.0], 0.3), 2.4)
    assert exact_quantile([3.0], 0.9) == 3.0


def test_sketch_quantile_exact_then_within_its_resolution() -> None:
    rng = np.random.default_rng(11)
    waits = rng.exponential(2.0, size=10_000)
    sketch = WaitSketch(exact_limit=100, resolution=0.002)
    for w in waits[:100]:
        sketch.add(float(w))
    assert sketch.quantile(0.9) == float(np.quantile(waits[:100], 0.9))
    for w in waits[100:]:
        sketch.add(float(w))
    assert sketch.count == len(waits)
    assert math.isclose(sketch.mean, float(waits.mean()), rel_tol=1e-12)
    # past the exact limit the quantile is the geometric centre of the bin holding the
    # ⌈0.9 n⌉-th wait: within half a bin (0.1 %) of that order statistic, which is within one
    # spacing (≈ 1 / (n f(q)) = 0.002 days ≈ 0.04 % of q = 4.6 for exponential(2)) of the
    # interpolated quantile; one bin's relative width bounds both
    exact = float(np.quantile(waits, 0.9))
    assert abs(sketch.quantile(0.9) / exact - 1) < 0.002


def test_sketch_without_waits() -> None:
    sketch = WaitSketch()
    assert math.isnan(sketch.quantile(0.5))
    assert math.isnan(sketch.mean)
