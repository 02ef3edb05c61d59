"""Arrival times: homogeneous or non-homogeneous Poisson processes, in blocks.

The rate is λ(t) = rate · w(t) · s(t) · e(t) · g(t) with the day-of-week factor
w, the seasonal factor s(t) = 1 + A cos(2π (t − peak)/P), the product e of the
active event multipliers and the trend factor g(t) = max(0, 1 + trend·t).
A non-homogeneous process is generated exactly by thinning (Lewis & Shedler
1979; Law 2015, §8.6.2): candidates from a homogeneous process of rate
λ* ≥ max λ(t), each kept with probability λ(t)/λ*.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from supplysim.scenario import Demand

__all__ = ["arrival_blocks", "expected_arrivals", "max_rate", "rate_at"]


def rate_at(demand: Demand, t: np.ndarray) -> np.ndarray:
    """λ(t) at each time of ``t`` [customers/time]."""
    t = np.asarray(t, dtype=float)
    r = np.full(t.shape, float(demand.rate))
    if demand.weekly is not None:
        r *= np.asarray(demand.weekly, dtype=float)[np.floor(t).astype(np.int64) % 7]
    if demand.seasonal is not None:
        s = demand.seasonal
        r *= 1.0 + s.amplitude * np.cos(2.0 * math.pi * (t - s.peak) / s.period)
    for e in demand.events:
        r *= np.where((t >= e.start) & (t < e.end), e.multiplier, 1.0)
    if demand.trend:
        r *= np.maximum(0.0, 1.0 + demand.trend * t)
    return r


def max_rate(demand: Demand, end: float) -> float:
    """An upper bound λ* of λ(t) on [0, end] (exact unless windows overlap or cycles are cut);
    :meth:`Demand.peak_rate`, which the scenario's validation bounds."""
    return demand.peak_rate(end)


def expected_arrivals(demand: Demand, a: float, b: float, points: int = 200_001) -> float:
    """∫_a^b λ(t) dt, the expected number of arrivals in [a, b) (trapezoidal rule on a fine grid
    that includes every breakpoint of the weekly and event factors)."""
    cuts = {a, b}
    if demand.weekly is not None:
        cuts.update(float(k) for k in range(math.ceil(a), math.floor(b) + 1))
    for e in demand.events:
        cuts.update(x for x in (e.start, e.end) if a < x < b)
    edges = sorted(cuts)
    total = 0.0
    per = max(3, points // max(1, len(edges) - 1))
    for lo, hi in itertools.pairwise(edges):
        # evaluate just inside [lo, hi) so the piecewise factors take their value on the piece
        x = np.linspace(lo, hi, per)
        eps = (hi - lo) * 1e-9
        x[-1] = hi - eps
        total += float(np.trapezoid(rate_at(demand, x), x))
    return total


def arrival_blocks(
    demand: Demand,
    end: float,
    arrivals: np.random.Generator,
    thinning: np.random.Generator | None,
    block: int,
    pieces: bool = False,
) -> Iterator[np.ndarray]:
    """Successive blocks of increasing arrival times (each block non-empty, unbounded in time);
    ``thinning`` is drawn only by a non-stationary demand (it may be None for a stationary one).

    A stationary block is ``block`` exponential gaps added up from the last time of the block
    before. With ``pieces``, it comes in pieces of growing length, the first about the arrivals
    expected before ``end``: the same times (:func:`_pieces`), without drawing a whole block
    for a short run.
    """
    t = 0.0
    if demand.is_stationary:
        scale = 1.0 / demand.rate
        if pieces:
            yield from _pieces(demand.rate, end, arrivals, block)
            return
        while True:
            times = t + np.cumsum(arrivals.exponential(scale, block))
            t = float(times[-1])
            yield times
    if thinning is None:
        raise ValueError("a non-stationary demand needs its thinning stream")
    lam = max_rate(demand, end)
    scale = 1.0 / lam
    while True:
        cand = t + np.cumsum(arrivals.exponential(scale, block))
        t = float(cand[-1])
        keep = thinning.random(block) * lam < rate_at(demand, cand)
        times = cand[keep]
        if len(times):
            yield times
        elif t >= end:
            # nobody accepted in a whole block past the end (the rate may be 0 from some
            # time on): hand the driver a time ≥ end, which stops it before any arrival
            yield np.array([t])


FIRST_PIECE = 16
"""Fewest arrival times of a stationary block's first piece (:func:`_pieces`)."""


def _pieces(rate: float, end: float, arrivals: np.random.Generator, block: int) -> Iterator[np.ndarray]:
    """The stationary blocks of :func:`arrival_blocks`, each in pieces: piece after piece draws the
    next gaps of its block and continues the block's running sum from where the piece before
    left it (``cumsum`` adds value after value, so the sums are those of the whole block's
    ``cumsum``), then adds the block's start. The first piece of a block holds about 1.2 × the
    arrivals expected before ``end`` (at least :data:`FIRST_PIECE`); each next one doubles."""
    scale = 1.0 / rate
    t = 0.0
    while True:
        drawn, acc = 0, 0.0
        size = min(block, max(FIRST_PIECE, math.ceil(1.2 * rate * max(0.0, end - t))))
        while drawn < block:
            sums = np.cumsum(np.concatenate(([acc], arrivals.exponential(scale, size))))[1:]
            acc = float(sums[-1])
            drawn += size
            yield t + sums
            size = min(2 * size, block - drawn)
        t = float(t + acc)
