"""Durations by maximum likelihood, possibly right-censored: lead times and patience.

Each candidate law is a small :class:`Law` (a scipy distribution of free parameters θ on
an unconstrained scale, and the scenario mapping it writes, parametrised as
``docs/scenarios.md`` does). With events xᵢ and right-censored times cⱼ the
log-likelihood is ℓ(θ) = Σ ln f(xᵢ; θ) + Σ ln S(cⱼ; θ) (Lawless, *Statistical Models and
Methods for Lifetime Data*, 2nd ed. 2003, §2.2), maximised numerically (Nelder–Mead from
moment estimates); the laws are ranked by AIC = 2k − 2ℓ(θ̂) (Akaike 1974). Intervals come
from the observed information: Var θ̂ ≈ H⁻¹ with H the Hessian of −ℓ at θ̂ (central
differences), carried to ln(mean) or ln(median) by the delta method, so the interval
exp(ln m̂ ± 1.96 se) stays positive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

__all__ = [
    "EXPONENTIAL",
    "GAMMA",
    "LAWS",
    "LOGNORMAL",
    "NORMAL",
    "PATIENCE_LAWS",
    "WEIBULL",
    "DurationFit",
    "Law",
    "LawFit",
    "fit_durations",
    "kaplan_meier",
    "ks_bootstrap",
]

FloatArray = npt.NDArray[np.float64]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Law(Protocol):
    """A candidate law: its scipy counterpart and its scenario spelling."""

    @property
    def name(self) -> str:
        """The ``dist:`` of the format."""
        ...

    @property
    def k(self) -> int:
        """Number of free parameters."""
        ...

    def start(self, x: FloatArray) -> FloatArray:
        """Starting θ from the (event) sample's moments."""
        ...

    def dist(self, theta: FloatArray) -> Any:
        """The frozen scipy distribution at θ."""
        ...

    def spec(self, theta: FloatArray) -> dict[str, Any]:
        """The scenario mapping (``dist:`` and its parameters)."""
        ...

    def quick(self, x: FloatArray) -> FloatArray | None:
        """θ̂ of an uncensored sample in closed form or by a one-dimensional solve, or None."""
        ...

    def logpdf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        """ln f(x; θ), in closed form (the likelihood's inner loop: no scipy object per call)."""
        ...

    def logsf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        """ln S(x; θ) = ln P(X > x)."""
        ...


def _moments(x: FloatArray) -> tuple[float, float]:
    m = float(np.mean(x))
    s = float(np.std(x)) if len(x) > 1 else m
    return max(m, 1e-9), max(s, 1e-6 * max(m, 1e-9))


@dataclass(frozen=True)
class _Exponential:
    name: str = "exponential"
    k: int = 1

    def start(self, x: FloatArray) -> FloatArray:
        return np.array([math.log(_moments(x)[0])])

    def dist(self, theta: FloatArray) -> Any:
        return stats.expon(scale=math.exp(theta[0]))

    def spec(self, theta: FloatArray) -> dict[str, Any]:
        return {"dist": "exponential", "mean": _round(math.exp(theta[0]))}

    def quick(self, x: FloatArray) -> FloatArray | None:
        return np.array([math.log(float(np.mean(x)))])

    def logpdf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        return np.asarray(-theta[0] - x / math.exp(theta[0]), dtype=float)

    def logsf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        return np.asarray(-x / math.exp(theta[0]), dtype=float)


@dataclass(frozen=True)
class _Gamma:
    name: str = "gamma"
    k: int = 2

    def start(self, x: FloatArray) -> FloatArray:
        m, s = _moments(x)
        shape = (m / s) ** 2
        return np.array([math.log(shape), math.log(m / shape)])

    def dist(self, theta: FloatArray) -> Any:
        return stats.gamma(math.exp(theta[0]), scale=math.exp(theta[1]))

    def spec(self, theta: FloatArray) -> dict[str, Any]:
        shape, scale = math.exp(theta[0]), math.exp(theta[1])
        return {"dist": "gamma", "mean": _round(shape * scale), "cv": _round(1 / math.sqrt(shape))}

    def quick(self, x: FloatArray) -> FloatArray | None:
        shape, _, scale = stats.gamma.fit(x, floc=0)
        return np.array([math.log(shape), math.log(scale)])

    def logpdf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        k, s = math.exp(theta[0]), math.exp(theta[1])
        return np.asarray((k - 1) * np.log(x) - x / s - special.gammaln(k) - k * theta[1], dtype=float)

    def logsf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        k, s = math.exp(theta[0]), math.exp(theta[1])
        return np.asarray(np.log(np.maximum(special.gammaincc(k, x / s), 1e-300)), dtype=float)


@dataclass(frozen=True)
class _Lognormal:
    name: str = "lognormal"
    k: int = 2

    def start(self, x: FloatArray) -> FloatArray:
        lx = np.log(np.maximum(x, 1e-300))
        return np.array([float(lx.mean()), math.log(max(float(lx.std()), 1e-6))])

    def dist(self, theta: FloatArray) -> Any:
        return stats.lognorm(math.exp(theta[1]), scale=math.exp(theta[0]))

    def spec(self, theta: FloatArray) -> dict[str, Any]:
        mu, s2 = theta[0], math.exp(2 * theta[1])
        mean = math.exp(mu + s2 / 2)
        return {"dist": "lognormal", "mean": _round(mean), "sd": _round(mean * math.sqrt(math.expm1(s2)))}

    def quick(self, x: FloatArray) -> FloatArray | None:
        return self.start(x)

    def logpdf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        sigma = math.exp(theta[1])
        lx = np.log(x)
        return np.asarray(-lx - theta[1] - _HALF_LOG_2PI - (lx - theta[0]) ** 2 / (2 * sigma**2), dtype=float)

    def logsf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        return np.asarray(special.log_ndtr(-(np.log(x) - theta[0]) / math.exp(theta[1])), dtype=float)


@dataclass(frozen=True)
class _Weibull:
    name: str = "weibull"
    k: int = 2

    def start(self, x: FloatArray) -> FloatArray:
        m, s = _moments(x)
        shape = min(max((s / m) ** -1.086, 0.05), 50.0)  # Justus et al. (1978) approximation
        return np.array([math.log(shape), math.log(m / math.gamma(1 + 1 / shape))])

    def dist(self, theta: FloatArray) -> Any:
        return stats.weibull_min(math.exp(theta[0]), scale=math.exp(theta[1]))

    def spec(self, theta: FloatArray) -> dict[str, Any]:
        return {"dist": "weibull", "shape": _round(math.exp(theta[0])), "scale": _round(math.exp(theta[1]))}

    def quick(self, x: FloatArray) -> FloatArray | None:
        shape, _, scale = stats.weibull_min.fit(x, floc=0)
        return np.array([math.log(shape), math.log(scale)])

    def logpdf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        k = math.exp(theta[0])
        z = x / math.exp(theta[1])
        return np.asarray(theta[0] - theta[1] + (k - 1) * np.log(z) - z**k, dtype=float)

    def logsf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        return np.asarray(-((x / math.exp(theta[1])) ** math.exp(theta[0])), dtype=float)


@dataclass(frozen=True)
class _Normal:
    """The format's normal: Normal(mean, sd) truncated to [0, ∞)."""

    name: str = "normal"
    k: int = 2

    def start(self, x: FloatArray) -> FloatArray:
        m, s = _moments(x)
        return np.array([m, math.log(s)])

    def dist(self, theta: FloatArray) -> Any:
        mu, sd = float(theta[0]), math.exp(theta[1])
        return stats.truncnorm(-mu / sd, np.inf, loc=mu, scale=sd)

    def spec(self, theta: FloatArray) -> dict[str, Any]:
        return {"dist": "normal", "mean": _round(float(theta[0])), "sd": _round(math.exp(theta[1]))}

    def quick(self, x: FloatArray) -> FloatArray | None:
        # far from 0 the truncation changes nothing: the untruncated MLE (x̄, s) is the MLE
        m, sd = float(np.mean(x)), float(np.std(x))
        return np.array([m, math.log(sd)]) if sd > 0 and m / sd > 5 else None

    def logpdf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        sigma = math.exp(theta[1])
        z = (x - theta[0]) / sigma
        mass = float(special.log_ndtr(theta[0] / sigma))  # ln P(N ≥ 0): the truncation
        return np.asarray(-(z**2) / 2 - _HALF_LOG_2PI - theta[1] - mass, dtype=float)

    def logsf(self, theta: FloatArray, x: FloatArray) -> FloatArray:
        sigma = math.exp(theta[1])
        mass = float(special.log_ndtr(theta[0] / sigma))
        return np.asarray(special.log_ndtr(-(x - theta[0]) / sigma) - mass, dtype=float)


EXPONENTIAL: Law = _Exponential()
GAMMA: Law = _Gamma()
LOGNORMAL: Law = _Lognormal()
WEIBULL: Law = _Weibull()
NORMAL: Law = _Normal()
LAWS: tuple[Law, ...] = (EXPONENTIAL, GAMMA, LOGNORMAL, WEIBULL, NORMAL)
"""Lead-time candidates (``constant`` is chosen when every lead time is the same)."""
PATIENCE_LAWS: tuple[Law, ...] = (EXPONENTIAL, WEIBULL, LOGNORMAL, GAMMA)
"""Patience candidates."""


def _round(x: float) -> float:
    """Six significant digits: what the fitted scenario writes."""
    return float(f"{x:.6g}")


@dataclass(frozen=True)
class LawFit:
    """One law fitted by maximum likelihood."""

    law: Law
    theta: FloatArray
    loglik: float
    cov: FloatArray | None
    """H⁻¹ at θ̂, or None when the Hessian is not positive definite."""

    @property
    def aic(self) -> float:
        return 2 * self.law.k - 2 * self.loglik

    @property
    def dist(self) -> Any:
        return self.law.dist(self.theta)

    @property
    def spec(self) -> dict[str, Any]:
        return self.law.spec(self.theta)

    def interval(self, of: Callable[[Any], float], level: float = 0.95) -> tuple[float, float]:
        """exp(ln g ± z se) for a positive functional g of the law (delta method on ln g)."""
        value = of(self.dist)
        if self.cov is None or not value > 0:
            return (math.nan, math.nan)
        grad = np.zeros(len(self.theta))
        for i in range(len(self.theta)):
            h = 1e-5 * max(1.0, abs(float(self.theta[i])))
            up, down = self.theta.copy(), self.theta.copy()
            up[i] += h
            down[i] -= h
            grad[i] = (math.log(of(self.law.dist(up))) - math.log(of(self.law.dist(down)))) / (2 * h)
        se = math.sqrt(max(float(grad @ self.cov @ grad), 0.0))
        z = float(stats.norm.ppf(0.5 + level / 2))
        return (value * math.exp(-z * se), value * math.exp(z * se))


def _nll(law: Law, events: FloatArray, censored: FloatArray) -> Callable[[FloatArray], float]:
    def f(theta: FloatArray) -> float:
        if not np.all(np.abs(theta) < 700):
            return math.inf
        try:
            with np.errstate(all="ignore"):
                total = float(np.sum(law.logpdf(theta, events)))
                if len(censored):
                    total += float(np.sum(law.logsf(theta, censored)))
        except (ValueError, OverflowError, ZeroDivisionError):
            return math.inf
        return -total if math.isfinite(total) else math.inf

    return f


def _hessian(f: Callable[[FloatArray], float], theta: FloatArray) -> FloatArray:
    k = len(theta)
    h = 1e-4 * np.maximum(1.0, np.abs(theta))
    out = np.zeros((k, k))
    f0 = f(theta)
    for i in range(k):
        for j in range(i, k):
            if i == j:
                up, down = theta.copy(), theta.copy()
                up[i] += h[i]
                down[i] -= h[i]
                out[i, i] = (f(up) - 2 * f0 + f(down)) / h[i] ** 2
            else:
                pts = []
                for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                    p = theta.copy()
                    p[i] += si * h[i]
                    p[j] += sj * h[j]
                    pts.append(f(p))
                out[i, j] = out[j, i] = (pts[0] - pts[1] - pts[2] + pts[3]) / (4 * h[i] * h[j])
    return out


def fit_law(
    law: Law, events: FloatArray, censored: FloatArray | None = None, *, information: bool = True
) -> LawFit | None:
    """Maximum likelihood of ``law`` (None when it cannot be fitted to these data).

    ``information=False`` skips the Hessian (``cov`` is None): for the bootstrap's refits.
    """
    c = np.zeros(0) if censored is None else np.asarray(censored, dtype=float)
    x = np.asarray(events, dtype=float)
    nll = _nll(law, x, c)
    quick = law.quick(x) if len(c) == 0 else None
    if law.name == "exponential":  # closed form: mean = total time / events (Lawless §3.1)
        theta = np.array([math.log((x.sum() + c.sum()) / len(x))])
    elif quick is not None and np.all(np.isfinite(quick)):
        theta = quick
    else:
        theta = law.start(x)
        if not math.isfinite(nll(theta)):
            return None
        best = None
        for _ in range(3):
            res = optimize.minimize(
                nll, theta, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000}
            )
            theta = np.asarray(res.x, dtype=float)
            if res.success or (best is not None and abs(best - float(res.fun)) < 1e-9):
                break
            best = float(res.fun)
    value = nll(theta)
    if not math.isfinite(value):
        return None
    if not information:
        return LawFit(law, theta, -value, None)
    hess = _hessian(nll, theta)
    cov: FloatArray | None
    try:
        inv = np.asarray(np.linalg.inv(hess), dtype=float)
        ok = bool(np.all(np.isfinite(inv))) and bool(np.all(np.linalg.eigvalsh((inv + inv.T) / 2) > 0))
        cov = inv if ok else None
    except np.linalg.LinAlgError:
        cov = None
    return LawFit(law, theta, -value, cov)


def grid_step(x: FloatArray) -> float | None:
    """The recording resolution of durations: 1, 1/24 or 1/1440 (whole days, hours, minutes
    in a day unit) when every value is a multiple of it, else None."""
    for h in (1.0, 1 / 24, 1 / 1440):
        if len(x) and np.allclose(np.round(x / h) * h, x, atol=1e-6 * h):
            return h
    return None


def _on_grid(x: FloatArray, h: float | None) -> FloatArray:
    """Values rounded to the grid, zeros moved to half a step (a continuous law has no mass at 0)."""
    if h is None:
        return np.maximum(x, 1e-9)
    y = np.round(x / h) * h
    return np.where(y <= 0, h / 2, y)


def ks_statistic(x: FloatArray, dist: Any) -> float:
    """D = sup |Fₙ − F| (Kolmogorov–Smirnov) of the sample against a continuous law."""
    y = np.sort(x)
    n = len(y)
    f = dist.cdf(y)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))


def ks_bootstrap(fit: LawFit, x: FloatArray, *, draws: int, seed: int, step: float | None) -> tuple[float, float]:
    """KS statistic D and its p-value with estimated parameters, by parametric bootstrap.

    The tabulated KS law assumes known parameters; with estimated ones it is too
    conservative (Lilliefors 1967; Stephens 1974). Here each of ``draws`` samples of size n
    is drawn from the fitted law, rounded to the data's recording step (so ties are
    reproduced), refitted, and its D compared: p = (1 + #{D* ≥ D}) / (1 + draws)
    (Stute, González Manteiga & Presedo Quindimil 1993).
    """
    d = ks_statistic(x, fit.dist)
    rng = np.random.default_rng(seed)
    exceed = 0
    done = 0
    for _ in range(draws):
        sample = _on_grid(np.asarray(fit.dist.rvs(size=len(x), random_state=rng), dtype=float), step)
        refit = fit_law(fit.law, sample, information=False)
        if refit is None:
            continue
        done += 1
        exceed += ks_statistic(sample, refit.dist) >= d
    return d, (1 + exceed) / (1 + done)


@dataclass(frozen=True)
class DurationFit:
    """The chosen law of a duration, with the ranking and the goodness of fit."""

    dist: str
    """The chosen law: one of the candidates, ``constant`` or ``empirical``."""
    spec: Any
    """The scenario value (a number for a constant, else a mapping with ``dist:``)."""
    mean: float
    ci95_mean: tuple[float, float]
    median: float
    ci95_median: tuple[float, float]
    sd: float
    events: int
    censored: int
    aic: dict[str, float]
    ks: float | None
    """KS distance of the chosen law (uncensored data only)."""
    ks_p: float | None
    """Its bootstrap p-value (None when not tested)."""
    fits: tuple[LawFit, ...]
    """Every law fitted, best AIC first."""
    step: float | None
    """The data's recording step (see :func:`grid_step`)."""


def fit_durations(
    events: FloatArray,
    censored: FloatArray | None = None,
    *,
    laws: Sequence[Law] = LAWS,
    gof_draws: int = 199,
    seed: int = 0,
    alpha: float = 0.05,
) -> DurationFit:
    """Fit durations (events, and right-censored times) and choose a law.

    The law of least AIC is chosen. Without censoring its fit is tested (KS with a
    parametric bootstrap, :func:`ks_bootstrap`, when ``gof_draws`` > 0); when the test
    rejects at ``alpha``, the empirical law of the observed values is written instead.
    When every value is the same, the law is a constant.
    """
    x = np.asarray(events, dtype=float)
    c = np.zeros(0) if censored is None else np.asarray(censored, dtype=float)
    if len(x) == 0:
        raise ValueError("no events: the law cannot be fitted")
    n = len(x)
    if len(c) == 0 and np.ptp(x) == 0:
        v = float(x[0])
        return DurationFit("constant", _round(v), v, (v, v), v, (v, v), 0.0, n, 0, {}, None, None, (), None)
    step = grid_step(np.concatenate([x, c]))
    xg, cg = _on_grid(x, step), (_on_grid(c, step) if len(c) else c)
    fits = sorted((f for f in (fit_law(law, xg, cg) for law in laws) if f is not None), key=lambda f: f.aic)
    if not fits:
        raise ValueError("no candidate law could be fitted")
    best = fits[0]
    d = p = None
    if len(c) == 0 and gof_draws > 0:
        d, p = ks_bootstrap(best, xg, draws=gof_draws, seed=seed, step=step)
    aic = {f.law.name: f.aic for f in fits}
    if p is not None and p < alpha:
        mean = float(x.mean())
        sd = float(x.std(ddof=1)) if n > 1 else 0.0
        half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n) if n > 1 else math.nan
        values, counts = np.unique(np.round(x, 9), return_counts=True)
        spec: dict[str, Any] = {"dist": "empirical", "values": [float(v) for v in values]}
        if np.any(counts > 1):
            spec["weights"] = [int(k) for k in counts]
        med = float(np.median(x))
        return DurationFit(
            "empirical",
            spec,
            mean,
            (mean - half, mean + half),
            med,
            (math.nan, math.nan),
            sd,
            n,
            0,
            aic,
            d,
            p,
            tuple(fits),
            step,
        )
    dist = best.dist
    return DurationFit(
        best.law.name,
        best.spec,
        float(dist.mean()),
        best.interval(lambda q: float(q.mean())),
        float(dist.median()),
        best.interval(lambda q: float(q.median())),
        float(dist.std()),
        n,
        len(c),
        aic,
        d,
        p,
        tuple(fits),
        step,
    )


def kaplan_meier(events: FloatArray, censored: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The Kaplan–Meier estimate of the survival function (Kaplan & Meier 1958).

    Ŝ(t) = Π_{tᵢ ≤ t} (1 − dᵢ / nᵢ) over the distinct event times tᵢ, with dᵢ events at tᵢ
    and nᵢ still at risk just before (a censored time equal to an event time counts as
    at risk). Returns the event times, Ŝ just after each, and Greenwood's standard error
    Ŝ √(Σ dᵢ / (nᵢ (nᵢ − dᵢ))).
    """
    x = np.asarray(events, dtype=float)
    c = np.asarray(censored, dtype=float)
    times, d = np.unique(x, return_counts=True)
    all_t = np.sort(np.concatenate([x, c]))
    at_risk = len(all_t) - np.searchsorted(all_t, times, side="left")
    surv = np.cumprod(1 - d / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(np.where(at_risk > d, d / (at_risk * (at_risk - d)), np.inf))
    return (
        np.asarray(times, dtype=float),
        np.asarray(surv, dtype=float),
        np.asarray(np.where(surv > 0, surv * np.sqrt(np.where(np.isfinite(green), green, 0.0)), 0.0), dtype=float),
    )
