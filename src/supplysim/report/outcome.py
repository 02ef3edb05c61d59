"""What presentation reads: an experiment's results (and how a precision run ended), as data."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from supplysim.analysis.experiment import Experiment
from supplysim.experiments.precision import Precision

__all__ = ["HasExperiment", "Outcome", "experiment_of", "precision_of"]


@runtime_checkable
class HasExperiment(Protocol):
    """Anything that carries an experiment (e.g. :class:`supplysim.api.Results`)."""

    @property
    def experiment(self) -> Experiment: ...


Outcome = Experiment | HasExperiment
"""Figures and pages accept an :class:`Experiment` or an object that carries one."""


def experiment_of(results: Outcome) -> Experiment:
    """The experiment behind ``results``."""
    return results if isinstance(results, Experiment) else results.experiment


def precision_of(results: Outcome) -> Precision | None:
    """How a precision run ended, when ``results`` carries that (else None)."""
    value = getattr(results, "precision", None)
    return value if isinstance(value, Precision) else None
