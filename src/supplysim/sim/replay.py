"""Customers drawn once per replication and replayed to each policy that draws the same ones.

The streams are named per source (:mod:`supplysim.sim.streams`), so replication *i* of every
policy whose customer sections are equal – the demand (arrival process, quantity, goodwill),
the segments and the store's waitlist – draws the same customers, tuple for tuple
(:mod:`supplysim.sim.customers`). A :class:`CustomerReplay` keeps the customers of the last
replication it drew, up to the first one at or after the run's end (where a run stops
reading), and hands the same list to the next policy of that replication instead of drawing
them again. Drawing is a large share of a short run (about a third of a 210-day replication
of 420 customers), so every policy after the first saves most of it.

Memory is bounded: only a replication expecting at most :data:`REPLAY_CUSTOMERS` customers is
kept (one replication at a time), and one that turns out to hold more than twice as many
(:attr:`CustomerReplay.limit`) is handed on as drawn, not kept; the others are drawn as
before. The numbers are the same either way (tests/test_replay.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from supplysim.scenario import ModelConfig
from supplysim.sim.customers import TIME, Customer, CustomerSource
from supplysim.sim.streams import Streams

__all__ = ["REPLAY_CUSTOMERS", "CustomerReplay"]

REPLAY_CUSTOMERS = 20_000.0
"""Most expected customers of a replication whose customers are kept [customers]: about
200 bytes each (short form), so at most a few megabytes, whatever the horizon."""


def _draws_of(cfg: ModelConfig) -> tuple[Any, ...]:
    """Everything of ``cfg`` the customer source reads: two models with equal sections draw the
    same customers from the same streams (frozen models compare by value)."""
    return (cfg.demand, cfg.segments, cfg.store.waitlist)


class CustomerReplay:
    """The customers of the last replication drawn (see the module docstring); not shared
    between threads."""

    def __init__(self, cap: float = REPLAY_CUSTOMERS, limit: float | None = None) -> None:
        self.cap = cap
        """Most expected customers of a replication that is kept [customers]."""
        self.limit = 2 * cap if limit is None else limit
        """Most customers kept: a replication that holds more is handed on as drawn [customers]."""
        self._key: tuple[Any, ...] | None = None
        self._draws: tuple[Any, ...] | None = None
        self._customers: list[Customer] = []
        self.replayed = 0
        """Replications handed on from the kept list (for tests)."""

    def customers(self, cfg: ModelConfig, streams: Streams, end: float) -> Iterable[Customer]:
        """The customers of model ``cfg`` in the replication of ``streams`` for a run that ends
        at ``end``: the kept ones when the last replication drawn is this one with the same
        customer sections, else drawn (and kept when small enough)."""
        key = (streams.seed, streams.replication, streams.prefix, end)
        draws = _draws_of(cfg)
        if key == self._key and draws == self._draws:
            self.replayed += 1
            return self._customers
        self._key = self._draws = None
        self._customers = []
        source = CustomerSource(cfg, streams, end)
        if cfg.demand.peak_rate(end) * end > self.cap:
            return source
        kept, rest = self._kept(source, end)
        if rest is not None:
            return itertools.chain(kept, rest)
        self._key, self._draws, self._customers = key, draws, kept
        return kept

    def _kept(self, source: CustomerSource, end: float) -> tuple[list[Customer], Iterable[Customer] | None]:
        """The customers of ``source`` up to the first at or after ``end``, slice by slice (a
        block's first slice ends there, :meth:`CustomerSource.slices`), and None; or, past
        :attr:`limit` customers, those read so far and the rest of the source."""
        kept: list[Customer] = []
        parts = source.slices()
        for part in parts:
            kept.extend(part)
            if len(kept) > self.limit:
                return kept, itertools.chain.from_iterable(parts)
            if kept and kept[-1][TIME] >= end:
                return kept, None
        raise AssertionError("a customer source never ends")  # pragma: no cover
