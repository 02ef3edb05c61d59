"""A catalog gives the same bytes in this process, on a local pool and on a Dask cluster.

A ``distributed.LocalCluster`` on loopback with two worker processes stands in for a real
cluster: ``supplysim catalog --executor dask --address`` only sees its scheduler's address, as it
would for a remote one. Every output file (``recommendations.csv``, ``catalog.csv``,
``portfolio.json``, the copied table, the template and the page with its figures) must be
byte-identical to ``--workers 1`` and ``--workers 2``: a product's random numbers come from its sku,
and finished chunks are assembled in table order whatever order they finish in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clirun import cli

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # worker processes import supplysim, numpy and scipy: a few seconds per cluster

TEMPLATE = """\
name: shop
horizon: 25
warmup: 5
replications: 3
seed: 4
product: {price: 12, holding_cost: 0.05, backorder_cost: 0.2, lost_sale_cost: 2}
demand: {rate: 3}
segments:
  - {name: planner, share: 0.6, accept_backorder: 0.9, patience: {dist: exponential, mean: 6}}
  - {name: impulse, share: 0.4, accept_backorder: 0.3, patience: {dist: exponential, mean: 1}}
supplier: {lead_time: {dist: gamma, mean: 3, cv: 0.5}, unit_cost: 6, order_cost: 5}
store: {initial_stock: 8, stockout: backorder}
replenishment: {policy: rQ, reorder_point: 6, order_quantity: 10}
policies:
  backorder: {}
  out_of_stock: {store: {stockout: lost_sales}}
  hybrid_2: {store: {max_quoted_wait: 2}}
"""

PRODUCTS = """\
sku,name,demand.rate,product.price,supplier.lead_time.mean,replenishment.reorder_point
A-1,Mug,4,9,2,5
A-2,Chair,1,80,5,3
A-3,Cable,6,4,,8
A-4,Lamp,2,30,3,
A-5,Rug,0.5,60,6,1
A-6,Kettle,3,25,2,40
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_workers_and_a_dask_cluster_write_the_same_bytes(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    # one product per task, so the tasks really are spread over the workers and finish out of order
    common = ["catalog", "shop.yaml", "products.csv", "--quiet", "--chunk-products", "1"]
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        address = cluster.scheduler_address
        on_dask = cli(tmp_path, *common, "--executor", "dask", "--address", address, "--out", "dask")
        assert on_dask.returncode == 0, on_dask.stderr
        assert len(cluster.scheduler_info["workers"]) == 2  # the command disconnected; the cluster is still up
    finally:
        cluster.close()
    one = cli(tmp_path, *common, "--workers", "1", "--out", "one")
    assert one.returncode == 0, one.stderr
    two = cli(tmp_path, *common, "--workers", "2", "--out", "two", "--no-report")
    assert two.returncode == 0, two.stderr

    reference = _files(tmp_path / "one")
    assert {"recommendations.csv", "catalog.csv", "portfolio.json", "report.html", "plots/gains.png"} <= set(reference)
    assert reference.keys() == _files(tmp_path / "dask").keys()
    for name, data in _files(tmp_path / "dask").items():
        assert data == reference[name], name
    pooled = _files(tmp_path / "two")
    assert "report.html" not in pooled
    for name, data in pooled.items():
        assert data == reference[name], name
    rows = reference["recommendations.csv"].decode().splitlines()
    assert [r.split(",", 1)[0] for r in rows[1:]] == ["A-1", "A-2", "A-3", "A-4", "A-5", "A-6"]
