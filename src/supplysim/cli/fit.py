"""``supplysim fit``: from a shop's exports to a scenario (``data.md``, ``docs/fit.md``)."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from supplysim.cli.common import fail


class Format(enum.StrEnum):
    """How the estimates are printed."""

    TABLE = "table"
    JSON = "json"


def fit(
    orders: Annotated[Path, typer.Option(metavar="CSV", help="orders.csv: one row per customer order")],
    template: Annotated[
        Path, typer.Option(metavar="YAML", help="the scenario whose prices, costs and policies are kept")
    ],
    out: Annotated[Path, typer.Option(metavar="YAML", help="where to write the fitted scenario")],
    receipts: Annotated[
        Path | None, typer.Option(metavar="CSV", help="receipts.csv: purchase orders and when they arrived")
    ] = None,
    stockouts: Annotated[
        Path | None, typer.Option(metavar="CSV", help='stockouts.csv: spells shown "out of stock"')
    ] = None,
    sku: Annotated[str | None, typer.Option(metavar="SKU", help="the product to fit in a multi-product export")] = None,
    exported_at: Annotated[
        str | None,
        typer.Option(metavar="TIME", help="when the export was taken (ISO 8601; default the latest time in the files)"),
    ] = None,
    report: Annotated[
        Path | None, typer.Option(metavar="DIR", help="also write the figures and a page (index.html) here")
    ] = None,
    format_: Annotated[Format, typer.Option("--format", help="table: sentences; json: the estimates")] = Format.TABLE,
    bootstrap: Annotated[
        int, typer.Option(metavar="N", min=0, max=10_000, help="bootstrap samples of the lead-time fit test")
    ] = 199,
    seed: Annotated[int, typer.Option(metavar="N", min=0, help="seed of the bootstrap")] = 0,
) -> None:
    """Estimate demand, lead times and patience from a shop's records; write the fitted scenario.

    Exit 0: fitted and written; 2: bad input (a template that does not validate, a bad row
    in an export: the message names the file, row and column).

    Examples:

    \b
      supplysim fit --orders orders.csv --receipts receipts.csv --stockouts stockouts.csv \\
                    --template base.yaml --out fitted.yaml --report fit-report
      supplysim fit --orders orders.csv --template base.yaml --sku A-100 --out a100.yaml --format json
    """
    from supplysim.api import fit as fit_api
    from supplysim.scenario.errors import ScenarioError

    try:
        fitted = fit_api(
            orders,
            template,
            receipts,
            stockouts,
            sku=sku,
            exported_at=exported_at,
            bootstrap=bootstrap,
            seed=seed,
        )
    except ScenarioError as exc:
        fail(str(exc), 2)
        return
    except ValueError as exc:  # an estimator that cannot work on these records (never in stock, …)
        fail(f"{orders}: {exc}", 2)
        return
    for notice in fitted.result.records.notices:
        sys.stderr.write(f"notice: {notice}\n")
    fitted.to_file(out)
    if report is not None:
        fitted.to_report(report)
    if format_ is Format.JSON:
        sys.stdout.write(json.dumps(fitted.to_json(), indent=2) + "\n")
        return
    for line in fitted.lines():
        sys.stdout.write(line + "\n")
    sys.stdout.write(f"wrote {out}" + (f" and {report}/index.html" if report is not None else "") + "\n")
