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

__all__ = ["HeapqResult", "simulate"]

DELIVERY = 1
ARRIVAL = 3
CANCEL = 4
"""Event classes, in the order events at one instant are handled (the simulator's classes)."""

BLOCK = 8192
"""Random draws per refill of a stream."""


@dataclass(frozen=True)
class HeapqResult:
    """Counts and time integrals of a run over [0, horizon)."""

    horizon: float
    customers: int
    served_immediately: int
    lost: int
    backordered: int
    served_after_wait: int
    cancelled: int
    orders_placed: int
    area_on_hand: float
    """∫ on_hand dt [unit·time]."""
    area_backorders: float
    """∫ backordered units dt [unit·time]."""

    @property
    def fill_rate(self) -> float:
        """Served immediately / customers."""
        return self.served_immediately / self.customers if self.customers else math.nan

    @property
    def pending(self) -> int:
        """Still waiting at the end."""
        return self.backordered - self.served_after_wait - self.cancelled


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
