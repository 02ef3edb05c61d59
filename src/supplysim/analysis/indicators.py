"""Indicators: pure functions from a replication's counts to the numbers we report.

Definitions follow ``docs/indicators.md`` (the contract's "What is measured").
Rates are fractions of the customers arriving in the window; money is in the
scenario's currency; time averages are over the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from supplysim.analysis.kpis import KPIS, Feature, feature_names
from supplysim.scenario import ModelConfig, Periodic

if TYPE_CHECKING:  # only read here: the numbers need no simulator
    from supplysim.sim.replication import ReplicationResult

__all__ = ["KPIS", "indicators", "kpi_names"]


def kpi_names(models: Iterable[ModelConfig]) -> tuple[str, ...]:
    """The indicators a scenario reports: :data:`KPIS`, plus those of the features its policies use
    (the features are named in the registry, :mod:`supplysim.analysis.kpis`).

    ``waitlist_joined``, ``waitlist_recovered`` when a policy has a waitlist;
    ``goodwill_lost`` when a policy has goodwill; ``avg_on_hand_end_of_period``,
    ``avg_backorders_end_of_period`` when a policy reviews periodically; per supplier ``orders@NAME``,
    ``units@NAME``, ``mean_lead_time@NAME``, ``cost@NAME`` when a policy lists
    several suppliers, and ``down_fraction@NAME``, ``orders_delayed@NAME`` for
    suppliers with disruptions.
    """
    models = list(models)
    names = list(KPIS)
    if any(m.store.waitlist is not None for m in models):
        names += feature_names(Feature.WAITLIST)
    if any(m.demand.goodwill is not None for m in models):
        names += feature_names(Feature.GOODWILL)
    if any(isinstance(m.replenishment, Periodic) for m in models):
        names += feature_names(Feature.PERIODIC_REVIEW)
    several = any(len(m.all_suppliers) > 1 for m in models)
    seen: dict[str, bool] = {}
    for m in models:
        for s in m.all_suppliers:
            seen[s.name] = seen.get(s.name, False) or s.disruptions is not None
    for name, disrupted in seen.items():
        if several:
            names += [f"{kind}@{name}" for kind in feature_names(Feature.SEVERAL_SUPPLIERS)]
        if disrupted:
            names += [f"{kind}@{name}" for kind in feature_names(Feature.DISRUPTIONS)]
    return tuple(names)


_PER_TIME = ("lost_revenue", "revenue", "ordering_cost", "holding_cost", "backorder_cost", "lost_sale_cost", "profit")
"""The money indicators reported also as a rate, ``X_per_time`` = X / horizon."""


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def indicators(
    result: ReplicationResult, cfg: ModelConfig, names: Iterable[str] = KPIS, *, time_unit: str = "day"
) -> dict[str, float]:
    """The indicators ``names`` (see :func:`kpi_names`) of one replication; ``time_unit`` is the
    scenario's (it converts an annual ``product.holding_rate`` into h per time unit).

    Undefined values (a rate with no customers, a wait with nobody served after
    waiting, an end-of-period average of a policy without periodic reviews) are NaN and
    are left out of the interval estimates.

    Money rates ``X_per_time`` are X / ``horizon``: the money of the measured window
    divided by its length (the warm-up excluded, as from X itself) [money per time unit].
    End-of-period averages are over the review epochs in the window (``docs/model.md``,
    "End-of-period indicators").
    """
    c = result.counters
    h = result.horizon
    p = cfg.product
    n = c.customers
    lost_units = c.lost_units + c.cancelled_units + c.expired_units
    revenue = p.price * c.units_shipped
    holding = cfg.holding_cost_per_time(time_unit) * c.area_on_hand
    backorder = p.backorder_cost * c.area_backorders
    lost_cost = p.lost_sale_cost * lost_units
    values = {
        "customers": float(n),
        "units_demanded": float(c.units_demanded),
        "fill_rate": _ratio(c.served_immediately, n),
        "unit_fill_rate": _ratio(c.units_at_arrival, c.units_demanded),
        "lost_rate": _ratio(c.lost, n),
        "backorder_rate": _ratio(c.backordered, n),
        "cancel_rate": _ratio(c.cancelled, n),
        "expire_rate": _ratio(c.expired, n),
        "served_after_wait_rate": _ratio(c.served_after_wait, n),
        "pending_rate": _ratio(c.pending, n),
        "lost_units": float(lost_units),
        "lost_revenue": p.price * lost_units,
        "mean_wait": result.waits.mean,
        "p90_wait": result.waits.quantile(0.9),
        "avg_on_hand": c.area_on_hand / h,
        "avg_backorders": c.area_backorders / h,
        "stockout_fraction": c.stockout_time / h,
        "orders_placed": float(c.orders_placed),
        "units_ordered": float(c.units_ordered),
        "revenue": revenue,
        "ordering_cost": c.ordering_cost,
        "holding_cost": holding,
        "backorder_cost": backorder,
        "lost_sale_cost": lost_cost,
        "profit": revenue - c.ordering_cost - holding - backorder - lost_cost,
        "avg_on_hand_end_of_period": _ratio(c.on_hand_at_period_ends, c.period_ends),
        "avg_backorders_end_of_period": _ratio(c.backorders_at_period_ends, c.period_ends),
        "waitlist_joined": float(c.waitlist_joined),
        "waitlist_recovered": float(c.waitlist_recovered),
        "goodwill_lost": float(c.goodwill_lost),
    }
    for money in _PER_TIME:
        values[f"{money}_per_time"] = values[money] / h
    for name, s in result.suppliers.items():
        values[f"orders@{name}"] = float(s.orders)
        values[f"units@{name}"] = float(s.units)
        values[f"mean_lead_time@{name}"] = _ratio(s.lead_sum, s.orders)
        values[f"cost@{name}"] = s.cost
        values[f"down_fraction@{name}"] = s.down_time / h if s.down_time is not None else math.nan
        values[f"orders_delayed@{name}"] = float(s.delayed) if s.down_time is not None else math.nan
    out = {}
    for key in names:
        if key in values:
            out[key] = values[key]
        elif key.startswith(("orders@", "units@", "cost@")):
            out[key] = 0.0  # a supplier this policy does not use
        else:
            out[key] = math.nan
    return out
