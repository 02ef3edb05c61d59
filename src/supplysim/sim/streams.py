"""Named random streams: one NumPy generator per source of randomness.

Replication *i* of every policy draws source *name* from
``SeedSequence(seed, spawn_key=(i, crc32(name)))``, so each source has its own
stream (common random numbers across policies: a policy that orders differently
never shifts the arrival or patience draws) and adding a new source never changes
the existing ones. Draws are made in blocks and handed out as Python floats.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterator

import numpy as np

from supplysim.scenario.distributions import Distribution

__all__ = ["BLOCK", "FIRST_BLOCK", "Streams"]

BLOCK = 16384
"""Draws per refill of a stream."""


class Streams:
    """Factory of the named streams of one replication."""

    def __init__(self, seed: int, replication: int, prefix: str = "") -> None:
        self.seed = seed
        self.replication = replication
        self.prefix = prefix
        """Put before every source name: a network names its sources by location (``north/arrivals``)."""

    def located(self, location: str) -> Streams:
        """The streams of one location of a network: source ``name`` becomes ``location/name``."""
        return Streams(self.seed, self.replication, f"{location}/")

    def generator(self, name: str) -> np.random.Generator:
        """The generator of source ``name`` in this replication."""
        key = zlib.crc32((self.prefix + name).encode("utf-8"))
        seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, key))
        return np.random.Generator(np.random.PCG64(seq))

    def draws(self, name: str, dist: Distribution, block: int = BLOCK) -> Iterator[float]:
        """An endless iterator of draws of ``dist`` from source ``name``."""
        if getattr(dist, "is_constant", False):
            return itertools.repeat(float(dist.mean))
        # chain over per-block lists: ``next`` stays in C except once per block
        return itertools.chain.from_iterable(_blocks(dist, self.generator(name), block))


FIRST_BLOCK = 64
"""Draws of a stream's first refill; each refill doubles, up to ``block`` (a short run pays for
the few draws it uses, not for a whole block per source)."""


def _blocks(dist: Distribution, rng: np.random.Generator, block: int) -> Iterator[list[float]]:
    """Refills of growing size. The numbers do not depend on the sizes: every law's sampler
    draws value after value from the generator, so ``sample(rng, a)`` then ``sample(rng, b)``
    gives the values of one ``sample(rng, a + b)`` (tests/test_streams.py pins this for each law)."""
    size = min(FIRST_BLOCK, block)
    while True:
        yield dist.sample(rng, size).tolist()
        size = min(2 * size, block)
