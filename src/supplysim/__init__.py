"""supplysim: a discrete-event supply-chain simulator for stockout policy decisions.

Take backorders, or show "out of stock"? Load a scenario, run its policies side by
side with common random numbers, and read the comparison with confidence intervals::

    import supplysim
    results = supplysim.run(supplysim.load_scenario("scenarios/backorder_vs_out_of_stock.yaml"))
    results.summary()            # a pandas DataFrame: policy, kpi, mean, sd, ci95_half_width, …
    results.verdict()            # the comparison in plain words
    results.to_folder("results/flagship")

The names below are imported on first use (PEP 562), so ``import supplysim`` and the
command line's light commands do not pay for pandas, SciPy or Matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "CompareResults": "supplysim.api",
    "Experiment": "supplysim.analysis.experiment",
    "ModelConfig": "supplysim.scenario",
    "Results": "supplysim.api",
    "Scenario": "supplysim.scenario",
    "ScenarioError": "supplysim.scenario",
    "backtest": "supplysim.api",
    "compare": "supplysim.api",
    "fit": "supplysim.api",
    "fit_catalog": "supplysim.api",
    "load_scenario": "supplysim.scenario",
    "optimize": "supplysim.api",
    "run": "supplysim.api",
    "run_catalog": "supplysim.api",
    "run_experiment": "supplysim.experiments.runner",
    "run_sweep": "supplysim.api",
    "simulate": "supplysim.sim.replication",
}
"""Public name → the module that defines it."""

__all__ = [
    "CompareResults",
    "Experiment",
    "ModelConfig",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "backtest",
    "compare",
    "fit",
    "fit_catalog",
    "load_scenario",
    "optimize",
    "run",
    "run_catalog",
    "run_experiment",
    "run_sweep",
    "simulate",
]

if TYPE_CHECKING:
    from supplysim.analysis.experiment import Experiment
    from supplysim.api import (
        CompareResults,
        Results,
        backtest,
        compare,
        fit,
        fit_catalog,
        optimize,
        run,
        run_catalog,
        run_sweep,
    )
    from supplysim.experiments.runner import run_experiment
    from supplysim.scenario import ModelConfig, Scenario, ScenarioError, load_scenario
    from supplysim.sim.replication import simulate

    __version__: str


def _version() -> str:
    """The installed distribution's version (``importlib.metadata`` is itself slow to import)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("supplysim")
    except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
        globals()[name] = value
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'supplysim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
