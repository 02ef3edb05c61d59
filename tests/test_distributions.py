"""One conformance battery that every distribution passes.

Each instance below is built the way a scenario builds it (``TypeAdapter(Duration)`` /
``TypeAdapter(Quantity)`` on a YAML-like mapping) and must honour the contract of
``supplysim.scenario.distributions``: ``sample`` draws from a law whose exact moments are
``mean`` and ``variance``; durations are never negative; quantities are integers not
below the documented minimum; the same seed gives the same draws; and, for durations,
``residual_mean(a)`` is E[X − a | X > a].

Tolerances are confidence bounds: with a fixed seed every check is deterministic, and
an honest implementation fails a 5-standard-error bound with probability below 1e-6.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from supplysim.scenario.distributions import Duration, Quantity, draw_indices
from supplysim.scenario.load import ScenarioError, parse_scenario

DURATION: TypeAdapter[Any] = TypeAdapter(Duration)
QUANTITY: TypeAdapter[Any] = TypeAdapter(Quantity)

N = 200_000
"""Draws per statistical check."""
Z = 5.0
"""Standard errors allowed: P(|N(0,1)| > 5) ≈ 5.7e-7 per check."""

# (id, spec) – durations
CONTINUOUS: list[tuple[str, Any]] = [
    ("constant", {"dist": "constant", "value": 3.0}),
    ("constant-plain-number", 2.5),
    ("exponential", {"dist": "exponential", "mean": 4.0}),
    ("uniform", {"dist": "uniform", "low": 2.0, "high": 6.0}),
    ("triangular", {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0}),
    ("normal-far-from-0", {"dist": "normal", "mean": 10.0, "sd": 2.0}),
    ("normal-near-0", {"dist": "normal", "mean": 0.5, "sd": 2.0}),
    ("normal-negative-mu", {"dist": "normal", "mean": -1.0, "sd": 2.0}),
    ("lognormal", {"dist": "lognormal", "mean": 5.0, "sd": 2.0}),
    ("gamma-mean-cv", {"dist": "gamma", "mean": 7.0, "cv": 0.4}),
    ("gamma-mean-sd", {"dist": "gamma", "mean": 3.0, "sd": 2.0}),
    ("gamma-shape-scale", {"dist": "gamma", "shape": 2.0, "scale": 1.5}),
    ("erlang", {"dist": "erlang", "k": 3, "mean": 6.0}),
    ("weibull", {"dist": "weibull", "shape": 1.5, "scale": 3.0}),
    ("empirical-weighted", {"dist": "empirical", "values": [1.0, 2.5, 4.0, 10.0], "weights": [1, 2, 3, 0.5]}),
    ("empirical-unweighted", {"dist": "empirical", "values": [0.5, 1.5, 7.0]}),
]

# (id, spec, documented minimum) – quantities
DISCRETE: list[tuple[str, Any, int]] = [
    ("constant", {"dist": "constant", "value": 3}, 3),
    ("constant-plain-number", 2, 2),
    ("poisson", {"dist": "poisson", "mean": 3.0}, 0),
    ("poisson-shift", {"dist": "poisson", "mean": 4.5, "shift": 1}, 1),
    ("geometric", {"dist": "geometric", "mean": 2.5}, 1),
    ("choice", {"dist": "choice", "values": [1, 2, 5], "weights": [0.5, 0.3, 0.2]}, 1),
    ("choice-zero-weight-minimum", {"dist": "choice", "values": [1, 3, 6], "weights": [0, 2, 1]}, 3),
    ("empirical-discrete", {"dist": "empirical", "values": [2, 4, 4, 9]}, 2),
    ("negative-binomial", {"dist": "negative_binomial", "mean": 4.0, "sd": 3.0}, 0),
    ("negative-binomial-shift", {"dist": "negative_binomial", "mean": 5.0, "sd": 3.0, "shift": 2}, 2),
]

# Exact moments written down here from the textbook formulas, independently of the code.
EXPECTED_MOMENTS: dict[str, tuple[float, float]] = {
    "c/constant": (3.0, 0.0),
    "c/constant-plain-number": (2.5, 0.0),
    "c/exponential": (4.0, 16.0),
    "c/uniform": (4.0, 16.0 / 12),
    "c/triangular": (3.0, (1 + 4 + 36 - 2 - 6 - 12) / 18),
    "c/lognormal": (5.0, 4.0),
    "c/gamma-mean-cv": (7.0, (0.4 * 7.0) ** 2),
    "c/gamma-mean-sd": (3.0, 4.0),
    "c/gamma-shape-scale": (3.0, 2.0 * 1.5**2),
    "c/erlang": (6.0, 36.0 / 3),
    "c/weibull": (3.0 * math.gamma(1 + 1 / 1.5), 9.0 * (math.gamma(1 + 2 / 1.5) - math.gamma(1 + 1 / 1.5) ** 2)),
    "d/constant": (3.0, 0.0),
    "d/constant-plain-number": (2.0, 0.0),
    "d/poisson": (3.0, 3.0),
    "d/poisson-shift": (4.5, 3.5),
    "d/geometric": (2.5, (1 - 0.4) / 0.4**2),
    "d/choice": (0.5 + 0.6 + 1.0, 0.5 * 1 + 0.3 * 4 + 0.2 * 25 - 2.1**2),
    "d/choice-zero-weight-minimum": (4.0, (2 / 3) * 1 + (1 / 3) * 4),
    "d/empirical-discrete": (4.75, (2.75**2 + 0.75**2 * 2 + 4.25**2) / 4),
    "d/negative-binomial": (4.0, 9.0),
    "d/negative-binomial-shift": (5.0, 9.0),
}


def _truncated_normal_moments(mu: float, sigma: float) -> tuple[float, float]:
    """Moments of N(mu, sigma²) conditioned on X ≥ 0, by numerical integration of the density."""
    x = np.linspace(0.0, mu + 12 * sigma, 400_001)
    f = np.exp(-0.5 * ((x - mu) / sigma) ** 2)
    mass = np.trapezoid(f, x)
    m1 = np.trapezoid(x * f, x) / mass
    m2 = np.trapezoid(x * x * f, x) / mass
    return float(m1), float(m2 - m1 * m1)


def _empirical_moments(values: list[float], weights: list[float] | None) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    p = w / w.sum()
    m = float(p @ v)
    return m, float(p @ (v - m) ** 2)


for _id, _spec in CONTINUOUS:
    if isinstance(_spec, dict) and _spec["dist"] == "normal":
        EXPECTED_MOMENTS[f"c/{_id}"] = _truncated_normal_moments(_spec["mean"], _spec["sd"])
    if isinstance(_spec, dict) and _spec["dist"] == "empirical":
        EXPECTED_MOMENTS[f"c/{_id}"] = _empirical_moments(_spec["values"], _spec.get("weights"))

CASES: list[Any] = [pytest.param(f"c/{i}", "c", s, None, id=f"duration-{i}") for i, s in CONTINUOUS] + [
    pytest.param(f"d/{i}", "d", s, m, id=f"quantity-{i}") for i, s, m in DISCRETE
]


def _build(kind: str, spec: Any) -> Any:
    return (DURATION if kind == "c" else QUANTITY).validate_python(spec)


def _rng(kind: str, spec: Any, salt: str = "") -> np.random.Generator:
    """A fixed generator per instance, so every check is reproducible."""
    return np.random.default_rng(zlib.crc32(f"{kind}{spec!r}{salt}".encode()))


# --------------------------------------------------------------------------- the battery


@pytest.mark.parametrize(("key", "kind", "spec", "minimum"), CASES)
def test_exact_moments_match_theory(key: str, kind: str, spec: Any, minimum: int | None) -> None:
    """`.mean` and `.variance` are the closed-form moments of the law (written independently above)."""
    d = _build(kind, spec)
    mean, var = EXPECTED_MOMENTS[key]
    assert d.mean == pytest.approx(mean, rel=1e-6, abs=1e-12)
    assert d.variance == pytest.approx(var, rel=1e-5, abs=1e-12)


@pytest.mark.parametrize(("key", "kind", "spec", "minimum"), CASES)
def test_sample_mean_within_standard_errors(key: str, kind: str, spec: Any, minimum: int | None) -> None:
    d = _build(kind, spec)
    x = d.sample(_rng(kind, spec), N)
    assert x.shape == (N,)
    if d.variance == 0:
        assert np.all(x == d.mean)
        return
    se = math.sqrt(d.variance / N)
    assert abs(float(x.mean()) - d.mean) <= Z * se, (float(x.mean()), d.mean, se)


@pytest.mark.parametrize(("key", "kind", "spec", "minimum"), CASES)
def test_sample_variance_within_standard_errors(key: str, kind: str, spec: Any, minimum: int | None) -> None:
    """Sample variance s² vs `.variance`.

    For iid draws, Var(s²) = μ₄/n − σ⁴ (n − 3) / (n (n − 1)) with μ₄ the fourth central
    moment (Cramér, *Mathematical Methods of Statistics*, 27.4). We plug in the sample's
    own fourth central moment and s², which is consistent for every law here (all have a
    finite eighth moment, so the plug-in estimate is itself accurate at n = 200 000), and
    allow 5 of those standard errors.
    """
    d = _build(kind, spec)
    x = np.asarray(d.sample(_rng(kind, spec, "var"), N), dtype=float)
    s2 = float(x.var(ddof=1))
    if d.variance == 0:
        assert s2 == 0.0
        return
    m4 = float(np.mean((x - x.mean()) ** 4))
    var_s2 = m4 / N - s2 * s2 * (N - 3) / (N * (N - 1))
    assert var_s2 > 0
    assert abs(s2 - d.variance) <= Z * math.sqrt(var_s2), (s2, d.variance, math.sqrt(var_s2))


@pytest.mark.parametrize(("key", "kind", "spec", "minimum"), CASES)
def test_support(key: str, kind: str, spec: Any, minimum: int | None) -> None:
    """Durations are finite and never negative; quantities are integers ≥ the documented minimum."""
    d = _build(kind, spec)
    x = d.sample(_rng(kind, spec, "support"), N)
    assert np.all(np.isfinite(x))
    if kind == "c":
        assert float(x.min()) >= 0.0
        return
    assert minimum is not None
    assert np.issubdtype(x.dtype, np.integer), x.dtype
    assert int(x.min()) >= minimum
    # every instance puts visible mass (≥ 3%) on its minimum, so it is attained: the support starts there
    assert int(x.min()) == minimum
    assert d.min_value == minimum


@pytest.mark.parametrize(("key", "kind", "spec", "minimum"), CASES)
def test_same_seed_same_samples(key: str, kind: str, spec: Any, minimum: int | None) -> None:
    d = _build(kind, spec)
    a = d.sample(np.random.default_rng(2024), 1000)
    b = d.sample(np.random.default_rng(2024), 1000)
    np.testing.assert_array_equal(a, b)
    c = d.sample(np.random.default_rng(2025), 1000)
    if d.variance > 0:
        assert not np.array_equal(a, c), "the draws do not depend on the generator"
    else:
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize(("key", "kind", "spec", "minimum"), CASES)
def test_round_trips_through_its_dump(key: str, kind: str, spec: Any, minimum: int | None) -> None:
    """The resolved scenario file writes distributions with model_dump(by_alias=True): it must re-validate."""
    d = _build(kind, spec)
    again = _build(kind, d.model_dump(mode="json", by_alias=True))
    assert again == d
    assert again.mean == d.mean and again.variance == d.variance


# --------------------------------------------------------------------------- residual life

CONTINUOUS_CASES = [pytest.param(s, id=i) for i, s in CONTINUOUS]
RANDOM_CONTINUOUS_CASES = [pytest.param(s, id=i) for i, s in CONTINUOUS if not i.startswith("constant")]
BOUNDED_CASES = [
    pytest.param(s, hi, id=i)
    for i, s, hi in [
        ("constant", 3.0, 3.0),
        ("uniform", {"dist": "uniform", "low": 2.0, "high": 6.0}, 6.0),
        ("triangular", {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0}, 6.0),
        ("empirical", {"dist": "empirical", "values": [1.0, 2.5, 4.0, 10.0], "weights": [1, 2, 3, 0.5]}, 10.0),
    ]
]


@pytest.mark.parametrize("spec", RANDOM_CONTINUOUS_CASES)
def test_residual_mean_matches_monte_carlo(spec: Any) -> None:
    """residual_mean(a) vs the sample mean of X − a over the draws with X > a (a 5-SE interval)."""
    d = _build("c", spec)
    ages = np.array([0.5 * d.mean, 1.2 * d.mean])
    got = d.residual_mean(ages)
    assert got.shape == ages.shape
    x = np.asarray(d.sample(_rng("c", spec, "residual"), 400_000), dtype=float)
    for a, value in zip(ages, got, strict=True):
        excess = x[x > a] - a
        assert len(excess) > 1000, "choose ages with enough mass beyond them"
        se = float(excess.std(ddof=1)) / math.sqrt(len(excess))
        assert abs(float(value) - float(excess.mean())) <= Z * se + 1e-9 * d.mean, (a, value, excess.mean(), se)


@pytest.mark.parametrize("spec", CONTINUOUS_CASES)
def test_residual_mean_at_age_zero_is_the_mean(spec: Any) -> None:
    """E[X − 0 | X > 0] = E[X] for a law without an atom at 0 (all instances here)."""
    d = _build("c", spec)
    assert float(d.residual_mean(np.array([0.0]))[0]) == pytest.approx(d.mean, rel=1e-6)


@pytest.mark.parametrize(("spec", "high"), BOUNDED_CASES)
def test_residual_mean_vanishes_at_the_top_of_a_bounded_support(spec: Any, high: float) -> None:
    """Once X has certainly ended (age ≥ max X), nothing remains."""
    d = _build("c", spec)
    np.testing.assert_array_equal(d.residual_mean(np.array([high, high + 1.0, 1e6])), [0.0, 0.0, 0.0])


def test_residual_mean_constant_is_exact() -> None:
    d = _build("c", {"dist": "constant", "value": 3.0})
    np.testing.assert_array_equal(d.residual_mean(np.array([0.0, 1.0, 2.5, 3.0, 5.0])), [3.0, 2.0, 0.5, 0.0, 0.0])


def test_residual_mean_exponential_is_memoryless() -> None:
    d = _build("c", {"dist": "exponential", "mean": 4.0})
    np.testing.assert_array_equal(d.residual_mean(np.array([0.0, 1.0, 10.0, 100.0])), [4.0] * 4)


def test_residual_mean_uniform_closed_form() -> None:
    """U(l, h): residual at a < l is (l + h)/2 − a; at l ≤ a < h it is (h − a)/2; beyond h, 0."""
    d = _build("c", {"dist": "uniform", "low": 2.0, "high": 6.0})
    got = d.residual_mean(np.array([0.0, 1.0, 2.0, 3.0, 5.5, 6.0, 9.0]))
    np.testing.assert_allclose(got, [4.0, 3.0, 2.0, 1.5, 0.25, 0.0, 0.0], atol=1e-12)


def test_residual_mean_empirical_closed_form() -> None:
    d = _build("c", {"dist": "empirical", "values": [1.0, 2.5, 4.0, 10.0], "weights": [1, 2, 3, 0.5]})
    # a = 3: values 4 (w 3) and 10 (w 0.5) remain → (3·1 + 0.5·7) / 3.5
    got = d.residual_mean(np.array([3.0, 10.0]))
    np.testing.assert_allclose(got, [(3 * 1 + 0.5 * 7) / 3.5, 0.0], atol=1e-12)


# --------------------------------------------------------------------------- validation


BAD_DURATIONS = [
    pytest.param({"dist": "exponential", "mean": -1.0}, "greater than 0", id="exponential-negative-mean"),
    pytest.param({"dist": "exponential", "mean": 0}, "greater than 0", id="exponential-zero-mean"),
    pytest.param({"dist": "gamma", "mean": -2.0, "cv": 0.5}, "greater than 0", id="gamma-negative-mean"),
    pytest.param({"dist": "erlang", "k": 2, "mean": -3.0}, "greater than 0", id="erlang-negative-mean"),
    pytest.param({"dist": "lognormal", "mean": -3.0, "sd": 1.0}, "greater than 0", id="lognormal-negative-mean"),
    pytest.param({"dist": "constant", "value": -1.0}, "greater than or equal to 0", id="constant-negative"),
    pytest.param(-2.0, "greater than or equal to 0", id="plain-negative-number"),
    pytest.param({"dist": "uniform", "low": 5.0, "high": 2.0}, "must not exceed", id="uniform-low-above-high"),
    pytest.param({"dist": "uniform", "low": -1.0, "high": 2.0}, "greater than or equal to 0", id="uniform-negative"),
    pytest.param({"dist": "triangular", "low": 5, "mode": 3, "high": 2}, "low <= mode <= high", id="triangular-order"),
    pytest.param({"dist": "triangular", "low": 1, "mode": 4, "high": 3}, "low <= mode <= high", id="triangular-mode"),
    pytest.param({"dist": "normal", "mean": -10.0, "sd": 1.0}, "almost never positive", id="normal-no-mass"),
    pytest.param({"dist": "normal", "mean": 1.0, "sd": -1.0}, "greater than 0", id="normal-negative-sd"),
    pytest.param({"dist": "gamma", "mean": 3.0}, "exactly one of", id="gamma-mean-only"),
    pytest.param({"dist": "gamma", "mean": 3.0, "cv": 0.5, "sd": 1.0}, "exactly one of", id="gamma-cv-and-sd"),
    pytest.param({"dist": "gamma", "mean": 3.0, "shape": 2.0, "scale": 1.0}, "exactly one of", id="gamma-mixed"),
    pytest.param({"dist": "weibull", "shape": 0, "scale": 1.0}, "greater than 0", id="weibull-zero-shape"),
    pytest.param({"dist": "empirical", "values": [1.0, 2.0], "weights": [1.0]}, "one weight per value", id="emp-len"),
    pytest.param({"dist": "empirical", "values": [1.0, 2.0], "weights": [0, 0]}, "sum to something", id="emp-w0"),
    pytest.param(
        {"dist": "empirical", "values": [1.0, 2.0], "weights": [1, -1]}, "greater than or equal", id="emp-neg"
    ),
    pytest.param({"dist": "empirical", "values": []}, "at least one value", id="emp-empty"),
    pytest.param({"dist": "exponential", "mean": 1.0, "rate": 2.0}, "rate", id="unknown-parameter"),
    pytest.param({"dist": "expo", "mean": 1.0}, "expo", id="unknown-dist"),
    pytest.param({"mean": 1.0}, "dist", id="no-dist"),
]

BAD_QUANTITIES = [
    pytest.param({"dist": "poisson", "mean": -1.0}, "greater than 0", id="poisson-negative-mean"),
    pytest.param({"dist": "poisson", "mean": 2.0, "shift": 2}, "must exceed shift", id="poisson-mean-equals-shift"),
    pytest.param({"dist": "poisson", "mean": 1.0, "shift": 3}, "must exceed shift", id="poisson-mean-below-shift"),
    pytest.param({"dist": "poisson", "mean": 3.0, "shift": -1}, "greater than or equal to 0", id="poisson-neg-shift"),
    pytest.param({"dist": "geometric", "mean": 0.5}, "greater than or equal to 1", id="geometric-mean-below-1"),
    pytest.param({"dist": "negative_binomial", "mean": 4.0, "sd": 2.0}, "sd² > mean", id="nb-sd2-equals-mean"),
    pytest.param({"dist": "negative_binomial", "mean": 4.0, "sd": 1.0}, "sd² > mean", id="nb-sd2-below-mean"),
    pytest.param({"dist": "negative_binomial", "mean": 5.0, "sd": 1.4, "shift": 3}, "sd² > mean", id="nb-shifted-sd2"),
    pytest.param({"dist": "negative_binomial", "mean": 2.0, "sd": 3.0, "shift": 2}, "must exceed shift", id="nb-shift"),
    pytest.param({"dist": "negative_binomial", "mean": -2.0, "sd": 3.0}, "greater than 0", id="nb-negative-mean"),
    pytest.param({"dist": "choice", "values": [1, 2, 3], "weights": [1, 1]}, "one weight per value", id="choice-len"),
    pytest.param({"dist": "choice", "values": [1, 2], "weights": [0.0, 0.0]}, "sum to something", id="choice-w0"),
    pytest.param({"dist": "choice", "values": []}, "at least one value", id="choice-empty"),
    pytest.param({"dist": "choice", "values": [1.5, 2]}, "integer", id="choice-fractional-value"),
    pytest.param({"dist": "constant", "value": 0}, "greater than 0", id="constant-zero"),
    pytest.param(2.5, "integer", id="plain-fractional-number"),
    pytest.param({"dist": "binomial", "n": 3}, "binomial", id="unknown-dist"),
]


@pytest.mark.parametrize(("spec", "message"), BAD_DURATIONS)
def test_invalid_durations_are_rejected(spec: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        DURATION.validate_python(spec)
    assert message in str(info.value)


@pytest.mark.parametrize(("spec", "message"), BAD_QUANTITIES)
def test_invalid_quantities_are_rejected(spec: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        QUANTITY.validate_python(spec)
    assert message in str(info.value)


SCENARIO = """\
name: q
horizon: 10
demand:
  rate: 2
  quantity: {quantity}
supplier:
  lead_time: 1
replenishment: {{policy: base_stock, level: 5}}
"""


@pytest.mark.parametrize(
    "quantity",
    [
        pytest.param("{dist: poisson, mean: 2}", id="poisson-without-shift"),
        pytest.param("{dist: negative_binomial, mean: 3, sd: 2}", id="negative-binomial-without-shift"),
        pytest.param("{dist: choice, values: [0, 1, 2]}", id="choice-with-zero"),
    ],
)
def test_quantity_that_can_draw_zero_is_rejected(quantity: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(SCENARIO.format(quantity=quantity), file="q.yaml")
    msg = str(info.value)
    assert "q.yaml:5:" in msg
    assert "demand.quantity" in msg
    assert "shift" in msg
    assert "at least 1 unit" in msg


@pytest.mark.parametrize(
    "quantity",
    [
        "{dist: poisson, mean: 2, shift: 1}",
        "{dist: negative_binomial, mean: 3, sd: 2, shift: 1}",
        "{dist: geometric, mean: 1.5}",
        "{dist: choice, values: [0, 1, 2], weights: [0, 1, 1]}",
        "3",
    ],
)
def test_quantity_on_one_and_up_is_accepted(quantity: str) -> None:
    sc = parse_scenario(SCENARIO.format(quantity=quantity), file="q.yaml")
    assert sc.demand.quantity.min_value >= 1


@given(
    st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=1, max_size=12).filter(lambda w: sum(w) > 0),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=2**32),
)
def test_draw_indices_are_numpys_choice_draw_for_draw(weights: list[float], size: int, seed: int) -> None:
    """The shortcut for choice and segment draws gives rng.choice's indices and leaves the
    generator where rng.choice leaves it (the next draw agrees too)."""
    p = np.asarray(weights) / sum(weights)
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = a.choice(len(p), size=size, p=p)
    got = draw_indices(b, p, size)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)
    assert a.random() == b.random()
