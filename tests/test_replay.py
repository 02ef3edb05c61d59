"""Customers drawn once per replication and replayed to every policy give the drawn numbers.

:class:`~supplysim.sim.replay.CustomerReplay` hands the next policy of a replication the
customers the first one drew. Every number and every trace row must be those of drawing them
again: for the shipped scenarios, for policies whose customer sections differ (no replay),
when a replication expects more customers than the cap, and when one holds more than the limit.
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from supplysim.experiments import runner
from supplysim.experiments.executors import InProcess
from supplysim.scenario import Scenario
from supplysim.scenario.load import load_scenario, parse_scenario
from supplysim.sim import simulate
from supplysim.sim.replay import CustomerReplay

ROOT = Path(__file__).resolve().parents[1]
FINGERPRINT = ROOT / "benchmarks" / "fingerprint.py"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "scenarios" / "catalog" / "template.yaml"]


def _fingerprint_module() -> ModuleType:
    """``benchmarks/fingerprint.py``, whose :func:`as_plain` writes a result to the last bit."""
    spec = importlib.util.spec_from_file_location("supplysim_benchmark_fingerprint", FINGERPRINT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_plain = _fingerprint_module().as_plain


def _runs(sc: Scenario, replay: CustomerReplay | None, horizon: float) -> list[Any]:
    """Every replication (0, 1) of every policy, in the runner's order (policies within a
    replication), traced: each result as plain text."""
    out = []
    for r in range(2):
        for cfg in sc.policies.values():
            result = simulate(
                cfg, seed=sc.seed, replication=r, horizon=horizon, warmup=sc.warmup, trace=True, replay=replay
            )
            out.append(_plain(result))
    return out


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_replayed_customers_give_the_numbers_of_drawn_ones(path: Path) -> None:
    """Every shipped scenario; a network draws its own customers at every location, so it is
    never replayed, and handing it a replay changes nothing either."""
    sc = load_scenario(path)
    horizon = min(sc.horizon, 150.0)
    replay = CustomerReplay()
    assert _runs(sc, replay, horizon) == _runs(sc, None, horizon)
    if sc.network is not None:
        assert replay.replayed == 0
    if len(sc.policies) > 1 and path.stem in ("template", "backorder_vs_out_of_stock"):
        assert replay.replayed == 2 * (len(sc.policies) - 1)  # every policy after the first, each replication


DIFFERENT = """
    name: different
    horizon: 60
    seed: 3
    demand: {rate: 4, quantity: {dist: choice, values: [1, 2], weights: [3, 1]}}
    segments:
      - {name: a, share: 0.5, accept_backorder: 0.8, patience: {dist: exponential, mean: 5}}
      - {name: b, share: 0.5, accept_backorder: 0.2, max_wait: 3}
    supplier: {lead_time: {dist: exponential, mean: 4}}
    store: {initial_stock: 5}
    replenishment: {policy: rQ, reorder_point: 6, order_quantity: 10}
    policies:
      base: {}
      same_customers: {store: {stockout: lost_sales}}
      other_shares:
        segments:
          - {name: a, share: 0.8, accept_backorder: 0.8, patience: {dist: exponential, mean: 5}}
          - {name: b, share: 0.2, accept_backorder: 0.2, max_wait: 3}
      other_rate: {demand: {rate: 5}}
      same_again: {replenishment: {reorder_point: 8}}
"""


def test_policies_with_other_customers_draw_their_own() -> None:
    """Only a policy whose customer sections equal those just drawn replays them."""
    sc = parse_scenario(textwrap.dedent(DIFFERENT), file="<test>")
    replay = CustomerReplay()
    assert _runs(sc, replay, sc.horizon) == _runs(sc, None, sc.horizon)
    assert replay.replayed == 2  # same_customers after base, in each replication; nothing else


@pytest.mark.parametrize(("cap", "limit"), [(1.0, None), (1e9, 20.0)], ids=["cap", "limit"])
def test_a_replication_past_the_cap_or_the_limit_is_drawn(cap: float, limit: float | None) -> None:
    """Expecting more customers than the cap, or holding more than the limit: every policy
    draws its own, the same numbers."""
    sc = load_scenario(ROOT / "scenarios" / "catalog" / "template.yaml")
    replay = CustomerReplay(cap=cap, limit=limit)
    assert _runs(sc, replay, 120.0) == _runs(sc, None, 120.0)
    assert replay.replayed == 0
    assert _runs(sc, CustomerReplay(), 120.0) == _runs(sc, None, 120.0)  # and replayed below both


def test_an_experiment_replays_within_each_replication(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_experiment (tasks in the runner's order, in this process) replays the customers of
    each replication to the policies after the first; its indicators are those without replay."""
    sc = load_scenario(ROOT / "scenarios" / "catalog" / "template.yaml", [("replications", 3), ("horizon", 90)])
    mine = CustomerReplay()
    monkeypatch.setattr(runner, "_replay", lambda: mine)
    replayed = runner.run_experiment(sc, executor=InProcess())
    monkeypatch.setattr(runner, "_replay", lambda: CustomerReplay(cap=0.0))
    drawn = runner.run_experiment(sc, executor=InProcess())
    assert mine.replayed == 3 * (len(sc.policies) - 1)
    assert repr(replayed.values) == repr(drawn.values)
