"""Exact, hand-checked traces of the model's rules.

Arrivals in :func:`supplysim.sim.simulate` are a Poisson process, so to get
sequences one can check by hand these tests drive the store with a *script*:
customers at chosen times with chosen quantities, acceptance uniforms,
patiences and maximum waits, and (where it matters) a chosen sequence of lead
times. :func:`run_script` builds the components exactly as ``simulate`` does
and runs the same driver protocol; :func:`test_script_driver_matches_simulate`
checks that claim by feeding it ``simulate``'s own customers and lead times and
comparing the traces and counters.

Times in the scripts are dyadic (integers, halves, quarters) so that every
expected time is exact in floating point. Quote tests use lead times that are
powers of two: the residual-lead-time table of a constant lead time L is
tabulated on ages k·L/256, so integer and half-integer ages fall on its grid
and the quotes are exact.
"""

from __future__ import annotations

import csv
import io
import math
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from supplysim.analysis.indicators import indicators
from supplysim.outputs.documents import trace_csv
from supplysim.scenario import ModelConfig
from supplysim.scenario.load import parse_scenario
from supplysim.sim import Replication, ReplicationResult, simulate
from supplysim.sim.customers import QTY, TIME, CustomerSource
from supplysim.sim.quotes import Outlook, quoted_wait
from supplysim.sim.stats import Counters
from supplysim.sim.store import Store
from supplysim.sim.streams import Streams
from supplysim.sim.trace import NO_WAIT, Event, TraceRow

INF = math.inf

Customer = tuple[float, int, int, float, float, float]
"""(arrival time, units wanted, segment, acceptance uniform u, patience, max wait) – as CustomerSource yields."""


def cust(
    t: float, qty: int = 1, *, seg: int = 0, u: float = 0.0, patience: float = INF, max_wait: float = INF
) -> Customer:
    """A scripted customer. Defaults: 1 unit, segment 0, always accepts (u = 0), waits forever, any quote."""
    return (t, qty, seg, u, patience, max_wait)


def probe(t: float, qty: int = 1) -> Customer:
    """A customer who refuses any wait (max_wait −1): it leaves at once and its note shows the quote."""
    return cust(t, qty, max_wait=-1.0)


def model(text: str, overrides: Mapping[str, Any] | None = None) -> ModelConfig:
    """The (only) policy of a scenario whose model sections are ``text`` (YAML), with
    ``--set``-style ``overrides`` ({"store.initial_stock": 2, …}) applied."""
    scenario = parse_scenario(
        "name: trace\nhorizon: 1\n" + textwrap.dedent(text), file="<test>", overrides=list((overrides or {}).items())
    )
    return scenario.policies[scenario.baseline]


@dataclass(frozen=True)
class Run:
    """What a scripted run produced."""

    cfg: ModelConfig
    result: ReplicationResult
    store: Store

    @property
    def trace(self) -> list[TraceRow]:
        """The rows without their state, segment and quote columns (``tests/test_textbook.py``
        checks those), so the expected rows below list only what each event is."""
        assert self.result.trace is not None
        return [TraceRow(*r[:7]) for r in self.result.trace]

    @property
    def c(self) -> Counters:
        return self.result.counters

    def kpis(self) -> dict[str, float]:
        return indicators(self.result, self.cfg)

    def events(self, *names: str) -> list[TraceRow]:
        """The trace rows of the given event kinds, in order."""
        return [row for row in self.trace if row[1] in names]


def _in_time_order(customers: Iterable[Customer]) -> Iterator[Customer]:
    last = -INF
    for customer in customers:
        assert customer[TIME] >= last, "scripted customers must come in time order"
        last = customer[TIME]
        yield customer


def run_script(
    cfg: ModelConfig | str,
    customers: Iterable[Customer],
    *,
    horizon: float,
    warmup: float = 0.0,
    lead_times: Iterable[float] | None = None,
) -> Run:
    """Run ``cfg`` over [0, warmup + horizon) with scripted customers instead of the Poisson source.

    Uses the same :class:`~supplysim.sim.model.Replication` as ``simulate``, with
    the customers (and optionally the lead times) scripted.
    Lead times come from ``lead_times`` if given, else from the same stream as in
    ``simulate`` (seed 0, replication 0; a constant lead time repeats).
    """
    if isinstance(cfg, str):
        cfg = model(cfg)
    rep = Replication(
        cfg, seed=0, replication=0, trace=True, lead_times=iter(lead_times) if lead_times is not None else None
    )
    result = rep.run(horizon, warmup, customers=_in_time_order(customers))
    return Run(cfg, result, rep.store)


def row(
    t: float, event: str, ident: int, qty: int, note: str = "", *, wait: float = NO_WAIT, supplier: str | None = None
) -> TraceRow:
    """A trace row; "order" and "deliver" rows come from the default supplier unless told otherwise."""
    if supplier is None:
        supplier = "supplier" if event in ("order", "deliver") else ""
    return TraceRow(t, Event(event), ident, qty, wait, note, supplier)


def arrive(t: float, cid: int, qty: int = 1, seg: str = "default") -> TraceRow:
    return row(t, "arrive", cid, qty, f"segment {seg}")


def served(t: float, cid: int, qty: int = 1) -> TraceRow:
    return row(t, "ship", cid, qty, "served immediately")


def after_wait(t: float, cid: int, qty: int, wait: float) -> TraceRow:
    return row(t, "ship", cid, qty, f"served after waiting {wait:g}", wait=wait)


def order(t: float, oid: int, qty: int, due: float, promised: float | None = None) -> TraceRow:
    return row(t, "order", oid, qty, f"due {due:g}, promised {due if promised is None else promised:g}")


def backorder(t: float, cid: int, qty: int = 1) -> TraceRow:
    return row(t, "backorder", cid, qty, "")


def deliver(t: float, oid: int, qty: int) -> TraceRow:
    return row(t, "deliver", oid, qty, "")


def review(t: float, ip: int) -> TraceRow:
    return row(t, "review", -1, ip, "")


def outcomes(c: Counters) -> dict[str, int]:
    return {
        "served_immediately": c.served_immediately,
        "served_after_wait": c.served_after_wait,
        "lost": c.lost,
        "cancelled": c.cancelled,
        "expired": c.expired,
        "pending": c.pending,
    }


def only(**counts: int) -> dict[str, int]:
    """An outcome dict with the given counts and zeros elsewhere."""
    base = dict.fromkeys(("served_immediately", "served_after_wait", "lost", "cancelled", "expired", "pending"), 0)
    base.update(counts)
    return base


# --------------------------------------------------------------------------- the script driver itself


FAITHFUL_MODELS = {
    "continuous": """
        demand: {rate: 3, quantity: {dist: choice, values: [1, 2, 3], weights: [0.6, 0.3, 0.1]}}
        segments:
          - {name: a, share: 0.6, accept_backorder: 0.8, patience: {dist: exponential, mean: 3},
             max_wait: {dist: uniform, low: 1, high: 6}}
          - {name: b, share: 0.4, accept_backorder: 0.5}
        supplier: {lead_time: {dist: exponential, mean: 2}, servers: 2, order_cost: 5, unit_cost: 1}
        store: {expire_after: 4, max_backorders: 6}
        replenishment: {policy: rQ, reorder_point: 2, order_quantity: 5}
        """,
    "periodic": """
        demand: {rate: 3}
        segments: [{accept_backorder: 0.7, patience: {dist: exponential, mean: 2}}]
        supplier: {lead_time: {dist: uniform, low: 1, high: 4}, no_crossing: true}
        store: {partial_shipments: true, max_quoted_wait: 3}
        replenishment: {policy: periodic, review_period: 2, order_up_to: 8, reorder_point: 3, review_offset: 0.5}
        """,
}


@pytest.mark.parametrize("name", sorted(FAITHFUL_MODELS))
def test_script_driver_matches_simulate(name: str) -> None:
    """Fed simulate's own customers and lead times, run_script reproduces simulate's trace and counters exactly."""
    cfg = model(FAITHFUL_MODELS[name])
    seed, rep, warmup, horizon = 11, 3, 5.0, 60.0
    expected = simulate(cfg, seed=seed, replication=rep, horizon=horizon, warmup=warmup, trace=True)
    streams = Streams(seed, rep)
    got = run_script(
        cfg,
        CustomerSource(cfg, streams, warmup + horizon),
        horizon=horizon,
        warmup=warmup,
        lead_times=streams.draws(f"lead_time/{cfg.supplier.name}", cfg.supplier.lead_time),
    )
    assert expected.trace is not None
    assert len(expected.trace) > 100  # a busy run: arrivals, backorders, cancellations, deliveries
    kinds = {"arrive", "ship", "backorder", "order", "deliver", "lost", "cancel", "window starts"}
    kinds |= {"reserve", "expire"} if name == "continuous" else {"review"}
    assert {row[1] for row in expected.trace} >= kinds
    assert got.result.trace == expected.trace  # the state columns too
    assert got.c == expected.counters
    assert got.result.final_on_hand == expected.final_on_hand
    assert (got.result.waits.count, got.result.waits.total) == (expected.waits.count, expected.waits.total)


class SharedRoutinesStore(Store):
    """The store with its hot paths' inlined copies replaced by the shared routines: ``_integrate``
    runs first on arrivals and deliveries (the inlined copies then find nothing to integrate), and
    ``review_position`` replaces the inlined reorder check of immediate service."""

    def arrive(self, customer: Any, cid: int) -> None:
        if self.available < customer[QTY]:  # not the inlined path
            super().arrive(customer, cid)
            return
        now = customer[TIME]
        self._integrate(now)
        trigger, self.trigger = self.trigger, -INF  # switch the inlined reorder check off …
        super().arrive(customer, cid)
        self.trigger = trigger
        self.review_position(now)  # … and run the shared one in its place

    def _on_delivery(self, order: Any) -> None:
        self._integrate(order.due)
        super()._on_delivery(order)


HOT_PATH_MODELS = {
    **FAITHFUL_MODELS,
    "base stock, short deliveries, waitlist": """
        demand: {rate: 4, quantity: {dist: choice, values: [1, 2], weights: [0.7, 0.3]}}
        supplier: {lead_time: {dist: exponential, mean: 1.5}, yield: {dist: uniform, low: 0.5, high: 1.2}}
        store: {stockout: lost_sales, waitlist: {join: 0.5, convert: 0.8, patience: 3}}
        replenishment: {policy: base_stock, level: 5}
        """,
    "sS, partial shipments, goodwill": """
        demand: {rate: 3, goodwill: {churn: 0.2, memory: 5}}
        segments: [{accept_backorder: 0.8, patience: {dist: exponential, mean: 2}}]
        supplier: {lead_time: {dist: gamma, mean: 2, sd: 1}}
        store: {partial_shipments: true}
        replenishment: {policy: sS, reorder_point: 2, order_up_to: 7}
        """,
}


@pytest.mark.parametrize("name", sorted(HOT_PATH_MODELS))
def test_inlined_hot_paths_match_the_shared_routines(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrivals inline the reorder check and the time integrals, deliveries the integrals: a store
    that uses ``review_position`` and ``_integrate`` there instead gives the same trace, counters and
    waits, event by event."""
    cfg = model(HOT_PATH_MODELS[name])
    inlined = simulate(cfg, seed=5, replication=2, horizon=80.0, warmup=4.0, trace=True)
    monkeypatch.setattr("supplysim.sim.replication.Store", SharedRoutinesStore)
    shared = simulate(cfg, seed=5, replication=2, horizon=80.0, warmup=4.0, trace=True)
    assert inlined.trace is not None and shared.trace is not None
    assert sum(1 for r in inlined.trace if r.event == "order") > 20, "precondition: orders placed"
    assert shared.trace == inlined.trace
    assert shared.counters == inlined.counters
    assert (shared.waits.count, shared.waits.total) == (inlined.waits.count, inlined.waits.total)
    assert shared.final_on_hand == inlined.final_on_hand


UNTRACED_MODELS = {
    **HOT_PATH_MODELS,
    "rQ, lost sales, two segments": """
        demand: {rate: 5, quantity: {dist: choice, values: [1, 3], weights: [0.8, 0.2]}}
        segments:
          - {name: a, share: 0.5, accept_backorder: 0.9, patience: {dist: exponential, mean: 1}}
          - {name: b, share: 0.5, accept_backorder: 0.4}
        supplier: {lead_time: {dist: exponential, mean: 2}}
        store: {stockout: backorder, max_backorders: 3}
        replenishment: {policy: rQ, reorder_point: 3, order_quantity: 4}
        """,
}


@pytest.mark.parametrize("name", sorted(UNTRACED_MODELS))
def test_the_untraced_hot_paths_keep_the_books_of_the_traced_run(name: str) -> None:
    """Without a trace the store arrives through its untraced hot path (``Store._arrive_untraced``):
    the same counters, waits, supplier statistics and final stock as the traced run, which goes
    through ``arrive``."""
    cfg = model(UNTRACED_MODELS[name])
    traced = simulate(cfg, seed=8, replication=1, horizon=120.0, warmup=6.0, trace=True)
    untraced = simulate(cfg, seed=8, replication=1, horizon=120.0, warmup=6.0)
    assert traced.trace is not None and untraced.trace is None
    assert sum(1 for r in traced.trace if r.event == "deliver") > 20, "precondition: deliveries"
    assert sum(1 for r in traced.trace if r.event in ("backorder", "lost")) > 5, "precondition: stockouts"
    assert untraced.counters == traced.counters
    assert (untraced.waits.count, untraced.waits.total) == (traced.waits.count, traced.waits.total)
    assert untraced.suppliers == traced.suppliers
    assert untraced.final_on_hand == traced.final_on_hand


def test_an_untraced_store_takes_the_untraced_hot_paths() -> None:
    """What the test above compares: the untraced store is bound to its untraced arrival."""
    cfg = model(HOT_PATH_MODELS["base stock, short deliveries, waitlist"])
    untraced, traced = Replication(cfg, seed=1, replication=0), Replication(cfg, seed=1, replication=0, trace=True)
    assert untraced.store.arrive == untraced.store._arrive_untraced
    assert traced.store.arrive.__func__ is Store.arrive


def test_a_store_subclass_keeps_its_own_arrival_and_dock_without_a_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    """A subclass that replaces ``arrive`` is not bypassed by the untraced hot path."""
    cfg = model(HOT_PATH_MODELS["base stock, short deliveries, waitlist"])
    monkeypatch.setattr("supplysim.sim.replication.Store", SharedRoutinesStore)
    rep = Replication(cfg, seed=1, replication=0)
    assert rep.store.arrive.__func__ is SharedRoutinesStore.arrive
    assert rep.suppliers[0]._on_delivery.__func__ is SharedRoutinesStore._on_delivery
    plain = simulate(cfg, seed=1, replication=0, horizon=60.0)
    assert rep.run(60.0).counters == plain.counters


# --------------------------------------------------------------------------- immediate service, replenishment rules


def test_rq_immediate_service_and_trigger() -> None:
    """rQ r=1, Q=3, L=5; initial stock defaults to r+Q = 4.

    t=1 wants 1: on hand 3, IP 3 > 1, no order. t=2 wants 2: on hand 1, IP 1 ≤ 1 →
    order 1·Q = 3 (IP 4 > 1), due 2+5 = 7. t=3 wants 1: on hand 0, IP 0+3 = 3, no
    order. t=7 delivery: on hand 3. ∫on_hand over [0,10) = 4·1 + 3·1 + 1·1 + 0·4 +
    3·3 = 17; stock-out time 4 (t = 3…7).
    """
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 5}
        replenishment: {policy: rQ, reorder_point: 1, order_quantity: 3}
        """,
        [cust(1), cust(2, 2), cust(3)],
        horizon=10,
    )
    assert run.trace == [
        arrive(1, 0),
        served(1, 0),
        arrive(2, 1, 2),
        served(2, 1, 2),
        order(2, 0, 3, due=7),
        arrive(3, 2),
        served(3, 2),
        deliver(7, 0, 3),
    ]
    c = run.c
    assert outcomes(c) == only(served_immediately=3)
    assert (c.customers, c.units_demanded, c.units_at_arrival, c.units_shipped) == (3, 4, 4, 4)
    assert (c.orders_placed, c.units_ordered) == (1, 3)
    assert c.area_on_hand == 17.0
    assert c.stockout_time == 4.0
    assert c.area_backorders == 0.0
    assert run.result.final_on_hand == 3
    k = run.kpis()
    assert k["fill_rate"] == 1.0
    assert k["avg_on_hand"] == 1.7
    assert k["stockout_fraction"] == 0.4


def test_rq_orders_several_batches_when_ip_falls_far() -> None:
    """rQ r=5, Q=2, initial stock 10. One customer takes all 10: IP 0 ≤ 5. n = 1 gives
    IP 2, n = 2 gives 4, both ≤ 5; n = 3 gives 6 > 5 → order 3·Q = 6."""
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 5}
        store: {initial_stock: 10}
        replenishment: {policy: rQ, reorder_point: 5, order_quantity: 2}
        """,
        [cust(1, 10)],
        horizon=4,
    )
    assert run.events("order") == [order(1, 0, 6, due=6)]
    assert run.store.inventory_position == 6


def test_rq_initial_check_at_time_zero() -> None:
    """rQ r=2, Q=4 with initial stock 1: IP 1 ≤ 2 at t=0 → order 1·4 = 4 at once (IP 5 > 2)."""
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 3}
        store: {initial_stock: 1}
        replenishment: {policy: rQ, reorder_point: 2, order_quantity: 4}
        """,
        [],
        horizon=5,
    )
    assert run.trace == [order(0, 0, 4, due=3), deliver(3, 0, 4)]
    assert run.c.orders_placed == 1
    assert run.result.final_on_hand == 5


def test_ss_orders_up_to_s() -> None:
    """sS s=2, S=6, L=5, initial 6. t=1 wants 3: IP 3 > 2. t=2 wants 2: IP 1 ≤ 2 → order
    S − IP = 5, due 7. t=3 wants 1: on hand 0, IP 0 + 5 = 5 > 2, no order. t=4 wants 2:
    backordered, IP 5 − 2 = 3 > 2. t=7: the 5 units arrive, 2 go to the waiting customer."""
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 5}
        replenishment: {policy: sS, reorder_point: 2, order_up_to: 6}
        """,
        [cust(1, 3), cust(2, 2), cust(3), cust(4, 2)],
        horizon=10,
    )
    assert run.trace == [
        arrive(1, 0, 3),
        served(1, 0, 3),
        arrive(2, 1, 2),
        served(2, 1, 2),
        order(2, 0, 5, due=7),
        arrive(3, 2),
        served(3, 2),
        arrive(4, 3, 2),
        backorder(4, 3, 2),
        deliver(7, 0, 5),
        after_wait(7, 3, 2, 3),
    ]
    assert run.result.final_on_hand == 3
    assert run.store.inventory_position == 3


def test_base_stock_one_for_one() -> None:
    """Base stock S=2, L=5, initial 2: every unit demanded is reordered at once.

    t=1, t=2: served, each IP drop to 1 < 2 triggers an order of 1 (due 6, 7). t=3:
    shelf empty → backorder; IP 0 + 2 − 1 = 1 < 2 → order 1 due 8. t=6: the first unit
    goes to the waiting customer (wait 3). Deliveries at 7 and 8 restore on hand 2.
    """
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 5}
        replenishment: {policy: base_stock, level: 2}
        """,
        [cust(1), cust(2), cust(3)],
        horizon=10,
    )
    assert run.trace == [
        arrive(1, 0),
        served(1, 0),
        order(1, 0, 1, due=6),
        arrive(2, 1),
        served(2, 1),
        order(2, 1, 1, due=7),
        arrive(3, 2),
        backorder(3, 2),
        order(3, 2, 1, due=8),
        deliver(6, 0, 1),
        after_wait(6, 2, 1, 3),
        deliver(7, 1, 1),
        deliver(8, 2, 1),
    ]
    assert outcomes(run.c) == only(served_immediately=2, served_after_wait=1)
    assert run.c.backordered == 1
    assert run.result.waits.mean == 3.0
    assert run.result.final_on_hand == 2


PERIODIC = """
    demand: {rate: 1}
    supplier: {lead_time: 1}
    replenishment: {policy: periodic, review_period: 4, order_up_to: 5}
    """


def test_periodic_order_up_to_every_review() -> None:
    """(R=4, S=5), offset 0, L=1, initial 5: reviews at 0, 4, 8 (12 is past the end).

    t=0: IP 5, S − IP = 0 → no order. t=1 wants 2 (no order between reviews). t=4: IP 3 →
    order 2, due 5. t=6 wants 1. t=8: IP 4 → order 1, due 9.
    """
    run = run_script(PERIODIC, [cust(1, 2), cust(6)], horizon=10)
    assert run.trace == [
        review(0, 5),
        arrive(1, 0, 2),
        served(1, 0, 2),
        review(4, 3),
        order(4, 0, 2, due=5),
        deliver(5, 0, 2),
        arrive(6, 1),
        served(6, 1),
        review(8, 4),
        order(8, 1, 1, due=9),
        deliver(9, 1, 1),
    ]


def test_periodic_with_reorder_point() -> None:
    """(R=4, s=3, S=5): same script; at t=4 IP 3 ≤ 3 → order 2; at t=8 IP 4 > 3 → no order."""
    run = run_script(model(PERIODIC, {"replenishment.reorder_point": 3}), [cust(1, 2), cust(6)], horizon=10)
    assert run.events("review", "order") == [
        review(0, 5),
        review(4, 3),
        order(4, 0, 2, due=5),
        review(8, 4),
    ]
    assert run.c.orders_placed == 1


def test_periodic_review_offset() -> None:
    """(R=4, S=5) with review_offset 1: reviews at 1, 5, 9 (none at 0).

    t=0.5 wants 2: on hand 3. t=1: IP 3 → order 2, due 2. t=3 wants 1: on hand 4. t=5:
    IP 4 → order 1, due 6. t=9: IP 5 → S − IP = 0, no order.
    """
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 1}
        replenishment: {policy: periodic, review_period: 4, order_up_to: 5, review_offset: 1}
        """,
        [cust(0.5, 2), cust(3)],
        horizon=10,
    )
    assert run.events("review", "order", "deliver") == [
        review(1, 3),
        order(1, 0, 2, due=2),
        deliver(2, 0, 2),
        review(5, 4),
        order(5, 1, 1, due=6),
        deliver(6, 1, 1),
        review(9, 5),
    ]


# --------------------------------------------------------------------------- stockout policies


def test_lost_sales_when_stock_short() -> None:
    """lost_sales, rQ r=0, Q=2, L=5, initial 2.

    t=1 wants 1: served, on hand 1. t=2 wants 2 > 1 available → lost ("out of stock"),
    IP unchanged, no order. t=3 wants 1: served, IP 0 ≤ 0 → order 2, due 8. t=4 wants 1:
    lost. Lost 2 customers, 3 units.
    """
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 5}
        store: {stockout: lost_sales}
        replenishment: {policy: rQ, reorder_point: 0, order_quantity: 2}
        """,
        [cust(1), cust(2, 2), cust(3), cust(4)],
        horizon=10,
    )
    assert run.trace == [
        arrive(1, 0),
        served(1, 0),
        arrive(2, 1, 2),
        row(2, "lost", 1, 2, "out of stock"),
        arrive(3, 2),
        served(3, 2),
        order(3, 0, 2, due=8),
        arrive(4, 3),
        row(4, "lost", 3, 1, "out of stock"),
        deliver(8, 0, 2),
    ]
    assert outcomes(run.c) == only(served_immediately=2, lost=2)
    assert run.c.lost_units == 3
    assert run.c.backordered == 0
    assert run.kpis()["lost_units"] == 3.0


BACKORDER_FIFO = """
    demand: {rate: 1}
    supplier: {lead_time: 5}
    store: {initial_stock: 1}
    replenishment: {policy: rQ, reorder_point: 0, order_quantity: 4}
    """


def test_backorder_fifo_with_reservation() -> None:
    """Backorders, rQ r=0, Q=4, L=5, initial stock 1.

    t=1: A wants 3 → backordered; the 1 unit on hand is reserved for A. IP 1 − 3 = −2 ≤ 0
    → order 4 (IP 2), due 6. t=2: B wants 1 – the reserved unit would cover it, but B may
    not overtake A: B is backordered too (IP 1 + 4 − 4 = 1, no order). t=6: 4 arrive; A
    needs 2 more → ships 3 (wait 5); B ships 1 (wait 4); 1 unit left.
    ∫backordered = 3·1 + 4·4 = 19; ∫on_hand = 1·8 = 8 over [0, 8).
    """
    run = run_script(BACKORDER_FIFO, [cust(1, 3), cust(2)], horizon=8)
    assert run.trace == [
        arrive(1, 0, 3),
        backorder(1, 0, 3),
        row(1, "reserve", 0, 1, ""),
        order(1, 0, 4, due=6),
        arrive(2, 1),
        backorder(2, 1),
        deliver(6, 0, 4),
        after_wait(6, 0, 3, 5),
        after_wait(6, 1, 1, 4),
    ]
    c = run.c
    assert outcomes(c) == only(served_after_wait=2)
    assert c.backordered == 2
    assert c.units_at_arrival == 0
    assert c.area_backorders == 19.0
    assert c.area_on_hand == 8.0
    assert c.stockout_time == 0.0
    assert run.result.waits.mean == 4.5
    assert run.result.final_on_hand == 1


def test_partial_shipments() -> None:
    """As the FIFO test with partial_shipments: true, B wanting 3.

    t=1: A wants 3; the 1 unit on hand ships now, 2 backordered. IP 0 + 0 − 2 = −2 → order
    4, due 6. t=2: B wants 3, nothing on hand → 3 backordered; IP 4 − 5 = −1 → order 4,
    due 7. t=6: A gets its last 2 (wait 5); B gets 2 of 3 (partial). t=7: B gets its last
    1 (wait 5); 3 units left. Units shipped at arrival 1 of 6 demanded.
    """
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 5}
        store: {initial_stock: 1, partial_shipments: true}
        replenishment: {policy: rQ, reorder_point: 0, order_quantity: 4}
        """,
        [cust(1, 3), cust(2, 3)],
        horizon=8,
    )
    assert run.trace == [
        arrive(1, 0, 3),
        backorder(1, 0, 3),
        row(1, "ship", 0, 1, "partial shipment"),
        order(1, 0, 4, due=6),
        arrive(2, 1, 3),
        backorder(2, 1, 3),
        order(2, 1, 4, due=7),
        deliver(6, 0, 4),
        after_wait(6, 0, 2, 5),
        row(6, "ship", 1, 2, "partial shipment"),
        deliver(7, 1, 4),
        after_wait(7, 1, 1, 5),
    ]
    c = run.c
    assert outcomes(c) == only(served_after_wait=2)
    assert (c.units_demanded, c.units_at_arrival, c.units_shipped) == (6, 1, 6)
    assert run.kpis()["unit_fill_rate"] == 1 / 6
    assert run.result.final_on_hand == 3


# --------------------------------------------------------------------------- refusing and balking


NO_ORDERS = """
    demand: {rate: 1}
    supplier: {lead_time: 4}
    store: {initial_stock: 0}
    replenishment: {policy: rQ, reorder_point: -10, order_quantity: 1}
    """
"""An empty store that never orders (IP stays above r = −10 in these scripts)."""


def test_balking_when_u_at_least_accept() -> None:
    """accept_backorder 0.5: u = 0.5 ≥ 0.5 balks (lost, "balked"); u = 0.25 accepts and is
    still waiting at the end (pending, 1 unit)."""
    run = run_script(
        model(NO_ORDERS, {"segments": [{"accept_backorder": 0.5}]}),
        [cust(1, u=0.5), cust(2, u=0.25)],
        horizon=5,
    )
    assert run.trace == [
        arrive(1, 0),
        row(1, "lost", 0, 1, "balked"),
        arrive(2, 1),
        backorder(2, 1),
    ]
    assert outcomes(run.c) == only(lost=1, pending=1)
    assert (run.c.backordered, run.c.pending_units) == (1, 1)


def test_store_refuses_when_backorder_queue_full() -> None:
    """max_backorders 1: A waits; B finds 1 ≥ 1 live waiting → refused. A cancels at t=3
    (patience 2), so C at t=4 finds the queue empty again and is backordered."""
    run = run_script(
        model(NO_ORDERS, {"store.max_backorders": 1}),
        [cust(1, patience=2), cust(2), cust(4)],
        horizon=5,
    )
    assert run.trace == [
        arrive(1, 0),
        backorder(1, 0),
        arrive(2, 1),
        row(2, "lost", 1, 1, "refused: backorder queue full"),
        row(3, "cancel", 0, 1, ""),
        arrive(4, 2),
        backorder(4, 2),
    ]
    assert outcomes(run.c) == only(lost=1, cancelled=1, pending=1)


QUOTES = """
    demand: {rate: 1}
    segments: [{max_wait: 100}]
    supplier: {lead_time: 4}
    store: {initial_stock: 0}
    replenishment: {policy: rQ, reorder_point: 0, order_quantity: 2}
    """
"""L = 4, rQ r=0, Q=2, empty at t=0 → order 0 (2 units) at t=0, due 4. The segment sets a
max_wait so quotes are computed; each scripted customer brings its own max_wait."""


def test_balking_when_quote_exceeds_max_wait() -> None:
    """Order 0: 2 units due 4. A quote for an order of age a is L − a = 4 − a.

    t=1: A (max_wait 2) needs unit 1 → order 0 → quote 3 > 2: balks. t=2: B (max_wait 2):
    quote 2, within its limit (a tie is accepted) → backordered, IP 1. t=3: C (max_wait 1)
    needs unit 2 → still order 0 → quote 1 → backordered; IP 0 ≤ 0 → order 1 (2 units, due
    7). t=4: both are served (waits 2 and 1).
    """
    run = run_script(
        QUOTES,
        [cust(1, max_wait=2), cust(2, max_wait=2), cust(3, max_wait=1)],
        horizon=5,
    )
    assert run.trace == [
        order(0, 0, 2, due=4),
        arrive(1, 0),
        row(1, "lost", 0, 1, "balked: quote 3 > max_wait 2"),
        arrive(2, 1),
        backorder(2, 1),
        arrive(3, 2),
        backorder(3, 2),
        order(3, 1, 2, due=7),
        deliver(4, 0, 2),
        after_wait(4, 1, 1, 2),
        after_wait(4, 2, 1, 1),
    ]
    assert outcomes(run.c) == only(lost=1, served_after_wait=2)


def test_quoted_wait_walks_every_suppliers_orders_by_arrival() -> None:
    """The pure function: two suppliers' outstanding orders merged by estimated arrival (a tie keeps
    the listed order), the quote is the arrival of the order bringing the need-th unit minus now;
    beyond them, the new order's arrival; nothing needed, nothing to wait for."""
    a = Outlook([9.0, 5.0], [2, 1], new_arrival=20.0)
    b = Outlook([7.0, 5.0], [3, 1], new_arrival=12.0)
    now = 4.0
    # by arrival: 5 (a, 1 unit), 5 (b, 1), 7 (b, 3), 9 (a, 2) → cumulative 1, 2, 5, 7
    expected = {1: 1.0, 2: 1.0, 3: 3.0, 5: 3.0, 6: 5.0, 7: 5.0}
    for need, wait in expected.items():
        assert quoted_wait(now, need, [a, b], new_arrival=15.0) == wait, need
    assert quoted_wait(now, 8, [a, b], new_arrival=15.0) == 11.0
    assert quoted_wait(now, 0, [a, b], new_arrival=15.0) == 0.0
    assert quoted_wait(now, -3, [], new_arrival=15.0) == 0.0
    empty = Outlook([], [], new_arrival=6.5)
    assert quoted_wait(now, 1, [empty], new_arrival=empty.new_arrival) == 2.5


def test_quote_walks_outstanding_orders_then_assumes_new_order_now() -> None:
    """Quotes read from probes (customers with max_wait −1, who leave and log the quote).

    Order 0 (2 units, due 4) placed at 0. t=1: 1 unit → covered by order 0 → 4 − 1 = 3;
    3 units > 2 on order → a new order placed now → L = 4. t=2: X wants 2 and waits
    (backordered 2, IP 0 → order 1: 2 units, due 6). t=3: 1 unit → need 2 + 1 − 0 = 3 →
    order 0 covers 2, order 1 covers units 3–4 → 6 − 3 = 3; 3 units → need 5 > 4 → new
    order now → 4. t=4.5 (after order 0 delivered X): 1 unit → need 1 → order 1 → 1.5.
    """
    run = run_script(
        QUOTES,
        [probe(1), probe(1, 3), cust(2, 2), probe(3), probe(3, 3), probe(4.5)],
        horizon=5,
    )
    assert [row.note for row in run.events("lost")] == [
        "balked: quote 3 > max_wait -1",
        "balked: quote 4 > max_wait -1",
        "balked: quote 3 > max_wait -1",
        "balked: quote 4 > max_wait -1",
        "balked: quote 1.5 > max_wait -1",
    ]
    assert run.events("order") == [order(0, 0, 2, due=4), order(2, 1, 2, due=6)]
    assert run.store.backordered == 0  # probes never join the queue
    assert outcomes(run.c) == only(lost=5, served_after_wait=1)


def test_quote_with_quoted_lead_time() -> None:
    """quoted_lead_time 3 (actual L = 4): order 0 placed at 0 is promised for 3, due 4.

    t=1: 1 unit → promise 3 → quote 2; 3 units → new order now → 1 + 3 → quote 3. t=3.5:
    order 0 is overdue (promised 3) → "any moment now" → quote 0 (probe max_wait −1 still
    leaves). A real customer with max_wait 0 at t=3.5 accepts the quote 0 and waits 0.5.
    """
    run = run_script(
        model(QUOTES, {"supplier.quoted_lead_time": 3}),
        [probe(1), probe(1, 3), probe(3.5), cust(3.5, max_wait=0)],
        horizon=5,
    )
    assert [row.note for row in run.events("lost")] == [
        "balked: quote 2 > max_wait -1",
        "balked: quote 3 > max_wait -1",
        "balked: quote 0 > max_wait -1",
    ]
    assert run.events("order")[0] == order(0, 0, 2, due=4, promised=3)
    assert run.events("ship") == [after_wait(4, 3, 1, 0.5)]


PERIODIC_QUOTES = """
    demand: {rate: 1}
    segments: [{max_wait: 100}]
    supplier: {lead_time: 4}
    store: {initial_stock: 0}
    replenishment: {policy: periodic, review_period: 10, order_up_to: 2}
    """
"""Periodic R = 10, S = 2, L = 4, empty at 0: the review at 0 orders 2, due 4."""


def test_quote_periodic_new_order_at_next_review() -> None:
    """t=1: 1 unit → order 0 → 4 − 1 = 3. 3 units → not covered → the next order is placed
    at the next review, t=10, and arrives at 14 → quote 13. t=5: nothing outstanding, 2
    on hand (delivered at 4); 3 units → need 1 → order at the review at 10 → 10 + 4 − 5 = 9."""
    run = run_script(PERIODIC_QUOTES, [probe(1), probe(1, 3), probe(5, 3)], horizon=6)
    assert [row.note for row in run.events("lost")] == [
        "balked: quote 3 > max_wait -1",
        "balked: quote 13 > max_wait -1",
        "balked: quote 9 > max_wait -1",
    ]


def test_quote_periodic_arrival_at_a_review_instant_waits_for_the_next_review() -> None:
    """A customer arriving at t=10, just after the review at 10 (reviews come before arrivals
    at one instant). The review at 10 saw on hand 2, IP 2 = S and ordered nothing; the
    customer asking for 3 units can only be covered by an order at the *next* review, 20,
    arriving at 24 → quote 14. (Quoting "order at 10 → 14 → quote 4" would promise an
    order that the review at 10 has already declined to place.)"""
    run = run_script(PERIODIC_QUOTES, [probe(10, 3)], horizon=11)
    assert run.events("review") == [review(0, 0), review(10, 2)]
    assert [row.note for row in run.events("lost")] == ["balked: quote 14 > max_wait -1"]


def test_store_refuses_quote_above_max_quoted_wait() -> None:
    """Hybrid: max_quoted_wait 3, L = 4, order 0 (2 units) due 4.

    t=0.5: A → quote 3.5 > 3 → refused, even though A would have balked anyway (u = 0.99 ≥
    accept 0.5): the store's refusal comes first. t=1: B → quote 3, not above 3 →
    backordered (IP 1). t=2: C wants 2 → need 3 > 2 → new order now → 4 > 3 → refused.
    t=4: B served after 3.
    """
    run = run_script(
        """
        demand: {rate: 1}
        segments: [{accept_backorder: 0.5}]
        supplier: {lead_time: 4}
        store: {initial_stock: 0, max_quoted_wait: 3}
        replenishment: {policy: rQ, reorder_point: 0, order_quantity: 2}
        """,
        [cust(0.5, u=0.99), cust(1), cust(2, 2)],
        horizon=5,
    )
    assert run.trace == [
        order(0, 0, 2, due=4),
        arrive(0.5, 0),
        row(0.5, "lost", 0, 1, "refused: quote 3.5 > 3"),
        arrive(1, 1),
        backorder(1, 1),
        arrive(2, 2, 2),
        row(2, "lost", 2, 2, "refused: quote 4 > 3"),
        deliver(4, 0, 2),
        after_wait(4, 1, 1, 3),
    ]
    assert outcomes(run.c) == only(lost=2, served_after_wait=1)


# --------------------------------------------------------------------------- patience and expiry


def test_cancellation_releases_reserved_units_to_next_customer() -> None:
    """Initial stock 2, no orders. t=1: A wants 3 → backordered, 2 units reserved for A,
    patience 2. t=2: B wants 1 → backordered behind A. t=3: A cancels (3 units owed);
    its 2 reserved units are released and B, now at the head, ships (wait 1); 1 unit left
    available. IP: 2 − 3 − 1 = −2 → +3 at the cancellation → 1; no order cancelled."""
    run = run_script(
        model(NO_ORDERS, {"store.initial_stock": 2}),
        [cust(1, 3, patience=2), cust(2)],
        horizon=5,
    )
    assert run.trace == [
        arrive(1, 0, 3),
        backorder(1, 0, 3),
        row(1, "reserve", 0, 2, ""),
        arrive(2, 1),
        backorder(2, 1),
        row(3, "cancel", 0, 3, ""),
        row(3, "release", 0, 2, ""),
        after_wait(3, 1, 1, 1),
    ]
    c = run.c
    assert outcomes(c) == only(cancelled=1, served_after_wait=1)
    assert c.cancelled_units == 3
    assert run.store.available == 1
    assert run.store.inventory_position == 1
    assert run.kpis()["lost_units"] == 3.0


def test_store_expiry_and_tie_with_patience() -> None:
    """expire_after 2, empty store. A (patience ∞) at 1 → expires at 3. B (patience 2 =
    expire_after) at 1.5 → the tie counts as a cancellation at 3.5. C (patience 2.5 > 2)
    at 2 → expires at 4. D (patience 1 < 2) at 2.5 → cancels at 3.5, after B (same
    instant, scheduled later)."""
    run = run_script(
        model(NO_ORDERS, {"store.expire_after": 2}),
        [cust(1), cust(1.5, patience=2), cust(2, patience=2.5), cust(2.5, patience=1)],
        horizon=6,
    )
    assert run.events("cancel", "expire") == [
        row(3, "expire", 0, 1, ""),
        row(3.5, "cancel", 1, 1, ""),
        row(3.5, "cancel", 3, 1, ""),
        row(4, "expire", 2, 1, ""),
    ]
    c = run.c
    assert outcomes(c) == only(cancelled=2, expired=2)
    assert (c.cancelled_units, c.expired_units) == (2, 2)
    k = run.kpis()
    assert (k["cancel_rate"], k["expire_rate"]) == (0.5, 0.5)


# --------------------------------------------------------------------------- same-instant ordering


def test_delivery_before_arrival_at_same_instant() -> None:
    """rQ r=0, Q=1, L=4, initial 1. A at 1 empties the shelf → order due 5. B arrives at 5,
    the instant of the delivery: the delivery comes first, B is served immediately."""
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 4}
        replenishment: {policy: rQ, reorder_point: 0, order_quantity: 1}
        """,
        [cust(1), cust(5)],
        horizon=6,
    )
    assert run.trace == [
        arrive(1, 0),
        served(1, 0),
        order(1, 0, 1, due=5),
        deliver(5, 0, 1),
        arrive(5, 1),
        served(5, 1),
        order(5, 1, 1, due=9),
    ]
    assert outcomes(run.c) == only(served_immediately=2)


def test_delivery_before_cancellation_at_same_instant() -> None:
    """Empty store, rQ r=0, Q=1, L=4: order at 0 due 4. A at 1 with patience 3 would cancel
    at 4, the delivery instant: the delivery comes first, A is served (wait 3), not
    cancelled."""
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 4}
        store: {initial_stock: 0}
        replenishment: {policy: rQ, reorder_point: 0, order_quantity: 1}
        """,
        [cust(1, patience=3)],
        horizon=6,
    )
    assert run.trace == [
        order(0, 0, 1, due=4),
        arrive(1, 0),
        backorder(1, 0),
        order(1, 1, 1, due=5),
        deliver(4, 0, 1),
        after_wait(4, 0, 1, 3),
        deliver(5, 1, 1),
    ]
    assert outcomes(run.c) == only(served_after_wait=1)


def test_arrival_before_cancellation_at_same_instant() -> None:
    """Initial stock 1, no orders. A wants 2 at 1 (1 unit reserved), patience 2 → cancels at
    3. B arrives at 3: arrivals come before cancellations, so B finds nothing available
    and is backordered; then A cancels, its unit is released and B ships after a wait of 0."""
    run = run_script(
        model(NO_ORDERS, {"store.initial_stock": 1}),
        [cust(1, 2, patience=2), cust(3)],
        horizon=5,
    )
    assert run.trace == [
        arrive(1, 0, 2),
        backorder(1, 0, 2),
        row(1, "reserve", 0, 1, ""),
        arrive(3, 1),
        backorder(3, 1),
        row(3, "cancel", 0, 2, ""),
        row(3, "release", 0, 1, ""),
        after_wait(3, 1, 1, 0),
    ]
    assert outcomes(run.c) == only(cancelled=1, served_after_wait=1)
    assert run.c.served_immediately == 0


def test_delivery_before_review_before_arrival_at_same_instant() -> None:
    """Periodic R=4, S=2, L=4, empty: the review at 0 orders 2, due 4 – the next review
    instant. At 4: delivery first (on hand 2), then the review (IP 2 = S, no order), then
    the arrival (served immediately). Review at 8: IP 1 → order 1."""
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 4}
        store: {initial_stock: 0}
        replenishment: {policy: periodic, review_period: 4, order_up_to: 2}
        """,
        [cust(4)],
        horizon=9,
    )
    assert run.trace == [
        review(0, 0),
        order(0, 0, 2, due=4),
        deliver(4, 0, 2),
        review(4, 2),
        arrive(4, 0),
        served(4, 0),
        review(8, 1),
        order(8, 1, 1, due=12),
    ]


# --------------------------------------------------------------------------- warm-up and window


def test_warmup_window() -> None:
    """rQ r=−1, Q=2, L=4, initial 1; warm-up 2, horizon 4 (run [0, 6), window [2, 6)).

    Warm-up: A (0.5) served, on hand 0, IP 0. B (1) backordered, IP −1 → order 0 (2,
    due 5). D (1.5, patience 1) backordered. Window: D cancels at 2.5 (not counted: it
    arrived before the window). C (3) wants 2 → backordered, IP −1 → order 1 (2, due 7),
    counted. t=5: B ships (in the window: counted as shipped, but not as a customer or
    wait); 1 unit reserved for C, who is still waiting at 6 → pending, 2 units owed.
    Window integrals: on hand 0 on [2,5), 1 on [5,6) → 1; backordered 2·0.5 + 1·0.5 +
    3·2 + 2·1 = 9.5; on hand 0 for 3.
    """
    run = run_script(
        """
        demand: {rate: 1}
        supplier: {lead_time: 4}
        replenishment: {policy: rQ, reorder_point: -1, order_quantity: 2}
        """,
        [cust(0.5), cust(1), cust(1.5, patience=1), cust(3, 2)],
        horizon=4,
        warmup=2,
    )
    assert run.trace == [
        arrive(0.5, 0),
        served(0.5, 0),
        arrive(1, 1),
        backorder(1, 1),
        order(1, 0, 2, due=5),
        arrive(1.5, 2),
        backorder(1.5, 2),
        row(2, "window starts", -1, 0, ""),
        row(2.5, "cancel", 2, 1, ""),
        arrive(3, 3, 2),
        backorder(3, 3, 2),
        order(3, 1, 2, due=7),
        deliver(5, 0, 2),
        after_wait(5, 1, 1, 4),
        row(5, "reserve", 3, 1, ""),
    ]
    c = run.c
    assert outcomes(c) == only(pending=1)
    assert (c.customers, c.units_demanded, c.backordered, c.pending_units) == (1, 2, 1, 2)
    assert (c.orders_placed, c.units_ordered, c.units_shipped) == (1, 2, 1)
    assert run.result.waits.count == 0
    assert (c.area_on_hand, c.area_backorders, c.stockout_time) == (1.0, 9.5, 3.0)
    k = run.kpis()
    assert k["avg_on_hand"] == 0.25
    assert k["avg_backorders"] == 2.375
    assert k["stockout_fraction"] == 0.75
    assert k["pending_rate"] == 1.0
    assert math.isnan(k["mean_wait"])


def test_warmup_time_average_of_constant_stock() -> None:
    """Initial 3, no orders; one customer in the warm-up (t=1) takes 1. Warm-up 2, horizon
    4: on hand is 2 all through the window → avg_on_hand exactly 2 (3 would leak in if
    the warm-up were integrated)."""
    run = run_script(model(NO_ORDERS, {"store.initial_stock": 3}), [cust(1)], horizon=4, warmup=2)
    assert run.c.area_on_hand == 8.0
    k = run.kpis()
    assert k["avg_on_hand"] == 2.0
    assert k["stockout_fraction"] == 0.0
    assert k["customers"] == 0.0
    assert math.isnan(k["fill_rate"])


def test_warmup_comes_before_a_delivery_at_the_same_instant() -> None:
    """Warm-up 4; the order placed at 0 (empty store, L=4) arrives at 4. The window starts
    first, so the unit shipped at 4 to the warm-up customer (arrived at 1) is revenue of
    the window, while that customer is not counted."""
    run = run_script(
        """
        demand: {rate: 1}
        product: {price: 10}
        supplier: {lead_time: 4}
        store: {initial_stock: 0}
        replenishment: {policy: rQ, reorder_point: 0, order_quantity: 1}
        """,
        [cust(1)],
        horizon=2,
        warmup=4,
    )
    assert run.events("window starts", "deliver", "ship") == [
        row(4, "window starts", -1, 0, ""),
        deliver(4, 0, 1),
        after_wait(4, 0, 1, 3),
        deliver(5, 1, 1),  # ordered at 1, when the backorder took IP to 0
    ]
    assert run.c.units_shipped == 1
    assert run.c.served_after_wait == 0
    assert run.kpis()["revenue"] == 10.0


# --------------------------------------------------------------------------- suppliers


def test_single_server_supplier_queues_orders() -> None:
    """servers: 1, L = 4, base stock 2. Order 0 at 1 → due 5. Order 1 at 2 waits for the
    server until 5 → due 9 (promised 5 + 4 = 9).

    Probes at 3 (nothing on hand, nothing backordered): 1 unit → order 0 (age 2) → 3 + 2 =
    5 → quote 2; 2 units → order 1 starts when order 0 is expected done (5) → 9 → quote 6;
    3 units → a new order queues behind order 1 → 9 + 4 = 13 → quote 10.
    """
    run = run_script(
        """
        demand: {rate: 1}
        segments: [{max_wait: 100}]
        supplier: {lead_time: 4, servers: 1}
        replenishment: {policy: base_stock, level: 2}
        """,
        [cust(1), cust(2), probe(3), probe(3, 2), probe(3, 3)],
        horizon=10,
    )
    assert run.events("order", "deliver") == [
        order(1, 0, 1, due=5),
        order(2, 1, 1, due=9),
        deliver(5, 0, 1),
        deliver(9, 1, 1),
    ]
    assert [row.note for row in run.events("lost")] == [
        "balked: quote 2 > max_wait -1",
        "balked: quote 6 > max_wait -1",
        "balked: quote 10 > max_wait -1",
    ]


CROSSING = """
    demand: {rate: 1}
    supplier: {lead_time: {dist: uniform, low: 1, high: 5}}
    replenishment: {policy: base_stock, level: 2}
    """
"""Base stock 2; lead times scripted as 5 then 1 (mean of the law 3, used for promises)."""


def test_orders_cross_with_unlimited_servers() -> None:
    """Order 0 at 1 with lead time 5 → due 6; order 1 at 2 with lead time 1 → due 3: it
    overtakes order 0."""
    run = run_script(CROSSING, [cust(1), cust(2)], horizon=8, lead_times=[5, 1])
    assert run.events("order", "deliver") == [
        order(1, 0, 1, due=6, promised=4),
        order(2, 1, 1, due=3, promised=5),
        deliver(3, 1, 1),
        deliver(6, 0, 1),
    ]


def test_no_crossing_keeps_placement_order() -> None:
    """no_crossing: order 1 would arrive at 3 but waits for order 0: due max(3, 6) = 6, and
    it is delivered after order 0 at the same instant."""
    run = run_script(
        model(CROSSING, {"supplier.no_crossing": True}),
        [cust(1), cust(2)],
        horizon=8,
        lead_times=[5, 1],
    )
    assert run.events("order", "deliver") == [
        order(1, 0, 1, due=6, promised=4),
        order(2, 1, 1, due=6, promised=5),
        deliver(6, 0, 1),
        deliver(6, 1, 1),
    ]


# --------------------------------------------------------------------------- economics


def test_economics_by_hand() -> None:
    """price 10, holding 0.5, backorder 2, lost sale 3; unit cost 4, order cost 7; rQ r=0,
    Q=2, L=4, initial 1, accept_backorder 0.5; run [0, 10).

    t=1 A (1) served → order 0 (2, due 5). t=2 B (1) waits. t=3 C (2, u 0.9) balks →
    2 units lost. t=4 D (1, patience 0.5) waits, IP 0 → order 1 (2, due 8); D cancels at
    4.5. t=5: B ships (wait 3). t=8: on hand 3.

    revenue 10·2 = 20; ordering 2·(7 + 4·2) = 30; ∫on_hand = 1·1 + 0·4 + 1·3 + 3·2 = 10
    → holding 5; ∫backordered = 1·2 + 2·0.5 + 1·0.5 = 3.5 → backorder 7; lost units 2 + 1
    → lost-sale 9; profit 20 − 30 − 5 − 7 − 9 = −31.
    """
    run = run_script(
        """
        product: {price: 10, holding_cost: 0.5, backorder_cost: 2, lost_sale_cost: 3}
        demand: {rate: 1}
        segments: [{accept_backorder: 0.5}]
        supplier: {lead_time: 4, unit_cost: 4, order_cost: 7}
        store: {initial_stock: 1}
        replenishment: {policy: rQ, reorder_point: 0, order_quantity: 2}
        """,
        [cust(1), cust(2), cust(3, 2, u=0.9), cust(4, patience=0.5)],
        horizon=10,
    )
    assert run.trace == [
        arrive(1, 0),
        served(1, 0),
        order(1, 0, 2, due=5),
        arrive(2, 1),
        backorder(2, 1),
        arrive(3, 2, 2),
        row(3, "lost", 2, 2, "balked"),
        arrive(4, 3),
        backorder(4, 3),
        order(4, 1, 2, due=8),
        row(4.5, "cancel", 3, 1, ""),
        deliver(5, 0, 2),
        after_wait(5, 1, 1, 3),
        deliver(8, 1, 2),
    ]
    c = run.c
    assert outcomes(c) == only(served_immediately=1, served_after_wait=1, lost=1, cancelled=1)
    assert c.customers == 4
    assert sum(outcomes(c).values()) == c.customers
    assert 1 + c.total_received == c.total_shipped + run.result.final_on_hand == 5
    k = run.kpis()
    expected = {
        "customers": 4.0,
        "units_demanded": 5.0,
        "fill_rate": 0.25,
        "unit_fill_rate": 0.2,
        "lost_rate": 0.25,
        "backorder_rate": 0.5,
        "cancel_rate": 0.25,
        "expire_rate": 0.0,
        "served_after_wait_rate": 0.25,
        "pending_rate": 0.0,
        "lost_units": 3.0,
        "lost_revenue": 30.0,
        "mean_wait": 3.0,
        "p90_wait": 3.0,
        "avg_on_hand": 1.0,
        "avg_backorders": 0.35,
        "stockout_fraction": 0.4,
        "orders_placed": 2.0,
        "units_ordered": 4.0,
        "revenue": 20.0,
        "ordering_cost": 30.0,
        "holding_cost": 5.0,
        "backorder_cost": 7.0,
        "lost_sale_cost": 9.0,
        "profit": -31.0,
    }
    money = ("lost_revenue", "revenue", "ordering_cost", "holding_cost", "backorder_cost", "lost_sale_cost", "profit")
    expected |= {f"{m}_per_time": expected[m] / 10 for m in money}  # the window is [0, 10)
    assert k.keys() == expected.keys()
    for key, value in expected.items():
        assert k[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    rates = ("fill_rate", "lost_rate", "cancel_rate", "expire_rate", "served_after_wait_rate", "pending_rate")
    assert sum(k[r] for r in rates) == pytest.approx(1.0, abs=1e-12)


# --------------------------------------------------------------------------- the trace as a file


def test_trace_csv_writes_typed_columns() -> None:
    """The FIFO scenario above as CSV: event values as documented, ``wait`` numeric on the two
    shipments after waiting (5 and 4) and empty elsewhere, the supplier on order and deliver rows."""
    run = run_script(BACKORDER_FIFO, [cust(1, 3), cust(2)], horizon=8)
    table = list(csv.DictReader(io.StringIO(trace_csv(run.result.trace or []))))
    assert list(table[0])[:7] == ["time", "event", "id", "qty", "wait", "note", "supplier"]  # state columns follow
    assert [r["event"] for r in table] == [row.event.value for row in run.trace]
    assert [r["event"] for r in table][:3] == ["arrive", "backorder", "reserve"]
    assert [float(r["time"]) for r in table] == [row.time for row in run.trace]
    assert [(r["id"], r["wait"]) for r in table if r["wait"]] == [("0", "5.0"), ("1", "4.0")]
    assert [r["note"] for r in table if r["wait"]] == ["served after waiting 5", "served after waiting 4"]
    assert {r["event"]: r["supplier"] for r in table if r["supplier"]} == {"order": "supplier", "deliver": "supplier"}
