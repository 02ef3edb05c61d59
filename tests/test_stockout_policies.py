"""Conformance battery: every stockout policy passes the same checks.

The policies: backorders, lost sales ("out of stock" is shown), the hybrid that shows
"out of stock" when the quoted wait exceeds ``max_quoted_wait``, and backorders capped
at ``max_backorders`` waiting customers. Each runs on random customers (segments that
balk, impatient customers, expiring backorders), and the outcome of every customer is
read back from the event trace (:mod:`trace_walk`), independently of the store's
counters. Every policy must

* give every customer exactly one outcome, the one the counters report;
* never let a lost customer wait, nor lose a customer who waited;
* serve waiting customers first come, first served;
* let wait exactly those it may: nobody under lost sales, fewer than the cap under a
  cap, nobody quoted above the threshold under the hybrid (checked against quotes
  worked out here, in a model where quotes are exact);
* reduce to the plain policy at its limits (a cap of 0 is lost sales, an unreachable cap
  or threshold is plain backorders, customers who never accept are lost sales).

A new stockout policy or store setting fails :func:`test_the_battery_lists_every_policy`
until it is added here.
"""

from __future__ import annotations

import functools
import math
import typing
from collections import Counter
from typing import Any

import pytest
import yaml

from battery import same_indicators
from supplysim.analysis.indicators import indicators
from supplysim.scenario import ModelConfig, Store
from supplysim.scenario.load import parse_scenario
from supplysim.sim import ReplicationResult, simulate
from trace_walk import kind, outcomes, walk

POLICIES: dict[str, dict[str, Any]] = {
    "backorder": {"stockout": "backorder"},
    "lost_sales": {"stockout": "lost_sales"},
    "hybrid": {"stockout": "backorder", "max_quoted_wait": 1.5},
    "capped": {"stockout": "backorder", "max_backorders": 3},
}

POLICY_KEYS = {"stockout", "max_quoted_wait", "max_backorders"}
"""Store keys that choose the stockout policy: each one is exercised by :data:`POLICIES`."""

OTHER_STORE_KEYS = {"initial_stock", "expire_after", "partial_shipments", "waitlist"}
"""Store keys with batteries or tests of their own (stock, expiry, shipments, waitlist)."""

SEEDS = (1, 2)
HORIZON = 200.0

MODEL = """\
name: battery
horizon: 1
demand:
  rate: 3
  quantity: {dist: choice, values: [1, 2, 3], weights: [0.6, 0.3, 0.1]}
segments:
  - name: patient
    share: 0.6
    accept_backorder: 0.9
    max_wait: {dist: uniform, low: 0.5, high: 4}
    patience: {dist: exponential, mean: 5}
  - {name: hasty, share: 0.4, accept_backorder: 0.3}
supplier: {lead_time: {dist: uniform, low: 0.5, high: 4}}
replenishment: {policy: sS, reorder_point: 4, order_up_to: 12}
"""


def model(store: dict[str, Any], text: str = MODEL) -> ModelConfig:
    """The only policy of the scenario ``text`` with the store keys ``store`` (plus an expiry,
    which only a store that takes backorders may have: under lost sales it could not act)."""
    expiry = {} if store.get("stockout") == "lost_sales" else {"expire_after": 8}
    body = yaml.safe_dump({"store": {**expiry, **store}}, sort_keys=False)
    sc = parse_scenario(text + body, file="<battery>")
    return sc.policies[sc.baseline]


@functools.cache
def result(policy: str, seed: int) -> tuple[ModelConfig, ReplicationResult]:
    cfg = model(POLICIES[policy])
    return cfg, simulate(cfg, seed=seed, replication=0, horizon=HORIZON, trace=True)


CASES = [pytest.param(p, seed, id=f"{p}-{seed}") for p in POLICIES for seed in SEEDS]


# --------------------------------------------------------------------------- completeness


def test_the_battery_lists_every_policy() -> None:
    kinds = {str(a) for a in typing.get_args(Store.model_fields["stockout"].annotation)}
    assert {p["stockout"] for p in POLICIES.values()} == kinds
    assert set().union(*POLICIES.values()) == POLICY_KEYS
    assert set(Store.model_fields) == POLICY_KEYS | OTHER_STORE_KEYS, "a new store key: list it above"


# --------------------------------------------------------------------------- the battery


@pytest.mark.parametrize(("policy", "seed"), CASES)
def test_every_customer_has_one_outcome(policy: str, seed: int) -> None:
    """Lost customers never wait and waiting customers are never lost: each has one outcome."""
    _, res = result(policy, seed)
    tally = outcomes(res.trace or [])
    c = res.counters
    assert tally == Counter(
        served_immediately=c.served_immediately,
        lost=c.lost,
        pending=c.pending,
        served_after_wait=c.served_after_wait,
        cancelled=c.cancelled,
        expired=c.expired,
    )
    assert c.customers == sum(tally.values())
    assert tally["lost"] > 0 and tally["served_immediately"] > 0, "precondition: stockouts and sales"


@pytest.mark.parametrize(("policy", "seed"), CASES)
def test_only_the_policy_decides_who_waits(policy: str, seed: int) -> None:
    cfg, res = result(policy, seed)
    spec = POLICIES[policy]
    rows = res.trace or []
    states = list(walk(rows, cfg.initial_stock))
    backorders = [i for i, s in enumerate(states) if kind(s.row) == "backorder"]
    if spec["stockout"] == "lost_sales":
        assert backorders == [] and res.counters.backordered == 0
        assert math.isnan(indicators(res, cfg)["mean_wait"])
        return
    assert len(backorders) > 20, "precondition: customers waited"
    cap = spec.get("max_backorders")
    if cap is not None:
        before = [states[i - 1].waiting if i else 0 for i in backorders]
        assert max(before) < cap, f"a customer joined a queue of {max(before)} (cap {cap})"
        assert max(before) == cap - 1, "precondition: the queue reached the cap"
    # first come, first served (customers are numbered in order of arrival)
    served = [int(s.row[2]) for s in states if kind(s.row) == "serve_waited"]
    assert served == sorted(served)


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_customers_who_always_accept_are_refused_only_by_the_policy(policy: str) -> None:
    """Every customer accepts any wait: under plain backorders nobody is lost; under the cap,
    a customer is lost only when the queue is full; under lost sales, whoever is not served."""
    everyone_accepts = MODEL.replace("accept_backorder: 0.9", "accept_backorder: 1").replace(
        "accept_backorder: 0.3", "accept_backorder: 1"
    )
    everyone_accepts = everyone_accepts.replace("    max_wait: {dist: uniform, low: 0.5, high: 4}\n", "")
    cfg = model(POLICIES[policy], everyone_accepts)
    assert all(s.accept_backorder == 1 and s.max_wait is None for s in cfg.segments)
    res = simulate(cfg, seed=7, replication=0, horizon=HORIZON, trace=True)
    c = res.counters
    spec = POLICIES[policy]
    if spec["stockout"] == "lost_sales":
        assert c.lost == c.customers - c.served_immediately > 0
    elif "max_backorders" in spec:
        states = list(walk(res.trace or [], cfg.initial_stock))
        at_loss = {states[i - 1].waiting for i, s in enumerate(states) if kind(s.row) == "lost"}
        assert at_loss == {spec["max_backorders"]}, at_loss
    elif "max_quoted_wait" in spec:
        assert c.lost > 0  # refused on the quote alone (see test_hybrid_refuses_exactly_the_long_quotes)
    else:
        assert c.lost == 0 and c.backordered > 0


# --------------------------------------------------------------------------- limits


LIMITS = {
    "a cap of 0 is lost sales": ({"max_backorders": 0}, {"stockout": "lost_sales"}),
    "an unreachable cap is plain backorders": ({"max_backorders": 10**6}, {}),
    "an unreachable threshold is plain backorders": ({"max_quoted_wait": 1e9}, {}),
}


@pytest.mark.parametrize("case", sorted(LIMITS))
@pytest.mark.parametrize("seed", SEEDS)
def test_a_policy_at_its_limit_is_the_plain_policy(case: str, seed: int) -> None:
    limited, plain = LIMITS[case]
    a, b = model({"stockout": "backorder", **limited}), model({"stockout": "backorder", **plain})
    va = indicators(simulate(a, seed=seed, replication=0, horizon=HORIZON), a)
    vb = indicators(simulate(b, seed=seed, replication=0, horizon=HORIZON), b)
    assert same_indicators(va, vb), {k: (va[k], vb[k]) for k in va if not same_indicators({k: va[k]}, {k: vb[k]})}


@pytest.mark.parametrize("seed", SEEDS)
def test_customers_who_never_accept_make_backorders_lost_sales(seed: int) -> None:
    never = MODEL.replace("accept_backorder: 0.9", "accept_backorder: 0").replace(
        "accept_backorder: 0.3", "accept_backorder: 0"
    )
    a, b = model({"stockout": "backorder"}, never), model({"stockout": "lost_sales"}, never)
    va = indicators(simulate(a, seed=seed, replication=0, horizon=HORIZON), a)
    vb = indicators(simulate(b, seed=seed, replication=0, horizon=HORIZON), b)
    assert va["lost_rate"] > 0
    assert same_indicators(va, vb)


# --------------------------------------------------------------------------- the hybrid's quotes


EXACT_QUOTES = """\
name: exact
horizon: 1
demand: {rate: 2, quantity: {dist: choice, values: [1, 2], weights: [0.7, 0.3]}}
supplier: {lead_time: 3, quoted_lead_time: 3}
replenishment: {policy: base_stock, level: 4}
"""
"""Base stock with a constant lead time, customers who accept and never give up: each sale
reorders at once and units arrive in the order they were ordered, so the quoted wait is the
wait."""

LEAD = 3.0
LIMIT = 1.5


@pytest.mark.parametrize("seed", SEEDS)
def test_hybrid_refuses_exactly_the_long_quotes(seed: int) -> None:
    """The quote, worked out here from the trace: the customer's last unit is unit number
    need = owed + qty − on_hand still to arrive; the outstanding orders arrive LEAD after
    they were placed, in order; a unit no outstanding order covers comes with the order
    this sale causes, at now + LEAD. The hybrid backorders iff quote ≤ LIMIT, and then the
    customer waits exactly the quote."""
    cfg = model({"stockout": "backorder", "max_quoted_wait": LIMIT}, EXACT_QUOTES)
    res = simulate(cfg, seed=seed, replication=0, horizon=HORIZON, trace=True)
    outstanding: dict[int, tuple[float, int]] = {}
    quotes: dict[int, float] = {}
    arrived: dict[int, float] = {}
    before = None
    for state in walk(res.trace or [], cfg.initial_stock):
        row, k = state.row, kind(state.row)
        now, ident, qty = float(row[0]), int(row[2]), int(row[3])
        if k == "order":
            outstanding[ident] = (now, qty)
        elif k == "deliver":
            assert float(row[0]) == pytest.approx(outstanding.pop(ident)[0] + LEAD)
        elif k in ("lost", "backorder"):
            assert before is not None and kind(before.row) == "arrive"
            need = before.owed + qty - before.on_hand
            assert need > 0
            quote, covered = LEAD, 0
            for placed, units in sorted(outstanding.values()):
                covered += units
                if covered >= need:
                    quote = placed + LEAD - now
                    break
            quotes[ident] = quote
            assert (k == "backorder") == (quote <= LIMIT + 1e-9), (row, quote)
        if k == "arrive":
            arrived[ident] = now
        if k == "serve_waited":
            assert now - arrived[ident] == pytest.approx(quotes[ident], abs=1e-9), row
        before = state
    waited = [q for q in quotes.values() if q <= LIMIT]
    assert len(waited) > 10 and len(quotes) - len(waited) > 10, "precondition: both outcomes happened"
