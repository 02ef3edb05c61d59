"""The clock's one use of SimPy's internals (``supplysim/sim/clock.py``) behaves as SimPy does.

The clock pushes its events onto ``Environment._queue`` itself and its driver loops pop
and dispatch them without ``Environment.step``. These tests pin that to SimPy: the queue
entries are the ones ``Environment.schedule`` makes, the driver runs events in the order
``step`` would, with the same clock readings, a failed event stops the run as ``step``
does, and ordinary SimPy processes share the clock.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import simpy

from supplysim.sim.clock import ARRIVAL, CANCEL, DELIVERY, REVIEW, Clock, Scheduled, Timer, always_ok


def test_timer_and_scheduled_queue_the_entry_environment_schedule_makes() -> None:
    env = Clock()
    env._now = 1.25
    timer = Timer(env, 0.5, CANCEL, lambda ev: None, "x")
    reference = simpy.Event(env)
    env.schedule(reference, REVIEW, 0.5)
    scheduled = Scheduled(env, 2.0, DELIVERY, [])
    (t1, p1, id1, e1), (t2, p2, id2, e2), (t3, p3, id3, e3) = sorted(env._queue, key=lambda entry: entry[2])
    assert (t1, p1, e1) == (1.75, CANCEL, timer) and timer.item == "x"
    assert (t2, p2, e2) == (1.75, REVIEW, reference)
    assert (t3, p3, e3) == (3.25, DELIVERY, scheduled)
    assert id1 < id2 < id3  # one counter numbers them all, so ties keep the order of scheduling
    assert timer.ok and not timer.processed and timer.callbacks is not None


def _schedule_random(env: Clock, seen: list[tuple[float, int]], rng: random.Random, n: int) -> None:
    def note(event: Any) -> None:
        seen.append((env.now, event.item))
        if event.item % 3 == 0 and event.item < 10 * n:  # events schedule further events, some at now
            Timer(env, rng.choice([0.0, 0.25, rng.random()]), rng.randrange(5), note, event.item * 10 + 1)

    for k in range(n):
        Timer(env, float(rng.randrange(20)) / 4, rng.randrange(5), note, k)


def test_the_driver_runs_events_in_the_order_and_at_the_times_step_does() -> None:
    runs: list[list[tuple[float, int]]] = []
    for use_driver in (True, False):
        env, seen = Clock(), []
        _schedule_random(env, seen, random.Random(7), 300)
        if use_driver:
            env.run_before(3.0, ARRIVAL)  # every event before (3.0, ARRIVAL) …
            assert env.peek() >= 3.0
            env.run_before(float("inf"), 0)  # … then the rest
        else:
            while env.peek() < float("inf"):
                env.step()
        runs.append(seen)
    assert len(runs[0]) > 300 and runs[0] == runs[1]


def test_arrivals_come_after_deliveries_and_before_cancellations_at_their_instant() -> None:
    env = Clock()
    order: list[str] = []
    Timer(env, 1.0, CANCEL, lambda ev: order.append("cancel"))
    Timer(env, 1.0, DELIVERY, lambda ev: order.append("delivery"))
    Timer(env, 0.5, DELIVERY, lambda ev: order.append("early"))
    n = env.run_arrivals([(1.0,), (2.0,), (9.0,)], lambda c, k: order.append(f"arrival {k} at {env.now:g}"), 5.0)
    assert n == 2
    assert order == ["early", "delivery", "arrival 0 at 1", "cancel", "arrival 1 at 2"]


def _interleaved(use_driver: bool, times: list[float], end: float) -> tuple[list[tuple[float, int]], int]:
    """Arrivals at ``times`` (before ``end``) among random events, run by the driver or, as events of
    class ARRIVAL queued before the others, by ``step``: what ran, at which clock reading, and how
    many arrived."""
    env, seen = Clock(), []

    def note(event: Any) -> None:
        seen.append((env.now, event.item))

    arrived = 0
    if not use_driver:
        for t in times:
            if t < end:
                Timer(env, t, ARRIVAL, note, -1 - arrived)
                arrived += 1
    _schedule_random(env, seen, random.Random(9), 200)
    for k in range(6):
        Timer(env, 2, k % 5, note, 1000 + k)  # 0 + 2 is the int 2, met by the arrival at 2.0
    if use_driver:
        arrived = env.run_arrivals([(t,) for t in times], lambda c, k: seen.append((env.now, -1 - k)), end)
        env.run_before(float("inf"), 0)
    else:
        while env.peek() < float("inf"):
            env.step()
    return seen, arrived


def test_the_driver_interleaves_arrivals_as_step_runs_them_queued_first_in_class_arrival() -> None:
    """Arrivals on the events' grid, events of every class (ARRIVAL too) at the same instants, some at
    integer times: the driver runs them in the order SimPy's ``step`` gives when each arrival is an
    event of class ARRIVAL queued before all the others."""
    times = sorted([2.0] + [random.Random(5).randrange(28) / 4 for _ in range(80)])
    driven, n_driven = _interleaved(True, times, 6.0)
    stepped, n_stepped = _interleaved(False, times, 6.0)
    assert n_driven == n_stepped == sum(t < 6.0 for t in times)
    at_two = [item for t, item in stepped if t == 2]
    assert 1003 in at_two and min(at_two) < 0  # an event of class ARRIVAL at an arrival's instant
    assert len(driven) > 300 and driven == stepped


def test_the_driver_counts_from_first_and_stops_on_an_empty_stream() -> None:
    env = Clock()
    numbers: list[int] = []
    assert env.run_arrivals([], lambda c, k: numbers.append(k), 5.0, first=7) == 0
    assert env.run_arrivals([(1.0,), (2.0,)], lambda c, k: numbers.append(k), 5.0, first=7) == 2
    assert env.run_arrivals([(3.0,), (6.0,), (4.0,)], lambda c, k: numbers.append(k), 5.0, first=9) == 1
    assert numbers == [7, 8, 9]


def test_a_failed_event_stops_the_driver_as_it_stops_step() -> None:
    env = Clock()
    event = simpy.Event(env)
    event.fail(ValueError("broken"))
    with pytest.raises(ValueError, match="broken") as info:
        env.run_before(1.0, 0)
    assert isinstance(info.value.__cause__, ValueError)
    defused = simpy.Event(env)
    defused.fail(ValueError("ignored"))
    defused.defused = True
    env.run_before(1.0, 0)  # a defused failure does not stop it
    assert defused.processed


def test_a_simpy_process_shares_the_clock_with_the_driver() -> None:
    env = Clock()
    woke: list[float] = []

    def sleeper() -> Any:
        for _ in range(3):
            yield env.timeout(1.5)
            woke.append(env.now)

    env.process(sleeper())
    env.run_arrivals([(t,) for t in (1.0, 2.0, 4.0, 10.0)], lambda c, k: woke.append(-c[0]), 8.0)
    assert woke == [-1.0, 1.5, -2.0, 3.0, -4.0]  # the driver stops at the first arrival past the end …
    env.run_before(8.0, 0)  # … and the run's end runs what is left before it
    assert woke == [-1.0, 1.5, -2.0, 3.0, -4.0, 4.5]


def test_simpys_own_step_processes_a_scheduled_event() -> None:
    """A :class:`Scheduled` (slotted, not a ``simpy.Event``) has all ``Environment.step`` reads."""
    env = Clock()
    seen: list[float] = []
    Scheduled(env, 2.5, DELIVERY, [lambda ev: seen.append(env.now), lambda ev: seen.append(-env.now)])
    env.step()
    assert seen == [2.5, -2.5] and env.peek() == float("inf")


@always_ok
class _Light(Scheduled):
    __slots__ = ("note",)


@pytest.mark.parametrize("use_driver", [True, False])
def test_an_event_built_without_a_constructor_runs_as_a_scheduled_one(use_driver: bool) -> None:
    """An :func:`always_ok` event, made with ``__new__`` and queued with ``Clock.push`` and ``Clock.event_ids``,
    is numbered by SimPy's counter and processed by ``step`` and by the driver like any other."""
    env = Clock()
    seen: list[tuple[float, str]] = []
    Timer(env, 1.0, DELIVERY, lambda ev: seen.append((env.now, "timer")))
    light = _Light.__new__(_Light)
    light.callbacks = [lambda ev: seen.append((env.now, ev.note))]
    light.note = "light"
    env.push((1.0, DELIVERY, next(env.event_ids), light))
    Timer(env, 1.0, DELIVERY, lambda ev: seen.append((env.now, "later timer")))
    assert light._ok is True and light._value is None  # what SimPy reads after the callbacks
    if use_driver:
        env.run_before(2.0, 0)
    else:
        for _ in range(3):
            env.step()
    assert seen == [(1.0, "timer"), (1.0, "light"), (1.0, "later timer")]  # ties in the order of scheduling
    assert light.callbacks is None and env.peek() == float("inf")  # processed, as step marks an event
