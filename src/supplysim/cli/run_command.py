"""``supplysim run``: every policy of a scenario, the comparison table and the results folder."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from supplysim.cli.common import (
    AllowDataOutside,
    Quiet,
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
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file", metavar="SCENARIO")],
    replications: Annotated[
        int | None, typer.Option(metavar="N", help="override the scenario's replications", min=1, max=MAX_REPLICATIONS)
    ] = None,
    seed: Annotated[int | None, typer.Option(metavar="S", help="override the scenario's seed", min=0)] = None,
    horizon: Annotated[
        float | None, typer.Option(metavar="H", help="override the measured length of a replication")
    ] = None,
    warmup: Annotated[float | None, typer.Option(metavar="W", help="override the warm-up length")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="PATH=VALUE",
            help="override any key: PATH=VALUE, e.g. replenishment.reorder_point=40 (repeatable)",
        ),
    ] = None,
    policy: Annotated[list[str] | None, typer.Option(metavar="NAME", help="run only this policy (repeatable)")] = None,
    out: Annotated[
        Path | None, typer.Option(metavar="DIR", help="results folder (default results/<scenario name>/)")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(metavar="N", help="worker processes (default all cores; 1 = in-process)", min=1, max=MAX_WORKERS),
    ] = None,
    executor: Annotated[
        str, typer.Option(metavar="local|dask", help="where replications run: local process pool or Dask")
    ] = "local",
    address: Annotated[
        str | None, typer.Option(metavar="tcp://HOST:PORT", help="Dask scheduler (default: start a local cluster)")
    ] = None,
    precision: Annotated[
        float | None,
        typer.Option(metavar="R", help="add replications until every --kpi is known to ±R relative (95%)", min=1e-6),
    ] = None,
    kpi: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="indicator(s) --precision applies to (default profit)")
    ] = None,
    max_replications: Annotated[
        int, typer.Option(metavar="N", help="upper limit for --precision", min=2, max=MAX_REPLICATIONS)
    ] = 1000,
    format_: Annotated[
        str, typer.Option("--format", metavar="table|json", help="standard output: table or json")
    ] = "table",
    quiet: Quiet = False,
    trace: Annotated[
        bool, typer.Option(help="also write traces/<policy>.csv: every event of replication 0 (for teaching)")
    ] = False,
    report: Annotated[bool, typer.Option(help="write plots/ and report.html in the results folder")] = True,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Run every policy of SCENARIO, print the comparison table, write the results folder.

    Examples:

    \b
      supplysim run scenarios/backorder_vs_out_of_stock.yaml
      supplysim run scenarios/backorder_vs_out_of_stock.yaml --replications 50 --workers 2
      supplysim run my.yaml --set store.max_quoted_wait=7 --policy backorder --format json
      supplysim run my.yaml --precision 0.01 --kpi profit --kpi fill_rate
      supplysim run my.yaml --executor dask --address tcp://scheduler.example:8786
    """
    if format_ not in ("table", "json"):
        fail(f"--format must be 'table' or 'json', found {format_!r}", 2)
    if precision is not None and not math.isfinite(precision):
        fail(f"--precision must be a finite number, found {precision}", 2)
    try:
        sc = load(
            scenario,
            set_ or [],
            allow_data_outside,
            replications=replications,
            seed=seed,
            horizon=horizon,
            warmup=warmup,
        )
        sc = only_policies(sc, policy)
        kpis = kpi or ["profit"]
        check_kpis(sc, kpis)
    except ScenarioError as exc:
        fail(str(exc), 2)
        return
    # the simulator and the writers are imported once the scenario is known to be good:
    # a bad file gets its message at the cost of `validate`
    from supplysim import api
    from supplysim.experiments.runner import check_work
    from supplysim.outputs.documents import summary_json
    from supplysim.outputs.folders import FolderKind, ResultsFolderError, check_destination
    from supplysim.report.terminal import comparison_table

    folder = out if out is not None else Path("results") / sc.name
    try:
        check_work([sc], range(max_replications if precision is not None else sc.replications))
        check_destination(folder, kind=FolderKind.RUN)
    except (ResultsFolderError, ScenarioError) as exc:
        fail(str(exc), 2)
    claim(folder)
    show = not quiet and format_ == "table" and err().is_terminal
    with running(executor, workers, address, show, f"simulating {sc.name}") as (runner, bar):
        res = api.run(
            sc,
            executor=runner,
            precision=precision,
            precision_kpis=kpis,
            max_replications=max_replications,
            progress=bar,
            record=report,
            trace=trace,
        )
    with writing(folder):
        try:
            res.to_folder(folder, trace=trace, plots=report)
        except OSError as exc:
            fail(f"cannot write results to {folder}: {exc.strerror or exc}", 1)
    if format_ == "json":
        sys.stdout.write(summary_json(res.experiment))
        return
    console = stdout_console()
    console.print(comparison_table(res.experiment, width=console.width))
    for line in res.verdict():
        console.print(line, highlight=False)
    console.print(f"results written to {folder}/", style="dim", highlight=False)
