"""What the commands print: the comparison table of ``supplysim run``, the table and notes of ``supplysim check``."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.indicators import locations
from supplysim.analysis.intervals import Difference, Interval
from supplysim.analysis.kpis import Group, format_value, grouped, location_of, lookup
from supplysim.analysis.regression import Comparison, FailOn, Verdict

__all__ = ["check_notes", "check_table", "comparison_table", "format_value", "print_check", "update_lines"]


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
    for g, (_, kpis, heading) in enumerate(_by_location(exp)):
        if g:
            table.add_section()
        table.add_row(Text(heading, style="italic cyan"))
        for kpi in kpis:
            row: list[str | Text] = [kpi]
            for name in names:
                row.append(_cell(kpi, exp.summary(name, kpi)))
                if name != sc.baseline:
                    row.append(_diff(kpi, exp.difference(name, kpi)))
            table.add_row(*row)
    return table


def _by_location(exp: Experiment) -> list[tuple[Group, tuple[str, ...], str]]:
    """The table's sections: for a network, the totals first, then each store, then the warehouse
    (and its own customers, ``KPI@WAREHOUSE``; ``docs/network.md``); otherwise the groups of the registry."""
    stores = locations(exp.scenario.policies.values())
    if not stores:
        return [(group, kpis, group.value) for group, kpis in grouped(exp.kpis)]
    totals = [k for k in exp.kpis if location_of(k, stores) is None and lookup(k).group is not Group.WAREHOUSE]
    out = [(group, kpis, f"Network — {group.value}") for group, kpis in grouped(totals)]
    for store in stores:
        mine = [k for k in exp.kpis if location_of(k, stores) == store]
        out += [(group, kpis, f"{store} — {group.value}") for group, kpis in grouped(mine)]
    warehouse = [k for k in exp.kpis if lookup(k).group is Group.WAREHOUSE]
    out += [(group, kpis, f"{group.value} — stock and store orders") for group, kpis in grouped(warehouse)]
    return out


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
    differs = sorted({r.scenario for r in results if r.verdict is not Verdict.IDENTICAL and not r.random_path_changed})
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
