"""The portfolio's running sums (``supplysim.analysis.portfolio``): which products count as decided
and the order of "where the choice matters most", on summaries made by hand (``docs/catalog.md``)."""

from __future__ import annotations

import dataclasses
import json
import math

from supplysim.analysis.portfolio import PortfolioBuilder, ProductSummary, Stat

POLICIES = ("backorder", "out_of_stock")


def summary(sku: str, gain: float, *, tied: bool = False, feasible: bool = True) -> ProductSummary:
    """A product whose best is out_of_stock by ``gain`` (profit) with sd 1 over 10 replications,
    tied with the baseline or not; or (``feasible`` false) one no policy satisfies: it keeps the baseline."""
    profit = {"backorder": 100.0, "out_of_stock": 100.0 + gain}
    kpis = {p: {"profit": Stat(v, 1.0, 0.7, 10), "revenue": Stat(v, 1.0, 0.7, 10)} for p, v in profit.items()}
    best = "out_of_stock" if feasible else None
    chosen = "out_of_stock" if feasible else "backorder"
    diff = gain if feasible else 0.0
    return ProductSummary(
        sku=sku,
        row=2,
        labels=("", "", ""),
        seed=1,
        replications=10,
        kpis=kpis,
        best=best,
        chosen=chosen,
        runner_up="backorder" if feasible else None,
        tied=tied,
        gain=(diff, diff - 0.7, diff + 0.7),
        runner_up_gap=None,
        needed=None,
        vs={"backorder": (diff, 0.1, 10), "out_of_stock": (0.0 if feasible else -gain, 0.1, 10)},
        note="",
        objective_kpi="profit",
    )


def document(*products: ProductSummary) -> dict[str, object]:
    builder = PortfolioBuilder(POLICIES, ["profit", "revenue"])
    for p in products:
        builder.add(p, "A")
    return builder.document()


def test_decided_gains_leave_out_tied_and_infeasible_products() -> None:
    doc = document(summary("A", 5.0), summary("B", 50.0, tied=True), summary("C", 7.0, feasible=False))
    assert doc["gain_untied"] == document(summary("A", 5.0))["gain_untied"]  # A alone, interval and all
    assert doc["gain"]["backorder"]["diff"] == 55.0  # type: ignore[index]  # every product, C at 0
    assert doc["choices"] == {"backorder": 0, "out_of_stock": 2, "infeasible": 1, "tied": 1}


def test_the_products_where_the_choice_matters_most_put_decided_ones_first() -> None:
    doc = document(summary("small", 2.0), summary("noisy", 900.0, tied=True), summary("large", 40.0))
    assert [p["sku"] for p in doc["top_products"]] == ["large", "small", "noisy"]  # type: ignore[index]
    assert [p["tied"] for p in doc["top_products"]] == [False, False, True]  # type: ignore[index]
    assert math.isclose(doc["top_products"][0]["gain_vs_baseline"], 40.0)  # type: ignore[index]


def test_notes_are_counted_by_kind_with_the_first_product_and_survive_the_journal() -> None:
    a = dataclasses.replace(summary("A", 5.0), diagnoses=("short warm-up",))
    b = dataclasses.replace(summary("B", 1.0), diagnoses=("never stocks out", "short warm-up"))
    doc = document(a, summary("C", 2.0), b)
    assert doc["diagnoses"] == {
        "short warm-up": {"products": 2, "example": "A"},
        "never stocks out": {"products": 1, "example": "B"},
    }
    assert ProductSummary.from_json(json.loads(json.dumps(b.to_json()))) == b
    old_line = {k: v for k, v in a.to_json().items() if k != "diagnoses"}  # a journal written before notes
    assert ProductSummary.from_json(old_line).diagnoses == ()
