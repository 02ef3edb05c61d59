"""Properties that hold for every valid scenario, checked with hypothesis on small random models.

Every customer has exactly one outcome, units are conserved, the outcome rates add to 1,
the same seed gives the same numbers, every policy sees the same customers (common random
numbers), and with more stock than anyone could buy the stockout policy cannot matter.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplysim.analysis.indicators import KPIS, indicators
from supplysim.scenario import ModelConfig, deep_merge
from supplysim.scenario.distributions import CONTINUOUS_KINDS
from supplysim.scenario.load import parse_scenario
from supplysim.scenario.specs import STOCKOUT_KEYS
from supplysim.sim import Replication, simulate
from supplysim.sim.invariants import check_books

PROPERTY_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

OUTCOME_RATES = ("fill_rate", "lost_rate", "cancel_rate", "expire_rate", "served_after_wait_rate", "pending_rate")

# --------------------------------------------------------------------------- strategies

positive = st.floats(min_value=0.2, max_value=10.0, allow_nan=False, allow_infinity=False)


DURATION_KINDS = ("number", *CONTINUOUS_KINDS)


@st.composite
def durations(draw: st.DrawFn, kinds: tuple[str, ...] = DURATION_KINDS) -> Any:
    """A continuous law of one of ``kinds``, with random valid parameters."""
    kind = draw(st.sampled_from(kinds))
    m = draw(positive)
    if kind == "number":
        return m
    if kind == "constant":
        return {"dist": "constant", "value": m}
    if kind == "exponential":
        return {"dist": "exponential", "mean": m}
    if kind == "uniform":
        return {"dist": "uniform", "low": m, "high": m + draw(st.floats(0.0, 5.0))}
    if kind == "triangular":
        a, b = draw(st.floats(0.0, 1.0)), draw(st.floats(0.1, 3.0))
        return {"dist": "triangular", "low": m, "mode": m + a * b, "high": m + b}
    if kind == "normal":
        return {"dist": "normal", "mean": m, "sd": draw(st.floats(0.1, 3.0))}
    if kind == "lognormal":
        # sd as a multiple of the mean: the format bounds the coefficient of variation (docs/limits.md)
        return {"dist": "lognormal", "mean": m, "sd": m * draw(st.floats(0.05, 3.0))}
    if kind == "gamma":
        return {"dist": "gamma", "mean": m, "cv": draw(st.floats(0.1, 2.0))}
    if kind == "erlang":
        return {"dist": "erlang", "k": draw(st.integers(1, 5)), "mean": m}
    if kind == "weibull":
        return {"dist": "weibull", "shape": draw(st.floats(0.5, 4.0)), "scale": m}
    values = draw(st.lists(st.floats(0.1, 10.0), min_size=1, max_size=4))
    weights = draw(st.lists(st.floats(0.1, 3.0), min_size=len(values), max_size=len(values)))
    return {"dist": "empirical", "values": values, "weights": weights}


LEAD_TIME_KINDS = DURATION_KINDS
"""Every continuous law, empirical ones included (``test_empirical_lead_time_simulates``)."""


quantities = st.one_of(
    st.integers(1, 3),
    st.builds(lambda m: {"dist": "poisson", "mean": m, "shift": 1}, st.floats(1.1, 4.0)),
    st.builds(lambda m: {"dist": "geometric", "mean": m}, st.floats(1.0, 3.0)),
    st.builds(
        lambda v, w: {"dist": "choice", "values": v, "weights": w},
        st.just([1, 2, 3]),
        st.lists(st.floats(0.1, 2.0), min_size=3, max_size=3),
    ),
    st.builds(
        lambda m, extra: {"dist": "negative_binomial", "mean": m, "sd": math.sqrt(m - 1 + extra), "shift": 1},
        st.floats(1.5, 4.0),
        st.floats(0.2, 4.0),
    ),
)


@st.composite
def segments(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 3))
    weights = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    total = sum(weights)
    out = []
    for i, w in enumerate(weights):
        seg: dict[str, Any] = {
            "name": f"seg{i}",
            "share": w / total,
            "accept_backorder": draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)),
        }
        if draw(st.booleans()):
            seg["max_wait"] = draw(durations())
        if draw(st.booleans()):
            seg["patience"] = draw(durations())
        out.append(seg)
    # shares written as w/total sum to 1 within rounding; the validator allows 1e-9
    assert abs(sum(s["share"] for s in out) - 1.0) < 1e-12
    return out


@st.composite
def replenishments(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["rQ", "sS", "base_stock", "periodic"]))
    if kind == "rQ":
        return {"policy": "rQ", "reorder_point": draw(st.integers(-3, 30)), "order_quantity": draw(st.integers(1, 40))}
    if kind == "sS":
        s = draw(st.integers(-3, 30))
        return {"policy": "sS", "reorder_point": s, "order_up_to": s + draw(st.integers(1, 40))}
    if kind == "base_stock":
        return {"policy": "base_stock", "level": draw(st.integers(0, 40))}
    big_s = draw(st.integers(0, 50))
    period = draw(st.floats(0.5, 10.0))
    out: dict[str, Any] = {
        "policy": "periodic",
        "review_period": period,
        "order_up_to": big_s,
        "review_offset": draw(st.floats(0.0, period)),
    }
    if draw(st.booleans()):
        out["reorder_point"] = draw(st.integers(-5, big_s - 1))
    return out


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid model as the YAML-like mapping a scenario file would hold."""
    supplier: dict[str, Any] = {
        "lead_time": draw(durations(LEAD_TIME_KINDS)),
        "servers": draw(st.sampled_from([None, 1, 2])),
        "no_crossing": draw(st.booleans()),
        "unit_cost": draw(st.floats(0.0, 5.0)),
        "order_cost": draw(st.floats(0.0, 20.0)),
    }
    if draw(st.booleans()):
        supplier["quoted_lead_time"] = draw(st.floats(0.0, 10.0))
    store = {
        "stockout": draw(st.sampled_from(["backorder", "lost_sales"])),
        "initial_stock": draw(st.none() | st.integers(0, 60)),
        "max_backorders": draw(st.none() | st.integers(0, 8)),
        "max_quoted_wait": draw(st.none() | st.floats(0.0, 8.0)),
        "expire_after": draw(st.none() | st.floats(0.5, 15.0)),
        "partial_shipments": draw(st.booleans()),
    }
    return {
        "product": {
            "price": draw(st.floats(0.0, 50.0)),
            "holding_cost": draw(st.floats(0.0, 1.0)),
            "backorder_cost": draw(st.floats(0.0, 1.0)),
            "lost_sale_cost": draw(st.floats(0.0, 10.0)),
        },
        "demand": {"rate": draw(st.floats(0.2, 8.0)), "quantity": draw(quantities)},
        "segments": draw(segments()),
        "supplier": supplier,
        "store": store,
        "replenishment": draw(replenishments()),
    }


@dataclass(frozen=True)
class Run:
    seed: int
    replication: int
    horizon: float
    warmup: float


runs = st.builds(
    Run,
    seed=st.integers(0, 2**31 - 1),
    replication=st.integers(0, 5),
    horizon=st.floats(20.0, 200.0),
    warmup=st.sampled_from([0.0]) | st.floats(0.0, 30.0),
)


def _simulate(cfg: ModelConfig, run: Run, trace: bool = False) -> Any:
    return simulate(
        cfg, seed=run.seed, replication=run.replication, horizon=run.horizon, warmup=run.warmup, trace=trace
    )


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    """Indicator dicts equal, NaN equal to NaN."""
    if a.keys() != b.keys():
        return False
    return all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


def _diff(a: dict[str, float], b: dict[str, float]) -> dict[str, tuple[float, float]]:
    return {k: (a[k], b[k]) for k in a if not ((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k])}


def _with(model: dict[str, Any], override: dict[str, Any]) -> ModelConfig:
    return ModelConfig.model_validate(deep_merge(model, override))


# --------------------------------------------------------------------------- properties


@PROPERTY_SETTINGS
@given(model=models(), run=runs)
def test_every_customer_has_exactly_one_outcome(model: dict[str, Any], run: Run) -> None:
    cfg = ModelConfig.model_validate(model)
    res = _simulate(cfg, run, trace=True)
    c = res.counters
    # (the totals' identity is Store.check_invariants'; here: customer by customer, from the trace)
    assert min(c.served_immediately, c.served_after_wait, c.lost, c.cancelled, c.expired, c.pending) >= 0
    if cfg.store.stockout == "lost_sales":
        assert c.backordered == 0

    # Customer by customer, from the event trace.
    rows = res.trace
    assert rows is not None
    start = 0
    if run.warmup > 0:
        marks = [i for i, r in enumerate(rows) if r[1] == "window starts"]
        assert len(marks) == 1 and rows[marks[0]][0] == run.warmup
        start = marks[0]
    wanted: dict[int, int] = {}
    counted: set[int] = set()
    shipped: Counter[int] = Counter()
    final: dict[int, str] = {}
    arrived: dict[int, float] = {}
    waits: list[float] = []
    waited: set[int] = set()
    for i, (time, event, cid, qty, wait, *_columns) in enumerate(rows):
        if event == "arrive":
            assert cid not in wanted, f"customer {cid} arrives twice"
            wanted[cid] = qty
            arrived[cid] = time
            if i > start or run.warmup == 0:
                counted.add(cid)
            continue
        if event not in ("ship", "lost", "backorder", "cancel", "expire", "reserve", "release"):
            continue
        assert cid in wanted, f"{event} for customer {cid} before it arrived"
        if event == "release":  # units reserved for a customer who just cancelled or expired
            assert final.get(cid) in ("cancel", "expire"), f"release for customer {cid} who did not give up"
            continue
        assert cid not in final, f"{event} for customer {cid} after its outcome {final[cid]!r}"
        if event == "backorder":
            waited.add(cid)
        if event == "ship":
            shipped[cid] += qty
            if not math.isnan(wait):  # the shipment that completes a waiting customer's order
                assert cid in waited, f"customer {cid} shipped after waiting without a backorder"
                assert wait == time - arrived[cid]
                if cid in counted:
                    waits.append(wait)
                final[cid] = "served after wait"
                assert shipped[cid] == wanted[cid], f"customer {cid} served {shipped[cid]} of {wanted[cid]}"
            elif cid not in waited:  # served at arrival
                final[cid] = "served immediately"
                assert shipped[cid] == wanted[cid], f"customer {cid} served {shipped[cid]} of {wanted[cid]}"
            else:  # a part of a waiting customer's order
                assert cfg.store.partial_shipments
                assert shipped[cid] < wanted[cid]
        elif event in ("lost", "cancel", "expire"):
            final[cid] = event
            if event != "lost":
                assert shipped[cid] + qty == wanted[cid], f"customer {cid}: shipped + {event}led != wanted"
    tally = Counter(final[cid] for cid in counted if cid in final)
    assert len(counted) == c.customers
    assert sum(wanted[cid] for cid in counted) == c.units_demanded
    assert tally["served immediately"] == c.served_immediately
    assert tally["served after wait"] == c.served_after_wait
    assert tally["lost"] == c.lost
    assert tally["cancel"] == c.cancelled
    assert tally["expire"] == c.expired
    assert sum(1 for cid in counted if cid not in final) == c.pending
    assert res.waits.count == len(waits) == c.served_after_wait
    if waits:
        assert res.waits.mean == pytest.approx(sum(waits) / len(waits), rel=1e-9, abs=1e-12)
        assert min(waits) >= 0.0

    # Nobody can be lost when every customer accepts any backorder and the store never refuses one.
    never_refused = cfg.store.max_backorders is None and cfg.store.max_quoted_wait is None
    always_accept = all(s.accept_backorder == 1.0 and s.max_wait is None for s in cfg.segments)
    if cfg.store.stockout == "backorder" and never_refused and always_accept:
        assert c.lost == 0


@PROPERTY_SETTINGS
@given(model=models(), run=runs)
def test_units_are_conserved(model: dict[str, Any], run: Run) -> None:
    cfg = ModelConfig.model_validate(model)
    res = _simulate(cfg, run, trace=True)
    c = res.counters
    # (initial + received = shipped + on hand is Store.check_invariants'; here: the counters against the trace)
    assert res.final_on_hand >= 0
    rows = res.trace
    assert rows is not None
    assert sum(r[3] for r in rows if r[1] == "deliver") == c.total_received
    assert sum(r[3] for r in rows if r[1] == "ship") == c.total_shipped
    ordered = sum(r[3] for r in rows if r[1] == "order")
    assert c.total_received <= ordered
    assert 0 <= c.units_shipped <= c.total_shipped
    assert 0 <= c.units_ordered <= ordered


@PROPERTY_SETTINGS
@given(model=models(), run=runs)
def test_outcome_rates_add_to_one(model: dict[str, Any], run: Run) -> None:
    cfg = ModelConfig.model_validate(model)
    values = indicators(_simulate(cfg, run), cfg)
    assert set(values) == set(KPIS)
    if values["customers"] == 0:
        assert all(math.isnan(values[k]) for k in OUTCOME_RATES)
        return
    for k in (*OUTCOME_RATES, "backorder_rate", "unit_fill_rate", "stockout_fraction"):
        assert 0.0 <= values[k] <= 1.0 + 1e-12, (k, values[k])
    assert sum(values[k] for k in OUTCOME_RATES) == pytest.approx(1.0, abs=1e-12)


@PROPERTY_SETTINGS
@given(model=models(), run=runs)
def test_same_seed_same_indicators(model: dict[str, Any], run: Run) -> None:
    cfg = ModelConfig.model_validate(model)
    first = indicators(_simulate(cfg, run), cfg)
    again = indicators(_simulate(ModelConfig.model_validate(model), run), cfg)
    assert _same(first, again), _diff(first, again)


@PROPERTY_SETTINGS
@given(model=models(), run=runs, other=replenishments())
def test_every_policy_sees_the_same_customers(model: dict[str, Any], run: Run, other: dict[str, Any]) -> None:
    """Common random numbers: the customers do not depend on the stockout or replenishment policy."""
    variants = [
        _with(model, {"store": {"stockout": "backorder"}}),
        _with(model, {"store": {"stockout": "lost_sales"}}),
        _with(model, {"store": {"stockout": "backorder", "max_quoted_wait": 1.0, "max_backorders": 2}}),
        ModelConfig.model_validate({**model, "replenishment": other}),
    ]
    seen = []
    for cfg in variants:
        res = _simulate(cfg, run, trace=True)
        arrivals = [r[:7] for r in res.trace or [] if r[1] == "arrive"]  # the state differs by policy
        seen.append((res.counters.customers, res.counters.units_demanded, arrivals))
    assert all(s == seen[0] for s in seen[1:])


@PROPERTY_SETTINGS
@given(model=models(), run=runs)
def test_huge_initial_stock_makes_the_stockout_policy_irrelevant(model: dict[str, Any], run: Run) -> None:
    rate = model["demand"]["rate"]
    base = ModelConfig.model_validate(model)
    # Far beyond any plausible demand: 10 × the expected units over the whole run, plus 1000.
    huge = int(10 * rate * (run.warmup + run.horizon) * base.demand.quantity.mean) + 1000
    backorder = _with(model, {"store": {"initial_stock": huge, "stockout": "backorder"}})
    out_of_stock = _with(model, {"store": {"initial_stock": huge, "stockout": "lost_sales"}})
    a = _simulate(backorder, run)
    b = _simulate(out_of_stock, run)
    assert a.counters.lost == 0 and a.counters.backordered == 0, "precondition: no stockout happened"
    assert a.counters.served_immediately == a.counters.customers
    va, vb = indicators(a, backorder), indicators(b, out_of_stock)
    assert _same(va, vb), _diff(va, vb)


@PROPERTY_SETTINGS
@given(model=models(), run=runs)
def test_generated_yaml_loads_to_the_same_model(model: dict[str, Any], run: Run) -> None:
    """The loader accepts every generated scenario, written as YAML, and builds the same model."""
    if model["store"]["stockout"] == "lost_sales":  # keys that cannot act are refused (docs/scenarios.md#store)
        model = {**model, "store": {k: v for k, v in model["store"].items() if k not in STOCKOUT_KEYS}}
    doc = {"name": "prop", "horizon": run.horizon, "warmup": run.warmup, "seed": run.seed, **model}
    sc = parse_scenario(yaml.safe_dump(doc, sort_keys=False), file="prop.yaml")
    assert list(sc.policies) == ["base"]
    assert sc.policies["base"] == ModelConfig.model_validate(model)


def test_empirical_lead_time_simulates() -> None:
    """An empirical lead time (a documented kind) must run like any other, quotes included."""
    model = {
        "demand": {"rate": 2.0},
        "segments": [{"name": "all", "max_wait": 5.0}],
        "supplier": {"lead_time": {"dist": "empirical", "values": [1.0, 2.0, 4.0], "weights": [1, 2, 1]}},
        "store": {"max_quoted_wait": 3.0},
        "replenishment": {"policy": "base_stock", "level": 3},
    }
    cfg = ModelConfig.model_validate(model)
    res = simulate(cfg, seed=1, replication=0, horizon=50.0)
    c = res.counters
    assert c.customers > 0 and c.orders_placed > 0
    assert c.backordered + c.lost > 0, "no stockout: no quote was made"


# --------------------------------------------------------------------------- the identities themselves


@pytest.mark.parametrize(
    ("book", "message"),
    [
        ("arrivals", "outcome identity broken"),
        ("on_hand", "units not conserved"),
        ("waiting", "backorder queue bookkeeping broken"),
        ("backordered", "backorder queue bookkeeping broken"),
        ("available", "stock bookkeeping broken"),
        ("on_order", "on-order bookkeeping broken"),
    ],
)
def test_the_accounting_identities_catch_one_unit_off(book: str, message: str) -> None:
    """A finished replication with customers still waiting and orders still out passes
    :func:`check_books`; one unit (or arrival) more in any single book fails it, naming the identity."""
    cfg = ModelConfig.model_validate(
        {
            "demand": {"rate": 3.0},
            "segments": [{"accept_backorder": 0.9, "patience": {"dist": "exponential", "mean": 6.0}}],
            "supplier": {"lead_time": {"dist": "exponential", "mean": 4.0}},
            "store": {"stockout": "backorder"},
            "replenishment": {"policy": "base_stock", "level": 6},
        }
    )
    rep = Replication(cfg, seed=4, replication=1)
    result = rep.run(60.0, 5.0)
    store = rep.store
    books = {
        "counters": store.counters,
        "initial_stock": store.initial_stock,
        "on_hand": store.on_hand,
        "available": store.available,
        "backordered": store.backordered,
        "on_order": store.on_order,
        "waiting": store.waiting,
        "queue": list(store.queue),
        "suppliers": store.suppliers,
    }
    arrivals = result.counters.customers
    assert store.waiting > 0 and store.on_order > 0, "precondition: customers waiting and orders out at the end"
    check_books(SimpleNamespace(**books), arrivals)
    if book == "arrivals":
        arrivals += 1
    else:
        books[book] += 1
    with pytest.raises(AssertionError, match=message):
        check_books(SimpleNamespace(**books), arrivals)
