"""supplysim: a discrete-event supply-chain simulator for stockout policy decisions.

Take backorders, or show "out of stock"? Load a scenario, run its policies side by
side with common random numbers, and read the comparison with confidence intervals::

    from supplysim import load_scenario, run_experiment
    exp = run_experiment(load_scenario("scenarios/backorder_vs_out_of_stock.yaml"))
    exp.summary("backorder", "profit")
"""

from __future__ import annotations

__version__ = "0.1.0"

from supplysim.experiment import Experiment, run_experiment
from supplysim.loader import ScenarioError, load_scenario
from supplysim.scenario import ModelConfig, Scenario
from supplysim.sim.model import simulate

__all__ = [
    "Experiment",
    "ModelConfig",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "run_experiment",
    "simulate",
]
