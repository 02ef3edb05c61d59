"""Conformance battery: every replenishment rule passes the same checks.

Each rule is run on random demand (batch sizes 1–5, impatient and balking customers,
expiring backorders) under three store set-ups, and its decisions are read back from the
event trace with the state they were taken in, rebuilt independently of the simulator
(:mod:`trace_walk`). Every rule must

* order only when the inventory position IP is at or below its trigger;
* bring IP exactly to its order-up-to level S, or, for (r, Q), order a multiple of Q, the
  smallest one that lifts IP above r;
* never leave IP at or below the trigger unanswered: a continuous-review rule orders at
  the same instant, a periodic rule orders at every review that finds IP at or below it,
  and only at reviews, which fall on offset + k·R;
* conserve units over the run;
* place exactly the orders worked out by hand on a scripted run.

Definitions: Zipkin (2000), *Foundations of Inventory Management*, §2.2 (IP), §6.2
(base stock), §6.5 ((r, Q)); Axsäter (2015), *Inventory Control*, §4.1 ((s, S), (R, s, S)).

A new rule in the scenario format fails :func:`test_the_battery_lists_every_rule` until it
is added to :data:`RULES`.
"""

from __future__ import annotations

import functools
import math
import textwrap
from typing import Any

import pytest
import yaml

from battery import tags
from supplysim.scenario import ModelConfig, Replenishment
from supplysim.scenario.load import parse_scenario
from supplysim.sim import Replication, ReplicationResult, simulate
from trace_walk import kind, order_batches, walk

RULES: dict[str, dict[str, Any]] = {
    "base_stock": {"policy": "base_stock", "level": 12},
    "rQ": {"policy": "rQ", "reorder_point": 6, "order_quantity": 3},
    "sS": {"policy": "sS", "reorder_point": 5, "order_up_to": 15},
    "periodic": {"policy": "periodic", "review_period": 1.5, "order_up_to": 14, "review_offset": 0.25},
    "periodic_with_s": {
        "policy": "periodic",
        "review_period": 1.5,
        "order_up_to": 14,
        "reorder_point": 6,
        "review_offset": 0.25,
    },
}
"""One case per rule, and both forms of periodic review ((R, S) and (R, s, S))."""

STORES: dict[str, dict[str, Any]] = {
    "backorder": {"stockout": "backorder", "expire_after": 6},
    "lost_sales_waitlist": {"stockout": "lost_sales", "waitlist": {"join": 0.5, "convert": 0.7}},
    "partial_shipments": {"stockout": "backorder", "partial_shipments": True, "max_backorders": 6},
}
"""Store set-ups that move IP by different events (backorders, cancellations, recovered sales)."""

SEEDS = (1, 2)
HORIZON = 150.0

MODEL = """\
name: battery
horizon: 1
demand:
  rate: 3
  quantity: {dist: choice, values: [1, 2, 3, 5], weights: [0.4, 0.3, 0.2, 0.1]}
segments:
  - {name: patient, share: 0.7, accept_backorder: 0.8, patience: {dist: exponential, mean: 4}}
  - {name: hasty, share: 0.3, accept_backorder: 0.2}
supplier: {lead_time: {dist: exponential, mean: 2}}
"""


def model(rule: str, store: str) -> ModelConfig:
    """The battery's model with replenishment rule ``rule`` and store set-up ``store``."""
    text = MODEL + yaml.safe_dump({"store": STORES[store], "replenishment": RULES[rule]}, sort_keys=False)
    sc = parse_scenario(text, file="<battery>")
    return sc.policies[sc.baseline]


@functools.cache
def result(rule: str, store: str, seed: int) -> tuple[ModelConfig, ReplicationResult]:
    cfg = model(rule, store)
    return cfg, simulate(cfg, seed=seed, replication=0, horizon=HORIZON, trace=True)


def trigger(spec: dict[str, Any]) -> int:
    """Highest IP at which the rule orders, from the documented definition of each rule."""
    if spec["policy"] == "base_stock":
        return int(spec["level"]) - 1  # order whenever IP < S
    if spec["policy"] == "periodic" and spec.get("reorder_point") is None:
        return int(spec["order_up_to"]) - 1  # (R, S): order up to S whenever below it
    return int(spec["reorder_point"])


def level(spec: dict[str, Any]) -> int | None:
    """The order-up-to level S an order restores (none for (r, Q))."""
    return {"base_stock": spec.get("level"), "rQ": None}.get(spec["policy"], spec.get("order_up_to"))


CASES = [pytest.param(r, s, seed, id=f"{r}-{s}-{seed}") for r in RULES for s in STORES for seed in SEEDS]


# --------------------------------------------------------------------------- completeness


def test_the_battery_lists_every_rule() -> None:
    assert {spec["policy"] for spec in RULES.values()} == tags(Replenishment, "policy")
    periodic = [spec for spec in RULES.values() if spec["policy"] == "periodic"]
    assert {spec.get("reorder_point") is None for spec in periodic} == {True, False}, "(R, S) and (R, s, S)"


# --------------------------------------------------------------------------- the battery


@pytest.mark.parametrize(("rule", "store", "seed"), CASES)
def test_orders_only_at_or_below_the_trigger(rule: str, store: str, seed: int) -> None:
    cfg, res = result(rule, store, seed)
    batches = order_batches(res.trace or [], cfg.initial_stock)
    assert len(batches) > 20, "precondition: the rule ordered often"
    above = [b for b in batches if b.ip_before > trigger(RULES[rule])]
    assert not above, f"{len(above)} orders above the trigger {trigger(RULES[rule])}, e.g. {above[:3]}"


@pytest.mark.parametrize(("rule", "store", "seed"), CASES)
def test_an_order_restores_the_rule_level(rule: str, store: str, seed: int) -> None:
    spec = RULES[rule]
    cfg, res = result(rule, store, seed)
    batches = order_batches(res.trace or [], cfg.initial_stock)
    big_s = level(spec)
    if big_s is not None:
        wrong = [b for b in batches if b.ip_after != big_s]
        assert not wrong, f"orders not up to S = {big_s}: {wrong[:3]}"
        return
    r, q = spec["reorder_point"], spec["order_quantity"]
    for b in batches:
        assert b.qty % q == 0, b
        assert b.ip_after > r >= b.ip_after - q, f"not the smallest multiple of Q = {q} lifting IP above r = {r}: {b}"
    assert any(b.qty > q for b in batches), "precondition: some order needed more than one batch of Q"


@pytest.mark.parametrize(("rule", "store", "seed"), CASES)
def test_the_position_never_rests_at_or_below_the_trigger(rule: str, store: str, seed: int) -> None:
    spec = RULES[rule]
    cfg, res = result(rule, store, seed)
    rows = res.trace or []
    low = trigger(spec)
    if spec["policy"] != "periodic":
        # IP may touch the trigger only for the instant between an event and the order it causes
        since: float | None = None
        for state in walk(rows, cfg.initial_stock):
            k, t = kind(state.row), float(state.row[0])
            if since is not None:
                assert t == since and k != "arrive", f"IP {state.ip} ≤ {low} left unanswered since {since}"
            since = t if state.ip <= low else None
        assert not any(kind(r) == "review" for r in rows)
        return
    period, offset = spec["review_period"], spec["review_offset"]
    states = list(walk(rows, cfg.initial_stock))
    reviews = [i for i, s in enumerate(states) if kind(s.row) == "review"]
    times = [float(states[i].row[0]) for i in reviews]
    assert times == pytest.approx([offset + k * period for k in range(len(times))], abs=1e-9)
    assert len(times) == math.ceil((HORIZON - offset) / period)
    ordered_at = set()
    for i in reviews:
        state = states[i]
        assert int(state.row[3]) == state.ip, f"the review saw IP {state.row[3]}, the trace says {state.ip}"
        orders = i + 1 < len(states) and kind(states[i + 1].row) == "order"
        assert orders == (state.ip <= low), f"review at {state.row[0]} with IP {state.ip}, trigger {low}"
        if orders:
            ordered_at.add(i + 1)
    strays = [s.row for j, s in enumerate(states) if kind(s.row) == "order" and j not in ordered_at]
    assert not strays, f"orders between reviews: {strays[:3]}"


@pytest.mark.parametrize(("rule", "store", "seed"), CASES)
def test_units_are_conserved(rule: str, store: str, seed: int) -> None:
    """Rebuilt from the trace: stock never negative, the store ends with the stock the trace implies,
    and every unit received was ordered."""
    cfg, res = result(rule, store, seed)
    rows = res.trace or []
    last = list(walk(rows, cfg.initial_stock))[-1]  # the walk checks every step on the way
    ordered = sum(int(r[3]) for r in rows if kind(r) == "order")
    received = sum(int(r[3]) for r in rows if kind(r) == "deliver")
    assert last.on_hand == res.final_on_hand
    assert received == res.counters.total_received
    assert last.on_order == ordered - received >= 0
    shipped = sum(int(r[3]) for r in rows if kind(r) in ("serve", "partial", "serve_waited", "recover"))
    assert cfg.initial_stock + received - shipped == res.final_on_hand


# --------------------------------------------------------------------------- scripted


SCRIPTED = """\
name: scripted
horizon: 9
supplier: {lead_time: 10}
store: {initial_stock: 10, stockout: backorder}
demand: {rate: 1}
"""

DEMANDS = [(1.0, 2), (2.0, 3), (3.0, 1), (4.0, 4), (5.0, 2), (6.0, 5)]
"""(time, units): IP without orders 10 → 8 → 5 → 4 → 0 → −2 → −7; no delivery before 9."""

SCRIPTED_RULES: dict[str, tuple[dict[str, Any], list[tuple[float, int]]]] = {
    # every sale reorders its own units
    "base_stock": ({"policy": "base_stock", "level": 10}, [(1, 2), (2, 3), (3, 1), (4, 4), (5, 2), (6, 5)]),
    # IP 5 → 4 (→ 9); 4 → 4 (→ 8); 1 → 8: two batches (→ 9)
    "rQ": ({"policy": "rQ", "reorder_point": 5, "order_quantity": 4}, [(2, 4), (4, 4), (6, 8)]),
    # IP 5 → 5; 5 → 5; 3 → 7
    "sS": ({"policy": "sS", "reorder_point": 5, "order_up_to": 10}, [(2, 5), (4, 5), (6, 7)]),
    # reviews at 0.5 (IP 10), 2.5 (5), 4.5 (5), 6.5 (3), 8.5 (10)
    "periodic": (
        {"policy": "periodic", "review_period": 2, "review_offset": 0.5, "order_up_to": 10},
        [(2.5, 5), (4.5, 5), (6.5, 7)],
    ),
    # with s = 4 the review at 2.5 (IP 5) passes; at 4.5 IP is 0 → 10; at 6.5 IP 3 → 7
    "periodic_with_s": (
        {"policy": "periodic", "review_period": 2, "review_offset": 0.5, "order_up_to": 10, "reorder_point": 4},
        [(4.5, 10), (6.5, 7)],
    ),
}


def test_the_scripted_cases_cover_the_battery() -> None:
    assert SCRIPTED_RULES.keys() == RULES.keys()


@pytest.mark.parametrize("rule", sorted(SCRIPTED_RULES))
def test_scripted_orders(rule: str) -> None:
    spec, expected = SCRIPTED_RULES[rule]
    text = SCRIPTED + yaml.safe_dump({"replenishment": spec}, sort_keys=False)
    sc = parse_scenario(textwrap.dedent(text), file="<scripted>")
    cfg = sc.policies[sc.baseline]
    customers = [(t, q, 0, 0.0, math.inf, math.inf) for t, q in DEMANDS]
    res = Replication(cfg, seed=0, replication=0, trace=True).run(9.0, customers=customers)
    placed = [(float(r[0]), int(r[3])) for r in res.trace or [] if kind(r) == "order"]
    assert placed == [(float(t), q) for t, q in expected]
    assert res.counters.orders_placed == len(expected)
    assert res.counters.units_ordered == sum(q for _, q in expected)
