"""supplysim: a discrete-event supply-chain simulator for stockout policy decisions.

Take backorders, or show "out of stock"? Load a scenario, run its policies side by
side with common random numbers, and read the comparison with confidence intervals::

    import supplysim
    results = supplysim.run(supplysim.load_scenario("scenarios/backorder_vs_out_of_stock.yaml"))
    results.summary()            # a pandas DataFrame: policy, kpi, mean, sd, ci95_half_width, …
    results.verdict()            # the comparison in plain words
    results.to_folder("results/flagship")
"""

from __future__ import annotations

__version__ = "0.1.0"

from supplysim.api import Results, run
from supplysim.experiment import Experiment, run_experiment
from supplysim.loader import ScenarioError, load_scenario
from supplysim.optimize import optimize
from supplysim.scenario import ModelConfig, Scenario
from supplysim.sim.model import simulate
from supplysim.sweep import run_sweep

__all__ = [
    "Experiment",
    "ModelConfig",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "optimize",
    "run",
    "run_experiment",
    "run_sweep",
    "simulate",
]
