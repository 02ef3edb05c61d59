"""The backtest for the terminal: a table of observed against simulated, and the verdict in words."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from supplysim.analysis.history import Comparison

if TYPE_CHECKING:
    from rich.table import Table

    from supplysim.experiments.backtest import Backtest

__all__ = ["backtest_lines", "backtest_table", "format_history_value"]


def format_history_value(c: Comparison, x: float, unit: str) -> str:
    """A value of ``c``'s indicator: a percentage for a fraction, a number for a rate, else in the time
    unit; "–" for NaN."""
    if math.isnan(x):
        return "–"
    if c.indicator.unit == "fraction":
        return f"{100 * x:.1f}%"
    if c.indicator.unit == "rate":
        return f"{x:.2f} per {unit}" if unit else f"{x:.2f}"
    return f"{x:.2f} {unit}s" if unit else f"{x:.2f}"


def backtest_table(bt: Backtest) -> Table:
    """One row per indicator: observed, the simulated median and interval, the p-value, the flag."""
    from rich.table import Table

    level = bt.comparisons[0].level if bt.comparisons else 1 - bt.alpha
    title = (
        f"{bt.scenario} ({bt.policy}): the history ({bt.length:g} {bt.time_unit}s, {bt.orders:,} orders) "
        f"against {bt.replications} simulated histories"
    )
    table = Table(title=title)
    table.add_column("indicator (on the records)")
    table.add_column("observed", justify="right")
    table.add_column("simulated median", justify="right")
    table.add_column(f"{level:.2%} prediction interval\n(one history)", justify="right")
    table.add_column("p", justify="right")
    table.add_column("")
    for c in bt.comparisons:
        unit = bt.time_unit
        interval = f"{format_history_value(c, c.low, unit)} – {format_history_value(c, c.high, unit)}"
        p = "–" if math.isnan(c.p_value) else f"{c.p_value:.3f}"
        flag = "outside" if c.outside else ("" if not math.isnan(c.observed) else "undefined")
        table.add_row(
            c.indicator.label,
            format_history_value(c, c.observed, unit),
            format_history_value(c, c.median, unit),
            interval,
            p,
            flag,
            style="bold" if c.outside else None,
        )
    return table


def backtest_lines(bt: Backtest) -> list[str]:
    """The verdict, and how to read the intervals."""
    m = len(bt.comparisons)
    level = bt.comparisons[0].level if bt.comparisons else 1 - bt.alpha
    how = (
        f"Each interval holds at least {level:.2%} of the simulated histories (Bonferroni over {m} indicators: "
        f"a right model fails in at most {bt.alpha:.0%} of histories); the fitted parameters are taken as known."
    )
    if bt.passed:
        verdict = f"The model reproduces the history: every indicator lies within its interval ({m} compared)."
    else:
        names = ", ".join(c.indicator.label for c in bt.comparisons if c.outside)
        verdict = f"The model does not reproduce the history: outside its interval: {names}."
    return [verdict, how]
