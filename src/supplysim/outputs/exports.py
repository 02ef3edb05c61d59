"""The shop's exports written from a history: orders.csv, receipts.csv, stockouts.csv.

:func:`supplysim.analysis.records.records_from_trace` tells a replication's records in
model time; this module dates them — time t of the history is ``start + t`` time units —
and writes the three files of ``../shared/spec/data.md``:

* ``orders.csv``: ``order_id, created_at, quantity, backordered, fulfilled_at,
  cancelled_at`` (and ``sku`` when one is given);
* ``receipts.csv``: ``po_id, ordered_at, received_at, quantity, supplier`` (and ``sku``);
* ``stockouts.csv``: ``start, end`` (and ``sku``).

Timestamps are ISO 8601 without a time zone, to the second (``2025-01-06T14:03:27``); an
empty cell is an event that did not happen (not fulfilled, not cancelled, not received).
Only time units of fixed length can be dated (second, minute, hour, day, week).
"""

from __future__ import annotations

import io
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from supplysim.analysis.records import History
from supplysim.outputs.folders import write_file

__all__ = ["UNIT_SECONDS", "ExportError", "export_csvs", "export_frames", "unit_length", "write_exports"]

UNIT_SECONDS: dict[str, float] = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0, "week": 604800.0}
"""Seconds per time unit, for the units of fixed length (plurals accepted)."""

_FORMAT = "%Y-%m-%dT%H:%M:%S"


class ExportError(ValueError):
    """The history cannot be dated (a time unit of no fixed length)."""


def unit_length(time_unit: str) -> timedelta:
    """The length of one ``time_unit`` (``day``, ``days``, ``hour`` …).

    Raises:
        ExportError: for a unit of no fixed length (month, quarter, year) or an unknown one.
    """
    unit = time_unit.strip().lower()
    seconds = UNIT_SECONDS.get(unit, UNIT_SECONDS.get(unit.removesuffix("s")))
    if seconds is None:
        known = ", ".join(UNIT_SECONDS)
        raise ExportError(f"time_unit {time_unit!r} has no fixed length: records can be dated in {known}")
    return timedelta(seconds=seconds)


def _dates(times: np.ndarray, start: datetime, unit: timedelta) -> list[str]:
    out: list[str] = []
    for t in times.tolist():
        if math.isnan(t):
            out.append("")
        else:
            out.append((start + timedelta(seconds=round(t * unit.total_seconds()))).strftime(_FORMAT))
    return out


def export_frames(records: History, start: datetime, time_unit: str, sku: str | None = None) -> dict[str, pd.DataFrame]:
    """The three tables, dated (strings in ISO 8601; empty for an event that did not happen).

    Args:
        records: the history in model time.
        start: the date and time of the history's start (time 0).
        time_unit: the scenario's time unit (one of :data:`UNIT_SECONDS`).
        sku: written in a ``sku`` column of every table when given.
    """
    unit = unit_length(time_unit)
    o, r = records.orders, records.receipts
    orders = pd.DataFrame(
        {
            "order_id": list(o.order_id),
            "created_at": _dates(o.created, start, unit),
            "quantity": o.quantity.astype(np.int64),
            "backordered": ["true" if b else "false" for b in o.backordered.tolist()],
            "fulfilled_at": _dates(o.fulfilled, start, unit),
            "cancelled_at": _dates(o.cancelled, start, unit),
        }
    )
    receipts = pd.DataFrame(
        {
            "po_id": list(r.po_id),
            "ordered_at": _dates(r.ordered, start, unit),
            "received_at": _dates(r.received, start, unit),
            "quantity": r.quantity.astype(np.int64),
            "supplier": list(r.supplier),
        }
    )
    spells = np.array(records.spells, dtype=float).reshape(-1, 2)
    stockouts = pd.DataFrame({"start": _dates(spells[:, 0], start, unit), "end": _dates(spells[:, 1], start, unit)})
    frames = {"orders.csv": orders, "receipts.csv": receipts, "stockouts.csv": stockouts}
    if sku is not None:
        for frame in frames.values():
            frame["sku"] = sku
    return frames


def export_csvs(records: History, start: datetime, time_unit: str, sku: str | None = None) -> dict[str, str]:
    """The three files' text, by file name (see :func:`export_frames`)."""
    out: dict[str, str] = {}
    for name, frame in export_frames(records, start, time_unit, sku).items():
        buf = io.StringIO()
        frame.to_csv(buf, index=False, lineterminator="\n")
        out[name] = buf.getvalue()
    return out


def write_exports(
    folder: Path, records: History, start: datetime, time_unit: str, sku: str | None = None
) -> dict[str, Path]:
    """Write orders.csv, receipts.csv and stockouts.csv into ``folder``, each atomically."""
    return {
        name: write_file(Path(folder) / name, text)
        for name, text in export_csvs(records, start, time_unit, sku).items()
    }
