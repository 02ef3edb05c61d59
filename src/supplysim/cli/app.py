"""Command line: ``supplysim run | validate | schema`` (contract: ``cli.md``).

Exit codes: 0 success; 1 the program or a check failed; 2 invalid input (bad
arguments, a scenario that does not validate) – with one clear message and no
traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from supplysim.scenario.load import ScenarioError, load_scenario, parse_override
from supplysim.scenario.specs import Scenario

if TYPE_CHECKING:
    from rich.console import Console

    from supplysim.experiments.executors import Executor

# Commands import what they need when they run: `validate`, `schema` and `--help` stay light
# (no pandas, SciPy or Matplotlib).

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="supplysim: take backorders, or show 'out of stock'? Simulate and compare stockout policies.",
)


def _err() -> Console:
    """Standard error as a rich console (progress bars)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


AllowDataOutside = Annotated[
    bool, typer.Option("--allow-data-outside", help="read data files (file:) outside the scenario's folder too")
]


def _load(path: Path, overrides: list[str], allow_data_outside: bool = False, **header: Any) -> Scenario:
    pairs: list[tuple[Any, ...]] = [parse_override(o) for o in overrides]
    for key, value in header.items():
        if value is not None:
            pairs.append((key, value, f"--{key} {value}"))
    return load_scenario(path, pairs, allow_data_outside=allow_data_outside)


def _executor(kind: str, workers: int | None, address: str | None) -> Executor:
    from supplysim.experiments.executors import make_executor

    if kind not in ("local", "dask"):
        _fail(f"--executor must be 'local' or 'dask', found {kind!r}", 2)
    try:
        return make_executor(kind, workers, address)
    except (ValueError, RuntimeError) as exc:
        _fail(str(exc), 2)
    except OSError as exc:
        _fail(f"cannot reach the Dask scheduler at {address}: {exc}", 2)
    raise AssertionError("unreachable")  # pragma: no cover


def _close(executor: Executor) -> None:
    close = getattr(executor, "close", None)
    if close is not None:
        close()


@contextlib.contextmanager
def _running(
    kind: str, workers: int | None, address: str | None, show: bool, label: str
) -> Iterator[tuple[Executor, Callable[[int, int], None] | None]]:
    """The executor for the options (closed afterwards) and a progress callback."""
    from supplysim.experiments.runner import ReplicationError

    runner = _executor(kind, workers, address)
    try:
        with _Bar(show, label) as bar:
            yield runner, bar
    except ReplicationError as exc:
        _fail(f"a replication failed: {exc}", 1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: nothing was written\n")
        raise typer.Exit(130) from None
    finally:
        _close(runner)


def _console() -> Console:
    from rich.console import Console

    """Standard output; wide enough for the tables when it is not a terminal."""
    return Console() if sys.stdout.isatty() else Console(width=200)


class _Bar:
    """A progress bar on stderr (only on a terminal); no refresh thread, as workers are forked."""

    def __init__(self, enabled: bool, label: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = (
            Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_err(),
                transient=True,
                auto_refresh=False,
            )
            if enabled
            else None
        )
        self.label = label
        self.task: Any = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if self.progress is None:
            return None
        self.progress.__enter__()
        self.task = self.progress.add_task(self.label, total=None)
        bar = self.progress
        return lambda done, total: bar.update(self.task, completed=done, total=total, refresh=True)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file", metavar="SCENARIO")],
    replications: Annotated[
        int | None, typer.Option(metavar="N", help="override the scenario's replications", min=1)
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
        int | None, typer.Option(metavar="N", help="worker processes (default all cores; 1 = in-process)", min=1)
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
    max_replications: Annotated[int, typer.Option(metavar="N", help="upper limit for --precision", min=2)] = 1000,
    format_: Annotated[
        str, typer.Option("--format", metavar="table|json", help="standard output: table or json")
    ] = "table",
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
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
    from supplysim import api
    from supplysim.analysis.indicators import kpi_names
    from supplysim.outputs.documents import summary_json
    from supplysim.outputs.folders import ResultsFolderError, check_destination
    from supplysim.report.terminal import comparison_table

    if format_ not in ("table", "json"):
        _fail(f"--format must be 'table' or 'json', found {format_!r}", 2)
    try:
        sc = _load(
            scenario,
            set_ or [],
            allow_data_outside,
            replications=replications,
            seed=seed,
            horizon=horizon,
            warmup=warmup,
        )
        if policy:
            unknown = [p for p in policy if p not in sc.policies]
            if unknown:
                raise ScenarioError(
                    f"{scenario}: --policy {unknown[0]!r} is not a policy of this scenario; "
                    f"its policies are: {', '.join(sc.policies)}"
                )
            sc = sc.model_copy(update={"policies": {p: sc.policies[p] for p in sc.policies if p in policy}})
        kpis = kpi or ["profit"]
        known = kpi_names(sc.policies.values())
        for k in kpis:
            if k not in known:
                close = difflib.get_close_matches(k, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ScenarioError(f"--kpi {k!r} is not an indicator of this scenario{hint}")
    except ScenarioError as exc:
        _fail(str(exc), 2)
        return
    folder = out if out is not None else Path("results") / sc.name
    try:
        check_destination(folder)
    except ResultsFolderError as exc:
        _fail(str(exc), 2)
    show = not quiet and format_ == "table" and _err().is_terminal
    with _running(executor, workers, address, show, f"simulating {sc.name}") as (runner, bar):
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
    try:
        res.to_folder(folder, trace=trace, plots=report)
    except OSError as exc:
        _fail(f"cannot write results to {folder}: {exc.strerror or exc}", 1)
    if format_ == "json":
        sys.stdout.write(summary_json(res.experiment))
        return
    console = _console()
    console.print(comparison_table(res.experiment))
    for line in res.verdict():
        console.print(line, highlight=False)
    console.print(f"results written to {folder}/", style="dim", highlight=False)


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML files", metavar="SCENARIO...")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="override a key: PATH=VALUE (repeatable)")
    ] = None,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Check scenarios without running them; exit 2 if any is invalid.

    Example:

    \b
      supplysim validate scenarios/*.yaml
    """
    bad = 0
    for path in scenarios:
        try:
            sc = _load(path, set_ or [], allow_data_outside)
        except ScenarioError as exc:
            sys.stderr.write(f"error: {exc}\n")
            bad += 1
            continue
        sys.stdout.write(f"ok: {path} ({sc.name}: policies {', '.join(sc.policies)})\n")
    if bad:
        raise typer.Exit(2)


@app.command()
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
        int | None, typer.Option(metavar="N", help="worker processes (default all cores)", min=1)
    ] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="print every indicator, not only the changed ones")] = False,
    allow_data_outside: AllowDataOutside = False,
) -> None:
    """Re-run benchmark scenarios and compare every indicator with its baseline.

    Exit 0: all within noise; 1: a regression; 2: bad input or a missing baseline.

    Examples:

    \b
      supplysim check scenarios/benchmarks/ --baseline results/baselines/
      supplysim check scenarios/benchmarks/ --junit results/check.xml
      supplysim check scenarios/benchmarks/ --update
    """
    from supplysim.cli.check import run_check

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
    )
    raise typer.Exit(code)


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file", metavar="SCENARIO")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PATH=A:B:STEP",
            help="a swept key: PATH=FROM:TO:STEP (inclusive) or PATH=V1,V2,… (repeatable; full factorial)",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="override a key (repeatable)")
    ] = None,
    replications: Annotated[
        int | None, typer.Option(metavar="N", help="override the scenario's replications", min=1)
    ] = None,
    policy: Annotated[
        list[str] | None, typer.Option(metavar="NAME", help="sweep only this policy (repeatable)")
    ] = None,
    kpi: Annotated[str, typer.Option(metavar="NAME", help="the indicator the summary optimises")] = "profit",
    out: Annotated[
        Path | None, typer.Option(metavar="DIR", help="output folder (default results/<scenario name>-sweep/)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(metavar="N", help="worker processes (default all cores)", min=1)
    ] = None,
    executor: Annotated[str, typer.Option(metavar="local|dask", help="where replications run")] = "local",
    address: Annotated[str | None, typer.Option(metavar="tcp://HOST:PORT", help="Dask scheduler")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    plots: Annotated[bool, typer.Option(help="write plots/<indicator>.png")] = True,
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

    from supplysim.analysis.indicators import kpi_names
    from supplysim.analysis.kpis import format_value
    from supplysim.api import run_sweep
    from supplysim.experiments.sweep import parse_param, scenario_parameters
    from supplysim.outputs.folders import ResultsFolderError, check_destination

    try:
        sc = _load(scenario, set_ or [], allow_data_outside, replications=replications)
        if policy:
            unknown = [p for p in policy if p not in sc.policies]
            if unknown:
                raise ScenarioError(
                    f"--policy {unknown[0]!r} is not a policy of this scenario: {', '.join(sc.policies)}"
                )
            keep = [p for p in sc.policies if p in policy]
            sc = sc.model_copy(update={"policies": {p: sc.policies[p] for p in keep}})
        params = [parse_param(p) for p in param] if param else scenario_parameters(sc)
        if kpi not in kpi_names(sc.policies.values()):
            raise ScenarioError(f"--kpi {kpi!r} is not an indicator of this scenario")
        folder = out if out is not None else Path("results") / f"{sc.name}-sweep"
        check_destination(folder)
    except (ScenarioError, ResultsFolderError) as exc:
        _fail(str(exc), 2)
        return
    with _running(executor, workers, address, not quiet and _err().is_terminal, f"sweeping {sc.name}") as (runner, bar):
        try:
            res = run_sweep(sc, params, executor=runner, progress=bar)
        except ScenarioError as exc:
            _fail(str(exc), 2)
    try:
        res.to_folder(folder, plots=plots)
    except OSError as exc:
        _fail(f"cannot write the sweep to {folder}: {exc.strerror or exc}", 1)
    console = _console()
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
                row.append(f"{format_value(k, s.mean)} ± {format_value(k, s.ci95_half_width)}")
        table.add_row(*row)
    console.print(table)
    for line in res.summary_lines(kpi):
        console.print(line, highlight=False)
    console.print(f"sweep written to {folder}/ (sweep.csv, plots/)", style="dim", highlight=False)


@app.command()
def optimize(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file", metavar="SCENARIO")],
    over: Annotated[
        list[str],
        typer.Option(metavar="PATH=LOW:HIGH[:STEP]", help="an integer parameter to search (repeatable)"),
    ],
    maximize: Annotated[str | None, typer.Option(metavar="KPI", help="indicator to maximise")] = None,
    minimize: Annotated[str | None, typer.Option(metavar="KPI", help="indicator to minimise")] = None,
    subject_to: Annotated[
        list[str] | None,
        typer.Option("--subject-to", metavar="KPI>=BOUND", help="a constraint on a mean (repeatable)"),
    ] = None,
    policy: Annotated[
        str | None, typer.Option(metavar="NAME", help="policy to optimise (default: the baseline)")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="override a key (repeatable)")
    ] = None,
    screen_replications: Annotated[
        int, typer.Option(metavar="N", help="replications per grid point (stage 1)", min=2)
    ] = 10,
    select_replications: Annotated[
        int, typer.Option(metavar="N", help="replications per finalist (stage 2)", min=2)
    ] = 40,
    finalists: Annotated[int, typer.Option(metavar="K", help="points carried to stage 2", min=1)] = 5,
    out: Annotated[
        Path | None, typer.Option(metavar="DIR", help="output folder (default results/<scenario name>-optimize/)")
    ] = None,
    workers: Annotated[int | None, typer.Option(metavar="N", help="worker processes", min=1)] = None,
    executor: Annotated[str, typer.Option(metavar="local|dask", help="where replications run")] = "local",
    address: Annotated[str | None, typer.Option(metavar="tcp://HOST:PORT", help="Dask scheduler")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
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
    """
    from rich.table import Table

    from supplysim.analysis.indicators import kpi_names
    from supplysim.analysis.kpis import format_value
    from supplysim.experiments.optimize import optimize as run_optimize
    from supplysim.experiments.optimize import parse_constraint, parse_over
    from supplysim.outputs.folders import ResultsFolderError, check_destination, write_folder

    try:
        if (maximize is None) == (minimize is None):
            raise ScenarioError("give exactly one of --maximize KPI or --minimize KPI")
        objective = maximize or minimize or "profit"
        sc = _load(scenario, set_ or [], allow_data_outside)
        known = kpi_names(sc.policies.values())
        constraints = [parse_constraint(c) for c in (subject_to or [])]
        for k in [objective, *(c.kpi for c in constraints)]:
            if k not in known:
                close = difflib.get_close_matches(k, known, n=1)
                raise ScenarioError(f"{k!r} is not an indicator" + (f"; did you mean {close[0]!r}?" if close else ""))
        ranges = [parse_over(o) for o in over]
        folder = out if out is not None else Path("results") / f"{sc.name}-optimize"
        check_destination(folder)
    except (ScenarioError, ResultsFolderError) as exc:
        _fail(str(exc), 2)
        return
    show = not quiet and _err().is_terminal
    with _running(executor, workers, address, show, f"optimising {sc.name}") as (runner, bar):
        try:
            res = run_optimize(
                sc,
                ranges,
                objective=objective,
                sense="max" if maximize else "min",
                constraints=constraints,
                policy=policy,
                n1=screen_replications,
                n2=select_replications,
                finalists=finalists,
                executor=runner,
                progress=bar,
            )
        except ScenarioError as exc:
            _fail(str(exc), 2)
    try:
        write_folder(folder, {"optimize.json": json.dumps(res.to_dict(), indent=2) + "\n"})
    except OSError as exc:
        _fail(f"cannot write the report to {folder}: {exc.strerror or exc}", 1)
    console = _console()
    if res.finalists:
        table = Table(title=f"{sc.name}: finalists for {res.policy} (stage 2)")
        for name in res.finalists[0].point:
            table.add_column(name, justify="right")
        for k in [objective, *(c.kpi for c in constraints)]:
            table.add_column(k, justify="right")
        table.add_column("n", justify="right")
        for c in res.finalists:
            row = [str(v) for v in c.point.values()]
            for k in [objective, *(x.kpi for x in constraints)]:
                s = c.experiment.summary(res.policy, k)
                row.append(f"{format_value(k, s.mean)} ± {format_value(k, s.ci95_half_width)}")
            row.append(str(c.experiment.summary(res.policy, objective).n))
            table.add_row(*row, style="bold" if c is res.chosen else None)
        console.print(table)
    for line in res.lines():
        console.print(line, highlight=False)
    console.print(f"{res.evaluated} grid points screened; report in {folder}/optimize.json", style="dim")
    if res.chosen is None:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors' YAML completion).

    Example:

    \b
      supplysim schema > scenario.schema.json
    """
    from supplysim.scenario.json_schema import scenario_schema

    sys.stdout.write(json.dumps(scenario_schema(), indent=2) + "\n")


def main() -> None:
    """Console-script entry point."""
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        sys.stderr.write("interrupted\n")
        sys.exit(130)
