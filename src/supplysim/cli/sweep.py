"""``supplysim sweep``: every policy at every point of a grid of parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supplysim.cli.common import (
    AllowDataOutside,
    DaskAddress,
    ExecutorKind,
    Quiet,
    Sets,
    check_kpis,
    claim,
    err,
    fail,
    holds_folders,
    load,
    only_policies,
    running,
    stdout_console,
    writing,
)
from supplysim.scenario.limits import MAX_REPLICATIONS, MAX_WORKERS
from supplysim.scenario.load import ScenarioError


@holds_folders
def sweep(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file", metavar="SCENARIO")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PATH=A:B:STEP",
            help="a swept key: PATH=FROM:TO:STEP (inclusive) or PATH=V1,V2,… (repeatable; full factorial)",
        ),
    ] = None,
    set_: Sets = None,
    replications: Annotated[
        int | None, typer.Option(metavar="N", help="override the scenario's replications", min=1, max=MAX_REPLICATIONS)
    ] = None,
    policy: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="sweep only this policy (repeatable)")
    ] = None,
    kpi: Annotated[str, typer.Option(metavar="NAME", help="the indicator the summary optimises")] = "profit",
    out: Annotated[
        Path | None, typer.Option(metavar="DIR", help="output folder (default results/<scenario name>-sweep/)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(metavar="N", help="worker processes (default all cores)", min=1, max=MAX_WORKERS)
    ] = None,
    executor: ExecutorKind = "local",
    address: DaskAddress = None,
    quiet: Quiet = False,
    plots: Annotated[bool, typer.Option(help="write plots/ and report.html")] = True,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Run every point of a parameter grid × every policy, write sweep.csv and plots, print the answer.

    Parameters come from --param or from the scenario's `sweep:` block.

    Examples:

    \b
      supplysim sweep scenarios/backorder_vs_out_of_stock.yaml \\
        --param store.max_quoted_wait=0:28:7
      supplysim sweep my.yaml --param replenishment.reorder_point=40:80:10 \\
        --param store.stockout=backorder,lost_sales
    """
    from rich.table import Table

    from supplysim.analysis.kpis import format_interval
    from supplysim.api import run_sweep
    from supplysim.experiments.sweep import parse_param, scenario_parameters
    from supplysim.outputs.folders import FolderKind, ResultsFolderError, check_destination

    try:
        sc = load(scenario, set_ or [], allow_data_outside, replications=replications)
        sc = only_policies(sc, policy)
        params = [parse_param(p) for p in param] if param else scenario_parameters(sc)
        check_kpis(sc, [kpi])
        folder = out if out is not None else Path("results") / f"{sc.name}-sweep"
        check_destination(folder, kind=FolderKind.SWEEP)
    except (ScenarioError, ResultsFolderError) as exc:
        fail(str(exc), 2)
        return
    claim(folder)
    with running(executor, workers, address, not quiet and err().is_terminal, f"sweeping {sc.name}") as (runner, bar):
        try:
            res = run_sweep(sc, params, executor=runner, progress=bar)
        except ScenarioError as exc:
            fail(str(exc), 2)
    with writing(folder):
        try:
            res.to_folder(folder, plots=plots, kpi=kpi)
        except OSError as exc:
            fail(f"cannot write the sweep to {folder}: {exc.strerror or exc}", 1)
    console = stdout_console()
    table = Table(title=f"{sc.name}: sweep of {', '.join(res.parameters)} ({sc.replications} replications per point)")
    for name in res.parameters:
        table.add_column(name, justify="right")
    shown = list(dict.fromkeys([kpi, "fill_rate"]))
    for p in sc.policies:
        for k in shown:
            table.add_column(f"{p}\n{k}", justify="right")
    for point, exp in zip(res.points, res.experiments, strict=True):
        row = [str(v) for v in point.values()]
        for p in sc.policies:
            for k in shown:
                s = exp.summary(p, k)
                row.append(format_interval(k, s.mean, s.ci95_half_width))
        table.add_row(*row)
    console.print(table)
    for line in res.summary_lines(kpi):
        console.print(line, highlight=False)
    written = "sweep.csv, plots/, report.html" if plots else "sweep.csv"
    console.print(f"sweep written to {folder}/ ({written})", style="dim", highlight=False)
