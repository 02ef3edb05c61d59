"""The benchmark model as a hand-written ``heapq`` event loop: the pure-Python ceiling.

The same model as the reference model and the simulator run in
``benchmarks/throughput.py`` (``docs/performance.md``, "What is measured"):
Poisson arrivals of rate λ, one unit per customer, base stock S (S units at
the start), lead times from an unlimited supplier (orders may cross), a
customer who finds no unit on the shelf accepts a backorder with probability
``accept`` and cancels after its patience; backorders are served first come,
first served.

It is written the plain way one writes a discrete-event simulation without a
library (Law 2015, §1.4, "next-event time advance"): a heap of pending events
``(time, class, sequence number, kind, entry)``, a loop that pops the earliest,
advances the clock and handles it. Every event goes through the heap — each
arrival schedules the next one, each order its delivery, each backordered
customer its patience timer (a cancelled customer's entry is marked dead; the
timer of a customer served before it fires finds the entry dead and does
nothing). Same-instant events are ordered by class (delivery, arrival,
cancellation), as the simulator's priority classes do. Random numbers come in
blocks from NumPy generators, handed out as Python floats, as in the
simulator; the streams are the benchmark's own, so runs are statistically
equivalent to the simulator's, not identical.

It counts what the simulator counts on this model: customers by outcome, orders,
and the time integrals of on-hand and backordered units.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from heapq import heappop, heappush

import numpy as np

__all__ = ["HeapqNetworkResult", "HeapqResult", "simulate", "simulate_network"]

DELIVERY = 1
ARRIVAL = 3
CANCEL = 4
"""Event classes, in the order events at one instant are handled (the simulator's classes)."""

BLOCK = 8192
"""Random draws per refill of a stream."""


@dataclass(frozen=True)
class _Outcomes:
    """The customers of a run over [0, horizon), by outcome (over every store of a network)."""

    horizon: float
    customers: int
    served_immediately: int
    lost: int
    backordered: int
    served_after_wait: int
    cancelled: int

    @property
    def fill_rate(self) -> float:
        """Served immediately / customers."""
        return self.served_immediately / self.customers if self.customers else math.nan

    @property
    def pending(self) -> int:
        """Still waiting at the end."""
        return self.backordered - self.served_after_wait - self.cancelled


@dataclass(frozen=True)
class HeapqResult(_Outcomes):
    """Counts and time integrals of a run over [0, horizon)."""

    orders_placed: int
    area_on_hand: float
    """∫ on_hand dt [unit·time]."""
    area_backorders: float
    """∫ backordered units dt [unit·time]."""


def _exponential(rng: np.random.Generator, mean: float) -> Iterator[float]:
    """Endless exponential draws of mean ``mean``, made in blocks."""
    return itertools.chain.from_iterable(iter(lambda: rng.exponential(mean, BLOCK).tolist(), None))


def _uniform(rng: np.random.Generator) -> Iterator[float]:
    """Endless uniform draws on [0, 1), made in blocks."""
    return itertools.chain.from_iterable(iter(lambda: rng.random(BLOCK).tolist(), None))


def simulate(
    *,
    rate: float,
    level: int,
    lead_time_mean: float,
    accept: float,
    patience_mean: float,
    horizon: float,
    seed: int,
) -> HeapqResult:
    """Run the benchmark model over [0, horizon) (rates per day, times in days, ``level`` in units)."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    interarrival = _exponential(streams[0], 1.0 / rate)
    lead_time = _exponential(streams[1], lead_time_mean)
    accept_u = _uniform(streams[2])
    patience = _exponential(streams[3], patience_mean)

    on_hand = level
    backordered = 0
    ip = level  # inventory position: on hand + on order − backordered
    queue: deque[list[bool]] = deque()  # waiting customers, each a one-item list [alive]
    customers = served = lost = backorders = served_after = cancelled = orders = 0
    area_on_hand = area_backorders = 0.0
    t_last = 0.0

    heap: list[tuple[float, int, int, list[bool] | None]] = []
    seq = itertools.count()
    heappush(heap, (next(interarrival), ARRIVAL, next(seq), None))
    while heap:
        now, kind, _, entry = heappop(heap)
        if now >= horizon:
            break
        dt = now - t_last
        area_on_hand += on_hand * dt
        area_backorders += backordered * dt
        t_last = now
        if kind == ARRIVAL:
            customers += 1
            heappush(heap, (now + next(interarrival), ARRIVAL, next(seq), None))
            if on_hand > 0 and not backordered:  # nobody overtakes a waiting customer
                on_hand -= 1
                served += 1
            elif next(accept_u) < accept:
                backordered += 1
                backorders += 1
                waiting = [True]
                queue.append(waiting)
                heappush(heap, (now + next(patience), CANCEL, next(seq), waiting))
            else:
                lost += 1
                continue  # the inventory position did not move
            ip -= 1
            if ip < level:  # base stock: order S − IP whenever IP < S
                orders += 1
                heappush(heap, (now + next(lead_time), DELIVERY, next(seq), None))
                ip += 1  # S − IP = 1: demand comes one unit at a time
        elif kind == DELIVERY:
            on_hand += 1
            while queue:
                waiting = queue.popleft()
                if waiting[0]:  # the first live customer takes the unit
                    waiting[0] = False
                    on_hand -= 1
                    backordered -= 1
                    served_after += 1
                    break
        elif entry is not None and entry[0]:  # CANCEL of a customer still waiting
            entry[0] = False
            backordered -= 1
            cancelled += 1
            ip += 1
    area_on_hand += on_hand * (horizon - t_last)
    area_backorders += backordered * (horizon - t_last)
    return HeapqResult(
        horizon, customers, served, lost, backorders, served_after, cancelled, orders, area_on_hand, area_backorders
    )


@dataclass(frozen=True)
class HeapqNetworkResult(_Outcomes):
    """Counts and time integrals of a network run over [0, horizon): the stores' totals and the warehouse's."""

    store_orders: int
    """Orders of one unit the stores sent to the warehouse."""
    waited_at_warehouse: int
    """Store orders that found no unit at the warehouse and queued there."""
    supplier_orders: int
    """The warehouse's own orders to its supplier."""
    area_on_hand: float
    """∫ on_hand dt summed over the stores [unit·time]."""
    area_backorders: float
    """∫ backordered units dt summed over the stores [unit·time]."""
    warehouse_area_on_hand: float
    """∫ on_hand dt at the warehouse [unit·time]."""


def simulate_network(
    *,
    stores: int,
    rate: float,
    level: int,
    warehouse_level: int,
    lead_time_mean: float,
    transit_mean: float,
    accept: float,
    patience_mean: float,
    horizon: float,
    seed: int,
) -> HeapqNetworkResult:
    """Run the network line over [0, horizon): ``stores`` copies of the benchmark model, each
    ordering one unit per customer who stays from a base-stock warehouse (level
    ``warehouse_level``), which ships store orders first come, first served after an exponential
    transit of mean ``transit_mean`` and orders one unit from its unlimited supplier per store
    order (exponential lead time of mean ``lead_time_mean``).

    The same loop as :func:`simulate`, with the location in each heap entry: ``(time, class,
    sequence number, store, entry)``, where a DELIVERY with store −1 is the warehouse's and one
    with store k a shipment reaching store k. Each location keeps its own time integrals.
    """
    sources = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4 * stores + 1)]
    interarrival = [_exponential(sources[4 * k], 1.0 / rate) for k in range(stores)]
    transit = [_exponential(sources[4 * k + 1], transit_mean) for k in range(stores)]
    accept_u = [_uniform(sources[4 * k + 2]) for k in range(stores)]
    patience = [_exponential(sources[4 * k + 3], patience_mean) for k in range(stores)]
    lead_time = _exponential(sources[-1], lead_time_mean)

    on_hand = [level] * stores
    backordered = [0] * stores
    ip = [level] * stores
    queue: list[deque[list[bool]]] = [deque() for _ in range(stores)]
    t_last = [0.0] * stores
    area_on_hand = [0.0] * stores
    area_backorders = [0.0] * stores
    w_on_hand = warehouse_level
    w_ip = warehouse_level
    w_queue: deque[int] = deque()  # store orders waiting at the warehouse, by store
    w_t_last = w_area = 0.0
    customers = served = lost = backorders = served_after = cancelled = 0
    store_orders = waited = supplier_orders = 0

    heap: list[tuple[float, int, int, int, list[bool] | None]] = []
    seq = itertools.count()
    for k in range(stores):
        heappush(heap, (next(interarrival[k]), ARRIVAL, next(seq), k, None))
    while heap:
        now, kind, _, k, entry = heappop(heap)
        if now >= horizon:
            break
        if k < 0:  # DELIVERY at the warehouse: the unit goes to the first waiting store order
            w_area += w_on_hand * (now - w_t_last)
            w_t_last = now
            if w_queue:
                to = w_queue.popleft()
                heappush(heap, (now + next(transit[to]), DELIVERY, next(seq), to, None))
            else:
                w_on_hand += 1
            continue
        dt = now - t_last[k]
        area_on_hand[k] += on_hand[k] * dt
        area_backorders[k] += backordered[k] * dt
        t_last[k] = now
        if kind == ARRIVAL:
            customers += 1
            heappush(heap, (now + next(interarrival[k]), ARRIVAL, next(seq), k, None))
            if on_hand[k] > 0 and not backordered[k]:  # nobody overtakes a waiting customer
                on_hand[k] -= 1
                served += 1
            elif next(accept_u[k]) < accept:
                backordered[k] += 1
                backorders += 1
                waiting = [True]
                queue[k].append(waiting)
                heappush(heap, (now + next(patience[k]), CANCEL, next(seq), k, waiting))
            else:
                lost += 1
                continue  # the inventory position did not move
            ip[k] -= 1
            if ip[k] < level:  # base stock at the store: one unit from the warehouse
                ip[k] += 1
                store_orders += 1
                w_ip -= 1
                if w_ip < warehouse_level:  # base stock at the warehouse: one unit from the supplier
                    w_ip += 1
                    supplier_orders += 1
                    heappush(heap, (now + next(lead_time), DELIVERY, next(seq), -1, None))
                if w_on_hand > 0 and not w_queue:
                    w_area += w_on_hand * (now - w_t_last)
                    w_t_last = now
                    w_on_hand -= 1
                    heappush(heap, (now + next(transit[k]), DELIVERY, next(seq), k, None))
                else:
                    waited += 1
                    w_queue.append(k)
        elif kind == DELIVERY:  # a shipment reaches store k
            on_hand[k] += 1
            q = queue[k]
            while q:
                waiting = q.popleft()
                if waiting[0]:  # the first live customer takes the unit
                    waiting[0] = False
                    on_hand[k] -= 1
                    backordered[k] -= 1
                    served_after += 1
                    break
        elif entry is not None and entry[0]:  # CANCEL of a customer still waiting
            entry[0] = False
            backordered[k] -= 1
            cancelled += 1
            ip[k] += 1
    for k in range(stores):
        area_on_hand[k] += on_hand[k] * (horizon - t_last[k])
        area_backorders[k] += backordered[k] * (horizon - t_last[k])
    w_area += w_on_hand * (horizon - w_t_last)
    return HeapqNetworkResult(
        horizon,
        customers,
        served,
        lost,
        backorders,
        served_after,
        cancelled,
        store_orders,
        waited,
        supplier_orders,
        sum(area_on_hand),
        sum(area_backorders),
        w_area,
    )
