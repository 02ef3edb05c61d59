"""Indicators: pure functions from a replication's counts to the numbers we report.

Definitions follow ``docs/indicators.md`` (the contract's "What is measured").
Rates are fractions of the customers arriving in the window; money is in the
scenario's currency; time averages are over the window.
"""

from __future__ import annotations

import math

from supplysim.scenario import ModelConfig
from supplysim.sim.model import ReplicationResult

__all__ = ["KPIS", "indicators"]

KPIS: tuple[str, ...] = (
    "customers",
    "units_demanded",
    "fill_rate",
    "unit_fill_rate",
    "lost_rate",
    "backorder_rate",
    "cancel_rate",
    "expire_rate",
    "served_after_wait_rate",
    "pending_rate",
    "lost_units",
    "lost_revenue",
    "mean_wait",
    "p90_wait",
    "avg_on_hand",
    "avg_backorders",
    "stockout_fraction",
    "orders_placed",
    "units_ordered",
    "revenue",
    "ordering_cost",
    "holding_cost",
    "backorder_cost",
    "lost_sale_cost",
    "profit",
)
"""Every indicator, in report order."""


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def indicators(result: ReplicationResult, cfg: ModelConfig) -> dict[str, float]:
    """All indicators of one replication, keyed as in :data:`KPIS`.

    Undefined values (a rate with no customers, a wait with nobody served after
    waiting) are NaN and are left out of the interval estimates.
    """
    c = result.counters
    h = result.horizon
    p = cfg.product
    n = c.customers
    lost_units = c.lost_units + c.cancelled_units + c.expired_units
    revenue = p.price * c.units_shipped
    holding = p.holding_cost * c.area_on_hand
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
    }
    return values
