"""Supplier outages: when a supplier is down, and what that does to an order.

Random outages form an alternating renewal process (Ross 2014, §7.5): up for a
draw of ``every``, down for a draw of ``duration``, up again, … starting up at
time 0; fixed ``windows`` are added on top. The long-run fraction of time down
is E[duration] / (E[every] + E[duration]).

The schedule is exogenous (its own random streams), so it is generated lazily,
in order, and forgotten once it lies in the past: memory does not grow with the
horizon, and every policy sees the same outages.
"""

from __future__ import annotations

from collections.abc import Iterator

from supplysim.scenario import Disruptions

__all__ = ["OutageSchedule"]


class OutageSchedule:
    """Down intervals [start, end) of one supplier, merged from random outages and fixed windows."""

    def __init__(
        self,
        cfg: Disruptions,
        up: Iterator[float] | None,
        down: Iterator[float] | None,
        window_start: float = 0.0,
        window_end: float = float("inf"),
    ) -> None:
        self.pause = cfg.clock == "pause"
        self._up = up
        self._down = down
        merged: list[tuple[float, float]] = []
        for ws, we in sorted((w.start, w.end) for w in cfg.windows):
            if merged and ws <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], we))
            else:
                merged.append((ws, we))
        self._windows = merged
        """Fixed outages, merged where they overlap."""
        self._random: list[tuple[float, float]] = []
        """Random outages generated and not yet forgotten, in time order."""
        self._generated_to = 0.0
        """Random outages are known up to this time."""
        self.down_time = 0.0
        """Window time of forgotten random outages outside the fixed windows (see :meth:`finish`)."""
        self.window_start = window_start
        self.window_end = window_end

    # ---------------------------------------------------------------- generation

    def _extend(self, t: float) -> None:
        """Generate random outages until the schedule is known beyond ``t``."""
        if self._up is None or self._down is None:
            return
        while self._generated_to <= t:
            start = self._generated_to + next(self._up)
            end = start + next(self._down)
            if end > start:
                self._random.append((start, end))
            self._generated_to = end

    def forget_before(self, t: float) -> None:
        """Drop random outages that ended before ``t`` (call only with the current time, which
        never goes back), booking their window overlap as down time."""
        rnd = self._random
        i = 0
        while i < len(rnd) and rnd[i][1] <= t:
            self.down_time += self._random_part(*rnd[i])
            i += 1
        if i:
            del rnd[:i]

    def _overlap(self, start: float, end: float) -> float:
        return max(0.0, min(end, self.window_end) - max(start, self.window_start))

    def _random_part(self, start: float, end: float) -> float:
        """Window time of a random outage not already covered by a fixed window."""
        inside = self._overlap(start, end)
        for ws, we in self._windows:
            if ws < end and we > start:
                inside -= self._overlap(max(start, ws), min(end, we))
        return inside

    def _intervals_from(self, t: float) -> Iterator[tuple[float, float]]:
        """Merged down intervals that end after ``t``, in time order (generated as needed).

        Nothing is forgotten here (``t`` may lie in the future); see :meth:`forget_before`.
        """
        windows = self._windows
        rnd = self._random
        wi = 0
        while wi < len(windows) and windows[wi][1] <= t:
            wi += 1
        ri = 0
        current: list[float] | None = None
        while True:
            r: tuple[float, float] | None = None
            if self._up is not None:
                while True:
                    while ri >= len(rnd):
                        self._extend(self._generated_to)
                    if rnd[ri][1] > t:
                        break
                    ri += 1  # ended before t
                r = rnd[ri]
            w = windows[wi] if wi < len(windows) else None
            if r is None and w is None:
                if current is not None:
                    yield (current[0], current[1])
                return
            if w is None or (r is not None and r[0] <= w[0]):
                assert r is not None
                nxt = r
                ri += 1
            else:
                nxt = w
                wi += 1
            if current is None:
                current = [nxt[0], nxt[1]]
            elif nxt[0] <= current[1]:
                current[1] = max(current[1], nxt[1])
            else:
                yield (current[0], current[1])
                current = [nxt[0], nxt[1]]

    # ---------------------------------------------------------------- queries

    def down_until(self, t: float) -> float | None:
        """End of the outage covering ``t``, or ``None`` if the supplier is up at ``t``."""
        if not self._windows and self._up is not None:
            return self._random_down_until(t)
        for s, e in self._intervals_from(t):
            return e if s <= t else None
        return None

    def _random_down_until(self, t: float) -> float | None:
        """:meth:`down_until` without fixed windows: the first random outage ending after ``t``,
        merged with the ones that start exactly where it ends (what :meth:`_intervals_from` yields
        first), without a generator – this runs for every order of a supplier with outages."""
        rnd = self._random
        extend = self._extend
        i = 0
        while True:
            while i >= len(rnd):
                extend(self._generated_to)
            start, end = rnd[i]
            if end > t:
                break
            i += 1
        if start > t:
            return None
        while True:
            i += 1
            while i >= len(rnd):
                extend(self._generated_to)
            nxt_start, nxt_end = rnd[i]
            if nxt_start > end:
                return end
            end = max(end, nxt_end)

    def arrival(self, start: float, due: float) -> float:
        """When an order whose work runs from ``start`` and is due at ``due`` actually arrives.

        ``continue``: the due time, or the end of the outage covering it.
        ``pause``: the work (due − start) is done only while up.
        """
        if not self.pause:
            end = self.down_until(due)
            return due if end is None else end
        remaining = due - start
        t = start
        for s, e in self._intervals_from(start):
            if s <= t:
                t = max(t, e)
                continue
            if t + remaining <= s:
                return t + remaining
            remaining -= s - t
            t = e
        return t + remaining

    def finish(self, end: float) -> float:
        """Total time down inside the window, once the run has reached ``end`` (fixed windows
        that overlap random outages are counted once)."""
        self._extend(end)
        random_part = sum(self._random_part(s, e) for s, e in self._random if s < end)
        return self.down_time + random_part + sum(self._overlap(s, e) for s, e in self._windows)
