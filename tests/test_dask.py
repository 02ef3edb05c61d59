"""Distributed execution: a Dask cluster gives exactly the numbers of the local pool.

A ``distributed.LocalCluster`` on loopback (two worker processes) stands in for a
real cluster: the executor only sees its scheduler address, as it would for a remote
one. Results are placed by task index, so every executor must give repr-identical
per-replication values, and the CLI a byte-identical ``summary.json``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clirun import cli
from scenario_texts import tiny
from supplysim.api import run
from supplysim.experiments.executors import DaskExecutor, InProcess, LocalPool, make_executor
from supplysim.experiments.optimize import Constraint, optimize
from supplysim.experiments.runner import run_experiment
from supplysim.experiments.sweep import run_sweep
from supplysim.scenario import Scenario
from supplysim.scenario.load import load_scenario

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # worker processes import supplysim, numpy and scipy: several seconds per cluster

TINY = tiny(replications=6, seed=3)


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("dask") / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    return p


def assert_same_files(a: Path, b: Path) -> None:
    """summary.json, summary.csv and replications.csv byte-identical (first differing line on failure)."""
    for name in ("summary.json", "summary.csv", "replications.csv"):
        x, y = (a / name).read_text().splitlines(), (b / name).read_text().splitlines()
        diff = next(((i, p, q) for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), None)
        assert diff is None and len(x) == len(y), (name, diff, len(x), len(y))
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_dask_cluster_gives_the_local_numbers(path: Path, tmp_path: Path) -> None:
    """One cluster for every check (with pytest-xdist, a fixture would start one per test process)."""
    scenario: Scenario = load_scenario(path)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        address = cluster.scheduler_address
        dask = DaskExecutor(address=address)
        try:
            # an experiment: Dask, the local pool and this process agree to the last digit
            on_dask = run_experiment(scenario, executor=dask)
            pooled = run_experiment(scenario, executor=LocalPool(2))
            here = run_experiment(scenario, executor=InProcess())
            assert repr(on_dask.values) == repr(pooled.values) == repr(here.values)
            assert all(len(v) == scenario.replications for v in on_dask.values.values())
            assert len(dask.client.scheduler_info()["workers"]) == 2  # the tasks ran on the cluster

            # the API's precision loop (batches of further replication indices)
            a = run(path, executor=dask, precision=1e-6, max_replications=9)
            assert a.precision is not None and a.precision.replications == 9
            assert repr(a.experiment.values) == repr(run(path, workers=1, replications=9).experiment.values)

            # sweep points and optimisation
            params = [("store.max_quoted_wait", [1, 4])]
            sa = run_sweep(scenario, params, executor=dask)
            sb = run_sweep(scenario, params, workers=1)
            assert [repr(e.values) for e in sa.experiments] == [repr(e.values) for e in sb.experiments]
            over = [("replenishment.reorder_point", [4, 8, 12])]
            cons = [Constraint("fill_rate", ">=", 0.5)]
            oa = optimize(scenario, over, constraints=cons, n1=3, n2=6, executor=dask)
            ob = optimize(scenario, over, constraints=cons, n1=3, n2=6, workers=1)
            assert oa.to_dict() == ob.to_dict()
        finally:
            dask.close()

        # the command line pointed at the running scheduler
        common = ["run", str(path), "--quiet", "--no-report"]
        d = cli(tmp_path, *common, "--executor", "dask", "--address", address, "--out", "on_dask")
        assert d.returncode == 0, d.stderr
        local = cli(tmp_path, *common, "--workers", "1", "--out", "local")
        assert local.returncode == 0, local.stderr
        assert_same_files(tmp_path / "on_dask", tmp_path / "local")
        assert len(cluster.scheduler_info["workers"]) == 2  # the CLI disconnected; the cluster is still up
    finally:
        cluster.close()


def test_cli_dask_starts_its_own_cluster(path: Path, tmp_path: Path) -> None:
    """Without --address the command starts a local cluster (of one worker process: enough to show it)."""
    common = ["run", str(path), "--quiet", "--no-report"]
    d = cli(tmp_path, *common, "--executor", "dask", "--workers", "1", "--out", "on_dask")
    assert d.returncode == 0, d.stderr
    local = cli(tmp_path, *common, "--workers", "1", "--out", "local")
    assert local.returncode == 0, local.stderr
    assert_same_files(tmp_path / "on_dask", tmp_path / "local")


def test_address_without_dask_is_invalid(path: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_executor("local", 2, "tcp://127.0.0.1:8786")
    proc = cli(tmp_path, "run", str(path), "--address", "tcp://127.0.0.1:8786", "--out", "o", "--quiet")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("address", ["notaurl", "tcp://host", "tcp://host:port", "http://"])
def test_an_address_that_is_not_host_and_port_is_refused_at_once(path: Path, tmp_path: Path, address: str) -> None:
    """Named as --address, with the form and an example, before any connection is tried."""
    proc = cli(tmp_path, "run", str(path), "--executor", "dask", "--address", address, "--out", "o", "--quiet")
    assert proc.returncode == 2 and proc.stderr.startswith(f"error: --address {address!r}: expected")
    assert "tcp://HOST:PORT" in proc.stderr and not (tmp_path / "o").exists()
