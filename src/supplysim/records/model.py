"""A shop's records as read from its exports: orders, receipts and stockout spells.

Every time is a float in the scenario's time unit counted from :attr:`Records.origin`
(00:00 UTC of the Monday on or before the earliest timestamp of the files), so that
day ``k`` of the week is ``[k, k+1) mod 7`` with ``k = 0`` a Monday, as the scenario's
``demand.weekly`` counts days. A missing time (an order never fulfilled, a purchase
order not yet received, a spell still open) is ``nan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["UNIT_SECONDS", "Orders", "Receipts", "Records", "Stockouts"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

UNIT_SECONDS: dict[str, float] = {
    "second": 1.0,
    "minute": 60.0,
    "hour": 3600.0,
    "day": 86400.0,
    "week": 7 * 86400.0,
    "month": 365 / 12 * 86400.0,
    "year": 365 * 86400.0,
}
"""Length of each time unit a scenario may use [seconds] (a month is a twelfth of 365 days)."""


@dataclass(frozen=True)
class Orders:
    """Customer orders, one entry per row of ``orders.csv`` (of the chosen sku)."""

    ids: tuple[str, ...]
    created: FloatArray
    """When the customer ordered [time unit from the origin]."""
    quantity: IntArray
    """Units ordered (≥ 1)."""
    backordered: BoolArray
    """True when the order could not ship from stock at once."""
    fulfilled: FloatArray
    """When the whole order shipped; nan if it never did."""
    cancelled: FloatArray
    """When the customer cancelled; nan if not."""
    rows: IntArray
    """The row of each order as a spreadsheet shows it (the header is row 1)."""

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Receipts:
    """Replenishment (purchase) orders, one entry per row of ``receipts.csv``."""

    ids: tuple[str, ...]
    ordered: FloatArray
    """When the purchase order was placed [time unit from the origin]."""
    received: FloatArray
    """When it arrived; nan while it is still open."""
    quantity: IntArray
    supplier: tuple[str, ...] | None
    """The supplier of each purchase order, or None when the file has no ``supplier`` column."""
    rows: IntArray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lead_times(self) -> FloatArray:
        """received − ordered of the purchase orders that arrived [time unit]."""
        done = ~np.isnan(self.received)
        return np.asarray(self.received[done] - self.ordered[done], dtype=float)


@dataclass(frozen=True)
class Stockouts:
    """Spells when the product was shown "out of stock", as written (not yet merged)."""

    start: FloatArray
    end: FloatArray
    """End of each spell; a spell with no end in the file lasts until the export time."""
    rows: IntArray

    def __len__(self) -> int:
        return len(self.start)


@dataclass(frozen=True)
class Records:
    """What :func:`~supplysim.records.read_records` returns: one product's history.

    The observed window is ``[start, end]``: from the earliest timestamp of the files to
    the export time (both in time units from :attr:`origin`).
    """

    orders: Orders
    receipts: Receipts | None
    """None without a receipts file."""
    stockouts: Stockouts | None
    """None without a stockouts file (then the product is taken as always in stock)."""
    origin: datetime
    """Time 0: 00:00 UTC of the Monday on or before the earliest timestamp (timezone-aware)."""
    start: float
    """The earliest timestamp of the files [time unit from the origin]."""
    end: float
    """The export time [time unit from the origin]: ``--exported-at``, or the latest timestamp."""
    time_unit: str
    sku: str | None
    """The product chosen with ``sku=``, or the single product of the files, or None."""
    files: dict[str, Path] = field(default_factory=dict)
    """Which file each part came from: ``orders``, ``receipts``, ``stockouts``."""
    notices: tuple[str, ...] = ()
    """Things the reader did that the user should know (ignored columns, naive times read as UTC)."""

    @property
    def exported_at(self) -> datetime:
        """The export time as a UTC date-time."""
        return self.to_datetime(self.end)

    def to_datetime(self, t: float) -> datetime:
        """The UTC date-time of time ``t`` [time unit from the origin]."""
        return self.origin + timedelta(seconds=float(t) * UNIT_SECONDS[self.time_unit])

    def to_time(self, when: datetime) -> float:
        """``when`` (timezone-aware) in time units from the origin."""
        return (when - self.origin).total_seconds() / UNIT_SECONDS[self.time_unit]
