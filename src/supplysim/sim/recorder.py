"""The sample path of one replication: the store's state on a regular grid of times.

Figures of a run show the stock of one replication (the first) over a window of the
run. Rather than keeping every event (memory growing with the horizon) and replaying
the model later, the replication itself samples its state at ``points`` evenly
spaced instants of the window while it runs: memory is fixed by ``points``, whatever
the horizon, and presentation never runs the model.

Each sample is taken after every model event of its instant (priority class
:data:`~supplysim.sim.clock.SAMPLE`), so sample *k* is the state on
[t_k, next event): the right-continuous step path evaluated at t_k. Sampling only
reads the state and draws no random number, so a recorded replication is the same
replication as an unrecorded one (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supplysim.sim.clock import SAMPLE, Clock, Timer
from supplysim.sim.ports import StockState

__all__ = ["LocationsRecorder", "PathRecorder", "PathWindow", "StatePath"]


@dataclass(frozen=True)
class PathWindow:
    """Where to sample: ``points`` instants evenly spaced over [start, end) [time]:
    start + k·(end − start)/points for k = 0 … points − 1 (the run ends at ``end`` at most)."""

    start: float
    end: float
    points: int = 2000


@dataclass(frozen=True)
class StatePath:
    """The recorded state at ``times`` [time]; every other array is in units (``waiting``: customers)."""

    times: np.ndarray
    on_hand: np.ndarray
    backordered: np.ndarray
    on_order: np.ndarray
    waiting: np.ndarray
    """Customers in the backorder queue."""

    @property
    def inventory_position(self) -> np.ndarray:
        """IP = on hand + on order − backordered (Zipkin 2000, §2.2)."""
        ip: np.ndarray = self.on_hand + self.on_order - self.backordered
        return ip


class PathRecorder:
    """Samples a store's state on the grid of a :class:`PathWindow`, one timer at a time."""

    def __init__(self, env: Clock, store: StockState, window: PathWindow) -> None:
        self._env = env
        self._store = store
        n = max(2, window.points)
        self._times = np.linspace(window.start, window.end, n, endpoint=False).tolist()
        self._rows: list[tuple[int, int, int, int]] = []
        if window.end > window.start >= 0.0:
            Timer(env, window.start, SAMPLE, self._sample)

    def _sample(self, event: Timer) -> None:
        s = self._store
        self._rows.append((s.on_hand, s.backordered, s.on_order, s.waiting))
        k = len(self._rows)
        if k < len(self._times):
            Timer(self._env, self._times[k] - self._env.now, SAMPLE, self._sample)

    def path(self) -> StatePath:
        """The samples taken so far."""
        rows = np.asarray(self._rows, dtype=np.int64).reshape(-1, 4)
        times = np.asarray(self._times[: len(rows)], dtype=float)
        return StatePath(times, rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3])


class LocationsRecorder:
    """Samples the state of several stocking points (a network's stores and its warehouse) on the
    grid of a :class:`PathWindow`, all at the same instants, with one timer at a time.

    Memory is ``points`` rows per location, whatever the horizon.
    """

    def __init__(self, env: Clock, states: dict[str, StockState], window: PathWindow) -> None:
        self._env = env
        self._states = list(states.values())
        self._names = list(states)
        n = max(2, window.points)
        self._times = np.linspace(window.start, window.end, n, endpoint=False).tolist()
        self._rows: list[tuple[int, ...]] = []
        if window.end > window.start >= 0.0:
            Timer(env, window.start, SAMPLE, self._sample)

    def _sample(self, event: Timer) -> None:
        row: list[int] = []
        for s in self._states:
            row += (s.on_hand, s.backordered, s.on_order, s.waiting)
        self._rows.append(tuple(row))
        k = len(self._rows)
        if k < len(self._times):
            Timer(self._env, self._times[k] - self._env.now, SAMPLE, self._sample)

    def paths(self) -> dict[str, StatePath]:
        """The samples taken so far, by location (in the order given)."""
        rows = np.asarray(self._rows, dtype=np.int64).reshape(-1, 4 * len(self._names))
        times = np.asarray(self._times[: len(rows)], dtype=float)
        return {
            name: StatePath(times, rows[:, 4 * i], rows[:, 4 * i + 1], rows[:, 4 * i + 2], rows[:, 4 * i + 3])
            for i, name in enumerate(self._names)
        }
