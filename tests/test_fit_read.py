"""Reading the exports of ``supplysim fit`` (``data.md``): good files read right, bad ones get one located message."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from clirun import assert_one_clear_message, cli, invalid
from supplysim.records import RecordsError, read_records

HEADER = "order_id,created_at,quantity,backordered,fulfilled_at,cancelled_at"
GOOD = [
    "A1,2024-03-06T10:00:00+01:00,2,false,2024-03-06T10:00:00+01:00,",
    "A2,2024-03-07,1,true,,2024-03-08",
    "A3,2024-03-08 12:00,1,true,2024-03-10,",
]
TEMPLATE = """\
name: shop
horizon: 100
demand: {rate: 5}
segments: [{name: all, accept_backorder: 0.8, patience: {dist: exponential, mean: 3}}]
supplier: {lead_time: 5}
replenishment: {policy: rQ, reorder_point: 10, order_quantity: 20}
"""


def _write(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_times_are_days_from_the_monday_before_the_first_order(tmp_path: Path) -> None:
    orders = _write(tmp_path / "orders.csv", GOOD)
    rec = read_records(orders)
    assert rec.origin == datetime(2024, 3, 4, tzinfo=UTC)  # the Monday before Wednesday 6 March
    assert rec.origin.weekday() == 0
    # 10:00+01:00 is 09:00 UTC: 2 days and 9 hours after the origin
    assert rec.orders.created.tolist() == pytest.approx([2 + 9 / 24, 3.0, 4.5])
    assert rec.start == 2.0  # 00:00 of the first order's day
    assert rec.end == 6.0  # the latest time in the file (A3 fulfilled on 10 March)
    assert rec.orders.rows.tolist() == [2, 3, 4]
    assert math.isnan(rec.orders.fulfilled[1]) and rec.orders.cancelled[1] == 4.0
    assert rec.orders.backordered.tolist() == [False, True, True]
    hours = read_records(orders, time_unit="hour")
    assert hours.orders.created[1] == 72.0


def test_bom_blank_lines_case_and_ignored_columns(tmp_path: Path) -> None:
    text = "\ufeff" + HEADER.upper() + ",Channel\n" + GOOD[0] + ",web\n\n" + GOOD[1] + ",shop\n"
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    rec = read_records(path)
    assert len(rec.orders) == 2
    assert rec.orders.rows.tolist() == [2, 4]  # the blank line keeps its row number
    assert any("ignored column channel" in n for n in rec.notices)
    assert any("without a time zone were read as UTC" in n for n in rec.notices)


def test_the_export_time_and_open_spells(tmp_path: Path) -> None:
    orders = _write(tmp_path / "orders.csv", GOOD)
    spells = _write(tmp_path / "stockouts.csv", ["2024-03-07T12:00,2024-03-07T18:00", "2024-03-09,"], "start,end")
    rec = read_records(orders, stockouts=spells, exported_at="2024-03-12T00:00Z")
    assert rec.end == 8.0
    assert rec.stockouts is not None
    assert rec.stockouts.end.tolist() == [3.75, 8.0]  # the open spell lasts until the export


def test_sku_picks_one_product(tmp_path: Path) -> None:
    lines = [f"{g},{s}" for g, s in zip(GOOD, ["red", "blue", "red"], strict=True)]
    orders = _write(tmp_path / "orders.csv", lines, HEADER + ",sku")
    assert read_records(orders, sku="red").orders.ids == ("A1", "A3")
    with pytest.raises(RecordsError, match="did you mean 'blue'"):
        read_records(orders, sku="bleu")
    with pytest.raises(RecordsError, match="2 products"):
        read_records(orders)


BAD_ORDERS = {
    "unparseable date": (["A1,2024-31-01,1,false,,"], "row 2, column created_at", "'2024-31-01'"),
    "day-first date": (["A1,06/03/2024,1,false,,"], "row 2, column created_at", "year first"),
    "negative quantity": (["A1,2024-03-01,-2,false,,"], "row 2, column quantity", "'-2'"),
    "fractional quantity": (["A1,2024-03-01,1.5,false,,"], "row 2, column quantity", "whole units"),
    "huge quantity": (["A1,2024-03-01,1e12,false,,"], "row 2, column quantity", "at most 10⁹"),
    "fulfilled before created": (["A1,2024-03-02,1,false,2024-03-01,"], "row 2, column fulfilled_at", "before"),
    "cancelled and fulfilled": (["A1,2024-03-01,1,true,2024-03-02,2024-03-03"], "row 2, column cancelled_at", "both"),
    "duplicate id": (["A1,2024-03-01,1,false,,", "A1,2024-03-02,1,false,,"], "row 3, column order_id", "row 2"),
    "not true or false": (["A1,2024-03-01,1,maybe,,"], "row 2, column backordered", "'maybe'"),
    "no usable rows": ([], "orders.csv", "only a header"),
    "too many fields": (["A1,2024-03-01,1,false,,", "A2,2024-03-01,1,false,,,x,y"], "row 3", "8 fields"),
    "unclosed quote": (
        ["A1,2024-03-01,1,false,,", 'A2,"2024-03-01,1,false,,', "A3,2024-03-01,1,false,,"],
        "row 3",
        "never closed",
    ),
    "a quoted line break before the bad row": (
        ['"A\n1",2024-03-01,1,false,,', "A2,2024-03-02,1,false,,", "A3,2024-03-03,1,false,,,,,,"],
        "row 4",  # the spreadsheet's row: the quoted line break stays in row 2
        "10 fields",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ORDERS))
def test_bad_orders_one_located_message(tmp_path: Path, case: str) -> None:
    lines, where, found = BAD_ORDERS[case]
    _write(tmp_path / "orders.csv", lines)
    (tmp_path / "base.yaml").write_text(TEMPLATE)
    res = cli(tmp_path, "fit", "--orders", "orders.csv", "--template", "base.yaml", "--out", "f.yaml")
    assert_one_clear_message(res)
    assert "orders.csv" in res.stderr and where in res.stderr and found in res.stderr
    assert not (tmp_path / "f.yaml").exists()


def test_missing_column_did_you_mean(tmp_path: Path) -> None:
    _write(tmp_path / "orders.csv", ["A1,2024-03-01,1,false,,"], HEADER.replace("created_at", "created"))
    (tmp_path / "base.yaml").write_text(TEMPLATE)
    msg = invalid(cli(tmp_path, "fit", "--orders", "orders.csv", "--template", "base.yaml", "--out", "f.yaml"))
    assert "column created_at" in msg and "did you mean 'created'" in msg


@pytest.mark.parametrize("kind", ["folder", "fifo", "missing", "utf16", "latin1", "semicolons", "workbook"])
def test_unreadable_files(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "orders.csv"
    expect = {
        "folder": "a folder",
        "fifo": "not a regular file",
        "missing": "no such file",
        "utf16": "UTF-16",
        "latin1": "not UTF-8",
        "semicolons": "';'",
        "workbook": "spreadsheet workbook",
    }[kind]
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "utf16":
        target.write_bytes((HEADER + "\n" + GOOD[0] + "\n").encode("utf-16"))
    elif kind == "latin1":
        target.write_bytes((HEADER + "\nA1,2024-03-01,1,false,,\nCafé,2024-03-01,1,false,,\n").encode("latin-1"))
    elif kind == "workbook":
        target.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    elif kind == "semicolons":
        target.write_text(HEADER.replace(",", ";") + "\n" + GOOD[1].replace(",", ";") + "\n")
    (tmp_path / "base.yaml").write_text(TEMPLATE)
    res = cli(tmp_path, "fit", "--orders", "orders.csv", "--template", "base.yaml", "--out", "f.yaml")
    assert_one_clear_message(res)
    assert expect in res.stderr
    if kind == "latin1":
        assert "row 3" in res.stderr


def test_every_bad_row_is_listed(tmp_path: Path) -> None:
    lines = [f"A{i},2024-03-0{i},{-i},false,," for i in range(1, 4)]
    orders = _write(tmp_path / "orders.csv", lines)
    with pytest.raises(RecordsError) as err:
        read_records(orders)
    assert [p.row for p in err.value.problems] == [2, 3, 4]
    assert str(err.value).startswith("orders.csv: 3 bad rows")


def test_bad_receipts_and_spells(tmp_path: Path) -> None:
    orders = _write(tmp_path / "orders.csv", GOOD)
    receipts = _write(tmp_path / "r.csv", ["P1,2024-03-05,2024-03-01,10"], "po_id,ordered_at,received_at,quantity")
    with pytest.raises(RecordsError, match=r"r.csv, row 2, column received_at"):
        read_records(orders, receipts)
    spells = _write(tmp_path / "s.csv", ["2024-03-05,2024-03-04"], "start,end")
    with pytest.raises(RecordsError, match=r"s.csv, row 2, column end"):
        read_records(orders, stockouts=spells)
    late = _write(tmp_path / "o2.csv", GOOD)
    with pytest.raises(RecordsError, match="export time"):
        read_records(late, exported_at="2024-03-09")


def test_receipts_lead_times_and_open_orders(tmp_path: Path) -> None:
    orders = _write(tmp_path / "orders.csv", GOOD)
    receipts = _write(
        tmp_path / "r.csv",
        ["P1,2024-03-01,2024-03-05,10,acme", "P2,2024-03-02,,5,acme", "P3,2024-03-03,2024-03-04T12:00,5,bolt"],
        "po_id,ordered_at,received_at,quantity,supplier",
    )
    rec = read_records(orders, receipts)
    assert rec.receipts is not None
    assert rec.receipts.lead_times.tolist() == [4.0, 1.5]
    assert rec.receipts.supplier == ("acme", "acme", "bolt")
    assert np.isnan(rec.receipts.received[1])


def test_fit_smoke_in_a_subprocess(tmp_path: Path) -> None:
    """``python -m supplysim fit`` as a user runs it: writes a scenario ``validate`` accepts."""
    from clirun import cli_subprocess, ok

    lines = [f"O{i},2024-03-{1 + i // 10:02d}T{8 + i % 10:02d}:00,1,false,," for i in range(60)]
    _write(tmp_path / "orders.csv", lines)
    (tmp_path / "base.yaml").write_text(TEMPLATE)
    res = ok(cli_subprocess(tmp_path, "fit", "--orders", "orders.csv", "--template", "base.yaml", "--out", "f.yaml"))
    # 60 orders from 1 March 00:00 to the last one, 6 March 17:00: 5.71 days
    assert res.stdout.startswith("demand 10.5 orders/day") and "wrote f.yaml" in res.stdout
    ok(cli_subprocess(tmp_path, "validate", "f.yaml"))


def test_catalog_writes_one_row_per_sku(tmp_path: Path) -> None:
    import csv

    from supplysim.scenario.load import load_scenario, with_overrides
    from supplysim.scenario.yaml_source import read_value

    lines = [
        f"O{i},2024-03-{1 + i // 10:02d}T{8 + i % 10:02d}:00,{1 + i % 2},false,,,{'AB'[i % 3 == 0]}" for i in range(90)
    ]
    _write(tmp_path / "orders.csv", lines, HEADER + ",sku")
    (tmp_path / "base.yaml").write_text(TEMPLATE)
    res = cli(tmp_path, "fit", "--orders", "orders.csv", "--template", "base.yaml", "--catalog", "products.csv")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader((tmp_path / "products.csv").open()))
    assert [r["sku"] for r in rows] == ["B", "A"]
    # B: 30 orders from 1 March 00:00 to the export, the latest order of the file (9 March 17:00)
    assert float(rows[0]["demand.rate"]) == pytest.approx(30 / (8 + 17 / 24), rel=1e-5)
    # every cell is a --set value of the template
    base = load_scenario(tmp_path / "base.yaml")
    for row in rows:
        pairs = [(k, read_value(v, k)) for k, v in row.items() if k != "sku" and v != ""]
        assert with_overrides(base, pairs).demand.rate == float(row["demand.rate"])
    both = cli(tmp_path, "fit", "--orders", "orders.csv", "--template", "base.yaml", "--catalog", "p.csv", "--sku", "A")
    assert "--catalog fits every sku" in invalid(both)


def test_a_report_folder_that_is_not_ours_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    _write(tmp_path / "orders.csv", [f"A{i},2024-03-{1 + i:02d},1,false,," for i in range(8)])
    (tmp_path / "base.yaml").write_text(TEMPLATE)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    args = ("fit", "--orders", "orders.csv", "--template", "base.yaml", "--out", "f.yaml", "--report", "mine")
    msg = invalid(cli(tmp_path, *args))
    assert "did not write" in msg and "--report" in msg and msg.count("hint:") == 1
    assert not (tmp_path / "f.yaml").exists()
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_a_network_template_is_refused(tmp_path: Path) -> None:
    """The records are one stocking point's; a network's stores override the keys a fit estimates."""
    import shutil

    root = Path(__file__).resolve().parents[1] / "scenarios"
    shutil.copy(root / "network.yaml", tmp_path / "net.yaml")
    shutil.copy(root / "shop-export" / "orders.csv", tmp_path / "orders.csv")
    res = cli(tmp_path, "fit", "--orders", "orders.csv", "--template", "net.yaml", "--out", "f.yaml")
    assert_one_clear_message(res)
    assert "net.yaml: a network template" in res.stderr
    assert not (tmp_path / "f.yaml").exists()
