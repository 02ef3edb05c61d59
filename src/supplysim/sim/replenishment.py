"""When does the store order, and how much? The replenishment rules.

One small base, tiny subclasses (compare SimPy's ``BaseResource``), chosen once
from the configuration's type. Continuous rules expose a ``trigger``: the store
asks for an order only when the inventory position IP ≤ trigger, which keeps the
per-customer path to one comparison. A rule starts itself on the clock
(:meth:`ReplenishmentRule.start`): a continuous rule checks the initial position,
a periodic rule schedules its own reviews. All quantities are units.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from supplysim.scenario import RQ, SS, BaseStock, Periodic, Replenishment
from supplysim.sim.clock import REVIEW, Clock, Timer
from supplysim.sim.ports import ReviewedStore

__all__ = ["BaseStockRule", "PeriodicRule", "RQRule", "ReplenishmentRule", "SSRule", "build_rule"]


class ReplenishmentRule:
    """Base of every rule. ``trigger`` is the highest IP at which a continuous review orders."""

    trigger: float = -math.inf
    up_to: int | None = None
    """When a continuous review triggers (IP ≤ ``trigger``), the order is ``up_to`` − IP units, if
    set: base stock and (s, S) order up to a level, so the store computes the size inline on its
    hot path instead of calling :meth:`order_size` (which gives the same number there)."""

    def start(self, env: Clock, store: ReviewedStore) -> None:
        """Begin at time ``env.now``: continuous review checks the initial inventory position at once."""
        store.review_position(env.now)

    def order_size(self, ip: int) -> int:
        """Units to order when the inventory position is ``ip`` (0 = none)."""
        raise NotImplementedError

    def next_order_time(self, now: float) -> float:
        """Earliest time an order can be placed from ``now`` on [time]."""
        return now


class BaseStockRule(ReplenishmentRule):
    """Base stock S: order S − IP whenever IP < S (Zipkin 2000, §6.2; Axsäter 2015, §5.2)."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.trigger = level - 1
        self.up_to = level

    def order_size(self, ip: int) -> int:
        return self.level - ip if ip < self.level else 0


class RQRule(ReplenishmentRule):
    """(r, Q): when IP ≤ r, order n·Q with the smallest n making IP > r (Zipkin 2000, §6.5)."""

    def __init__(self, reorder_point: int, order_quantity: int) -> None:
        self.r = reorder_point
        self.q = order_quantity
        self.trigger = reorder_point

    def order_size(self, ip: int) -> int:
        return ((self.r - ip) // self.q + 1) * self.q if ip <= self.r else 0


class SSRule(ReplenishmentRule):
    """(s, S): when IP ≤ s, order S − IP (Axsäter 2015, §4.1)."""

    def __init__(self, reorder_point: int, order_up_to: int) -> None:
        self.s = reorder_point
        self.big_s = order_up_to
        self.trigger = reorder_point
        self.up_to = order_up_to

    def order_size(self, ip: int) -> int:
        return self.big_s - ip if ip <= self.s else 0


class PeriodicRule(ReplenishmentRule):
    """(R, s, S) or (R, S): at offset + kR, order S − IP if IP ≤ s (or always without s)."""

    def __init__(self, review_period: float, order_up_to: int, reorder_point: int | None, offset: float) -> None:
        self.review_period: float = review_period
        self.review_offset: float = offset
        self.big_s = order_up_to
        self.s = reorder_point
        self.next_review = offset
        """Time of the next review not yet held (kept by the review events)."""

    def start(self, env: Clock, store: ReviewedStore) -> None:
        """Schedule the reviews at offset, offset + R, offset + 2R, … (nothing is checked in between)."""
        period = self.review_period

        def review(event: Timer) -> None:
            self.next_review = env.now + period
            store.review(env.now)
            Timer(env, period, REVIEW, review)

        self.next_review = self.review_offset
        Timer(env, self.review_offset, REVIEW, review)

    def order_size(self, ip: int) -> int:
        if self.s is not None and ip > self.s:
            return 0
        return max(0, self.big_s - ip)

    def next_order_time(self, now: float) -> float:
        return self.next_review


_BUILDERS: dict[type, Callable[[Any], ReplenishmentRule]] = {
    BaseStock: lambda c: BaseStockRule(c.level),
    RQ: lambda c: RQRule(c.reorder_point, c.order_quantity),
    SS: lambda c: SSRule(c.reorder_point, c.order_up_to),
    Periodic: lambda c: PeriodicRule(c.review_period, c.order_up_to, c.reorder_point, c.review_offset),
}


def build_rule(cfg: Replenishment) -> ReplenishmentRule:
    """The rule for a validated replenishment section (chosen by its type)."""
    return _BUILDERS[type(cfg)](cfg)
