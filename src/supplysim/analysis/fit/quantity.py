"""The law of units per order: empirical ``choice``, or a named law of the format when it fits as well.

Candidates, each as the scenario format writes it (``docs/scenarios.md``): ``constant``
(every order the same size), ``poisson`` with ``shift: 1`` (1 + Poisson(m − 1)),
``geometric`` on {1, 2, …} and ``negative_binomial`` with ``shift: 1``, all fitted by
maximum likelihood, against the empirical law (``choice``: the observed frequencies, the
multinomial MLE). A named law "fits as well" when Pearson's χ² test does not reject it at
5%: cells 1, 2, … pooled from the left until each expects at least 5 orders, the last
holding the whole tail, df = cells − 1 − parameters (Cochran 1954; Agresti, *Categorical
Data Analysis*, §1.5). Among the named laws that fit, the one of least AIC = 2k − 2ℓ
(Akaike 1974) is written; when none fits, the empirical ``choice``. (A comparison of AIC
with the empirical law itself favours it whenever a long tail shows a few rare values,
since its support is chosen from the data; the test does not.) With too few orders for
one degree of freedom, the named law of least AIC is kept if its AIC is no larger than
the empirical law's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
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
    p_values: dict[str, float] = field(default_factory=dict)
    """Pearson χ² p-value of each named law (nan when untestable)."""


DENSE_CELLS = 100_000
"""The χ² test of a quantity law looks at the values 1 … this one by one; larger values share the
last cell (the tail), so the test's arrays stay small whatever a record says."""


def pearson_p(values: npt.NDArray[np.int64], counts: npt.NDArray[np.int64], pmf: Any, sf: Any, k: int) -> float:
    """Pearson χ² p-value of a law on {1, 2, …} (``pmf(v)``, ``sf(v)`` = P(X > v)) with k fitted parameters.

    Cells: the values 1 … top (the largest observed, at most :data:`DENSE_CELLS`) one by one, the
    last holding the tail X ≥ top, merged left to right until each expects at least 5 (Law 2015, §6.6.2).
    """
    n = int(counts.sum())
    top = min(int(values.max()), DENSE_CELLS)
    obs = np.zeros(top + 1)
    np.add.at(obs, np.minimum(values, top), counts)
    support = np.arange(1, top + 1)
    exp = n * np.asarray(pmf(support), dtype=float)
    exp[-1] += n * float(sf(top))  # the last cell holds the tail
    o, e = obs[1:], exp
    cells_o: list[float] = []
    cells_e: list[float] = []
    acc_o = acc_e = 0.0
    for oi, ei in zip(o, e, strict=True):
        acc_o += oi
        acc_e += ei
        if acc_e >= 5:
            cells_o.append(acc_o)
            cells_e.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0 and cells_e:
        cells_o[-1] += acc_o
        cells_e[-1] += acc_e
    df = len(cells_e) - 1 - k
    if df < 1:
        return math.nan
    co, ce = np.asarray(cells_o), np.asarray(cells_e)
    return float(stats.chi2.sf(float(np.sum((co - ce) ** 2 / ce)), df))


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
    pv: dict[str, float] = {}
    if m1 > 0:
        aic["poisson"] = 2 - 2 * float(np.sum(stats.poisson.logpmf(y, m1)))
        specs["poisson"] = {"dist": "poisson", "mean": _r(mean), "shift": 1}
        pv["poisson"] = pearson_p(
            values, counts, lambda v: stats.poisson.pmf(v - 1, m1), lambda v: stats.poisson.sf(v - 1, m1), 1
        )
    p_geo = 1 / mean
    aic["geometric"] = 2 - 2 * float(np.sum(stats.geom.logpmf(q, p_geo)))
    specs["geometric"] = {"dist": "geometric", "mean": _r(mean)}
    pv["geometric"] = pearson_p(
        values, counts, lambda v: stats.geom.pmf(v, p_geo), lambda v: stats.geom.sf(v, p_geo), 1
    )
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
        specs["negative_binomial"] = {"dist": "negative_binomial", "mean": _r(mean), "sd": _r(nb_sd), "shift": 1}
        pv["negative_binomial"] = pearson_p(
            values, counts, lambda v: stats.nbinom.pmf(v - 1, r, p), lambda v: stats.nbinom.sf(v - 1, r, p), 2
        )
    named = sorted((k for k in aic if k != "choice"), key=aic.__getitem__)
    fitting = [k for k in named if pv[k] >= 0.05]
    untested = [k for k in named if math.isnan(pv[k]) and aic[k] <= aic["choice"]]
    best = fitting[0] if fitting else (untested[0] if untested else "choice")
    return QuantityFit(best, specs[best], mean, ci, n, aic, pv)


def _r(x: float) -> float:
    return float(f"{x:.6g}")
