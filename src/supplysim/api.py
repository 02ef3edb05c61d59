"""The Python API: load a scenario, run it, read the results as DataFrames, plot, save.

    >>> import supplysim
    >>> sc = supplysim.load_scenario("scenarios/backorder_vs_out_of_stock.yaml")
    >>> res = supplysim.run(sc, replications=5, workers=1)          # doctest: +SKIP
    >>> res.summary().query("kpi == 'profit'")                       # doctest: +SKIP

The command line is a thin layer over these functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.indicators import kpi_names
from supplysim.experiments import sweep
from supplysim.experiments.executors import Executor, LocalPool
from supplysim.experiments.precision import Precision, precision_needed
from supplysim.experiments.runner import run_experiment
from supplysim.scenario import Scenario
from supplysim.scenario.errors import ScenarioError
from supplysim.scenario.hints import UnknownNameError, unknown_name
from supplysim.scenario.load import ScenarioLike, load_scenario, with_overrides
from supplysim.scenario.overrides import Origin, python_argument
from supplysim.sim.trace import Event

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from supplysim.analysis.fit.fitting import FitResult
    from supplysim.experiments.backtest import Backtest
    from supplysim.experiments.compare import CompareResult
    from supplysim.experiments.optimize import Constraint

__all__ = [
    "CatalogResults",
    "CompareResults",
    "Fitted",
    "Precision",
    "Results",
    "SweepResults",
    "backtest",
    "compare",
    "fit",
    "fit_catalog",
    "load_scenario",
    "optimize",
    "run",
    "run_catalog",
    "run_sweep",
]


class Results:
    """What running a scenario produced, with ways to read, compare, plot and save it."""

    def __init__(self, experiment: Experiment, precision: Precision | None = None) -> None:
        self.experiment = experiment
        self.precision = precision

    def _recorded(self, *, trace: bool) -> Experiment:
        """The experiment with its first replication's sample paths (and traces, if ``trace``).

        ``run`` records them during the run; results built without them get the first
        replication of every policy run once more (same random numbers, so the same
        replication) and kept.
        """
        exp = self.experiment
        missing_samples = set(exp.samples) != set(exp.scenario.policies)
        missing_traces = trace and set(exp.traces) != set(exp.scenario.policies)
        if missing_samples or missing_traces:
            first = run_experiment(
                exp.scenario,
                workers=1,
                replications=range(exp.first, exp.first + 1),
                record=True,
                trace=trace or bool(exp.traces),
            )
            exp = replace(exp, samples=first.samples, traces=first.traces or exp.traces)
            self.experiment = exp
        return exp

    def traces(self) -> dict[str, pd.DataFrame]:
        """Every event of the first replication of every policy, one DataFrame per policy (recorded
        by ``run(trace=True)``, else simulated once and kept).

        One row per event, in the order they happened, with typed columns: ``time``, ``event``
        (categorical), ``id``, ``qty``, ``wait``, ``note``, ``supplier``, ``segment``, ``quote``
        (the quoted wait on backorder rows) and the state after the event: ``on_hand``,
        ``available``, ``backordered``, ``on_order``, ``inventory_position`` [units]
        (``docs/indicators.md``, "Traces"). The same columns as ``traces/<policy>.csv``.
        """
        from supplysim.outputs.documents import trace_frame

        events = [e.value for e in Event]
        return {name: trace_frame(rows, events) for name, rows in self._recorded(trace=True).traces.items()}

    @property
    def scenario(self) -> Scenario:
        return self.experiment.scenario

    @property
    def policies(self) -> list[str]:
        return list(self.scenario.policies)

    @property
    def kpis(self) -> tuple[str, ...]:
        return self.experiment.kpis

    def summary(self) -> pd.DataFrame:
        """One row per policy and indicator: mean, sd, 95% half-width, n, and the paired
        difference with the baseline (NaN for the baseline itself)."""
        exp = self.experiment
        rows = []
        for policy in self.policies:
            for kpi in self.kpis:
                s = exp.summary(policy, kpi)
                row: dict[str, Any] = {
                    "policy": policy,
                    "kpi": kpi,
                    "mean": s.mean,
                    "sd": s.sd,
                    "ci95_half_width": s.ci95_half_width,
                    "n": s.n,
                    "diff_vs_baseline": math.nan,
                    "diff_ci95_low": math.nan,
                    "diff_ci95_high": math.nan,
                }
                if policy != exp.baseline:
                    d = exp.difference(policy, kpi)
                    row.update(diff_vs_baseline=d.diff, diff_ci95_low=d.ci95_low, diff_ci95_high=d.ci95_high)
                rows.append(row)
        import pandas as pd

        return pd.DataFrame(rows)

    def replications(self) -> pd.DataFrame:
        """One row per policy and replication, one column per indicator."""
        exp = self.experiment
        rows = [
            {"policy": policy, "replication": exp.first + i, **row}
            for policy, values in exp.values.items()
            for i, row in enumerate(values)
        ]
        import pandas as pd

        return pd.DataFrame(rows, columns=["policy", "replication", *self.kpis])

    def compare(self, kpi: str = "profit") -> pd.DataFrame:
        """Every policy against the baseline on ``kpi``: paired difference, its interval,
        the difference relative to the baseline's mean, and whether it is real (interval excludes 0)."""
        exp = self.experiment
        base = exp.summary(exp.baseline, kpi).mean
        rows = []
        for policy in self.policies:
            if policy == exp.baseline:
                continue
            d = exp.difference(policy, kpi)
            rel = d.diff / abs(base) if base and math.isfinite(base) else math.nan
            rows.append(
                {
                    "policy": policy,
                    "baseline": exp.baseline,
                    "kpi": kpi,
                    "diff": d.diff,
                    "ci95_low": d.ci95_low,
                    "ci95_high": d.ci95_high,
                    "relative": rel,
                    "significant": d.significant,
                }
            )
        import pandas as pd

        return pd.DataFrame(rows)

    def verdict(self, kpi: str = "profit") -> list[str]:
        """The comparison in plain words, one sentence per policy, then what customers experience."""
        from supplysim.report.text import verdict_lines

        return verdict_lines(self.experiment, kpi, self.precision)

    def plot_indicators(self, kpis: Sequence[str] | None = None) -> Figure:
        """Bars per policy with 95% intervals, one panel per indicator (default: the headline ones)."""
        from supplysim.report import figures as plots

        return plots.indicators_figure(self, plots.HEADLINE_KPIS if kpis is None else kpis)

    def plot_differences(self, kpis: Sequence[str] | None = None) -> Figure:
        """Every policy minus the baseline with its 95% paired interval, one panel per indicator
        (default: the headline ones) — the comparison the verdict tests."""
        from supplysim.report import figures as plots

        return plots.differences_figure(self, plots.HEADLINE_KPIS if kpis is None else kpis)

    def plot_trajectories(
        self, days: float | None = None, start: float | None = None, location: str | None = None
    ) -> Figure:
        """On-hand and backordered units over time in replication 0, one panel per policy (a network:
        at the store ``location``)."""
        from supplysim.report import figures as plots

        return plots.trajectories_figure(self._recorded(trace=False), days=days, start=start, location=location)

    def plot_warehouse(self, days: float | None = None, start: float | None = None) -> Figure:
        """A network's warehouse over time in replication 0: on hand, owed to stores, inventory position."""
        from supplysim.report import figures as plots

        return plots.warehouse_figure(self._recorded(trace=False), days=days, start=start)

    def plot_waits(self) -> Figure:
        """Histogram of backorder waits in replication 0, one panel per policy."""
        from supplysim.report import figures as plots

        return plots.waits_figure(self._recorded(trace=False))

    def plot_tradeoff(self) -> Figure:
        """Profit against fill rate: every replication, and each policy's mean with 95% intervals."""
        from supplysim.report import figures as plots

        return plots.tradeoff_figure(self)

    def to_exports(
        self, folder: str | Path, start: datetime, *, policy: str | None = None, sku: str | None = None
    ) -> dict[str, Path]:
        """Write the first replication's measured window as a shop's exports: ``orders.csv``,
        ``receipts.csv``, ``stockouts.csv`` in ``folder`` (``docs/fit.md``, "From a trace to the
        records"), dated from ``start`` (the end of the warm-up) in the scenario's time unit.

        Args:
            policy: whose history (default: the baseline, the first policy).
            sku: written in a ``sku`` column when given.
        """
        from supplysim.analysis.records import display_for, records_from_trace
        from supplysim.outputs.exports import write_exports

        exp = self._recorded(trace=True)
        sc = exp.scenario
        name = policy if policy is not None else next(iter(sc.policies))
        if name not in sc.policies:
            raise UnknownNameError(unknown_name("a policy of this scenario", name, sc.policies, subject="policy="))
        cfg = sc.policies[name]
        history = records_from_trace(exp.traces[name], display_for(cfg), sc.warmup, sc.warmup + sc.horizon)
        return write_exports(Path(folder), history, start, sc.time_unit, sku)

    def to_folder(self, path: str | Path | None = None, *, trace: bool = False, plots: bool = True) -> Path:
        """Write the results folder (summary.json, CSVs, scenario.yaml; plots and report.html when
        ``plots``), atomically; returns its path."""
        from supplysim.outputs.documents import write_results

        folder = Path(path) if path is not None else Path("results") / self.scenario.name
        files = extra_files(self, trace=trace, plots=plots)
        return write_results(self.experiment, folder, files)


def extra_files(results: Results, *, trace: bool, plots: bool) -> dict[str, str | bytes]:
    """Traces, plots and the HTML report of a results folder, by relative path."""
    from supplysim.outputs.documents import trace_csv

    files: dict[str, str | bytes] = {}
    if plots:
        results._recorded(trace=trace)
    if trace:
        for name, rows in results._recorded(trace=True).traces.items():
            files[f"traces/{name}.csv"] = trace_csv(rows)
    if plots:
        from supplysim.report import html as report

        files.update(report.figures_and_report(results))
    return files


def _argument(name: str, value: object) -> Origin:
    """How messages name a keyword argument of :func:`run` that sets a scenario key."""
    return Origin(f"{name}={value!r} (argument of run)", f"{name}={value!r}")


def run(
    scenario: ScenarioLike,
    *,
    replications: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    overrides: Sequence[tuple[Any, ...]] = (),
    precision: float | None = None,
    precision_kpis: Sequence[str] = ("profit",),
    max_replications: int = 1000,
    progress: Callable[[int, int], None] | None = None,
    record: bool = True,
    trace: bool = False,
) -> Results:
    """Run every policy of a scenario: a :class:`Scenario`, the scenario as a mapping (as
    parsed YAML) or the path of its YAML file.

    Args:
        replications: override the scenario's number of replications (the first batch
            when ``precision`` is set).
        workers: local worker processes (None = all cores, 1 = in this process).
        executor: run elsewhere, e.g. ``supplysim.experiments.executors.DaskExecutor(address)``.
        overrides: ``(dotted.path, value)`` pairs, like ``--set`` (messages call them ``overrides[i]``).
        precision: relative target for the 95% half-width of ``precision_kpis`` of every
            policy; replications are added in batches until it is met or
            ``max_replications`` is reached (sequential procedure, Law 2015, §9.4.1).
        progress: ``progress(done, total)`` after each replication.
        record: the first replication also records its stock path and waits for the figures
            (bounded memory; changes no number).
        trace: the first replication also keeps every event (``Results.traces()``, ``--trace``).
    """
    sc = load_scenario(scenario)
    pairs = [item if len(item) > 2 else (*item, python_argument(i, *item)) for i, item in enumerate(overrides)]
    if replications is not None:
        pairs.append(("replications", replications, _argument("replications", replications)))
    if precision is not None:
        if not precision > 0:
            raise ValueError(f"precision must be a positive relative half-width, found {precision}")
        first = replications if replications is not None else sc.replications
        if first > max_replications:
            pairs.append(("replications", max_replications, _argument("max_replications", max_replications)))
    if pairs:
        sc = with_overrides(sc, pairs)
    known = kpi_names(sc.policies.values())
    for kpi in precision_kpis:
        if kpi not in known:
            raise UnknownNameError(
                unknown_name("an indicator of this scenario", kpi, known, subject="precision_kpis: ")
            )
    exp = run_experiment(sc, workers=workers, executor=executor, progress=progress, record=record, trace=trace)
    if precision is None:
        return Results(exp)
    kpis = tuple(precision_kpis)
    n = sc.replications
    while True:
        worst, needed = precision_needed(exp, kpis, precision)
        if worst <= precision or n >= max_replications:
            break
        # at most double per batch: the estimate of the needed n is rough while n is small
        target = min(max_replications, 2 * n, max(n + max(2, n // 2), math.ceil(1.1 * needed)))
        more = run_experiment(sc, workers=workers, executor=executor, progress=progress, replications=range(n, target))
        exp = exp.extended(more)
        n = target
    return Results(exp, Precision(precision, kpis, n, worst, worst <= precision, max_replications))


# ---------------------------------------------------------------- sweeps


class SweepResults(sweep.SweepResults):
    """A sweep's experiments and their views (:class:`supplysim.experiments.sweep.SweepResults`),
    with the sweep's figures and folder."""

    def figures(self) -> dict[str, bytes]:
        """One PNG per headline indicator, ``plots/<indicator>.png``: the indicator against the
        (first) swept parameter."""
        from supplysim.report.html import sweep_images

        return sweep_images(self.table(), self.parameters, self.scenario.time_unit, self.scenario.currency)

    def to_folder(self, folder: str | Path, plots: bool = True, kpi: str = "profit") -> Path:
        """Write sweep.csv, summary.txt, the resolved scenario and (optionally) plots/ and
        report.html — atomically. ``kpi``: the indicator the summary and the page optimise."""
        from supplysim.outputs.documents import sweep_documents
        from supplysim.outputs.folders import FolderKind, write_folder

        files: dict[str, str | bytes] = dict(sweep_documents(self.table(), self.summary_lines(kpi), self.scenario))
        if plots:
            from supplysim.report.html import sweep_files

            files.update(sweep_files(self, kpi))
        return write_folder(Path(folder), files, FolderKind.SWEEP)


run_sweep = SweepResults.run
"""Run the full-factorial grid of ``parameters`` (key path → values) for every policy, as
:meth:`supplysim.experiments.sweep.SweepResults.run`; the result can also write its folder."""


# ---------------------------------------------------------------- each policy at its best


class CompareResults:
    """Each policy at its own best, against the written settings
    (:class:`supplysim.experiments.compare.CompareResult`), with its folder."""

    def __init__(self, result: CompareResult) -> None:
        self.result = result

    @property
    def scenario(self) -> Scenario:
        return self.result.scenario

    @property
    def complete(self) -> bool:
        """True when every policy has a point that meets the constraints."""
        return self.result.complete

    def best(self) -> dict[str, dict[str, int] | None]:
        """policy → its best values by key path (None when no point meets the constraints)."""
        return {p: self.result.point(p) for p in self.result.optima}

    def lines(self) -> list[str]:
        """The answer in plain words: at the written settings and each at its best."""
        return self.result.lines()

    def to_dict(self) -> dict[str, Any]:
        """The content of ``compare.json``."""
        return self.result.to_dict()

    def to_json(self) -> str:
        """``compare.json`` as text (indented; undefined numbers as null)."""
        import json

        def finite(x: Any) -> Any:
            if isinstance(x, float):
                return x if math.isfinite(x) else None
            if isinstance(x, dict):
                return {k: finite(v) for k, v in x.items()}
            if isinstance(x, list | tuple):
                return [finite(v) for v in x]
            return x

        return json.dumps(finite(self.to_dict()), indent=2, allow_nan=False) + "\n"

    def table(self) -> pd.DataFrame:
        """One row per setting (``written``/``best``) × policy × indicator, with the paired
        difference vs the baseline."""
        return self.result.table()

    def differences(self) -> pd.DataFrame:
        """One row per setting × policy other than the baseline: the paired difference on the
        objective, its interval, relative to the baseline, real or not, and about how many
        replications would tell them apart when it is not."""
        import pandas as pd

        rows = [
            {"setting": setting, "policy": policy, "kpi": self.result.objective, **d}
            for setting, by in self.to_dict()["differences"].items()
            for policy, d in by.items()
        ]
        return pd.DataFrame(rows)

    def to_folder(self, folder: str | Path | None = None, report: bool = True) -> Path:
        """Write compare.json, compare.csv, summary.txt, the scenario and (``report``) the page
        report.html with its plots/ — atomically."""
        from supplysim.outputs.documents import scenario_document
        from supplysim.outputs.folders import FolderKind, write_folder

        out = Path(folder) if folder is not None else Path("results") / f"{self.scenario.name}-compare"
        files: dict[str, str | bytes] = {
            "compare.json": self.to_json(),
            "compare.csv": self.table().to_csv(index=False, float_format="%.10g"),
            "summary.txt": "\n".join(self.lines()) + "\n",
            "scenario.yaml": scenario_document(self.result.written),
        }
        if report:
            from supplysim.report.html import compare_files

            files.update(compare_files(self.result))
        return write_folder(out, files, FolderKind.COMPARE)


def compare(
    scenario: Scenario | str | Path,
    over: Sequence[tuple[str, Sequence[int]] | str] | dict[str, Sequence[int]],
    *,
    objective: str = "profit",
    sense: str = "max",
    constraints: Sequence[Constraint | str] = (),
    policies: Sequence[str] | None = None,
    n1: int = 10,
    n2: int = 40,
    finalists: int = 5,
    confirm: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CompareResults:
    """Each policy at its own best: optimise ``over`` for every policy, then compare them at
    their optima and at the written settings, paired, on fresh replications.

    Args:
        scenario: a :class:`Scenario` or the path of its YAML file.
        over: the integer parameters to search: ``{"replenishment.reorder_point": range(40, 121, 10)}``,
            (path, values) pairs, or ``"PATH=LOW:HIGH[:STEP]"`` strings as on the command line.
        objective, sense: the indicator and ``"max"`` or ``"min"``.
        constraints: :class:`~supplysim.experiments.optimize.Constraint` or ``"fill_rate>=0.95"``.
        policies: the policies to compare (default all; the first, in the scenario's order, is the baseline).
        n1, n2, finalists: the search's screening and selection replications, and finalists.
        confirm: replications of the confirmation runs (default: the scenario's).

    See :mod:`supplysim.experiments.compare` for the method.
    """
    from supplysim.experiments.compare import compare_policies
    from supplysim.experiments.optimize import parse_constraint, parse_over

    sc = load_scenario(scenario) if isinstance(scenario, str | Path) else scenario
    items = list(over.items()) if isinstance(over, dict) else list(over)
    ranges = [parse_over(o) if isinstance(o, str) else (o[0], [int(v) for v in o[1]]) for o in items]
    bounds = [parse_constraint(c) if isinstance(c, str) else c for c in constraints]
    result = compare_policies(
        sc,
        ranges,
        objective=objective,
        sense=sense,
        constraints=bounds,
        policies=policies,
        n1=n1,
        n2=n2,
        finalists=finalists,
        confirm=confirm,
        workers=workers,
        executor=executor,
        progress=progress,
    )
    return CompareResults(result)


# ---------------------------------------------------------------- catalogs


class CatalogResults:
    """A finished catalog (``docs/catalog.md``): its folder, read as DataFrames."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @property
    def recommendations(self) -> pd.DataFrame:
        """``recommendations.csv``: one row per product, in table order (an empty label or note is
        an empty text; an empty number, policy or count is missing)."""
        import pandas as pd

        texts = ("sku", "name", "description", "class", "status", "note")
        frame = pd.read_csv(
            self.folder / "recommendations.csv",
            dtype={c: str for c in texts},
            keep_default_na=False,
            na_values=[""],
        )
        frame[list(texts)] = frame[list(texts)].fillna("")
        return frame

    @property
    def catalog(self) -> pd.DataFrame:
        """``catalog.csv``: one row per product × policy × indicator."""
        import pandas as pd

        return pd.read_csv(self.folder / "catalog.csv", dtype={"sku": str})

    @property
    def document(self) -> dict[str, Any]:
        """``portfolio.json`` as a mapping."""
        import json

        data: dict[str, Any] = json.loads((self.folder / "portfolio.json").read_text(encoding="utf-8"))
        return data

    @property
    def portfolio(self) -> pd.DataFrame:
        """The totals of ``portfolio.json``: one row per policy (and ``chosen``) × indicator."""
        import pandas as pd

        rows = [
            {"policy": policy, "kpi": kpi, **total}
            for policy, kpis in self.document["totals"].items()
            for kpi, total in kpis.items()
        ]
        return pd.DataFrame(rows, columns=["policy", "kpi", "total", "ci95_low", "ci95_high"])


def run_catalog(
    template: ScenarioLike,
    products: str | Path,
    *,
    objective: str = "profit",
    subject_to: Sequence[str | Constraint] = (),
    out: str | Path | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    resume: bool = False,
    ignore_columns: Sequence[str] = (),
    chunk_products: int | None = None,
    confirm_replications: int = 0,
    progress: Callable[[int, int], None] | None = None,
    extras: Callable[[Path], Any] | None = None,
    ready: Callable[[], None] | None = None,
    notice: Callable[[str], None] | None = None,
    checking: Callable[[float], None] | None = None,
) -> CatalogResults:
    """Run every policy of ``template`` for every product of the table ``products`` and decide
    per product (``docs/catalog.md``); the results folder is ``out`` (default
    ``results/<template name>-catalog``). The rows are validated, then the products run, on
    ``executor`` (default: a local pool of ``workers`` processes).

    Args:
        objective: the indicator to decide by (its better direction from the registry).
        subject_to: constraints on policy means, ``"fill_rate>=0.95"`` or
            :class:`~supplysim.experiments.optimize.Constraint`.
        resume: continue an interrupted run into the same ``out``.
        ignore_columns: columns of the table that are not read.
        chunk_products: at most this many products per task (default: sized by expected customers).
        confirm_replications: fresh replications per policy that re-measure each product's
            gains after the choice (free of selection bias; 0 = none).
        progress: ``progress(products done, products)`` once the rows are valid, then after each chunk.
        checking: ``checking(share)`` while the rows are validated: the share of the table checked
            (0–1; by bytes of a CSV file, rows of a Parquet file), after every batch of rows.
        extras: given the folder being assembled, more files to put in it (the page).
        ready: called once every row is valid, before anything runs or is written (the
            command line takes the folder's lock there).
        notice: with ``resume``, told in one sentence how many finished products are kept and
            which damaged parts of the journal, if any, are removed and run again.

    Raises:
        ScenarioError: a bad table, cell or option (nothing has run).
        TableChanged: (a ScenarioError) the table changed or went away after it was checked;
            the finished products are kept in the journal for ``--resume``.
        ResumeError: ``resume`` finds another run's journal, or a journal is in the way.
    """
    from supplysim.experiments import catalog as engine
    from supplysim.experiments.optimize import parse_constraint
    from supplysim.outputs.catalog import CatalogJournal, fingerprint

    sc = load_scenario(template)
    pairs: list[tuple[Any, ...]] = []
    for name, value in (("replications", replications), ("seed", seed)):
        if value is not None:
            pairs.append((name, value, _argument(name, value)))
    if pairs:
        sc = with_overrides(sc, pairs)
    limits = [parse_constraint(c) if isinstance(c, str) else c for c in subject_to]
    pool = executor if executor is not None else LocalPool(workers)
    plan = engine.prepare(
        sc, Path(products), objective, limits, ignore_columns, chunk_products, confirm_replications, pool, checking
    )
    folder = Path(out) if out is not None else Path("results") / f"{sc.name}-catalog"
    if ready is not None:
        ready()
    journal = CatalogJournal(
        folder,
        fingerprint(sc, plan.products_sha256, plan.objective, plan.chunks, plan.ignore, plan.confirm),
        tuple(len(c) for c in plan.chunks),
        plan.kpis,
        notice,
    )
    done = journal.start(resume)
    finished = plan.products_in(done)
    total = plan.count
    if progress is not None:
        progress(finished, total)

    def advance(n: int) -> None:
        nonlocal finished
        finished += n
        if progress is not None:
            progress(finished, total)

    engine.run_chunks(plan.tasks(done), journal, executor=pool, progress=advance)
    journal.finish(sc, plan.products, plan.objective, extras)
    return CatalogResults(folder)


# ---------------------------------------------------------------- backtest


def backtest(
    scenario: ScenarioLike,
    orders: str | Path,
    receipts: str | Path | None = None,
    stockouts: str | Path | None = None,
    *,
    policy: str | None = None,
    replications: int | None = None,
    sku: str | None = None,
    exported_at: str | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Backtest:
    """Would ``scenario`` (fitted) have produced the shop's history? (``docs/fit.md``, "Backtest").

    Reads the exports (:func:`supplysim.records.read_records`), replays their horizon
    ``replications`` times (default 400) with ``policy`` (default the scenario's only one)
    and puts observed against simulated with prediction intervals for one history.
    ``Backtest.passed`` is False when some indicator falls outside its interval.
    """
    from supplysim.analysis.records import history_from_records
    from supplysim.experiments.backtest import DEFAULT_REPLICATIONS, run_backtest
    from supplysim.records import read_records

    sc = load_scenario(scenario)
    records = read_records(orders, receipts, stockouts, sku=sku, time_unit=sc.time_unit, exported_at=exported_at)
    result = run_backtest(
        sc,
        history_from_records(records),
        history_start=records.start,
        policy=policy,
        replications=replications if replications is not None else DEFAULT_REPLICATIONS,
        stockouts=stockouts is not None,
        receipts=receipts is not None,
        executor=executor,
        workers=workers,
        progress=progress,
    )
    return replace(result, notices=records.notices)


if TYPE_CHECKING:
    from supplysim.experiments.optimize import optimize
else:

    def __getattr__(name: str) -> Any:
        """``optimize`` is imported on first use: its statistics are not needed by a plain run."""
        if name == "optimize":
            from supplysim.experiments.optimize import optimize

            return optimize
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Fitted:
    """What :func:`fit` estimated from a shop's records, and the fitted scenario (``docs/fit.md``)."""

    def __init__(self, result: FitResult, scenario: Scenario, template: str) -> None:
        self.result = result
        """Every estimate as data (:class:`~supplysim.analysis.fit.fitting.FitResult`)."""
        self.scenario = scenario
        """The template with the fitted keys replaced, and its ``fit:`` block."""
        self.template = template

    def lines(self) -> list[str]:
        """What was fitted, one sentence per key."""
        from supplysim.report.fit_text import fit_lines

        return fit_lines(self.result)

    def to_json(self) -> dict[str, Any]:
        """The estimates as ``supplysim fit --format json`` prints them."""
        return self.result.to_json()

    def to_yaml(self) -> str:
        """The fitted scenario's text."""
        from supplysim.outputs.fitted import fitted_yaml

        return fitted_yaml(self.scenario, self.template)

    def to_file(self, path: str | Path) -> Path:
        """Write the fitted scenario atomically."""
        from supplysim.outputs.fitted import write_fitted

        return write_fitted(Path(path), self.scenario, self.template)

    def to_report(self, folder: str | Path) -> Path:
        """Write the figures, the page (``index.html``) and the fitted scenario to ``folder`` (atomically)."""
        from supplysim.outputs.folders import FolderKind, write_folder
        from supplysim.report.fit import fit_files

        return write_folder(Path(folder), fit_files(self.result, self.scenario, self.to_yaml()), FolderKind.FIT)


def fit(
    orders: str | Path,
    template: ScenarioLike,
    receipts: str | Path | None = None,
    stockouts: str | Path | None = None,
    *,
    sku: str | None = None,
    exported_at: str | None = None,
    bootstrap: int = 199,
    seed: int = 0,
) -> Fitted:
    """Fit a scenario to a shop's exports (``data.md``): the template with demand, lead time
    and patience estimated from the records.

    Raises:
        ScenarioError: a bad template, or records that cannot be read (a
            :class:`~supplysim.records.RecordsError` locating every bad row).
    """
    from supplysim.analysis.fit.fitting import fit_records, fitted_scenario
    from supplysim.records import read_records

    base = _single_store_template(load_scenario(template), template)
    records = read_records(orders, receipts, stockouts, sku=sku, time_unit=base.time_unit, exported_at=exported_at)
    result = fit_records(records, base, gof_draws=bootstrap, seed=seed)
    label = str(template) if isinstance(template, str | Path) else base.name
    return Fitted(result, fitted_scenario(result, base), label)


def _single_store_template(base: Scenario, given: ScenarioLike) -> Scenario:
    """``base``, unless it is a network: a shop's records are those of one stocking point, and the
    fitted keys (demand, lead time, patience) are the base's, which every store overrides."""
    if any(m.network is not None for m in base.policies.values()):
        label = str(given) if isinstance(given, str | Path) else f"the template {base.name!r}"
        raise ScenarioError(
            f"{label}: a network template: the records are those of one store, and a fit cannot say which "
            "store they are\n  hint: fit a single-store template (no network:), then copy the estimates "
            "into the store they came from"
        )
    return base


def fit_catalog(
    orders: str | Path,
    template: ScenarioLike,
    receipts: str | Path | None = None,
    stockouts: str | Path | None = None,
    *,
    exported_at: str | None = None,
    bootstrap: int = 199,
    seed: int = 0,
) -> list[tuple[str, Fitted | str]]:
    """Fit every product of a multi-product export (its ``sku`` column): ``(sku, Fitted)``,
    or ``(sku, why it could not be fitted)``. The export time is common to all products:
    ``exported_at``, or the latest time in ``orders``. :func:`~supplysim.outputs.fitted.catalog_csv`
    turns the result into a products table for ``supplysim catalog``.
    """
    from supplysim.analysis.fit.fitting import fit_records, fitted_scenario
    from supplysim.records import list_skus, read_records

    base = _single_store_template(load_scenario(template), template)
    skus, latest = list_skus(orders)
    when: Any = exported_at if exported_at is not None else latest
    label = str(template) if isinstance(template, str | Path) else base.name
    out: list[tuple[str, Fitted | str]] = []
    for sku in skus:
        records = read_records(orders, receipts, stockouts, sku=sku, time_unit=base.time_unit, exported_at=when)
        try:
            result = fit_records(records, base, gof_draws=bootstrap, seed=seed)
            out.append((sku, Fitted(result, fitted_scenario(result, base), label)))
        except (ValueError, ScenarioError) as exc:
            out.append((sku, str(exc).splitlines()[0]))
    return out
