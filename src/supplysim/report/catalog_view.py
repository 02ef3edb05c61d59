"""What the catalog's page and figures read: a finished catalog folder's data, as typed records.

The page never runs the model: everything it shows comes from the files of the run
(``recommendations.csv``, ``portfolio.json`` and the resolved template ``scenario.yaml``; their
formats are in ``docs/catalog.md``). :func:`read_catalog` reads a folder; a writer that already
holds the data builds a :class:`CatalogView` with :func:`view_of`.

Pure apart from :func:`read_catalog`'s reading: no pandas. ``recommendations.csv`` is read once,
row by row, into what the page shows — tallies by class, best policy and tied; the
:data:`MAX_TABLE_ROWS` rows of largest gain; the top products' rows; at most
:data:`MAX_FIGURE_POINTS` dots as float columns — so the view's size is bounded in the number of
products: a row's record is dropped once it is counted unless it is one of those kept.
"""

from __future__ import annotations

import csv
import heapq
import json
import math
import random
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from supplysim.scenario import Scenario
from supplysim.scenario.load import load_scenario

__all__ = [
    "MAX_FIGURE_POINTS",
    "MAX_TABLE_ROWS",
    "TOP_FALLBACK",
    "CatalogView",
    "Gain",
    "Points",
    "Recommendation",
    "gain_key",
    "iter_recommendations",
    "read_catalog",
    "recommendations_from_csv",
    "view_of",
]

MAX_TABLE_ROWS = 5000
"""The page's table shows at most this many products (those with the largest gain over the
baseline); every product is in ``recommendations.csv``. A page of 20,000 rows would weigh
megabytes and sort slowly in a browser."""

MAX_FIGURE_POINTS = 5000
"""The revenue figure draws at most this many products; beyond, a uniform sample of them (seeded
by :data:`POINTS_SEED`, so the same file gives the same figure). Each dot is an interval drawn by
matplotlib as its own path, so the figure's memory and drawing time grow with its dots."""

POINTS_SEED = 20261202
"""The seed of the revenue figure's sample."""

TOP_FALLBACK = 10
"""How many products "where the choice matters most" lists when ``portfolio.json`` has no
``top_products`` (the largest positive gains)."""


def _float(text: str | None) -> float:
    """A number of the files: full precision, an empty cell is undefined (NaN)."""
    if text is None or not text.strip():
        return math.nan
    return float(text)


def _int(text: str | None) -> int | None:
    return None if text is None or not text.strip() else int(float(text))


@dataclass(frozen=True)
class Gain:
    """A difference signed as an improvement (positive = better) with its 95% interval [objective's unit]."""

    diff: float
    low: float
    high: float

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> Gain:
        """From ``{"diff"|"total": …, "ci95_low": …, "ci95_high": …}`` (undefined parts NaN)."""
        data = data or {}
        value = data.get("diff", data.get("total"))

        def num(x: Any) -> float:
            return float(x) if isinstance(x, int | float) else math.nan

        return cls(num(value), num(data.get("ci95_low")), num(data.get("ci95_high")))

    @property
    def defined(self) -> bool:
        return math.isfinite(self.diff)

    @property
    def real(self) -> bool:
        """True when the interval excludes 0 (a decided difference)."""
        return math.isfinite(self.low) and math.isfinite(self.high) and (self.low > 0 or self.high < 0)

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2 if math.isfinite(self.low) and math.isfinite(self.high) else math.nan


@dataclass(frozen=True)
class Recommendation:
    """One row of ``recommendations.csv`` (the decision for one product)."""

    sku: str
    name: str
    klass: str
    """The ABC class (given in the table or computed from revenue)."""
    best: str
    """The best policy; empty when no policy meets the constraints (``status`` infeasible)."""
    objective: float
    """The best policy's mean objective [the objective's unit]."""
    gain: Gain
    """best − baseline on the objective, signed as an improvement, with its paired 95% interval."""
    runner_up: str
    vs_runner_up: Gain
    """best − runner-up, signed as an improvement, with its paired 95% interval."""
    tied: bool
    """True when the best is not distinguishable from the runner-up with these replications."""
    status: str
    to_resolve: int | None
    """About how many replications would separate the best from the runner-up (None: no finite number)."""
    revenue: float
    """Mean revenue under the baseline policy [money]."""
    replications: int | None
    note: str

    @property
    def label(self) -> str:
        """The name when the table has one, else the sku."""
        return self.name or self.sku


def iter_recommendations(lines: Iterable[str]) -> Iterator[Recommendation]:
    """The rows of ``recommendations.csv`` (its text, line by line), one at a time in table order."""
    for row in csv.DictReader(lines):
        yield Recommendation(
            sku=row["sku"],
            name=row.get("name") or "",
            klass=row.get("class") or "",
            best=row.get("best_policy") or "",
            objective=_float(row.get("objective")),
            gain=Gain(_float(row.get("gain_vs_baseline")), _float(row.get("ci95_low")), _float(row.get("ci95_high"))),
            runner_up=row.get("runner_up") or "",
            vs_runner_up=Gain(
                _float(row.get("runner_up_diff")),
                _float(row.get("runner_up_ci95_low")),
                _float(row.get("runner_up_ci95_high")),
            ),
            tied=(row.get("tied") or "").strip().lower() == "true",
            status=row.get("status") or "ok",
            to_resolve=_int(row.get("replications_to_resolve")),
            revenue=_float(row.get("revenue")),
            replications=_int(row.get("replications")),
            note=row.get("note") or "",
        )


def recommendations_from_csv(lines: Iterable[str]) -> list[Recommendation]:
    """Every row of ``recommendations.csv`` as a list (a small table; the page streams it instead)."""
    return list(iter_recommendations(lines))


def gain_key(r: Recommendation) -> float:
    """The order of the table's cap and of the fallback top list: the gain over the baseline,
    an undefined (or infinite) gain last."""
    return r.gain.diff if math.isfinite(r.gain.diff) else -math.inf


@dataclass(frozen=True)
class Points:
    """The revenue figure's dots as columns (one entry per drawn product, in table order).

    ``group`` indexes :attr:`groups` (a ``(best policy, tied)`` pair). Only products with a best
    policy, a finite gain and a positive revenue are drawn."""

    revenue: np.ndarray
    gain: np.ndarray
    below: np.ndarray
    """gain − interval's low end (0 when the low end is undefined) [the objective's unit]."""
    above: np.ndarray
    """interval's high end − gain (0 when undefined)."""
    group: np.ndarray
    groups: tuple[tuple[str, bool], ...]
    eligible: int
    """How many products could be drawn; more than ``len(revenue)`` when the dots are a sample."""

    @property
    def sampled(self) -> bool:
        return self.eligible > len(self.revenue)

    def of(self, policy: str, tied: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(revenue, gain, below, above) of the dots of one group, in table order."""
        try:
            code = self.groups.index((policy, tied))
        except ValueError:
            empty = np.empty(0)
            return empty, empty, empty, empty
        mask = self.group == code
        return self.revenue[mask], self.gain[mask], self.below[mask], self.above[mask]


class _Accumulator:
    """What the page needs of ``recommendations.csv``, gathered row by row in bounded memory:
    tallies by (class, best policy, tied), the ``keep`` rows of largest gain (for the table), the
    rows of the portfolio's top products (or the :data:`TOP_FALLBACK` largest positive gains), and
    at most ``max_points`` dots for the revenue figure (a uniform sample, seeded, beyond that)."""

    def __init__(self, top_skus: Iterable[str], keep: int, max_points: int) -> None:
        self.products = 0
        self.tallies: Counter[tuple[str, str, bool]] = Counter()
        self.any_revenue = False
        self._keep = keep
        self._table: list[tuple[float, int, Recommendation]] = []
        self._fallback: list[tuple[float, int, Recommendation]] = []
        self._top_skus = frozenset(top_skus)
        self.top: dict[str, Recommendation] = {}
        self._max_points = max_points
        self._columns = [array("d") for _ in range(4)]
        self._group = array("i")
        self._index = array("q")
        self._groups: dict[tuple[str, bool], int] = {}
        self._eligible = 0
        self._rng = random.Random(POINTS_SEED)

    def add(self, r: Recommendation) -> None:
        i = self.products
        self.products += 1
        self.tallies[(r.klass, r.best, r.tied)] += 1
        self.any_revenue = self.any_revenue or r.revenue > 0
        # the table's cap: the largest gains, ties to the earlier row (a stable sort's top)
        item = (gain_key(r), -i, r)
        if len(self._table) < self._keep:
            heapq.heappush(self._table, item)
        elif self._keep:
            heapq.heappushpop(self._table, item)
        if math.isfinite(r.gain.diff) and r.gain.diff > 0:
            item = (r.gain.diff, -i, r)
            if len(self._fallback) < TOP_FALLBACK:
                heapq.heappush(self._fallback, item)
            else:
                heapq.heappushpop(self._fallback, item)
        if r.sku in self._top_skus:
            self.top[r.sku] = r
        if r.best and r.revenue > 0 and math.isfinite(r.gain.diff):
            self._point(i, r)

    def _point(self, i: int, r: Recommendation) -> None:
        g = r.gain
        values = (
            r.revenue,
            g.diff,
            g.diff - g.low if math.isfinite(g.low) else 0.0,
            g.high - g.diff if math.isfinite(g.high) else 0.0,
        )
        code = self._groups.setdefault((r.best, r.tied), len(self._groups))
        seen = self._eligible
        self._eligible += 1
        if seen < self._max_points:
            for column, v in zip(self._columns, values, strict=True):
                column.append(v)
            self._group.append(code)
            self._index.append(i)
            return
        slot = self._rng.randrange(seen + 1)  # Algorithm R: every product kept with the same chance
        if slot < self._max_points:
            for column, v in zip(self._columns, values, strict=True):
                column[slot] = v
            self._group[slot] = code
            self._index[slot] = i

    def rows(self) -> tuple[Recommendation, ...]:
        """The kept rows, in table order."""
        return tuple(r for _, _, r in sorted(self._table, key=lambda t: -t[1]))

    def fallback(self) -> tuple[Recommendation, ...]:
        """The largest positive gains, largest first (ties in table order)."""
        return tuple(r for _, _, r in sorted(self._fallback, reverse=True))

    def points(self) -> Points:
        order = np.argsort(np.frombuffer(self._index, dtype=np.int64), kind="stable")
        revenue, gain, below, above = (np.frombuffer(c, dtype=np.float64)[order] for c in self._columns)
        group = np.frombuffer(self._group, dtype=np.intc)[order]
        groups = tuple(sorted(self._groups, key=self._groups.__getitem__))
        return Points(revenue, gain, below, above, group, groups, self._eligible)


@dataclass(frozen=True)
class CatalogView:
    """A finished catalog run as the page sees it: the portfolio, the template, and what the page
    needs of ``recommendations.csv`` (tallies, a bounded set of rows and the figure's dots), so
    that its size does not grow with the number of products."""

    products: int
    """How many rows ``recommendations.csv`` has."""
    tallies: Mapping[tuple[str, str, bool], int]
    """Products by (ABC class, best policy — empty when infeasible —, tied)."""
    rows: tuple[Recommendation, ...]
    """The rows of the largest gain over the baseline (at most the ``keep`` of :func:`read_catalog`;
    every row of a smaller catalog), in table order."""
    top: Mapping[str, Recommendation]
    """The rows of the portfolio's ``top_products``, by sku."""
    fallback_top: tuple[Recommendation, ...]
    """The :data:`TOP_FALLBACK` largest positive gains, largest first (when ``top_products`` is missing)."""
    points: Points
    any_revenue: bool
    """True when some product has a positive revenue."""
    portfolio: Mapping[str, Any]
    """``portfolio.json`` as parsed."""
    scenario: Scenario
    """The resolved template (names, currency, time unit, what each policy changes)."""

    @property
    def best_counts(self) -> Counter[str]:
        """Products by best policy (infeasible ones left out)."""
        out: Counter[str] = Counter()
        for (_, best, _), n in self.tallies.items():
            if best:
                out[best] += n
        return out

    @property
    def infeasible(self) -> int:
        return sum(n for (_, best, _), n in self.tallies.items() if not best)

    @property
    def tied(self) -> int:
        return sum(n for (_, _, tied), n in self.tallies.items() if tied)

    def class_count(self, klass: str) -> int:
        return sum(n for (c, _, _), n in self.tallies.items() if c == klass)

    def tally(self, klass: str | None = None) -> dict[tuple[str, bool], int]:
        """Products (of one class, or all) by best policy and tied: ``{(policy, tied): n}``; those
        without a feasible policy count under ``("infeasible", False)``."""
        out: Counter[tuple[str, bool]] = Counter()
        for (c, best, tied), n in self.tallies.items():
            if klass is None or c == klass:
                out[(best, tied) if best else ("infeasible", False)] += n
        return dict(out)

    @property
    def objective(self) -> str:
        return str(self.portfolio.get("objective", "profit"))

    @property
    def higher_is_better(self) -> bool:
        return bool(self.portfolio.get("better", "higher") != "lower")

    @property
    def policies(self) -> list[str]:
        listed = self.portfolio.get("policies")
        return [str(p) for p in listed] if isinstance(listed, list) and listed else list(self.scenario.policies)

    @property
    def baseline(self) -> str:
        return str(self.portfolio.get("baseline", self.scenario.baseline))

    @property
    def replications(self) -> int:
        value = self.portfolio.get("replications")
        return int(value) if isinstance(value, int) else self.scenario.replications

    @property
    def top_skus(self) -> list[str]:
        """The skus of the portfolio's ``top_products``, in its order."""
        return _top_skus(self.portfolio)

    @property
    def classes(self) -> list[str]:
        """The ABC classes present, in order (``A``, ``B``, ``C`` first, others after by name)."""
        seen = {c for (c, _, _) in self.tallies if c}
        listed = self.portfolio.get("classes")
        if isinstance(listed, Mapping):
            seen |= {str(c) for c in listed}
        return sorted(seen, key=lambda c: (c not in ("A", "B", "C"), c))

    def gain_over(self, policy: str, *, untied: bool = False) -> Gain:
        """The per-product choice minus ``policy`` for every product, on the objective (signed as a gain)."""
        table = self.portfolio.get("gain_untied" if untied else "gain") or {}
        return Gain.of(table.get(policy) if isinstance(table, Mapping) else None)

    def class_gain(self, klass: str) -> Gain:
        """The class's total gain of the choice over the baseline, with its interval."""
        classes = self.portfolio.get("classes") or {}
        entry = classes.get(klass) if isinstance(classes, Mapping) else None
        return Gain.of(entry.get("gain_vs_baseline") if isinstance(entry, Mapping) else None)

    def total(self, which: str, kpi: str | None = None) -> Gain:
        """``totals[which][kpi]`` (``which`` a policy or ``chosen``) as a value with its interval."""
        totals = self.portfolio.get("totals") or {}
        entry = totals.get(which) if isinstance(totals, Mapping) else None
        return Gain.of(entry.get(kpi or self.objective) if isinstance(entry, Mapping) else None)


def _top_skus(portfolio: Mapping[str, Any]) -> list[str]:
    listed = portfolio.get("top_products")
    return [str(t.get("sku")) for t in listed if isinstance(t, Mapping)] if isinstance(listed, list) else []


def view_of(
    recommendations: Iterable[Recommendation],
    portfolio: Mapping[str, Any],
    scenario: Scenario,
    *,
    keep: int = MAX_TABLE_ROWS,
    max_points: int = MAX_FIGURE_POINTS,
) -> CatalogView:
    """The view of rows given one at a time (any iterable: it is read once and not kept)."""
    acc = _Accumulator(_top_skus(portfolio), keep, max_points)
    for r in recommendations:
        acc.add(r)
    return CatalogView(
        products=acc.products,
        tallies=dict(acc.tallies),
        rows=acc.rows(),
        top=acc.top,
        fallback_top=acc.fallback(),
        points=acc.points(),
        any_revenue=acc.any_revenue,
        portfolio=dict(portfolio),
        scenario=scenario,
    )


def read_catalog(folder: str | Path, *, keep: int = MAX_TABLE_ROWS, max_points: int = MAX_FIGURE_POINTS) -> CatalogView:
    """The data of a finished catalog folder (``recommendations.csv``, ``portfolio.json``, ``scenario.yaml``);
    ``recommendations.csv`` is read once, row by row, keeping at most ``keep`` rows and ``max_points`` dots."""
    folder = Path(folder)
    portfolio = json.loads((folder / "portfolio.json").read_text(encoding="utf-8"))
    scenario = load_scenario(folder / "scenario.yaml")
    with open(folder / "recommendations.csv", encoding="utf-8", newline="") as fh:
        return view_of(iter_recommendations(fh), portfolio, scenario, keep=keep, max_points=max_points)
