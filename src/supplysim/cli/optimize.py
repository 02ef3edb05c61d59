"""``supplysim optimize``: the best point of a grid for one objective, subject to bounds."""

from __future__ import annotations

import json
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
    check_kpis,
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
from supplysim.scenario.limits import MAX_REPLICATIONS
from supplysim.scenario.load import ScenarioError

if TYPE_CHECKING:
    from rich.table import Table

    from supplysim.experiments.optimize import Constraint, OptimizeResult
    from supplysim.scenario import Scenario


@holds_folders
def optimize(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file", metavar="SCENARIO")],
    over: Annotated[
        list[str],
        typer.Option(metavar="PATH=LOW:HIGH[:STEP]", help="an integer parameter to search (repeatable)"),
    ],
    maximize: Maximize = None,
    minimize: Minimize = None,
    subject_to: SubjectTo = None,
    policy: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME", help="policy to optimise (repeatable: each is optimised; default: the baseline)"),
    ] = None,
    set_: Sets = None,
    screen_replications: Annotated[
        int, typer.Option(metavar="N", help="replications per grid point (stage 1)", min=2, max=MAX_REPLICATIONS)
    ] = 10,
    select_replications: Annotated[
        int, typer.Option(metavar="N", help="replications per finalist (stage 2)", min=2, max=MAX_REPLICATIONS)
    ] = 40,
    finalists: Finalists = 5,
    out: Annotated[
        Path | None, typer.Option(metavar="DIR", help="output folder (default results/<scenario name>-optimize/)")
    ] = None,
    workers: Workers = None,
    executor: ExecutorKind = "local",
    address: DaskAddress = None,
    quiet: Quiet = False,
    report: Annotated[bool, typer.Option(help="write plots/objective.png and report.html")] = True,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Find the best integer parameters by simulation: grid screening, then selection of the best.

    Quote constraints: the shell reads > as a redirection.

    Examples:

    \b
      supplysim optimize scenarios/backorder_vs_out_of_stock.yaml \\
        --maximize profit --subject-to 'fill_rate>=0.95' \\
        --over replenishment.reorder_point=100:700

    \b
      supplysim optimize my.yaml --minimize holding_cost \\
        --subject-to 'fill_rate>=0.9' --over replenishment.reorder_point=10:80 \\
        --over replenishment.order_quantity=50:200:25

    \b
      supplysim optimize my.yaml --maximize profit \\
        --over replenishment.reorder_point=40:120 --policy backorder --policy out_of_stock

    Several --policy: each is optimised (one result each, in optimize.json
    under "results"); `supplysim compare` also compares them at their optima.
    """
    from supplysim.experiments.optimize import optimize_each
    from supplysim.outputs.folders import (
        FolderKind,
        ResultsFolderError,
        check_destination,
        infeasible_folder,
        write_folder,
    )

    try:
        sc = load(scenario, set_ or [], allow_data_outside)
        objective, sense, constraints, ranges = search_inputs(sc, maximize, minimize, subject_to or [], over)
        check_names(policy or [], sc.policies, "a policy of this scenario", "--policy")
        folder = out if out is not None else Path("results") / f"{sc.name}-optimize"
        check_destination(folder, kind=FolderKind.OPTIMIZE)
    except (ScenarioError, ResultsFolderError) as exc:
        fail(str(exc), 2)
        return
    claim(folder)
    show = not quiet and err().is_terminal
    with running(executor, workers, address, show, f"optimising {sc.name}") as (runner, bar):
        try:
            results = optimize_each(
                sc,
                ranges,
                list(dict.fromkeys(policy)) if policy else [sc.baseline],
                objective=objective,
                sense=sense,
                constraints=constraints,
                n1=screen_replications,
                n2=select_replications,
                finalists=finalists,
                executor=runner,
                progress=bar,
            )
        except ScenarioError as exc:
            fail(str(exc), 2)
    if len(results) == 1:
        document = results[0].to_dict()
    else:
        document = {
            "objective": objective,
            "sense": sense,
            "constraints": [str(c) for c in constraints],
            "results": [r.to_dict() for r in results],
        }
    kept = folder
    feasible = all(r.chosen is not None for r in results)
    if not feasible:  # an infeasible run must not replace an earlier good result
        folder = infeasible_folder(folder)
    with writing(folder):
        try:
            files: dict[str, str | bytes] = {"optimize.json": json.dumps(document, indent=2) + "\n"}
            if report:
                from supplysim.report.html import optimize_files

                files.update(optimize_files(results, sc))
            write_folder(folder, files, FolderKind.OPTIMIZE)
        except (OSError, ResultsFolderError) as exc:
            fail(f"cannot write the report to {folder}: {getattr(exc, 'strerror', None) or exc}", 1)
    console = stdout_console()
    for k, res in enumerate(results):
        if k:
            console.print()
        if res.finalists:
            console.print(finalists_table(sc.name, res))
        for line in res.lines():
            console.print(line, highlight=False)
    screened = ", ".join(f"{r.evaluated} for {r.policy}" for r in results) if len(results) > 1 else results[0].evaluated
    written = "optimize.json, plots/, report.html" if report else "optimize.json"
    console.print(f"{screened} grid points screened; written to {folder}/ ({written})", style="dim")
    if not feasible:
        if (kept / "optimize.json").exists():
            console.print(f"{kept}/ is left as it was (an earlier run's results)", style="dim")
        raise typer.Exit(1)


def search_inputs(
    sc: Scenario, maximize: str | None, minimize: str | None, subject_to: list[str], over: list[str]
) -> tuple[str, str, list[Constraint], list[tuple[str, list[int]]]]:
    """The objective, its sense, the constraints and the ranges of an ``optimize`` or ``compare``
    command line, checked against the scenario (unknown indicators, bad ranges, unknown keys)."""
    from supplysim.experiments.optimize import breaks_a_joint_rule, parse_constraint, parse_over
    from supplysim.scenario.load import with_overrides
    from supplysim.scenario.overrides import option

    if (maximize is None) == (minimize is None):
        raise ScenarioError("give exactly one of --maximize KPI or --minimize KPI")
    objective = maximize if maximize is not None else minimize or ""
    check_kpis(sc, [objective], "--maximize" if maximize is not None else "--minimize")
    constraints = [parse_constraint(c) for c in subject_to]
    check_kpis(sc, [c.kpi for c in constraints], "--subject-to")
    ranges = [parse_over(o) for o in over]
    # an unknown key, or an end of a range the model cannot take, fails here, before any run;
    # a corner whose values together break a rule (S ≤ s) is only a point the search skips
    for end in (0, -1):
        try:
            with_overrides(
                sc,
                [
                    (path, values[end], option("--over", f"{text} (at {path}={values[end]})"))
                    for text, (path, values) in zip(over, ranges, strict=True)
                ],
            )
        except ScenarioError as exc:
            if not breaks_a_joint_rule(exc, [path for path, _ in ranges]):
                raise
    return objective, "max" if maximize is not None else "min", constraints, ranges


def finalists_table(name: str, res: OptimizeResult) -> Table:
    """The finalists of one policy's search, the chosen one in bold."""
    from rich.table import Table

    from supplysim.analysis.kpis import format_interval

    kpis = [res.objective, *(c.kpi for c in res.constraints)]
    table = Table(title=f"{name}: finalists for {res.policy} (stage 2)")
    for path in res.finalists[0].point:
        table.add_column(path, justify="right")
    for k in kpis:
        table.add_column(k, justify="right")
    table.add_column("n", justify="right")
    for c in res.finalists:
        row = [str(v) for v in c.point.values()]
        for k in kpis:
            s = c.experiment.summary(res.policy, k)
            row.append(format_interval(k, s.mean, s.ci95_half_width))
        row.append(str(c.experiment.summary(res.policy, res.objective).n))
        table.add_row(*row, style="bold" if c is res.chosen else None)
    return table
