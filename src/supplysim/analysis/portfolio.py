"""The portfolio of a catalog: what one product's run leaves (:class:`ProductSummary`), and
totals over products with their intervals (``docs/catalog.md``, "The portfolio").

Products are independent given their random streams, so the variance of a total of
per-product means is the sum of the variances of the means, Var(Σᵢ X̄ᵢ) = Σᵢ sᵢ²/nᵢ; the
interval uses Student's t with the Welch–Satterthwaite degrees of freedom
ν = (Σ vᵢ)² / Σ vᵢ²/(nᵢ − 1), vᵢ = sᵢ²/nᵢ (Satterthwaite 1946; Law 2015, §10.2.2).
Everything here is a pure function of the summaries, which hold no per-replication values.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from supplysim.analysis.intervals import t_quantile
from supplysim.analysis.kpis import Unit, json_number, lookup

__all__ = [
    "ABC_SHARES",
    "TOP_PRODUCTS",
    "PortfolioBuilder",
    "ProductSummary",
    "Stat",
    "Total",
    "abc_classes",
    "abc_codes",
    "additive",
    "cell",
]

ABC_SHARES = (0.80, 0.95)
"""Cumulative revenue shares that close classes A and B (the Pareto 80/15/5 convention)."""

TOP_PRODUCTS = 10
"""How many products ``top_products`` lists: those whose best policy is not the baseline, the
decided ones (not tied) first, each group by largest gain vs the baseline (ties in table order): a
large gain within the noise does not outrank a smaller one the intervals confirm."""


def additive(kpi: str) -> bool:
    """True when an indicator adds up over products: money, units, counts, and their rates per
    time unit (not a share or a duration)."""
    return lookup(kpi).unit not in (Unit.FRACTION, Unit.TIME)


@dataclass(frozen=True)
class Stat:
    """An indicator's mean over a product's replications: mean, sd (n − 1), 95% half-width, n."""

    mean: float
    sd: float
    half_width: float
    n: int

    @property
    def var_mean(self) -> float:
        """Variance of the mean, sd²/n (0 for a constant; NaN when n < 2)."""
        return self.sd**2 / self.n if self.n > 1 and math.isfinite(self.sd) else math.nan


@dataclass
class Total:
    """A running total Σᵢ X̄ᵢ of independent means, and its 95% interval."""

    total: float = 0.0
    var: float = 0.0
    """Σ sᵢ²/nᵢ."""
    df_denominator: float = 0.0
    """Σ (sᵢ²/nᵢ)² / (nᵢ − 1), for the Welch–Satterthwaite degrees of freedom."""
    terms: int = 0
    undefined: int = 0
    """Products whose mean or variance is undefined (left out of the total)."""

    def add(self, mean: float, var_mean: float, n: int) -> None:
        """Add one product's mean ``mean`` with variance of the mean ``var_mean`` over ``n`` replications."""
        if not (math.isfinite(mean) and math.isfinite(var_mean)) or n < 2:
            self.undefined += 1
            return
        self.total += mean
        self.var += var_mean
        self.df_denominator += var_mean**2 / (n - 1)
        self.terms += 1

    @property
    def df(self) -> float:
        """Welch–Satterthwaite degrees of freedom (∞ when every variance is 0)."""
        return self.var**2 / self.df_denominator if self.df_denominator > 0 else math.inf

    @property
    def half_width(self) -> float:
        """t_{0.975, ν} · √(Σ sᵢ²/nᵢ) (NaN for an empty total)."""
        if self.terms == 0:
            return math.nan
        if self.var == 0:
            return 0.0
        return t_quantile(0.975, self.df) * math.sqrt(self.var)

    def document(self, key: str = "total") -> dict[str, Any]:
        """``{key, ci95_low, ci95_high}`` (JSON: undefined numbers are null)."""
        hw = self.half_width
        if self.terms == 0:
            return {key: None, "ci95_low": None, "ci95_high": None}
        return {
            key: json_number(self.total),
            "ci95_low": json_number(self.total - hw),
            "ci95_high": json_number(self.total + hw),
        }


def _float(x: Any) -> float:
    return math.nan if x is None else float(x)


def cell(x: float | None) -> str:
    """A number as a cell of the catalog's CSV files: full precision (``repr``); an undefined one
    (None, NaN, ±∞) as an empty cell."""
    return "" if x is None or not math.isfinite(x) else repr(float(x))


@dataclass(frozen=True)
class ProductSummary:
    """What one product's run leaves: its indicators' summaries per policy and its decision
    (one line of the journal; no per-replication values)."""

    sku: str
    row: int
    labels: tuple[str, str, str]
    """name, description, class (as given in the table)."""
    seed: int
    replications: int
    kpis: dict[str, dict[str, Stat]]
    """policy → indicator → summary, policies in template order."""
    best: str | None
    chosen: str
    runner_up: str | None
    tied: bool
    gain: tuple[float, float, float]
    """The best's gain over the baseline: diff, ci95_low, ci95_high (signed: positive is better)."""
    runner_up_gap: tuple[float, float, float] | None
    """Best − runner-up, signed as a gain, with its interval; None without a runner-up."""
    needed: int | None
    """About how many replications would separate best and runner-up (None: no finite number)."""
    vs: dict[str, tuple[float, float, int]]
    """policy → (mean, variance of the mean, n) of the signed paired difference chosen − policy."""
    note: str
    objective_kpi: str
    confirmed: dict[str, tuple[float, float, int]] | None = None
    """Like :attr:`vs`, on fresh replications (``--confirm-replications``): free of the
    selection bias of choosing and measuring on the same replications; None without them."""
    diagnoses: tuple[str, ...] = ()
    """The kinds of the notes :func:`~supplysim.analysis.diagnostics.diagnose` finds on the
    product's experiment (:class:`~supplysim.analysis.diagnostics.NoteKind` values), as a run
    of the product alone would print them."""

    @property
    def baseline(self) -> str:
        return next(iter(self.kpis))

    @property
    def status(self) -> str:
        return "ok" if self.best is not None else "infeasible"

    def mean(self, policy: str, kpi: str) -> float:
        stat = self.kpis[policy].get(kpi)
        return stat.mean if stat is not None else math.nan

    @property
    def revenue(self) -> float:
        """Mean revenue under the baseline policy (the ABC classes' measure)."""
        return self.mean(self.baseline, "revenue")

    def table_rows(self, kpis: Sequence[str]) -> Iterator[tuple[str, str, str, str, str, int]]:
        """The product's rows of ``catalog.csv``: ``(sku, policy, kpi, mean, ci95_half_width, n)`` for
        each policy (template order) and each of ``kpis`` it reports (in the order of ``kpis``)."""
        for policy, stats in self.kpis.items():
            for kpi in kpis:
                st = stats.get(kpi)
                if st is not None:
                    yield self.sku, policy, kpi, cell(st.mean), cell(st.half_width), st.n

    def to_json(self) -> dict[str, Any]:
        """The journal line (JSON: NaN as null)."""
        return {
            "sku": self.sku,
            "row": self.row,
            "labels": list(self.labels),
            "seed": self.seed,
            "replications": self.replications,
            "kpis": {
                p: {
                    k: [json_number(s.mean), json_number(s.sd), json_number(s.half_width), s.n]
                    for k, s in stats.items()
                }
                for p, stats in self.kpis.items()
            },
            "best": self.best,
            "chosen": self.chosen,
            "runner_up": self.runner_up,
            "tied": self.tied,
            "gain": [json_number(x) for x in self.gain],
            "runner_up_gap": None if self.runner_up_gap is None else [json_number(x) for x in self.runner_up_gap],
            "needed": self.needed,
            "vs": {p: [json_number(m), json_number(v), n] for p, (m, v, n) in self.vs.items()},
            "note": self.note,
            "objective_kpi": self.objective_kpi,
            "confirmed": None
            if self.confirmed is None
            else {p: [json_number(m), json_number(v), n] for p, (m, v, n) in self.confirmed.items()},
            "diagnoses": list(self.diagnoses),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ProductSummary:
        """A summary from its journal line (:meth:`to_json`)."""
        kpis = {
            p: {k: Stat(_float(v[0]), _float(v[1]), _float(v[2]), int(v[3])) for k, v in stats.items()}
            for p, stats in d["kpis"].items()
        }
        g = d["gain"]
        ru = d["runner_up_gap"]
        labels = d["labels"]
        return cls(
            sku=d["sku"],
            row=int(d["row"]),
            labels=(labels[0], labels[1], labels[2]),
            seed=int(d["seed"]),
            replications=int(d["replications"]),
            kpis=kpis,
            best=d["best"],
            chosen=d["chosen"],
            runner_up=d["runner_up"],
            tied=bool(d["tied"]),
            gain=(_float(g[0]), _float(g[1]), _float(g[2])),
            runner_up_gap=None if ru is None else (_float(ru[0]), _float(ru[1]), _float(ru[2])),
            needed=d["needed"],
            vs={p: (_float(v[0]), _float(v[1]), int(v[2])) for p, v in d["vs"].items()},
            note=d["note"],
            objective_kpi=d["objective_kpi"],
            confirmed=None
            if d.get("confirmed") is None
            else {p: (_float(v[0]), _float(v[1]), int(v[2])) for p, v in d["confirmed"].items()},
            diagnoses=tuple(d.get("diagnoses", ())),
        )


def abc_classes(revenues: Sequence[float], shares: tuple[float, float] = ABC_SHARES) -> list[str]:
    """ABC class of each product by its revenue (Pareto convention, Silver, Pyke & Thomas 2017, §3.5).

    Products are sorted by revenue, largest first (ties in the given order); a product is
    ``A`` while the cumulative share of revenue *before* it is below ``shares[0]`` (80%),
    ``B`` while below ``shares[1]`` (95%), ``C`` after. An undefined or negative revenue
    counts as 0. With no revenue at all, every product is ``C``.
    """
    return [chr(c) for c in abc_codes(revenues, shares)]


def abc_codes(revenues: Iterable[float], shares: tuple[float, float] = ABC_SHARES) -> bytes:
    """:func:`abc_classes` as one byte per product (``b"A"``, ``b"B"`` or ``b"C"``): it holds
    17 bytes per product while it sorts (the revenues as doubles, their order), no object each."""
    values = array("d", (r if math.isfinite(r) and r > 0 else 0.0 for r in revenues))
    total = sum(values)
    out = bytearray(b"C") * len(values)
    if total <= 0:
        return bytes(out)
    order = np.argsort(-np.frombuffer(values, dtype=np.float64), kind="stable")  # ties in the given order
    before = 0.0
    for i in order:
        value = values[i]
        if value <= 0:
            break
        share = before / total
        out[i] = ord("A") if share < shares[0] else ord("B") if share < shares[1] else ord("C")
        before += value
    return bytes(out)


@dataclass
class _Group:
    """The running sums of one set of products (all, one class)."""

    products: int = 0
    revenue: float = 0.0
    choices: dict[str, int] = field(default_factory=dict)
    gain: dict[str, Total] = field(default_factory=dict)
    gain_untied: dict[str, Total] = field(default_factory=dict)
    gain_confirmed: dict[str, Total] = field(default_factory=dict)
    diagnoses: dict[str, int] = field(default_factory=dict)
    """note kind → products with that note."""
    examples: dict[str, str] = field(default_factory=dict)
    """note kind → the first product (sku) with it."""

    def add(self, s: ProductSummary) -> None:
        self.products += 1
        for kind in s.diagnoses:
            self.diagnoses[kind] = self.diagnoses.get(kind, 0) + 1
            self.examples.setdefault(kind, s.sku)
        r = s.revenue
        self.revenue += r if math.isfinite(r) and r > 0 else 0.0
        label = s.best if s.best is not None else "infeasible"
        self.choices[label] = self.choices.get(label, 0) + 1
        if s.tied:
            self.choices["tied"] = self.choices.get("tied", 0) + 1
        for p, (mean, var, n) in s.vs.items():
            self.gain.setdefault(p, Total()).add(mean, var if n > 1 else math.nan, n)
            if not s.tied and s.best is not None:  # decided: a feasible best that the intervals separate
                self.gain_untied.setdefault(p, Total()).add(mean, var if n > 1 else math.nan, n)
        for p, (mean, var, n) in (s.confirmed or {}).items():
            self.gain_confirmed.setdefault(p, Total()).add(mean, var if n > 1 else math.nan, n)


class PortfolioBuilder:
    """Adds products one at a time (in table order) and writes ``portfolio.json``'s content.

    Args:
        policies: the template's policies, baseline first.
        kpis: the indicators of the template (only the additive ones are totalled).
    """

    def __init__(self, policies: Sequence[str], kpis: Iterable[str]) -> None:
        self.policies = list(policies)
        self.totalled = [k for k in kpis if additive(k)]
        self.totals: dict[str, dict[str, Total]] = {
            p: {k: Total() for k in self.totalled} for p in [*self.policies, "chosen"]
        }
        self.all = _Group()
        self.classes: dict[str, _Group] = {}
        self._top: list[tuple[int, float, int, dict[str, Any]]] = []
        self._count = 0

    def add(self, s: ProductSummary, klass: str) -> None:
        """Add one product, in class ``klass``."""
        for p in self.policies:
            for k in self.totalled:
                stat = s.kpis[p].get(k)
                if stat is not None:
                    self.totals[p][k].add(stat.mean, stat.var_mean, stat.n)
        for k in self.totalled:
            stat = s.kpis[s.chosen].get(k)
            if stat is not None:
                self.totals["chosen"][k].add(stat.mean, stat.var_mean, stat.n)
        self.all.add(s)
        self.classes.setdefault(klass, _Group()).add(s)
        gain = s.gain[0]
        if s.best is not None and s.best != s.baseline and math.isfinite(gain):
            entry = {
                "sku": s.sku,
                "name": s.labels[0],
                "class": klass,
                "best_policy": s.best,
                "gain_vs_baseline": json_number(gain),
                "ci95_low": json_number(s.gain[1]),
                "ci95_high": json_number(s.gain[2]),
                "tied": s.tied,
            }
            item = (0 if s.tied else 1, gain, -self._count, entry)
            if len(self._top) < TOP_PRODUCTS:
                heapq.heappush(self._top, item)
            elif item[:3] > self._top[0][:3]:
                heapq.heapreplace(self._top, item)
        self._count += 1

    def document(self) -> dict[str, Any]:
        """``choices``, ``totals``, ``gain``, ``gain_untied``, ``classes``, ``top_products`` and
        ``diagnoses`` (note kind → how many products have it and the first of them)."""
        baseline = self.policies[0]

        def gains(group: dict[str, Total]) -> dict[str, Any]:
            return {p: group[p].document("diff") for p in self.policies if p in group}

        total_revenue = self.all.revenue
        classes = {}
        for name in sorted(self.classes):
            g = self.classes[name]
            classes[name] = {
                "products": g.products,
                "revenue_share": json_number(g.revenue / total_revenue) if total_revenue > 0 else None,
                "choices": _ordered(g.choices, self.policies),
                "gain_vs_baseline": g.gain[baseline].document("diff") if baseline in g.gain else None,
            }
        top = sorted(self._top, key=lambda item: item[:3], reverse=True)  # the heap's order, largest first
        return {
            "choices": _ordered(self.all.choices, self.policies),
            "totals": {p: {k: t.document() for k, t in kpis.items()} for p, kpis in self.totals.items()},
            "gain": gains(self.all.gain),
            "gain_untied": gains(self.all.gain_untied),
            "gain_confirmed": gains(self.all.gain_confirmed) if self.all.gain_confirmed else None,
            "classes": classes,
            "top_products": [entry for *_, entry in top],
            "diagnoses": {
                kind: {"products": n, "example": self.all.examples[kind]} for kind, n in self.all.diagnoses.items()
            },
        }


def _ordered(counts: Mapping[str, int], policies: Sequence[str]) -> dict[str, int]:
    """Policy counts in template order (every policy, 0 included), then infeasible and tied."""
    out = {p: counts.get(p, 0) for p in policies}
    out["infeasible"] = counts.get("infeasible", 0)
    out["tied"] = counts.get("tied", 0)
    return out
