"""The example catalog (scenarios/catalog/) against the answer its generator designed in.

``truth.csv`` gives each product's kind. Whatever the replications, a decided recommendation
(the best policy's interval against the runner-up excludes 0) must never contradict the kind —
planned purchases never decided for showing "out of stock", cheap impulse items never decided for
backorders — and an overstocked product, whose shelf is practically never empty, is never decided
at all. Checked on the first products of each kind in table order: a product's numbers do not
depend on the other rows (its streams are keyed by its sku), so a subset is the whole table's
answer for those rows.
"""

from __future__ import annotations

import csv
from pathlib import Path

import supplysim

FOLDER = Path(__file__).resolve().parent.parent / "scenarios" / "catalog"
PER_KIND = 3


def test_a_subset_of_the_example_agrees_with_its_truth(tmp_path: Path) -> None:
    with open(FOLDER / "truth.csv", encoding="utf-8", newline="") as fh:
        truth = list(csv.DictReader(fh))
    picked: dict[str, list[str]] = {"planned": [], "impulse": [], "ample": []}
    for t in truth:
        if t["kind"] in picked and len(picked[t["kind"]]) < PER_KIND:
            picked[t["kind"]].append(t["sku"])
    wanted = {sku for skus in picked.values() for sku in skus}
    with open(FOLDER / "products.csv", encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines()
    subset = [lines[0], *(line for line in lines[1:] if line.split(",", 1)[0] in wanted)]
    (tmp_path / "products.csv").write_text("\n".join(subset) + "\n", encoding="utf-8")

    res = supplysim.run_catalog(FOLDER / "template.yaml", tmp_path / "products.csv", out=tmp_path / "out", workers=1)
    rec = res.recommendations.set_index("sku")
    assert len(rec) == 3 * PER_KIND and rec["tied"].dtype == bool
    for sku in picked["planned"]:
        assert rec.loc[sku, "tied"] or rec.loc[sku, "best_policy"] != "out_of_stock", sku
    for sku in picked["impulse"]:
        assert rec.loc[sku, "tied"] or rec.loc[sku, "best_policy"] == "out_of_stock", sku
    for sku in picked["ample"]:
        assert rec.loc[sku, "tied"], sku
    # the designed effect shows in the gains: planned products lose with out_of_stock, impulse ones gain
    catalog = res.catalog
    profit = catalog[catalog["kpi"] == "profit"].pivot(index="sku", columns="policy", values="mean")
    assert all(profit.loc[s, "backorder"] > profit.loc[s, "out_of_stock"] for s in picked["planned"])
    assert sum(profit.loc[s, "out_of_stock"] > profit.loc[s, "backorder"] for s in picked["impulse"]) >= PER_KIND - 1
