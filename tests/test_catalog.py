"""The catalog (docs/catalog.md): the products table's messages, the decision against known
truth, the portfolio's variance rule, identity with standalone runs, with any number of
workers and across an interruption."""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import supplysim
from clirun import ENV, assert_one_clear_message, cli, invalid, ok
from scenario_texts import SHOP
from supplysim.analysis.portfolio import Total, abc_classes
from supplysim.experiments.catalog import CHUNK_CUSTOMERS, MIN_CHUNKS, chunk_target, plan_chunks, product_seed

TEMPLATE = SHOP

PRODUCTS = """\
sku,name,demand.rate,product.price,supplier.lead_time.mean
P1,Widget,3,10,2
P2,Gadget,1.5,25,
P3,Gizmo,5,4,3
P4,Doohickey,2,,1
"""


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "shop.yaml").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    return tmp_path / "shop.yaml", tmp_path / "products.csv"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ----------------------------------------------------------------- identity


def test_each_product_equals_its_standalone_run(shop: tuple[Path, Path], tmp_path: Path) -> None:
    template, products = shop
    res = supplysim.run_catalog(template, products, out=tmp_path / "out", workers=1)
    rec = res.recommendations.set_index("sku")
    cat = res.catalog
    for sku, overrides in [
        ("P2", [("demand.rate", 1.5), ("product.price", 25)]),
        ("P3", [("demand.rate", 5), ("product.price", 4), ("supplier.lead_time.mean", 3)]),
    ]:
        seed = int(rec.loc[sku, "seed"])
        assert seed == product_seed(11, sku)
        # the template, and the folder's scenario.yaml, with the row's cells and the product's seed
        for source in (template, tmp_path / "out" / "scenario.yaml"):
            alone = supplysim.run(source, overrides=[*overrides, ("seed", seed)], workers=1, record=False)
            summary = alone.summary()
            for policy in ("backorder", "out_of_stock"):
                for kpi in ("profit", "fill_rate", "customers", "lost_rate"):
                    want = summary.query("policy == @policy and kpi == @kpi").iloc[0]
                    got = cat.query("sku == @sku and policy == @policy and kpi == @kpi").iloc[0]
                    assert got["mean"] == want["mean"], (source, sku, policy, kpi)
                    assert got["n"] == want["n"] == 4


def test_workers_and_an_interruption_change_no_byte(shop: tuple[Path, Path], tmp_path: Path) -> None:
    template, products = shop
    one = ok(
        cli(
            tmp_path,
            "catalog",
            str(template),
            str(products),
            "--out",
            "one",
            "--workers",
            "1",
            "--chunk-products",
            "1",
            "--no-report",
        )
    )
    assert "catalog written to one/" in one.stdout
    ok(
        cli(
            tmp_path,
            "catalog",
            str(template),
            str(products),
            "--out",
            "two",
            "--workers",
            "2",
            "--chunk-products",
            "1",
            "--no-report",
        )
    )
    assert _files(tmp_path / "one") == _files(tmp_path / "two")

    # interrupted (Ctrl-C) after some products, then resumed and killed (a crash: nothing
    # is cleaned up) after some more, then resumed to the end
    many = tmp_path / "many.csv"
    many.write_text("sku,demand.rate\n" + "".join(f"S{i:02d},{2 + i % 5}\n" for i in range(40)), encoding="utf-8")
    args = ["catalog", str(template), str(many), "--workers", "1", "--chunk-products", "1", "--no-report", "--quiet"]
    ok(cli(tmp_path, *args, "--out", "whole"))
    parts = tmp_path / "cut.partial" / "parts"

    def stopped(sig: signal.Signals, *more: str, at: int) -> subprocess.CompletedProcess[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "supplysim", *args, "--out", "cut", *more],
            cwd=tmp_path,
            env={**os.environ, **ENV},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(parts.glob("*.jsonl")) if parts.is_dir() else []) < at:
            time.sleep(0.005)
        proc.send_signal(sig)
        _, stderr = proc.communicate()
        return subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr)

    first = stopped(signal.SIGINT, at=3)
    assert first.returncode == 130, first.stderr
    assert "interrupted: the finished products are kept in cut.partial/; run again with --resume" in first.stderr
    kept = len(list(parts.glob("*.jsonl")))
    assert 3 <= kept < 40, kept
    assert not (tmp_path / "cut").exists()
    again = cli(tmp_path, *args, "--out", "cut")
    assert "--resume" in invalid(again)
    term = stopped(signal.SIGTERM, "--resume", at=kept + 1)  # as Ctrl-C, with SIGTERM's exit code
    assert term.returncode == 143, term.stderr
    assert "terminated: the finished products are kept in cut.partial/; run again with --resume" in term.stderr
    kept = len(list(parts.glob("*.jsonl")))
    second = stopped(signal.SIGKILL, "--resume", at=kept + 3)
    assert second.returncode == -signal.SIGKILL
    assert kept + 3 <= len(list(parts.glob("*.jsonl"))) < 40
    # parts damaged outside the run (cut short, emptied, without the head line that parts had
    # not always, a head edited so that it no longer says what its summaries say) are removed
    # and their products run again
    first_part, second_part, third_part, fourth_part = sorted(parts.glob("*.jsonl"))[:4]
    first_part.write_text(first_part.read_text(encoding="utf-8")[:25], encoding="utf-8")
    second_part.write_text("", encoding="utf-8")
    head, summary = third_part.read_text(encoding="utf-8").splitlines(keepends=True)
    assert json.loads(head).keys() == {"catalog", "revenue", "class"} and json.loads(summary)["sku"]
    third_part.write_text(summary, encoding="utf-8")
    head, summary = fourth_part.read_text(encoding="utf-8").splitlines(keepends=True)
    edited = {**json.loads(head), "revenue": [0.0]}
    assert edited != json.loads(head)
    fourth_part.write_text(json.dumps(edited) + "\n" + summary, encoding="utf-8")
    finished = len(list(parts.glob("*.jsonl")))
    last = ok(cli(tmp_path, *args, "--out", "cut", "--resume"))
    note = f"note: resuming: {finished - 4} of 40 products already finished are kept; 4 damaged parts of "
    assert note in last.stderr
    names = f"{first_part.name}, {second_part.name}, {third_part.name}, {fourth_part.name}"
    assert f"({names}) removed, 4 products run again" in last.stderr
    assert not (tmp_path / "cut.partial").exists()
    assert _files(tmp_path / "cut") == _files(tmp_path / "whole")


def test_a_run_into_a_catalog_folder_is_refused(shop: tuple[Path, Path], tmp_path: Path) -> None:
    """`run` of the template whose default folder is a catalog's (`make catalog` writes
    results/catalog; the template is named catalog) is refused before it runs; the catalog stays."""
    template, products = shop
    ok(cli(tmp_path, "catalog", str(template), str(products), "--out", "out", "--replications", "2", "--quiet"))
    before = _files(tmp_path / "out")
    msg = invalid(cli(tmp_path, "run", str(template), "--out", "out", "--replications", "2", "--quiet"))
    assert "holds the results of a catalog run" in msg and "`supplysim run` would replace them" in msg
    assert _files(tmp_path / "out") == before


def test_resume_refuses_another_run(shop: tuple[Path, Path], tmp_path: Path) -> None:
    template, products = shop
    partial = tmp_path / "out.partial"
    partial.mkdir()
    (partial / "run.json").write_text(json.dumps({"seed": 1}), encoding="utf-8")
    msg = invalid(cli(tmp_path, "catalog", str(template), str(products), "--out", "out", "--resume"))
    assert "was started with other inputs" in msg and "the template scenario" in msg and "the seed" in msg


# ----------------------------------------------------------------- the table's messages


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("sku,demand.rate\nA,3\nB,-2\n", ["products.csv: row 3, column demand.rate", "found:    -2"]),
        ("sku,demand.rat\nA,3\n", ["row 1, column demand.rat", "did you mean 'demand.rate'?"]),
        ("sku,price\nA,3\n", ["column price", "did you mean 'product.price'?"]),
        ("sku,demand.rate\nA,3\nA,4\n", ["row 3, column sku: the sku 'A' is also in row 2"]),
        ("sku,demand.rate\n", ["the table has a header but no product rows"]),
        ("", ["the file is empty"]),
        ("SKU,demand.rate\nA,3\n", ["no column sku", "rename the column 'SKU' to sku"]),
        ("sku,seed\nA,3\n", ["column seed: this column cannot be set per product"]),
        (
            "sku,store.stockout\nA,backorder\n",
            ["every policy of the template sets store.stockout", "policies.lost_big.store.stockout"],
        ),
        ("sku,demand.rate\n,3\n", ["row 2, column sku: the sku is empty"]),
        ("sku,supplier.lead_time\nA,{dist: x\n", ["row 2, column supplier.lead_time: the cell"]),
        ("sku,demand.rate\nA,3,4\n", ["row 2: 3 cells, the header has 2"]),
        ("sku,class\nA,X\nB,\n", ["row 3, column class: the class is empty"]),
        ("sku,replications\nA,5\nB,1\n", ["row 3 (sku 'B'): replications: 1, a product needs at least 2"]),
    ],
)
def test_a_bad_table_is_one_located_message_before_anything_runs(
    shop: tuple[Path, Path], tmp_path: Path, table: str, expected: list[str]
) -> None:
    template, _ = shop
    if "store.stockout" in table:  # a template whose every policy sets its own stockout rule
        text = TEMPLATE.replace(
            "  backorder: {}", "  lost_big: {store: {stockout: lost_sales}, replenishment: {reorder_point: 6}}"
        )
        template.write_text(text, encoding="utf-8")
    (tmp_path / "products.csv").write_text(table, encoding="utf-8")
    msg = invalid(cli(tmp_path, "catalog", str(template), "products.csv", "--out", "out"))
    for text in expected:
        assert text in msg, msg
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--confirm-replications", "1"], "need at least 2 fresh replications"),
        (["--ignore-column", "sku"], "the sku column names each product and cannot be skipped"),
    ],
)
def test_options_that_cannot_act_are_refused(
    shop: tuple[Path, Path], tmp_path: Path, options: list[str], expected: str
) -> None:
    template, products = shop
    res = cli(tmp_path, "catalog", str(template), str(products), "--out", "out", *options)
    assert_one_clear_message(res)
    assert expected in res.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_every_bad_row_is_named(shop: tuple[Path, Path], tmp_path: Path) -> None:
    template, _ = shop
    (tmp_path / "products.csv").write_text("sku,demand.rate\nA,-1\nB,2\nC,x\n", encoding="utf-8")
    msg = invalid(cli(tmp_path, "catalog", str(template), "products.csv"))
    assert "row 2, column demand.rate" in msg and "row 4, column demand.rate" in msg
    assert "row 3" not in msg


def test_ignored_columns_and_labels(shop: tuple[Path, Path], tmp_path: Path) -> None:
    template, _ = shop
    (tmp_path / "products.csv").write_text(
        "sku,name,description,class,supplier_code,demand.rate\nA,Anvil,heavy,X,77,2\nB,Bell,,Y,78,3\n",
        encoding="utf-8",
    )
    msg = invalid(cli(tmp_path, "catalog", str(template), "products.csv"))
    assert "column supplier_code" in msg and "--ignore-column" in msg
    dry = ok(cli(tmp_path, "catalog", str(template), "products.csv", "--ignore-column", "supplier_code", "--dry-run"))
    assert "2 products valid; each runs 2 policies × 4 replications, in 2 tasks" in dry.stdout
    assert not (tmp_path / "results").exists()
    ok(
        cli(
            tmp_path,
            "catalog",
            str(template),
            "products.csv",
            "--out",
            "out",
            "--ignore-column",
            "supplier_code",
            "--no-report",
            "--replications",
            "2",
        )
    )
    rec = _rows(tmp_path / "out" / "recommendations.csv")
    assert [(r["sku"], r["name"], r["description"], r["class"]) for r in rec] == [
        ("A", "Anvil", "heavy", "X"),
        ("B", "Bell", "", "Y"),
    ]
    doc = json.loads((tmp_path / "out" / "portfolio.json").read_text(encoding="utf-8"))
    assert doc["class_source"] == "column" and set(doc["classes"]) == {"X", "Y"}


# ----------------------------------------------------------------- the decision


def test_the_decision_agrees_with_known_truth(shop: tuple[Path, Path], tmp_path: Path) -> None:
    """A product with a shelf that never empties: every policy serves every customer at once,
    so the two tie exactly. A product whose lost sales cost far more than waiting, with patient
    customers: backorders win, and the interval says so."""
    template, _ = shop
    (tmp_path / "products.csv").write_text(
        "sku,store.initial_stock,replenishment.reorder_point,product.lost_sale_cost,product.backorder_cost,"
        "segments.0.patience\n"
        "plenty,100000,10000,,,\n"
        'dear_loss,2,0,200,0.01,"{dist: exponential, mean: 50}"\n',
        encoding="utf-8",
    )
    res = supplysim.run_catalog(template, tmp_path / "products.csv", out=tmp_path / "out", workers=1, replications=10)
    rec = res.recommendations.set_index("sku")
    plenty, dear = rec.loc["plenty"], rec.loc["dear_loss"]
    assert plenty["tied"] and plenty["best_policy"] == "backorder"  # equal means: the first policy
    assert plenty["runner_up_diff"] == 0 and math.isnan(plenty["replications_to_resolve"])
    assert "identical to out_of_stock in every one of the 10 replications" in plenty["note"]
    assert dear["best_policy"] == "backorder" and not dear["tied"]
    assert dear["runner_up"] == "out_of_stock" and dear["runner_up_ci95_low"] > 0
    # brute force: the means of the tidy file give the same choice
    cat = res.catalog.query("kpi == 'profit' and sku == 'dear_loss'").set_index("policy")["mean"]
    assert cat.idxmax() == "backorder" and dear["objective"] == cat["backorder"]
    # the notes a run of each product alone would print: the shelf that never empties is said so
    # (and out_of_stock there is the baseline to the bit), the other product has neither note
    # the notes a run of each product alone would print: the shelf that never empties never stocks
    # out, and its out_of_stock gives the baseline's numbers; the template's warm-up (0) is short for both
    assert "never out of stock" in plenty["note"] and "out_of_stock = backorder in every replication" in plenty["note"]
    assert "never out of stock" not in dear["note"] and "= backorder" not in dear["note"]
    assert res.document["diagnoses"] == {
        "short warm-up": {"products": 2, "example": "plenty"},
        "never stocks out": {"products": 1, "example": "plenty"},
        "same as baseline": {"products": 1, "example": "plenty"},
    }
    from supplysim.report.catalog import page_files

    page = str(page_files(tmp_path / "out")["report.html"])
    assert "Note: 1 of 2 products never stocked out" in page and "Note: 2 of 2 products have a warm-up" in page


def test_an_infeasible_product_is_said_so(shop: tuple[Path, Path], tmp_path: Path) -> None:
    template, products = shop
    res = supplysim.run_catalog(
        template, products, out=tmp_path / "out", workers=1, replications=2, subject_to=["fill_rate>=0.999"]
    )
    rec = res.recommendations
    bad = rec[rec["status"] == "infeasible"]
    assert len(bad) > 0
    assert bad["best_policy"].isna().all()
    assert bad["note"].str.contains("no policy meets fill_rate >= 0.999; closest: ").all()
    assert res.document["choices"]["infeasible"] == len(bad)


# ----------------------------------------------------------------- the portfolio


def test_portfolio_total_variance_is_the_sum_over_products(tmp_path: Path) -> None:
    """Var(Σᵢ X̄ᵢ) = Σᵢ sᵢ²/n for independent products: the half-width from the per-product
    variances agrees with the one from the per-replication totals Σᵢ Xᵢ,ᵣ (two estimates of
    the same variance; their ratio lies within the F(n−1, n−1) 99.9% bounds)."""
    (tmp_path / "shop.yaml").write_text(TEMPLATE.replace("replications: 4", "replications: 40"), encoding="utf-8")
    (tmp_path / "products.csv").write_text("sku,demand.rate\nA,2\nB,3\nC,4\n", encoding="utf-8")
    res = supplysim.run_catalog(tmp_path / "shop.yaml", tmp_path / "products.csv", out=tmp_path / "out", workers=1)
    rec = res.recommendations.set_index("sku")
    per_rep = [0.0] * 40
    for sku in ("A", "B", "C"):
        alone = supplysim.run(
            tmp_path / "shop.yaml",
            overrides=[("demand.rate", {"A": 2, "B": 3, "C": 4}[sku]), ("seed", int(rec.loc[sku, "seed"]))],
            workers=1,
            record=False,
        )
        for r, v in enumerate(alone.experiment.series("backorder", "profit")):
            per_rep[r] += v
    total = res.document["totals"]["backorder"]["profit"]
    assert total["total"] == pytest.approx(sum(per_rep) / 40, rel=1e-12)
    half = (total["ci95_high"] - total["ci95_low"]) / 2
    s = stats.tstd(per_rep)
    direct = stats.t.ppf(0.975, 39) * s / math.sqrt(40)
    ratio = (half / direct) ** 2
    lo, hi = stats.f.ppf([0.0005, 0.9995], 39, 39)
    assert lo < ratio < hi, ratio


def test_total_and_classes_by_formula() -> None:
    t = Total()
    for mean, var, n in [(10.0, 4.0, 5), (20.0, 1.0, 5)]:
        t.add(mean, var, n)
    df = 25 / (16 / 4 + 1 / 4)
    assert t.total == 30 and t.df == pytest.approx(df)
    assert t.half_width == pytest.approx(stats.t.ppf(0.975, df) * math.sqrt(5))
    # 60 + 25 + 10 + 5: A while the share before is < 80%, B < 95%, C after
    assert abc_classes([10, 60, 5, 25]) == ["B", "A", "C", "A"]
    assert abc_classes([0, 0]) == ["C", "C"]
    assert [list(r) for r in plan_chunks([1, 1, 5, 1, 1, 1], target=3)] == [[0, 1], [2], [3, 4, 5]]
    # a small catalog still makes MIN_CHUNKS chunks; a large one keeps chunks of CHUNK_CUSTOMERS
    small = [30_000.0] * 200
    assert len(plan_chunks(small, chunk_target(small))) >= MIN_CHUNKS
    large = [30_000.0] * 20_000
    assert chunk_target(large) == CHUNK_CUSTOMERS
    assert product_seed(11, "P1") != product_seed(11, "P2") and product_seed(11, "P1") == product_seed(11, "P1")


def test_a_parquet_table_reads_as_its_csv(shop: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pandas as pd

    template, products = shop
    pd.read_csv(products).to_parquet(tmp_path / "products.parquet")
    a = supplysim.run_catalog(template, products, out=tmp_path / "a", workers=1, replications=2)
    b = supplysim.run_catalog(template, tmp_path / "products.parquet", out=tmp_path / "b", workers=1, replications=2)
    for name in ("recommendations.csv", "catalog.csv"):
        assert (a.folder / name).read_bytes() == (b.folder / name).read_bytes()
    assert (b.folder / "products.parquet").read_bytes() == (tmp_path / "products.parquet").read_bytes()
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    msg = invalid(cli(tmp_path, "catalog", str(template), "bad.parquet"))
    assert "bad.parquet: not a readable Parquet file" in msg
    assert "hint: the file holds text: if it is CSV, name it .csv" in msg
    (tmp_path / "cut.parquet").write_bytes((tmp_path / "products.parquet").read_bytes()[:-100])
    msg = invalid(cli(tmp_path, "catalog", str(template), "cut.parquet"))
    assert "cut.parquet: not a readable Parquet file" in msg and "cut short or damaged" in msg
    (tmp_path / "image.parquet").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    msg = invalid(cli(tmp_path, "catalog", str(template), "image.parquet"))
    assert "hint: a products table is a CSV or a Parquet file" in msg


def test_parquet_without_pyarrow_says_what_to_install(
    shop: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template, _ = shop
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # as if pyarrow were not installed
    (tmp_path / "p.parquet").write_bytes(b"")
    msg = invalid(cli(tmp_path, "catalog", str(template), "p.parquet"))
    assert "pip install 'supplysim[parquet]'" in msg and "save the table as CSV" in msg


def test_json_output_the_page_hook_and_light_workers(shop: tuple[Path, Path], tmp_path: Path) -> None:
    template, products = shop
    res = ok(
        cli(
            tmp_path,
            "catalog",
            str(template),
            str(products),
            "--out",
            "out",
            "--format",
            "json",
            "--replications",
            "2",
            "--no-report",
        )
    )
    assert json.loads(res.stdout) == json.loads((tmp_path / "out" / "portfolio.json").read_text(encoding="utf-8"))
    seen: list[set[str]] = []

    def page(folder: Path) -> dict[str, str | bytes]:
        seen.append({p.name for p in folder.iterdir()})
        return {"report.html": "<html></html>", "plots/a.png": b"png"}

    supplysim.run_catalog(template, products, out=tmp_path / "out", workers=1, replications=2, extras=page)
    assert {"recommendations.csv", "catalog.csv", "portfolio.json", "scenario.yaml", "products.csv"} <= seen[0]
    assert (tmp_path / "out" / "plots" / "a.png").read_bytes() == b"png"
    # a Dask worker unpickling a chunk imports the simulation, not the presentation
    heavy = "{'pandas', 'matplotlib', 'rich', 'typer'}"
    code = f"import sys, supplysim.experiments.catalog; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_confirming_replications_are_fresh_ones(shop: tuple[Path, Path], tmp_path: Path) -> None:
    """With --confirm-replications M the chosen policy's gain is measured again on replications
    n … n+M−1 of the same product: exactly the paired mean of a standalone run over those."""
    template, _ = shop
    (tmp_path / "products.csv").write_text("sku,product.lost_sale_cost,segments.0.patience\nX,200,50\n", "utf-8")
    res = supplysim.run_catalog(
        template, tmp_path / "products.csv", out=tmp_path / "out", workers=1, confirm_replications=5
    )
    row = res.recommendations.iloc[0]
    assert row["best_policy"] == "backorder"
    alone = supplysim.run(
        template,
        overrides=[("product.lost_sale_cost", 200), ("segments.0.patience", 50), ("seed", int(row["seed"]))],
        replications=9,
        workers=1,
        record=False,
    )
    best = alone.experiment.series("backorder", "profit")[4:]
    other = alone.experiment.series("out_of_stock", "profit")[4:]
    gains = [a - b for a, b in zip(best, other, strict=True)]
    confirmed = res.document["gain_confirmed"]["out_of_stock"]
    assert confirmed["diff"] == pytest.approx(sum(gains) / 5, rel=1e-12)
    half = stats.t.ppf(0.975, 4) * stats.tstd(gains) / math.sqrt(5)
    assert confirmed["ci95_high"] - confirmed["diff"] == pytest.approx(half, rel=1e-9)
    assert row["confirmed_gain"] == 0.0  # the best is the baseline: no gain over itself


def test_a_chunks_head_says_what_its_summaries_say(shop: tuple[Path, Path]) -> None:
    """A worker writes a chunk's rows of catalog.csv, revenues and classes itself (the folder is
    assembled from them): they are what the chunk's journal lines give, read back as the journal
    reads them, for every product and every indicator of the template."""
    import io

    from supplysim.analysis.portfolio import ProductSummary
    from supplysim.experiments.catalog import prepare, run_chunk

    template, products = shop
    plan = prepare(supplysim.load_scenario(template), products)
    skus = []
    for task in plan.tasks():
        assert task.kpis == plan.kpis
        result = run_chunk(task)
        summaries = [ProductSummary.from_json(json.loads(line)) for line in result.lines]
        skus += [s.sku for s in summaries]
        rows = list(csv.reader(io.StringIO(result.table)))
        want = [[str(c) for c in row] for s in summaries for row in s.table_rows(plan.kpis)]
        assert rows == want and len(rows) == sum(len(s.kpis) for s in summaries) * len(plan.kpis)
        means = {(s.sku, p, k): st.mean for s in summaries for p, stats in s.kpis.items() for k, st in stats.items()}
        assert all(row[3] == (repr(m) if math.isfinite(m := means[row[0], row[1], row[2]]) else "") for row in rows)
        assert any(row[3] == "" for row in rows) and any(row[3] != "" for row in rows)
        assert list(result.revenues) == [s.revenue for s in summaries] and all(r > 0 for r in result.revenues)
        assert result.classes == ("",) * len(summaries)
    assert skus == ["P1", "P2", "P3", "P4"]


def test_summaries_of_many_series_are_bitwise_those_of_each() -> None:
    from supplysim.analysis.intervals import summarize, summarize_each

    rng = np.random.default_rng(3)
    for n in (2, 3, 7, 8, 9, 16, 17, 40, 101):
        rows = (rng.normal(size=(12, n)) * 10 ** rng.uniform(-3, 6, size=(12, 1))).tolist()
        rows[3][1] = math.nan  # a series with an undefined value: its finite values, as summarize does
        rows[5] = [2.5] * n  # a constant
        assert summarize_each(rows) == [summarize(r) for r in rows]


def test_a_lower_is_better_objective_signs_the_gain(tmp_path: Path) -> None:
    """--objective lost_rate: the best has the lowest mean, and its gain over the baseline is
    baseline − best (positive); the tidy file's means give the same number."""
    text = TEMPLATE.replace(
        "  backorder: {}\n  out_of_stock: {store: {stockout: lost_sales}}",
        "  out_of_stock: {store: {stockout: lost_sales}}\n  backorder: {}",
    )
    (tmp_path / "shop.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "products.csv").write_text("sku,segments.0.accept_backorder\nA,1\n", encoding="utf-8")
    res = supplysim.run_catalog(
        tmp_path / "shop.yaml", tmp_path / "products.csv", out=tmp_path / "out", workers=1, objective="lost_rate"
    )
    row = res.recommendations.iloc[0]
    means = res.catalog.query("kpi == 'lost_rate'").set_index("policy")["mean"]
    assert row["best_policy"] == "backorder" == means.idxmin()
    assert row["gain_vs_baseline"] == pytest.approx(means["out_of_stock"] - means["backorder"], rel=1e-12)
    assert row["gain_vs_baseline"] > 0 and row["ci95_low"] > 0
    assert res.document["better"] == "lower"


def test_a_one_policy_template_says_there_was_nothing_to_choose(shop: tuple[Path, Path], tmp_path: Path) -> None:
    """With one policy every product's "best" is that policy: the verdict says so instead of quoting
    a gain of +0 ± 0 over itself."""
    template, products = shop
    one = tmp_path / "one.yaml"
    one.write_text(template.read_text().replace("  out_of_stock: {store: {stockout: lost_sales}}\n", ""))
    assert one.read_text() != template.read_text()
    out = ok(cli(tmp_path, "catalog", str(one), str(products), "--out", "one-out")).stdout
    assert "one policy (backorder), so there was nothing to choose" in out
    assert "choosing per product vs" not in out
    two = ok(cli(tmp_path, "catalog", str(template), str(products), "--out", "two-out")).stdout
    assert "nothing to choose" not in two and "choosing per product vs out_of_stock for all" in two


def test_the_callbacks_follow_the_check_then_the_products(shop: tuple[Path, Path], tmp_path: Path) -> None:
    """``checking`` sees the table's share rise to 1.0 before ``progress`` is first told anything;
    ``progress`` then counts from 0 to every product, one chunk at a time."""
    template, products = shop
    seen: list[tuple[str, Any]] = []
    supplysim.run_catalog(
        template,
        products,
        out=tmp_path / "out",
        workers=1,
        chunk_products=1,
        checking=lambda share: seen.append(("checking", share)),
        progress=lambda done, total: seen.append(("progress", (done, total))),
    )
    checks = [x for kind, x in seen if kind == "checking"]
    counts = [x for kind, x in seen if kind == "progress"]
    assert seen[: len(checks)] == [("checking", x) for x in checks] and checks[-1] == 1.0
    assert all(0 < a <= b for a, b in itertools.pairwise(checks))
    assert counts == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
