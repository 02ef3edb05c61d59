"""Cross-check of the fast simulator against the reference model, and of the reference model against theory.

``supplysim.sim.reference`` is the textbook SimPy formulation (a process per
customer and per order, a ``Container`` for the stock); ``supplysim.sim.simulate``
is the fast one. On each configuration below both run n independent
replications (the reference from seeds REF_SEED + i, the simulator from
replications 0 … n−1 of FAST_SEED: unrelated streams), so each indicator gives two
independent samples. For each indicator the difference of the two means must lie
within a Welch t interval (Welch–Satterthwaite degrees of freedom) at the
per-indicator level 1 − (1 − CONFIDENCE)/k, k = the number of indicators
(Bonferroni: the whole configuration passes by chance with probability ≥ CONFIDENCE
when the models agree). Each interval's half-width must also be below a stated
precision (:data:`PRECISION`), so a test cannot pass because the replications are
too noisy to see a difference. An indicator that is 0 in every replication of
both models (no cancellations under lost sales, say) must be exactly 0 in both.

Where a closed form exists the reference model is compared with it too, by a
one-sample t interval at the same levels (as in ``tests/test_theory.py``):

* base stock, full backorders, infinite patience, unlimited supplier: the orders
  outstanding N are an M/G/∞ queue, N ~ Poisson(λE[L]) for any lead-time law
  (Palm's theorem; Zipkin 2000, §6.2), net inventory S − N, and by PASTA
  fill rate = P(N ≤ S−1), avg_on_hand = E[(S−N)^+], avg_backorders = E[(N−S)^+];
* base stock, lost sales: the Erlang loss system M/G/S/S, lost rate = B(S, λE[L])
  whatever the lead-time law (insensitivity; Gross et al. 2008), and
  avg_on_hand = S − λE[L](1 − B).

The replication counts and horizons were chosen so that every half-width is well
below its precision; the expected values themselves are never pinned.
"""

from __future__ import annotations

import ast
import math
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from supplysim.analysis.indicators import indicators
from supplysim.scenario import ModelConfig
from supplysim.scenario.load import parse_scenario
from supplysim.sim import reference, simulate

CONFIDENCE = 0.999
"""Family-wise level per configuration (per indicator 1 − 0.001/5: t ≈ 3.9)."""
INDICATORS = ("fill_rate", "lost_rate", "cancel_rate", "avg_on_hand", "avg_backorders")
PRECISION = {
    "fill_rate": 0.015,
    "lost_rate": 0.015,
    "cancel_rate": 0.015,
    "avg_on_hand": 0.15,
    "avg_backorders": 0.06,
}
"""Largest allowed interval half-width: absolute for the rates, in units for the averages."""
REF_SEED = 5_000
FAST_SEED = 77
WARMUP = 20.0
"""Warm-up [time]: 20 mean lead times, far beyond the lead-time tails used here."""


def model(body: str) -> ModelConfig:
    """The model of a scenario with the given model sections (horizon etc. are set per run)."""
    text = "name: reference-check\nhorizon: 1\n" + textwrap.dedent(body)
    sc = parse_scenario(text, file="<test_reference>")
    return sc.policies[sc.baseline]


def reference_values(cfg: ModelConfig, n: int, horizon: float) -> dict[str, np.ndarray]:
    runs = [reference.simulate(cfg, seed=REF_SEED + i, horizon=horizon, warmup=WARMUP) for i in range(n)]
    return {k: np.array([getattr(r, k) for r in runs]) for k in INDICATORS}


def fast_values(cfg: ModelConfig, n: int, horizon: float) -> dict[str, np.ndarray]:
    rows = [
        indicators(simulate(cfg, seed=FAST_SEED, replication=i, horizon=horizon, warmup=WARMUP), cfg, INDICATORS)
        for i in range(n)
    ]
    return {k: np.array([row[k] for row in rows]) for k in INDICATORS}


def t_quantile(df: float, k: int) -> float:
    """Two-sided Student-t quantile at level 1 − (1 − CONFIDENCE)/k."""
    return float(stats.t.ppf(1 - (1 - CONFIDENCE) / (2 * k), df))


def welch(a: np.ndarray, b: np.ndarray, what: str, *, k: int, precision: float) -> str | None:
    """None if mean(a) − mean(b) lies within the Welch interval and the interval is narrow enough."""
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return f"{what}: non-finite values"
    if np.all(a == 0) and np.all(b == 0):
        return None  # identically 0 in both models
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = t_quantile(df, k) * se
    diff = float(a.mean() - b.mean())
    summary = (
        f"{what}: reference {a.mean():.5g} vs simulator {b.mean():.5g}, diff {diff:+.3g} = {diff / se:+.2f} se; "
        f"Welch half-width {half:.3g} (df {df:.1f})"
    )
    if abs(diff) > half:
        return f"{summary} -> outside the interval"
    if half > precision:
        return f"{summary} -> half-width above {precision:g} (too little power)"
    return None


def one_sample(a: np.ndarray, theory: float, what: str, *, k: int, precision: float) -> str | None:
    """None if mean(a) − theory lies within the t interval and the interval is narrow enough."""
    if theory == 0.0 and np.all(a == 0):
        return None
    se = float(a.std(ddof=1)) / math.sqrt(len(a))
    half = t_quantile(len(a) - 1, k) * se
    diff = float(a.mean()) - theory
    summary = f"{what}: reference {a.mean():.5g} vs theory {theory:.5g}, diff {diff:+.3g}; half-width {half:.3g}"
    if abs(diff) > half:
        return f"{summary} -> outside the interval"
    if half > precision:
        return f"{summary} -> half-width above {precision:g} (too little power)"
    return None


def assert_all(failures: Sequence[str | None]) -> None:
    bad = [f for f in failures if f is not None]
    assert not bad, "\n".join(bad)


def cross_check(ref: dict[str, np.ndarray], fast: dict[str, np.ndarray], name: str) -> list[str | None]:
    return [welch(ref[k], fast[k], f"{name}: {k}", k=len(INDICATORS), precision=PRECISION[k]) for k in INDICATORS]


# ---------------------------------------------------------------------------- configurations

BASE_STOCK_PATIENCE = """
    demand: {rate: 8}
    segments: [{name: everyone, accept_backorder: 0.8, patience: {dist: exponential, mean: 0.5}}]
    supplier: {lead_time: {dist: exponential, mean: 1}}
    store: {stockout: backorder}
    replenishment: {policy: base_stock, level: 10}
"""

RQ_LOST_SALES = """
    demand: {rate: 8}
    supplier: {lead_time: 1}
    store: {stockout: lost_sales}
    replenishment: {policy: rQ, reorder_point: 6, order_quantity: 6}
"""

SEGMENTS = """
    demand: {rate: 5, quantity: 2}
    segments:
      - {name: planners, share: 0.6, accept_backorder: 0.9, patience: {dist: gamma, mean: 1, cv: 0.5}}
      - {name: impulse, share: 0.4, accept_backorder: 0.3, patience: {dist: exponential, mean: 0.3}}
    supplier: {lead_time: {dist: uniform, low: 0.5, high: 1.5}}
    store: {stockout: backorder}
    replenishment: {policy: sS, reorder_point: 8, order_up_to: 20}
"""

PALM_RATE, PALM_LEVEL = 8.0, 10
PALM_LOGNORMAL = f"""
    demand: {{rate: {PALM_RATE}}}
    supplier: {{lead_time: {{dist: lognormal, mean: 1, sd: 0.5}}}}
    store: {{stockout: backorder}}
    replenishment: {{policy: base_stock, level: {PALM_LEVEL}}}
"""

ERLANG_RATE, ERLANG_LEVEL = 8.0, 10
ERLANG_GAMMA = f"""
    demand: {{rate: {ERLANG_RATE}}}
    supplier: {{lead_time: {{dist: gamma, mean: 1, cv: 1.5}}}}
    store: {{stockout: lost_sales}}
    replenishment: {{policy: base_stock, level: {ERLANG_LEVEL}}}
"""

PERIODIC = """
    demand: {rate: 4}
    segments: [{accept_backorder: 0.9, patience: {dist: exponential, mean: 1}}]
    supplier: {lead_time: {dist: exponential, mean: 0.5}}
    store: {stockout: backorder}
    replenishment: {policy: periodic, review_period: 0.5, order_up_to: 7, reorder_point: 4}
"""

CROSS_CHECKS = {
    # name: (model sections, replications of each model, horizon)
    "base_stock_patience": (BASE_STOCK_PATIENCE, 16, 1500.0),
    "rq_lost_sales": (RQ_LOST_SALES, 16, 1000.0),
    "segments_sS_quantity_2": (SEGMENTS, 20, 2000.0),
    "periodic_review": (PERIODIC, 20, 2000.0),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CROSS_CHECKS))
def test_simulator_agrees_with_the_reference_model(name: str) -> None:
    """Base stock with balking and patience; (r, Q) with lost sales; two segments under (s, S)
    with two units per customer; periodic review (R, s, S) with patience."""
    body, n, horizon = CROSS_CHECKS[name]
    cfg = model(body)
    assert_all(cross_check(reference_values(cfg, n, horizon), fast_values(cfg, n, horizon), name))


def poisson_stock(level: int, a: float) -> dict[str, float]:
    """Net inventory S − N with N ~ Poisson(a): P(N ≤ S−1), E[(S−N)^+], E[(N−S)^+]."""
    n = np.arange(level)
    on_hand = float(np.sum((level - n) * stats.poisson.pmf(n, a)))
    return {
        "fill_rate": float(stats.poisson.cdf(level - 1, a)),
        "avg_on_hand": on_hand,
        "avg_backorders": a - level + on_hand,  # E[(N−S)^+] = E[N] − S + E[(S−N)^+]
    }


def erlang_b(servers: int, a: float) -> float:
    """Erlang's loss formula by the recursion B(k) = a·B(k−1) / (k + a·B(k−1)), B(0) = 1."""
    b = 1.0
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    return b


@pytest.mark.slow
def test_lognormal_lead_times_agree_and_match_palm() -> None:
    """Base stock S = 10, λ = 8, lognormal lead time (mean 1, sd 0.5), full backorders, infinite patience.

    Simulator vs reference as above, and the reference vs Palm's theorem:
    N ~ Poisson(λE[L] = 8), fill ≈ 0.717.
    """
    cfg = model(PALM_LOGNORMAL)
    n, horizon = 20, 2000.0
    ref = reference_values(cfg, n, horizon)
    a = PALM_RATE * cfg.all_suppliers[0].lead_time.mean
    theory = {**poisson_stock(PALM_LEVEL, a), "lost_rate": 0.0, "cancel_rate": 0.0}
    assert_all(
        cross_check(ref, fast_values(cfg, n, horizon), "lognormal")
        + [one_sample(ref[k], theory[k], f"Palm: {k}", k=len(INDICATORS), precision=PRECISION[k]) for k in INDICATORS]
    )


@pytest.mark.slow
def test_reference_lost_sales_base_stock_matches_erlang_b() -> None:
    """Base stock S = 10, λ = 8, gamma lead time (mean 1, cv 1.5), lost sales: lost rate = B(10, 8) ≈ 0.122."""
    cfg = model(ERLANG_GAMMA)
    ref = reference_values(cfg, 16, 1500.0)
    a = ERLANG_RATE * cfg.all_suppliers[0].lead_time.mean
    b = erlang_b(ERLANG_LEVEL, a)
    theory = {
        "fill_rate": 1 - b,
        "lost_rate": b,
        "cancel_rate": 0.0,
        "avg_on_hand": ERLANG_LEVEL - a * (1 - b),
        "avg_backorders": 0.0,
    }
    assert_all(
        [one_sample(ref[k], theory[k], f"Erlang B: {k}", k=len(INDICATORS), precision=PRECISION[k]) for k in INDICATORS]
    )


# ---------------------------------------------------------------------------- quick checks


def test_outcomes_add_up_and_runs_are_reproducible() -> None:
    cfg = model(SEGMENTS)
    horizon = 300.0
    res = reference.simulate(cfg, seed=1, horizon=horizon, warmup=10.0)
    assert res.customers == res.served_immediately + res.lost + res.backordered
    assert res.backordered == res.served_after_wait + res.cancelled + res.pending and res.pending >= 0
    assert min(res.served_after_wait, res.cancelled, res.lost) > 0  # every path was taken
    expected = cfg.demand.rate * horizon  # Poisson count of the window: within 5 standard deviations
    assert abs(res.customers - expected) <= 5 * math.sqrt(expected)
    assert res.orders_placed > 0 and res.avg_on_hand > 0 and res.avg_backorders > 0
    assert reference.simulate(cfg, seed=1, horizon=horizon, warmup=10.0) == res
    assert reference.simulate(cfg, seed=2, horizon=horizon, warmup=10.0) != res


def test_lost_sales_never_backorders() -> None:
    res = reference.simulate(model(RQ_LOST_SALES), seed=3, horizon=200.0)
    assert res.backordered == res.cancelled == res.pending == 0 and res.area_backorders == 0.0
    assert res.lost > 0 and res.fill_rate + res.lost_rate == pytest.approx(1.0)


UNSUPPORTED = {
    "demand.weekly": "demand: {rate: 8, weekly: [1, 1, 1, 1, 1, 2, 2]}",
    "demand.trend": "demand: {rate: 8, trend: 0.01}",
    "demand.goodwill": "demand: {rate: 8, goodwill: {churn: 0.01}}",
    "demand.quantity": "demand: {rate: 8, quantity: {dist: poisson, mean: 2, shift: 1}}",
    "segments[0].max_wait": "segments: [{max_wait: 3}]",
    "supplier.servers": "supplier: {lead_time: 1, servers: 2}",
    "supplier.no_crossing": "supplier: {lead_time: 1, no_crossing: true}",
    "supplier.yield": "supplier: {lead_time: 1, yield: 0.9}",
    "supplier.disruptions": "supplier: {lead_time: 1, disruptions: {windows: [{start: 5, end: 9}]}}",
    "suppliers": "suppliers: [{name: a, lead_time: 1}, {name: b, lead_time: 2}]",
    "store.max_backorders": "store: {max_backorders: 3}",
    "store.max_quoted_wait": "store: {max_quoted_wait: 2}",
    "store.expire_after": "store: {expire_after: 2}",
    "store.partial_shipments": "store: {partial_shipments: true}",
    "store.waitlist": "store: {stockout: lost_sales, waitlist: {join: 0.5, convert: 0.5}}",
}


@pytest.mark.parametrize("key", sorted(UNSUPPORTED))
def test_keys_outside_the_subset_are_named(key: str) -> None:
    sections = {
        "demand": "demand: {rate: 8}",
        "supplier": "supplier: {lead_time: 1}",
        "replenishment": "replenishment: {policy: base_stock, level: 5}",
    }
    line = UNSUPPORTED[key]
    section = line.split(":", 1)[0]
    sections.pop("supplier" if section == "suppliers" else section, None)
    cfg = model("\n".join([*sections.values(), line]) + "\n")
    with pytest.raises(ValueError, match="does not support " + re.escape(key)):
        reference.simulate(cfg, seed=0, horizon=10.0)


def test_reference_imports_only_the_scenario_layer() -> None:
    """``sim/reference.py`` may import the standard library, simpy, numpy and supplysim's
    scenario and distributions modules, nothing else."""
    source = Path(reference.__file__).read_text(encoding="utf-8")
    allowed = {"simpy", "numpy", "supplysim.scenario", "supplysim.scenario.distributions", "__future__"}
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None, "no relative imports"
            names = [node.module]
        for name in names:
            assert name in allowed or name.split(".")[0] in sys.stdlib_module_names, name
