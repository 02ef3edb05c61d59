"""The customer source: arrival times and every per-customer random attribute.

Each customer consumes exactly one draw from each of its sources whatever the
policy (quantity, segment, acceptance, its segment's patience and maximum wait),
so customer *k* of replication *i* is the same person under every policy – the
common random numbers that make paired comparisons sharp (Law 2015, §11.2).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from supplysim.scenario import ModelConfig
from supplysim.sim.streams import Streams

__all__ = ["CustomerSource"]

Customer = tuple[float, int, int, float, float, float]
"""(arrival time, units wanted, segment index, acceptance uniform, patience, max wait)."""


class CustomerSource:
    """Generates customers in blocks: a homogeneous Poisson process of rate λ.

    Inter-arrival times are exponential with mean 1/λ (Law 2015, §8.6.1).
    """

    def __init__(self, cfg: ModelConfig, streams: Streams, block: int = 8192) -> None:
        self.cfg = cfg
        self.block = block
        self._arrivals = streams.generator("arrivals")
        self._quantity = streams.generator("quantity")
        self._segment = streams.generator("segment")
        self._accept = streams.generator("accept")
        self._patience = [streams.generator(f"patience/{s.name}") for s in cfg.segments]
        self._max_wait = [streams.generator(f"max_wait/{s.name}") for s in cfg.segments]

    def __iter__(self) -> Iterator[Customer]:
        # chain over per-block zips: iteration stays in C except once per block
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[Iterator[Customer]]:
        cfg = self.cfg
        rate = cfg.demand.rate
        quantity = cfg.demand.quantity
        segments = cfg.segments
        shares = np.array([s.share for s in segments])
        shares = shares / shares.sum()
        n = self.block
        t = 0.0
        while True:
            times = t + np.cumsum(self._arrivals.exponential(1.0 / rate, n))
            t = float(times[-1])
            qty = quantity.sample(self._quantity, n) if not quantity.is_constant else np.full(n, int(quantity.mean))
            if len(segments) > 1:
                seg = self._segment.choice(len(segments), size=n, p=shares)
            else:
                seg = np.zeros(n, dtype=np.int64)
            u = self._accept.random(n)
            patience = np.full(n, math.inf)
            max_wait = np.full(n, math.inf)
            for j, s in enumerate(segments):
                mask = seg == j
                k = int(mask.sum())
                if s.patience is not None:
                    patience[mask] = s.patience.sample(self._patience[j], k)
                if s.max_wait is not None:
                    max_wait[mask] = s.max_wait.sample(self._max_wait[j], k)
            yield zip(
                times.tolist(),
                qty.astype(np.int64).tolist(),
                seg.tolist(),
                u.tolist(),
                patience.tolist(),
                max_wait.tolist(),
                strict=True,
            )
