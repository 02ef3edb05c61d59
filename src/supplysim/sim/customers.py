"""Who arrives, when, wanting what? The customer source and the customer record.

Each customer consumes exactly one draw from each of its sources whatever the
policy (quantity, segment, acceptance, its segment's patience and maximum wait),
so customer *k* of replication *i* is the same person under every policy – the
common random numbers that make paired comparisons sharp (Law 2015, §11.2).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from supplysim.scenario import ModelConfig
from supplysim.scenario.distributions import Constant, Distribution, draw_indices
from supplysim.sim.arrivals import arrival_blocks
from supplysim.sim.streams import Streams

__all__ = [
    "ACCEPT_U",
    "CONVERT_U",
    "GOODWILL_U",
    "JOIN_U",
    "MAX_WAIT",
    "PATIENCE",
    "QTY",
    "SEGMENT",
    "TIME",
    "WAITLIST_PATIENCE",
    "Customer",
    "CustomerSource",
]

Customer = tuple[Any, ...]
"""One customer: a plain tuple read by the index constants below (``customer[QTY]``), as fast as
literal indices on the hot path (a NamedTuple costs a Python call per customer to build). The
short form holds TIME … MAX_WAIT; when the model has a waitlist or goodwill, the long form adds
JOIN_U … GOODWILL_U. The short form keeps the common case fast."""

TIME = 0
"""Arrival time [time]."""
QTY = 1
"""Units wanted."""
SEGMENT = 2
"""Index of the customer's segment in the model's segment list."""
ACCEPT_U = 3
"""Uniform draw on [0, 1): accepts a backorder offer iff below the segment's ``accept_backorder``."""
PATIENCE = 4
"""How long it waits in the backorder queue before cancelling [time]; ∞ without patience."""
MAX_WAIT = 5
"""Longest quoted wait it accepts [time]; ∞ without a limit."""
JOIN_U = 6
"""(long form) Uniform draw: joins the "notify me" list iff below the waitlist's ``join``."""
CONVERT_U = 7
"""(long form) Uniform draw: buys when notified iff below the waitlist's ``convert``."""
WAITLIST_PATIENCE = 8
"""(long form) How long it stays interested on the waitlist [time]."""
GOODWILL_U = 9
"""(long form) Uniform draw: comes iff below exp(−churn · D) (goodwill)."""


class CustomerSource:
    """Generates customers in blocks: arrival times from :mod:`supplysim.sim.arrivals`, then
    each customer's attributes.

    A source whose feature is not configured (one segment, a constant quantity,
    no patience, no waitlist, no goodwill) makes no draws: its value is a
    constant. So adding a feature never changes the draws of the others. A stream's
    generator is made when the source first draws from it (each is its own
    ``SeedSequence``, so when it is made changes none of its numbers).
    """

    def __init__(self, cfg: ModelConfig, streams: Streams, end: float, block: int = 8192) -> None:
        self.cfg = cfg
        self.block = block
        self.end = end
        self._streams = streams
        self._generators: dict[str, np.random.Generator] = {}
        quantity = cfg.demand.quantity
        self._quantity = None if quantity.is_constant else quantity
        self._units = int(quantity.mean) if quantity.is_constant else 0
        """The units every customer wants when the quantity is constant."""
        segments = cfg.segments
        shares = np.array([s.share for s in segments])
        self._shares = shares / shares.sum() if len(segments) > 1 else None
        self._segments = [
            (j, s.name, _drawn(s.patience), _drawn(s.max_wait), _fixed(s.patience), _fixed(s.max_wait))
            for j, s in enumerate(segments)
        ]
        """Per segment: index, name, the patience and maximum-wait laws that draw (else None), and
        the constant values of those that do not (∞ when unset)."""

    def _rng(self, name: str) -> np.random.Generator:
        """The generator of source ``name``, made on first use."""
        rng = self._generators.get(name)
        if rng is None:
            rng = self._generators[name] = self._streams.generator(name)
        return rng

    def __iter__(self) -> Iterator[Customer]:
        # chain over per-block zips: iteration stays in C except once per block
        return itertools.chain.from_iterable(self.slices())

    def slices(self) -> Iterator[Iterator[Customer]]:
        """Customers block by block of arrival times, each block handed out in slices whose
        attributes are drawn when the slice is reached: the first slice holds the customers up to
        the first one at or after ``end`` (where a run stops), later ones (read past the end)
        grow from :data:`FIRST_SLICE`, doubling. So a run draws and converts only the customers
        it meets. The values are those of drawing a whole block at once, since each attribute has
        its own stream and every sampler draws value after value (tests/test_streams.py); only
        the waitlist's pair of uniforms per customer, drawn as two rows, is drawn for the whole
        block."""
        cfg = self.cfg
        waitlist = cfg.store.waitlist
        thinning = None if cfg.demand.is_stationary else self._rng("arrivals/thinning")
        pieces = waitlist is None  # a block's waitlist draws need its whole length
        for times in arrival_blocks(cfg.demand, self.end, self._rng("arrivals"), thinning, self.block, pieces):
            n = len(times)
            joins = self._rng("waitlist").random((2, n)) if waitlist is not None else None
            start = 0
            size = int(np.searchsorted(times, self.end)) + 1
            while start < n:
                stop = min(start + size, n)
                yield zip(*self._columns(times, joins, start, stop), strict=True)
                start, size = stop, max(FIRST_SLICE, 2 * size)

    def _columns(self, times: np.ndarray, joins: np.ndarray | None, start: int, stop: int) -> list[Iterable[Any]]:
        """The columns of customers ``start:stop`` of a block (see :meth:`slices`)."""
        cfg = self.cfg
        waitlist = cfg.store.waitlist
        goodwill = cfg.demand.goodwill
        m = stop - start
        quantity = self._quantity
        qty = quantity.sample(self._rng("quantity"), m).astype(np.int64) if quantity is not None else None
        shares = self._shares
        seg = draw_indices(self._rng("segment"), shares, m) if shares is not None else None
        u = self._rng("accept").random(m)
        patience = np.full(m, math.inf)
        max_wait = np.full(m, math.inf)
        for j, name, drawn_patience, drawn_max_wait, fixed_patience, fixed_max_wait in self._segments:
            mask: np.ndarray | slice = slice(None)  # one segment: every customer
            k = m
            if seg is not None:
                chosen = seg == j
                mask, k = chosen, int(np.count_nonzero(chosen))
            if drawn_patience is not None:
                patience[mask] = drawn_patience.sample(self._rng(f"patience/{name}"), k)
            elif fixed_patience != math.inf:
                patience[mask] = fixed_patience
            if drawn_max_wait is not None:
                max_wait[mask] = drawn_max_wait.sample(self._rng(f"max_wait/{name}"), k)
            elif fixed_max_wait != math.inf:
                max_wait[mask] = fixed_max_wait
        columns: list[Iterable[Any]] = [
            times[start:stop].tolist(),
            qty.tolist() if qty is not None else itertools.repeat(self._units, m),
            seg.tolist() if seg is not None else itertools.repeat(0, m),
            u.tolist(),
            patience.tolist(),
            max_wait.tolist(),
        ]
        if waitlist is not None or goodwill is not None:  # the long form, JOIN_U … GOODWILL_U
            if joins is not None and waitlist is not None:
                columns += [joins[0, start:stop].tolist(), joins[1, start:stop].tolist()]
                if waitlist.patience is not None:
                    columns.append(waitlist.patience.sample(self._rng("waitlist/patience"), m).tolist())
                else:
                    columns.append(itertools.repeat(math.inf, m))
            else:
                columns += [itertools.repeat(1.0, m), itertools.repeat(1.0, m), itertools.repeat(math.inf, m)]
            if goodwill is not None:
                columns.append(self._rng("goodwill").random(m).tolist())
            else:
                columns.append(itertools.repeat(0.0, m))
        return columns


def _drawn(law: Distribution | None) -> Distribution | None:
    """``law`` when its values are drawn from a stream, None when it is unset or a number."""
    return law if law is not None and not isinstance(law, Constant) else None


def _fixed(law: Distribution | None) -> float:
    """The value of ``law`` when it is a number (:class:`Constant`, whose sampler draws nothing)
    [time], else ∞ (unset, or drawn)."""
    return float(law.value) if isinstance(law, Constant) else math.inf


FIRST_SLICE = 64
"""Customers of a block's first slice (drawn and turned into Python tuples together); each next slice doubles."""
