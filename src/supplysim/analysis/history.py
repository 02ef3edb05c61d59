"""What did the history show, and would the model have shown it? The backtest's indicators and test.

The indicators are computed on the **records** (:class:`~supplysim.analysis.records.History`),
for the observed history and, by the same functions, for every simulated one (each
replication's trace told as records by :func:`~supplysim.analysis.records.records_from_trace`),
so observed and simulated mean exactly the same thing. They follow the simulator's
indicators of the same name (``docs/indicators.md``) with one difference the records
impose: **the denominator is the orders placed, not the customers**. Customers turned away
("out of stock", refused) or who declined a backorder placed no order and are in no record,
so, with N_o the orders of the history (created in it) and T its length:

* ``order_rate`` = N_o / (T − time in spells) [orders/time]: orders per unit of in-stock
  time (of calendar time without stockout records), the volume the model must reproduce
  first. Counted over in-stock time it follows the demand rate itself: over calendar time a
  shop that turns customers away caps it at what its replenishment brings, and a demand
  rate off by half hardly shows;
* ``fill_rate`` = orders shipped at once, whole, from stock / N_o
  (the simulator's ``fill_rate`` / (1 − ``lost_rate``));
* ``backorder_rate`` = backordered orders / N_o (``backorder_rate`` / (1 − ``lost_rate``));
* ``cancel_rate`` = backordered orders cancelled before the end / N_o (with an
  ``expire_after``, the store's expiries too: an export cannot tell them apart);
* ``mean_wait`` = mean of (fulfilled − created) over the backordered orders fulfilled before
  the end [time] — the simulator's ``mean_wait`` exactly;
* ``out_of_stock_fraction`` (with stockout spells) = time in spells / the history's length;
* ``mean_lead_time`` (with receipts) = mean of (received − ordered) over the purchase orders
  of the history received before its end [time] (orders still on their way are left out,
  in the history and in the simulation alike).

**The test.** Each simulated replication is one history of the same length, so the R
simulated values of an indicator are draws of what one history shows if the model is
right. The interval reported is a **prediction interval for one history**, not a confidence
interval for the mean: a confidence interval shrinks as R grows and would reject any real
shop, while one history's own noise does not shrink. It is the acceptance region of the
two-sided Monte Carlo test, p = min(1, 2·min(1 + #{y ≤ x}, 1 + #{y ≥ x}) / (R + 1))
(Davison & Hinkley 1997, §4.2.1): the values x with p ≥ α/m, which are the order statistics
[y₍c−1₎, y₍R+2−c₎] with c = ⌈(R + 1)·α/(2m)⌉ (:func:`acceptance_interval`). With m indicators
compared, each is tested at level α/m (Bonferroni), so that a model that is right fails the
backtest in at most α of histories (family-wise error rate α = 5%), for any R: the rank test
is exact, where plain empirical quantiles at such extreme levels would fail a right model
about twice as often with R of a few hundred (measured). An indicator whose observed value
lies outside its interval (p < α/m) is flagged. The interval uses the fitted
parameters as if they were known (plug-in): it does not widen for their uncertainty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from supplysim.analysis.records import History, in_stock_time

__all__ = [
    "ALPHA",
    "HISTORY_INDICATORS",
    "Comparison",
    "HistoryIndicator",
    "acceptance_interval",
    "compare_history",
    "history_indicators",
    "min_replications",
]

ALPHA = 0.05
"""The backtest's family-wise error rate: a right model fails in at most this share of histories."""


@dataclass(frozen=True)
class HistoryIndicator:
    """An indicator computed on the records."""

    name: str
    label: str
    unit: str
    """``fraction``, ``time`` or ``rate`` (per time unit)."""
    needs: str = "orders"
    """Which records it needs: ``orders``, ``stockouts`` or ``receipts``."""


HISTORY_INDICATORS: tuple[HistoryIndicator, ...] = (
    HistoryIndicator("order_rate", "orders per in-stock time unit", "rate"),
    HistoryIndicator("fill_rate", "fill rate (of orders placed)", "fraction"),
    HistoryIndicator("backorder_rate", "backorder rate (of orders placed)", "fraction"),
    HistoryIndicator("cancel_rate", "cancellation rate (of orders placed)", "fraction"),
    HistoryIndicator("mean_wait", "mean wait of backorders served", "time"),
    HistoryIndicator("out_of_stock_fraction", 'time shown "out of stock"', "fraction", "stockouts"),
    HistoryIndicator("mean_lead_time", "mean lead time (received orders)", "time", "receipts"),
)
"""Every indicator of a backtest, in the order reported."""


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def history_indicators(records: History, *, stockouts: bool = True, receipts: bool = True) -> dict[str, float]:
    """The indicators of one history (see the module docstring); NaN where undefined.

    Args:
        stockouts: include ``out_of_stock_fraction`` (the history has stockout records).
        receipts: include ``mean_lead_time`` (the history has purchase-order records).
    """
    o = records.orders
    n = float(len(o))
    back = o.backordered
    served_after = back & ~np.isnan(o.fulfilled)
    waits = o.fulfilled[served_after] - o.created[served_after]
    out = {
        "order_rate": _ratio(n, in_stock_time(records.spells, records.length) if stockouts else records.length),
        "fill_rate": _ratio(float(np.count_nonzero(~back)), n),
        "backorder_rate": _ratio(float(np.count_nonzero(back)), n),
        "cancel_rate": _ratio(float(np.count_nonzero(back & ~np.isnan(o.cancelled))), n),
        "mean_wait": float(waits.mean()) if waits.size else math.nan,
    }
    if stockouts:
        out["out_of_stock_fraction"] = _ratio(
            records.length - in_stock_time(records.spells, records.length), records.length
        )
    if receipts:
        r = records.receipts
        lead = r.received[~np.isnan(r.received)] - r.ordered[~np.isnan(r.received)]
        out["mean_lead_time"] = float(lead.mean()) if lead.size else math.nan
    return out


def min_replications(indicators: int, alpha: float = ALPHA) -> int:
    """The fewest replications whose tails can hold an interval at level 1 − α/m: ⌈2m/α⌉."""
    return math.ceil(2 * indicators / alpha - 1e-9)


@dataclass(frozen=True)
class Comparison:
    """One indicator, observed against simulated."""

    indicator: HistoryIndicator
    observed: float
    median: float
    """Median of the simulated histories."""
    low: float
    high: float
    """The prediction interval for one history, at level :attr:`level`."""
    level: float
    p_value: float
    """Two-sided Monte Carlo p-value (NaN when the observed value is undefined)."""
    simulated: int
    """Simulated histories in which the indicator is defined."""
    low95: float = math.nan
    high95: float = math.nan
    """The plain 95% prediction interval for one history (for reading one indicator alone; the
    verdict uses the Bonferroni interval [low, high])."""

    @property
    def outside(self) -> bool:
        """The observed value lies outside the interval (False when it is undefined; True when it is
        defined and no simulated history defines it — a mean wait the model never produces)."""
        if math.isnan(self.observed):
            return False
        if self.simulated == 0:
            return True
        return not (self.low <= self.observed <= self.high)


def acceptance_interval(ys: np.ndarray, alpha: float) -> tuple[float, float]:
    """The values x the two-sided Monte Carlo test at level ``alpha`` accepts, from sorted draws ``ys``.

    With R draws y₍₁₎ ≤ … ≤ y₍R₎ and c = ⌈(R + 1)·α/2⌉, the p-value of x is at least α exactly
    when y₍c−1₎ ≤ x ≤ y₍R+2−c₎. Under the model (x exchangeable with the draws) x falls outside
    with probability at most α, for any R (Davison & Hinkley 1997, §4.2.1); plain empirical
    quantiles at extreme levels do not have that guarantee when R is a few hundred. With
    c < 2 no value can be rejected: (−∞, ∞).
    """
    n = int(ys.size)
    c = math.ceil((n + 1) * alpha / 2.0 - 1e-12)
    if c < 2:
        return -math.inf, math.inf
    return float(ys[c - 2]), float(ys[n + 1 - c])


def compare_history(
    observed: Mapping[str, float], simulated: Sequence[Mapping[str, float]], alpha: float = ALPHA
) -> list[Comparison]:
    """Observed against simulated for every indicator of ``observed`` (Bonferroni over them).

    Args:
        observed: the history's indicators (:func:`history_indicators`).
        simulated: the same indicators of each simulated history.
        alpha: the family-wise error rate.
    """
    chosen = [ind for ind in HISTORY_INDICATORS if ind.name in observed]
    level = 1.0 - alpha / len(chosen)
    out: list[Comparison] = []
    for ind in chosen:
        x = observed[ind.name]
        ys = np.array([s[ind.name] for s in simulated], dtype=float)
        ys = ys[~np.isnan(ys)]
        if ys.size == 0:
            out.append(Comparison(ind, x, math.nan, math.nan, math.nan, level, math.nan, 0))
            continue
        ys.sort()
        med = float(np.median(ys))
        lo, hi = acceptance_interval(ys, 1.0 - level)
        lo95, hi95 = acceptance_interval(ys, 0.05)
        if math.isnan(x):
            p = math.nan
        else:
            below = 1 + int(np.count_nonzero(ys <= x))
            above = 1 + int(np.count_nonzero(ys >= x))
            p = min(1.0, 2.0 * min(below, above) / (ys.size + 1))
        out.append(Comparison(ind, x, med, lo, hi, level, p, int(ys.size), lo95, hi95))
    return out
