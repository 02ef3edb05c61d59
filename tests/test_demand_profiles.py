"""Non-homogeneous arrivals: counts in windows against the integrated rate.

A Poisson process of rate λ(t) puts N(a, b) ~ Poisson(Λ(a, b)) arrivals in a
window [a, b), with Λ(a, b) = ∫_a^b λ(t) dt: mean *and* variance Λ. These tests
draw many independent arrival streams (the simulator's own generator,
:func:`supplysim.sim.arrivals.arrival_blocks`, one replication's streams each),
count the arrivals in several windows, and compare

* the sample mean with Λ, within a confidence interval (normal approximation
  with the sample standard deviation);
* the sample variance with Λ, within the quantiles of the sampling distribution
  of S²: (R − 1)·S²/σ² is χ²(R − 1) for normal data; Poisson counts have excess
  kurtosis 1/Λ, which is taken into account by matching a scaled χ² to the
  exact variance of S², Var(S²)/σ⁴ = 2/(R − 1) + 1/(R·Λ).

Λ is computed twice: by the package's :func:`expected_arrivals` and by an
independent closed form written here (piecewise-constant weekly and event
factors times the analytic integral of (1 + g·t)(1 + A cos(ω(t − peak)))).
A time-rescaling check (Brown et al. 2002) then tests the whole law, not just
two moments: given N arrivals in [0, T), their times are independent with CDF
Λ(0, t)/Λ(0, T), so the rescaled times are uniform — a rate that only changed at
step boundaries, or a thinning bound below the rate, would fail it.

References:
    Lewis, P. A. W., Shedler, G. S. (1979). Simulation of nonhomogeneous Poisson
    processes by thinning. *Naval Research Logistics Quarterly* 26(3).
    Brown, E. N., Barbieri, R., Ventura, V., Kass, R. E., Frank, L. M. (2002). The
    time-rescaling theorem and its application to neural spike train data analysis.
    *Neural Computation* 14(2).
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from scipy import stats

from statcheck import poisson_check
from supplysim.scenario import Demand, ModelConfig
from supplysim.scenario.load import ScenarioError, load_scenario, parse_scenario
from supplysim.sim import simulate
from supplysim.sim.arrivals import arrival_blocks, expected_arrivals, max_rate, rate_at
from supplysim.sim.customers import CustomerSource
from supplysim.sim.streams import Streams

FAMILY_ALPHA = 1e-3
"""Probability that one test function raises a false alarm (Bonferroni over its checks)."""

REPLICATIONS = 3000
"""Independent arrival streams per profile."""


# --------------------------------------------------------------------------- the profiles


@dataclass(frozen=True)
class Profile:
    """A demand section, the end of the simulated time, and the windows to count in."""

    demand: dict[str, Any]
    end: float
    windows: tuple[tuple[float, float], ...]


PROFILES: dict[str, Profile] = {
    "weekly": Profile(
        {"rate": 4.0, "weekly": [0.5, 1.0, 1.0, 1.0, 1.5, 2.0, 0.25]},
        28.0,
        # each day of the first week, whole weeks, and windows that cut days
        ((0, 1), (1, 2), (4, 5), (5, 6), (6, 7), (0, 7), (7, 21), (0, 28), (2.5, 9.25), (26.75, 28)),
    ),
    "seasonal": Profile(
        {"rate": 3.0, "seasonal": {"amplitude": 0.8, "period": 30.0, "peak": 7.0}},
        60.0,
        # whole periods, around the peak, around the trough, and an arbitrary cut
        ((0, 30), (30, 60), (2, 12), (17, 27), (5.5, 41.3), (21, 23)),
    ),
    "events": Profile(
        {
            "rate": 2.0,
            "events": [
                {"name": "viral spike", "start": 10.0, "end": 15.0, "multiplier": 3.0},
                {"name": "promotion", "start": 12.0, "end": 20.0, "multiplier": 1.5},
                {"name": "strike", "start": 25.0, "end": 28.0, "multiplier": 0.0},
            ],
        },
        40.0,
        ((0, 10), (10, 12), (12, 15), (15, 20), (20, 25), (25, 28), (28, 40), (8, 30), (0, 40)),
    ),
    "trend": Profile(
        {"rate": 2.0, "trend": 0.05},
        40.0,
        ((0, 10), (10, 20), (30, 40), (0, 40), (13.5, 17.25)),
    ),
    "falling trend": Profile(
        # the factor 1 − t/20 reaches 0 at t = 20 and stays there (max(0, ·))
        {"rate": 3.0, "trend": -0.05},
        30.0,
        ((0, 10), (10, 20), (15, 25), (20, 30)),
    ),
    "combined": Profile(
        {
            "rate": 2.5,
            "weekly": [0.6, 1.0, 1.0, 1.1, 1.3, 1.8, 0.4],
            "seasonal": {"amplitude": 0.5, "period": 20.0, "peak": 3.0},
            "events": [
                {"name": "promotion", "start": 9.5, "end": 16.0, "multiplier": 2.0},
                {"name": "viral spike", "start": 14.0, "end": 18.0, "multiplier": 3.0},
            ],
            "trend": 0.02,
        },
        35.0,
        ((0, 7), (7, 14), (14, 21), (21, 28), (28, 35), (5, 6), (9.5, 16), (14, 16), (16, 18), (3.2, 31.7)),
    ),
}


def demand_of(profile: Profile) -> Demand:
    return Demand.model_validate(profile.demand)


# --------------------------------------------------------------------------- the closed form


class ClosedForm:
    """Λ(0, t) of a profile, in closed form, vectorised over t.

    λ(t) = rate · c(t) · max(0, 1 + g t) · (1 + A cos(ω (t − p))), with c(t) the
    product of the weekly and event factors: piecewise constant between integer
    days, event boundaries and the zero of the trend factor. On a piece where
    c is constant and 1 + g t ≥ 0 an antiderivative of (1 + g t)(1 + A cos(ω (t − p))) is

        F(t) = t + g t²/2 + (A/ω) sin(ω (t − p)) + A g (t sin(ω (t − p))/ω + cos(ω (t − p))/ω²).
    """

    def __init__(self, demand: dict[str, Any], end: float) -> None:
        self.rate = float(demand["rate"])
        self.weekly = demand.get("weekly")
        seasonal = demand.get("seasonal")
        self.A = float(seasonal["amplitude"]) if seasonal else 0.0
        self.omega = 2 * math.pi / float(seasonal["period"]) if seasonal else 1.0
        self.peak = float(seasonal.get("peak", 0.0)) if seasonal else 0.0
        self.g = float(demand.get("trend", 0.0))
        self.events = [(float(e["start"]), float(e["end"]), float(e["multiplier"])) for e in demand.get("events", [])]
        cuts = {0.0, float(end)}
        if self.weekly is not None:
            cuts.update(float(k) for k in range(math.ceil(end) + 1))
        for start, stop, _ in self.events:
            cuts.update((start, stop))
        if self.g < 0:
            cuts.add(-1.0 / self.g)
        self.cuts = np.array(sorted(c for c in cuts if 0.0 <= c <= end))
        factors = [self._factor(0.5 * (lo + hi)) for lo, hi in zip(self.cuts[:-1], self.cuts[1:], strict=True)]
        self.factors = np.array(factors)
        pieces = self.factors * (self._F(self.cuts[1:]) - self._F(self.cuts[:-1]))
        self.at_cuts = np.concatenate([[0.0], np.cumsum(pieces)])

    def _factor(self, t: float) -> float:
        """rate × the piecewise-constant factors at ``t`` (0 where the trend factor is clipped)."""
        c = self.rate
        if self.weekly is not None:
            c *= self.weekly[math.floor(t) % 7]
        for start, stop, m in self.events:
            if start <= t < stop:
                c *= m
        if 1.0 + self.g * t < 0:
            c = 0.0
        return c

    def _F(self, t: np.ndarray) -> np.ndarray:
        A, w, p, g = self.A, self.omega, self.peak, self.g
        x = w * (t - p)
        return t + g * t**2 / 2 + (A / w) * np.sin(x) + A * g * (t * np.sin(x) / w + np.cos(x) / w**2)

    def cumulative(self, t: np.ndarray | float) -> np.ndarray:
        """Λ(0, t) for each t in [0, end]."""
        t = np.asarray(t, dtype=float)
        i = np.clip(np.searchsorted(self.cuts, t, side="right") - 1, 0, len(self.factors) - 1)
        return self.at_cuts[i] + self.factors[i] * (self._F(t) - self._F(self.cuts[i]))

    def __call__(self, a: float, b: float) -> float:
        """Λ(a, b)."""
        return float(self.cumulative(b) - self.cumulative(a))


# --------------------------------------------------------------------------- drawing streams


def arrival_times(demand: Demand, end: float, seed: int, replication: int) -> np.ndarray:
    """The arrival times in [0, end) of one replication's streams, exactly as the customer source draws them."""
    streams = Streams(seed, replication)
    blocks = []
    for block in arrival_blocks(
        demand, end, streams.generator("arrivals"), streams.generator("arrivals/thinning"), block=256
    ):
        blocks.append(block)
        if block[-1] >= end:
            break
    times = np.concatenate(blocks)
    return times[times < end]


def window_counts(profile: Profile, reps: int, seed: int) -> np.ndarray:
    """counts[r, k] = arrivals of replication r in window k."""
    demand = demand_of(profile)
    lo = np.array([a for a, _ in profile.windows], dtype=float)
    hi = np.array([b for _, b in profile.windows], dtype=float)
    counts = np.empty((reps, len(profile.windows)), dtype=np.int64)
    for r in range(reps):
        t = arrival_times(demand, profile.end, seed, r)
        counts[r] = np.searchsorted(t, hi, side="left") - np.searchsorted(t, lo, side="left")
    return counts


# --------------------------------------------------------------------------- the integrated rate itself


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_expected_arrivals_matches_the_closed_form(name: str) -> None:
    """The package's numerical ∫λ agrees with the analytic integral on every window."""
    profile = PROFILES[name]
    demand = demand_of(profile)
    exact = ClosedForm(profile.demand, profile.end)
    for a, b in profile.windows:
        assert expected_arrivals(demand, a, b) == pytest.approx(exact(a, b), rel=1e-6, abs=1e-9), (a, b)


def test_closed_forms_of_the_simple_profiles() -> None:
    """Hand formulas (independent of both integrators above) for the simple cases."""
    weekly = [0.5, 1.0, 1.0, 1.0, 1.5, 2.0, 0.25]
    d = Demand.model_validate({"rate": 4.0, "weekly": weekly})
    assert expected_arrivals(d, 0, 14) == pytest.approx(4.0 * sum(weekly) * 2, rel=1e-6)
    assert expected_arrivals(d, 7 + 5, 7 + 6) == pytest.approx(4.0 * weekly[5], rel=1e-6)
    assert expected_arrivals(d, 2.5, 3.0) == pytest.approx(4.0 * weekly[2] * 0.5, rel=1e-6)

    # seasonal over a whole period (any phase): rate · P
    d = Demand.model_validate({"rate": 3.0, "seasonal": {"amplitude": 0.8, "period": 30.0, "peak": 7.0}})
    assert expected_arrivals(d, 11.0, 41.0) == pytest.approx(3.0 * 30.0, rel=1e-6)
    # half a period centred on the peak: rate · (P/2 + A·P/π)
    assert expected_arrivals(d, 7 - 7.5, 7 + 7.5) == pytest.approx(3.0 * (15 + 0.8 * 30 / math.pi), rel=1e-6)

    # events: rate · (time outside + Σ multiplier · time inside), overlaps multiply
    events = [
        {"name": "spike", "start": 10.0, "end": 15.0, "multiplier": 3.0},
        {"name": "promo", "start": 12.0, "end": 20.0, "multiplier": 1.5},
    ]
    d = Demand.model_validate({"rate": 2.0, "events": events})
    assert expected_arrivals(d, 0, 30) == pytest.approx(2.0 * (20 + 3.0 * 2 + 4.5 * 3 + 1.5 * 5), rel=1e-6)
    assert expected_arrivals(d, 11, 13) == pytest.approx(2.0 * (3.0 + 4.5), rel=1e-6)

    # trend: rate · ((b − a) + g (b² − a²)/2)
    d = Demand.model_validate({"rate": 2.0, "trend": 0.05})
    assert expected_arrivals(d, 10, 30) == pytest.approx(2.0 * (20 + 0.05 * (900 - 100) / 2), rel=1e-6)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_thinning_bound_covers_the_rate(name: str) -> None:
    """Thinning is exact only if λ* ≥ λ(t) everywhere on [0, end]."""
    profile = PROFILES[name]
    demand = demand_of(profile)
    t = np.linspace(0.0, profile.end, 200_001)
    assert float(rate_at(demand, t).max()) <= max_rate(demand, profile.end) * (1 + 1e-12)


# --------------------------------------------------------------------------- counts over replications


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROFILES))
def test_window_counts_are_poisson_with_the_integrated_rate(name: str) -> None:
    """Mean and variance of the counts in each window equal Λ (by both integrators)."""
    profile = PROFILES[name]
    demand = demand_of(profile)
    exact = ClosedForm(profile.demand, profile.end)
    counts = window_counts(profile, REPLICATIONS, seed=sorted(PROFILES).index(name) + 101)
    alpha = FAMILY_ALPHA / (2 * len(profile.windows))
    problems = []
    for k, (a, b) in enumerate(profile.windows):
        lam = expected_arrivals(demand, a, b)
        assert lam == pytest.approx(exact(a, b), rel=1e-6, abs=1e-9)
        problems += poisson_check(counts[:, k], exact(a, b) if lam > 1e-9 else 0.0, alpha, f"{name} [{a}, {b})")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["seasonal", "combined", "falling trend"])
def test_arrival_times_follow_the_rate_within_windows(name: str) -> None:
    """Time rescaling: Λ(0, tᵢ)/Λ(0, T) of the pooled arrival times is uniform on [0, 1) (KS test)."""
    profile = PROFILES[name]
    demand = demand_of(profile)
    exact = ClosedForm(profile.demand, profile.end)
    total = exact(0.0, profile.end)
    pooled = np.concatenate([arrival_times(demand, profile.end, 7, r) for r in range(600)])
    u = exact.cumulative(pooled) / total
    result = stats.kstest(u, "uniform")
    assert result.pvalue > FAMILY_ALPHA, f"{name}: KS D = {result.statistic:.4g}, p = {result.pvalue:.3g}"


def test_zero_rate_windows_get_no_arrivals() -> None:
    """Multiplier 0 (and a trend that has reached 0) means no arrival at all, not just few."""
    for name in ("events", "falling trend"):
        profile = PROFILES[name]
        demand = demand_of(profile)
        dead = [(25.0, 28.0)] if name == "events" else [(20.0, 30.0)]
        for r in range(200):
            t = arrival_times(demand, profile.end, 3, r)
            for a, b in dead:
                assert not np.any((t >= a) & (t < b)), (name, r, t[(t >= a) & (t < b)])


# --------------------------------------------------------------------------- through the simulator


def _model(text: str) -> tuple[ModelConfig, float, float]:
    sc = parse_scenario(textwrap.dedent(text), file="<test>")
    return sc.policies[sc.baseline], sc.warmup, sc.horizon


COMBINED_SCENARIO = """
    name: profile
    warmup: 6.5
    horizon: 21
    demand:
      rate: 2.5
      weekly: [0.6, 1.0, 1.0, 1.1, 1.3, 1.8, 0.4]
      seasonal: {amplitude: 0.5, period: 20, peak: 3}
      events:
        - {name: promotion, start: 9.5, end: 16, multiplier: 2}
        - {name: viral spike, start: 14, end: 18, multiplier: 3}
      trend: 0.02
    supplier: {lead_time: 1}
    store: {initial_stock: 100000}
    replenishment: {policy: base_stock, level: 0}
    """


def test_customer_source_uses_the_arrival_process() -> None:
    """CustomerSource yields exactly the thinned arrival times of the same streams, in order."""
    cfg, warmup, horizon = _model(COMBINED_SCENARIO)
    end = warmup + horizon
    for r in range(5):
        source = CustomerSource(cfg, Streams(9, r), end, block=256)
        times = []
        for customer in source:
            if customer[0] >= end:
                break
            times.append(customer[0])
        assert times == arrival_times(cfg.demand, end, 9, r).tolist()


@pytest.mark.slow
def test_simulated_customers_match_the_integrated_rate() -> None:
    """simulate's customers in the window [warmup, warmup + horizon): mean and variance Λ(warmup, end)."""
    cfg, warmup, horizon = _model(COMBINED_SCENARIO)
    lam = ClosedForm(cfg.demand.model_dump(), warmup + horizon)(warmup, warmup + horizon)
    assert expected_arrivals(cfg.demand, warmup, warmup + horizon) == pytest.approx(lam, rel=1e-6)
    counts = np.array(
        [simulate(cfg, seed=5, replication=r, horizon=horizon, warmup=warmup).counters.customers for r in range(1500)]
    )
    problems = poisson_check(counts, lam, FAMILY_ALPHA / 2, "customers in the window")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- validation

BASE = """\
name: t
horizon: 10
supplier: {lead_time: 2}
replenishment: {policy: base_stock, level: 2}
"""


def _error(text: str, file: str = "s.yaml") -> str:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, file=file)
    return str(err.value)


@pytest.mark.parametrize(
    ("demand", "path", "words"),
    [
        ("{rate: 1, weekly: [1, 1, 1, 1, 1, 1]}", "demand.weekly", ["7 factors", "found 6"]),
        ("{rate: 1, weekly: [0, 0, 0, 0, 0, 0, 0]}", "demand.weekly", ["all 0"]),
        ("{rate: 1, seasonal: {amplitude: 1.2, period: 365}}", "demand.seasonal.amplitude", ["less than 1", "1.2"]),
        ("{rate: 1, seasonal: {amplitude: 0.2, period: 0}}", "demand.seasonal.period", ["greater than 0"]),
        (
            "{rate: 1, events: [{name: spike, start: 5, end: 5, multiplier: 2}]}",
            "demand.events[0]",
            ["'spike'", "end (5) must be after start (5)"],
        ),
        (
            "{rate: 1, events: [{name: a, start: 1, end: 2, multiplier: 2},"
            " {name: b, start: 9, end: 3, multiplier: 0}]}",
            "demand.events[1]",
            ["'b'", "end (3) must be after start (9)"],
        ),
        ("{rate: 1, events: [{name: x, start: 1, end: 2, multiplier: -1}]}", "demand.events[0].multiplier", ["-1"]),
        ("{rate: 1, goodwill: {churn: -0.5}}", "demand.goodwill.churn", ["greater than or equal to 0"]),
        ("{rate: 1, goodwill: {memory: 0}}", "demand.goodwill.memory", ["greater than 0"]),
    ],
)
def test_invalid_profiles_name_the_key(demand: str, path: str, words: list[str]) -> None:
    msg = _error(BASE + f"demand: {demand}\n")
    first = msg.splitlines()[0]
    assert first.startswith("s.yaml:5:") and first.endswith(path), msg
    for w in words:
        assert w in msg, (w, msg)


def test_weekly_needs_days() -> None:
    msg = _error(BASE + "time_unit: hour\ndemand: {rate: 1, weekly: [1, 1, 1, 1, 1, 1, 1]}\n")
    assert "weekly" in msg and "'hour'" in msg and "time_unit: day" in msg


def _scenario_with_csv(tmp_path: Any, column: str, file: str = "lead_times.csv") -> Any:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "lead_times.csv").write_text("days,site\n2.5,north\n4,south\n3.25,north\n")
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "name: t\nhorizon: 10\ndemand: {rate: 1}\n"
        f"supplier: {{lead_time: {{dist: empirical, file: data/{file}, column: {column}}}}}\n"
        "replenishment: {policy: base_stock, level: 2}\n"
    )
    return path


def test_empirical_file_is_read_relative_to_the_scenario(tmp_path: Any) -> None:
    sc = load_scenario(_scenario_with_csv(tmp_path, "days"))
    lead = sc.policies["base"].all_suppliers[0].lead_time
    assert list(lead.values) == [2.5, 4.0, 3.25]  # type: ignore[union-attr]
    assert lead.mean == pytest.approx((2.5 + 4 + 3.25) / 3)


def test_empirical_file_missing(tmp_path: Any) -> None:
    path = _scenario_with_csv(tmp_path, "days", file="nope.csv")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert msg.splitlines()[0] == f"{path}:4:23: supplier.lead_time", msg
    assert "data/nope.csv" in msg and "no such file" in msg and str(tmp_path / "data" / "nope.csv") in msg


def test_empirical_column_missing(tmp_path: Any) -> None:
    path = _scenario_with_csv(tmp_path, "day")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert msg.splitlines()[0] == f"{path}:4:23: supplier.lead_time", msg
    assert "no column 'day'" in msg and "days, site" in msg and "did you mean 'days'" in msg
