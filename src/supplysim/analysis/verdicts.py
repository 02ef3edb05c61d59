"""The words of a regression check: the verdict on one indicator and which verdicts fail a run.

Kept apart from :mod:`supplysim.analysis.regression` (which needs SciPy) so that the command
line can name the choices of ``--fail-on`` without importing the statistics.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FailOn", "Verdict"]


class Verdict(StrEnum):
    """The outcome for one indicator; the value is the word written in the reports."""

    IDENTICAL = "identical"
    WITHIN_NOISE = "within noise"
    WORSE = "worse"
    """A real change (significant and larger than the tolerance) in the direction the KPI
    registry calls worse."""
    BETTER = "better"
    """A real change in the direction the registry calls better."""
    CHANGED = "changed"
    """A real change of an indicator that has no better direction (counts, volumes), or a
    number defined in only one of the runs."""
    MISSING = "missing"
    """In the baseline, not in this run (a failure)."""
    NEW = "new"
    """In this run, not in the baseline (not a failure: ``--update`` records it)."""


class FailOn(StrEnum):
    """Which verdicts fail a check run (``supplysim check --fail-on``).

    ``change`` (the default) fails on any real change: for a benchmark of the model, a fill
    rate that moves up is as much a change of the model as one that moves down, and is to be
    reviewed and recorded with ``--update``. ``worse`` fails only on changes in the worse
    direction of the KPI registry (a policy gate: "profit must not drop").
    Indicators missing from the run fail under both.
    """

    CHANGE = "change"
    WORSE = "worse"

    def fails(self, verdict: Verdict) -> bool:
        """Whether an indicator with ``verdict`` fails the run."""
        if self is FailOn.WORSE:
            return verdict in (Verdict.WORSE, Verdict.MISSING)
        return verdict in (Verdict.WORSE, Verdict.BETTER, Verdict.CHANGED, Verdict.MISSING)
