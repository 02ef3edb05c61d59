"""``supplysim check``: the typer command; the steps are in :mod:`supplysim.cli.check`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from supplysim.analysis.verdicts import FailOn
from supplysim.cli.common import AllowDataOutside
from supplysim.scenario.limits import MAX_WORKERS


def check(
    paths: Annotated[list[Path], typer.Argument(help="benchmark scenario files or folders", metavar="SCENARIOS...")],
    baseline: Annotated[
        Path, typer.Option(metavar="DIR", help="folder of committed baselines: DIR/<scenario name>/summary.json")
    ] = Path("results/baselines"),
    rtol: Annotated[
        float, typer.Option(metavar="R", help="smallest relative change that counts as a regression", min=0.0)
    ] = 0.01,
    alpha: Annotated[
        float,
        typer.Option(
            metavar="A",
            help="family-wise false-alarm probability of a run (Bonferroni over indicators)",
            min=0.0,
            max=1.0,
        ),
    ] = 0.01,
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="override a key in every scenario")
    ] = None,
    update: Annotated[bool, typer.Option(help="rewrite the baselines from this run and print what changed")] = False,
    junit: Annotated[Path | None, typer.Option(metavar="PATH", help="also write a JUnit XML report")] = None,
    json_out: Annotated[
        Path, typer.Option("--json", metavar="PATH", help="where to write the machine-readable report")
    ] = Path("results/check.json"),
    workers: Annotated[
        int | None, typer.Option(metavar="N", help="worker processes (default all cores)", min=1, max=MAX_WORKERS)
    ] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="print every indicator, not only the changed ones")] = False,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on",
            help="change: any real change fails (the model moved); worse: only changes in the indicator's "
            "worse direction fail",
        ),
    ] = FailOn.CHANGE,
    kpi: Annotated[
        list[str] | None,
        typer.Option(metavar="KPI", help="compare only this indicator (repeatable), e.g. --kpi profit"),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar, no table: the errors and a one-line count")] = False,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Re-run benchmark scenarios and compare every indicator with its baseline.

    Exit 0: nothing fails; 1: a real change (with --fail-on worse: a change for the worse)
    or a missing indicator; 2: bad input or a missing baseline.

    Examples:

    \b
      supplysim check scenarios/benchmarks/ --baseline results/baselines/
      supplysim check scenarios/benchmarks/ --junit results/check.xml
      supplysim check scenarios/benchmarks/ --fail-on worse --kpi profit --kpi fill_rate
      supplysim check scenarios/benchmarks/ --update
    """
    from supplysim.cli.check import run_check
    from supplysim.cli.common import fail, stopped

    for name, value in (("--rtol", rtol), ("--alpha", alpha)):
        if not math.isfinite(value):
            fail(f"{name} must be a finite number, found {value}", 2)

    try:
        code = run_check(
            paths,
            baseline,
            rtol=rtol,
            alpha=alpha,
            overrides=set_ or [],
            update=update,
            junit=junit,
            json_out=json_out,
            workers=workers,
            all_rows=all_rows,
            allow_data_outside=allow_data_outside,
            fail_on=fail_on,
            kpis=kpi or [],
            quiet=quiet,
        )
    except KeyboardInterrupt as exc:  # every file is written atomically: a report is whole or absent
        stopped(exc, "stopped before every scenario was checked; no baseline or report was half written")
    raise typer.Exit(code)
