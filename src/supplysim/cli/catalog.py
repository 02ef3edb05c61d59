"""``supplysim catalog``: the stockout decision for every product of a table (``docs/catalog.md``)."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from supplysim.cli.common import (
    AllowDataOutside,
    Bar,
    DaskAddress,
    Quiet,
    Workers,
    claim,
    close,
    err,
    executor,
    fail,
    holds_folders,
    load,
    stdout_console,
    stopped,
)
from supplysim.scenario.limits import MAX_REPLICATIONS
from supplysim.scenario.load import ScenarioError

if TYPE_CHECKING:
    from supplysim.api import CatalogResults

__all__ = ["catalog", "page_hook"]

PAGE_MODULE = "supplysim.report.catalog"
"""The module of the catalog's page; its function ``page_files(folder) -> {path: content}``
adds ``report.html`` and its figures to a finished folder (the hook of
:func:`supplysim.api.run_catalog`)."""


def page_hook() -> Callable[[Path], Mapping[str, str | bytes]] | None:
    """The page's hook, when this installation has the page."""
    try:
        module = importlib.import_module(PAGE_MODULE)
    except ImportError:
        return None
    hook: Callable[[Path], Mapping[str, str | bytes]] | None = getattr(module, "page_files", None)
    return hook


@holds_folders
def catalog(
    template: Annotated[Path, typer.Argument(help="template scenario YAML file", metavar="TEMPLATE")],
    products: Annotated[Path, typer.Argument(help="products table (CSV or Parquet)", metavar="PRODUCTS")],
    objective: Annotated[str, typer.Option(metavar="KPI", help="indicator to decide by")] = "profit",
    subject_to: Annotated[
        list[str] | None,
        typer.Option("--subject-to", metavar="KPI>=BOUND", help="a constraint on a policy's mean (repeatable)"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(metavar="DIR", help="results folder (default results/<template name>-catalog/)")
    ] = None,
    replications: Annotated[
        int | None, typer.Option(metavar="N", help="replications of every product", min=2, max=MAX_REPLICATIONS)
    ] = None,
    seed: Annotated[int | None, typer.Option(metavar="S", help="the template's seed", min=0)] = None,
    workers: Workers = None,
    executor_: Annotated[str, typer.Option("--executor", metavar="local|dask", help="where products run")] = "local",
    address: DaskAddress = None,
    resume: Annotated[bool, typer.Option(help="continue an interrupted run into the same folder")] = False,
    ignore_column: Annotated[
        list[str] | None, typer.Option(metavar="COL", help="a column of the table not to read (repeatable)")
    ] = None,
    confirm_replications: Annotated[
        int,
        typer.Option(metavar="N", help="fresh replications that re-measure each choice's gains (0: none)", min=0),
    ] = 0,
    chunk_products: Annotated[
        int | None, typer.Option(metavar="N", help="at most N products per task (default: sized by customers)", min=1)
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", metavar="table|json", help="standard output: table or json")
    ] = "table",
    report: Annotated[bool, typer.Option(help="write report.html and its figures")] = True,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check the table and show the plan; run nothing, write nothing")
    ] = False,
    quiet: Quiet = False,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Decide the stockout policy of every product of a table.

    Each row of PRODUCTS (a column sku, and columns named by key paths of the
    template, e.g. demand.rate, product.price) overrides the template for one
    product; every policy of the template runs for every product with the
    product's own common random numbers (keyed by its sku). The folder gets
    recommendations.csv, catalog.csv, portfolio.json and the page.

    Examples:

    \b
      supplysim catalog scenarios/catalog/template.yaml scenarios/catalog/products.csv
      supplysim catalog template.yaml products.csv --subject-to 'fill_rate>=0.95' --workers 4
      supplysim catalog template.yaml products.csv --resume      # after Ctrl-C

    Exit codes: 0 done; 1 a replication failed; 2 invalid input (nothing has run) or a table
    that changed during the run (the finished products are kept); 130 interrupted (the
    finished products are kept: run again with --resume).
    """
    from supplysim import api
    from supplysim.experiments import catalog as engine
    from supplysim.experiments.optimize import parse_constraint
    from supplysim.experiments.runner import ReplicationError
    from supplysim.outputs.catalog import ResumeError, partial_folder
    from supplysim.outputs.folders import FolderKind, ResultsFolderError, check_destination

    try:
        if format_ not in ("table", "json"):
            raise ScenarioError(f"--format must be 'table' or 'json', found {format_!r}")
        sc = load(template, [], allow_data_outside, replications=replications, seed=seed)
        limits = [parse_constraint(c) for c in subject_to or []]
        engine.objective_of(objective, limits, _kpis(sc))
        folder = out if out is not None else Path("results") / f"{sc.name}-catalog"
        check_destination(folder, kind=FolderKind.CATALOG)
    except (ScenarioError, ResultsFolderError) as exc:
        fail(str(exc), 2)
        return
    runner = executor(executor_, workers, address)
    if dry_run:
        try:
            _dry_run(
                sc,
                products,
                objective,
                limits,
                ignore_column or [],
                chunk_products,
                confirm_replications,
                runner,
                quiet,
            )
        except KeyboardInterrupt as exc:
            stopped(exc, "nothing was written")
        finally:
            close(runner)
        return
    show = not quiet and err().is_terminal
    try:
        meter = Bar(show, f"catalog {sc.name}", unit="products", first=f"checking {products.name}")
        with meter as bar:
            res = api.run_catalog(
                sc,
                products,
                objective=objective,
                subject_to=limits,
                out=folder,
                executor=runner,
                resume=resume,
                ignore_columns=ignore_column or [],
                chunk_products=chunk_products,
                confirm_replications=confirm_replications,
                progress=bar,
                extras=page_hook() if report else None,
                ready=lambda: claim(folder),
                notice=_note,
                checking=meter.checking(),
            )
    except (ScenarioError, ResumeError, ResultsFolderError) as exc:
        fail(str(exc), 2)
        return
    except ReplicationError as exc:
        fail(f"a replication failed: {exc}\n  the finished products are kept: run again with --resume", 1)
        return
    except KeyboardInterrupt as exc:
        kept = partial_folder(folder)
        if (kept / "run.json").exists():
            stopped(exc, f"the finished products are kept in {kept}/; run again with --resume")
        stopped(exc, "nothing was written")
    finally:
        close(runner)
    if format_ == "json":
        sys.stdout.write(json.dumps(res.document, indent=2) + "\n")
        return
    console = stdout_console()
    for line in verdict_lines(res):
        console.print(line, highlight=False)
    console.print(f"catalog written to {folder}/", style="dim", highlight=False)


def _note(line: str) -> None:
    sys.stderr.write(f"note: {line}\n")


def _dry_run(
    sc: Any,
    products: Path,
    objective: str,
    limits: list[Any],
    ignore: list[str],
    chunk_products: int | None,
    confirm: int,
    runner: Any,
    quiet: bool,
) -> None:
    """Check every row on ``runner``'s workers (exit 2 on a bad one) and print what a run would do."""
    from supplysim.experiments import catalog as engine

    try:
        label = f"checking {products.name}"
        meter = Bar(not quiet and err().is_terminal, label, first=label)  # only the stage is ever shown
        with meter:
            check = meter.checking()
            plan = engine.prepare(sc, products, objective, limits, ignore, chunk_products, confirm, runner, check)
    except ScenarioError as exc:
        fail(str(exc), 2)
        return
    n = plan.count
    reps = sc.replications + confirm
    sys.stdout.write(
        f"{products}: {n:,} {'product' if n == 1 else 'products'} valid; each runs {len(sc.policies)} policies "
        f"× {reps} replications, in {len(plan.chunks):,} {'task' if len(plan.chunks) == 1 else 'tasks'}\n"
    )


def _kpis(sc: Any) -> tuple[str, ...]:
    from supplysim.analysis.indicators import kpi_names

    return kpi_names(sc.policies.values())


def verdict_lines(res: CatalogResults, top: int = 5) -> list[str]:
    """The short verdict: how many products each policy wins, the portfolio gain of the
    per-product choice over each single policy for all, and the products where it matters most."""
    from supplysim.analysis.kpis import format_interval

    doc = res.document
    kpi = doc["objective"]
    n = doc["products"]
    choices = doc["choices"]
    counts = ", ".join(f"{p} {choices[p]}" for p in doc["policies"] if choices.get(p))
    lines = [f"{doc['template']}: {n} products, best policy by {kpi}: {counts}"]
    extra = []
    if choices.get("tied"):
        extra.append(f"{choices['tied']} tied with their runner-up (not distinguishable with these replications)")
    if choices.get("infeasible"):
        extra.append(f"{choices['infeasible']} with no policy that meets {' and '.join(doc['subject_to'])}")
    if extra:
        lines.append("  " + "; ".join(extra))

    def amount(d: Mapping[str, Any]) -> str:
        if d.get("diff") is None:
            return "–"
        hw = (d["ci95_high"] - d["ci95_low"]) / 2
        return format_interval(kpi, d["diff"], hw, signed=True)

    if len(doc["policies"]) == 1:
        lines.append(
            f"note: the template has one policy ({doc['policies'][0]}), so there was nothing to choose: each "
            "product's indicators are in catalog.csv; add policies under `policies:` to compare them"
        )
        return lines + _notes(doc)
    confirmed = doc.get("gain_confirmed") or {}
    for policy, d in doc["gain"].items():
        again = f"; on fresh replications {amount(confirmed[policy])}" if policy in confirmed else ""
        lines.append(f"  choosing per product vs {policy} for all: {amount(d)} {kpi} (95% interval){again}")
    best = [p for p in doc["top_products"] if p["gain_vs_baseline"] and p["gain_vs_baseline"] > 0][:top]
    if best:
        lines.append(f"where the choice matters most (gain vs {doc['baseline']}):")
        for p in best:
            label = f"{p['sku']} ({p['name']})" if p.get("name") else p["sku"]
            tied = " (tied with its runner-up)" if p.get("tied") else ""
            lines.append(f"  {label}: {p['best_policy']}, {amount({'diff': p['gain_vs_baseline'], **p})}{tied}")
    lines += _notes(doc)
    return lines


def _notes(doc: Mapping[str, Any]) -> list[str]:
    """One line per kind of note the products' runs have (:func:`~supplysim.analysis.diagnostics.diagnose`)."""
    from supplysim.analysis.diagnostics import NoteKind

    return [
        f"note: {seen['products']} of {doc['products']} products {NoteKind(kind).of_products}, "
        f"e.g. {seen['example']} (the note column of recommendations.csv)"
        for kind, seen in doc.get("diagnoses", {}).items()
    ]
