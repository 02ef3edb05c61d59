"""Statistical checks of simulated numbers against theory, shared by the statistical tests.

A check compares the mean of independent replication values with a theoretical value.
The tolerance is the Student-t confidence half-width t_{1−α/2, n−1}·s/√n (Law 2015,
eq. 4.12) plus, where an estimator is only asymptotically unbiased, an explicit
``slack`` that the caller justifies. A ``precision`` bounds the half-width itself, so a
check cannot pass merely because the replications are too noisy to see anything.

Every check returns ``None`` on success, else a message with every number needed to
judge the failure; :func:`assert_all` fails with all the messages of a test at once.

References:
    Law, A. M. (2015). *Simulation Modeling and Analysis*, 5th ed. McGraw-Hill.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["CONFIDENCE", "assert_all", "assert_mean", "mean_check", "poisson_check"]

CONFIDENCE = 0.9999
"""Default two-sided confidence level of a check (t_{0.99995, 29} ≈ 4.5 standard errors)."""


def mean_check(
    values: Sequence[float] | np.ndarray,
    theory: float,
    what: str,
    *,
    precision: float | None,
    slack: float = 1e-12,
    confidence: float = CONFIDENCE,
) -> str | None:
    """Compare the mean of replication values with a theoretical value.

    Passes when |mean − theory| ≤ t_{1−α/2, n−1}·s/√n + ``slack`` and, unless
    ``precision`` is ``None``, the half-width t·s/√n is at most ``precision`` (the check
    has power).

    Args:
        values: one value per independent replication.
        theory: the value the mean estimates.
        what: the quantity, for the message.
        precision: largest acceptable half-width, in the unit of ``values``; ``None``
            when the caller has shown the power some other way.
        slack: bias allowance added to the half-width (same unit).
        confidence: two-sided confidence level 1 − α.

    Returns:
        ``None`` on success, else the reason.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2 or not np.all(np.isfinite(x)):
        return f"{what}: need ≥ 2 finite replication values, got {x.tolist()}"
    mean = float(x.mean())
    se = float(x.std(ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1)) * se
    tol = half + slack
    diff = mean - theory
    summary = (
        f"{what}: replication mean {mean:.6g} vs theory {theory:.6g} (diff {diff:+.3g}); "
        f"{confidence:.4%} t half-width {half:.3g} (n={n}, se={se:.3g}) + slack {slack:.3g}"
    )
    if abs(diff) > tol:
        return f"{summary} -> |diff| > tolerance {tol:.3g}"
    if precision is not None and half > precision:
        return f"{summary} -> half-width above the required precision {precision:.3g} (too little power)"
    return None


def assert_mean(
    values: Sequence[float] | np.ndarray,
    theory: float,
    what: str,
    *,
    precision: float | None,
    slack: float = 0.0,
    confidence: float = CONFIDENCE,
) -> None:
    """:func:`mean_check` that fails the test at once."""
    assert_all([mean_check(values, theory, what, precision=precision, slack=slack, confidence=confidence)])


def poisson_check(counts: np.ndarray, expected: float, alpha: float, what: str) -> list[str]:
    """Problems with ``counts`` as independent draws of Poisson(``expected``): mean and variance.

    The mean is judged by :func:`mean_check` at confidence 1 − ``alpha``. For the
    variance, S²/σ² ≈ χ²(ν)/ν with ν matched to Var(S²)/σ⁴ = 2/(n − 1) + κ/n, κ = 1/Λ the
    Poisson excess kurtosis (Cramér 1946, 27.4), judged at level ``alpha`` as well.
    ``expected`` = 0 requires no count at all.
    """
    n = len(counts)
    if expected == 0.0:
        return [] if not counts.any() else [f"{what}: Λ = 0 but {int(counts.sum())} arrivals"]
    problems = []
    failure = mean_check(counts, expected, f"{what}: mean count", precision=None, slack=0.0, confidence=1 - alpha)
    if failure is not None:
        problems.append(failure)
    var = float(np.var(counts, ddof=1))
    nu = 2.0 / (2.0 / (n - 1) + 1.0 / (n * expected))
    low = float(stats.chi2.ppf(alpha / 2, nu)) / nu
    high = float(stats.chi2.isf(alpha / 2, nu)) / nu
    ratio = var / expected
    if not low <= ratio <= high:
        problems.append(
            f"{what}: variance {var:.5g} vs Λ = {expected:.5g}: ratio {ratio:.4f} outside [{low:.4f}, {high:.4f}]"
        )
    return problems


def assert_all(failures: Sequence[str | None]) -> None:
    """Fail with every failed check listed (not just the first)."""
    bad = [f for f in failures if f is not None]
    assert not bad, "\n".join(bad)
