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
    out: Annotated[Path | None, typer.Option(metavar="YAML", help="where to write the fitted scenario")] = None,
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
    catalog: Annotated[
        Path | None,
        typer.Option(
            metavar="CSV", help="fit every sku and write a products table for `supplysim catalog` (instead of --out)"
        ),
    ] = None,
) -> None:
    """Estimate demand, lead times and patience from a shop's records; write the fitted scenario.

    Exit 0: fitted and written; 2: bad input (a template that does not validate, a bad row
    in an export: the message names the file, row and column).

    Examples:

    \b
      supplysim fit --orders orders.csv --receipts receipts.csv --stockouts stockouts.csv \\
                    --template base.yaml --out fitted.yaml --report fit-report
      supplysim fit --orders orders.csv --template base.yaml --sku A-100 --out a100.yaml --format json
      supplysim fit --orders orders.csv --receipts receipts.csv --template base.yaml --catalog products.csv
    """
    from supplysim.api import fit as fit_api
    from supplysim.scenario.errors import ScenarioError

    inputs = {"--orders": orders, "--template": template, "--receipts": receipts, "--stockouts": stockouts}
    _refuse_writing_inputs(inputs, {"--out": out, "--catalog": catalog, "--report": report})
    if catalog is not None:
        if sku is not None or out is not None or report is not None:
            fail("--catalog fits every sku into one table: leave out --sku, --out and --report", 2)
        _catalog(orders, template, receipts, stockouts, catalog, exported_at, format_, bootstrap, seed)
        return
    if out is None:
        fail("say where to write the fitted scenario: --out fitted.yaml (or --catalog products.csv)", 2)
        return

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
    if report is not None:  # refuse a report folder that cannot be written before writing anything
        from supplysim.outputs.folders import FolderKind, ResultsFolderError, check_destination

        try:
            check_destination(report, "--report", FolderKind.FIT)
        except ResultsFolderError as exc:
            fail(str(exc), 2)
            return
    try:
        fitted.to_file(out)
        if report is not None:
            fitted.to_report(report)
    except (OSError, ValueError) as exc:  # a folder where the file goes, a folder not ours, no permission
        fail(f"cannot write {report if report is not None and out.exists() else out}: {_reason(exc)}", 2)
    if format_ is Format.JSON:
        sys.stdout.write(json.dumps(fitted.to_json(), indent=2) + "\n")
        return
    for line in fitted.lines():
        sys.stdout.write(line + "\n")
    sys.stdout.write(f"wrote {out}" + (f" and {report}/index.html" if report is not None else "") + "\n")


def _refuse_writing_inputs(inputs: dict[str, Path | None], outputs: dict[str, Path | None]) -> None:
    """Exit 2 when an output would replace one of the inputs: the same file, or (``--report``, a
    folder replaced whole) a folder that holds it."""
    for out_option, target in outputs.items():
        if target is None:
            continue
        where = target.resolve()
        for in_option, source in inputs.items():
            if source is None:
                continue
            read = source.resolve()
            if read == where or (out_option == "--report" and read.is_relative_to(where)):
                what = "is" if read == where else "holds"
                fail(
                    f"{out_option} {target} {what} the {in_option} input {source}: writing it would replace the input\n"
                    f"  hint: write to another {'folder' if out_option == '--report' else 'file'}, "
                    f"e.g. {out_option} {_suggest(out_option)}",
                    2,
                )


def _suggest(option: str) -> str:
    return {"--out": "fitted.yaml", "--catalog": "products.csv", "--report": "fit-report"}[option]


def _catalog(
    orders: Path,
    template: Path,
    receipts: Path | None,
    stockouts: Path | None,
    catalog: Path,
    exported_at: str | None,
    format_: Format,
    bootstrap: int,
    seed: int,
) -> None:
    from supplysim.api import fit_catalog
    from supplysim.outputs.fitted import catalog_csv
    from supplysim.outputs.folders import write_file
    from supplysim.scenario.errors import ScenarioError

    try:
        fits = fit_catalog(
            orders, template, receipts, stockouts, exported_at=exported_at, bootstrap=bootstrap, seed=seed
        )
    except ScenarioError as exc:
        fail(str(exc), 2)
        return
    rows = [(sku, f.result.overrides()) for sku, f in fits if not isinstance(f, str)]
    try:
        write_file(catalog, catalog_csv(rows))
    except OSError as exc:
        fail(f"cannot write {catalog}: {_reason(exc)}", 2)
    if format_ is Format.JSON:
        doc = {sku: (f if isinstance(f, str) else f.to_json()) for sku, f in fits}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    for sku, f in fits:
        sys.stdout.write(f"{sku}: " + (f"not fitted: {f}" if isinstance(f, str) else f.lines()[0]) + "\n")
    sys.stdout.write(f"wrote {catalog} ({len(rows)} of {len(fits)} products)\n")


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
