"""The random streams hand out the same numbers whatever the size of their refills.

``sim/streams.py`` refills a stream in blocks of growing size and ``sim/customers.py`` turns
a block of customers into Python objects in growing slices, so that a short run pays only
for what it uses. That is sound only if every law's sampler draws value after value from the
generator: ``sample(rng, a)`` then ``sample(rng, b)`` must equal one ``sample(rng, a + b)``.
These tests pin that for every law of the scenario format, and the streams' output against
one big block.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from supplysim.scenario import distributions as dists
from supplysim.sim.streams import BLOCK, FIRST_BLOCK, Streams

LAWS = [
    dists.Exponential(dist="exponential", mean=3),
    dists.Uniform(dist="uniform", low=1, high=4),
    dists.Triangular(dist="triangular", low=1, mode=2, high=5),
    dists.Normal(dist="normal", mean=5, sd=3),  # truncated at 0 (inverse CDF)
    dists.Lognormal(dist="lognormal", mean=5, sd=2),
    dists.Gamma(dist="gamma", mean=5, sd=2),
    dists.Gamma(dist="gamma", mean=5, sd=9),  # shape < 1: another rejection branch
    dists.Erlang(dist="erlang", k=3, mean=4),
    dists.Weibull(dist="weibull", shape=1.5, scale=5),
    dists.EmpiricalContinuous(dist="empirical", values=[1.0, 2.5, 7.0], weights=[1, 2, 3]),
    dists.EmpiricalContinuous(dist="empirical", values=[1.0, 2.5, 7.0]),
    dists.Poisson(dist="poisson", mean=3),
    dists.Poisson(dist="poisson", mean=40),  # the other algorithm of numpy's Poisson
    dists.Geometric(dist="geometric", mean=2.5),
    dists.Choice(dist="choice", values=[1, 2, 5], weights=[3, 1, 1]),
    dists.Choice(dist="choice", values=[1, 2, 5]),
    dists.NegativeBinomial(dist="negative_binomial", mean=4, sd=3),
]


@pytest.mark.parametrize("law", LAWS, ids=lambda law: f"{type(law).__name__}")
def test_a_sampler_draws_value_after_value(law: dists.Distribution) -> None:
    whole = law.sample(np.random.Generator(np.random.PCG64(11)), 5000)
    rng = np.random.Generator(np.random.PCG64(11))
    parts = np.concatenate([law.sample(rng, k) for k in (1, 63, 64, 128, 744, 4000)])
    assert np.array_equal(whole, parts)


@pytest.mark.parametrize("law", LAWS[:3], ids=lambda law: f"{type(law).__name__}")
def test_a_stream_gives_the_values_of_one_big_block(law: dists.Distribution) -> None:
    streams = Streams(seed=3, replication=2)
    n = 3 * BLOCK + 17  # past the growing refills and into full ones
    drawn = list(itertools.islice(streams.draws("lead_time", law), n))
    one_block = law.sample(streams.generator("lead_time"), n).tolist()
    assert drawn == one_block
    assert FIRST_BLOCK < BLOCK
