"""The comparison table printed by ``supplysim run``: policies side by side."""

from __future__ import annotations

import math

from rich import box
from rich.table import Table
from rich.text import Text

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.intervals import Difference, Interval

__all__ = ["GROUPS", "comparison_table", "format_value"]

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Service",
        (
            "fill_rate",
            "unit_fill_rate",
            "lost_rate",
            "backorder_rate",
            "served_after_wait_rate",
            "cancel_rate",
            "expire_rate",
            "pending_rate",
            "mean_wait",
            "p90_wait",
        ),
    ),
    ("Inventory", ("avg_on_hand", "avg_backorders", "stockout_fraction", "orders_placed", "units_ordered")),
    ("Demand", ("customers", "units_demanded", "lost_units", "lost_revenue")),
    (
        "Money",
        ("revenue", "ordering_cost", "holding_cost", "backorder_cost", "lost_sale_cost", "profit"),
    ),
)

_RATES = {k for _, ks in GROUPS[:1] for k in ks if k.endswith("_rate")} | {"stockout_fraction"}
_MONEY = {"revenue", "ordering_cost", "holding_cost", "backorder_cost", "lost_sale_cost", "profit", "lost_revenue"}
_TIMES = {"mean_wait", "p90_wait"}


def format_value(kpi: str, x: float, signed: bool = False) -> str:
    """A number as a person reads it: rates in %, money with separators."""
    if not math.isfinite(x):
        return "–"
    sign = "+" if signed else ""
    kind = kpi.split("@", 1)[0]
    if kind == "down_fraction":
        return f"{x * 100:{sign}.2f}%"
    if kind == "cost":
        return f"{x:{sign},.0f}"
    if kpi in _RATES:
        return f"{x * 100:{sign}.2f}%"
    if kpi in _MONEY or abs(x) >= 1000:
        return f"{x:{sign},.0f}"
    if kpi in _TIMES:
        return f"{x:{sign}.2f}"
    return f"{x:{sign}.2f}"


def _cell(kpi: str, s: Interval) -> str:
    if s.n == 0:
        return "–"
    text = format_value(kpi, s.mean)
    if math.isfinite(s.ci95_half_width):
        hw = format_value(kpi, s.ci95_half_width)
        text += f" ± {hw}"
    return text


def _diff(kpi: str, d: Difference) -> Text:
    if d.n == 0 or not math.isfinite(d.diff):
        return Text("–", style="dim")
    hw = (d.ci95_high - d.ci95_low) / 2 if math.isfinite(d.ci95_high) else math.nan
    text = format_value(kpi, d.diff, signed=True)
    if math.isfinite(hw):
        text += f" ± {format_value(kpi, hw)}"
    if d.significant:
        return Text(text + " *", style="bold")
    return Text(text, style="dim")


def comparison_table(exp: Experiment) -> Table:
    """Indicators as rows, policies as columns (mean ± 95% half-width), Δ vs the baseline."""
    sc = exp.scenario
    title = f"{sc.name} — {sc.replications} replications × {sc.horizon:g} {sc.time_unit}s"
    if sc.warmup:
        title += f" after {sc.warmup:g} {sc.time_unit}s warm-up"
    table = Table(
        box=box.SIMPLE_HEAVY,
        title=title,
        caption=(
            f"mean ± 95% CI half-width; Δ = paired difference vs {sc.baseline} (common random numbers), "
            "* = interval excludes 0; time in "
            f"{sc.time_unit}s"
        ),
        show_lines=False,
    )
    table.add_column("indicator", style="bold", no_wrap=True)
    names = list(sc.policies)
    for name in names:
        table.add_column(name + (" (baseline)" if name == sc.baseline else ""), justify="right", no_wrap=True)
        if name != sc.baseline:
            table.add_column(f"Δ {name}", justify="right", no_wrap=True)
    listed = {k for _, ks in GROUPS for k in ks}
    extra = [k for k in exp.kpis if k not in listed]
    groups = list(GROUPS)
    if [k for k in extra if "@" not in k]:
        groups.append(("Waitlist and goodwill", tuple(k for k in extra if "@" not in k)))
    if [k for k in extra if "@" in k]:
        groups.append(("Suppliers", tuple(k for k in extra if "@" in k)))
    for g, (group, kpis) in enumerate(groups):
        if g:
            table.add_section()
        table.add_row(Text(group, style="italic cyan"))
        for kpi in kpis:
            row: list[str | Text] = [kpi]
            for name in names:
                row.append(_cell(kpi, exp.summary(name, kpi)))
                if name != sc.baseline:
                    row.append(_diff(kpi, exp.difference(name, kpi)))
            table.add_row(*row)
    return table
