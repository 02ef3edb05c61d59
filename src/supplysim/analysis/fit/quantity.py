"""The law of units per order: empirical ``choice``, or a named law of the format when it fits as well.

Candidates, each as the scenario format writes it (``docs/scenarios.md``): ``constant``
(every order the same size), ``poisson`` with ``shift: 1`` (1 + Poisson(m − 1)),
``geometric`` on {1, 2, …} and ``negative_binomial`` with ``shift: 1``, all fitted by
maximum likelihood, against the empirical law (``choice``: the observed frequencies, the
multinomial MLE with one parameter per observed value but one). The named law is kept
when its AIC = 2k − 2ℓ is no larger than the empirical law's (Akaike 1974): it fits as
well once the empirical law is charged for its many parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

__all__ = ["QuantityFit", "fit_quantity"]


@dataclass(frozen=True)
class QuantityFit:
    """The chosen law of units per order."""

    dist: str
    spec: Any
    """The scenario value: an int for a constant, else a mapping with ``dist:``."""
    mean: float
    ci95_mean: tuple[float, float]
    """x̄ ± t₀.₉₇₅ s/√n (law-free)."""
    n: int
    aic: dict[str, float]
    """AIC of each candidate that could be fitted."""


def _nb_loglik(y: npt.NDArray[np.int64], r: float, p: float) -> float:
    return float(np.sum(stats.nbinom.logpmf(y, r, p)))


def fit_quantity(quantity: npt.NDArray[np.int64]) -> QuantityFit:
    """Fit the units per order (integers ≥ 1); see the module docstring for the rule."""
    q = np.asarray(quantity, dtype=np.int64)
    n = len(q)
    mean = float(q.mean())
    sd = float(q.std(ddof=1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n) if n > 1 else math.nan
    ci = (mean - half, mean + half)
    values, counts = np.unique(q, return_counts=True)
    if len(values) == 1:
        return QuantityFit("constant", int(values[0]), mean, (mean, mean), n, {"constant": 0.0})
    aic: dict[str, float] = {}
    specs: dict[str, Any] = {}
    p_emp = counts / n
    aic["choice"] = 2 * (len(values) - 1) - 2 * float(np.sum(counts * np.log(p_emp)))
    specs["choice"] = {"dist": "choice", "values": [int(v) for v in values], "weights": [int(c) for c in counts]}
    y = q - 1
    m1 = mean - 1
    if m1 > 0:
        aic["poisson"] = 2 - 2 * float(np.sum(stats.poisson.logpmf(y, m1)))
        specs["poisson"] = {"dist": "poisson", "mean": mean, "shift": 1}
    p_geo = 1 / mean
    aic["geometric"] = 2 - 2 * float(np.sum(stats.geom.logpmf(q, p_geo)))
    specs["geometric"] = {"dist": "geometric", "mean": mean}
    var = float(y.var())
    if m1 > 0 and var > m1:  # over-dispersed: a negative binomial can fit

        def neg(log_r: float) -> float:
            r = math.exp(log_r)
            return -_nb_loglik(y, r, r / (r + m1))

        res = optimize.minimize_scalar(neg, bounds=(-8.0, 12.0), method="bounded")
        r = math.exp(float(res.x))
        p = r / (r + m1)
        nb_sd = math.sqrt(r * (1 - p) / p**2)
        aic["negative_binomial"] = 4 + 2 * float(res.fun)
        specs["negative_binomial"] = {"dist": "negative_binomial", "mean": mean, "sd": nb_sd, "shift": 1}
    named = min((k for k in aic if k != "choice"), key=aic.__getitem__)
    best = named if aic[named] <= aic["choice"] else "choice"
    return QuantityFit(best, specs[best], mean, ci, n, aic)
