"""The catalog's plan holds no per-product state (docs/catalog.md, "Memory"): per chunk, where its
rows start in the table and their digest. Its tasks are made as they are drawn, from the table
read again, and equal the products the validation read; a table that changes during the run is
refused with one message and exit code 2; the ABC classes and the Dask executor keep no object
per product or task either."""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import supplysim
from clirun import ENV
from scenario_texts import SHOP
from supplysim.analysis.portfolio import abc_classes, abc_codes
from supplysim.experiments.catalog import ChunkPlace, ProductSpec, _cost, prepare, product_seed, read_chunk
from supplysim.experiments.executors import InProcess
from supplysim.scenario.errors import ScenarioError
from supplysim.scenario.load import load_scenario
from supplysim.scenario.products import TableChanged, open_table

TEMPLATE = SHOP


@pytest.fixture
def template(tmp_path: Path) -> Path:
    (tmp_path / "shop.yaml").write_text(TEMPLATE, encoding="utf-8")
    return tmp_path / "shop.yaml"


def _table(n: int, start: int = 0) -> str:
    return "sku,name,demand.rate,product.price\n" + "".join(
        f"S{i:05d},Item {i},{1 + i % 7},{5 + i % 11}\n" for i in range(start, start + n)
    )


def _expected(path: Path, template: Path) -> list[ProductSpec]:
    """Every product as the validation reads it (the plan used to hold these)."""
    sc = load_scenario(template)
    return [
        ProductSpec(r.sku, r.row, r.labels, tuple((p, x) for p, x, _ in r.overrides), product_seed(sc.seed, r.sku))
        for r in open_table(path, sc).rows()
    ]


def test_a_plan_holds_per_chunk_state_only(template: Path, tmp_path: Path) -> None:
    """Ten times the products, the same chunk size: the plan grows by its chunks only (a few dozen
    bytes each), never by the products' specs (≈ 700 bytes each)."""
    sc = load_scenario(template)
    sizes, chunks = {}, {}
    for n in (200, 2000):
        (tmp_path / f"p{n}.csv").write_text(_table(n), encoding="utf-8")
        plan = prepare(sc, tmp_path / f"p{n}.csv", chunk_products=100)
        assert plan.count == n and sum(len(c) for c in plan.chunks) == n
        assert all(isinstance(p, ChunkPlace) for p in plan.places)
        assert not any(isinstance(v, tuple) and v and isinstance(v[0], ProductSpec) for v in vars(plan).values())
        sizes[n], chunks[n] = len(pickle.dumps(plan)), len(plan.places)
    assert chunks[2000] <= 2000 / 20  # chunks of ≈ 24 products here
    assert (sizes[2000] - sizes[200]) / (chunks[2000] - chunks[200]) < 150, (sizes, chunks)  # bytes per chunk
    assert (sizes[2000] - sizes[200]) / 1800 < 10, (sizes, chunks)  # bytes per product: the specs took ≈ 700
    tasks = plan.tasks()
    assert isinstance(tasks, Iterator)
    first = next(tasks)  # made when drawn, from the table read again
    size = len(plan.places[0].products)
    assert first.index == 0 and [s.sku for s in first.products] == [f"S{i:05d}" for i in range(size)]


def test_the_tasks_hold_the_products_the_validation_read(template: Path, tmp_path: Path) -> None:
    """Awkward CSV (a byte-order mark, CRLF and lone-CR line ends, a quoted line break, blank rows,
    non-ASCII text) read again from each chunk's byte offset gives every product as validated."""
    body = (
        "\ufeffsku,name,demand.rate\r\n"
        'A,"two\r\nlines",3\r\n'
        "\r\n"
        "B,Ünïcødé,2\r"
        "C,plain,1.5\n"
        ",,\n"
        'D,"quoted, comma",4\n'
        "E,last,2.5\n"
        "\n"
    )
    path = tmp_path / "odd.csv"
    path.write_bytes(body.encode("utf-8"))
    sc = load_scenario(template)
    for size in (1, 2, 3, None):
        plan = prepare(sc, path, chunk_products=size)
        got = [s for task in plan.tasks() for s in task.products]
        assert got == _expected(path, template), size
        assert [s.row for s in got] == [2, 4, 5, 7, 8]
    assert [t.index for t in prepare(sc, path, chunk_products=1).tasks(skip={0, 2})] == [1, 3, 4]


def _backwards(fn: Any, tasks: Any) -> Iterator[tuple[int, Any]]:
    """An executor whose tasks finish in the reverse order of their drawing."""
    done = [(i, fn(t)) for i, t in enumerate(tasks)]
    yield from reversed(done)


def _outcome(table: Any, mapper: Any = None, batch: int = 100) -> tuple[list[tuple[int, int, float]], str | None]:
    """What validating ``table`` keeps ((row, place, cost) of each product), or the message it ends with."""
    try:
        checked = table.validated(lambda sku: product_seed(11, sku), _cost, mapper or InProcess().map_unordered, batch)
    except ScenarioError as exc:
        return [], str(exc)
    assert len(checked.digests) == 8 * len(checked)
    return list(zip(checked.numbers, checked.ats, checked.costs, strict=True)), None


def test_rows_validated_in_batches_anywhere_say_and_plan_the_same(template: Path, tmp_path: Path) -> None:
    """The scenarios of a table's rows are validated in batches on the executor's workers: the
    products, their costs, the messages (their order, the cap of 20 and the count beyond it) and
    the plan are those of validating row after row here, whatever the batch size and whatever
    order the batches finish in."""
    from supplysim.experiments.executors import LocalPool

    sc = load_scenario(template)
    good = tmp_path / "good.csv"
    good.write_text(_table(230), encoding="utf-8")
    lines = ["sku,demand.rate,product.price"]
    for i in range(230):
        bad = i % 9
        rate = "-1" if bad == 1 else "[2" if bad == 4 else str(1 + i % 5)  # refused by the scenario; not a value
        sku = "S00003" if bad == 7 else f"S{i:05d}"  # a duplicate of row 5's sku
        lines.append(f"{sku},{rate},{5 + i % 3}")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    unreadable = tmp_path / "unreadable.csv"
    unreadable.write_text("\n".join(lines[:40]) + '\nS9,"2"x,3\n' + "\n".join(lines[40:]) + "\n", encoding="utf-8")
    late = tmp_path / "late.csv"  # more than 20 bad rows before the line that cannot be read
    late.write_text("\n".join(lines) + '\nS9,"2"x,3\n', encoding="utf-8")
    pool = LocalPool(2)
    for path in (good, bad, unreadable, late):
        table = open_table(path, sc)
        want = _outcome(table)
        for mapper, batch in [(None, 1), (None, 7), (_backwards, 3), (_backwards, 100), (pool.map_unordered, 13)]:
            assert _outcome(table, mapper, batch) == want, (path.name, batch)
        if path is good:
            assert want[1] is None and [r for r, _, _ in want[0]] == list(range(2, 232))
            assert all(c > 0 for _, _, c in want[0])
        elif path is bad:
            assert want[1] is not None and "… and " in want[1] and "more rows with problems" in want[1]
            first = want[1].split("\n", 1)[0]
            assert first.startswith(f"{bad}: row 3") and "demand.rate" in first, first
            assert "is also in row" in want[1] and "is not a value" in want[1]
            assert want[0] == []
        else:
            assert want[1] is not None and want[1].splitlines()[-1].endswith("not valid CSV: ',' expected after '\"'")
            counted = [line for line in want[1].splitlines() if line.startswith("… and ")]
            assert counted == (["… and 57 more rows with problems"] if path is late else []), counted
    one = prepare(sc, good, chunk_products=40)
    two = prepare(sc, good, chunk_products=40, executor=pool)
    assert one == two and len(one.places) > 10


def test_a_parquet_table_is_read_again_by_row_groups(template: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    csv_path = tmp_path / "p.csv"
    csv_path.write_text(_table(23), encoding="utf-8")
    rows = [line.split(",") for line in _table(23).splitlines()[1:]]
    table = pa.table(
        {
            "sku": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "demand.rate": [float(r[2]) for r in rows],
            "product.price": [float(r[3]) for r in rows],
        }
    )
    pq.write_table(table, tmp_path / "p.parquet", row_group_size=5)  # chunks start inside row groups
    sc = load_scenario(template)
    plan = prepare(sc, tmp_path / "p.parquet", chunk_products=3)
    got = [s for task in plan.tasks() for s in task.products]
    assert got == _expected(tmp_path / "p.parquet", template)
    assert [s.sku for s in got] == [r[0] for r in rows]
    assert len(plan.places) > 5 and [p.at for p in plan.places] == [c.start for c in plan.chunks]  # row indices


def _straggler(fn: Any, tasks: Any, window: int = 4) -> Iterator[tuple[int, Any]]:
    """An executor that draws ``window`` tasks ahead and finishes the first one last of all; every
    row it is given is valid at cost 1 (what is measured is the bookkeeping, not the scenarios)."""
    held: list[tuple[int, Any]] = []
    for i, task in enumerate(tasks):
        held.append((i, task))
        if len(held) >= window:
            j, t = held.pop() if held[-1][0] != 0 else held.pop(0)
            yield j, tuple(1.0 for _ in t.rows)
    for j, t in sorted(held, reverse=True):
        yield j, tuple(1.0 for _ in t.rows)


def test_a_batch_that_finishes_last_holds_back_no_rows(template: Path, tmp_path: Path) -> None:
    """While the first batch is still out, the others' results are written at their rows' places:
    memory grows by the 32 bytes a product keeps and the sku index, not by parked rows (≈ 420
    bytes each when finished batches were held back until the first one came in)."""
    import tracemalloc

    sc = load_scenario(template)
    peaks = []
    for n in (2000, 8000):
        path = tmp_path / f"t{n}.csv"
        path.write_text(_table(n), encoding="utf-8")
        table = open_table(path, sc)
        tracemalloc.start()
        try:
            checked = table.validated(lambda sku: product_seed(11, sku), _cost, _straggler, 10)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert list(checked.costs) == [1.0] * n and list(checked.numbers) == list(range(2, n + 2))
    per_row = (peaks[1] - peaks[0]) / 6000
    assert per_row < 250, per_row  # measured ≈ 145: 32 kept + the sku index; parked rows took ≈ 560


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_the_check_tells_how_much_of_the_table_it_has_read(template: Path, tmp_path: Path, kind: str) -> None:
    """``checking`` is told the share read after every batch (here, one after the other: the place
    of its last row over the table's bytes or rows), rising to 1.0 at the end; a table with a bad
    row never says 1.0."""
    n = 450
    path = tmp_path / f"p.{kind}"
    if kind == "csv":
        path.write_text(_table(n), encoding="utf-8")
    else:
        pq = pytest.importorskip("pyarrow.parquet")
        import pyarrow as pa

        rows = [line.split(",") for line in _table(n).splitlines()[1:]]
        columns = {"sku": [r[0] for r in rows], "name": [r[1] for r in rows]}
        columns |= {"demand.rate": [float(r[2]) for r in rows], "product.price": [float(r[3]) for r in rows]}
        pq.write_table(pa.table(columns), path, row_group_size=64)
    sc = load_scenario(template)
    shares: list[float] = []
    prepare(sc, path, checking=shares.append)
    ends = [min(k * 100, n) - 1 for k in range(1, -(-n // 100) + 1)]  # each batch's last row
    assert len(shares) == len(ends) + 1 and shares[-1] == 1.0
    assert all(0 < a < b < 1 for a, b in itertools.pairwise(shares[:-1]))
    table = open_table(path, sc)
    rows_read = [table.share_before(r.at) for r in table.rows()]
    assert shares[:-1] == [rows_read[e] for e in ends]
    if kind == "csv":  # the 100th row starts a little below a quarter of the bytes in
        assert shares[0] == pytest.approx(99 / n, abs=0.01)
        bad = tmp_path / "bad.csv"
        bad.write_text(_table(n) + "S99999,Bad,fast,5\n", encoding="utf-8")
        told: list[float] = []
        with pytest.raises(ScenarioError, match=r"row 452, column demand\.rate"):
            prepare(sc, bad, checking=told.append)
        assert told and max(told) < 1.0
    else:
        assert shares[:-1] == [e / n for e in ends]


def test_a_table_changed_before_the_run_is_refused(template: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(_table(6), encoding="utf-8")

    def edit() -> None:  # between the validation and the first task
        path.write_text(_table(6).replace("S00003,Item 3,4,", "S00003,Item 3,5,"), encoding="utf-8")

    with pytest.raises(TableChanged, match=r"p\.csv: the products table changed since it was checked"):
        supplysim.run_catalog(template, path, out=tmp_path / "out", workers=1, ready=edit)
    assert not (tmp_path / "out").exists()


def test_a_chunk_whose_rows_changed_is_refused(template: Path, tmp_path: Path) -> None:
    """The same number of bytes, one cell of a later chunk changed: that chunk's digest tells it."""
    path = tmp_path / "p.csv"
    path.write_text(_table(9), encoding="utf-8")
    sc = load_scenario(template)
    plan = prepare(sc, path, chunk_products=3)
    assert len(plan.places) > 1
    tasks = plan.tasks()
    first = next(tasks)
    assert [s.sku for s in first.products] == [f"S{i:05d}" for i in plan.places[0].products]
    path.write_text(_table(9).replace("S00008,Item 8,2,", "S00008,Item 8,3,"), encoding="utf-8")
    last = plan.places[-1]
    where = f"the products {last.products.start + 1}–9 from row {last.row} differ" if len(last.products) > 1 else ""
    with pytest.raises(TableChanged, match=where or "row 10 differs"):
        list(tasks)
    path.write_text(_table(8), encoding="utf-8")  # a row fewer
    with pytest.raises(TableChanged, match="SHA-256"):
        list(plan.tasks())
    with pytest.raises(TableChanged):  # the last chunk, read alone, finds fewer rows than it had
        read_chunk(open_table(path, sc), plan.places[-1], sc.seed)
    assert read_chunk(open_table(path, sc), plan.places[0], sc.seed) == first.products  # unchanged rows


def test_a_table_removed_before_the_run_is_one_message(template: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(_table(6), encoding="utf-8")
    with pytest.raises(TableChanged, match=r"p\.csv: .*\(it can no longer be read: No such file or directory\)"):
        supplysim.run_catalog(template, path, out=tmp_path / "out", workers=1, ready=path.unlink)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("change", "executor"),
    [("edited", "local"), ("removed", "local"), ("edited", "dask")],
    ids=["edited", "removed", "edited, on a local Dask cluster"],
)
def test_a_table_changed_during_a_run_exits_2_and_keeps_the_finished_chunks(
    template: Path, tmp_path: Path, change: str, executor: str
) -> None:
    """One message, exit 2, the finished chunks kept; on Dask also no warning of the workers
    whose tasks were cancelled when the cluster stopped."""
    if executor == "dask":
        pytest.importorskip("distributed")
    path = tmp_path / "p.csv"
    path.write_text(_table(150), encoding="utf-8")
    parts = tmp_path / "out.partial" / "parts"
    where = ["--workers", "1"] if executor == "local" else ["--executor", "dask", "--workers", "2"]
    args = [str(template), str(path), "--out", "out", *where, "--chunk-products", "1", "--no-report"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "supplysim", "catalog", *args, "--replications", "12", "--quiet"],
        cwd=tmp_path,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(parts.glob("*.jsonl")) if parts.is_dir() else []) < 2:
            time.sleep(0.005)
        if change == "edited":
            path.write_text(_table(150).replace("S00140,Item 140,1,", "S00140,Item 140,2,"), encoding="utf-8")
        else:
            path.unlink()
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 2, stderr
    what = "row 142 differs" if change == "edited" else "it can no longer be read: No such file or directory"
    assert f"p.csv: the products table changed since it was checked ({what})" in stderr
    assert "Traceback" not in stderr and "--resume" in stderr and stderr.count("error:") == 1, stderr
    assert len(stderr.strip().splitlines()) == 2, stderr  # the message and its hint, nothing else
    assert 2 <= len(list(parts.glob("*.jsonl"))) < 150 and not (tmp_path / "out").exists()


def _abc_reference(revenues: list[float], shares: tuple[float, float] = (0.80, 0.95)) -> list[str]:
    """The former implementation of abc_classes (a sort of Python tuples), the reference."""
    clean = [r if math.isfinite(r) and r > 0 else 0.0 for r in revenues]
    total = sum(clean)
    out = ["C"] * len(clean)
    if total <= 0:
        return out
    before = 0.0
    for i in sorted(range(len(clean)), key=lambda i: (-clean[i], i)):
        if clean[i] <= 0:
            break
        share = before / total
        out[i] = "A" if share < shares[0] else "B" if share < shares[1] else "C"
        before += clean[i]
    return out


def test_abc_codes_are_the_classes_one_byte_each() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 500, 5000):
        revenues = [float(x) for x in np.round(rng.lognormal(3, 1.5, size=n), 1)]  # rounded: many ties
        for k in range(0, n, 9):
            revenues[k] = [0.0, -3.0, math.nan, math.inf, revenues[k - 1] if k else 1.0][k % 5]
        expected = _abc_reference(revenues)
        assert abc_codes(revenues) == "".join(expected).encode("ascii")
        assert abc_classes(revenues) == expected
    assert abc_codes([0.0, math.nan]) == b"CC" and abc_codes([]) == b""


@contextlib.contextmanager
def _dask(threads: int) -> Iterator[tuple[Any, Any]]:
    """A Dask cluster in this process (one worker of ``threads`` threads) and an executor on it."""
    distributed = pytest.importorskip("distributed")
    from supplysim.experiments.executors import DaskExecutor

    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=threads, processes=False, dashboard_address=None)
    try:
        dask = DaskExecutor(address=cluster.scheduler_address)
        try:
            yield cluster, dask
        finally:
            dask.close()
    finally:
        cluster.close()


class _Counted:
    """Tasks 0, 1, … made one at a time, counting how many were drawn."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.drawn = 0

    def __iter__(self) -> Iterator[int]:
        for i in range(self.n):
            self.drawn += 1
            yield i


def _square(x: int) -> int:
    return x * x


def test_the_dask_executor_draws_tasks_lazily() -> None:
    from supplysim.experiments.executors import WINDOW_PER_WORKER

    with _dask(threads=2) as (_, dask):
        tasks = _Counted(100)
        window = WINDOW_PER_WORKER * 2
        assert dask.window() == window
        results = {}
        for index, value in dask.map_unordered(_square, iter(tasks)):
            assert tasks.drawn <= window + len(results) + 1  # never more than the window ahead
            results[index] = value
        assert results == {i: i * i for i in range(100)}


def test_the_dask_window_grows_with_the_cluster() -> None:
    """A worker that joins during a run gets tasks: the window is asked again after each result."""
    from supplysim.experiments.executors import WINDOW_PER_WORKER

    with _dask(threads=1) as (cluster, dask):
        tasks = _Counted(60)
        ahead = []
        results = {}
        for index, value in dask.map_unordered(_square, iter(tasks)):
            results[index] = value
            ahead.append(tasks.drawn - len(results))
            if len(results) == 1:
                cluster.scale(2)
                dask.client.wait_for_workers(2, timeout=60)
        assert results == {i: i * i for i in range(60)}
        assert max(ahead[:1]) <= WINDOW_PER_WORKER
        assert max(ahead) > WINDOW_PER_WORKER, ahead  # the second worker's share was drawn too
