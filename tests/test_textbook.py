"""Textbook instances (``scenarios/textbook/``) against their theory, and the trace's state columns.

Each scenario of ``scenarios/textbook/`` states its source, formula and expected values in
its header; the tests here recompute the theory from the scenario's own parameters (scipy,
never copied numbers) and compare the replication means with Student-t tolerances
(:mod:`statcheck`). The trace tests check the state columns added for students: on every
row of runs with backorders, lost sales, partial and short deliveries, the state after the
event follows from the state before it and the event alone.

References:
    Zipkin, P. H. (2000). *Foundations of Inventory Management*. McGraw-Hill.
    Axsäter, S. (2015). *Inventory Control*, 3rd ed. Springer.
    Buzacott, J. A., Shanthikumar, J. G. (1993). *Stochastic Models of Manufacturing Systems*.
    Gross, D., Shortle, J. F., Thompson, J. M., Harris, C. M. (2008). *Fundamentals of
    Queueing Theory*, 4th ed. Wiley.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from statcheck import assert_all
from statcheck import mean_check as check
from supplysim.analysis.indicators import indicators, kpi_names
from supplysim.analysis.kpis import Unit, lookup
from supplysim.api import Results
from supplysim.experiments.runner import run_experiment
from supplysim.outputs.documents import TRACE_COLUMNS, trace_csv
from supplysim.scenario import ModelConfig, Periodic, Scenario
from supplysim.scenario.load import load_scenario, parse_scenario
from supplysim.sim import simulate
from supplysim.sim.replication import Replication
from supplysim.sim.trace import TraceRow

ROOT = Path(__file__).resolve().parents[1]
TEXTBOOK = ROOT / "scenarios" / "textbook"

Rows = list[dict[str, float]]


# ---------------------------------------------------------------------------- the trace's state columns

STATE_RUN = """
name: trace-state
horizon: 150
warmup: 10
seed: 5
product: {price: 5}
demand:
  rate: 4
  quantity: {dist: geometric, mean: 2}
segments:
  - {name: patient, share: 0.6, accept_backorder: 0.9, patience: {dist: exponential, mean: 6}}
  - {name: hurried, share: 0.4, accept_backorder: 0.5, max_wait: 3, patience: {dist: exponential, mean: 1}}
suppliers:
  - {name: far, lead_time: {dist: uniform, low: 2, high: 6}, yield: {dist: uniform, low: 0.6, high: 1.0}}
  - {name: near, lead_time: 1}
sourcing: {rule: split, shares: {far: 0.7, near: 0.3}}
store: {stockout: backorder, max_backorders: 3, partial_shipments: true, expire_after: 4,
        waitlist: {join: 0.5, convert: 0.7, patience: {dist: exponential, mean: 3}}}
replenishment: {policy: rQ, reorder_point: 4, order_quantity: 8}
policies:
  partial: {}
  reserve:
    store: {partial_shipments: false}
  periodic:
    replenishment: {policy: periodic, review_period: 3, order_up_to: 20}
  lost_sales:
    store: {stockout: lost_sales}
"""


def _state_scenario() -> Scenario:
    return parse_scenario(STATE_RUN, file="<trace-state>")


def _check_state_rows(rows: list[TraceRow], cfg: ModelConfig) -> dict[str, int]:
    """Walk a trace row by row: each row's state follows from the previous row's and its event.

    Returns how many rows of each event kind were seen (for the tests' preconditions).
    """
    names = {s.name for s in cfg.segments}
    before = (cfg.initial_stock, cfg.initial_stock, 0, 0)  # on_hand, available, backordered, on_order at 0
    ordered: dict[tuple[str, int], int] = {}
    waiting: set[int] = set()
    seen: dict[str, int] = {}
    for i, r in enumerate(rows):
        event = str(r.event)
        seen[event] = seen.get(event, 0) + 1
        on_hand0, avail0, back0, order0 = before
        d_hand, d_avail, d_back, d_order = (
            r.on_hand - on_hand0,
            r.available - avail0,
            r.backordered - back0,
            r.on_order - order0,
        )
        where = f"row {i}: {r}"
        assert r.inventory_position == r.on_hand + r.on_order - r.backordered, where
        assert min(r.on_hand, r.available, r.backordered, r.on_order) >= 0, where
        assert r.available <= r.on_hand, where
        assert (event == "arrive") == (r.segment != ""), where
        assert event != "arrive" or r.segment in names, where
        assert (event == "backorder") == math.isfinite(r.quote), where
        assert event != "backorder" or r.quote >= 0, where
        if event == "ship":
            assert d_hand == -r.qty, where
            assert -r.qty <= d_avail <= 0, where
            assert d_back == (-r.qty if r.id in waiting else 0), where
            assert d_order == 0, where
            if not math.isnan(r.wait):  # the shipment completing a waiting customer's order
                waiting.discard(r.id)
        elif event == "deliver":
            assert (d_hand, d_avail, d_back) == (r.qty, r.qty, 0), where
            assert d_order == -ordered.pop((r.supplier, r.id)), where  # the units ordered, whatever arrived
            assert r.qty <= -d_order, where
        elif event == "order":
            assert (d_hand, d_avail, d_back, d_order) == (0, 0, 0, r.qty), where
            ordered[(r.supplier, r.id)] = r.qty
        elif event == "backorder":
            assert (d_hand, d_avail, d_back, d_order) == (0, 0, r.qty, 0), where
            waiting.add(r.id)
        elif event in ("cancel", "expire"):
            assert (d_hand, d_avail, d_back, d_order) == (0, 0, -r.qty, 0), where
            waiting.discard(r.id)
        elif event == "reserve":
            assert (d_hand, d_avail, d_back, d_order) == (0, -r.qty, 0, 0), where
        elif event == "release":
            assert (d_hand, d_avail, d_back, d_order) == (0, r.qty, 0, 0), where
        else:  # arrive, lost, waitlist, review, window starts, goodwill lost: the state does not move
            assert (d_hand, d_avail, d_back, d_order) == (0, 0, 0, 0), where
            if event == "review":
                assert r.qty == r.inventory_position, where
        last_of_instant = i + 1 == len(rows) or rows[i + 1].time != r.time
        if last_of_instant:  # between instants, nobody waits while units are available
            assert r.available == 0 or not waiting, where
            assert r.backordered == 0 or waiting, where
        before = (r.on_hand, r.available, r.backordered, r.on_order)
    return seen


@pytest.mark.parametrize("policy", ["partial", "reserve", "periodic", "lost_sales"])
def test_trace_state_columns_follow_from_the_events(policy: str) -> None:
    sc = _state_scenario()
    cfg = sc.policies[policy]
    res = simulate(cfg, seed=sc.seed, replication=0, horizon=sc.horizon, warmup=sc.warmup, trace=True)
    assert res.trace is not None
    seen = _check_state_rows(res.trace, cfg)
    # preconditions: the run exercised what the identities are about
    assert seen.get("order", 0) > 10 and seen.get("deliver", 0) > 10
    assert any(r.event == "deliver" and r.note for r in res.trace), "a short delivery"
    assert seen.get("lost", 0) > 0
    if policy != "lost_sales":
        assert min(seen.get(e, 0) for e in ("backorder", "cancel")) > 0, seen
        shipped_waiting = [r for r in res.trace if r.event == "ship" and r.note == "partial shipment"]
        assert bool(shipped_waiting) == (policy != "reserve")
        if policy == "reserve":
            assert seen.get("reserve", 0) > 0 and seen.get("release", 0) > 0, seen
    if policy == "periodic":
        assert seen.get("review", 0) >= 50
    # the final state is the store's
    assert res.trace[-1].on_hand == res.final_on_hand


def test_tracing_changes_no_number() -> None:
    """The quote on backorder rows is computed only for the trace: the run is the same run."""
    sc = _state_scenario()
    for cfg in sc.policies.values():
        a = simulate(cfg, seed=sc.seed, replication=1, horizon=sc.horizon, warmup=sc.warmup, trace=True)
        b = simulate(cfg, seed=sc.seed, replication=1, horizon=sc.horizon, warmup=sc.warmup)
        assert a.counters == b.counters


def test_traces_as_dataframes_and_csv() -> None:
    sc = parse_scenario(STATE_RUN.replace("horizon: 150", "horizon: 40"), file="<trace-state>")
    exp = run_experiment(sc, workers=1, replications=range(0, 1), trace=True)
    frames = Results(exp).traces()
    assert set(frames) == set(sc.policies)
    df = frames["partial"]
    rows = exp.traces["partial"]
    assert list(df.columns) == list(TRACE_COLUMNS) and len(df) == len(rows)
    dtypes = {c: str(t) for c, t in df.dtypes.items()}
    for c in ("id", "qty", "on_hand", "available", "backordered", "on_order", "inventory_position"):
        assert dtypes[c] == "int64", c
    for c in ("time", "wait", "quote"):
        assert dtypes[c] == "float64", c
    assert dtypes["event"] == "category" and dtypes["segment"] == "string"
    assert (df["inventory_position"] == df["on_hand"] + df["on_order"] - df["backordered"]).all()
    assert set(df.loc[df["event"] == "arrive", "segment"]) <= {"patient", "hurried"}
    assert df.loc[df["event"] == "backorder", "quote"].notna().all()
    assert df.loc[df["event"] != "backorder", "quote"].isna().all()
    text = trace_csv(rows).splitlines()
    assert text[0] == ",".join(TRACE_COLUMNS) and len(text) == len(rows) + 1
    first = text[1].split(",")
    assert first[TRACE_COLUMNS.index("on_hand")] == str(rows[0].on_hand)


# ---------------------------------------------------------------------------- end-of-period indicators, exactly

END_OF_PERIOD = """
name: end-of-period
horizon: 6
demand: {rate: 1}
supplier: {lead_time: 2}
store: {stockout: backorder}
replenishment: {policy: periodic, review_period: 2, order_up_to: 5}
"""


@pytest.mark.parametrize(
    ("warmup", "on_hand", "backorders"),
    [
        (0.0, (5 + 2 + 0) / 3, (0 + 0 + 1) / 3),  # epochs 0, 2, 4 (the one at 6 is not simulated)
        (2.0, (2 + 0) / 2, (0 + 1) / 2),  # the window [2, 6) holds the epochs 2 and 4
    ],
)
def test_end_of_period_is_the_state_just_before_each_review(warmup: float, on_hand: float, backorders: float) -> None:
    """(R, S) = (2, 5), L = 2, unit sales at 0.5, 1, 1.5 | 2.5, 3, 3.5 | 5 (times shifted by the warm-up).

    Before the review at 2: 2 on hand (3 sold), and 3 are ordered, due at 4. Before the review
    at 4: nothing on hand and 1 backordered — the 3 units due at 4 arrive at that instant,
    before the review, but belong to the next period (the textbook convention), so they are not
    counted. Counting them would give 2 on hand and 0 backordered.
    """
    sc = parse_scenario(END_OF_PERIOD.replace("horizon: 6", f"horizon: {6 - warmup}"), file="<eop>")
    cfg = sc.policies[sc.baseline]
    times = [0.5, 1.0, 1.5, 2.5, 3.0, 3.5, 5.0]
    customers = [(t, 1, 0, 0.0, math.inf, math.inf) for t in times]
    res = Replication(cfg, seed=0, replication=0).run(6 - warmup, warmup, customers=customers)
    values = indicators(res, cfg, ("avg_on_hand_end_of_period", "avg_backorders_end_of_period", "avg_on_hand"))
    assert values["avg_on_hand_end_of_period"] == pytest.approx(on_hand)
    assert values["avg_backorders_end_of_period"] == pytest.approx(backorders)
    assert res.counters.period_ends == (3 if warmup == 0 else 2)


def test_end_of_period_indicators_only_with_periodic_review() -> None:
    sc = _state_scenario()
    assert "avg_on_hand_end_of_period" in kpi_names(sc.policies.values())
    continuous = [m for name, m in sc.policies.items() if name != "periodic"]
    assert "avg_on_hand_end_of_period" not in kpi_names(continuous)
    cfg = sc.policies["partial"]  # continuous review in a scenario that has a periodic policy: undefined
    res = simulate(cfg, seed=sc.seed, replication=0, horizon=sc.horizon, warmup=sc.warmup)
    assert math.isnan(indicators(res, cfg, kpi_names(sc.policies.values()))["avg_on_hand_end_of_period"])


def test_money_rates_are_the_totals_over_the_window() -> None:
    sc = _state_scenario()
    cfg = sc.policies["partial"]
    res = simulate(cfg, seed=sc.seed, replication=0, horizon=sc.horizon, warmup=sc.warmup)
    values = indicators(res, cfg)
    money = [k for k in values if lookup(k).unit is Unit.MONEY]
    assert len(money) == 7
    for name in money:
        assert values[f"{name}_per_time"] == pytest.approx(values[name] / sc.horizon), name
        assert lookup(f"{name}_per_time").unit is Unit.MONEY_PER_TIME
        assert lookup(f"{name}_per_time").better is lookup(name).better
        assert lookup(f"{name}_per_time").headline is None


# ---------------------------------------------------------------------------- textbook theory helpers


@functools.cache
def textbook(name: str) -> tuple[Scenario, dict[str, Rows]]:
    """A textbook scenario and the indicators of all its replications, by policy (once per session)."""
    sc = load_scenario(TEXTBOOK / f"{name}.yaml")
    return sc, run_experiment(sc, workers=2).values


def column(rows: Rows, kpi: str) -> list[float]:
    return [row[kpi] for row in rows]


def lead_mean(cfg: ModelConfig) -> float:
    return float(cfg.all_suppliers[0].lead_time.mean)


def poisson_net_inventory(level: int, a: float) -> dict[str, float]:
    """Net inventory level − D, D ~ Poisson(a): P(D ≤ level−1), E[(level−D)^+], E[(D−level)^+], P(D ≥ level)."""
    d = stats.poisson(a)
    n = np.arange(max(level, 0))
    on_hand = float(np.sum((level - n) * d.pmf(n)))
    return {
        "fill": float(d.cdf(level - 1)),
        "on_hand": on_hand,
        "backorders": a - level + on_hand,
        "stockout": float(d.sf(level - 1)),
    }


def erlang_b(servers: int, a: float) -> float:
    """Erlang's loss formula B(S, a) by the recursion B(k) = a·B(k−1) / (k + a·B(k−1)) (Gross et al. 2008)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    return b


def test_every_textbook_scenario_is_tested_and_describes_its_theory() -> None:
    files = sorted(p.stem for p in TEXTBOOK.glob("*.yaml"))
    assert files == sorted(TESTED)
    for name in files:
        sc = load_scenario(TEXTBOOK / f"{name}.yaml")
        text = (TEXTBOOK / f"{name}.yaml").read_text(encoding="utf-8")
        assert sc.description and "Source:" in text and "Expected" in text, name


# ---------------------------------------------------------------------------- 1. Palm's theorem


@pytest.mark.slow
def test_palm_base_stock_with_backorders() -> None:
    """Base stock S, backorders, exponential lead times: N ~ Poisson(λE[L]) (Palm's theorem)."""
    sc, values = textbook("palm_base_stock")
    cfg = sc.policies[sc.baseline]
    assert cfg.demand.quantity.mean == 1  # unit demand: one-for-one replenishment
    rate, level = cfg.demand.rate, cfg.replenishment.level  # type: ignore[union-attr]
    th = poisson_net_inventory(level, rate * lead_mean(cfg))
    p = cfg.product
    rows = values[sc.baseline]
    assert_all(
        [
            check(column(rows, "fill_rate"), th["fill"], "fill_rate", precision=0.02),
            check(column(rows, "avg_on_hand"), th["on_hand"], "avg_on_hand", precision=0.15),
            check(column(rows, "avg_backorders"), th["backorders"], "avg_backorders", precision=0.1),
            check(column(rows, "mean_wait"), th["backorders"] / (rate * th["stockout"]), "mean_wait", precision=0.02),
            check(column(rows, "holding_cost_per_time"), p.holding_cost * th["on_hand"], "h·E[I]", precision=0.15),
            check(
                column(rows, "backorder_cost_per_time"),
                p.backorder_cost * th["backorders"],
                "b·E[B]",
                precision=0.5,
            ),
        ]
    )


# ---------------------------------------------------------------------------- 2. Erlang loss


@pytest.mark.slow
def test_erlang_loss_base_stock_with_lost_sales() -> None:
    """Base stock S, lost sales: the outstanding orders are M/G/S/S, lost_rate = B(S, λE[L])."""
    sc, values = textbook("erlang_loss_base_stock")
    cfg = sc.policies[sc.baseline]
    rate, level = cfg.demand.rate, cfg.replenishment.level  # type: ignore[union-attr]
    a = rate * lead_mean(cfg)
    b = erlang_b(level, a)
    rows = values[sc.baseline]
    p = cfg.product
    assert_all(
        [
            check(column(rows, "lost_rate"), b, "lost_rate", precision=0.01),
            check(column(rows, "fill_rate"), 1 - b, "fill_rate", precision=0.01),
            check(column(rows, "avg_on_hand"), level - a * (1 - b), "avg_on_hand", precision=0.15),
            check(
                column(rows, "lost_sale_cost_per_time"),
                p.lost_sale_cost * rate * b,
                "lost-sale cost per time unit",
                precision=0.1 * p.lost_sale_cost,
            ),
        ]
    )


# ---------------------------------------------------------------------------- 3. make-to-stock M/M/1


@pytest.mark.slow
def test_make_to_stock_mm1_backordered_and_lost() -> None:
    """One exponential server: backorders → M/M/1, P(N = n) = (1−ρ)ρ^n; lost sales → M/M/1/S."""
    sc, values = textbook("make_to_stock_mm1")
    cfg = sc.policies["backorder"]
    rate, level = cfg.demand.rate, cfg.replenishment.level  # type: ignore[union-attr]
    rho = rate * lead_mean(cfg)
    backorders = rho ** (level + 1) / (1 - rho)
    lost = (1 - rho) * rho**level / (1 - rho ** (level + 1))  # P(N = S) in M/M/1/S
    n = np.arange(level + 1)
    pmf = (1 - rho) * rho**n / (1 - rho ** (level + 1))
    rb, rl = values["backorder"], values["lost_sales"]
    assert_all(
        [
            check(column(rb, "fill_rate"), 1 - rho**level, "backorder: fill_rate", precision=0.015),
            check(column(rb, "avg_backorders"), backorders, "backorder: avg_backorders", precision=0.15),
            check(
                column(rb, "avg_on_hand"),
                level - rho * (1 - rho**level) / (1 - rho),
                "backorder: avg_on_hand",
                precision=0.1,
            ),
            check(column(rb, "mean_wait"), rho / (rate * (1 - rho)), "backorder: mean_wait", precision=0.03),
            check(column(rl, "lost_rate"), lost, "lost_sales: lost_rate", precision=0.015),
            check(
                column(rl, "avg_on_hand"), float(np.sum((level - n) * pmf)), "lost_sales: avg_on_hand", precision=0.1
            ),
        ]
    )


# ---------------------------------------------------------------------------- 4. (r, Q) exact costs


def rq_costs(r: int, q: int, a: float, rate: float, k: float, h: float, b: float) -> dict[str, float]:
    """(r, Q), Poisson demand, constant L: IP uniform on r+1 … r+Q, independent of D(L) ~ Poisson(a).

    C(r, Q) = k·λ/Q + h·E[I] + b·E[B] per time unit (Zipkin 2000, §6.5; Axsäter 2015, §5.3).
    """
    per_y = [poisson_net_inventory(y, a) for y in range(r + 1, r + q + 1)]
    on_hand = float(np.mean([p["on_hand"] for p in per_y]))
    backorders = float(np.mean([p["backorders"] for p in per_y]))
    fill = float(np.mean([p["fill"] for p in per_y]))
    return {
        "fill": fill,
        "on_hand": on_hand,
        "backorders": backorders,
        "ordering": k * rate / q,
        "holding": h * on_hand,
        "backorder": b * backorders,
        "total": k * rate / q + h * on_hand + b * backorders,
    }


@pytest.mark.slow
def test_rq_exact_costs() -> None:
    sc, values = textbook("rq_poisson")
    cfg = sc.policies[sc.baseline]
    rule = cfg.replenishment
    p, s = cfg.product, cfg.all_suppliers[0]
    assert s.unit_cost == 0 and p.price == 0  # the textbook cost: no purchase cost, no revenue
    rate = cfg.demand.rate
    th = rq_costs(
        rule.reorder_point,  # type: ignore[union-attr]
        rule.order_quantity,  # type: ignore[union-attr]
        rate * lead_mean(cfg),
        rate,
        s.order_cost,
        p.holding_cost,
        p.backorder_cost,
    )
    rows = values[sc.baseline]
    cost = [-x for x in column(rows, "profit_per_time")]
    assert_all(
        [
            check(column(rows, "fill_rate"), th["fill"], "fill_rate", precision=0.015),
            check(column(rows, "ordering_cost_per_time"), th["ordering"], "k·λ/Q", precision=0.05 * th["ordering"]),
            check(column(rows, "holding_cost_per_time"), th["holding"], "h·E[I]", precision=0.05 * th["holding"]),
            check(column(rows, "backorder_cost_per_time"), th["backorder"], "b·E[B]", precision=0.1 * th["backorder"]),
            check(cost, th["total"], "C(r, Q) = −profit_per_time", precision=0.03 * th["total"]),
        ]
    )


# ---------------------------------------------------------------------------- 5. periodic base stock


def periodic_theory(level: int, rate: float, lead: float, period: float, h: float, p: float) -> dict[str, float]:
    """Periodic base stock (R, S), Poisson demand, constant lead time L (a multiple of R).

    End of period (charged by the textbooks): net inventory S − D(L + R), D(L + R) ~ Poisson(λ(L + R))
    (Zipkin 2000, ch. 6, discrete time). Time average: the net inventory at L + u after a review,
    u uniform on [0, R): S − D(L + u), D(L + u) ~ Poisson(λ(L + u)), averaged over u.
    """
    end = poisson_net_inventory(level, rate * (lead + period))
    grid = np.linspace(0.0, period, 2001)
    on_hand = [poisson_net_inventory(level, rate * (lead + u))["on_hand"] for u in grid]
    backorders = [poisson_net_inventory(level, rate * (lead + u))["backorders"] for u in grid]
    return {
        "end_on_hand": end["on_hand"],
        "end_backorders": end["backorders"],
        "end_cost": h * end["on_hand"] + p * end["backorders"],
        "avg_on_hand": float(np.trapezoid(on_hand, grid) / period),
        "avg_backorders": float(np.trapezoid(backorders, grid) / period),
    }


def newsvendor_level(rate: float, lead: float, period: float, h: float, p: float) -> int:
    """The optimal base-stock level: the smallest S with P(D(L + R) ≤ S) ≥ p/(p + h) (critical fractile)."""
    return int(stats.poisson(rate * (lead + period)).ppf(p / (p + h)))


@pytest.mark.slow
def test_periodic_base_stock_end_of_period() -> None:
    sc, values = textbook("periodic_base_stock")
    cfg = sc.policies[sc.baseline]
    rule = cfg.replenishment
    assert isinstance(rule, Periodic) and rule.reorder_point is None
    lead, period, rate = lead_mean(cfg), rule.review_period, cfg.demand.rate
    h, p = cfg.product.holding_cost, cfg.product.backorder_cost
    # the per-period costs of the textbook, in money per period: h and p are per unit per period
    h_period, p_period = h * period, p * period
    assert rule.order_up_to == newsvendor_level(rate, lead, period, h_period, p_period)
    th = periodic_theory(rule.order_up_to, rate, lead, period, h_period, p_period)
    rows = values[sc.baseline]
    end_cost = [h_period * r["avg_on_hand_end_of_period"] + p_period * r["avg_backorders_end_of_period"] for r in rows]
    assert_all(
        [
            check(column(rows, "avg_on_hand_end_of_period"), th["end_on_hand"], "end-of-period on hand", precision=0.1),
            check(
                column(rows, "avg_backorders_end_of_period"),
                th["end_backorders"],
                "end-of-period backorders",
                precision=0.05,
            ),
            check(end_cost, th["end_cost"], "end-of-period cost per period", precision=0.2),
            check(column(rows, "avg_on_hand"), th["avg_on_hand"], "time-average on hand", precision=0.1),
            check(column(rows, "avg_backorders"), th["avg_backorders"], "time-average backorders", precision=0.05),
        ]
    )
    # the two conventions differ by more than the noise: the end of a period is its low point
    assert th["avg_on_hand"] - th["end_on_hand"] > 1.0


TESTED = ("palm_base_stock", "erlang_loss_base_stock", "make_to_stock_mm1", "rq_poisson", "periodic_base_stock")
