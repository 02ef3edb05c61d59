"""What a catalog run costs beyond its simulations: throughput, memory, and Dask scaling.

What it measures
----------------
The catalog is :data:`PRODUCTS` small products (default 2,000) of the example template
``scenarios/catalog/template.yaml`` (three stockout policies) with a horizon of
:data:`HORIZON` days after a :data:`WARMUP`-day warm-up and :data:`REPLICATIONS` replications:
each product's demand rate is drawn lognormal around 2 customers a day (seeded), its reorder
point follows its lead-time demand. Three measurements:

1. **Orchestration cost.** Simulated customers per CPU-second of the whole catalog run in this
   process (``supplysim.run_catalog`` with the in-process executor and no page: reading and
   validating the table, planning chunks, building each product's scenario, simulating, the
   journal, assembling the folder) against *one large scenario* run in the same process: the
   template at the catalog's mean demand rate with a horizon long enough for about a quarter of
   the catalog's customers, through ``run_experiment``. The runs alternate (catalog, large,
   catalog, large, …) so a slow spell of the shared machine hits both; each figure is the
   median over ``--repeats``. A third line runs the same products one by one with
   ``run_experiment`` (no table, journal or files): catalog / that is the cost of the catalog's
   own machinery, while large / that is the cost of a product being small (per-replication
   set-up, a short run's share of stockouts). Target: catalog ≥ 0.8 × large. ``time.process_time`` counts this
   process only, which is why both run in-process. ``--horizon`` sets the products' size (default
   :data:`HORIZON` days plus the warm-up: about 490 customers per product and replication at the
   default 2,000 products, 444 at 200; the line printed says): the costs per product
   and per replication weigh less as it grows.
2. **Memory.** Peak resident set size (``ru_maxrss``) of a fresh process that runs a catalog of
   ``--rss-small`` and of ``--rss-large`` products (default 2,000 and 20,000; tiny products:
   horizon 5 days, 2 replications, so that the large one takes minutes, not hours) on the local
   pool with two workers: the parent's peak and the largest worker's. Target: the 20,000-product
   peak within 1.2 × the 2,000-product peak (the plan keeps one place per chunk, the tasks are made
   as they are drawn, results are streamed to disk and assembled from it, not held).
3. **The page's memory.** The ``tracemalloc`` peak of building the page alone
   (``supplysim.report.catalog.page_files``: ``report.html`` and its figures) from a folder of
   ``--page-small`` and of ``--page-large`` products (default 2,000 and 20,000), in a fresh process
   after a first page built to warm the imports and font caches. The folders are made from one run
   of the example catalog (``scenarios/catalog/``, 200 products, 10 replications, 2 workers): its
   ``recommendations.csv`` rows repeated under new skus, its ``portfolio.json`` and ``scenario.yaml``
   as they are. Printed: both peaks and the growth per extra product.
4. **Dask scaling.** Customers per wall-clock second of the catalog (``--dask-products`` of them)
   on a ``distributed.LocalCluster`` on loopback with one worker process and with two (one
   thread each), ``--repeats`` rounds of both in alternating order; the figure is the median of
   the rounds' ratios. Target: ≥ 1.6 × on two quiet cores. The load average before and after is
   printed: on a shared machine other work takes cores away and the ratio drops with it.

Usage::

    .venv/bin/python benchmarks/catalog.py                 # everything (≈ 20–30 minutes on 2 shared cores)
    .venv/bin/python benchmarks/catalog.py --quick         # 200 products, a smoke run
    .venv/bin/python benchmarks/catalog.py --only throughput --repeats 3
    .venv/bin/python benchmarks/catalog.py --only throughput --products 200 --horizon 720   # larger products
    make bench-catalog
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "scenarios" / "catalog" / "template.yaml"
PRODUCTS = 2000
HORIZON = 180
WARMUP = 30
REPLICATIONS = 3
MEAN_UNITS = 1.15
"""Mean units per customer of the template's demand.quantity."""
LEAD_TIME = 7.0
"""The template's mean lead time [days]."""


def template_text(horizon: float, warmup: float, replications: int) -> str:
    """The example template with the benchmark's horizon, warm-up and replications."""
    out = []
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        key = line.split(":", 1)[0]
        if key == "horizon":
            line = f"horizon: {horizon:g}"
        elif key == "warmup":
            line = f"warmup: {warmup:g}"
        elif key == "replications":
            line = f"replications: {replications}"
        out.append(line)
    return "\n".join(out) + "\n"


def products_csv(n: int, seed: int = 7) -> tuple[str, float]:
    """A table of ``n`` small products and their mean demand rate [customers/day]."""
    rng = np.random.default_rng(seed)
    rates = np.clip(rng.lognormal(np.log(2.0), 0.6, size=n), 0.2, 20.0)
    prices = np.round(np.exp(rng.normal(np.log(30.0), 0.5, size=n)), 2)
    lines = [
        "sku,demand.rate,product.price,supplier.unit_cost,replenishment.reorder_point,replenishment.order_quantity"
    ]
    for i, (rate, price) in enumerate(zip(rates, prices, strict=True)):
        ltd = rate * MEAN_UNITS * LEAD_TIME
        lines.append(
            f"B-{i + 1:06d},{rate:.3f},{price:.2f},{price * 0.6:.2f},{max(1, round(ltd))},{max(2, round(ltd * 2))}"
        )
    return "\n".join(lines) + "\n", float(rates.mean())


def _customers_of(folder: Path, warmup_factor: float = 1.0) -> float:
    """Customers simulated by a finished catalog: Σ over products and policies of mean × n (the measured
    period), times ``warmup_factor`` = (horizon + warm-up) / horizon to count the warm-up's too."""
    total = 0.0
    with open(folder / "catalog.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["kpi"] == "customers":
                total += float(row["mean"]) * int(row["n"])
    return total * warmup_factor


def _write_inputs(where: Path, n: int, horizon: float, warmup: float, replications: int) -> tuple[Path, Path, float]:
    table, mean_rate = products_csv(n)
    (where / "template.yaml").write_text(template_text(horizon, warmup, replications), encoding="utf-8")
    (where / "products.csv").write_text(table, encoding="utf-8")
    return where / "template.yaml", where / "products.csv", mean_rate


def throughput(n: int, repeats: int, horizon: float = HORIZON) -> dict[str, float]:
    """Customers per CPU-second: the catalog in-process against one large scenario (medians), the
    products simulated over ``horizon`` days after the warm-up."""
    from supplysim.api import run_catalog
    from supplysim.experiments.executors import InProcess
    from supplysim.experiments.runner import run_experiment
    from supplysim.scenario.load import load_scenario, with_overrides

    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        template, table, mean_rate = _write_inputs(where, n, horizon, WARMUP, REPLICATIONS)
        expected = n * mean_rate * (horizon + WARMUP) * REPLICATIONS * 3
        large_horizon = expected / 4 / (mean_rate * REPLICATIONS * 3)
        large = with_overrides(load_scenario(template), [("demand.rate", mean_rate), ("horizon", large_horizon)])
        rows = list(csv.DictReader(table.open(encoding="utf-8")))
        base = load_scenario(template)
        cat_rates, big_rates, cat_cpu, direct_rates = [], [], [], []
        for k in range(repeats):
            t0 = time.process_time()
            run_catalog(template, table, out=where / f"out{k}", executor=InProcess())
            dt = time.process_time() - t0
            customers = _customers_of(where / f"out{k}", (horizon + WARMUP) / horizon)
            cat_rates.append(customers / dt)
            cat_cpu.append(dt)
            t0 = time.process_time()
            exp = run_experiment(large, executor=InProcess())
            dt = time.process_time() - t0
            big = sum(exp.summary(p, "customers").mean * exp.summary(p, "customers").n for p in large.policies)
            big_rates.append(big * (large.horizon + large.warmup) / large.horizon / dt)
            # the same products one by one, without the catalog's machinery (table, seeds, journal, files)
            t0 = time.process_time()
            simulated = 0.0
            for row in rows:
                sc = with_overrides(base, [(k, float(v)) for k, v in row.items() if k != "sku"])
                e = run_experiment(sc, executor=InProcess())
                simulated += sum(e.summary(p, "customers").mean * e.summary(p, "customers").n for p in sc.policies)
            dt = time.process_time() - t0
            direct_rates.append(simulated * (horizon + WARMUP) / horizon / dt)
            print(
                f"  repeat {k + 1}: catalog {cat_rates[-1]:,.0f} customers/CPU-s ({customers:,.0f} customers, "
                f"{cat_cpu[-1]:.1f} s); large {big_rates[-1]:,.0f}; the products one by one {direct_rates[-1]:,.0f}",
                flush=True,
            )
    c, b, d = statistics.median(cat_rates), statistics.median(big_rates), statistics.median(direct_rates)
    rounds = [x / y for x, y in zip(cat_rates, big_rates, strict=True)]
    alone = [x / y for x, y in zip(direct_rates, big_rates, strict=True)]
    return {
        "catalog": c,
        "large": b,
        "direct": d,
        "ratio": c / b,
        "overhead": c / d,
        "rounds_low": min(rounds),
        "rounds_median": statistics.median(rounds),
        "rounds_high": max(rounds),
        "direct_vs_large": statistics.median(alone),
        "per_replication": mean_rate * (horizon + WARMUP),
    }


def _rss_child(n: int, out: Path) -> None:
    """In a fresh process: one catalog on two local workers; prints the peaks as JSON."""
    from supplysim.api import run_catalog

    with tempfile.TemporaryDirectory() as tmp:
        template, table, _ = _write_inputs(Path(tmp), n, 5, 0, 2)
        run_catalog(template, table, out=out, workers=2)
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"parent_kib": me, "worker_kib": kids}))


def peak_rss(n: int) -> dict[str, float]:
    """Peak RSS [MiB] of a process running a catalog of ``n`` tiny products (and of its largest worker)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--rss-child", str(n), "--rss-out", str(Path(tmp) / "out")],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - t0
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"parent_mib": data["parent_kib"] / 1024, "worker_mib": data["worker_kib"] / 1024, "wall_s": wall}


def dask_scaling(n: int, repeats: int = 3) -> dict[str, float]:
    """Customers per wall-clock second of an ``n``-product catalog on a LocalCluster of 1 and of 2
    workers, ``repeats`` rounds of both (in turn 1 then 2, 2 then 1, …, so a slow spell of the
    shared machine hits both alike): the median of each, and the median and range of the rounds'
    ratios."""
    import distributed

    from supplysim.api import run_catalog
    from supplysim.experiments.executors import DaskExecutor

    rates: dict[int, list[float]] = {1: [], 2: []}
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        template, table, _ = _write_inputs(where, n, HORIZON, WARMUP, REPLICATIONS)
        for r in range(repeats):
            round_rate = {}
            for workers in (1, 2) if r % 2 == 0 else (2, 1):
                cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
                )
                try:
                    dask = DaskExecutor(address=cluster.scheduler_address)
                    try:
                        dask.client.run(
                            lambda: __import__("supplysim.experiments.catalog")
                        )  # warm the workers' imports
                        out = where / f"dask{workers}-{r}"
                        t0 = time.perf_counter()
                        run_catalog(template, table, out=out, executor=dask)
                        wall = time.perf_counter() - t0
                    finally:
                        dask.close()
                finally:
                    cluster.close()
                round_rate[workers] = _customers_of(out) / wall
                rates[workers].append(round_rate[workers])
                print(
                    f"  round {r + 1}, LocalCluster, {workers} worker(s): "
                    f"{round_rate[workers]:,.0f} customers/s ({wall:.1f} s)"
                )
            ratios.append(round_rate[2] / round_rate[1])
    return {
        "workers_1": statistics.median(rates[1]),
        "workers_2": statistics.median(rates[2]),
        "ratio": statistics.median(ratios),
        "rounds_low": min(ratios),
        "rounds_high": max(ratios),
    }


EXAMPLE = ROOT / "scenarios" / "catalog"


def page_folders(where: Path, sizes: list[int]) -> dict[int, Path]:
    """Catalog folders of ``sizes`` products for the page: one run of the example catalog, its rows repeated."""
    from supplysim.api import run_catalog

    base = where / "example"
    run_catalog(EXAMPLE / "template.yaml", EXAMPLE / "products.csv", out=base, workers=2)
    with open(base / "recommendations.csv", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    out = {}
    for n in sizes:
        folder = where / f"page{n}"
        folder.mkdir()
        for name in ("portfolio.json", "scenario.yaml"):
            (folder / name).write_bytes((base / name).read_bytes())
        with open(folder / "recommendations.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            for i in range(n):
                row = list(rows[i % len(rows)])
                if i >= len(rows):
                    row[0] = f"{row[0]}-{i // len(rows)}"
                writer.writerow(row)
        out[n] = folder
    return out


def _page_child(folder: Path, warm: Path) -> None:
    """In a fresh process: the ``tracemalloc`` peak of building ``folder``'s page, after one of ``warm``."""
    import tracemalloc

    from supplysim.report.catalog import page_files

    page_files(warm)
    tracemalloc.start()
    page_files(folder)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"peak_bytes": peak}))


def page_peak(folder: Path, warm: Path) -> float:
    """The page's ``tracemalloc`` peak [MiB] for ``folder``, in a fresh process."""
    proc = subprocess.run(
        [sys.executable, __file__, "--page-child", str(folder), "--page-warm", str(warm)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["peak_bytes"]) / 2**20


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=PRODUCTS, help="products of the throughput run")
    parser.add_argument(
        "--repeats", type=int, default=3, help="rounds of the throughput and of the Dask lines (medians)"
    )
    parser.add_argument(
        "--horizon", type=float, default=HORIZON, help="days each product of the throughput run is simulated (the size)"
    )
    parser.add_argument("--rss-small", type=int, default=2000)
    parser.add_argument("--rss-large", type=int, default=20000)
    parser.add_argument("--dask-products", type=int, default=PRODUCTS)
    parser.add_argument("--page-small", type=int, default=2000)
    parser.add_argument("--page-large", type=int, default=20000)
    parser.add_argument("--only", choices=("throughput", "memory", "page", "dask"), action="append")
    parser.add_argument("--quick", action="store_true", help="200 products, 1 repeat, memory at 200 and 2,000")
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rss-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--page-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--page-warm", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.page_child:
        _page_child(args.page_child, args.page_warm)
        return 0
    if args.rss_child:
        _rss_child(args.rss_child, args.rss_out)
        return 0
    if args.quick:
        args.products, args.repeats, args.rss_small, args.rss_large, args.dask_products = 200, 1, 200, 2000, 200
    parts = set(args.only or ("throughput", "memory", "page", "dask"))
    print(f"machine: {os.cpu_count()} cores, {platform.python_version()}, load average (1/5/15 min) {_load()}")
    ok = True
    if "throughput" in parts:
        print(
            f"throughput: {args.products:,} products × 3 policies × {REPLICATIONS} replications × "
            f"{args.horizon:g} days after a {WARMUP}-day warm-up"
        )
        t = throughput(args.products, args.repeats, args.horizon)
        verdict = "ok" if t["ratio"] >= 0.8 else "BELOW the 0.8× target"
        print(
            f"  catalog {t['catalog']:,.0f} / large {t['large']:,.0f} customers per CPU-second: "
            f"{t['ratio']:.2f}× ({verdict}); against the same products run one by one: {t['overhead']:.2f}×; "
            f"load average {_load()}"
        )
        print(
            f"  per round (catalog and large run back to back): catalog / large {t['rounds_median']:.2f}× "
            f"(rounds {t['rounds_low']:.2f}–{t['rounds_high']:.2f}); the products one by one / large "
            f"{t['direct_vs_large']:.2f}× (what small products cost without the catalog's machinery); "
            f"about {t['per_replication']:,.0f} customers per product and replication"
        )
        ok &= t["ratio"] >= 0.8
    if "memory" in parts:
        small, large = peak_rss(args.rss_small), peak_rss(args.rss_large)
        ratio = large["parent_mib"] / small["parent_mib"]
        print(
            f"memory: peak RSS {args.rss_small:,} products {small['parent_mib']:.1f} MiB (worker "
            f"{small['worker_mib']:.1f}, {small['wall_s']:.0f} s), {args.rss_large:,} products "
            f"{large['parent_mib']:.1f} MiB (worker {large['worker_mib']:.1f}, {large['wall_s']:.0f} s): "
            f"{ratio:.2f}× ({'ok' if ratio <= 1.2 else 'ABOVE the 1.2× target'})"
        )
        ok &= ratio <= 1.2
    if "page" in parts:
        small_n, large_n = args.page_small, args.page_large
        with tempfile.TemporaryDirectory() as tmp:
            folders = page_folders(Path(tmp), [200, small_n, large_n])
            small_mib = page_peak(folders[small_n], folders[200])
            large_mib = page_peak(folders[large_n], folders[200])
        per = (large_mib - small_mib) * 2**20 / max(1, large_n - small_n)
        print(
            f"page: tracemalloc peak {small_n:,} products {small_mib:.1f} MiB, {large_n:,} products "
            f"{large_mib:.1f} MiB: {per:,.0f} bytes per extra product; load average {_load()}"
        )
    if "dask" in parts:
        print(f"dask: {args.dask_products:,} products, load average before {_load()}")
        d = dask_scaling(args.dask_products, args.repeats)
        print(f"  2 workers / 1 worker: {d['ratio']:.2f}×, median of the rounds ({d['rounds_low']:.2f}–"
              f"{d['rounds_high']:.2f}; {'ok' if d['ratio'] >= 1.6 else 'BELOW the 1.6× target'}); "
              f"load average after {_load()}")  # fmt: skip
        ok &= d["ratio"] >= 1.6
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
