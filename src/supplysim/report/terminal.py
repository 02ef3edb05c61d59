"""What the commands print: the comparison table of ``supplysim run``, the table and notes of ``supplysim check``."""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from supplysim.analysis.breakdown import components, profit_breakdown
from supplysim.analysis.diagnostics import Note, diagnose
from supplysim.analysis.experiment import Experiment
from supplysim.analysis.indicators import by_location
from supplysim.analysis.intervals import Difference, Interval
from supplysim.analysis.kpis import Group as KpiGroup
from supplysim.analysis.kpis import format_pm, format_value
from supplysim.analysis.regression import Comparison, FailOn, Verdict

__all__ = ["check_notes", "check_table", "comparison_table", "format_value", "print_check", "update_lines"]


_PLAIN_CONSOLE = Console(width=100_000, file=io.StringIO())
"""Measures a table's natural width (as wide as it wants)."""


@dataclass(frozen=True)
class _Cell:
    """A number, its ± half-width and its significance mark, laid out on one line or two."""

    value: str
    pm: str = ""
    mark: str = ""
    style: str = ""

    def render(self, wrapped: bool) -> Text:
        """``value ± pm *`` on one line, or ``value`` over ``± pm *`` (the mark ends the cell)."""
        text = self.value + (("\n" if wrapped else " ") + self.pm if self.pm else "")
        return Text(text + (f" {self.mark}" if self.mark else ""), style=self.style)


def _cell(kpi: str, s: Interval) -> _Cell:
    if s.n == 0:
        return _Cell("–")
    value, hw = format_pm(kpi, s.mean, s.ci95_half_width)
    return _Cell(value, f"± {hw}" if math.isfinite(s.ci95_half_width) else "")


def _diff(kpi: str, d: Difference) -> _Cell:
    if d.n == 0 or not math.isfinite(d.diff):
        return _Cell("–", style="dim")
    hw = (d.ci95_high - d.ci95_low) / 2 if math.isfinite(d.ci95_high) else math.nan
    value, hw_text = format_pm(kpi, d.diff, hw, signed=True)
    pm = f"± {hw_text}" if math.isfinite(hw) else ""
    if d.significant:
        return _Cell(value, pm, "*", "bold")
    return _Cell(value, pm, style="dim")


@dataclass(frozen=True)
class _Grid:
    """A table's content before layout: a heading column, data columns, rows of cells (or group headings)."""

    head: str
    columns: list[str]
    rows: list[tuple[str, list[_Cell]] | str]
    """(label, one cell per column), or a group heading."""


def _table(grid: _Grid, cols: Sequence[int], wrapped: bool, fold: bool) -> Table:
    table = Table(box=box.SIMPLE_HEAVY, show_lines=False)
    table.add_column(grid.head, style="bold", no_wrap=not fold, overflow="fold")
    for c in cols:
        head = grid.columns[c].replace(" (", "\n(") if wrapped else grid.columns[c]
        table.add_column(head, justify="right", no_wrap=not fold, overflow="fold")
    for row in grid.rows:
        if isinstance(row, str):
            if table.row_count:
                table.add_section()
            table.add_row(Text(row, style="italic cyan"))
            continue
        label, cells = row
        table.add_row(label, *(cells[c].render(wrapped) for c in cols))
    return table


def _natural_width(table: Table) -> int:
    return Measurement.get(_PLAIN_CONSOLE, _PLAIN_CONSOLE.options, table).maximum


def _fit(grid: _Grid, blocks: list[list[int]], width: int | None) -> list[Table]:
    """The grid as few tables as fit in ``width`` columns, never cutting a number: all columns with
    each number and its ± on one line; else the ± on a second line; else the column blocks
    (e.g. a policy with its Δ) split over several stacked tables, as many blocks per table as
    fit; else one block per table, folding long cells (only below ~50 columns)."""
    if width is None:
        return [_table(grid, [c for b in blocks for c in b], wrapped=False, fold=False)]
    for wrapped in (False, True):
        t = _table(grid, [c for b in blocks for c in b], wrapped, fold=False)
        if _natural_width(t) <= width:
            return [t]
    for per in range(len(blocks) - 1, 0, -1):
        chunks = [blocks[i : i + per] for i in range(0, len(blocks), per)]
        tables = [_table(grid, [c for b in chunk for c in b], True, fold=False) for chunk in chunks]
        if all(_natural_width(t) <= width for t in tables):
            return tables
    return [_table(grid, b, True, fold=True) for b in blocks]


def _titled(tables: list[Table], title: str | None, caption: str | None) -> list[Table]:
    if title is not None:
        tables[0].title = title
    if caption is not None:
        tables[-1].caption = caption
    return tables


def _main_grid(exp: Experiment) -> tuple[_Grid, list[list[int]]]:
    sc = exp.scenario
    names = list(sc.policies)
    columns: list[str] = []
    blocks: list[list[int]] = []
    for name in names:
        block = [len(columns)]
        columns.append(name + (" (baseline)" if name == sc.baseline else ""))
        if name != sc.baseline:
            block.append(len(columns))
            columns.append(f"Δ {name}")
        blocks.append(block)
    rows: list[tuple[str, list[_Cell]] | str] = []
    for _, kpis, heading in _by_location(exp):
        rows.append(heading)
        for kpi in kpis:
            cells: list[_Cell] = []
            for name in names:
                cells.append(_cell(kpi, exp.summary(name, kpi)))
                if name != sc.baseline:
                    cells.append(_diff(kpi, exp.difference(name, kpi)))
            rows.append((kpi, cells))
    return _Grid("indicator", columns, rows), blocks


def _why_grid(exp: Experiment) -> _Grid | None:
    others = [p for p in exp.scenario.policies if p != exp.baseline]
    if not others or "profit" not in exp.kpis:
        return None
    parts = [profit_breakdown(exp, p) for p in others]
    rows: list[tuple[str, list[_Cell]] | str] = [("Δ profit", [_diff("profit", b.profit) for b in parts])]
    for i, c in enumerate(components(exp)):
        label = c.label if c.sign > 0 else f"{c.label} (− {c.kpi})"
        rows.append((label, [_diff("profit", b.parts[i].diff) for b in parts]))
    rows.append(("units sold", [_diff("units_ordered", b.units_sold) for b in parts]))
    return _Grid(f"vs {exp.baseline}", [f"Δ {p}" for p in others], rows)


def comparison_table(exp: Experiment, width: int | None = None, notes: Sequence[Note] | None = None) -> Group:
    """Indicators as rows, policies as columns (mean ± 95% half-width), Δ vs the baseline; then where
    the profit difference comes from (:func:`~supplysim.analysis.breakdown.profit_breakdown`) and
    the notes of :func:`~supplysim.analysis.diagnostics.diagnose` (``notes``, default: found here).

    ``width`` (the console's) makes the tables fit it without cutting a number (see :func:`_fit`);
    None lays each table out on one line per indicator, however wide.
    """
    sc = exp.scenario
    title = f"{sc.name} — {sc.replications} replications × {sc.horizon:g} {sc.time_unit}s"
    if sc.warmup:
        title += f" after {sc.warmup:g} {sc.time_unit}s warm-up"
    compared = (
        f"; Δ = paired difference vs {sc.baseline} (common random numbers), * = interval excludes 0"
        if len(sc.policies) > 1
        else ""
    )
    caption = f"mean ± 95% CI half-width{compared}; time in {sc.time_unit}s" + (
        f"; money in {sc.currency}" if sc.currency != "money" else ""
    )
    grid, blocks = _main_grid(exp)
    parts: list[RenderableType] = list(_titled(_fit(grid, blocks, width), title, caption))
    why = _why_grid(exp)
    if why is not None:
        parts += _titled(
            _fit(why, [[i] for i in range(len(why.columns))], width),
            "Where Δ profit comes from (the rows below it add up to it)",
            None,
        )
    for note in diagnose(exp) if notes is None else notes:
        parts.append(Text(f"note: {note.short}", style="yellow"))
    return Group(*parts)


def _by_location(exp: Experiment) -> list[tuple[KpiGroup, tuple[str, ...], str]]:
    """The table's sections (:func:`~supplysim.analysis.indicators.by_location`)."""
    return by_location(exp.kpis, exp.scenario.policies.values())


# ---------------------------------------------------------------- supplysim check

_VERDICT_STYLE = {
    Verdict.WORSE: "bold red",
    Verdict.BETTER: "bold green",
    Verdict.CHANGED: "bold yellow",
    Verdict.MISSING: "bold red",
    Verdict.WITHIN_NOISE: "yellow",
}


def _change(r: Comparison) -> str:
    if r.change is None:
        return "–"
    text = format_value(r.kpi, r.change, signed=True)
    if r.relative is not None and math.isfinite(r.relative) and r.baseline:
        text += f" ({r.relative:+.1%})"
    return text


def check_table(results: Sequence[Comparison], rtol: float, level: float) -> Table:
    """One row per comparison: scenario, policy, indicator, baseline, now, change, verdict."""
    table = Table(
        title="supplysim check",
        caption=f"a real change = Welch p < {level:.2g} and |change| > {rtol:.1%}; "
        "worse / better by the indicator's direction, changed when it has none",
    )
    for col in ("scenario", "policy", "indicator", "baseline", "now", "change", "verdict"):
        table.add_column(col, justify="right" if col in ("baseline", "now", "change") else "left")
    for r in results:
        style = _VERDICT_STYLE.get(r.verdict, "")
        table.add_row(
            r.scenario,
            r.policy,
            r.kpi,
            format_value(r.kpi, r.baseline),
            format_value(r.kpi, r.now),
            _change(r),
            f"[{style}]{r.verdict.value}[/]" if style else r.verdict.value,
        )
    return table


def check_notes(results: Sequence[Comparison], errors: Mapping[str, str], fail_on: FailOn = FailOn.CHANGE) -> list[str]:
    """What a check run means, in words: changed random paths, changed settings, the counts."""
    lines = []
    for name in sorted({r.scenario for r in results if r.random_path_changed}):
        lines.append(
            f"note: {name}: same supplysim version, scenario and seed as the baseline, but different numbers: "
            "the simulation's random path changed (a change to the model or a policy, or a new use of a random "
            "stream, without a version bump). If intended, review with --all and run `supplysim check --update`."
        )
    # an indicator new in this version is no sign that the settings differ
    settled = (Verdict.IDENTICAL, Verdict.NEW)
    differs = sorted({r.scenario for r in results if r.verdict not in settled and not r.random_path_changed})
    if differs:
        lines.append(
            f"note: {', '.join(differs)}: the scenario, seed or version differs from the baseline's "
            "(overrides, edits or a new version), so changes are judged statistically."
        )
    by = {v: sum(r.verdict is v for r in results) for v in Verdict}
    if fail_on is FailOn.WORSE and by[Verdict.BETTER] + by[Verdict.CHANGED]:
        lines.append(
            f"note: {by[Verdict.BETTER] + by[Verdict.CHANGED]} real change(s) not in the worse direction "
            "do not fail the run (--fail-on worse); the model did change: review with --all."
        )
    lines.append(
        f"{len(results)} indicators: {by[Verdict.IDENTICAL]} identical, {by[Verdict.WITHIN_NOISE]} within noise, "
        f"{by[Verdict.WORSE]} worse, {by[Verdict.BETTER]} better, {by[Verdict.CHANGED]} changed, "
        f"{by[Verdict.MISSING]} missing"
        + (f", {by[Verdict.NEW]} new (not in the baseline)" if by[Verdict.NEW] else "")
        + (f"; {len(errors)} scenario(s) without a usable baseline" if errors else "")
    )
    return lines


def print_check(
    results: Sequence[Comparison],
    errors: Mapping[str, str],
    *,
    all_rows: bool,
    rtol: float,
    level: float,
    fail_on: FailOn = FailOn.CHANGE,
    quiet: bool = False,
) -> None:
    """The outcome of ``supplysim check``: errors to standard error; the real changes and
    missing indicators (every row with ``all_rows``) and the notes to standard output; with
    ``quiet`` only the errors and the one-line count."""
    console = Console() if sys.stdout.isatty() else Console(width=160)
    for name, message in errors.items():
        sys.stderr.write(f"error: {name}: {message}\n")
    notes = check_notes(results, errors, fail_on)
    if quiet:
        console.print(notes[-1], highlight=False)
        return
    shown = [r for r in results if all_rows or r.real_change or r.verdict is Verdict.MISSING]
    if shown:
        console.print(check_table(shown, rtol, level))
    for line in notes:
        console.print(line, highlight=False)


def update_lines(scenario: str, path: Path, comparisons: Sequence[Comparison] | None) -> list[str]:
    """What ``supplysim check --update`` did to one baseline: created it (``comparisons`` None),
    or rewrote it, with up to 20 of the indicators that changed."""
    if comparisons is None:
        return [f"{scenario}: new baseline {path}"]
    changed = [r for r in comparisons if r.verdict is not Verdict.IDENTICAL]
    lines = [f"{scenario}: baseline rewritten ({len(changed)} of {len(comparisons)} indicators changed)"]
    for r in changed[:20]:
        was, now = format_value(r.kpi, r.baseline), format_value(r.kpi, r.now)
        lines.append(f"  {r.policy}.{r.kpi}: {was} → {now} ({r.verdict.value})")
    return lines
