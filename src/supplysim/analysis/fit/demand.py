"""Demand from order times: the Poisson rate on in-stock time, weekly factors, a trend.

Orders cannot be placed while the product is shown "out of stock", so the arrivals of a
Poisson process of rate λ are observed only on the in-stock part of the window. The
likelihood of n arrivals on exposure T (the in-stock time) is that of a Poisson count
with mean λT, so the maximum-likelihood rate is λ̂ = n / T; dividing by the calendar
time instead biases it down by the share of time out of stock (the censored-demand
problem; Nahmias 1994, *Demand estimation in lost sales inventory systems*).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

__all__ = [
    "MIN_TREND_SPAN",
    "Exposure",
    "RateFit",
    "TrendFit",
    "WeeklyFit",
    "exposure",
    "fit_rate",
    "fit_trend",
    "fit_weekly",
    "garwood",
]

FloatArray = npt.NDArray[np.float64]

MIN_TREND_SPAN = 56.0
"""Shortest history on which a trend is tested [days]: eight weeks, so that a weekly cycle
or a single slow week is not read as growth."""


@dataclass(frozen=True)
class Exposure:
    """The in-stock part of an observation window, as disjoint sorted intervals [time]."""

    lo: FloatArray
    hi: FloatArray
    window: tuple[float, float]
    """The whole observed window (start, end)."""

    @property
    def total(self) -> float:
        """In-stock time T = Σ (hi − lo) [time]."""
        return float(np.sum(self.hi - self.lo))

    @property
    def calendar(self) -> float:
        """The window's length [time]."""
        return self.window[1] - self.window[0]

    def contains(self, t: FloatArray) -> npt.NDArray[np.bool_]:
        """Whether each time lies in an in-stock interval."""
        i = np.searchsorted(self.lo, t, side="right") - 1
        ok = i >= 0
        out = np.zeros(len(t), dtype=bool)
        out[ok] = t[ok] <= self.hi[i[ok]]
        return out

    def by_day(self) -> tuple[FloatArray, FloatArray]:
        """The intervals cut at whole time units: (lo, hi) pieces each inside one day."""
        los, his = [], []
        for a, b in zip(self.lo, self.hi, strict=True):
            cuts = np.arange(math.floor(a) + 1, math.ceil(b), dtype=float)
            edges = np.concatenate([[a], cuts, [b]])
            los.append(edges[:-1])
            his.append(edges[1:])
        if not los:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(los), np.concatenate(his)


def exposure(start: float, end: float, spells_start: FloatArray, spells_end: FloatArray) -> Exposure:
    """The window [start, end] less the stockout spells, merged where they overlap and clipped to the window."""
    order = np.argsort(spells_start, kind="stable")
    merged: list[list[float]] = []
    for a, b in zip(np.asarray(spells_start)[order], np.asarray(spells_end)[order], strict=True):
        a, b = max(float(a), start), min(float(b), end)
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    lo, hi, t = [], [], start
    for a, b in merged:
        if a > t:
            lo.append(t)
            hi.append(a)
        t = b
    if end > t:
        lo.append(t)
        hi.append(end)
    return Exposure(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float), (start, end))


def garwood(n: int, exposure_time: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood 1936) interval of a Poisson rate from n events over ``exposure_time``.

    lo = χ²_{α/2}(2n) / 2T, hi = χ²_{1−α/2}(2n + 2) / 2T, with lo = 0 when n = 0
    (Garwood, *Biometrika* 28, 1936; Ulm 1990). Conservative: covers at least ``level``.
    """
    a = 1.0 - level
    lo = 0.0 if n == 0 else float(stats.chi2.ppf(a / 2, 2 * n)) / (2 * exposure_time)
    hi = float(stats.chi2.ppf(1 - a / 2, 2 * n + 2)) / (2 * exposure_time)
    return lo, hi


@dataclass(frozen=True)
class RateFit:
    """λ̂ = n / T with its exact interval, and the calendar-time rate for comparison."""

    rate: float
    """Orders per unit of in-stock time [orders/time]."""
    ci95: tuple[float, float]
    n: int
    """Orders placed in stock (the count the rate uses)."""
    in_stock: float
    """T, the in-stock time [time]."""
    calendar: float
    """The window's length [time]."""
    outside: int
    """Orders whose time falls inside a stockout spell (not counted; a sign the spells are off)."""

    @property
    def calendar_rate(self) -> float:
        """n / calendar time: biased down by the share of time out of stock."""
        return self.n / self.calendar if self.calendar > 0 else math.nan


def fit_rate(created: FloatArray, window: Exposure) -> RateFit:
    """The Poisson rate on in-stock time (see the module docstring) with the Garwood interval."""
    inside = window.contains(np.asarray(created, dtype=float))
    n = int(inside.sum())
    total = window.total
    if total <= 0:
        raise ValueError("the product was never in stock in the window: no demand rate can be estimated")
    return RateFit(n / total, garwood(n, total), n, total, window.calendar, int((~inside).sum()))


@dataclass(frozen=True)
class WeeklyFit:
    """Day-of-week rates λ_k = n_k / e_k and the likelihood-ratio test of a flat week."""

    counts: tuple[int, ...]
    """Orders placed in stock on each weekday, Monday first."""
    exposure: tuple[float, ...]
    """In-stock time on each weekday [days]."""
    statistic: float
    """G = 2 Σ n_k ln(λ̂_k / λ̂)."""
    df: int
    p_value: float
    factors: tuple[float, ...]
    """λ_k / λ̄, where λ̄ = (1/7) Σ λ_k: the scenario's ``demand.weekly`` (mean 1)."""
    factor_ci95: tuple[tuple[float, float], ...]
    """Garwood interval of each λ_k divided by λ̄ (λ̄'s own uncertainty left out)."""
    mean_rate: float
    """λ̄ [orders/day]."""
    mean_rate_ci95: tuple[float, float]
    """λ̄ ± 1.96 sd, sd² = Σ n_k / e_k² / 49 (delta method)."""
    kept: bool
    """True when the test rejects a flat week at ``level``."""


def fit_weekly(created: FloatArray, window: Exposure, *, alpha: float = 0.05) -> WeeklyFit:
    """Weekday factors, kept when the likelihood-ratio test rejects a flat week at ``alpha``.

    Weekday k of time t is ⌊t⌋ mod 7 (time in days from a Monday). Under H0 every
    weekday has the rate λ̂ = n / T; under H1 weekday k has λ̂_k = n_k / e_k. The
    statistic G = 2 Σ_k n_k ln(λ̂_k / λ̂) is asymptotically χ² with (weekdays observed − 1)
    degrees of freedom, 6 for a full week (Wilks 1938; the Poisson form as in McCullagh &
    Nelder, *Generalized Linear Models*, §6.2).
    """
    t = np.asarray(created, dtype=float)
    t = t[window.contains(t)]
    lo, hi = window.by_day()
    day = np.floor(lo).astype(np.int64) % 7
    e = np.bincount(day, weights=hi - lo, minlength=7)[:7]
    n = np.bincount(np.floor(t).astype(np.int64) % 7, minlength=7)[:7]
    seen = e > 0
    pooled = n.sum() / e.sum()
    lam = np.where(seen, n / np.where(seen, e, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > 0, n * np.log(lam / pooled), 0.0)
    g = float(2 * terms.sum())
    df = int(seen.sum()) - 1
    p = float(stats.chi2.sf(g, df)) if df > 0 else 1.0
    if seen.all():
        mean = float(lam.mean())
        sd = math.sqrt(float(np.sum(n / e**2))) / 7
    else:  # an unseen weekday keeps the pooled rate
        lam = np.where(seen, lam, pooled)
        mean = float(lam.mean())
        sd = math.sqrt(float(np.sum(np.where(seen, n / np.where(seen, e, 1.0) ** 2, 0.0)))) / 7
    factors = tuple(float(x / mean) for x in lam)
    cis = tuple(
        tuple(x / mean for x in garwood(int(n[k]), float(e[k]))) if seen[k] else (math.nan, math.nan) for k in range(7)
    )
    return WeeklyFit(
        counts=tuple(int(x) for x in n),
        exposure=tuple(float(x) for x in e),
        statistic=g,
        df=df,
        p_value=p,
        factors=factors,
        factor_ci95=cis,  # type: ignore[arg-type]
        mean_rate=mean,
        mean_rate_ci95=(max(0.0, mean - 1.96 * sd), mean + 1.96 * sd),
        kept=p < alpha,
    )


@dataclass(frozen=True)
class TrendFit:
    """The scenario's linear trend λ(t) = λ₀ f(t) (1 + b t), tested against b = 0."""

    trend: float
    """b̂ [fraction of the base rate per time unit]."""
    ci95: tuple[float, float]
    """Likelihood-ratio (profile) interval of b: where 2 (ℓ(b̂) − ℓ(b)) ≤ χ²₁(0.95)."""
    base_rate: float
    """λ̂₀ = n / ∫ f(t)(1 + b̂ t) dt over in-stock time [orders/time]: the rate at time 0."""
    statistic: float
    p_value: float
    kept: bool
    tested: bool
    """False when the history is shorter than :data:`MIN_TREND_SPAN` (then b = 0)."""


def fit_trend(
    created: FloatArray,
    window: Exposure,
    factors: tuple[float, ...] | None = None,
    *,
    alpha: float = 0.05,
    min_span: float = MIN_TREND_SPAN,
) -> TrendFit:
    """Maximum likelihood of the format's linear trend ``demand.trend``, kept when a
    likelihood-ratio test (1 df) rejects b = 0 at ``alpha``.

    With weekday factors f (or none), the log-likelihood of arrivals tᵢ on in-stock time
    is ℓ(λ₀, b) = n ln λ₀ + Σ ln(1 + b tᵢ) − λ₀ Λ(b), Λ(b) = ∫ f(t)(1 + b t) dt; profiling
    λ₀ = n / Λ(b) leaves a concave one-dimensional problem in b on 1 + b t > 0 over the
    window (Cox & Lewis, *The Statistical Analysis of Series of Events*, 1966, ch. 3).
    """
    t = np.asarray(created, dtype=float)
    t = t[window.contains(t)]
    n = len(t)
    lo, hi = window.by_day()
    f = np.ones(len(lo)) if factors is None else np.asarray(factors)[np.floor(lo).astype(np.int64) % 7]
    a0 = float(np.sum(f * (hi - lo)))
    a1 = float(np.sum(f * (hi**2 - lo**2) / 2))
    flat_rate = n / a0 if a0 > 0 else math.nan
    if window.calendar < min_span or n < 2:
        return TrendFit(0.0, (math.nan, math.nan), flat_rate, 0.0, 1.0, False, False)
    start, end = window.window

    def ell(b: float) -> float:
        big = a0 + b * a1
        return float(np.sum(np.log1p(b * t)) - n * math.log(big / n) - n)

    # 1 + b t > 0 on [start, end]
    upper = 1.0 / -start if start < 0 else math.inf
    lower = -1.0 / end + 1e-12 if end > 0 else -math.inf
    upper = min(upper, 1e6) - 1e-12
    span = 50.0 / max(end, 1.0)
    lo_b, hi_b = max(lower, -span), min(upper, span)
    res = optimize.minimize_scalar(lambda b: -ell(b), bounds=(lo_b, hi_b), method="bounded", options={"xatol": 1e-12})
    b_hat = float(res.x)
    top = ell(b_hat)
    g = max(0.0, 2 * (top - ell(0.0)))
    p = float(stats.chi2.sf(g, 1))
    cut = float(stats.chi2.ppf(0.95, 1)) / 2

    def edge(bound: float) -> float:
        if top - ell(bound) < cut:
            return bound
        return float(optimize.brentq(lambda b: top - ell(b) - cut, min(b_hat, bound), max(b_hat, bound)))

    ci = (edge(lo_b), edge(hi_b))
    kept = p < alpha
    b = b_hat if kept else 0.0
    return TrendFit(b_hat, ci, n / (a0 + b * a1), g, p, kept, True)
