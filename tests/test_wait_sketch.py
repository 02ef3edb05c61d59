"""The wait sketch: exact quantiles while the waits are few, relative resolution beyond."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from supplysim.sim.stats import WaitSketch, exact_quantile

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
probability = st.floats(min_value=0.0, max_value=1.0)


@given(st.lists(finite, min_size=1, max_size=60), probability)
def test_exact_quantile_is_numpys_linear_quantile_to_the_last_bit(values: list[float], p: float) -> None:
    expected = float(np.quantile(np.asarray(values), p))
    got = exact_quantile(values, p)
    assert got == expected or (math.isnan(got) and math.isnan(expected)), (values, p, got, expected)


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
    # past the exact limit the quantile is a bin centre: within the bin's relative width of an
    # order statistic next to the exact quantile
    exact = float(np.quantile(waits, 0.9))
    assert abs(sketch.quantile(0.9) / exact - 1) < 0.01


def test_sketch_without_waits() -> None:
    sketch = WaitSketch()
    assert math.isnan(sketch.quantile(0.5))
    assert math.isnan(sketch.mean)
