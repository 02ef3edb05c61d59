"""``supplysim compare``: each policy at its own best settings, against the written settings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supplysim.cli.common import (
    AllowDataOutside,
    DaskAddress,
    ExecutorKind,
    Finalists,
    Maximize,
    Minimize,
    Quiet,
    Sets,
    SubjectTo,
    Workers,
    check_names,
    claim,
    err,
    fail,
    holds_folders,
    load,
    running,
    stdout_console,
    writing,
)
from supplysim.cli.optimize import search_inputs
from supplysim.scenario.limits import MAX_REPLICATIONS
from supplysim.scenario.load import ScenarioError

if TYPE_CHECKING:
    from rich.table import Table

    from supplysim.api import CompareResults


@holds_folders
def compare(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file", metavar="SCENARIO")],
    over: Annotated[
        list[str],
        typer.Option(metavar="PATH=LOW:HIGH[:STEP]", help="an integer parameter to optimise per policy (repeatable)"),
    ],
    maximize: Maximize = None,
    minimize: Minimize = None,
    subject_to: SubjectTo = None,
    policy: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="compare only this policy (repeatable; default all)")
    ] = None,
    set_: Sets = None,
    screen_replications: Annotated[
        int,
        typer.Option(metavar="N", help="replications per grid point (search, stage 1)", min=2, max=MAX_REPLICATIONS),
    ] = 10,
    select_replications: Annotated[
        int,
        typer.Option(metavar="N", help="replications per finalist (search, stage 2)", min=2, max=MAX_REPLICATIONS),
    ] = 40,
    finalists: Finalists = 5,
    confirm_replications: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="replications of each comparison (default: the scenario's; fresh ones at the optima)",
            min=2,
            max=MAX_REPLICATIONS,
        ),
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", metavar="table|json", help="standard output: table or json")
    ] = "table",
    out: Annotated[
        Path | None, typer.Option(metavar="DIR", help="output folder (default results/<scenario name>-compare/)")
    ] = None,
    workers: Workers = None,
    executor: ExecutorKind = "local",
    address: DaskAddress = None,
    quiet: Quiet = False,
    report: Annotated[bool, typer.Option(help="write plots/ and report.html")] = True,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Compare the policies each at its own best settings, and at the written ones.

    The --over parameters are optimised separately for every policy (as
    `optimize` does, on common random numbers); then every policy is run at its
    optimum on fresh replications, the same for every policy, and compared with
    the baseline by paired intervals. At the written settings the comparison is
    the one `run` prints.

    Examples:

    \b
      supplysim compare scenarios/backorder_vs_out_of_stock.yaml \\
        --maximize profit --over replenishment.reorder_point=300:600:100
      supplysim compare my.yaml --maximize profit --subject-to 'fill_rate>=0.95' \\
        --over replenishment.reorder_point=40:120 --policy backorder --policy out_of_stock

    Exit codes: 0 done; 1 some policy has no point that meets the constraints;
    2 invalid input.
    """
    from supplysim import api
    from supplysim.outputs.folders import FolderKind, ResultsFolderError, check_destination, infeasible_folder

    try:
        if format_ not in ("table", "json"):
            raise ScenarioError(f"--format must be 'table' or 'json', found {format_!r}")
        sc = load(scenario, set_ or [], allow_data_outside)
        objective, sense, constraints, ranges = search_inputs(sc, maximize, minimize, subject_to or [], over)
        check_names(policy or [], sc.policies, "a policy of this scenario", "--policy")
        folder = out if out is not None else Path("results") / f"{sc.name}-compare"
        check_destination(folder, kind=FolderKind.COMPARE)
    except (ScenarioError, ResultsFolderError) as exc:
        fail(str(exc), 2)
        return
    claim(folder)
    show = not quiet and err().is_terminal
    with running(executor, workers, address, show, f"comparing {sc.name}, each policy at its best") as (runner, bar):
        try:
            res = api.compare(
                sc,
                ranges,
                objective=objective,
                sense=sense,
                constraints=constraints,
                policies=policy,
                n1=screen_replications,
                n2=select_replications,
                finalists=finalists,
                confirm=confirm_replications,
                executor=runner,
                progress=bar,
            )
        except ScenarioError as exc:
            fail(str(exc), 2)
    kept = folder
    if not res.complete:  # a policy without a feasible point must not replace an earlier good result
        folder = infeasible_folder(folder)
    with writing(folder):
        try:
            res.to_folder(folder, report=report)
        except (OSError, ResultsFolderError) as exc:
            fail(f"cannot write the comparison to {folder}: {getattr(exc, 'strerror', None) or exc}", 1)
    if format_ == "json":
        sys.stdout.write(res.to_json())
    else:
        console = stdout_console()
        console.print(compare_table(res))
        for line in res.lines():
            console.print(line, highlight=False)
        written = "compare.json, compare.csv, plots/, report.html" if report else "compare.json, compare.csv"
        console.print(f"comparison written to {folder}/ ({written})", style="dim", highlight=False)
    if not res.complete and (kept / "compare.json").exists():
        sys.stderr.write(f"{kept}/ is left as it was (an earlier run's results)\n")
    if not res.complete:
        raise typer.Exit(1)


def compare_table(res: CompareResults) -> Table:
    """One row per policy: its written and best values, the objective at both with the paired
    difference vs the baseline, and the constrained indicators and fill rate at its best."""
    from rich.table import Table

    from supplysim.analysis.kpis import format_interval, format_value

    r = res.result
    kpi = r.objective
    paths = list(r.ranges)
    others = [k for k in r.kpis if k != kpi]
    best = r.best
    n = r.written.summary(r.written.baseline, kpi).n
    title = f"{r.scenario.name}: each policy at its own best {kpi} ({n} replications each; fresh ones at the optima)"
    table = Table(title=title)
    table.add_column("policy")
    for path in paths:
        table.add_column(f"{path}\nwritten → best", justify="right")
    table.add_column(f"{kpi}\nat the written settings", justify="right")
    table.add_column(f"Δ vs {r.written.baseline}\nat the written settings", justify="right")
    table.add_column(f"{kpi}\neach at its best", justify="right")
    table.add_column(f"Δ vs {best.baseline if best else r.written.baseline}\neach at its best", justify="right")
    for k in others:
        table.add_column(f"{k}\nwritten → best", justify="right")

    def cell(exp: object, policy: str, k: str) -> str:
        from supplysim.analysis.experiment import Experiment

        if not isinstance(exp, Experiment) or policy not in exp.scenario.policies:
            return "–"
        s = exp.summary(policy, k)
        return format_interval(k, s.mean, s.ci95_half_width)

    def delta(setting: str, policy: str) -> str:
        ev = r.evidence(setting, policy)
        if ev is None:
            return ""
        mark = " *" if ev.real else ""
        return format_interval(kpi, ev.diff, ev.half_width, signed=True) + mark

    for policy in r.optima:
        point = r.point(policy) or {}
        row = [policy]
        row += [f"{r.written_values[policy].get(p)} → {point.get(p, '–')}" for p in paths]
        row += [cell(r.written, policy, kpi), delta("written", policy), cell(best, policy, kpi), delta("best", policy)]
        for k in others:
            w = format_value(k, r.written.summary(policy, k).mean)
            b = format_value(k, best.summary(policy, k).mean) if best and policy in best.scenario.policies else "–"
            row.append(f"{w} → {b}")
        table.add_row(*row)
    table.caption = "mean ± 95% CI half-width; Δ = paired difference (common random numbers), * = interval excludes 0"
    return table
