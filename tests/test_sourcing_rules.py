"""Conformance battery: every sourcing rule passes the same checks.

Three suppliers (``a`` slow, ``b`` medium, ``c`` fast), each down during fixed windows, an
(s, S) store with backorders and impatient customers. Every replenishment decision is
read back from the event trace with the state it was taken in (:mod:`trace_walk`),
independently of the simulator's counters. Every rule must

* place, over its suppliers, exactly the units the replenishment rule ordered, in at most
  one order per supplier, none empty;
* send each order where its definition says: the named supplier (single); parts within
  one unit of share × quantity (split by quantity); whole orders so that after every n
  orders each supplier has its share of n within one order (split by orders, smooth
  weighted round robin); the first supplier by preference that is up, the first if all
  are down, never one that is down while another is up (fallback); the fast supplier
  exactly while more than ``backorders_above`` customers wait (expedite);
* report per supplier the orders and units the trace shows.

A new sourcing rule fails :func:`test_the_battery_lists_every_rule` until it is added to
:data:`RULES`.
"""

from __future__ import annotations

import functools
import typing
from collections import Counter
from typing import Any

import pytest
import yaml

from battery import tags
from supplysim.scenario import ModelConfig, Sourcing, SplitSourcing
from supplysim.scenario.load import parse_scenario
from supplysim.sim import ReplicationResult, simulate
from trace_walk import OrderBatch, kind, order_batches

SHARES = {"a": 0.5, "b": 0.3, "c": 0.2}

RULES: dict[str, dict[str, Any]] = {
    "single": {"rule": "single", "supplier": "b"},
    "split_quantity": {"rule": "split", "shares": SHARES, "by": "quantity"},
    "split_orders": {"rule": "split", "shares": SHARES, "by": "orders"},
    "fallback": {"rule": "fallback", "order": ["b", "a", "c"]},
    "expedite": {"rule": "expedite", "primary": "a", "expedite_to": "c", "backorders_above": 3},
    "expedite_on_quote": {"rule": "expedite", "primary": "a", "expedite_to": "c", "quoted_wait_above": 2.5},
}

DOWN = {
    "a": [(30.0, 40.0), (70.0, 75.0), (150.0, 170.0)],
    "b": [(20.0, 35.0), (60.0, 80.0), (120.0, 125.0), (160.0, 175.0)],
    "c": [(30.0, 32.0), (70.0, 72.0), (160.0, 165.0)],
}
"""Fixed outage windows [start, end): ``a`` and ``b`` are both down on
[30, 35), [70, 75) and [160, 170), and ``c`` too on [30, 32), [70, 72) and [160, 165)."""

SEEDS = (1, 2)
HORIZON = 200.0

MODEL = """\
name: battery
horizon: 1
demand:
  rate: 3
  quantity: {dist: choice, values: [1, 2, 3], weights: [0.5, 0.3, 0.2]}
segments: [{name: all, patience: {dist: exponential, mean: 6}}]
store: {stockout: backorder}
replenishment: {policy: sS, reorder_point: 4, order_up_to: 14}
"""

LEAD_TIMES = {"a": {"dist": "exponential", "mean": 3}, "b": {"dist": "uniform", "low": 1, "high": 2}, "c": 0.5}


def model(rule: str) -> ModelConfig:
    suppliers = [
        {
            "name": name,
            "lead_time": LEAD_TIMES[name],
            "order_cost": 2,
            "unit_cost": 1,
            "disruptions": {"windows": [{"start": s, "end": e} for s, e in DOWN[name]]},
        }
        for name in ("a", "b", "c")
    ]
    text = MODEL + yaml.safe_dump({"suppliers": suppliers, "sourcing": RULES[rule]}, sort_keys=False)
    sc = parse_scenario(text, file="<battery>")
    return sc.policies[sc.baseline]


@functools.cache
def result(rule: str, seed: int) -> tuple[ModelConfig, ReplicationResult, list[OrderBatch]]:
    cfg = model(rule)
    res = simulate(cfg, seed=seed, replication=0, horizon=HORIZON, trace=True)
    return cfg, res, order_batches(res.trace or [], cfg.initial_stock)


def down(name: str, t: float) -> bool:
    return any(s <= t < e for s, e in DOWN[name])


CASES = [pytest.param(r, seed, id=f"{r}-{seed}") for r in RULES for seed in SEEDS]


# --------------------------------------------------------------------------- completeness


def test_the_battery_lists_every_rule() -> None:
    assert {spec["rule"] for spec in RULES.values()} == tags(Sourcing, "rule")
    splits = {spec["by"] for spec in RULES.values() if spec["rule"] == "split"}
    assert splits == {str(a) for a in typing.get_args(SplitSourcing.model_fields["by"].annotation)}
    expedite = [spec for spec in RULES.values() if spec["rule"] == "expedite"]
    assert {k for spec in expedite for k in spec if k.endswith("_above")} == {"backorders_above", "quoted_wait_above"}


# --------------------------------------------------------------------------- the battery


@pytest.mark.parametrize(("rule", "seed"), CASES)
def test_the_parts_add_up_to_the_order(rule: str, seed: int) -> None:
    """(s, S): each decision orders S − IP when IP ≤ s; the rule's parts must add up to it."""
    _, _, batches = result(rule, seed)
    assert len(batches) > 30, "precondition: many orders"
    for b in batches:
        assert b.ip_before <= 4 and b.ip_after == 14, b
        names = [name for name, _ in b.parts]
        assert len(names) == len(set(names)), f"two orders to one supplier in one decision: {b}"
        assert all(q > 0 for _, q in b.parts), b


@pytest.mark.parametrize(("rule", "seed"), CASES)
def test_orders_go_where_the_rule_says(rule: str, seed: int) -> None:
    spec = RULES[rule]
    _, _, batches = result(rule, seed)
    used = Counter(name for b in batches for name, _ in b.parts)
    if spec["rule"] == "single":
        assert set(used) == {spec["supplier"]}
    elif spec["rule"] == "split" and spec["by"] == "quantity":
        for b in batches:
            parts = dict(b.parts)
            for name, share in spec["shares"].items():
                assert abs(parts.get(name, 0) - share * b.qty) < 1, (name, share, b)
        assert set(used) == set(spec["shares"])
    elif spec["rule"] == "split":
        seen: Counter[str] = Counter()
        for n, b in enumerate(batches, start=1):
            assert len(b.parts) == 1, b
            seen[b.parts[0][0]] += 1
            for name, share in spec["shares"].items():
                assert abs(seen[name] - share * n) <= 1, f"after {n} orders {name} has {seen[name]} (share {share})"
    elif spec["rule"] == "fallback":
        preference = spec["order"]
        for b in batches:
            ((name, _),) = b.parts
            up = [s for s in preference if not down(s, b.time)]
            assert name == (up[0] if up else preference[0]), (b, up)
        all_down = [b for b in batches if all(down(s, b.time) for s in preference)]
        assert len({name for b in batches for name, _ in b.parts}) == 3, "precondition: every supplier was used"
        assert all_down, "precondition: an order while every supplier was down"
    elif "backorders_above" in spec:
        for b in batches:
            ((name, _),) = b.parts
            urgent = b.waiting > spec["backorders_above"]
            assert name == (spec["expedite_to"] if urgent else spec["primary"]), b
        assert set(used) == {spec["primary"], spec["expedite_to"]}, "precondition: both suppliers used"
        assert any(b.waiting == spec["backorders_above"] for b in batches), "precondition: the boundary was met"
    else:  # expedite on the quote: judged exactly in test_suppliers; here, only its two suppliers
        assert all(len(b.parts) == 1 for b in batches)
        assert set(used) == {spec["primary"], spec["expedite_to"]}, "precondition: both suppliers used"


@pytest.mark.parametrize(("rule", "seed"), CASES)
def test_supplier_statistics_match_the_trace(rule: str, seed: int) -> None:
    """Per supplier: the orders and units the trace shows, and the cost they imply."""
    cfg, res, batches = result(rule, seed)
    orders = Counter(name for b in batches for name, _ in b.parts)
    units = Counter({name: 0 for name in DOWN})
    for b in batches:
        units.update(dict(b.parts))
    for s in cfg.all_suppliers:
        stats = res.suppliers[s.name]
        assert (stats.orders, stats.units) == (orders[s.name], units[s.name]), s.name
        assert stats.cost == pytest.approx(s.order_cost * orders[s.name] + s.unit_cost * units[s.name])
    assert res.counters.orders_placed == sum(1 for r in res.trace or [] if kind(r) == "order")
