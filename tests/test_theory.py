"""Statistical validation of the simulator against closed-form inventory and queueing theory.

Every test builds a scenario from YAML, runs independent replications (seed, replication
index → independent streams) after a warm-up that removes the initial transient, and
compares the mean of the per-replication indicators with a closed form. The tolerance
is a Student-t confidence half-width over the replications at :data:`statcheck.CONFIDENCE`
(≈ 4.5 standard errors for 30 replications) plus, where the estimator itself is only
asymptotically unbiased, an explicitly justified slack. Each check also requires the
half-width to be below a stated precision, so a test cannot pass merely because the
replications are too noisy to see anything.

Notation: λ demand rate (customers per time unit, unit demand), L lead time,
a = λ·E[L] offered load / mean lead-time demand, S base-stock level, (r, Q) reorder
point and order quantity, N the number of outstanding replenishment orders.

References:
    Zipkin, P. H. (2000). *Foundations of Inventory Management*. McGraw-Hill.
    Axsäter, S. (2015). *Inventory Control*, 3rd ed. Springer.
    Buzacott, J. A., Shanthikumar, J. G. (1993). *Stochastic Models of Manufacturing Systems*.
    Gross, D., Shortle, J. F., Thompson, J. M., Harris, C. M. (2008). *Fundamentals of
    Queueing Theory*, 4th ed. Wiley.
    Little, J. D. C. (1961). A proof for the queuing formula L = λW. *Operations Research* 9(3).
    Wolff, R. W. (1982). Poisson arrivals see time averages. *Operations Research* 30(2).
"""

from __future__ import annotations

import functools
import hashlib
import math
import textwrap

import numpy as np
import pytest
from scipy import stats

from shared import once
from statcheck import assert_all
from statcheck import mean_check as check
from supplysim.experiments.runner import run_experiment
from supplysim.scenario import Scenario
from supplysim.scenario.load import parse_scenario
from supplysim.sim import simulate
from supplysim.sim.trace import TraceRow

REPLICATIONS = 30
RATE = 10.0
"""λ [customers per time unit] in every scenario."""

Rows = list[dict[str, float]]


# ---------------------------------------------------------------------------- helpers


def scenario(text: str) -> Scenario:
    return parse_scenario(textwrap.dedent(text), file="<test_theory>")


@functools.cache
def replications(text: str) -> tuple[Scenario, Rows]:
    """Indicators of every replication of the (single-policy) scenario ``text`` (once per test session)."""
    sc = scenario(text)
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    rows: Rows = once(f"theory-{key}", lambda _: run_experiment(sc, workers=2).values[sc.baseline])
    return sc, rows


def column(rows: Rows, kpi: str) -> list[float]:
    return [row[kpi] for row in rows]


def poisson_stock(level: int, a: float) -> dict[str, float]:
    """Net inventory y − D with D ~ Poisson(a), as seen by an arrival (PASTA).

    Returns P(D ≤ y−1) (arrival served from stock), E[(y−D)^+] (on hand),
    E[(D−y)^+] (backordered units) and P(D ≥ y) (time out of stock).
    """
    d = stats.poisson(a)
    n = np.arange(level)
    on_hand = float(np.sum((level - n) * d.pmf(n)))
    return {
        "fill": float(d.cdf(level - 1)),
        "on_hand": on_hand,
        "backorders": a - level + on_hand,  # E[(D−y)^+] = E[D] − y + E[(y−D)^+]
        "stockout": float(d.sf(level - 1)),
    }


def erlang_b(servers: int, a: float) -> float:
    """Erlang's loss formula B(S, a) by the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1)).

    Gross et al. (2008): Erlang's loss formula for M/M/c/c, and its insensitivity (M/G/c/c).
    """
    b = 1.0
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    return b


# ---------------------------------------------------------------------------- 1. base stock, backorders

BASE_STOCK_LEVEL = 22
MEAN_LEAD = 2.0

BASE_STOCK_BACKORDERS = """
    name: base-stock-backorders
    horizon: 4000
    warmup: 40
    replications: {reps}
    seed: 101
    demand: {{rate: {rate}}}
    supplier: {{lead_time: {lead}}}
    store: {{stockout: backorder}}
    replenishment: {{policy: base_stock, level: {level}}}
"""

LEAD_TIMES = {
    "constant": f"{MEAN_LEAD}",
    "exponential": f"{{dist: exponential, mean: {MEAN_LEAD}}}",
}


def base_stock_backorders(lead: str) -> str:
    return BASE_STOCK_BACKORDERS.format(reps=REPLICATIONS, rate=RATE, lead=lead, level=BASE_STOCK_LEVEL)


@pytest.mark.slow
@pytest.mark.parametrize("lead", sorted(LEAD_TIMES))
def test_base_stock_backorders_matches_poisson_lead_time_demand(lead: str) -> None:
    """Base stock S, full backorders, unlimited supplier: N ~ Poisson(λE[L]) for any lead-time law.

    Orders are one-for-one, so the outstanding orders form an M/G/∞ queue and by
    Palm's theorem N ~ Poisson(a), a = λE[L], in steady state (Zipkin 2000, §6.2;
    Axsäter 2015). Net inventory is S − N and, by PASTA (Wolff 1982):

    * fill rate = P(N ≤ S−1);  stockout fraction = P(N ≥ S);
    * avg_on_hand = E[(S−N)^+];  avg_backorders = E[(N−S)^+];
    * mean wait of a backordered customer (Little's law on the backorder queue,
      arrival rate λ·P(N ≥ S)) = E[(N−S)^+] / (λ·P(N ≥ S)).

    λ = 10, E[L] = 2, S = 22: fill ≈ 0.64. Warm-up 40 ≫ E[L].
    """
    _, rows = replications(base_stock_backorders(LEAD_TIMES[lead]))
    th = poisson_stock(BASE_STOCK_LEVEL, RATE * MEAN_LEAD)
    assert_all(
        [
            check(column(rows, "fill_rate"), th["fill"], f"{lead}: fill_rate", precision=0.02),
            check(column(rows, "stockout_fraction"), th["stockout"], f"{lead}: stockout_fraction", precision=0.02),
            check(column(rows, "avg_on_hand"), th["on_hand"], f"{lead}: avg_on_hand", precision=0.15),
            check(column(rows, "avg_backorders"), th["backorders"], f"{lead}: avg_backorders", precision=0.1),
            check(
                column(rows, "mean_wait"),
                th["backorders"] / (RATE * th["stockout"]),
                f"{lead}: mean_wait",
                precision=0.015,
            ),
            check(column(rows, "lost_rate"), 0.0, f"{lead}: lost_rate", precision=1e-9),
        ]
    )


# ---------------------------------------------------------------------------- 2. base stock, lost sales

LOST_SALES_LEVEL = 20

BASE_STOCK_LOST_SALES = """
    name: base-stock-lost-sales
    horizon: 4000
    warmup: 40
    replications: {reps}
    seed: 202
    demand: {{rate: {rate}}}
    supplier: {{lead_time: {lead}}}
    store: {{stockout: lost_sales}}
    replenishment: {{policy: base_stock, level: {level}}}
"""

LOST_SALES_LEAD_TIMES = {
    "exponential": f"{{dist: exponential, mean: {MEAN_LEAD}}}",
    "constant": f"{MEAN_LEAD}",
    "gamma_cv1.5": f"{{dist: gamma, mean: {MEAN_LEAD}, cv: 1.5}}",
}


@pytest.mark.slow
@pytest.mark.parametrize("lead", sorted(LOST_SALES_LEAD_TIMES))
def test_base_stock_lost_sales_is_erlang_loss_system(lead: str) -> None:
    """Base stock S, lost sales, unlimited supplier: the Erlang loss system M/G/S/S.

    on_hand + on_order = S at all times; an order (a busy "server") is placed only
    when a customer is served, so the outstanding orders are an M/G/S/S system with
    offered load a = λE[L]. By PASTA and the insensitivity of the Erlang loss formula
    to the service-time law (Gross et al. 2008, M/M/c/c and M/G/c/c; Axsäter 2015,
    one-for-one replenishment with lost sales):

    * lost_rate = stockout fraction = B(S, a);  fill rate = 1 − B(S, a);
    * avg_on_hand = S − a·(1 − B(S, a))  (mean busy servers = carried load);
    * orders placed per time unit = λ·(1 − B(S, a)).

    λ = 10, E[L] = 2, S = 20: B ≈ 0.159, for exponential, constant and gamma(cv 1.5) lead times.
    """
    sc, rows = replications(
        BASE_STOCK_LOST_SALES.format(
            reps=REPLICATIONS, rate=RATE, lead=LOST_SALES_LEAD_TIMES[lead], level=LOST_SALES_LEVEL
        )
    )
    a = RATE * MEAN_LEAD
    b = erlang_b(LOST_SALES_LEVEL, a)
    per_time = [v / sc.horizon for v in column(rows, "orders_placed")]
    assert_all(
        [
            check(column(rows, "lost_rate"), b, f"{lead}: lost_rate", precision=0.01),
            check(column(rows, "fill_rate"), 1 - b, f"{lead}: fill_rate", precision=0.01),
            check(column(rows, "stockout_fraction"), b, f"{lead}: stockout_fraction", precision=0.01),
            check(column(rows, "avg_on_hand"), LOST_SALES_LEVEL - a * (1 - b), f"{lead}: avg_on_hand", precision=0.15),
            check(per_time, RATE * (1 - b), f"{lead}: orders per time unit", precision=0.1),
            check(column(rows, "backorder_rate"), 0.0, f"{lead}: backorder_rate", precision=1e-9),
        ]
    )


# ---------------------------------------------------------------------------- 3. make-to-stock queue

MTS_LEVEL = 5
MTS_MEAN_PROCESSING = 0.08
"""E[L] with ρ = λ·E[L] = 0.8."""

MAKE_TO_STOCK = f"""
    name: make-to-stock-mm1
    horizon: 8000
    warmup: 100
    replications: {REPLICATIONS}
    seed: 303
    demand: {{rate: {RATE}}}
    supplier: {{lead_time: {{dist: exponential, mean: {MTS_MEAN_PROCESSING}}}, servers: 1}}
    store: {{stockout: backorder}}
    replenishment: {{policy: base_stock, level: {MTS_LEVEL}}}
"""


def make_to_stock_theory(level: int, rho: float, rate: float) -> dict[str, float]:
    """M/M/1 make-to-stock queue: P(N = n) = (1−ρ)ρ^n, net inventory S − N.

    P(N ≥ S) = ρ^S; E[(N−S)^+] = Σ_{k≥1} k(1−ρ)ρ^{S+k} = ρ^{S+1}/(1−ρ);
    E[(S−N)^+] = S − E[N] + E[(N−S)^+] = S − ρ(1−ρ^S)/(1−ρ);
    mean wait of a backordered customer = E[(N−S)^+] / (λρ^S) = ρ / (λ(1−ρ)).
    """
    stockout = rho**level
    backorders = rho ** (level + 1) / (1 - rho)
    return {
        "fill": 1 - stockout,
        "stockout": stockout,
        "backorders": backorders,
        "on_hand": level - rho * (1 - rho**level) / (1 - rho),
        "mean_wait": backorders / (rate * stockout),
    }


@pytest.mark.slow
def test_make_to_stock_queue_matches_mm1() -> None:
    """Base stock S with one exponential server at the supplier: the M/M/1 make-to-stock queue.

    Each demand releases one unit order into a FIFO single-server queue with
    exponential processing (mean E[L]); N (orders outstanding) is the M/M/1 number
    in system, geometric with P(N = n) = (1−ρ)ρ^n, ρ = λE[L] (Buzacott & Shanthikumar
    1993, make-to-stock queues; Zipkin 2000, ch. 8). With net inventory S − N and PASTA:

    * fill rate = 1 − ρ^S;  stockout fraction = ρ^S;
    * avg_backorders = ρ^{S+1}/(1−ρ);  avg_on_hand = S − ρ(1−ρ^S)/(1−ρ);
    * mean wait (Little) = ρ/(λ(1−ρ)).

    λ = 10, E[L] = 0.08 (ρ = 0.8), S = 5: fill ≈ 0.672. Warm-up 100 ≫ the M/M/1
    relaxation time 1/(μ(1−√ρ)²) ≈ 7.
    """
    _, rows = replications(MAKE_TO_STOCK)
    rho = RATE * MTS_MEAN_PROCESSING
    th = make_to_stock_theory(MTS_LEVEL, rho, RATE)
    assert_all(
        [
            check(column(rows, "fill_rate"), th["fill"], "fill_rate", precision=0.015),
            check(column(rows, "stockout_fraction"), th["stockout"], "stockout_fraction", precision=0.015),
            check(column(rows, "avg_backorders"), th["backorders"], "avg_backorders", precision=0.15),
            check(column(rows, "avg_on_hand"), th["on_hand"], "avg_on_hand", precision=0.1),
            check(column(rows, "mean_wait"), th["mean_wait"], "mean_wait", precision=0.03),
        ]
    )


# ---------------------------------------------------------------------------- 4. (r, Q), backorders

R_POINT = 15
R_QTY = 10

RQ_BACKORDERS = """
    name: rq-backorders
    horizon: {horizon}
    warmup: {warmup}
    replications: {reps}
    seed: 404
    demand: {{rate: {rate}}}
    supplier: {{lead_time: {lead}}}
    store: {{stockout: backorder}}
    replenishment: {{policy: rQ, reorder_point: {r}, order_quantity: {q}}}
"""


def rq_theory(r: int, q: int, a: float, rate: float) -> dict[str, float]:
    """(r, Q) with unit Poisson demand: average of :func:`poisson_stock` over y = r+1 … r+Q."""
    per_y = [poisson_stock(y, a) for y in range(r + 1, r + q + 1)]
    out = {k: float(np.mean([p[k] for p in per_y])) for k in per_y[0]}
    out["mean_wait"] = out["backorders"] / (rate * out["stockout"])
    out["orders_per_time"] = rate / q
    return out


@pytest.mark.slow
def test_rq_backorders_matches_uniform_inventory_position() -> None:
    """(r, Q), full backorders, constant lead time L, unit Poisson demand.

    The inventory position is uniform on r+1 … r+Q in steady state and independent
    of the lead-time demand D(L) ~ Poisson(λL); net inventory at t + L is
    IP(t) − D(t, t+L] (Zipkin 2000, §6.5; Axsäter 2015). Hence, by PASTA:

    * fill rate = (1/Q) Σ_{y=r+1}^{r+Q} P(D ≤ y−1);  stockout fraction = (1/Q) Σ P(D ≥ y);
    * avg_on_hand = (1/Q) Σ E[(y−D)^+];  avg_backorders = (1/Q) Σ E[(D−y)^+];
    * orders placed per time unit = λ/Q;  mean wait (Little) = avg_backorders / (λ·stockout).

    λ = 10, L = 2, r = 15, Q = 10: fill ≈ 0.51.
    """
    text = RQ_BACKORDERS.format(
        horizon=4000, warmup=40, reps=REPLICATIONS, rate=RATE, lead=MEAN_LEAD, r=R_POINT, q=R_QTY
    )
    sc, rows = replications(text)
    th = rq_theory(R_POINT, R_QTY, RATE * MEAN_LEAD, RATE)
    per_time = [v / sc.horizon for v in column(rows, "orders_placed")]
    assert_all(
        [
            check(column(rows, "fill_rate"), th["fill"], "fill_rate", precision=0.015),
            check(column(rows, "stockout_fraction"), th["stockout"], "stockout_fraction", precision=0.015),
            check(column(rows, "avg_on_hand"), th["on_hand"], "avg_on_hand", precision=0.1),
            check(column(rows, "avg_backorders"), th["backorders"], "avg_backorders", precision=0.1),
            check(column(rows, "mean_wait"), th["mean_wait"], "mean_wait", precision=0.02),
            check(per_time, th["orders_per_time"], "orders per time unit", precision=0.02),
        ]
    )


def inventory_position_shares(trace: list[TraceRow], initial: int, start: float, end: float) -> dict[int, float]:
    """Time share of each inventory-position value over [start, end), rebuilt from a trace.

    IP starts at the initial stock (nothing on order or backordered at time 0), falls
    by the quantity at "ship … served immediately" and "backorder", rises at "order",
    "cancel" and "expire"; deliveries and later shipments leave it unchanged.
    """
    ip = initial
    shares: dict[int, float] = {}
    t_prev = 0.0
    rows = [(r.time, r.event, r.id, r.qty, r.note) for r in trace]
    for time, event, _ident, qty, note in [*rows, (end, "end", -1, 0, "")]:
        lo, hi = max(t_prev, start), min(time, end)
        if hi > lo:
            shares[ip] = shares.get(ip, 0.0) + (hi - lo)
        t_prev = time
        if (event == "ship" and note == "served immediately") or event == "backorder":
            ip -= qty
        elif event in ("order", "cancel", "expire"):
            ip += qty
    return {k: v / (end - start) for k, v in shares.items()}


def test_rq_inventory_position_is_uniform() -> None:
    """(r, Q) with unit demand: the time-average law of IP is uniform on r+1 … r+Q.

    IP moves r+Q → r+Q−1 → … → r+1 at each demand and jumps back to r+Q when it
    reaches r (an order of Q), so in steady state P(IP = y) = 1/Q for y = r+1 … r+Q
    (Zipkin 2000, §6.5; Axsäter 2015). IP is rebuilt from the event
    trace; the time share of each value is compared with 1/Q over replications, and
    IP never leaves r+1 … r+Q for a positive time.
    """
    reps, warmup, horizon = 20, 10.0, 500.0
    text = RQ_BACKORDERS.format(
        horizon=horizon, warmup=warmup, reps=reps, rate=RATE, lead=MEAN_LEAD, r=R_POINT, q=R_QTY
    )
    sc = scenario(text)
    cfg = sc.policies[sc.baseline]
    assert cfg.initial_stock == R_POINT + R_QTY
    per_level: dict[int, list[float]] = {y: [] for y in range(R_POINT + 1, R_POINT + R_QTY + 1)}
    for i in range(reps):
        res = simulate(cfg, seed=sc.seed, replication=i, horizon=horizon, warmup=warmup, trace=True)
        assert res.trace is not None
        shares = inventory_position_shares(res.trace, cfg.initial_stock, warmup, warmup + horizon)
        outside = {y: s for y, s in shares.items() if y not in per_level}
        assert not outside, f"replication {i}: IP outside r+1..r+Q for a positive time share: {outside}"
        assert math.isclose(sum(shares.values()), 1.0, rel_tol=1e-9)
        for y, values in per_level.items():
            values.append(shares.get(y, 0.0))
    assert_all([check(v, 1 / R_QTY, f"P(IP = {y})", precision=0.02) for y, v in per_level.items()])


# ---------------------------------------------------------------------------- 5. Little's law

LITTLE_SYSTEMS = {
    "base_stock_exponential": base_stock_backorders(LEAD_TIMES["exponential"]),
    "make_to_stock_mm1": MAKE_TO_STOCK,
}


@pytest.mark.slow
@pytest.mark.parametrize("system", sorted(LITTLE_SYSTEMS))
def test_littles_law_on_the_backorder_queue(system: str) -> None:
    """Little's law L = λW on the backorder queue (Little 1961; Gross et al. 2008, §1.5).

    With unit demand, infinite patience and acceptance 1, the time-average number of
    waiting customers is avg_backorders, they arrive at rate backorder_rate × λ̂
    (λ̂ = customers / horizon) and stay mean_wait on average, so per replication
    d = avg_backorders − backorder_rate · λ̂ · mean_wait ≈ 0. The mean of d must be
    within the t-interval plus a slack for the window's edges: customers already
    waiting at its start and still pending at its end contribute O(λ_b·E[W²]/H)
    (about 1e-4 of avg_backorders here); the slack is 0.05% of avg_backorders.
    """
    sc, rows = replications(LITTLE_SYSTEMS[system])
    h = sc.horizon
    lhs = column(rows, "avg_backorders")
    rhs = [r["backorder_rate"] * r["customers"] / h * r["mean_wait"] for r in rows]
    d = [x - y for x, y in zip(lhs, rhs, strict=True)]
    scale = float(np.mean(lhs))
    assert scale > 0.1, f"{system}: too few backorders for a meaningful check ({scale})"
    assert_all([check(d, 0.0, f"{system}: avg_backorders − λ_b·W", precision=0.01 * scale, slack=5e-4 * scale)])
