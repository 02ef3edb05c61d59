"""The simulation clock: a SimPy environment with priority classes for same-instant events.

Model events are plain SimPy events that carry a payload and one callback; no
process runs per customer or per order. Events at the same instant run in the
order of their class (:data:`WARMUP` first, :data:`CANCEL` last), then in the
order they were scheduled – see ``docs/model.md``.

Customer arrivals are exogenous, so they never enter SimPy's queue: the driver
loop in :mod:`supplysim.sim.replication` advances the clock to the next arrival once
every earlier event has run (see ``../shared/performance.md``, item 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import simpy
from simpy.events import Event

__all__ = ["ARRIVAL", "CANCEL", "DELIVERY", "REVIEW", "SAMPLE", "WARMUP", "Clock", "Timer"]

WARMUP = 0
"""The end of the warm-up (statistics reset) comes before anything else at its instant."""
DELIVERY = 1
"""Deliveries come first among model events at one instant."""
REVIEW = 2
"""Then periodic reviews."""
ARRIVAL = 3
"""Then customer arrivals (handled by the driver loop, never queued)."""
CANCEL = 4
"""Then cancellations (patience) and expiries (store)."""
SAMPLE = 5
"""Last: the sample-path recorder reads the state once every model event of its instant has run."""


class Timer(Event):
    """An event that fires after ``delay`` with priority class ``priority``.

    Like :class:`simpy.Timeout`, but with an explicit priority and a ``item``
    payload handed to its single callback.
    """

    def __init__(
        self, env: Clock, delay: float, priority: int, callback: Callable[[Timer], None], item: Any = None
    ) -> None:
        # Inlined from Event.__init__, as simpy.Timeout does, for speed.
        self.env = env
        self.callbacks = [callback]
        self._value = None
        self._ok = True
        self.item = item
        env.schedule(self, priority, delay)  # type: ignore[arg-type]


class Clock(simpy.Environment):
    """A SimPy environment the driver loop can advance to an exogenous event time."""

    def run_before(self, time: float, priority: int) -> None:
        """Process every queued event that comes before (``time``, ``priority``)."""
        q = self._queue
        step = self.step
        while q:
            head = q[0]
            t = head[0]
            if t < time or (t == time and head[1] < priority):
                step()
            else:
                break

    def run_arrivals(
        self,
        arrivals: Iterable[Any],
        arrive: Callable[[Any, int], None],
        end: float,
        first: int = 0,
    ) -> int:
        """The driver loop: interleave exogenous arrivals with the queued events.

        For each arrival (a customer tuple whose first item is its time ``t``) before
        ``end``: run every queued event that comes before (t, :data:`ARRIVAL`),
        move the clock to t and call ``arrive(customer, customer_number)``.
        Customers are numbered from ``first``. Returns the number that arrived.
        """
        q = self._queue
        step = self.step
        n = first
        for customer in arrivals:
            t = customer[0]
            if t >= end:
                break
            while q:
                head = q[0]
                ht = head[0]
                if ht < t or (ht == t and head[1] < ARRIVAL):
                    step()
                else:
                    break
            self._now = t
            arrive(customer, n)
            n += 1
        return n - first

    def advance_to(self, time: float) -> None:
        """Move the clock to ``time`` (no queued event may come earlier)."""
        self._now = time
