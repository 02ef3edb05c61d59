"""``supplysim backtest``: would the fitted scenario have produced the shop's history?"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from supplysim.cli.common import (
    AllowDataOutside,
    DaskAddress,
    ExecutorKind,
    Quiet,
    Sets,
    Workers,
    err,
    fail,
    load,
    running,
    stdout_console,
)
from supplysim.scenario.limits import MAX_REPLICATIONS
from supplysim.scenario.load import ScenarioError

DEFAULT_REPLICATIONS = 400
"""As :data:`supplysim.experiments.backtest.DEFAULT_REPLICATIONS` (not imported here: ``--help`` stays light)."""


def backtest(
    scenario: Annotated[Path, typer.Argument(help="the fitted scenario YAML file", metavar="FITTED")],
    orders: Annotated[Path, typer.Option(metavar="CSV", help="orders.csv: the customer orders")],
    receipts: Annotated[Path | None, typer.Option(metavar="CSV", help="receipts.csv: compare the lead time")] = None,
    stockouts: Annotated[
        Path | None, typer.Option(metavar="CSV", help='stockouts.csv: compare the time shown "out of stock"')
    ] = None,
    policy: Annotated[
        str | None, typer.Option(metavar="NAME", help="the policy the shop ran (default: the scenario's only one)")
    ] = None,
    replications: Annotated[
        int,
        typer.Option(
            metavar="N", help="simulated histories (at least 2m/0.05 for m indicators)", min=1, max=MAX_REPLICATIONS
        ),
    ] = DEFAULT_REPLICATIONS,
    sku: Annotated[str | None, typer.Option(metavar="SKU", help="the product of a multi-product export")] = None,
    exported_at: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="the export time, ISO 8601 (default: the latest timestamp of the files)"),
    ] = None,
    set_: Sets = None,
    format_: Annotated[
        str, typer.Option("--format", metavar="table|json", help="standard output: table or json")
    ] = "table",
    workers: Workers = None,
    executor: ExecutorKind = "local",
    address: DaskAddress = None,
    quiet: Quiet = False,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Replay the history's horizon with the fitted scenario and compare with what happened.

    The orders per in-stock day, fill rate, backorder rate, cancellation rate and
    mean wait (and, with --stockouts, the time shown "out of stock"; with
    --receipts, the mean lead time) are computed on the records, and on the records every simulated history would
    have produced; each observed value is set against a prediction interval for one
    history of this length, Bonferroni-adjusted so that a right model fails in at
    most 5% of histories (docs/fit.md, "Backtest").

    Example:

    \b
      supplysim backtest fitted.yaml --orders orders.csv --receipts receipts.csv \\
        --stockouts stockouts.csv

    Exit codes: 0 the model reproduces the history; 1 some indicator falls outside
    its interval; 2 invalid input.
    """
    from supplysim import api
    from supplysim.report.backtest import backtest_lines, backtest_table

    try:
        if format_ not in ("table", "json"):
            raise ScenarioError(f"--format must be 'table' or 'json', found {format_!r}")
        sc = load(scenario, set_ or [], allow_data_outside)
    except ScenarioError as exc:
        fail(str(exc), 2)
        return
    show = not quiet and err().is_terminal
    with running(executor, workers, address, show, f"backtesting {sc.name}") as (runner, bar):
        try:
            bt = api.backtest(
                sc,
                orders,
                receipts,
                stockouts,
                policy=policy,
                replications=replications,
                sku=sku,
                exported_at=exported_at,
                executor=runner,
                progress=bar,
            )
        except ScenarioError as exc:
            fail(str(exc), 2)
            return
    for notice in bt.notices:
        sys.stderr.write(f"note: {notice}\n")
    if format_ == "json":
        sys.stdout.write(json.dumps(bt.to_dict(), indent=2) + "\n")
    else:
        console = stdout_console()
        console.print(backtest_table(bt))
        for line in backtest_lines(bt):
            console.print(line, highlight=False)
    if not bt.passed:
        raise typer.Exit(1)
