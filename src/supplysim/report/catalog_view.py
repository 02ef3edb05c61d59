"""What the catalog's page and figures read: a finished catalog folder's data, as typed records.

The page never runs the model: everything it shows comes from the files of the run
(``recommendations.csv``, ``portfolio.json`` and the resolved template ``scenario.yaml``; their
formats are in ``docs/catalog.md``). :func:`read_catalog` reads a folder; a writer that already
holds the data builds a :class:`CatalogView` with :func:`view_of`.

Pure apart from :func:`read_catalog`'s reading: no pandas (a table of 20,000 products is read
row by row into small records).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supplysim.scenario import Scenario
from supplysim.scenario.load import load_scenario

__all__ = ["CatalogView", "Gain", "Recommendation", "read_catalog", "recommendations_from_csv", "view_of"]


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


def recommendations_from_csv(lines: Iterable[str]) -> list[Recommendation]:
    """The rows of ``recommendations.csv`` (its text, line by line), in table order."""
    out = []
    for row in csv.DictReader(lines):
        out.append(
            Recommendation(
                sku=row["sku"],
                name=row.get("name") or "",
                klass=row.get("class") or "",
                best=row.get("best_policy") or "",
                objective=_float(row.get("objective")),
                gain=Gain(
                    _float(row.get("gain_vs_baseline")), _float(row.get("ci95_low")), _float(row.get("ci95_high"))
                ),
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
        )
    return out


@dataclass(frozen=True)
class CatalogView:
    """A finished catalog run as the page sees it."""

    recommendations: tuple[Recommendation, ...]
    portfolio: Mapping[str, Any]
    """``portfolio.json`` as parsed."""
    scenario: Scenario
    """The resolved template (names, currency, time unit, what each policy changes)."""

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
    def classes(self) -> list[str]:
        """The ABC classes present, in order (``A``, ``B``, ``C`` first, others after by name)."""
        seen = {r.klass for r in self.recommendations if r.klass}
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


def view_of(recommendations: Iterable[Recommendation], portfolio: Mapping[str, Any], scenario: Scenario) -> CatalogView:
    return CatalogView(tuple(recommendations), dict(portfolio), scenario)


def read_catalog(folder: str | Path) -> CatalogView:
    """The data of a finished catalog folder (``recommendations.csv``, ``portfolio.json``, ``scenario.yaml``)."""
    folder = Path(folder)
    with open(folder / "recommendations.csv", encoding="utf-8", newline="") as fh:
        recs = recommendations_from_csv(fh)
    portfolio = json.loads((folder / "portfolio.json").read_text(encoding="utf-8"))
    scenario = load_scenario(folder / "scenario.yaml")
    return CatalogView(tuple(recs), portfolio, scenario)
