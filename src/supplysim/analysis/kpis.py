"""The indicator registry: what every indicator is called, measured in, grouped under and aimed at.

One entry per indicator, read by the tables, figures, the HTML report, sweeps and
the regression check; the definitions themselves are in ``docs/indicators.md`` and
the numbers in :mod:`supplysim.analysis.indicators`. Indicators of a feature
(waitlist, goodwill) are listed with the feature that adds them; per-supplier
indicators are patterns ``KIND@NAME`` (e.g. ``orders@overseas``), one entry per kind.

Pure: no I/O, no third-party imports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum, StrEnum

__all__ = [
    "HEADLINE",
    "KPIS",
    "MAX_EXTRA_DECIMALS",
    "REGISTRY",
    "Better",
    "Feature",
    "Group",
    "Kpi",
    "NumberFormat",
    "Unit",
    "display_name",
    "feature_names",
    "format_interval",
    "format_pm",
    "format_value",
    "grouped",
    "is_known",
    "json_number",
    "location_of",
    "lookup",
]


class Unit(StrEnum):
    """What an indicator counts or measures."""

    FRACTION = "fraction"
    """A share between 0 and 1: of customers, of units or of time."""
    UNITS = "units"
    """Units of the product."""
    COUNT = "count"
    """Customers or orders."""
    MONEY = "money"
    """The scenario's currency."""
    TIME = "time"
    """The scenario's ``time_unit``."""
    MONEY_PER_TIME = "money per time"
    """The scenario's currency per ``time_unit`` (e.g. money per day): a cost or revenue rate."""


class Group(StrEnum):
    """The sections of the comparison tables, in the order they are shown (value = heading)."""

    SERVICE = "Service"
    INVENTORY = "Inventory"
    DEMAND = "Demand"
    MONEY = "Money"
    WAITLIST_GOODWILL = "Waitlist and goodwill"
    SUPPLIERS = "Suppliers"
    WAREHOUSE = "Warehouse"
    RATES = "Money per time unit"
    """The money indicators divided by the measured horizon (textbook cost rates), last: they
    repeat the money section at another scale."""
    OTHER = "Other"
    """Names the registry does not know (e.g. from a baseline written by another version)."""


class Better(Enum):
    """Which way an indicator should move for the shop; the sign is +1, −1 or 0."""

    HIGHER = 1
    LOWER = -1
    NEITHER = 0
    """It moves with volume or describes rather than judges (e.g. ``units_ordered``)."""


class NumberFormat(StrEnum):
    """How a value is printed (see :func:`format_value`)."""

    PERCENT = "percent"
    """× 100 with two decimals and ``%``: ``81.60%``."""
    MONEY = "money"
    """Whole numbers with thousands separators: ``42,901``."""
    DECIMAL = "decimal"
    """Two decimals, or a whole number with separators from 1,000 on: ``1.61``, ``12,947``."""


_FORMAT_OF_UNIT = {Unit.FRACTION: NumberFormat.PERCENT, Unit.MONEY: NumberFormat.MONEY}


class Feature(StrEnum):
    """What makes a scenario report an indicator beyond the standard ones."""

    WAITLIST = "waitlist"
    """Some policy has a ``store.waitlist``."""
    GOODWILL = "goodwill"
    """Some policy has a ``demand.goodwill``."""
    SEVERAL_SUPPLIERS = "several suppliers"
    """Some policy lists several suppliers (reported for every supplier)."""
    DISRUPTIONS = "disruptions"
    """The supplier has ``disruptions`` in some policy."""
    PERIODIC_REVIEW = "periodic review"
    """Some policy reviews periodically (``replenishment.policy: periodic``): the end-of-period indicators."""
    TRANSSHIPMENT = "transshipment"
    """Some policy's network has ``transshipment`` (ship from another store)."""
    NETWORK = "network"
    """The scenario has a ``network:`` (a warehouse and its stores); every indicator is then also
    reported per store as ``KPI@STORE``."""


@dataclass(frozen=True)
class Kpi:
    """One indicator (or, for a per-supplier pattern, one kind of them)."""

    name: str
    """As in the files: ``fill_rate``; ``orders@NAME`` for a per-supplier pattern."""
    label: str
    """Plain words for tables and figures."""
    unit: Unit
    group: Group
    better: Better
    feature: Feature | None = None
    """None for the standard indicators every scenario reports."""
    headline: int | None = None
    """Position among the headline indicators (figures, sweeps), 1 first; None if not one."""
    signed: bool = False
    """True when a value can be negative (profit); the others are shares in [0, 1] or amounts ≥ 0."""

    @property
    def kind(self) -> str:
        """The name before ``@`` (the name itself for a plain indicator)."""
        return self.name.partition("@")[0]

    @property
    def per_supplier(self) -> bool:
        return "@" in self.name

    @property
    def bounds(self) -> tuple[float, float]:
        """The range a value (and so an interval drawn for it) can take: [0, 1] for a share,
        [0, ∞) for amounts, counts and times, unbounded for signed indicators and unknown names."""
        if self.signed or self.group is Group.OTHER:
            return (-math.inf, math.inf)
        return (0.0, 1.0) if self.unit is Unit.FRACTION else (0.0, math.inf)

    @property
    def format(self) -> NumberFormat:
        """The number format; it follows from the unit."""
        return _FORMAT_OF_UNIT.get(self.unit, NumberFormat.DECIMAL)


_F, _U, _C, _M, _T, _MT = Unit.FRACTION, Unit.UNITS, Unit.COUNT, Unit.MONEY, Unit.TIME, Unit.MONEY_PER_TIME
_HI, _LO, _NO = Better.HIGHER, Better.LOWER, Better.NEITHER
_SERVICE, _INVENTORY, _DEMAND, _MONEY = Group.SERVICE, Group.INVENTORY, Group.DEMAND, Group.MONEY
_EXTRA, _SUPPLIERS, _RATES = Group.WAITLIST_GOODWILL, Group.SUPPLIERS, Group.RATES

REGISTRY: tuple[Kpi, ...] = (
    Kpi("fill_rate", "Served at once (fill rate)", _F, _SERVICE, _HI, headline=2),
    Kpi("unit_fill_rate", "Units shipped at arrival", _F, _SERVICE, _HI),
    Kpi("lost_rate", "Turned away (lost sales)", _F, _SERVICE, _LO, headline=3),
    Kpi("backorder_rate", "Took a backorder", _F, _SERVICE, _NO),
    Kpi("served_after_wait_rate", "Served after a wait", _F, _SERVICE, _NO),
    Kpi("cancel_rate", "Cancelled while waiting", _F, _SERVICE, _LO, headline=4),
    Kpi("expire_rate", "Backorder expired", _F, _SERVICE, _LO),
    Kpi("pending_rate", "Still waiting at the end", _F, _SERVICE, _NO),
    Kpi("mean_wait", "Mean wait of backorders", _T, _SERVICE, _LO, headline=5),
    Kpi("p90_wait", "90th percentile wait", _T, _SERVICE, _LO),
    Kpi("avg_on_hand", "Average units on hand", _U, _INVENTORY, _NO),
    Kpi("avg_backorders", "Average units backordered", _U, _INVENTORY, _LO),
    Kpi("avg_on_hand_end_of_period", "Units on hand at period ends", _U, _INVENTORY, _NO, Feature.PERIODIC_REVIEW),
    Kpi(
        "avg_backorders_end_of_period", "Units backordered at period ends", _U, _INVENTORY, _LO, Feature.PERIODIC_REVIEW
    ),
    Kpi("stockout_fraction", "Time with an empty shelf", _F, _INVENTORY, _LO),
    Kpi("orders_placed", "Replenishment orders", _C, _INVENTORY, _NO),
    Kpi("units_ordered", "Units ordered", _U, _INVENTORY, _NO),
    Kpi("customers", "Customers", _C, _DEMAND, _NO),
    Kpi("units_demanded", "Units demanded", _U, _DEMAND, _NO),
    Kpi("lost_units", "Units lost", _U, _DEMAND, _LO),
    Kpi("lost_revenue", "Revenue lost", _M, _DEMAND, _LO),
    Kpi("lost_revenue_per_time", "Revenue lost per time unit", _MT, _RATES, _LO),
    Kpi("revenue", "Revenue", _M, _MONEY, _HI),
    Kpi("ordering_cost", "Ordering cost", _M, _MONEY, _NO),
    Kpi("holding_cost", "Holding cost", _M, _MONEY, _LO),
    Kpi("backorder_cost", "Backorder cost", _M, _MONEY, _LO),
    Kpi("lost_sale_cost", "Lost-sale penalty", _M, _MONEY, _LO),
    Kpi("profit", "Profit", _M, _MONEY, _HI, headline=1, signed=True),
    Kpi("revenue_per_time", "Revenue per time unit", _MT, _RATES, _HI),
    Kpi("ordering_cost_per_time", "Ordering cost per time unit", _MT, _RATES, _NO),
    Kpi("holding_cost_per_time", "Holding cost per time unit", _MT, _RATES, _LO),
    Kpi("backorder_cost_per_time", "Backorder cost per time unit", _MT, _RATES, _LO),
    Kpi("lost_sale_cost_per_time", "Lost-sale penalty per time unit", _MT, _RATES, _LO),
    Kpi("profit_per_time", "Profit per time unit", _MT, _RATES, _HI, signed=True),
    Kpi("waitlist_joined", "Joined the waitlist", _C, _EXTRA, _NO, Feature.WAITLIST),
    Kpi("waitlist_recovered", "Recovered from the waitlist", _C, _EXTRA, _HI, Feature.WAITLIST),
    Kpi("goodwill_lost", "Lost to bad reputation", _C, _EXTRA, _LO, Feature.GOODWILL),
    Kpi("orders@NAME", "Orders placed", _C, _SUPPLIERS, _NO, Feature.SEVERAL_SUPPLIERS),
    Kpi("units@NAME", "Units ordered", _U, _SUPPLIERS, _NO, Feature.SEVERAL_SUPPLIERS),
    Kpi("mean_lead_time@NAME", "Mean lead time", _T, _SUPPLIERS, _NO, Feature.SEVERAL_SUPPLIERS),
    Kpi("cost@NAME", "Ordering cost", _M, _SUPPLIERS, _NO, Feature.SEVERAL_SUPPLIERS),
    Kpi("down_fraction@NAME", "Time down", _F, _SUPPLIERS, _NO, Feature.DISRUPTIONS),
    Kpi("orders_delayed@NAME", "Orders delayed by outages", _C, _SUPPLIERS, _NO, Feature.DISRUPTIONS),
    Kpi("transship_rate", "Shipped from another store", _F, _SERVICE, _NO, Feature.TRANSSHIPMENT),
    Kpi("transshipment_cost", "Transshipment cost", _M, _MONEY, _LO, Feature.TRANSSHIPMENT),
    Kpi("warehouse_fill_rate", "Store orders shipped at once", _F, Group.WAREHOUSE, _HI, Feature.NETWORK),
    Kpi("warehouse_avg_on_hand", "Average units at the warehouse", _U, Group.WAREHOUSE, _NO, Feature.NETWORK),
    Kpi("warehouse_avg_backorders", "Average units owed to stores", _U, Group.WAREHOUSE, _LO, Feature.NETWORK),
    Kpi("warehouse_mean_delay", "Mean wait of store orders", _T, Group.WAREHOUSE, _LO, Feature.NETWORK),
    Kpi("warehouse_holding_cost", "Holding cost at the warehouse", _M, Group.WAREHOUSE, _LO, Feature.NETWORK),
)
"""Every indicator, in the order of the comparison tables (group by group)."""

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
    "lost_revenue_per_time",
    "revenue_per_time",
    "ordering_cost_per_time",
    "holding_cost_per_time",
    "backorder_cost_per_time",
    "lost_sale_cost_per_time",
    "profit_per_time",
)
"""The standard indicators (every scenario reports them) in the order of the files: ``summary.json``,
the CSVs. This order is part of the file format, so it is kept apart from the tables' order, and an
indicator added later goes at the end."""

HEADLINE: tuple[str, ...] = tuple(
    k.name for k in sorted((k for k in REGISTRY if k.headline is not None), key=lambda k: k.headline or 0)
)
"""The headline indicators in their order: the panels of a run's indicator figure, a sweep's plots."""

_BY_KIND: dict[str, Kpi] = {k.kind: k for k in REGISTRY}
_POSITION: dict[str, int] = {k.kind: i for i, k in enumerate(REGISTRY)}


def lookup(name: str) -> Kpi:
    """The registry entry of an indicator (``orders@overseas`` → the ``orders@NAME`` pattern; a
    network's ``fill_rate@north`` → ``fill_rate``, its value at one store).

    A name the registry does not know gets a neutral entry (its own name in words, a plain
    number, group :attr:`Group.OTHER`), so a baseline from another version still prints.
    """
    kind, at, _ = name.partition("@")
    kpi = _BY_KIND.get(kind)
    if kpi is not None and (kpi.per_supplier == bool(at) or (at and kpi.feature is not Feature.NETWORK)):
        return kpi
    return Kpi(name, kind.replace("_", " ").capitalize(), Unit.COUNT, Group.OTHER, Better.NEITHER)


def is_known(name: str) -> bool:
    """True when ``name`` is a registered indicator or an instance of a per-supplier pattern."""
    return lookup(name).group is not Group.OTHER


def display_name(name: str) -> str:
    """The label, with the supplier (or store) after a dash: ``Orders placed — overseas``."""
    _, at, where = name.partition("@")
    return lookup(name).label + (f" — {where}" if at else "")


def feature_names(feature: Feature) -> tuple[str, ...]:
    """The indicators (or per-supplier kinds) a feature adds, in registry order."""
    return tuple(k.kind for k in REGISTRY if k.feature is feature)


def location_of(name: str, stores: tuple[str, ...] | list[str]) -> str | None:
    """The store an indicator belongs to (``fill_rate@north`` → ``north``; ``mean_lead_time@north``
    too), or None for a network total, a supplier's or the warehouse's."""
    _, at, where = name.partition("@")
    return where if at and where in stores else None


def grouped(names: tuple[str, ...] | list[str]) -> list[tuple[Group, tuple[str, ...]]]:
    """``names`` in table order: by group, registry order within a group; per-supplier
    indicators (and unknown names) keep their order in ``names``. Empty groups are left out."""
    order = list(Group)
    ranked = sorted(
        names,
        key=lambda n: (order.index(lookup(n).group), math.inf if "@" in n else _POSITION.get(n, math.inf)),
    )
    out: list[tuple[Group, tuple[str, ...]]] = []
    for name in ranked:
        group = lookup(name).group
        if out and out[-1][0] is group:
            out[-1] = (group, (*out[-1][1], name))
        else:
            out.append((group, (name,)))
    return out


def json_number(x: float | None) -> float | None:
    """``x`` as JSON can hold it: a float, or None (written as null) when it is undefined (None,
    NaN, ±∞) – JSON has no NaN."""
    return None if x is None or not math.isfinite(x) else float(x)


def format_value(kpi: str, x: float | None, signed: bool = False) -> str:
    """A number as a person reads it, by the indicator's :class:`NumberFormat`.

    Rates in % with two decimals, money as whole numbers with thousands separators, other
    numbers with two decimals (whole, with separators, from 1,000 on); "–" when undefined
    (None, NaN, infinite). ``signed`` puts a ``+`` before positive numbers (for differences).
    """
    if x is None or not math.isfinite(x):
        return "–"
    sign = "+" if signed else ""
    fmt = lookup(kpi).format
    decimals = _decimals(fmt, x)
    if fmt is NumberFormat.PERCENT:
        return f"{x * 100:{sign}.{decimals}f}%"
    return f"{x:{sign},.{decimals}f}"


def _decimals(fmt: NumberFormat, x: float) -> int:
    """Decimals :func:`format_value` shows of ``x`` (of its percent for a rate)."""
    if fmt is NumberFormat.PERCENT:
        return 2
    return 0 if fmt is NumberFormat.MONEY or abs(x) >= 1000 else 2


MAX_EXTRA_DECIMALS = 6
"""At most this many decimals beyond :func:`format_value`'s are added to show a small half-width."""


def format_pm(kpi: str, x: float | None, half_width: float | None, signed: bool = False) -> tuple[str, str]:
    """A value and its ± half-width as shown together, both to the same decimal place: that of
    :func:`format_value` for the larger of the two (so ``3,551 ± 27``, not ``3,551 ± 26.78``),
    except that a positive half-width too small for that last digit (money's whole units, two
    decimals, two decimals of a percent) gets the decimals of its first significant digit, and the
    value the same decimals – ``+5 ± 0`` would claim an exact difference; ``+5.02 ± 0.03`` does
    not. A half-width of exactly 0 (every replication gave the same value) stays 0.
    """
    if x is None or half_width is None or not (math.isfinite(x) and math.isfinite(half_width) and half_width >= 0):
        return format_value(kpi, x, signed), format_value(kpi, half_width)
    fmt = lookup(kpi).format
    percent = fmt is NumberFormat.PERCENT
    decimals = _decimals(fmt, max(abs(x), half_width))
    shown = half_width * 100 if percent else half_width
    if shown > 0:
        first = -math.floor(math.log10(float(f"{shown:.0e}")))  # the decimals of its first digit, rounded
        if first > decimals:
            decimals = min(first, _decimals(fmt, half_width) + MAX_EXTRA_DECIMALS)
    sign = "+" if signed else ""
    unit = "%" if percent else ""
    value = x * 100 if percent else x
    return f"{value:{sign},.{decimals}f}{unit}", f"{shown:,.{decimals}f}{unit}"


def format_interval(kpi: str, x: float | None, half_width: float | None, signed: bool = False) -> str:
    """``value ± half-width`` as :func:`format_pm` shows them."""
    return " ± ".join(format_pm(kpi, x, half_width, signed))
