"""The "notify me" waitlist and goodwill: exact scripted traces and same-seed comparisons.

With a waitlist or goodwill the customer tuples have ten items: (time, units,
segment, acceptance u, patience, max wait, waitlist join uniform, waitlist convert
uniform, waitlist patience, goodwill uniform). Both features draw from their own
streams, so switching them off (join 0, churn 0) must leave every other number of
the same seed bit-identical.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import pytest

from supplysim.analysis.indicators import KPIS, indicators, kpi_names
from supplysim.analysis.kpis import Feature, feature_names
from supplysim.scenario import ModelConfig, Periodic, deep_merge
from supplysim.scenario.load import ScenarioError, parse_scenario
from supplysim.sim import Replication, ReplicationResult, simulate
from supplysim.sim.trace import NO_WAIT, Event, TraceRow

INF = math.inf

Row = TraceRow


def row(t: float, event: str, ident: int, qty: int, note: str = "", *, wait: float = NO_WAIT) -> Row:
    """A trace row; "order" and "deliver" rows come from the default supplier."""
    supplier = "supplier" if event in ("order", "deliver") else ""
    return TraceRow(t, Event(event), ident, qty, wait, note, supplier)


def model(text: str) -> ModelConfig:
    sc = parse_scenario("name: t\nhorizon: 1\n" + textwrap.dedent(text), file="<test>")
    return sc.policies[sc.baseline]


def cust(
    t: float,
    qty: int = 1,
    *,
    u: float = 0.0,
    patience: float = INF,
    join: float = 0.0,
    convert: float = 0.0,
    wait_list: float = INF,
    goodwill: float = 0.0,
) -> tuple[Any, ...]:
    """A scripted customer (long form). Defaults: accepts a backorder, waits forever, would join the
    waitlist and buy (uniforms 0 are below any positive probability), stays interested forever, and
    comes whatever the goodwill (u = 0)."""
    return (t, qty, 0, u, patience, INF, join, convert, wait_list, goodwill)


def run(cfg: ModelConfig, customers: list[tuple[Any, ...]], *, horizon: float) -> ReplicationResult:
    return Replication(cfg, seed=0, replication=0, trace=True).run(horizon, 0.0, customers=customers)


def rows(result: ReplicationResult, *events: str) -> list[Row]:
    assert result.trace is not None
    return [TraceRow(*r[:7]) for r in result.trace if not events or r[1] in events]  # without the state columns


def recovered_sales(result: ReplicationResult) -> list[Row]:
    """The shipments to customers who had been lost: sales recovered through the waitlist."""
    lost: set[int] = set()
    out = []
    for r in rows(result, "lost", "ship"):
        if r.event == "lost":
            lost.add(r.id)
        elif r.id in lost:
            out.append(r)
    return out


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def all_kpis(result: ReplicationResult, cfg: ModelConfig) -> dict[str, float]:
    return indicators(result, cfg, kpi_names([cfg]))


# --------------------------------------------------------------------------- models for same-seed comparisons

BASES: dict[str, dict[str, Any]] = {
    "lost sales rQ": {
        "product": {"price": 12.0, "holding_cost": 0.1, "lost_sale_cost": 3.0},
        "demand": {"rate": 3.0, "quantity": {"dist": "choice", "values": [1, 2, 3], "weights": [0.6, 0.3, 0.1]}},
        "segments": [{"name": "a", "share": 0.7}, {"name": "b", "share": 0.3}],
        "supplier": {"lead_time": {"dist": "exponential", "mean": 3.0}, "order_cost": 5.0, "unit_cost": 2.0},
        "store": {"stockout": "lost_sales"},
        "replenishment": {"policy": "rQ", "reorder_point": 4, "order_quantity": 8},
    },
    "hybrid backorder": {
        "product": {"price": 10.0, "backorder_cost": 0.2, "lost_sale_cost": 1.0},
        "demand": {"rate": 2.0, "seasonal": {"amplitude": 0.5, "period": 25.0}},
        "segments": [{"accept_backorder": 0.7, "patience": {"dist": "exponential", "mean": 4.0}}],
        "supplier": {"lead_time": {"dist": "uniform", "low": 1.0, "high": 5.0}},
        "store": {"stockout": "backorder", "max_backorders": 3, "max_quoted_wait": 2.5, "expire_after": 6.0},
        "replenishment": {"policy": "base_stock", "level": 4},
    },
    "lost sales periodic": {
        "product": {"price": 5.0},
        "demand": {"rate": 4.0},
        "supplier": {"lead_time": 2.0},
        "store": {"stockout": "lost_sales"},
        "replenishment": {"policy": "periodic", "review_period": 3.0, "order_up_to": 12},
    },
}

RUNS = [(1, 0, 0.0), (7, 2, 15.0), (42, 5, 3.5)]
"""(seed, replication, warmup) of each comparison; horizon 120."""


def _with(base: dict[str, Any], extra: dict[str, Any]) -> ModelConfig:
    return ModelConfig.model_validate(deep_merge(base, extra))


def _sim(cfg: ModelConfig, seed: int, rep: int, warmup: float) -> ReplicationResult:
    return simulate(cfg, seed=seed, replication=rep, horizon=120.0, warmup=warmup, trace=True)


# --------------------------------------------------------------------------- waitlist


@pytest.mark.parametrize("name", sorted(BASES))
def test_waitlist_with_join_zero_changes_nothing(name: str) -> None:
    """join = 0: every indicator and the whole trace equal those of the model without a waitlist."""
    plain = ModelConfig.model_validate(BASES[name])
    listed = _with(BASES[name], {"store": {"waitlist": {"join": 0.0, "convert": 0.8, "patience": 5.0}}})
    for seed, rep, warmup in RUNS:
        a, b = _sim(plain, seed, rep, warmup), _sim(listed, seed, rep, warmup)
        ka, kb = all_kpis(a, plain), all_kpis(b, listed)
        assert set(kb) == set(ka) | {"waitlist_joined", "waitlist_recovered"}
        differ = {k: (ka[k], kb[k]) for k in ka if not same(ka[k], kb[k])}
        assert not differ, differ
        assert (kb["waitlist_joined"], kb["waitlist_recovered"]) == (0.0, 0.0)
        assert a.trace == b.trace
        assert a.counters.lost > 0, "precondition: customers were shown out of stock"


@pytest.mark.parametrize("name", sorted(BASES))
def test_waitlist_without_converts_only_records_joins(name: str) -> None:
    """join = 1, convert = 0: everyone shown out-of-stock joins, nobody buys: only waitlist_joined
    and the "waitlist" trace rows differ from the model without a waitlist."""
    plain = ModelConfig.model_validate(BASES[name])
    listed = _with(BASES[name], {"store": {"waitlist": {"join": 1.0, "convert": 0.0}}})
    for seed, rep, warmup in RUNS:
        a, b = _sim(plain, seed, rep, warmup), _sim(listed, seed, rep, warmup)
        ka, kb = all_kpis(a, plain), all_kpis(b, listed)
        differ = {k: (ka[k], kb[k]) for k in ka if not same(ka[k], kb[k])}
        assert not differ, differ
        assert kb["waitlist_recovered"] == 0.0
        # a join is logged right after its customer's "lost" row (same time, same customer)
        lost_at = {(r.time, r.id) for r in rows(a, "lost")}
        joins = [r for r in rows(b, "waitlist") if (r.time, r.id) in lost_at]
        assert kb["waitlist_joined"] == sum(1 for r in joins if warmup == 0 or r.time >= warmup) > 0
        if plain.store.stockout == "lost_sales":  # every lost customer was shown "out of stock"
            assert len(joins) == len(lost_at)
        assert [r for r in b.trace or [] if r[1] != "waitlist"] == a.trace


@pytest.mark.parametrize("name", sorted(BASES))
def test_recovered_sales_are_counted_and_booked_as_revenue(name: str) -> None:
    """recovered ≤ joined; revenue = price × units shipped, recovered units included: revenue −
    price × (units shipped to everyone else) = price × units shipped as recovered sales."""
    listed = _with(
        BASES[name],
        {"store": {"waitlist": {"join": 0.6, "convert": 0.7, "patience": {"dist": "exponential", "mean": 6.0}}}},
    )
    price = listed.product.price
    total_recovered = 0
    for seed, rep, _ in RUNS:
        res = _sim(listed, seed, rep, 0.0)
        k = all_kpis(res, listed)
        c = res.counters
        assert c.waitlist_recovered <= c.waitlist_joined
        recovered = recovered_sales(res)
        recovered_units = sum(r.qty for r in recovered)
        other_units = sum(r.qty for r in rows(res, "ship")) - recovered_units
        assert recovered_units == c.recovered_units
        assert k["revenue"] == price * c.units_shipped
        assert k["revenue"] - price * other_units == pytest.approx(price * recovered_units, rel=1e-12, abs=1e-9)
        assert k["waitlist_recovered"] == len(recovered)
        total_recovered += c.waitlist_recovered
        # recovered customers stay "lost" in the outcome identity
        outcomes = c.served_immediately + c.served_after_wait + c.lost + c.cancelled + c.expired + c.pending
        assert outcomes == c.customers
    assert total_recovered > 0, "precondition: some sales were recovered"


def test_waitlist_script() -> None:
    """lost_sales, rQ r=0, Q=2, L=4, initial stock 1, price 10; waitlist join 0.5, convert 0.5.

    t=1 served (IP 0 → order 2, due 5). t=2 joins, will buy. t=3 does not join (u 0.9). t=3.5 joins
    but will not buy. t=4 joins, interested until 4.5. t=4.25 joins, will buy. t=5: 2 units arrive;
    the list is walked in order: #1 buys, #3 declines, #4 has lost interest, #5 buys → IP 0 → order 2.
    """
    cfg = model(
        """
        product: {price: 10}
        demand: {rate: 1}
        supplier: {lead_time: 4}
        store: {initial_stock: 1, stockout: lost_sales, waitlist: {join: 0.5, convert: 0.5}}
        replenishment: {policy: rQ, reorder_point: 0, order_quantity: 2}
        """
    )
    customers = [
        cust(1),
        cust(2, join=0.1, convert=0.2, wait_list=10),
        cust(3, join=0.9),
        cust(3.5, join=0.3, convert=0.7),
        cust(4, join=0.2, convert=0.1, wait_list=0.5),
        cust(4.25, join=0.4, convert=0.4),
    ]
    res = run(cfg, customers, horizon=10)

    def lost(t: float, cid: int) -> list[Row]:
        return [row(t, "arrive", cid, 1, "segment default"), row(t, "lost", cid, 1, "out of stock")]

    def joined(t: float, cid: int) -> list[Row]:
        return [*lost(t, cid), row(t, "waitlist", cid, 1, "joined")]

    assert rows(res) == [
        row(1, "arrive", 0, 1, "segment default"),
        row(1, "ship", 0, 1, "served immediately"),
        row(1, "order", 0, 2, "due 5, promised 5"),
        *joined(2, 1),
        *lost(3, 2),
        *joined(3.5, 3),
        *joined(4, 4),
        *joined(4.25, 5),
        row(5, "deliver", 0, 2, ""),
        row(5, "ship", 1, 1, "waitlist: recovered sale"),
        row(5, "waitlist", 3, 1, "declined"),
        row(5, "waitlist", 4, 1, "left"),
        row(5, "ship", 5, 1, "waitlist: recovered sale"),
        row(5, "order", 1, 2, "due 9, promised 9"),
        row(9, "deliver", 1, 2, ""),
    ]
    c = res.counters
    assert (c.customers, c.served_immediately, c.lost) == (6, 1, 5)
    assert (c.waitlist_joined, c.waitlist_recovered, c.recovered_units) == (4, 2, 2)
    k = all_kpis(res, cfg)
    assert k["revenue"] == 10 * c.units_shipped == 10 * 3
    not_waitlisted = sum(r.qty for r in rows(res, "ship")) - sum(r.qty for r in recovered_sales(res))
    assert k["revenue"] - 10 * not_waitlisted == 10 * c.recovered_units == 10 * 2
    assert k["lost_rate"] == 5 / 6  # a recovered customer stays lost at arrival
    assert (k["waitlist_joined"], k["waitlist_recovered"]) == (4, 2)
    assert res.final_on_hand == 2


def test_waitlist_nobody_overtakes_the_head() -> None:
    """rQ r=2, Q=1, initial 3, L=2: three sales at 0.1, 0.2, 0.3 each reorder one unit (due 2.1,
    2.2, 2.3). #3 wants 3, #4 wants 1, both join. At 2.1 and 2.2 one and two units are available:
    the head cannot buy and #4 must not overtake it. At 2.3 the head buys 3 (IP 0 → order 3, due
    4.3); at 4.3 #4 buys 1 (IP 2 → order 1)."""
    cfg = model(
        """
        demand: {rate: 1}
        supplier: {lead_time: 2}
        store: {initial_stock: 3, stockout: lost_sales, waitlist: {join: 1, convert: 1}}
        replenishment: {policy: rQ, reorder_point: 2, order_quantity: 1}
        """
    )
    res = run(cfg, [cust(0.1), cust(0.2), cust(0.3), cust(0.5, 3), cust(0.6)], horizon=8)
    assert rows(res, "deliver", "ship", "order")[6:] == [
        row(2.1, "deliver", 0, 1, ""),
        row(2.2, "deliver", 1, 1, ""),
        row(2.3, "deliver", 2, 1, ""),
        row(2.3, "ship", 3, 3, "waitlist: recovered sale"),
        row(2.3, "order", 3, 3, "due 4.3, promised 4.3"),
        row(4.3, "deliver", 3, 3, ""),
        row(4.3, "ship", 4, 1, "waitlist: recovered sale"),
        row(4.3, "order", 4, 1, "due 6.3, promised 6.3"),
        row(6.3, "deliver", 4, 1, ""),
    ]
    assert res.counters.waitlist_recovered == 2


def test_store_refusals_join_the_waitlist_but_balkers_do_not() -> None:
    """backorder, max_backorders 1, accept 0.5, base stock 1, L=4; waitlist join 1, convert 1.

    t=1 served (order due 5). t=2 balks (u 0.9): lost, not offered the list. t=3 backordered (order
    due 7). t=4 refused (queue full): shown out of stock, joins. t=5: the unit goes to the backorder.
    t=7: the unit is available → the waitlisted customer buys (order due 11)."""
    cfg = model(
        """
        demand: {rate: 1}
        segments: [{accept_backorder: 0.5}]
        supplier: {lead_time: 4}
        store: {stockout: backorder, max_backorders: 1, waitlist: {join: 1, convert: 1}}
        replenishment: {policy: base_stock, level: 1}
        """
    )
    res = run(cfg, [cust(1), cust(2, u=0.9), cust(3), cust(4)], horizon=10)
    assert rows(res, "lost", "waitlist", "backorder", "ship") == [
        row(1, "ship", 0, 1, "served immediately"),
        row(2, "lost", 1, 1, "balked"),
        row(3, "backorder", 2, 1, ""),
        row(4, "lost", 3, 1, "refused: backorder queue full"),
        row(4, "waitlist", 3, 1, "joined"),
        row(5, "ship", 2, 1, "served after waiting 2", wait=2),
        row(7, "ship", 3, 1, "waitlist: recovered sale"),
    ]
    c = res.counters
    assert (c.served_immediately, c.served_after_wait, c.lost) == (1, 1, 2)
    assert (c.waitlist_joined, c.waitlist_recovered) == (1, 1)


def test_quote_refusals_join_the_waitlist() -> None:
    """Hybrid: max_quoted_wait 1, L=4. t=1 served (order due 5); t=2 quote 3 > 1 → refused, joins; t=5 buys."""
    cfg = model(
        """
        demand: {rate: 1}
        supplier: {lead_time: 4}
        store: {stockout: backorder, max_quoted_wait: 1, waitlist: {join: 1, convert: 1}}
        replenishment: {policy: base_stock, level: 1}
        """
    )
    res = run(cfg, [cust(1), cust(2)], horizon=10)
    assert rows(res, "lost", "waitlist", "ship") == [
        row(1, "ship", 0, 1, "served immediately"),
        row(2, "lost", 1, 1, "refused: quote 3 > 1"),
        row(2, "waitlist", 1, 1, "joined"),
        row(5, "ship", 1, 1, "waitlist: recovered sale"),
    ]


def test_waitlist_join_must_be_a_probability() -> None:
    text = """
        name: t
        horizon: 10
        demand: {rate: 1}
        supplier: {lead_time: 2}
        store: {stockout: lost_sales, waitlist: {join: 2, convert: 0.5}}
        replenishment: {policy: base_stock, level: 2}
        """
    with pytest.raises(ScenarioError) as err:
        parse_scenario(textwrap.dedent(text), file="s.yaml")
    msg = str(err.value)
    assert "store.waitlist.join" in msg and "2" in msg and "less than or equal to 1" in msg


# --------------------------------------------------------------------------- goodwill


@pytest.mark.parametrize("goodwill", [{}, {"churn": 0.0}, {"churn": 0.0, "memory": 3.0}])
@pytest.mark.parametrize("name", sorted(BASES))
def test_goodwill_without_churn_changes_nothing(name: str, goodwill: dict[str, Any]) -> None:
    """No churn (the default): every indicator and the trace equal those of the model without the key."""
    plain = ModelConfig.model_validate(BASES[name])
    with_key = _with(BASES[name], {"demand": {"goodwill": goodwill}})
    assert with_key.demand.goodwill is not None
    for seed, rep, warmup in RUNS:
        a, b = _sim(plain, seed, rep, warmup), _sim(with_key, seed, rep, warmup)
        ka, kb = all_kpis(a, plain), all_kpis(b, with_key)
        assert set(kb) == set(ka) | {"goodwill_lost"}
        differ = {k: (ka[k], kb[k]) for k in ka if not same(ka[k], kb[k])}
        assert not differ, differ
        assert kb["goodwill_lost"] == 0.0
        assert a.trace == b.trace
        assert a.counters.lost + a.counters.cancelled + a.counters.expired > 0, "precondition: disappointments"
    periodic = set(feature_names(Feature.PERIODIC_REVIEW)) if isinstance(plain.replenishment, Periodic) else set()
    assert set(all_kpis(a, plain)) == set(KPIS) | periodic


@pytest.mark.parametrize("name", sorted(BASES))
def test_goodwill_churn_diverts_potential_customers(name: str) -> None:
    """churn > 0: some potential customers go elsewhere; customers + goodwill_lost = the customers of
    the run without goodwill (same arrival stream), arrival by arrival."""
    plain = ModelConfig.model_validate(BASES[name])
    churned = _with(BASES[name], {"demand": {"goodwill": {"churn": 0.3, "memory": 10.0}}})
    for seed, rep, warmup in RUNS:
        a, b = _sim(plain, seed, rep, warmup), _sim(churned, seed, rep, warmup)
        ca, cb = a.counters, b.counters
        assert cb.goodwill_lost > 0
        assert cb.customers + cb.goodwill_lost == ca.customers
        assert all_kpis(b, churned)["goodwill_lost"] == cb.goodwill_lost
        potential_a = [(r[0], r[2], r[3]) for r in rows(a, "arrive")]
        potential_b = [(r[0], r[2], r[3]) for r in rows(b, "arrive", "goodwill lost")]
        assert potential_b == potential_a
        assert ca.units_demanded == cb.units_demanded + sum(
            r[3] for r in rows(b, "goodwill lost") if warmup == 0 or r[0] >= warmup
        )


def test_goodwill_script() -> None:
    """churn ln 2, memory 10, no stock and no replenishment (every customer who comes is lost).

    t=1: D = 0, comes, lost → D = 1. At t = 1 + 10 ln 2, D = ½ → P(come) = 2^(−½) ≈ 0.7071: u = 0.72
    goes elsewhere (D unchanged), u = 0.70 comes and is lost → D ≈ 1.5 → P(come) ≈ 2^(−1.5) ≈ 0.354:
    u = 0.36 goes elsewhere, u = 0.35 comes."""
    cfg = model(
        """
        demand: {rate: 1, goodwill: {churn: 0.6931471805599453, memory: 10}}
        supplier: {lead_time: 1}
        store: {stockout: lost_sales}
        replenishment: {policy: base_stock, level: 0}
        """
    )
    t = 1 + 10 * math.log(2)
    res = run(
        cfg,
        [cust(1, goodwill=0.99), cust(t, goodwill=0.72), cust(t, goodwill=0.70), cust(t, goodwill=0.36)]
        + [cust(t, goodwill=0.35)],
        horizon=20,
    )
    assert [(r[1], r[2]) for r in rows(res, "arrive", "goodwill lost", "lost")] == [
        ("arrive", 0),
        ("lost", 0),
        ("goodwill lost", 1),
        ("arrive", 2),
        ("lost", 2),
        ("goodwill lost", 3),
        ("arrive", 4),
        ("lost", 4),
    ]
    c = res.counters
    assert (c.customers, c.lost, c.goodwill_lost) == (3, 3, 2)


def test_goodwill_counts_cancellations_and_memory_fades() -> None:
    """A cancellation is a disappointment too, and its effect fades with the memory.

    backorder, churn ln 2, memory 1, lead time 100 (nothing arrives). t=0: backordered, patience 1.
    t=1: arrivals come before cancellations at one instant, so D is still 0: comes (patience 1); then
    #0 cancels: D = 1. t=2: D = e^{−1}, P(come) = 2^(−e^{−1}) ≈ 0.775: u = 0.78 goes elsewhere,
    u = 0.77 comes; then #1 cancels."""
    cfg = model(
        """
        demand: {rate: 1, goodwill: {churn: 0.6931471805599453, memory: 1}}
        supplier: {lead_time: 100}
        store: {stockout: backorder}
        replenishment: {policy: base_stock, level: 0}
        """
    )
    res = run(
        cfg,
        [cust(0, patience=1), cust(1, patience=1, goodwill=0.99), cust(2, goodwill=0.78), cust(2, goodwill=0.77)],
        horizon=5,
    )
    assert [(r[0], r[1], r[2]) for r in rows(res, "arrive", "goodwill lost", "cancel")] == [
        (0, "arrive", 0),
        (1, "arrive", 1),
        (1, "cancel", 0),
        (2, "goodwill lost", 2),
        (2, "arrive", 3),
        (2, "cancel", 1),
    ]
    c = res.counters
    assert (c.customers, c.cancelled, c.goodwill_lost, c.pending) == (3, 2, 1, 1)
