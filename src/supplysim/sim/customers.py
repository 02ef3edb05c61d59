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
    constant. So adding a feature never changes the draws of the others.
    """

    def __init__(self, cfg: ModelConfig, streams: Streams, end: float, block: int = 8192) -> None:
        self.cfg = cfg
        self.block = block
        self.end = end
        self._arrivals = streams.generator("arrivals")
        self._thinning = streams.generator("arrivals/thinning")
        self._quantity = streams.generator("quantity")
        self._segment = streams.generator("segment")
        self._accept = streams.generator("accept")
        self._patience = [streams.generator(f"patience/{s.name}") for s in cfg.segments]
        self._max_wait = [streams.generator(f"max_wait/{s.name}") for s in cfg.segments]
        self._waitlist = streams.generator("waitlist")
        self._waitlist_patience = streams.generator("waitlist/patience")
        self._goodwill = streams.generator("goodwill")

    def __iter__(self) -> Iterator[Customer]:
        # chain over per-block zips: iteration stays in C except once per block
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[Iterator[Customer]]:
        """Customers block by block of arrival times, each block handed out in slices of growing
        length whose attributes are drawn when the slice is reached: a short run draws and
        converts only the customers it meets. The values are those of drawing a whole block at
        once, since each attribute has its own stream and every sampler draws value after value
        (tests/test_streams.py); only the waitlist's pair of uniforms per customer, drawn as two
        rows, is drawn for the whole block."""
        cfg = self.cfg
        waitlist = cfg.store.waitlist
        for times in arrival_blocks(cfg.demand, self.end, self._arrivals, self._thinning, self.block):
            n = len(times)
            joins = self._waitlist.random((2, n)) if waitlist is not None else None
            start, size = 0, FIRST_SLICE
            while start < n:
                stop = min(start + size, n)
                yield zip(*self._columns(times, joins, start, stop), strict=True)
                start, size = stop, 2 * size

    def _columns(self, times: np.ndarray, joins: np.ndarray | None, start: int, stop: int) -> list[Iterable[Any]]:
        """The columns of customers ``start:stop`` of a block (see :meth:`_blocks`)."""
        cfg = self.cfg
        quantity = cfg.demand.quantity
        segments = cfg.segments
        waitlist = cfg.store.waitlist
        goodwill = cfg.demand.goodwill
        m = stop - start
        qty = quantity.sample(self._quantity, m) if not quantity.is_constant else np.full(m, int(quantity.mean))
        if len(segments) > 1:
            shares = np.array([s.share for s in segments])
            seg = self._segment.choice(len(segments), size=m, p=shares / shares.sum())
        else:
            seg = np.zeros(m, dtype=np.int64)
        u = self._accept.random(m)
        patience = np.full(m, math.inf)
        max_wait = np.full(m, math.inf)
        for j, sg in enumerate(segments):
            mask = seg == j
            k = int(mask.sum())
            if sg.patience is not None:
                patience[mask] = sg.patience.sample(self._patience[j], k)
            if sg.max_wait is not None:
                max_wait[mask] = sg.max_wait.sample(self._max_wait[j], k)
        columns: list[Iterable[Any]] = [
            times[start:stop].tolist(),
            qty.astype(np.int64).tolist(),
            seg.tolist(),
            u.tolist(),
            patience.tolist(),
            max_wait.tolist(),
        ]
        if waitlist is not None or goodwill is not None:  # the long form, JOIN_U … GOODWILL_U
            if joins is not None and waitlist is not None:
                columns += [joins[0, start:stop].tolist(), joins[1, start:stop].tolist()]
                if waitlist.patience is not None:
                    columns.append(waitlist.patience.sample(self._waitlist_patience, m).tolist())
                else:
                    columns.append(itertools.repeat(math.inf, m))
            else:
                columns += [itertools.repeat(1.0, m), itertools.repeat(1.0, m), itertools.repeat(math.inf, m)]
            columns.append(self._goodwill.random(m).tolist() if goodwill is not None else itertools.repeat(0.0, m))
        return columns


FIRST_SLICE = 64
"""Customers of a block's first slice (drawn and turned into Python tuples together); each next slice doubles."""
