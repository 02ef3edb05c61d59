"""The reference model: the store written the textbook SimPy way, for reading and cross-checking.

This is the formulation one finds in a simulation course: one SimPy process per
customer and per replenishment order, a :class:`simpy.Container` for the stock,
and a waiting customer who yields ``request | env.timeout(patience)`` and
cancels the request when patience wins. It is meant to be *read* — it states the
model of ``docs/model.md`` in a couple hundred lines — and to *cross-check* the
fast simulator (:func:`supplysim.sim.simulate`) statistically
(``tests/test_reference.py``). It is not the fast path: that one avoids a process
per entity and most SimPy events, and is described in ``docs/performance.md``,
where this model is also the yardstick of the throughput benchmark.

The subset of the model it supports (anything else raises :class:`ValueError`
naming the key):

* stationary Poisson demand of rate λ (``demand.rate``), every customer wanting
  the same constant number q of units (``demand.quantity``, default 1);
* one or several segments, with ``share``, ``accept_backorder`` and ``patience``
  (any duration distribution, or none = infinite patience); no ``max_wait``;
* one supplier (``supplier:``) with unlimited capacity and any lead-time
  distribution: orders may cross; no servers, no_crossing, yield or disruptions;
* ``store.stockout`` ``backorder`` or ``lost_sales``, ``store.initial_stock``;
  no max_backorders, max_quoted_wait, expire_after, partial shipments or waitlist;
* replenishment ``base_stock``, ``rQ``, ``sS`` (continuous review) or
  ``periodic``.

Prices and costs (``product``, ``unit_cost``, ``order_cost``) are accepted and
ignored: the model counts customers and units, not money.

Why a Container gives the model's allocation rule: a ``get(q)`` waits until q
units are in the container, and SimPy serves the get queue strictly in order,
stopping at the first request it cannot fill, so nobody overtakes a waiting
customer. With a constant q every request is the same size, which makes this the
same rule as the simulator's reservations for the head of the queue (and a
cancelled request never frees units that the next one, of the same size, could use).

Runs are statistically equivalent to the simulator's, not identical: the streams
differ (the simulator draws every customer's attributes in blocks, for common
random numbers), and events at the same instant follow SimPy's scheduling order
rather than the simulator's priority classes, which matters only for ties
(probability 0 with continuous arrival times).

Random numbers come from NumPy generators, one named stream per source:
``SeedSequence(seed, spawn_key=(crc32(name),))`` for the sources ``arrivals``,
``segment``, ``accept``, ``patience/<segment>`` and ``lead_time/<supplier>``,
drawn through the distributions' own ``sample`` methods in blocks.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from supplysim.scenario import RQ, SS, BaseStock, ModelConfig, Periodic
from supplysim.scenario.distributions import DiscreteConstant

__all__ = ["ReferenceResult", "simulate", "unsupported"]

Process = Generator[simpy.Event, Any, None]


@dataclass(frozen=True)
class ReferenceResult:
    """Counts and time integrals of the window [warmup, warmup + horizon).

    Customer counts cover the customers who *arrive* in the window, whatever
    happens to them later in the run; the integrals and ``orders_placed`` cover
    what *happens* in the window (``docs/model.md``, "The measured window").
    Every customer has one outcome: customers = served_immediately + lost +
    backordered, and backordered = served_after_wait + cancelled + pending.
    """

    horizon: float
    """Length of the window [time]."""
    customers: int
    served_immediately: int
    lost: int
    """Shown "out of stock" (lost_sales) or refused to wait (balked)."""
    backordered: int
    """Joined the backorder queue."""
    served_after_wait: int
    cancelled: int
    """Lost patience while waiting."""
    pending: int
    """Still waiting at the end of the window."""
    area_on_hand: float
    """∫ on_hand dt over the window [unit·time]."""
    area_backorders: float
    """∫ backordered units dt over the window [unit·time]."""
    orders_placed: int

    @property
    def fill_rate(self) -> float:
        """Served immediately / customers (NaN without customers)."""
        return self.served_immediately / self.customers if self.customers else math.nan

    @property
    def lost_rate(self) -> float:
        """Lost / customers."""
        return self.lost / self.customers if self.customers else math.nan

    @property
    def cancel_rate(self) -> float:
        """Cancelled / customers."""
        return self.cancelled / self.customers if self.customers else math.nan

    @property
    def avg_on_hand(self) -> float:
        """Time-average units on hand, area_on_hand / horizon [units]."""
        return self.area_on_hand / self.horizon

    @property
    def avg_backorders(self) -> float:
        """Time-average units owed to waiting customers, area_backorders / horizon [units]."""
        return self.area_backorders / self.horizon


def unsupported(cfg: ModelConfig) -> list[str]:
    """The keys of ``cfg`` outside the reference model's subset (empty when it is supported)."""
    d, store, sup = cfg.demand, cfg.store, cfg.supplier
    checks = [
        ("demand.weekly", d.weekly is not None),
        ("demand.seasonal", d.seasonal is not None),
        ("demand.events", bool(d.events)),
        ("demand.trend", d.trend != 0.0),
        ("demand.goodwill", d.goodwill is not None),
        ("demand.quantity (only a constant)", not isinstance(d.quantity, DiscreteConstant)),
        *((f"segments[{i}].max_wait", s.max_wait is not None) for i, s in enumerate(cfg.segments)),
        ("suppliers (only one `supplier:`)", sup is None),
        ("sourcing", cfg.sourcing.rule != "single"),
        ("supplier.servers", sup is not None and sup.servers is not None),
        ("supplier.no_crossing", sup is not None and sup.no_crossing),
        ("supplier.yield", sup is not None and not sup.perfect_yield),
        ("supplier.disruptions", sup is not None and sup.disruptions is not None),
        ("store.max_backorders", store.max_backorders is not None),
        ("store.max_quoted_wait", store.max_quoted_wait is not None),
        ("store.expire_after", store.expire_after is not None),
        ("store.partial_shipments", store.partial_shipments),
        ("store.waitlist", store.waitlist is not None),
    ]
    return [key for key, used in checks if used]


def simulate(cfg: ModelConfig, *, seed: int, horizon: float, warmup: float = 0.0) -> ReferenceResult:
    """Simulate ``cfg`` over [0, warmup + horizon) and measure [warmup, warmup + horizon).

    Times are in the scenario's time unit. The run is half-open: nothing at
    exactly warmup + horizon happens. Different seeds give independent runs.

    Raises:
        ValueError: if ``cfg`` uses a key outside the subset (see the module docstring).
    """
    keys = unsupported(cfg)
    if keys:
        raise ValueError("the reference model does not support " + ", ".join(keys))
    if not horizon > 0 or warmup < 0:
        raise ValueError(f"need horizon > 0 and warmup ≥ 0, got horizon={horizon!r}, warmup={warmup!r}")
    return _Model(cfg, seed, warmup, warmup + horizon).run()


def _stream(sample: Callable[[int], np.ndarray], block: int = 4096) -> Iterator[Any]:
    """Endless draws of ``sample``, made ``block`` at a time and handed out as Python numbers."""
    while True:
        yield from sample(block).tolist()


def continuous_review(rule: BaseStock | RQ | SS) -> Callable[[int], int]:
    """The order size as a function of IP [units] (0 = no order), ``docs/model.md`` "Replenishment policies"."""
    if isinstance(rule, BaseStock):  # whenever IP < S, up to S
        S = rule.level
        return lambda ip: S - ip if ip < S else 0
    if isinstance(rule, RQ):  # whenever IP ≤ r, n·Q with the smallest n that makes IP > r
        r, Q = rule.reorder_point, rule.order_quantity
        return lambda ip: ((r - ip) // Q + 1) * Q if ip <= r else 0
    s, S = rule.reorder_point, rule.order_up_to  # (s, S): whenever IP ≤ s, up to S
    return lambda ip: S - ip if ip <= s else 0


class _Model:
    """One run: the SimPy environment, the stock, the inventory position, the counters."""

    def __init__(self, cfg: ModelConfig, seed: int, warmup: float, end: float) -> None:
        def rng(name: str) -> np.random.Generator:
            key = zlib.crc32(name.encode("utf-8"))
            return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key,))))

        def draws(name: str, dist: Any) -> Iterator[float]:
            """Draws of ``dist`` (a distribution of :mod:`supplysim.scenario.distributions`) from stream ``name``."""
            generator = rng(name)
            return _stream(lambda n: dist.sample(generator, n))

        assert cfg.supplier is not None and isinstance(cfg.demand.quantity, DiscreteConstant)
        self.cfg, self.warmup, self.end = cfg, warmup, end
        self.q = cfg.demand.quantity.value
        """Units every customer wants."""
        self.lost_sales = cfg.store.stockout == "lost_sales"
        self.env = simpy.Environment()
        self.stock = simpy.Container(self.env, init=cfg.initial_stock)
        """The units on hand; a customer's ``get(q)`` waits in line until q units are there."""
        self.ip = cfg.initial_stock
        """Inventory position IP = on_hand + on_order − backordered [units] (Zipkin 2000, §2.2)."""
        self.waiting = 0
        """Customers in the backorder queue (each is owed q units)."""
        rule = cfg.replenishment
        self.periodic = rule if isinstance(rule, Periodic) else None
        self.order_size = continuous_review(rule) if not isinstance(rule, Periodic) else lambda ip: 0

        arrivals = rng("arrivals")
        self.interarrival = _stream(lambda n: arrivals.exponential(1.0 / cfg.demand.rate, n))
        shares = np.array([s.share for s in cfg.segments])
        segment = rng("segment")
        self.segment = _stream(lambda n: segment.choice(len(shares), size=n, p=shares / shares.sum()))
        self.accept = _stream(rng("accept").random)
        self.patience = [
            draws(f"patience/{s.name}", s.patience) if s.patience is not None else None for s in cfg.segments
        ]
        self.lead_time = draws(f"lead_time/{cfg.supplier.name}", cfg.supplier.lead_time)

        self.counts = dict.fromkeys(
            ("customers", "served_immediately", "lost", "backordered", "served_after_wait", "cancelled", "orders"), 0
        )
        """Counters: customers by their arrival time (one who arrived in the warm-up adds
        ``measured`` = False, i.e. 0), orders by when they are placed."""
        self.area_on_hand = self.area_backorders = 0.0
        self.t_last = 0.0

    # ---------------------------------------------------------------- bookkeeping

    def integrate(self) -> None:
        """Advance ∫ on_hand dt and ∫ backorders dt to now; called before every change of either.

        Both are piecewise constant. The stock also changes when a delivery's
        ``put`` wakes waiting ``get``s, but that happens at the delivery's own
        instant, at which this was called just before the ``put``.
        """
        now = self.env.now
        dt = now - self.t_last
        self.area_on_hand += self.stock.level * dt
        self.area_backorders += self.q * self.waiting * dt
        self.t_last = now

    def start_window(self) -> Process:
        """At ``warmup``, the integrals and the order count restart from 0; the state carries over."""
        yield self.env.timeout(self.warmup)
        self.integrate()
        self.area_on_hand = self.area_backorders = 0.0
        self.counts["orders"] = 0

    # ---------------------------------------------------------------- replenishment

    def replenish(self) -> None:
        """Continuous review, called after every change of IP: place the order the rule asks for."""
        qty = self.order_size(self.ip)
        if qty > 0:
            self.place_order(qty)

    def place_order(self, qty: int) -> None:
        """Order ``qty`` units: IP rises at once, the units arrive after a lead time."""
        self.ip += qty
        self.counts["orders"] += 1
        self.env.process(self.deliver(qty))

    def deliver(self, qty: int) -> Process:
        """One replenishment order: wait a lead time, then put the units on the shelf (IP unchanged)."""
        yield self.env.timeout(next(self.lead_time))
        self.integrate()
        yield self.stock.put(qty)  # wakes the waiting customers, in order

    def review(self, rule: Periodic) -> Process:
        """Periodic review at offset, offset + R, …: if IP ≤ s (always without s), order S − IP."""
        yield self.env.timeout(rule.review_offset)
        while True:
            if (rule.reorder_point is None or self.ip <= rule.reorder_point) and rule.order_up_to > self.ip:
                self.place_order(rule.order_up_to - self.ip)
            yield self.env.timeout(rule.review_period)

    # ---------------------------------------------------------------- customers

    def arrivals(self) -> Process:
        """Poisson arrivals: exponential inter-arrival times of mean 1/λ; each customer draws a segment."""
        several = len(self.cfg.segments) > 1
        while True:
            yield self.env.timeout(next(self.interarrival))
            self.env.process(self.customer(next(self.segment) if several else 0))

    def customer(self, segment: int) -> Process:
        """One customer's life (``docs/model.md``, "A customer's life")."""
        env, stock, q, counts = self.env, self.stock, self.q, self.counts
        measured = env.now >= self.warmup
        counts["customers"] += measured
        if stock.level >= q and not stock.get_queue:  # on the shelf, and nobody is waiting for it
            counts["served_immediately"] += measured
            self.integrate()
            self.ip -= q
            self.replenish()
            yield stock.get(q)  # succeeds at once
            return
        if self.lost_sales or next(self.accept) >= self.cfg.segments[segment].accept_backorder:
            counts["lost"] += measured  # shown "out of stock", or refuses to wait: IP unchanged
            return
        counts["backordered"] += measured
        self.integrate()
        self.waiting += 1
        self.ip -= q
        self.replenish()
        request = stock.get(q)
        patience = self.patience[segment]
        if patience is None:
            yield request
        else:
            yield request | env.timeout(next(patience))
        self.integrate()
        self.waiting -= 1
        if request.triggered:  # the units came (tested on the request itself, so none can go astray)
            counts["served_after_wait"] += measured
        else:
            request.cancel()
            counts["cancelled"] += measured
            self.ip += q  # no order is cancelled: the units will serve later customers
            self.replenish()  # IP rose, so this never orders; kept for the rule "check after every change"

    # ---------------------------------------------------------------- the run

    def run(self) -> ReferenceResult:
        """Start the window, the reviews or the check of IP at time 0, and the arrivals; run; close."""
        env = self.env
        if self.warmup > 0:
            env.process(self.start_window())  # first in line among the events at t = warmup
        if self.periodic is not None:
            env.process(self.review(self.periodic))
        else:
            self.replenish()
        env.process(self.arrivals())
        env.run(until=self.end)  # stops before any event at t = end
        self.integrate()
        c = self.counts
        return ReferenceResult(
            horizon=self.end - self.warmup,
            customers=c["customers"],
            served_immediately=c["served_immediately"],
            lost=c["lost"],
            backordered=c["backordered"],
            served_after_wait=c["served_after_wait"],
            cancelled=c["cancelled"],
            pending=c["backordered"] - c["served_after_wait"] - c["cancelled"],
            area_on_hand=self.area_on_hand,
            area_backorders=self.area_backorders,
            orders_placed=c["orders"],
        )
