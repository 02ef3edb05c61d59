"""Synthetic shop exports drawn with NumPy from known parameters (the truth), for the fit tests.

Orders arrive as a Poisson process (optionally with weekday factors) on the in-stock time
only; stockout spells alternate with in-stock spells of exponential lengths. A share of the
orders is backordered: each waits a service time S and has a patience P, cancels at P when
P < S, is fulfilled at S otherwise, and is still open when the export comes first.
Receipts are purchase orders with lead times from a scipy law.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday


@dataclass
class Truth:
    rate: float = 10.0
    """Orders per in-stock day (the mean of the weekday rates when ``weekly`` is set)."""
    weekly: tuple[float, ...] | None = None
    days: float = 120.0
    stockout_share: float = 0.0
    """Long-run share of time out of stock (0: no stockouts file)."""
    stockout_mean: float = 2.0
    """Mean stockout spell [days]."""
    quantity: tuple[list[int], list[float]] = ([1], [1.0])
    backorder_share: float = 0.3
    patience: Any = None
    """A frozen scipy law of patience [days]."""
    service: Any = None
    """A frozen scipy law of the wait until fulfilment [days]."""
    lead_time: Any = None
    purchase_orders: int = 60
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Export:
    orders: Path
    receipts: Path | None
    stockouts: Path | None
    created: np.ndarray
    spells: list[tuple[float, float]]


def _iso(t: float) -> str:
    return (ORIGIN + timedelta(days=float(t))).isoformat().replace("+00:00", "Z")


def spells(truth: Truth, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Alternating in-stock and out-of-stock spells on [0, days]."""
    if truth.stockout_share <= 0:
        return []
    up_mean = truth.stockout_mean * (1 - truth.stockout_share) / truth.stockout_share
    out, t = [], float(rng.exponential(up_mean))
    while t < truth.days:
        d = float(rng.exponential(truth.stockout_mean))
        out.append((t, min(t + d, truth.days)))
        t += d + float(rng.exponential(up_mean))
    return out


def arrivals(truth: Truth, rng: np.random.Generator, down: list[tuple[float, float]]) -> np.ndarray:
    """Poisson arrivals of rate λ·f(weekday), thinned out of the stockout spells."""
    f = np.ones(7) if truth.weekly is None else np.asarray(truth.weekly) / np.mean(truth.weekly)
    top = truth.rate * f.max()
    n = rng.poisson(top * truth.days)
    t = np.sort(rng.uniform(0, truth.days, n))
    keep = rng.random(n) < f[np.floor(t).astype(int) % 7] / f.max()
    t = t[keep]
    for a, b in down:
        t = t[(t < a) | (t > b)]
    return t


def make_export(folder: Path, truth: Truth, seed: int) -> Export:
    """Draw one export into ``folder`` (orders.csv, and receipts.csv / stockouts.csv when asked)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    down = spells(truth, rng)
    t = arrivals(truth, rng, down)
    values, weights = truth.quantity
    q = rng.choice(values, size=len(t), p=np.asarray(weights) / sum(weights))
    back = rng.random(len(t)) < truth.backorder_share
    end = truth.days
    rows = []
    for i, (ti, qi, bi) in enumerate(zip(t, q, back, strict=True)):
        fulfilled = cancelled = ""
        if not bi:
            fulfilled = _iso(ti)
        else:
            s = float(truth.service.rvs(random_state=rng)) if truth.service is not None else 1.0
            p = float(truth.patience.rvs(random_state=rng)) if truth.patience is not None else np.inf
            if p < s and ti + p <= end:
                cancelled = _iso(ti + p)
            elif s <= p and ti + s <= end:
                fulfilled = _iso(ti + s)
        rows.append([f"O{i}", _iso(ti), int(qi), "true" if bi else "false", fulfilled, cancelled])
    orders = folder / "orders.csv"
    with orders.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["order_id", "created_at", "quantity", "backordered", "fulfilled_at", "cancelled_at"])
        w.writerows(rows)
    receipts = None
    if truth.lead_time is not None:
        receipts = folder / "receipts.csv"
        placed = np.sort(rng.uniform(0, end * 0.8, truth.purchase_orders))
        lt = np.asarray(truth.lead_time.rvs(size=truth.purchase_orders, random_state=rng), dtype=float)
        with receipts.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["po_id", "ordered_at", "received_at", "quantity"])
            for i, (a, d) in enumerate(zip(placed, lt, strict=True)):
                w.writerow([f"P{i}", _iso(a), _iso(a + d) if a + d <= end else "", 100])
    stockouts = None
    if truth.stockout_share > 0:
        stockouts = folder / "stockouts.csv"
        with stockouts.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["start", "end"])
            w.writerows([_iso(a), _iso(b)] for a, b in down)
    # the export is taken at the end of the window
    (folder / "exported_at.txt").write_text(_iso(end))
    return Export(orders, receipts, stockouts, t, down)
