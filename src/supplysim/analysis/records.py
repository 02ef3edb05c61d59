"""What would the shop's own exports say? A replication's event trace turned into its records.

A shop does not see its customers, only its orders. This module turns the event trace of
one replication (:class:`~supplysim.sim.trace.TraceRow` rows) into the three tables a shop
would export (``../shared/spec/data.md``): its orders, its purchase orders and the spells
when the product was shown "out of stock" — in model time, counted from the start of the
history. :mod:`supplysim.outputs.exports` writes them as CSV files with dates.

What the records contain, rule by rule (``docs/fit.md``, "A worked example"):

* **An order** is a customer of the history (arriving in [start, end)) who *placed* one:
  served immediately (``backordered`` false, fulfilled at once) or who joined the backorder
  queue (``backordered`` true; fulfilled when the shipment completing its request leaves,
  cancelled when its patience ran out or the store expired it, both empty while it still
  waits at the end). A customer turned away ("out of stock", refused) or who declined the
  backorder offer (balked) placed no order: it is in no table. A waitlisted customer who
  buys when notified places an order then, served at once.
* **A purchase order** is a replenishment order placed in the history, received when its
  delivery arrives (empty if it has not arrived by the end); its quantity is the quantity
  ordered.
* **A spell** is a maximal interval of the history during which the shop's page showed
  "out of stock" — a rule of the shop's stockout policy (:class:`StockoutDisplay`), applied
  to the store's state after every event of the trace.

Everything is a pure function of the rows: the same trace gives the same records.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from supplysim.records import Records
from supplysim.scenario import ModelConfig
from supplysim.sim.trace import Event, TraceRow

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "History",
    "HistoryError",
    "NeverShown",
    "OrderRecords",
    "QueueFull",
    "ReceiptRecords",
    "ShelfEmpty",
    "StockoutDisplay",
    "display_for",
    "history_from_records",
    "in_stock_time",
    "records_from_trace",
    "rows_from_frame",
]


class HistoryError(ValueError):
    """A trace whose records cannot be told (a policy whose "out of stock" the trace does not show)."""


@dataclass(frozen=True)
class OrderRecords:
    """The orders of a history, one entry per order, in order of creation [time since the history's start]."""

    order_id: tuple[str, ...]
    created: np.ndarray
    quantity: np.ndarray
    """Units ordered (integers ≥ 1)."""
    backordered: np.ndarray
    """True when the order could not ship from stock at once (the customer joined the queue)."""
    fulfilled: np.ndarray
    """When the whole order shipped; NaN if it never did."""
    cancelled: np.ndarray
    """When the order was cancelled (patience or ``expire_after``); NaN if not."""

    def __len__(self) -> int:
        return len(self.order_id)


@dataclass(frozen=True)
class ReceiptRecords:
    """The purchase orders of a history [time since the history's start]."""

    po_id: tuple[str, ...]
    supplier: tuple[str, ...]
    ordered: np.ndarray
    received: np.ndarray
    """NaN while the order is still on its way at the end."""
    quantity: np.ndarray
    """Units ordered."""

    def __len__(self) -> int:
        return len(self.po_id)


@dataclass(frozen=True)
class History:
    """A history as the shop would export it: orders, purchase orders, "out of stock" spells.

    Times are in the scenario's time unit, counted from the history's start; the history is
    [0, ``length``).
    """

    orders: OrderRecords
    receipts: ReceiptRecords
    spells: tuple[tuple[float, float], ...]
    """(start, end) of every "out of stock" spell, in order, disjoint, clipped to [0, length]."""
    length: float
    """The history's length [time]."""


class StockoutDisplay(Protocol):
    """When does the shop's page show "out of stock"? A rule on the store's state."""

    def shown(self, available: int, waiting: int) -> bool:
        """Is "out of stock" shown with ``available`` units available and ``waiting`` customers queued?"""
        ...


@dataclass(frozen=True)
class ShelfEmpty:
    """``stockout: lost_sales``: "out of stock" is shown while no unit is available.

    A customer wanting more units than are available (1 ≤ available < q) is turned away
    too, outside any spell: such customers are unseen in the records (with unit demand
    there are none).
    """

    def shown(self, available: int, waiting: int) -> bool:
        return available <= 0


@dataclass(frozen=True)
class QueueFull:
    """``stockout: backorder`` with ``max_backorders``: "out of stock" is shown while that many wait."""

    max_backorders: int

    def shown(self, available: int, waiting: int) -> bool:
        return waiting >= self.max_backorders


@dataclass(frozen=True)
class NeverShown:
    """``stockout: backorder`` without limits: every customer is offered a backorder; no spell."""

    def shown(self, available: int, waiting: int) -> bool:
        return False


def display_for(cfg: ModelConfig) -> StockoutDisplay:
    """The display rule of a model's stockout policy.

    Raises:
        HistoryError: for ``max_quoted_wait`` (the quote moves with the age of the orders
            between events, so the trace does not say when the page flipped) and networks.
    """
    if getattr(cfg, "network", None) is not None:
        raise HistoryError("records are told for a single store, not a network")
    store = cfg.store
    if store.stockout == "lost_sales":
        return ShelfEmpty()
    if store.max_quoted_wait is not None:
        raise HistoryError(
            "store.max_quoted_wait: the trace does not say when the quoted wait crossed the limit, "
            "so the spells cannot be told; use store.max_backorders for a hybrid shop"
        )
    if store.max_backorders is not None:
        return QueueFull(store.max_backorders)
    return NeverShown()


class _Order:
    """An order being built from the rows (mutable while reading)."""

    __slots__ = ("backordered", "cancelled", "created", "fulfilled", "ident", "quantity")

    def __init__(self, ident: str, created: float, quantity: int) -> None:
        self.ident = ident
        self.created = created
        self.quantity = quantity
        self.backordered = False
        self.fulfilled = math.nan
        self.cancelled = math.nan


_ARRIVED = 0
_WAITING = 1
_DONE = 2
_LOST = 3


def records_from_trace(rows: Iterable[TraceRow], display: StockoutDisplay, start: float, end: float) -> History:
    """The records of the history [start, end) of a replication's trace (see the module docstring).

    Args:
        rows: the trace, in the order the events happened (warm-up rows included).
        display: when the page shows "out of stock" (:func:`display_for`).
        start: the history's start in simulation time (usually the end of the warm-up) [time].
        end: the history's end (the run's end: warm-up + horizon) [time].
    """
    if not end > start:
        raise HistoryError(f"the history's end ({end:g}) must be after its start ({start:g})")
    orders: list[_Order] = []
    status: dict[int, int] = {}
    open_orders: dict[int, _Order] = {}
    pos: dict[tuple[str, int], list[float]] = {}
    po_names: list[tuple[str, int]] = []
    spells: list[tuple[float, float]] = []
    waiting = 0
    available = 0
    spell_start: float | None = None

    def flip(now: float) -> None:
        nonlocal spell_start
        shown = display.shown(available, waiting)
        if shown and spell_start is None:
            spell_start = now
        elif not shown and spell_start is not None:
            lo, hi = max(spell_start, start), min(now, end)
            if hi > lo:
                if spells and spells[-1][1] >= lo:
                    spells[-1] = (spells[-1][0], hi)
                else:
                    spells.append((lo, hi))
            spell_start = None

    state_known = False
    for row in rows:
        now = row.time
        ev = row.event
        cid = row.id
        if ev is Event.ARRIVE:
            status[cid] = _ARRIVED
            if start <= now < end:
                order = _Order(str(cid), now - start, row.qty)
                open_orders[cid] = order
        elif ev is Event.SHIP:
            st = status.get(cid)
            order_ = open_orders.get(cid)
            if st == _ARRIVED:
                status[cid] = _DONE
                if order_ is not None:
                    order_.fulfilled = order_.created
                    orders.append(order_)
                    del open_orders[cid]
            elif st == _WAITING and not math.isnan(row.wait):
                status[cid] = _DONE
                waiting -= 1
                if order_ is not None:
                    order_.fulfilled = now - start
                    del open_orders[cid]
            elif st == _LOST and start <= now < end:
                recovered = _Order(f"{cid}w", now - start, row.qty)
                recovered.fulfilled = recovered.created
                orders.append(recovered)
        elif ev is Event.BACKORDER:
            status[cid] = _WAITING
            waiting += 1
            if (order_ := open_orders.get(cid)) is not None:
                order_.backordered = True
                orders.append(order_)
        elif ev is Event.LOST:
            status[cid] = _LOST
            open_orders.pop(cid, None)
        elif ev is Event.CANCEL or ev is Event.EXPIRE:
            if status.get(cid) == _WAITING:
                waiting -= 1
            status[cid] = _DONE
            if (order_ := open_orders.pop(cid, None)) is not None:
                order_.cancelled = now - start
        elif ev is Event.ORDER:
            if start <= now < end:
                key = (row.supplier, cid)
                pos[key] = [now - start, math.nan, float(row.qty)]
                po_names.append(key)
        elif ev is Event.DELIVER:
            po = pos.get((row.supplier, cid))
            if po is not None:
                po[1] = now - start
        available = row.available
        state_known = True
        flip(now)
    if state_known and spell_start is not None:
        lo = max(spell_start, start)
        if end > lo:
            if spells and spells[-1][1] >= lo:
                spells[-1] = (spells[-1][0], end)
            else:
                spells.append((lo, end))
    orders.sort(key=lambda o: (o.created, o.ident))
    suppliers = {s for s, _ in po_names}
    single = len(suppliers) <= 1
    length = end - start
    return History(
        OrderRecords(
            tuple(o.ident for o in orders),
            np.array([o.created for o in orders], dtype=float),
            np.array([o.quantity for o in orders], dtype=np.int64),
            np.array([o.backordered for o in orders], dtype=bool),
            np.array([o.fulfilled for o in orders], dtype=float),
            np.array([o.cancelled for o in orders], dtype=float),
        ),
        ReceiptRecords(
            tuple(f"PO{i}" if single else f"PO-{s}-{i}" for s, i in po_names),
            tuple(s for s, _ in po_names),
            np.array([pos[k][0] for k in po_names], dtype=float),
            np.array([pos[k][1] for k in po_names], dtype=float),
            np.array([pos[k][2] for k in po_names], dtype=np.int64),
        ),
        tuple((lo - start, hi - start) for lo, hi in spells),
        length,
    )


def rows_from_frame(frame: pd.DataFrame) -> list[TraceRow]:
    """The trace rows of a trace table: ``Results.traces()[policy]``, or the ``traces/<policy>.csv``
    of ``supplysim run --trace`` read with :func:`pandas.read_csv` (same columns, ``docs/indicators.md``).

    Raises:
        HistoryError: a column is missing, or an event is not one of :class:`~supplysim.sim.trace.Event`.
    """
    needed = ("time", "event", "id", "qty", "wait", "supplier", "available")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise HistoryError(f"not a trace: no column {', '.join(missing)} (expected the columns of a trace CSV)")
    known = {e.value: e for e in Event}
    events = [str(v) for v in frame["event"].tolist()]
    bad = sorted({v for v in events if v not in known})
    if bad:
        raise HistoryError(f"not a trace: unknown event {bad[0]!r} (expected one of {', '.join(known)})")
    suppliers = frame["supplier"].fillna("").astype(str).tolist()
    return [
        TraceRow(float(t), known[e], int(i), int(q), float(w), "", sup, "", math.nan, 0, int(a))
        for t, e, i, q, w, sup, a in zip(
            frame["time"].tolist(),
            events,
            frame["id"].tolist(),
            frame["qty"].tolist(),
            frame["wait"].astype(float).tolist(),
            suppliers,
            frame["available"].tolist(),
            strict=True,
        )
    ]


def in_stock_time(spells: Sequence[tuple[float, float]], length: float) -> float:
    """Time of [0, length) outside the spells [time]."""
    return length - sum(hi - lo for lo, hi in spells)


def history_from_records(records: Records) -> History:
    """The history of exports as read (:func:`supplysim.records.read_records`): times from its start.

    The history is [``records.start``, ``records.end``) — from 00:00 of the first order's day
    to the export time; a spell with no end lasts until the export time; overlapping spells
    are merged.
    """
    t0, length = records.start, records.end - records.start
    o = records.orders
    orders = OrderRecords(
        tuple(o.ids),
        o.created - t0,
        o.quantity.astype(np.int64),
        o.backordered.astype(bool),
        o.fulfilled - t0,
        o.cancelled - t0,
    )
    r = records.receipts
    if r is not None:
        receipts = ReceiptRecords(
            tuple(r.ids),
            tuple(r.supplier) if r.supplier is not None else ("",) * len(r),
            r.ordered - t0,
            np.where(r.received - t0 < length, r.received - t0, np.nan),
            r.quantity.astype(np.int64),
        )
    else:
        receipts = ReceiptRecords((), (), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64))
    spells: list[tuple[float, float]] = []
    if records.stockouts is not None:
        s = records.stockouts
        ends = np.where(np.isnan(s.end), records.end, s.end)
        lo = np.clip(s.start - t0, 0.0, length)
        hi = np.clip(ends - t0, 0.0, length)
        for a, b in sorted(zip(lo.tolist(), hi.tolist(), strict=True)):
            if b > a:
                if spells and spells[-1][1] >= a:
                    spells[-1] = (spells[-1][0], max(b, spells[-1][1]))
                else:
                    spells.append((a, b))
    return History(orders, receipts, tuple(spells), length)
