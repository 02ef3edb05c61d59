"""A replication's trace told as the shop's exports: the accounting of the records against the trace's counts."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from supplysim.analysis.records import (
    HistoryError,
    NeverShown,
    QueueFull,
    ShelfEmpty,
    display_for,
    history_from_records,
    records_from_trace,
)
from supplysim.outputs.exports import ExportError, export_csvs, unit_length, write_exports
from supplysim.records import read_records
from supplysim.scenario import load_scenario
from supplysim.scenario.load import with_overrides
from supplysim.sim.replication import simulate
from supplysim.sim.trace import Event

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "scenarios" / "shop-export" / "truth.yaml"
WARMUP, HORIZON = 63.0, 140.0


def _run(overrides: list[tuple[str, object]], seed: int = 5):  # type: ignore[no-untyped-def]
    sc = with_overrides(load_scenario(TRUTH), overrides) if overrides else load_scenario(TRUTH)
    (cfg,) = sc.policies.values()
    result = simulate(cfg, seed=seed, replication=0, horizon=HORIZON, warmup=WARMUP, trace=True)
    assert result.trace is not None
    return cfg, result, records_from_trace(result.trace, display_for(cfg), WARMUP, WARMUP + HORIZON)


def _inside(t: float, spells: tuple[tuple[float, float], ...], *, strictly: bool = False) -> bool:
    return any((lo < t if strictly else lo <= t) and t < hi for lo, hi in spells)


def test_hybrid_shop_orders_are_the_customers_who_ordered() -> None:
    """Orders = arrivals − customers turned away in spells; every outcome count matches the trace's."""
    cfg, result, hist = _run([])
    c = result.counters
    o = hist.orders
    assert isinstance(display_for(cfg), QueueFull)
    assert c.lost > 20 and c.cancelled > 5 and len(hist.spells) > 3  # the case exercises every outcome
    assert len(o) == c.customers - c.lost == c.served_immediately + c.backordered
    assert int(o.backordered.sum()) == c.backordered
    served_after = o.backordered & ~np.isnan(o.fulfilled)
    assert int(served_after.sum()) == c.served_after_wait
    assert int((~np.isnan(o.cancelled)).sum()) == c.cancelled + c.expired
    assert int((o.backordered & np.isnan(o.fulfilled) & np.isnan(o.cancelled)).sum()) == c.pending
    lost_rows = [r for r in result.trace or [] if r.event is Event.LOST and r.time >= WARMUP]
    assert int(o.quantity.sum()) == c.units_demanded - sum(r.qty for r in lost_rows)
    # the mean wait on the records is the simulator's mean_wait exactly
    waits = o.fulfilled[served_after] - o.created[served_after]
    assert math.isclose(float(waits.mean()), result.waits.mean, rel_tol=1e-12)
    # customers turned away arrived inside a spell; no order was created inside one (the order that
    # filled the queue is created at the instant its spell starts)
    lost_at = [r.time - WARMUP for r in lost_rows]
    assert len(lost_at) == c.lost
    assert all(_inside(t, hist.spells) for t in lost_at)
    assert not any(_inside(t, hist.spells, strictly=True) for t in o.created.tolist())


def test_lost_sales_spells_are_the_empty_shelf() -> None:
    """Under lost_sales with unit demand, the spells are the time with nothing on hand, to the last digit."""
    cfg, result, hist = _run([("store.stockout", "lost_sales"), ("store.max_backorders", None), ("demand.quantity", 1)])
    assert isinstance(display_for(cfg), ShelfEmpty)
    c = result.counters
    assert c.lost > 20
    assert len(hist.orders) == c.served_immediately == c.customers - c.lost
    assert not hist.orders.backordered.any()
    spell_time = sum(hi - lo for lo, hi in hist.spells)
    assert math.isclose(spell_time, c.stockout_time, rel_tol=1e-9, abs_tol=1e-9)


def test_purchase_orders_are_the_replenishment_orders_of_the_history() -> None:
    _, result, hist = _run([])
    r = hist.receipts
    placed = [row for row in result.trace or [] if row.event is Event.ORDER and row.time >= WARMUP]
    assert len(r) == len(placed) == result.counters.orders_placed
    assert int(r.quantity.sum()) == result.counters.units_ordered
    done = ~np.isnan(r.received)
    assert (r.received[done] > r.ordered[done]).all()
    assert len(set(r.po_id)) == len(r)


def test_backorders_without_a_limit_never_show_out_of_stock() -> None:
    cfg, _, hist = _run([("store.max_backorders", None)])
    assert isinstance(display_for(cfg), NeverShown)
    assert hist.spells == ()


def test_a_quoted_wait_limit_cannot_be_told_from_the_trace() -> None:
    sc = with_overrides(load_scenario(TRUTH), [("store.max_backorders", None), ("store.max_quoted_wait", 5)])
    with pytest.raises(HistoryError, match="max_quoted_wait"):
        display_for(next(iter(sc.policies.values())))


def test_exports_read_back_as_the_same_history(tmp_path: Path) -> None:
    """Written, then read by the reader of ``supplysim fit``: the same orders, times within a second."""
    _, _, hist = _run([])
    write_exports(tmp_path, hist, datetime(2025, 1, 6), "day", sku="teapot")
    rec = read_records(
        tmp_path / "orders.csv",
        tmp_path / "receipts.csv",
        tmp_path / "stockouts.csv",
        time_unit="day",
        exported_at="2025-05-26T00:00:00",
    )
    back = history_from_records(rec)
    assert rec.start == 0.0  # 6 January 2025 is a Monday: the reader's origin
    assert back.length == pytest.approx(HORIZON)
    assert back.orders.order_id == hist.orders.order_id
    second = 1 / 86400
    np.testing.assert_allclose(back.orders.created, hist.orders.created, atol=second)
    np.testing.assert_allclose(back.orders.fulfilled, hist.orders.fulfilled, atol=second)
    np.testing.assert_allclose(back.orders.cancelled, hist.orders.cancelled, atol=second)
    assert (back.orders.backordered == hist.orders.backordered).all()
    np.testing.assert_allclose(back.receipts.received, hist.receipts.received, atol=second)
    assert len(back.spells) == len(hist.spells)
    np.testing.assert_allclose(np.array(back.spells), np.array(hist.spells), atol=second)


def test_csv_columns_and_dates() -> None:
    _, _, hist = _run([])
    files = export_csvs(hist, datetime(2025, 1, 6), "hour")
    header = {name: text.splitlines()[0] for name, text in files.items()}
    assert header == {
        "orders.csv": "order_id,created_at,quantity,backordered,fulfilled_at,cancelled_at",
        "receipts.csv": "po_id,ordered_at,received_at,quantity,supplier",
        "stockouts.csv": "start,end",
    }
    first = files["orders.csv"].splitlines()[1].split(",")
    hours = float(hist.orders.created[0])
    expected = datetime(2025, 1, 6) + round(hours * 3600) * unit_length("second")
    assert first[1] == expected.strftime("%Y-%m-%dT%H:%M:%S")
    assert first[3] == ("true" if hist.orders.backordered[0] else "false")
    with pytest.raises(ExportError, match="month"):
        unit_length("month")


def test_round_trip_recovers_the_truth(tmp_path: Path) -> None:
    """Simulate the example's truth, export, fit: every fitted key's 95% interval covers the true value.

    ``scenarios/shop-export/generate.py`` is run afresh into a temporary folder; the committed
    files must be what it writes (the example is reproducible).
    """
    import runpy
    import sys

    import supplysim

    truth = load_scenario(TRUTH)
    (cfg,) = truth.policies.values()
    result = simulate(cfg, seed=truth.seed, replication=0, horizon=truth.horizon, warmup=truth.warmup, trace=True)
    example = TRUTH.parent
    argv = sys.argv
    sys.argv = ["generate.py", "--out", str(tmp_path)]
    try:
        runpy.run_path(str(example / "generate.py"), run_name="__main__")
    finally:
        sys.argv = argv
    for name in ("orders.csv", "receipts.csv", "stockouts.csv"):
        assert (tmp_path / name).read_text() == (example / name).read_text(), f"{name}: run generate.py"
    fitted = supplysim.fit(
        tmp_path / "orders.csv",
        example / "template.yaml",
        tmp_path / "receipts.csv",
        tmp_path / "stockouts.csv",
        exported_at="2026-01-05",
        bootstrap=0,
    )
    doc = fitted.result.to_json()

    def covers(ci: list[float], value: float) -> bool:
        return ci[0] <= value <= ci[1]

    assert covers(doc["demand.rate"]["ci95"], 6.0)
    assert doc["demand.weekly"]["p_value"] < 0.01  # the weekly profile is found
    true_weekly = np.array([0.85, 0.85, 0.9, 0.95, 1.05, 1.45, 0.95])
    assert np.abs(np.array(doc["demand.weekly"]["estimate"]) - true_weekly).max() < 0.15
    assert covers(doc["demand.quantity"]["ci95_mean"], 0.85 * 1 + 0.15 * 2)
    assert covers(doc["supplier.lead_time"]["ci95_mean"], 9.0)
    weibull_median = 5.0 * math.log(2.0) ** (1 / 1.5)
    assert covers(doc["patience"]["ci95_median"], weibull_median)
    assert doc["patience"]["events"] == result.counters.cancelled  # every cancellation is an event


def test_partial_shipments_fulfil_an_order_at_its_last_unit() -> None:
    """With partial shipments, an order is fulfilled when its last unit leaves: the records' mean
    wait is still the simulator's mean_wait, and the outcome counts still match."""
    _, result, hist = _run(
        [
            ("store.partial_shipments", True),
            ("demand.quantity", {"dist": "choice", "values": [1, 3], "weights": [0.6, 0.4]}),
        ]
    )
    c, o = result.counters, hist.orders
    assert c.partial_units > 0  # some units did ship at once to customers who then waited
    served_after = o.backordered & ~np.isnan(o.fulfilled)
    assert int(served_after.sum()) == c.served_after_wait
    assert int(o.backordered.sum()) == c.backordered
    waits = o.fulfilled[served_after] - o.created[served_after]
    assert math.isclose(float(waits.mean()), result.waits.mean, rel_tol=1e-12)


def test_a_waitlisted_customer_who_buys_places_an_order_then() -> None:
    """Under lost_sales with "notify me", a recovered sale is an order created when it ships."""
    _, result, hist = _run(
        [
            ("store.stockout", "lost_sales"),
            ("store.max_backorders", None),
            ("store.waitlist", {"join": 0.6, "convert": 0.8}),
        ]
    )
    c, o = result.counters, hist.orders
    recovered = np.array([i.endswith("w") for i in o.order_id])
    assert c.recovered_units > 0
    assert int(o.quantity[recovered].sum()) == c.recovered_units  # the units of recovered sales in the window
    assert int((~recovered).sum()) == c.served_immediately
    assert (o.fulfilled[recovered] == o.created[recovered]).all() and not o.backordered.any()


def test_a_run_with_its_trace_writes_the_same_exports(tmp_path: Path) -> None:
    """``Results.to_exports`` and a trace CSV of ``supplysim run --trace`` tell the same history as the rows."""
    import pandas as pd

    import supplysim
    from supplysim.analysis.records import rows_from_frame
    from supplysim.outputs.documents import trace_csv

    sc = with_overrides(load_scenario(TRUTH), [("horizon", 60), ("replications", 2)])
    res = supplysim.run(sc, workers=1, trace=True, record=False)
    written = res.to_exports(tmp_path, datetime(2025, 1, 6))
    (cfg,) = sc.policies.values()
    rows = res.experiment.traces["base"]
    direct = export_csvs(records_from_trace(rows, display_for(cfg), sc.warmup, sc.end), datetime(2025, 1, 6), "day")
    assert {name: path.read_text() for name, path in sorted(written.items())} == dict(sorted(direct.items()))
    (tmp_path / "trace.csv").write_text(trace_csv(rows))
    for frame in (res.traces()["base"], pd.read_csv(tmp_path / "trace.csv")):
        again = records_from_trace(rows_from_frame(frame), display_for(cfg), sc.warmup, sc.end)
        assert export_csvs(again, datetime(2025, 1, 6), "day") == direct
    with pytest.raises(HistoryError, match="no column"):
        rows_from_frame(pd.DataFrame({"time": [0.0]}))
