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


# --------------------------------------------------------------------------- customers

CUSTOMER_MODELS = {
    "two segments": """
        name: two
        horizon: 40
        demand: {rate: 3, quantity: {dist: choice, values: [1, 2, 4], weights: [5, 3, 2]}}
        segments:
          - {name: planner, share: 0.6, accept_backorder: 0.9, max_wait: 21, patience: {dist: exponential, mean: 14}}
          - {name: impulse, share: 0.4, accept_backorder: 0.3, patience: {dist: gamma, mean: 3, cv: 0.5}}
        supplier: {lead_time: 2}
        replenishment: {policy: base_stock, level: 5}
    """,
    "one segment, numbers": """
        name: one
        horizon: 40
        demand: {rate: 3, quantity: 2}
        segments:
          - {name: all, share: 1, accept_backorder: 0.5, max_wait: 4, patience: 6}
        supplier: {lead_time: 2}
        replenishment: {policy: base_stock, level: 5}
    """,
}


def _reference_customers(text: str, n: int) -> list[tuple[object, ...]]:
    """The first ``n`` customers as one big draw per named stream would make them (the short form,
    a stationary demand): the definition :class:`CustomerSource` must reproduce."""
    import textwrap

    from supplysim.scenario.load import parse_scenario

    sc = parse_scenario(textwrap.dedent(text), file="<test>")
    cfg = sc.policies[sc.baseline]
    streams = Streams(5, 1)
    times = np.cumsum(streams.generator("arrivals").exponential(1.0 / cfg.demand.rate, 8192))[:n]
    q = cfg.demand.quantity
    qty = q.sample(streams.generator("quantity"), n) if not q.is_constant else np.full(n, int(q.mean))
    shares = np.array([s.share for s in cfg.segments])
    seg = (
        streams.generator("segment").choice(len(shares), size=n, p=shares / shares.sum())
        if len(shares) > 1
        else np.zeros(n, dtype=np.int64)
    )
    u = streams.generator("accept").random(n)
    patience, max_wait = np.full(n, np.inf), np.full(n, np.inf)
    for j, s in enumerate(cfg.segments):
        mask = seg == j
        if s.patience is not None:
            patience[mask] = s.patience.sample(streams.generator(f"patience/{s.name}"), int(mask.sum()))
        if s.max_wait is not None:
            max_wait[mask] = s.max_wait.sample(streams.generator(f"max_wait/{s.name}"), int(mask.sum()))
    columns = [times, qty.astype(np.int64), seg, u, patience, max_wait]
    return list(zip(*(c.tolist() for c in columns), strict=True))


@pytest.mark.parametrize("name", list(CUSTOMER_MODELS))
@pytest.mark.parametrize("end", [0.5, 60.0, 450.0])
def test_customers_are_those_of_one_big_draw_per_stream(name: str, end: float) -> None:
    """Customers drawn in slices (the first up to ``end``, then growing), with generators made on
    first use and numbers without a stream, equal one big draw of every stream; read past
    ``end`` too."""
    import textwrap

    from supplysim.scenario.load import parse_scenario
    from supplysim.sim.customers import CustomerSource

    text = CUSTOMER_MODELS[name]
    sc = parse_scenario(textwrap.dedent(text), file="<test>")
    n = 1500
    drawn = list(itertools.islice(CustomerSource(sc.policies[sc.baseline], Streams(5, 1), end), n))
    reference = _reference_customers(text, n)
    assert [repr(c) for c in drawn] == [repr(c) for c in reference]
    assert sum(c[0] < end for c in drawn) < n  # the run's end falls inside what was compared


@pytest.mark.parametrize("end", [0.0, 3.0, 40.0, 300.0])
def test_stationary_arrivals_in_pieces_are_the_whole_blocks(end: float) -> None:
    """A stationary block drawn in pieces (the first sized by ``end``) holds the times of the whole
    block, to the last bit, across several blocks."""
    from supplysim.scenario.specs import Demand
    from supplysim.sim.arrivals import arrival_blocks

    demand = Demand(rate=2.7, quantity=1)
    block = 256
    whole = arrival_blocks(demand, end, Streams(4, 2).generator("arrivals"), None, block)
    pieces = arrival_blocks(demand, end, Streams(4, 2).generator("arrivals"), None, block, pieces=True)
    expected = np.concatenate(list(itertools.islice(whole, 4)))
    got: list[np.ndarray] = []
    while sum(len(p) for p in got) < len(expected):
        got.append(next(pieces))
    assert len(got) > 4  # it did come in pieces
    assert np.array_equal(np.concatenate(got)[: len(expected)], expected)
    assert sum(len(p) for p in got) == len(expected)  # the pieces end where the blocks end
