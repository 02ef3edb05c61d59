"""The limits of the reader: how large a scenario, a data file or a list may be.

Each bound is far above anything a real scenario needs and far below what would
make validation hang or exhaust memory; crossing one is a located error with a
hint, never a slow failure. Documented in ``docs/limits.md``.
"""

from __future__ import annotations

__all__ = [
    "DURATION_MULTIPLE",
    "MAX_ALIASES",
    "MAX_CUSTOMERS",
    "MAX_CV",
    "MAX_DEPTH",
    "MAX_EVENTS",
    "MAX_EXCERPT",
    "MAX_FILE_BYTES",
    "MAX_FINALISTS",
    "MAX_GRID_POINTS",
    "MAX_GRID_VALUES",
    "MAX_NAME",
    "MAX_NODES",
    "MAX_NUMBER",
    "MAX_OUTAGES",
    "MAX_POLICIES",
    "MAX_REPLICATIONS",
    "MAX_REVIEWS",
    "MAX_SEGMENTS",
    "MAX_SERVERS",
    "MAX_SUPPLIERS",
    "MAX_TEXT",
    "MAX_UNITS",
    "MAX_VALUES",
    "MAX_WINDOWS",
    "MAX_WORK",
    "MAX_WORKERS",
]

MAX_FILE_BYTES = 10_000_000
"""Largest scenario or data (CSV) file [bytes], 10 MB: a year of daily data is a few kB."""

MAX_DEPTH = 50
"""Deepest nesting of mappings and lists; the format itself needs at most 8 levels."""

MAX_ALIASES = 1_000
"""Most alias references (``*name``) in one YAML document."""

MAX_NODES = 250_000
"""Most values (scalars, mappings and lists, aliases expanded) in one YAML document:
stops an alias bomb ("billion laughs") before it is built."""

MAX_VALUES = 100_000
"""Most ``values`` (and ``weights``) of an empirical or choice distribution, inline or from a CSV."""

MAX_POLICIES = 100
"""Most policies of a scenario."""

MAX_SEGMENTS = 100
"""Most customer segments."""

MAX_SUPPLIERS = 100
"""Most suppliers under ``suppliers:``."""

MAX_EVENTS = 1_000
"""Most demand events."""

MAX_WINDOWS = 1_000
"""Most fixed outage windows of one supplier."""

MAX_NAME = 100
"""Longest name (scenario, policy, segment, supplier, event) or ``time_unit`` [characters]."""

MAX_TEXT = 10_000
"""Longest ``description`` [characters]."""

MAX_EXCERPT = 60
"""Longest excerpt of a file's content or a value that a message quotes [characters]."""


# --------------------------------------------------------------------------- the model's numbers
# Documented in docs/limits.md: every bound, and why.

MAX_NUMBER = 1e15
"""Largest magnitude of any number of a scenario (prices, costs, rates, durations, seeds):
far above any real input, and far enough below the largest double (~1.8e308) that sums of
a run (money × units × customers ≤ 1e15 · 1e9 · 1e9 = 1e33) stay finite and exact enough."""

MAX_UNITS = 10**9
"""Largest number of units (stock levels, order quantities, reorder points, demand sizes,
``max_backorders``): sums over a run (≤ 1e9 customers × 1e9 units = 1e18) stay inside the
64-bit integers of NumPy (9.2e18)."""

MAX_SERVERS = 10_000
"""Most ``servers`` of a supplier: each is a SimPy resource slot; more than a few hundred
parallel orders is the same as "unlimited" (omit the key)."""

MAX_REPLICATIONS = 100_000
"""Most replications of a run (``replications:``, ``--replications``, ``--max-replications``):
the confidence interval's half-width shrinks as 1/√n, so 100,000 replications already give
~300 times the precision of 10; more only builds tasks for hours."""

MAX_CV = 10.0
"""Largest coefficient of variation sd/mean of a parametric distribution (gamma, lognormal,
Weibull, negative binomial, …): beyond it almost every draw underflows to 0 (a gamma of
shape 1/cv² = 0.01 draws below 1e-30 half of the time) and the rare rest dominates the
mean, so no run of sensible length estimates anything."""

DURATION_MULTIPLE = 1_000.0
"""A supplier's lead time and outage times (means and sds) are at most this many times the
run (warmup + horizon): an order with a longer expected lead time never arrives within a
replication, an outage longer than that never ends."""

MAX_CUSTOMERS = 1e9
"""Most expected candidate arrivals of a replication, peak rate λ* × (warmup + horizon) (the
thinning draws at the peak rate of the profile: weekly, seasonal, events and trend included)."""

MAX_REVIEWS = 1e8
"""Most periodic reviews of a replication, (warmup + horizon) / review_period."""

MAX_OUTAGES = 1e6
"""Most expected random outage cycles of a supplier in a replication,
(warmup + horizon) / (mean up time + mean outage)."""


# --------------------------------------------------------------------------- the experiments
# The options of sweep, optimize and compare, and the total work of a command (docs/limits.md).

MAX_GRID_VALUES = 10_000
"""Most values of one swept or searched key (``--param``, ``--over``, ``sweep:``): a range
is refused before its values are listed, so ``--over x=0:10**30`` costs nothing."""

MAX_GRID_POINTS = 10_000
"""Most points of a grid (the full factorial of every ``--param``; of ``optimize``'s coarse
grid): each point is a scenario, validated and run for every policy."""

MAX_FINALISTS = 100
"""Most ``--finalists`` of ``optimize`` and ``compare``: the selection's simultaneous
intervals (Bonferroni over the finalists) widen with their number, and 5 is the default."""

MAX_WORK = 1e11
"""Most expected customers of one command, over every point × policy × replication (each
replication counted at its peak rate, like :data:`MAX_CUSTOMERS`): at a few µs per customer
(``docs/performance.md``) that is about a week of one core's time."""

MAX_WORKERS = 1_024
"""Most ``--workers``: each is a process (tens of MB); more than the machine's cores only waits."""
