"""The simulation clock: a SimPy environment with priority classes for same-instant events.

Model events are plain SimPy events that carry a payload and one callback; no
process runs per customer or per order. Events at the same instant run in the
order of their class (:data:`WARMUP` first, :data:`CANCEL` last), then in the
order they were scheduled – see ``docs/model.md``.

Customer arrivals are exogenous, so they never enter SimPy's queue: the driver
loop in :mod:`supplysim.sim.replication` advances the clock to the next arrival once
every earlier event has run (see ``../shared/performance.md``, item 4).

**The one use of SimPy's internals** is in this module, and nowhere else
(``tests/test_clock.py`` pins it to SimPy's own behaviour). SimPy 4 keeps its
queue as a heap of ``(time, priority, event id, event)`` tuples in
``Environment._queue``, numbers events with ``Environment._eid`` and keeps the
time in ``Environment._now``; ``Environment.step`` pops the head, sets the time,
and calls the event's callbacks. Here:

* :class:`Timer` and :class:`Scheduled` (the base of the supplier's orders) push
  their own entry with ``heapq.heappush`` – exactly the tuple that
  ``Environment.schedule`` would push, without its Python call; an event class marked
  :func:`always_ok` (the network's shipments) is built without a constructor and
  queued with :attr:`Clock.push` and :attr:`Clock.event_ids`, the same push and counter
  bound once;
* the driver loops (:meth:`Clock.run_before`, :meth:`Clock.run_arrivals`) pop and
  dispatch events themselves – the body of ``Environment.step``, inlined, including
  its rule that a failed event nobody defused raises.

So the events stay in SimPy's queue, in SimPy's order: ``env.step()``, ``env.run()`` and
``env.peek()`` work on a :class:`Clock` as on any environment, and a SimPy process may
share it. :class:`Timer` is a :class:`simpy.Event`; :class:`Scheduled` (orders and
shipments, one per customer under base stock) is a slotted object with the three
attributes SimPy's queue reads of an event, and nobody waits on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from heapq import heappop, heappush
from typing import Any, TypeVar

import simpy
from simpy.events import Event

__all__ = ["ARRIVAL", "CANCEL", "DELIVERY", "REVIEW", "SAMPLE", "WARMUP", "Clock", "Scheduled", "Timer", "always_ok"]

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
        # Inlined from Event.__init__, as simpy.Timeout does, and Environment.schedule, for speed.
        self.env = env
        self.callbacks = [callback]
        self._value = None
        self._ok = True
        self.item = item
        heappush(env._queue, (env._now + delay, priority, next(env._eid), self))  # type: ignore[misc]  # int priority


class Scheduled:
    """An event scheduled at creation: ``delay`` from now, in class ``priority``, with ``callbacks``.

    The base of events that carry their own data (a supplier's :class:`~supplysim.sim.supplier.Order`
    is the event of its own delivery): the subclass sets its fields after this constructor.

    It has ``__slots__`` (no instance dictionary: cheaper to make, one per order), so it is not a
    subclass of :class:`simpy.Event`, which has none; it has what SimPy's queue and
    ``Environment.step`` use of an event – ``callbacks``, ``_ok`` and ``_value`` – and nobody
    waits on it (no process yields an order), which is all a queued event needs.
    """

    __slots__ = ("_ok", "_value", "callbacks", "env")

    def __init__(self, env: Clock, delay: float, priority: int, callbacks: list[Callable[[Any], None]]) -> None:
        # Inlined from Event.__init__ and Environment.schedule, for speed (see the module docstring).
        self.env = env
        self.callbacks = callbacks
        self._value = None
        self._ok = True
        heappush(env._queue, (env._now + delay, priority, next(env._eid), self))  # type: ignore[misc]  # int priority


S = TypeVar("S", bound=Scheduled)


def always_ok(cls: type[S]) -> type[S]:
    """Class decorator: events of ``cls`` (a :class:`Scheduled` subclass) are built without a constructor call.

    Such an event is made with ``cls.__new__(cls)``, given its ``callbacks`` and its payload, and queued
    with :attr:`Clock.push` – one C call each, where the constructor costs a Python frame. SimPy's two
    flags become constants of the class (``_ok`` true: the event succeeded; ``_value`` None), shadowing
    the slots of :class:`Scheduled`, so ``callbacks`` is the only field of SimPy's that each event sets.
    Nobody may fail or succeed such an event (nobody waits on it); ``env`` is not set.
    """
    setattr(cls, "_ok", True)  # noqa: B010  # the class constants shadow the slots of Scheduled
    setattr(cls, "_value", None)  # noqa: B010
    return cls


class Clock(simpy.Environment):
    """A SimPy environment the driver loop can advance to an exogenous event time."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.push: Callable[[tuple[float, int, int, Any]], None] = partial(heappush, self._queue)
        """Queue the entry ``(time, priority, next(event_ids), event)`` – the tuple and the heap push of
        ``Environment.schedule``, as one C call – for an event built without a constructor (:func:`always_ok`)."""
        self.event_ids: Iterator[int] = self._eid
        """SimPy's event numbers: ``next(env.event_ids)`` numbers an event, the tie-breaker after time and
        priority (the order of scheduling)."""

    def run_before(self, time: float, priority: int) -> None:
        """Process every queued event that comes before (``time``, ``priority``)."""
        q = self._queue
        while q:
            head = q[0]
            t = head[0]
            if t < time or (t == time and head[1] < priority):
                # Environment.step, inlined (see the module docstring)
                heappop(q)
                self._now = t
                event = head[3]
                callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # as in step
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    _crash(event)
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

        The hot loop of a single-store run, so it keeps its state in locals: the
        customer number comes from ``enumerate``, and "the head comes before (t,
        ARRIVAL)" is one comparison of the head entry ``(time, priority, id, event)``
        with the tuple ``(t, ARRIVAL)`` – earlier time, or the same time and a lower
        priority class; an entry of class ARRIVAL itself at t is not before it (the
        shorter tuple is the smaller when the first two items are equal), exactly
        the rule of :meth:`run_before` (``tests/test_clock.py``).
        """
        q = self._queue
        n = first - 1
        for n, customer in enumerate(arrivals, first):  # n: the count, after the loop
            t = customer[0]
            if t >= end:
                return n - first
            before = (t, ARRIVAL)
            while q and q[0] < before:
                # Environment.step, inlined (see the module docstring)
                self._now, _, _, event = heappop(q)
                callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # as in step
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    _crash(event)
            self._now = t
            arrive(customer, n)
        return n + 1 - first

    def run_routed_arrivals(
        self,
        arrivals: Iterable[tuple[float, int, Any]],
        arrive: Sequence[Callable[[Any, int], None]],
        end: float,
    ) -> int:
        """:meth:`run_arrivals` for several locations: each arrival is ``(t, k, customer)`` and goes to
        ``arrive[k](customer, customer_number)`` (numbered from 0 across locations). Returns the number
        that arrived."""
        q = self._queue
        n = 0
        for t, k, customer in arrivals:
            if t >= end:
                break
            while q:
                head = q[0]
                ht = head[0]
                if ht < t or (ht == t and head[1] < ARRIVAL):
                    # Environment.step, inlined (see the module docstring)
                    heappop(q)
                    self._now = ht
                    event = head[3]
                    callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # as in step
                    for callback in callbacks:
                        callback(event)
                    if not event._ok and not hasattr(event, "_defused"):
                        _crash(event)
                else:
                    break
            self._now = t
            arrive[k](customer, n)
            n += 1
        return n

    def advance_to(self, time: float) -> None:
        """Move the clock to ``time`` (no queued event may come earlier)."""
        self._now = time


def _crash(event: Event) -> None:
    """A failed event nobody defused stops the run, as in ``Environment.step``: raise a copy of its
    exception, caused by the original."""
    value = event._value
    exc = type(value)(*value.args)
    exc.__cause__ = value
    raise exc
