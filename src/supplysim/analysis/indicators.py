"""Indicators: pure functions from a replication's counts to the numbers we report.

Definitions follow ``docs/indicators.md`` (the contract's "What is measured").
Rates are fractions of the customers arriving in the window; money is in the
scenario's currency; time averages are over the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from supplysim.analysis.kpis import KPIS, Feature, Group, feature_names, grouped, location_of, lookup
from supplysim.scenario import ModelConfig, Periodic

if TYPE_CHECKING:  # only read here: the numbers need no simulator
    from supplysim.sim.results import ReplicationResult
    from supplysim.sim.stats import Counters, WaitSketch

__all__ = ["KPIS", "by_location", "indicators", "kpi_names", "locations", "store_names"]


def kpi_names(models: Iterable[ModelConfig]) -> tuple[str, ...]:
    """The indicators a scenario reports: :data:`KPIS`, plus those of the features its policies use
    (the features are named in the registry, :mod:`supplysim.analysis.kpis`).

    ``waitlist_joined``, ``waitlist_recovered`` when a policy has a waitlist;
    ``goodwill_lost`` when a policy has goodwill; ``avg_on_hand_end_of_period``,
    ``avg_backorders_end_of_period`` when a policy reviews periodically; per supplier ``orders@NAME``,
    ``units@NAME``, ``mean_lead_time@NAME``, ``cost@NAME`` when a policy lists
    several suppliers, and ``down_fraction@NAME``, ``orders_delayed@NAME`` for
    suppliers with disruptions. With a ``network:``, the ``warehouse_*`` indicators, and
    every store-level indicator per store as ``KPI@STORE`` plus ``mean_lead_time@STORE``
    (``docs/network.md``).
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
    stores = locations(models)
    if any(m.network is not None and m.network.transshipment is not None for m in models):
        names += feature_names(Feature.TRANSSHIPMENT)
    if stores:
        per_store = [k for k in names if "@" not in k]
        names += feature_names(Feature.NETWORK)
        for store in stores:
            names += [f"{k}@{store}" for k in per_store] + [f"mean_lead_time@{store}"]
    return tuple(names)


def locations(models: Iterable[ModelConfig]) -> list[str]:
    """Where the network's customers buy: its stores, then the warehouse when it has its own customers."""
    out: dict[str, None] = {}
    for m in models:
        if m.network is not None:
            out.update(dict.fromkeys(m.network.locations))
    return list(out)


def by_location(kpis: Sequence[str], models: Iterable[ModelConfig]) -> list[tuple[Group, tuple[str, ...], str]]:
    """The sections of a results table, each ``(group, indicators, heading)``: for a network, the
    totals first, then each store (``KPI@STORE``), then the warehouse (and its own customers,
    ``KPI@WAREHOUSE``; ``docs/network.md``); otherwise the groups of the registry."""
    stores = locations(models)
    names = list(kpis)
    if not stores:
        return [(group, names_, group.value) for group, names_ in grouped(names)]
    totals = [k for k in names if location_of(k, stores) is None and lookup(k).group is not Group.WAREHOUSE]
    out = [(group, names_, f"Network — {group.value}") for group, names_ in grouped(totals)]
    for store in stores:
        mine = [k for k in names if location_of(k, stores) == store]
        out += [(group, names_, f"{store} — {group.value}") for group, names_ in grouped(mine)]
    warehouse = [k for k in names if lookup(k).group is Group.WAREHOUSE]
    out += [(group, names_, f"{group.value} — stock and store orders") for group, names_ in grouped(warehouse)]
    return out


def store_names(models: Iterable[ModelConfig]) -> list[str]:
    """The stores of the scenario's network, in listed order (none without ``network:``)."""
    out: dict[str, None] = {}
    for m in models:
        if m.network is not None:
            out.update(dict.fromkeys(m.network.stores))
    return list(out)


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


_PER_TIME = ("lost_revenue", "revenue", "ordering_cost", "holding_cost", "backorder_cost", "lost_sale_cost", "profit")
"""The money indicators reported also as a rate, ``X_per_time`` = X / horizon."""


def _add_rates(values: dict[str, float], h: float) -> dict[str, float]:
    """``values`` with the money rates ``X_per_time`` = X / ``h`` (set again after X changes)."""
    for money in _PER_TIME:
        values[f"{money}_per_time"] = values[money] / h
    return values


def _store_values(c: Counters, waits: WaitSketch, h: float, cfg: ModelConfig, time_unit: str) -> dict[str, float]:
    """The single-store indicators of one store's window (``h``: the window's length).

    Money rates ``X_per_time`` are X / ``h``: the money of the measured window divided by its
    length (the warm-up excluded, as from X itself) [money per time unit]. End-of-period
    averages are over the review epochs in the window (``docs/model.md``, "End-of-period
    indicators"); NaN for a policy without periodic reviews.
    """
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
        "mean_wait": waits.mean,
        "p90_wait": waits.quantile(0.9),
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
    return _add_rates(values, h)


_SUMMED = ("revenue", "lost_revenue", "holding_cost", "backorder_cost", "lost_sale_cost", "transshipment_cost")
"""Money a network adds up over its stores (each store at its own price and costs)."""


def _network_values(result: ReplicationResult, cfg: ModelConfig, time_unit: str) -> dict[str, float]:
    """Every indicator of a network replication (``docs/network.md``, "What is measured").

    Per store (``KPI@STORE``): the single-store definitions over its own customers, its
    ordering cost being the transport cost of the units shipped to it, and
    ``mean_lead_time@STORE`` = mean (last unit received − placed) of its orders of the window
    that were complete by the end. Totals: rates, counts and waits over every store's
    customers; money summed over the stores, plus the warehouse's holding cost and its
    purchases (``ordering_cost`` = purchases + transport; ``orders_placed``/``units_ordered``
    = the warehouse's orders to its suppliers); ``avg_on_hand``/``avg_backorders`` summed
    over the stores, ``stockout_fraction`` their mean.
    """
    assert result.network is not None and cfg.network is not None
    h = result.horizon
    net = cfg.network
    values: dict[str, float] = {}
    per: dict[str, dict[str, float]] = {}
    lateral = net.transshipment.cost if net.transshipment is not None else 0.0
    for name, s in result.network.stores.items():
        v = _store_values(s.counters, s.waits, h, net.store_model(name), time_unit)
        v["mean_lead_time"] = _ratio(s.lead_sum, s.completed)
        v["transship_rate"] = _ratio(s.counters.transshipped, s.counters.customers)
        v["transshipment_cost"] = lateral * s.counters.transshipped_units
        v["profit"] -= v["transshipment_cost"]
        per[name] = _add_rates(v, h)
        values.update({f"{k}@{name}": x for k, x in v.items()})
    w = result.network.warehouse
    stores = list(per)
    direct = net.direct_model()
    if w.direct is not None and direct is not None:
        v = _store_values(w.direct.counters, w.direct.waits, h, direct, time_unit)
        v["mean_lead_time"] = math.nan
        v["transship_rate"] = 0.0
        v["transshipment_cost"] = 0.0
        per[net.warehouse.name] = v
        values.update({f"{k}@{net.warehouse.name}": x for k, x in v.items()})
    total = _store_values(result.counters, result.waits, h, cfg, time_unit)
    for k in _SUMMED:
        total[k] = sum(v[k] for v in per.values())
    wh_holding = net.warehouse_holding_cost(cfg.holding_cost_per_time(time_unit)) * w.area_on_hand
    total["holding_cost"] += wh_holding
    total["ordering_cost"] = sum(s.cost for s in result.suppliers.values()) + sum(
        v["ordering_cost"] for v in per.values()
    )
    total["orders_placed"] = float(sum(s.orders for s in result.suppliers.values()))
    total["units_ordered"] = float(sum(s.units for s in result.suppliers.values()))
    total["stockout_fraction"] = sum(per[n]["stockout_fraction"] for n in stores) / len(stores)
    total["transship_rate"] = _ratio(result.counters.transshipped, result.counters.customers)
    total["profit"] = (
        total["revenue"]
        - total["ordering_cost"]
        - total["holding_cost"]
        - total["backorder_cost"]
        - total["lost_sale_cost"]
        - total["transshipment_cost"]
    )
    values.update(_add_rates(total, h))
    values["warehouse_fill_rate"] = _ratio(w.filled_at_once, w.orders)
    values["warehouse_avg_on_hand"] = w.area_on_hand / h
    values["warehouse_avg_backorders"] = w.area_backorders / h
    values["warehouse_mean_delay"] = _ratio(w.delay_sum, w.done)
    values["warehouse_holding_cost"] = wh_holding
    return values


def indicators(
    result: ReplicationResult, cfg: ModelConfig, names: Iterable[str] = KPIS, *, time_unit: str = "day"
) -> dict[str, float]:
    """The indicators ``names`` (see :func:`kpi_names`) of one replication; ``time_unit`` is the
    scenario's (it converts an annual ``product.holding_rate`` into h per time unit).

    Undefined values (a rate with no customers, a wait with nobody served after
    waiting, an end-of-period average of a policy without periodic reviews) are NaN and
    are left out of the interval estimates.
    """
    h = result.horizon
    if result.network is not None and cfg.network is not None:
        values = _network_values(result, cfg, time_unit)
    else:
        values = _store_values(result.counters, result.waits, h, cfg, time_unit)
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
