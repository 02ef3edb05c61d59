"""Running a catalog: every policy of a template for every product of a table, in chunks.

A task is a chunk of consecutive products (all policies × replications of each product),
sized by the products' expected customers so that sending a task is a small share of its
work (:func:`plan_chunks`). A worker runs its chunk in-process and sends back one journal
line per product (:class:`~supplysim.analysis.portfolio.ProductSummary` as JSON) and the
chunk's rows of ``catalog.csv`` (:class:`ChunkResult`; the caller, one process for all
workers, only copies them): the per-replication values never leave it. The caller's :class:`ChunkSink` stores each chunk
as it finishes, in any order; the plan depends only on the table and the template, so the
files assembled from the chunks are the same for any executor and any number of workers.

Each product's seed is derived from the template's seed and a hash of its sku
(:func:`product_seed`), so a product is reproduced alone by ``supplysim run`` with that seed.

The plan holds nothing per product: per chunk, where its rows start in the table and a
digest of them (:class:`ChunkPlace`). :meth:`CatalogPlan.tasks` reads each chunk's rows
again as it is drawn (parsing the cells, not validating scenarios again) and refuses a table
that is no longer the one validated (:class:`~supplysim.scenario.products.TableChanged`), so
the memory of a catalog's parent does not grow with its number of products.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from supplysim.analysis.decision import decide, gap
from supplysim.analysis.diagnostics import diagnose
from supplysim.analysis.experiment import Experiment
from supplysim.analysis.indicators import kpi_names
from supplysim.analysis.intervals import summarize_each
from supplysim.analysis.kpis import Better, lookup
from supplysim.analysis.portfolio import ProductSummary, Stat
from supplysim.experiments.evidence import Evidence
from supplysim.experiments.executors import Executor, InProcess
from supplysim.experiments.optimize import Constraint
from supplysim.experiments.runner import run_experiment
from supplysim.scenario import Scenario
from supplysim.scenario.errors import ScenarioError
from supplysim.scenario.hints import unknown_name
from supplysim.scenario.load import with_overrides
from supplysim.scenario.products import (
    DIGEST_BYTES,
    ProductsTable,
    TableChanged,
    file_sha256,
    open_table,
    table_changed,
    table_unreadable,
)

__all__ = [
    "CHUNK_CUSTOMERS",
    "CHUNK_DIGEST_BYTES",
    "MAX_CHUNK_PRODUCTS",
    "MIN_CHUNKS",
    "MIN_CHUNK_CUSTOMERS",
    "CatalogPlan",
    "ChunkPlace",
    "ChunkResult",
    "ChunkSink",
    "ChunkTask",
    "Objective",
    "ProductSpec",
    "chunk_head",
    "chunk_target",
    "expected_customers",
    "objective_of",
    "plan_chunks",
    "prepare",
    "product_seed",
    "read_chunk",
    "run_chunk",
    "run_chunks",
]

SEED_BITS = 48
"""A product's seed is below 2⁴⁸ (well inside the scenario format's bound on numbers, 1e15)."""

CHUNK_CUSTOMERS = 400_000.0
"""Expected simulated customers of one task (≈ 1–2 CPU-seconds): a task's sending and
scheduling (milliseconds) stays a small share of it."""

PER_REPLICATION = 2_000.0
"""The fixed cost of one replication (building the model) in customer-equivalents."""

MAX_CHUNK_PRODUCTS = 200
"""Most products of one chunk: what an interruption can lose is bounded too."""

MIN_CHUNKS = 32
"""A catalog is cut into at least this many chunks when its products allow (and a chunk is
not smaller than :data:`MIN_CHUNK_CUSTOMERS`): a small catalog still spreads over the
workers, and none waits long for the last chunk."""

MIN_CHUNK_CUSTOMERS = 20_000.0
"""The smallest chunk target [expected customers] (≈ 0.05 CPU-s: sending a task stays cheap)."""


def product_seed(seed: int, sku: str) -> int:
    """The seed of product ``sku`` under the template's ``seed``:
    ``SeedSequence(seed, spawn_key=K)`` with K the four 32-bit words of the first 16 bytes of
    SHA-256(sku as UTF-8), its first two generated 32-bit words hi·2³² + lo, modulo 2⁴⁸.

    A 128-bit key rather than crc32: among 20,000 skus two would share a crc32 with
    probability ≈ n²/2³³ ≈ 5%, and two products with one seed would share their random
    numbers (no longer independent); 48-bit seeds collide with probability ≈ n²/2⁴⁹ < 10⁻⁶.
    """
    digest = hashlib.sha256(sku.encode("utf-8")).digest()
    key = tuple(int.from_bytes(digest[i : i + 4], "big") for i in range(0, 16, 4))
    words = np.random.SeedSequence(seed, spawn_key=key).generate_state(2, np.uint32)
    return int((int(words[0]) << 32 | int(words[1])) % (1 << SEED_BITS))


def expected_customers(scenario: Scenario) -> float:
    """Expected customers of a whole product run: arrivals per replication at the peak rate
    (every store of a network) × policies × replications, plus a fixed cost per replication."""
    demands = [scenario.demand]
    if scenario.network is not None:
        demands = [scenario.network.store_model(n).demand for n in scenario.network.store_names]
    per_replication = sum(d.peak_rate(scenario.end) for d in demands) * scenario.end + PER_REPLICATION
    return per_replication * len(scenario.policies) * scenario.replications


def _cost(scenario: Scenario) -> float:
    """A product's expected customers (:func:`expected_customers`); a product needs two
    replications at least, for its intervals."""
    if scenario.replications < 2:
        raise ScenarioError(
            f"replications: {scenario.replications}, a product needs at least 2 for its intervals\n"
            "  hint: e.g. --replications 10"
        )
    return expected_customers(scenario)


def chunk_target(costs: Sequence[float]) -> float:
    """The expected customers of one chunk: :data:`CHUNK_CUSTOMERS`, less for a small catalog so
    that it makes :data:`MIN_CHUNKS` chunks (of :data:`MIN_CHUNK_CUSTOMERS` at least). It depends on
    the table alone, never on the number of workers."""
    return min(CHUNK_CUSTOMERS, max(sum(costs) / MIN_CHUNKS, MIN_CHUNK_CUSTOMERS))


def plan_chunks(
    costs: Sequence[float], target: float = CHUNK_CUSTOMERS, max_products: int = MAX_CHUNK_PRODUCTS
) -> list[range]:
    """Consecutive rows grouped into chunks of about ``target`` expected customers each (a
    product costlier than that is a chunk of its own), at most ``max_products`` per chunk."""
    chunks: list[range] = []
    start, acc = 0, 0.0
    for i, cost in enumerate(costs):
        if i > start and (acc + cost > target or i - start >= max_products):
            chunks.append(range(start, i))
            start, acc = i, 0.0
        acc += cost
    if start < len(costs):
        chunks.append(range(start, len(costs)))
    return chunks


@dataclass(frozen=True)
class Objective:
    """What a catalog decides by: the objective indicator, its direction, the constraints."""

    kpi: str
    sign: int
    """+1 when higher is better, −1 when lower is better."""
    constraints: tuple[Constraint, ...] = ()


def objective_of(name: str, constraints: Iterable[Constraint], kpis: Sequence[str]) -> Objective:
    """The objective ``name`` for a template reporting ``kpis``, its direction from the registry.

    Raises:
        ScenarioError: not an indicator of the template (with the closest one), or one with
            no better direction (``--objective units_ordered``), or a constraint on an
            indicator the template does not report.
    """
    if name not in kpis:
        raise ScenarioError(unknown_name("an indicator of this template", name, kpis, subject="--objective "))
    better = lookup(name).better
    if better is Better.NEITHER:
        raise ScenarioError(
            f"--objective {name}: {name} has no better direction (more is neither better nor worse)\n"
            "  hint: choose profit, revenue, fill_rate, lost_rate, … (docs/indicators.md)"
        )
    limits = tuple(constraints)
    for c in limits:
        if c.kpi not in kpis:
            raise ScenarioError(unknown_name("an indicator of this template", c.kpi, kpis, subject="--subject-to "))
    return Objective(name, better.value, limits)


@dataclass(frozen=True)
class ProductSpec:
    """One product of a chunk: its row's labels and overrides (already validated) and its seed."""

    sku: str
    row: int
    labels: tuple[str, str, str]
    overrides: tuple[tuple[str, Any], ...]
    seed: int


@dataclass(frozen=True)
class ChunkTask:
    """A chunk of consecutive products, run in one task."""

    index: int
    template: Scenario
    products: tuple[ProductSpec, ...]
    objective: Objective
    confirm: int
    """Fresh replications per policy that re-measure the choice's gains (0: none)."""
    kpis: tuple[str, ...]
    """The indicators ``catalog.csv`` lists (the template's, in registry order)."""


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk leaves, its products in table order: the journal line of each (JSON, no
    newline), and what assembling the folder needs first, made here so that the caller (one
    process for every worker) only copies it: the chunk's rows of ``catalog.csv`` (CSV text),
    and each product's revenue (:attr:`ProductSummary.revenue`, NaN when undefined) and class
    label (empty when the table gives none)."""

    index: int
    lines: tuple[str, ...]
    table: str
    revenues: tuple[float, ...]
    classes: tuple[str, ...]


def chunk_head(
    summaries: Sequence[ProductSummary], kpis: Sequence[str]
) -> tuple[str, tuple[float, ...], tuple[str, ...]]:
    """What a chunk's products give assembling the folder, in table order: their rows of
    ``catalog.csv`` (CSV text, :meth:`ProductSummary.table_rows`), revenues and class labels
    (:class:`ChunkResult`; a resumed run checks a stored part against it)."""
    table = io.StringIO()
    csv.writer(table, lineterminator="\n").writerows(row for s in summaries for row in s.table_rows(kpis))
    return table.getvalue(), tuple(s.revenue for s in summaries), tuple(s.labels[2] for s in summaries)


def summarize_product(
    exp: Experiment, spec: ProductSpec, objective: Objective, fresh: Experiment | None = None
) -> ProductSummary:
    """One product's summaries and decision, from its experiment (every policy, same replications);
    with ``fresh`` (other replications of the same product), the chosen policy's gains measured
    again on them."""
    sc = exp.scenario
    policies = list(sc.policies)
    names = exp.kpis
    kpis = {}
    for p in policies:
        rows = exp.values[p]
        each = summarize_each([[row[k] for row in rows] for k in names])
        kpis[p] = {k: Stat(s.mean, s.sd, s.ci95_half_width, s.n) for k, s in zip(names, each, strict=True)}
    series = {p: exp.series(p, objective.kpi) for p in policies}
    means = {p: {c.kpi: kpis[p][c.kpi].mean for c in objective.constraints} for p in policies}
    d = decide(series, objective.sign, means, objective.constraints)
    vs: dict[str, tuple[float, float, int]] = {}
    for p in policies:
        g = gap(series[d.chosen], series[p], objective.sign)
        vs[p] = (g.diff, g.var_mean if p != d.chosen else 0.0, g.n)
    if d.best is None:
        note = f"no policy meets {' and '.join(str(c) for c in objective.constraints)}"
        note += f"; closest: {d.closest} (misses {', '.join(d.missed)})"
    elif d.runner_up is None:
        note = "the only policy that meets the constraints" if objective.constraints else "the only policy"
    else:
        ev = Evidence.paired(objective.kpi, series[d.best], series[d.runner_up])
        note = f"{d.best}: {ev.words(d.runner_up)}"
    notes = diagnose(exp)
    if notes:
        note += "; " + "; ".join(n.short for n in notes)
    confirmed = None
    if fresh is not None:
        again = {p: fresh.series(p, objective.kpi) for p in policies}
        confirmed = {}
        for p in policies:
            g = gap(again[d.chosen], again[p], objective.sign)
            confirmed[p] = (g.diff, g.var_mean if p != d.chosen else 0.0, g.n)
    ru = d.vs_runner_up
    return ProductSummary(
        sku=spec.sku,
        row=spec.row,
        labels=spec.labels,
        seed=spec.seed,
        replications=sc.replications,
        kpis=kpis,
        best=d.best,
        chosen=d.chosen,
        runner_up=d.runner_up,
        tied=d.tied,
        gain=(d.vs_baseline.diff, d.vs_baseline.ci95_low, d.vs_baseline.ci95_high),
        runner_up_gap=None if ru is None else (ru.diff, ru.ci95_low, ru.ci95_high),
        needed=ru.needed() if ru is not None and d.tied else None,
        vs=vs,
        note=note,
        objective_kpi=objective.kpi,
        confirmed=confirmed,
        diagnoses=tuple(n.kind.value for n in notes),
    )


def product_scenario(template: Scenario, spec: ProductSpec) -> Scenario:
    """The scenario of one product: the template, the row's overrides, the product's seed."""
    return with_overrides(template, [*spec.overrides, ("seed", spec.seed)])


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Run every product of a chunk here (every policy × replication) and summarize each."""
    lines, summaries = [], []
    for spec in task.products:
        sc = product_scenario(task.template, spec)
        exp = run_experiment(sc, executor=InProcess())
        fresh = None
        if task.confirm:
            more = range(sc.replications, sc.replications + task.confirm)
            fresh = run_experiment(sc, executor=InProcess(), replications=more)
        summary = summarize_product(exp, spec, task.objective, fresh)
        lines.append(json.dumps(summary.to_json(), separators=(",", ":"), allow_nan=False))
        summaries.append(summary)
    return ChunkResult(task.index, tuple(lines), *chunk_head(summaries, task.kpis))


class ChunkSink(Protocol):
    """Where finished chunks go (the journal of :mod:`supplysim.outputs.catalog`)."""

    def put(self, result: ChunkResult) -> None: ...


def run_chunks(
    tasks: Iterable[ChunkTask],
    sink: ChunkSink,
    *,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Run ``tasks`` (drawn lazily by the executor) and hand each finished chunk to ``sink`` as it
    finishes (any order).

    Args:
        progress: called with the number of products finished by each chunk.
    """
    runner = executor if executor is not None else InProcess()
    for _, result in runner.map_unordered(run_chunk, tasks):
        sink.put(result)
        if progress is not None:
            progress(len(result.lines))


@dataclass(frozen=True)
class ChunkPlace:
    """Where one chunk's rows are in the products table, and what they were when validated."""

    products: range
    """The chunk's products by their place in the table (0 the first product; blank rows not counted)."""
    at: int
    """Where the row of its first product starts: a byte offset (CSV) or a row index (Parquet)."""
    row: int
    """That row's number, as a spreadsheet numbers it (the header is row 1)."""
    digest: bytes
    """BLAKE2b (16 bytes) of the chunk's rows' digests in table order (:attr:`ProductRow.digest
    <supplysim.scenario.products.ProductRow.digest>`)."""


CHUNK_DIGEST_BYTES = 16
"""Bytes of a chunk's digest (:attr:`ChunkPlace.digest`)."""


def read_chunk(table: ProductsTable, place: ChunkPlace, seed: int) -> tuple[ProductSpec, ...]:
    """The products of one chunk, read again from the table at ``place`` (cells parsed, no scenario
    validated) with their seeds under the template's ``seed``.

    Raises:
        TableChanged: the rows there are not those validated (another digest, count or cell).
    """
    first, last = place.products.start + 1, place.products.stop
    what = f"the products {first}–{last} from row {place.row} differ" if last > first else f"row {place.row} differs"
    digest = hashlib.blake2b(digest_size=CHUNK_DIGEST_BYTES)
    specs: list[ProductSpec] = []
    try:  # a table that went away says so, rather than "differs" (its reader's message)
        os.stat(table.path)
    except OSError as exc:
        raise table_unreadable(table.file, exc) from None
    rows = table.rows(place.at, place.row)
    try:
        for r in itertools.islice(rows, len(place.products)):
            if r.problem is not None:
                raise table_changed(table.file, what)
            digest.update(r.digest)
            overrides = tuple((p, x) for p, x, _ in r.overrides)
            specs.append(ProductSpec(r.sku, r.row, r.labels, overrides, product_seed(seed, r.sku)))
    except TableChanged:
        raise
    except ScenarioError:  # a row that no longer reads (its width, a cell)
        raise table_changed(table.file, what) from None
    finally:
        rows.close()
    if len(specs) != len(place.products) or digest.digest() != place.digest:
        raise table_changed(table.file, what)
    return tuple(specs)


@dataclass(frozen=True)
class CatalogPlan:
    """A validated catalog: per chunk, where its products are in the table (no per-product state)."""

    template: Scenario
    products: Path
    products_sha256: str
    objective: Objective
    places: tuple[ChunkPlace, ...]
    kpis: tuple[str, ...]
    ignore: tuple[str, ...] = ()
    confirm: int = 0
    """Fresh replications per policy and product that re-measure the gains (0: none)."""

    @property
    def chunks(self) -> tuple[range, ...]:
        """Each chunk's products by their place in the table."""
        return tuple(p.products for p in self.places)

    @property
    def count(self) -> int:
        """How many products the table holds."""
        return self.places[-1].products.stop if self.places else 0

    def tasks(self, skip: Iterable[int] = ()) -> Iterator[ChunkTask]:
        """The tasks of the chunks not in ``skip`` (the finished ones), in plan order, made one at a
        time as they are drawn: each chunk's rows are read again from the table.

        Raises:
            TableChanged: (as the tasks are drawn) the table's SHA-256 is not the one validated, or
                a chunk's rows differ from those validated.
        """
        return self._tasks(frozenset(skip))

    def _tasks(self, done: frozenset[int]) -> Iterator[ChunkTask]:
        try:
            sha = file_sha256(self.products)
        except OSError as exc:
            raise table_unreadable(str(self.products), exc) from None
        if sha != self.products_sha256:
            raise table_changed(str(self.products), "its SHA-256 is not the one checked")
        table = open_table(self.products, self.template, self.ignore)
        for i, place in enumerate(self.places):
            if i not in done:
                specs = read_chunk(table, place, self.template.seed)
                yield ChunkTask(i, self.template, specs, self.objective, self.confirm, self.kpis)

    def products_in(self, chunks: Iterable[int]) -> int:
        """How many products the chunks ``chunks`` hold."""
        return sum(len(self.places[i].products) for i in chunks)


def prepare(
    template: Scenario,
    products: Path,
    objective: str = "profit",
    constraints: Iterable[Constraint] = (),
    ignore: Sequence[str] = (),
    chunk_products: int | None = None,
    confirm: int = 0,
    executor: Executor | None = None,
    checking: Callable[[float], None] | None = None,
) -> CatalogPlan:
    """Check the objective and every row of the table against ``template``, and plan the chunks
    (at most ``chunk_products`` products each, when given); nothing runs. ``confirm`` fresh
    replications per policy re-measure each product's gains after the choice. The rows' scenarios
    are validated in batches on ``executor`` (default: here); the plan is the same either way.
    ``checking`` is told the share of the table checked so far (0–1) after each batch of rows and
    once at the end (1.0, when every row is valid).

    While it checks, it keeps 32 bytes per product (cost, place, row number, digest, in arrays);
    the plan keeps only :class:`ChunkPlace` per chunk.

    Raises:
        ScenarioError: every problem of the table or the options, located (``docs/catalog.md``).
        TableChanged: the file changed while it was being checked.
    """
    kpis = kpi_names(template.policies.values())
    goal = objective_of(objective, constraints, kpis)
    if confirm == 1:
        raise ScenarioError(
            "--confirm-replications 1: the re-measured gains need at least 2 fresh replications for their "
            "intervals\n  hint: e.g. --confirm-replications 10, or 0 for none"
        )
    path = Path(products)
    try:  # before the header is read: a file replaced meanwhile is caught by the second SHA-256 below
        sha: str | None = file_sha256(path)
    except OSError:
        sha = None
    table = open_table(path, template, ignore)  # says what is wrong with a file that cannot be read
    if template.replications < 2 and "replications" not in table.keys.values():
        raise ScenarioError(
            f"replications: {template.replications}, a catalog needs at least 2 per product for its intervals\n"
            "  hint: e.g. --replications 10"
        )
    if sha is None:
        raise table_changed(str(path), "it could not be read before its header was", running=False)
    seed = template.seed

    def seed_of(sku: str) -> int:
        return product_seed(seed, sku)

    runner = executor if executor is not None else InProcess()
    checked = table.validated(seed_of, _cost, runner.map_unordered, checking=checking)
    costs, ats, numbers, digests = checked.costs, checked.ats, checked.numbers, checked.digests
    del checked
    try:
        after = file_sha256(path)
    except OSError as exc:
        raise table_unreadable(str(path), exc, running=False) from None
    if after != sha:
        raise table_changed(str(path), "it was written to while being checked", running=False)
    if confirm:
        scale = (template.replications + confirm) / template.replications
        costs = array("d", (c * scale for c in costs))
    chunks = plan_chunks(costs, chunk_target(costs), chunk_products or MAX_CHUNK_PRODUCTS)
    del costs
    places = tuple(
        ChunkPlace(
            c,
            ats[c.start],
            numbers[c.start],
            hashlib.blake2b(
                digests[c.start * DIGEST_BYTES : c.stop * DIGEST_BYTES], digest_size=CHUNK_DIGEST_BYTES
            ).digest(),
        )
        for c in chunks
    )
    return CatalogPlan(template, path, sha, goal, places, kpis, tuple(ignore), confirm)
