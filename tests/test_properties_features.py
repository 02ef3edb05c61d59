"""The accounting identities with every feature of issue 3 switched on, checked with hypothesis.

Random combinations of demand profiles (weekly, seasonal, events, trend), goodwill,
one to three suppliers (servers, no_crossing, quoted lead time, yield, random and
fixed outages under both clocks) with every sourcing rule, a waitlist, and each
stockout policy. Whatever the combination, the simulator must run, every customer
must have exactly one outcome, units must be conserved, and the indicators must
stay in range.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplysim.analysis.indicators import indicators, kpi_names
from supplysim.scenario import ModelConfig
from supplysim.sim import simulate
from test_properties import OUTCOME_RATES, durations, quantities, replenishments, segments
from trace_walk import kind, outcomes, supplier_of

FEATURE_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

small = st.floats(min_value=0.2, max_value=10.0, allow_nan=False, allow_infinity=False)


# --------------------------------------------------------------------------- strategies


@st.composite
def demands(draw: st.DrawFn) -> dict[str, Any]:
    demand: dict[str, Any] = {"rate": draw(st.floats(0.2, 6.0)), "quantity": draw(quantities)}
    if draw(st.booleans()):
        weekly = draw(st.lists(st.floats(0.0, 2.0), min_size=7, max_size=7))
        weekly[draw(st.integers(0, 6))] = draw(st.floats(0.1, 2.0))  # at least one positive factor
        demand["weekly"] = weekly
    if draw(st.booleans()):
        demand["seasonal"] = {
            "amplitude": draw(st.floats(0.0, 0.95)),
            "period": draw(st.floats(1.0, 100.0)),
            "peak": draw(st.floats(0.0, 100.0)),
        }
    if draw(st.booleans()):
        events = []
        for i in range(draw(st.integers(1, 3))):
            start = draw(st.floats(0.0, 150.0))
            events.append(
                {
                    "name": f"event {i}",
                    "start": start,
                    "end": start + draw(st.floats(0.5, 60.0)),
                    "multiplier": draw(st.sampled_from([0.0]) | st.floats(0.0, 4.0)),
                }
            )
        demand["events"] = events
    if draw(st.booleans()):
        demand["trend"] = draw(st.floats(-0.02, 0.05))
    if draw(st.booleans()):
        demand["goodwill"] = draw(
            st.just({})
            | st.builds(lambda c, m: {"churn": c, "memory": m}, st.sampled_from([0.0]) | st.floats(0.0, 1.0), small)
        )
    return demand


@st.composite
def disruptions(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"clock": draw(st.sampled_from(["continue", "pause"]))}
    kind = draw(st.sampled_from(["random", "windows", "both"]))
    if kind in ("random", "both"):
        out["every"] = draw(durations())
        out["duration"] = draw(durations())
    if kind in ("windows", "both"):
        windows = []
        for _ in range(draw(st.integers(1, 3))):
            start = draw(st.floats(0.0, 200.0))
            windows.append({"start": start, "end": start + draw(st.floats(0.1, 40.0))})
        out["windows"] = windows
    return out


@st.composite
def suppliers(draw: st.DrawFn, name: str) -> dict[str, Any]:
    sup: dict[str, Any] = {
        "name": name,
        "lead_time": draw(durations()),
        "servers": draw(st.sampled_from([None, 1, 2])),
        "no_crossing": draw(st.booleans()),
        "unit_cost": draw(st.floats(0.0, 5.0)),
        "order_cost": draw(st.floats(0.0, 20.0)),
    }
    if draw(st.booleans()):
        sup["quoted_lead_time"] = draw(st.floats(0.0, 10.0))
    yield_kind = draw(st.sampled_from(["perfect", "constant", "distribution"]))
    if yield_kind == "constant":
        sup["yield"] = draw(st.floats(0.05, 1.0))
    elif yield_kind == "distribution":
        low = draw(st.floats(0.0, 0.9))
        sup["yield"] = {"dist": "uniform", "low": low, "high": low + draw(st.floats(0.05, 0.6))}
    if draw(st.booleans()):
        sup["disruptions"] = draw(disruptions())
    return sup


@st.composite
def sourcings(draw: st.DrawFn, names: list[str]) -> dict[str, Any] | None:
    rules = ["default", "single", "split", "fallback"] + (["expedite"] if len(names) > 1 else [])
    rule = draw(st.sampled_from(rules))
    if rule == "default":
        return None
    if rule == "single":
        return {"rule": "single", "supplier": draw(st.sampled_from(names))}
    if rule == "split":
        weights = draw(st.lists(st.integers(0, 5), min_size=len(names), max_size=len(names)))
        if not any(weights):
            weights[0] = 1
        total = sum(weights)
        return {
            "rule": "split",
            "shares": {n: w / total for n, w in zip(names, weights, strict=True)},
            "by": draw(st.sampled_from(["quantity", "orders"])),
        }
    if rule == "fallback":
        out: dict[str, Any] = {"rule": "fallback"}
        if draw(st.booleans()):
            out["order"] = draw(st.permutations(names))
        return out
    primary, fast = draw(st.permutations(names))[:2]
    out = {"rule": "expedite", "primary": primary, "expedite_to": fast}
    trigger = draw(st.sampled_from(["backorders", "quote", "both"]))
    if trigger in ("backorders", "both"):
        out["backorders_above"] = draw(st.integers(0, 6))
    if trigger in ("quote", "both"):
        out["quoted_wait_above"] = draw(st.floats(0.0, 10.0))
    return out


@st.composite
def feature_models(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid model with a random selection of the features of issue 3."""
    n = draw(st.integers(1, 3))
    names = [f"s{i}" for i in range(n)]
    listed = [draw(suppliers(name)) for name in names]
    store: dict[str, Any] = {
        "stockout": draw(st.sampled_from(["backorder", "lost_sales"])),
        "initial_stock": draw(st.none() | st.integers(0, 40)),
        "max_backorders": draw(st.none() | st.integers(0, 8)),
        "max_quoted_wait": draw(st.none() | st.floats(0.0, 8.0)),
        "expire_after": draw(st.none() | st.floats(0.5, 15.0)),
        "partial_shipments": draw(st.booleans()),
    }
    if draw(st.booleans()):
        waitlist: dict[str, Any] = {"join": draw(st.floats(0.0, 1.0)), "convert": draw(st.floats(0.0, 1.0))}
        if draw(st.booleans()):
            waitlist["patience"] = draw(durations())
        store["waitlist"] = waitlist
    out: dict[str, Any] = {
        "product": {
            "price": draw(st.floats(0.0, 50.0)),
            "holding_cost": draw(st.floats(0.0, 1.0)),
            "backorder_cost": draw(st.floats(0.0, 1.0)),
            "lost_sale_cost": draw(st.floats(0.0, 10.0)),
        },
        "demand": draw(demands()),
        "segments": draw(segments()),
        "store": store,
        "replenishment": draw(replenishments()),
    }
    if n == 1 and draw(st.booleans()):
        del listed[0]["name"]
        out["supplier"] = listed[0]
    else:
        out["suppliers"] = listed
    sourcing = draw(sourcings([s.get("name", "supplier") for s in listed]))
    if sourcing is not None:
        out["sourcing"] = sourcing
    return out


runs = st.tuples(
    st.integers(0, 2**31 - 1),  # seed
    st.integers(0, 5),  # replication
    st.floats(20.0, 200.0),  # horizon
    st.sampled_from([0.0]) | st.floats(0.0, 30.0),  # warmup
)


# --------------------------------------------------------------------------- the property


@FEATURE_SETTINGS
@given(model=feature_models(), run=runs)
def test_identities_hold_with_every_feature(model: dict[str, Any], run: tuple[int, int, float, float]) -> None:
    seed, replication, horizon, warmup = run
    cfg = ModelConfig.model_validate(model)
    res = simulate(cfg, seed=seed, replication=replication, horizon=horizon, warmup=warmup, trace=True)
    c = res.counters

    # every customer has exactly one outcome, counted customer by customer from the trace (the
    # totals' identity is Store.check_invariants'); the potential customers are the customers plus
    # those lost to goodwill
    rows = res.trace or []
    assert outcomes(rows) == Counter(
        served_immediately=c.served_immediately,
        served_after_wait=c.served_after_wait,
        lost=c.lost,
        cancelled=c.cancelled,
        expired=c.expired,
        pending=c.pending,
    )
    times = [r[0] for r in rows]
    assert times == sorted(times), "the clock went backwards"
    start = next((i for i, r in enumerate(rows) if r[1] == "window starts"), 0)
    potential = sum(1 for r in rows[start:] if r[1] in ("arrive", "goodwill lost"))
    assert c.customers + c.goodwill_lost == potential
    if cfg.demand.goodwill is None or cfg.demand.goodwill.churn == 0.0:
        assert c.goodwill_lost == 0

    # units: the trace's deliveries and shipments are the counters' (whose balance with the stock
    # Store.check_invariants checks); short deliveries never exceed the order
    assert res.final_on_hand >= 0
    assert sum(r[3] for r in rows if r[1] == "deliver") == c.total_received
    assert sum(r[3] for r in rows if r[1] == "ship") == c.total_shipped
    assert c.total_received <= sum(r[3] for r in rows if r[1] == "order")

    # waitlist: joins counted from the trace (recoveries ≤ joins is Store.check_invariants')
    assert c.waitlist_joined == sum(1 for r in rows[start:] if kind(r) == "waitlist_join")
    if cfg.store.waitlist is None:
        assert c.waitlist_joined == 0 and c.recovered_units == 0
    lost = {r.id for r in rows if r.event == "lost"}  # a shipment to a lost customer is a recovered sale
    assert c.recovered_units == sum(r.qty for r in rows[start:] if r.event == "ship" and r.id in lost)

    # indicators: rates add to 1, fractions in [0, 1], per-supplier numbers add up
    names = kpi_names([cfg])
    values = indicators(res, cfg, names)
    assert set(values) == set(names)
    if c.customers:
        assert sum(values[k] for k in OUTCOME_RATES) == pytest.approx(1.0, abs=1e-12)
        for k in (*OUTCOME_RATES, "backorder_rate", "unit_fill_rate", "stockout_fraction"):
            assert 0.0 <= values[k] <= 1.0 + 1e-12, (k, values[k])
    else:
        assert all(math.isnan(values[k]) for k in OUTCOME_RATES)
    # per supplier: the orders of the window, counted from the trace (not the sums Store.finish makes)
    stats = res.suppliers
    assert list(stats) == [s.name for s in cfg.all_suppliers]
    placed = [r for r in rows[start:] if r[1] == "order"]
    assert c.orders_placed == len(placed)
    assert c.units_ordered == sum(r[3] for r in placed)
    for sc in cfg.all_suppliers:
        s = stats[sc.name]
        mine = [r for r in placed if supplier_of(r) == sc.name]
        assert (s.orders, s.units) == (len(mine), sum(r[3] for r in mine)), sc.name
        assert s.cost == pytest.approx(sc.order_cost * s.orders + sc.unit_cost * s.units, rel=1e-9, abs=1e-9)
        assert 0 <= s.delayed <= s.orders
        if sc.disruptions is None:
            assert s.down_time is None and s.delayed == 0
        else:
            assert s.down_time is not None
            assert 0.0 <= values[f"down_fraction@{sc.name}"] <= 1.0 + 1e-12
        if s.orders:
            assert s.lead_sum >= 0.0
