"""Probability distributions for durations (continuous) and quantities (discrete).

Every distribution is a frozen pydantic model chosen by its ``dist:`` key and
offers the same small contract (compare Ciw's ``Distribution``):

* ``sample(rng, size)`` – an array of ``size`` independent draws from a NumPy
  :class:`numpy.random.Generator`;
* ``mean`` and ``variance`` – the *exact* moments of what ``sample`` draws, so
  that tests can hold the samples against the theory.

Continuous distributions describe durations (lead times, patience, waits) and are
never negative; discrete ones describe quantities (units per customer) and take
integer values. A plain number in a scenario means a constant.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol, Union, runtime_checkable

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from supplysim.scenario.base import Frozen
from supplysim.scenario.limits import MAX_CV, MAX_NUMBER, MAX_UNITS, MAX_VALUES
from supplysim.scenario.yaml_source import OutsideFolder, read_column

if TYPE_CHECKING:
    import numpy as np
else:

    class _DeferredNumpy:
        """NumPy, imported on first use. Validating a scenario needs none of it, and its
        import would be a third of ``supplysim validate``'s start-up; drawing samples
        imports it (once: later accesses are a dictionary lookup)."""

        def __getattr__(self, name: str) -> Any:
            import numpy

            return getattr(numpy, name)

    np = _DeferredNumpy()

__all__ = [
    "CONTINUOUS_KINDS",
    "DISCRETE_KINDS",
    "ContinuousDistribution",
    "DiscreteDistribution",
    "Distribution",
    "Duration",
    "Quantity",
    "draw_indices",
]


@runtime_checkable
class Distribution(Protocol):
    """What the simulator needs from any distribution."""

    @property
    def mean(self) -> float:
        """Exact expected value."""
        ...

    @property
    def variance(self) -> float:
        """Exact variance."""
        ...

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws."""
        ...


class _Dist(Frozen):
    """Base of every distribution: a frozen scenario model (see :class:`~supplysim.scenario.base.Frozen`).

    Every distribution has a finite mean and variance, both below :data:`MAX_NUMBER` in
    magnitude, and a parametric one (``bounded_cv``) a coefficient of variation sd/mean of at
    most :data:`MAX_CV` (``docs/limits.md``).
    """

    bounded_cv: ClassVar[bool] = True
    """Whether the coefficient of variation is bounded (not for data: empirical, choice)."""

    @property
    def is_constant(self) -> bool:
        """True when every draw is the same number (no stream is needed)."""
        return self.variance == 0.0

    @property
    def sd(self) -> float:
        """Exact standard deviation."""
        return math.sqrt(self.variance)

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def variance(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def frozen(self) -> Any:
        """The same law as a frozen ``scipy.stats`` distribution (continuous kinds)."""
        raise NotImplementedError(f"{type(self).__name__} has no scipy counterpart")

    def residual_mean(self, ages: np.ndarray) -> np.ndarray:
        """Mean residual life E[X − a | X > a] at each age ``a`` (continuous kinds).

        Computed as ∫_a^∞ S(x) dx / S(a) from the survival function S
        (Ross, *Introduction to Probability Models*, §5.2): the integral by the
        trapezoidal rule on a grid that is even up to the median and geometric
        beyond it, up to the 1 − 1e-12 quantile (so heavy tails are resolved),
        plus the remaining tail by quadrature. Where S(a) = 0 the residual is 0.
        """
        from scipy import integrate

        rv = self.frozen()
        ages = np.asarray(ages, dtype=float)
        upper = max(float(rv.ppf(1 - 1e-12)), float(ages.max(initial=0.0)))
        median = min(max(float(rv.ppf(0.5)), upper * 1e-9, 1e-300), upper)
        grid = np.unique(np.concatenate([np.linspace(0.0, median, 10001), np.geomspace(median, upper, 30001), ages]))
        sf = rv.sf(grid)
        # ∫_{grid[i]}^{upper} S, cumulated from the right
        pieces = (sf[1:] + sf[:-1]) * np.diff(grid) / 2
        right = np.concatenate([np.cumsum(pieces[::-1])[::-1], [0.0]])
        right += integrate.quad(rv.sf, upper, np.inf)[0]
        area = np.interp(ages, grid, right)
        tail = rv.sf(ages)
        out = np.zeros(len(ages))
        alive = tail > 1e-12
        out[alive] = area[alive] / tail[alive]
        return out


def draw_indices(rng: np.random.Generator, probabilities: np.ndarray, size: int) -> np.ndarray:
    """``size`` independent indices into ``probabilities`` (non-negative, summing to 1), by
    inversion: u from ``rng.random(size)``, the index the first cumulative probability above u
    (Devroye 1986, §III.2.1). The same steps as ``rng.choice(len(p), size, p=p)`` (the cumulative
    sum divided by its last term, ``searchsorted(u, side="right")``), so the same draws from the
    same generator (tests/test_distributions.py compares), without its checks of ``p``: a
    scenario's weights are checked once, when it is loaded (a short replication draws these in
    slices of tens of customers, where the checks cost more than the draws)."""
    cdf = probabilities.cumsum()
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(size), side="right")


def _check_weights(values: list[Any], weights: list[float] | None) -> np.ndarray:
    """The probabilities of ``values``: ``weights`` normalised (uniform without weights)."""
    _validate_weights(values, weights)
    if weights is None:
        return np.full(len(values), 1.0 / len(values))
    return np.asarray(weights, dtype=float) / float(sum(weights))


def _validate_weights(values: list[Any], weights: list[float] | None) -> None:
    """Raise ``ValueError`` unless ``weights`` fits ``values`` (pure Python: validation needs no NumPy)."""
    if not values:
        raise ValueError("`values` must list at least one value")
    if weights is None:
        return
    if len(weights) != len(values):
        raise ValueError(
            f"`weights` has {len(weights)} entries but `values` has {len(values)}; give one weight per value"
        )
    if any(w < 0 for w in weights):
        raise ValueError("`weights` must not be negative")
    total = float(sum(weights))
    if not total > 0:
        raise ValueError("`weights` must sum to something positive")


# --------------------------------------------------------------------------- continuous


class Constant(_Dist):
    """Always ``value`` (time units or units)."""

    dist: Literal["constant"] = "constant"
    value: NonNegativeFloat

    @property
    def mean(self) -> float:
        return float(self.value)

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, float(self.value))

    def residual_mean(self, ages: np.ndarray) -> np.ndarray:
        return np.maximum(float(self.value) - np.asarray(ages, dtype=float), 0.0)


class Exponential(_Dist):
    """Exponential with mean ``mean``: variance mean²."""

    dist: Literal["exponential"]
    mean_: PositiveFloat = Field(alias="mean")

    @property
    def mean(self) -> float:
        return float(self.mean_)

    @property
    def variance(self) -> float:
        return float(self.mean_) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    def residual_mean(self, ages: np.ndarray) -> np.ndarray:
        return np.full(len(ages), float(self.mean_))  # memoryless


class Uniform(_Dist):
    """Uniform on [low, high]: mean (l+h)/2, variance (h−l)²/12."""

    dist: Literal["uniform"]
    low: NonNegativeFloat
    high: NonNegativeFloat

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def frozen(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def residual_mean(self, ages: np.ndarray) -> np.ndarray:
        a = np.clip(np.asarray(ages, dtype=float), self.low, self.high)
        return np.where(np.asarray(ages) < self.high, (self.high - a) / 2 + (a - np.asarray(ages)), 0.0)


class Triangular(_Dist):
    """Triangular(low, mode, high): mean (l+m+h)/3, variance (l²+m²+h²−lm−lh−mh)/18."""

    dist: Literal["triangular"]
    low: NonNegativeFloat
    mode: NonNegativeFloat
    high: NonNegativeFloat

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high, found low={self.low}, mode={self.mode}, high={self.high}")
        if self.low == self.high:
            raise ValueError("low and high are equal; use a constant instead")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)

    def frozen(self) -> Any:
        from scipy import stats

        width = self.high - self.low
        return stats.triang((self.mode - self.low) / width, loc=self.low, scale=width)


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _Phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


class Normal(_Dist):
    """Normal(mean, sd) truncated to [0, ∞) – the conditional law of X given X ≥ 0.

    With α = −μ/σ and Z = 1 − Φ(α), the truncated moments are
    E = μ + σ φ(α)/Z and Var = σ² [1 + α φ(α)/Z − (φ(α)/Z)²]
    (Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*, 13.10).
    Note ``mean``/``variance`` are those of the truncated law, so they differ from
    the parameters when the normal puts visible mass below zero.
    """

    dist: Literal["normal"]
    mu: float = Field(alias="mean")
    sigma: PositiveFloat = Field(alias="sd")

    @model_validator(mode="after")
    def _mass(self) -> Normal:
        if _Phi(self.mu / self.sigma) < 1e-6:
            raise ValueError(
                f"a normal with mean {self.mu} and sd {self.sigma} is almost never positive; "
                "durations are truncated at 0, so use a positive mean"
            )
        return self

    def _ratio(self) -> tuple[float, float]:
        alpha = -self.mu / self.sigma
        return alpha, _phi(alpha) / (1.0 - _Phi(alpha))

    @property
    def mean(self) -> float:
        _, lam = self._ratio()
        return self.mu + self.sigma * lam

    @property
    def variance(self) -> float:
        alpha, lam = self._ratio()
        return self.sigma**2 * (1.0 + alpha * lam - lam * lam)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # inverse CDF of the truncated law: one uniform per draw, fast however much is cut off
        return np.asarray(self.frozen().ppf(rng.random(size)), dtype=float)

    def frozen(self) -> Any:
        from scipy import stats

        return stats.truncnorm(-self.mu / self.sigma, np.inf, loc=self.mu, scale=self.sigma)


class Lognormal(_Dist):
    """Lognormal with the given mean and sd *of the variable itself*.

    σ² = ln(1 + sd²/mean²), μ = ln(mean) − σ²/2 (Law, *Simulation Modeling and Analysis*, 6.2.2).
    """

    dist: Literal["lognormal"]
    mean_: PositiveFloat = Field(alias="mean")
    sd_: PositiveFloat = Field(alias="sd")

    @property
    def mean(self) -> float:
        return float(self.mean_)

    @property
    def variance(self) -> float:
        return float(self.sd_) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        s2 = math.log1p((self.sd_ / self.mean_) ** 2)
        return rng.lognormal(math.log(self.mean_) - s2 / 2, math.sqrt(s2), size)

    def frozen(self) -> Any:
        from scipy import stats

        s2 = math.log1p((self.sd_ / self.mean_) ** 2)
        return stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(self.mean_) - s2 / 2))


class Gamma(_Dist):
    """Gamma, given by ``mean`` with ``cv`` or ``sd``, or by ``shape`` and ``scale``.

    shape k = 1/cv², scale θ = mean/k; mean kθ, variance kθ².
    """

    dist: Literal["gamma"]
    mean_: PositiveFloat | None = Field(default=None, alias="mean")
    cv: PositiveFloat | None = None
    sd_: PositiveFloat | None = Field(default=None, alias="sd")
    shape: PositiveFloat | None = None
    scale: PositiveFloat | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Gamma:
        by_mean = self.mean_ is not None and (self.cv is not None) != (self.sd_ is not None)
        by_shape = self.shape is not None and self.scale is not None
        mixed = self.mean_ is not None and (self.shape is not None or self.scale is not None)
        if by_mean == by_shape or mixed:
            raise ValueError("give either `mean` with exactly one of `cv`/`sd`, or `shape` with `scale`")
        return self

    def _params(self) -> tuple[float, float]:
        if self.shape is not None and self.scale is not None:
            return float(self.shape), float(self.scale)
        assert self.mean_ is not None
        cv = self.cv if self.cv is not None else float(self.sd_ or 0.0) / self.mean_
        k = 1.0 / (cv * cv)
        return k, self.mean_ / k

    @property
    def mean(self) -> float:
        k, theta = self._params()
        return k * theta

    @property
    def variance(self) -> float:
        k, theta = self._params()
        return k * theta * theta

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        k, theta = self._params()
        return rng.gamma(k, theta, size)

    def frozen(self) -> Any:
        from scipy import stats

        k, theta = self._params()
        return stats.gamma(k, scale=theta)


class Erlang(_Dist):
    """Erlang-k with the given mean: a sum of k exponentials of mean mean/k; variance mean²/k."""

    dist: Literal["erlang"]
    k: PositiveInt
    mean_: PositiveFloat = Field(alias="mean")

    @property
    def mean(self) -> float:
        return float(self.mean_)

    @property
    def variance(self) -> float:
        return float(self.mean_) ** 2 / self.k

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.k, self.mean_ / self.k, size)

    def frozen(self) -> Any:
        from scipy import stats

        return stats.gamma(self.k, scale=self.mean_ / self.k)


class Weibull(_Dist):
    """Weibull(shape k, scale λ): mean λΓ(1+1/k), variance λ²[Γ(1+2/k) − Γ(1+1/k)²]."""

    dist: Literal["weibull"]
    shape: PositiveFloat
    scale: PositiveFloat

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)

    @property
    def variance(self) -> float:
        g1 = math.gamma(1 + 1 / self.shape)
        return self.scale**2 * (math.gamma(1 + 2 / self.shape) - g1 * g1)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size)

    def frozen(self) -> Any:
        from scipy import stats

        return stats.weibull_min(self.shape, scale=self.scale)


def _inline_file(data: Any, info: ValidationInfo, whole: bool) -> Any:
    """``file`` + ``column`` → ``values`` (the resolved scenario then carries the data itself).

    The file is read through :func:`~supplysim.scenario.yaml_source.read_column`: inside the
    scenario's folder (``base_dir`` of the validation context) unless the context allows
    ``allow_data_outside``, and once per validation (the context's ``data_files`` cache).
    """
    if isinstance(data, dict) and data.get("file") is not None:
        if data.get("values") is not None:
            raise ValueError("give either `values` or `file` with `column`, not both")
        if not data.get("column"):
            raise ValueError("`file` needs `column`: the name of the CSV column to read")
        context = info.context if isinstance(info.context, dict) else None
        options = context or {}
        try:
            values = read_column(
                str(data["file"]),
                str(data["column"]),
                options.get("base_dir"),
                whole=whole,
                allow_outside=bool(options.get("allow_data_outside", False)),
                cache=None if context is None else context.setdefault("data_files", {}),
            )
        except OutsideFolder as exc:
            raise PydanticCustomError("data_outside", "{message}", {"message": str(exc)}) from None
        data = {k: v for k, v in data.items() if k not in ("file", "column")}
        data["values"] = values
    elif isinstance(data, dict) and data.get("column") is not None and data.get("file") is None:
        raise ValueError("`column` needs `file`: the CSV file to read it from")
    return data


def _inline_durations(data: Any, info: ValidationInfo) -> Any:
    return _inline_file(data, info, whole=False)


def _inline_whole_numbers(data: Any, info: ValidationInfo) -> Any:
    return _inline_file(data, info, whole=True)


class EmpiricalContinuous(_Dist):
    """Resamples observed durations ``values`` (or a CSV ``file``'s ``column``) with optional ``weights``."""

    bounded_cv: ClassVar[bool] = False

    dist: Literal["empirical"]
    values: list[NonNegativeFloat] = Field(max_length=MAX_VALUES)
    weights: list[NonNegativeFloat] | None = Field(default=None, max_length=MAX_VALUES)
    file: str | None = None
    """A CSV file (relative to the scenario file) to read the values from; inlined when loaded."""
    column: str | None = None
    """The column of ``file`` holding the values."""

    _file = model_validator(mode="before")(_inline_durations)

    @model_validator(mode="after")
    def _weights(self) -> EmpiricalContinuous:
        _validate_weights(self.values, self.weights)
        return self

    @property
    def mean(self) -> float:
        p = _check_weights(self.values, self.weights)
        return float(np.dot(p, self.values))

    @property
    def variance(self) -> float:
        p = _check_weights(self.values, self.weights)
        v = np.asarray(self.values, dtype=float)
        m = float(np.dot(p, v))
        return float(np.dot(p, (v - m) ** 2))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        p = _check_weights(self.values, self.weights)
        return np.asarray(self.values, dtype=float).take(draw_indices(rng, p, size))

    def residual_mean(self, ages: np.ndarray) -> np.ndarray:
        p = _check_weights(self.values, self.weights)
        v = np.asarray(self.values, dtype=float)
        out = np.zeros(len(ages))
        for i, a in enumerate(np.asarray(ages, dtype=float)):
            alive = v > a
            mass = p[alive].sum()
            if mass > 0:
                out[i] = float(np.dot(p[alive], v[alive] - a) / mass)
        return out


# --------------------------------------------------------------------------- discrete


class DiscreteConstant(_Dist):
    """Always ``value`` units."""

    dist: Literal["constant"] = "constant"
    value: PositiveInt = Field(le=MAX_UNITS)

    @property
    def mean(self) -> float:
        return float(self.value)

    @property
    def variance(self) -> float:
        return 0.0

    @property
    def min_value(self) -> int:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=np.int64)


class Poisson(_Dist):
    """``shift`` + Poisson(``mean`` − ``shift``): the given mean is that of the result."""

    dist: Literal["poisson"]
    mean_: PositiveFloat = Field(alias="mean", le=MAX_UNITS)
    shift: int = Field(default=0, ge=0, le=MAX_UNITS)

    @model_validator(mode="after")
    def _shift(self) -> Poisson:
        if self.mean_ <= self.shift:
            raise ValueError(f"mean ({self.mean_}) must exceed shift ({self.shift})")
        return self

    @property
    def mean(self) -> float:
        return float(self.mean_)

    @property
    def variance(self) -> float:
        return float(self.mean_) - self.shift

    @property
    def min_value(self) -> int:
        return self.shift

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.shift + rng.poisson(self.mean_ - self.shift, size)


class Geometric(_Dist):
    """Geometric on {1, 2, …} with mean m: p = 1/m, variance (1−p)/p²."""

    dist: Literal["geometric"]
    mean_: float = Field(alias="mean", ge=1.0, le=MAX_UNITS)

    @property
    def mean(self) -> float:
        return float(self.mean_)

    @property
    def variance(self) -> float:
        p = 1.0 / self.mean_
        return (1 - p) / (p * p)

    @property
    def min_value(self) -> int:
        return 1

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.geometric(1.0 / self.mean_, size)


class Choice(_Dist):
    """One of ``values`` with probabilities proportional to ``weights``."""

    bounded_cv: ClassVar[bool] = False

    dist: Literal["choice", "empirical"]
    values: list[Annotated[int, Field(ge=-MAX_UNITS, le=MAX_UNITS)]] = Field(max_length=MAX_VALUES)
    weights: list[NonNegativeFloat] | None = Field(default=None, max_length=MAX_VALUES)
    file: str | None = None
    """(``empirical``) a CSV file (relative to the scenario file) to read whole numbers from."""
    column: str | None = None

    _file = model_validator(mode="before")(_inline_whole_numbers)

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        _validate_weights(self.values, self.weights)
        return self

    @property
    def mean(self) -> float:
        return float(np.dot(_check_weights(self.values, self.weights), self.values))

    @property
    def variance(self) -> float:
        p = _check_weights(self.values, self.weights)
        v = np.asarray(self.values, dtype=float)
        m = float(np.dot(p, v))
        return float(np.dot(p, (v - m) ** 2))

    @property
    def min_value(self) -> int:
        weights = self.weights if self.weights is not None else [1.0] * len(self.values)
        return min(v for v, w in zip(self.values, weights, strict=True) if w > 0)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        p = _check_weights(self.values, self.weights)
        return np.asarray(self.values, dtype=np.int64).take(draw_indices(rng, p, size))


class NegativeBinomial(_Dist):
    """``shift`` + negative binomial with the given mean and sd (sd² > mean − shift).

    With m = mean − shift and v = sd²: n = m²/(v − m), p = m/v (failures before the
    n-th success), so the mean is m + shift and the variance v.
    """

    dist: Literal["negative_binomial"]
    mean_: PositiveFloat = Field(alias="mean", le=MAX_UNITS)
    sd_: PositiveFloat = Field(alias="sd")
    shift: int = Field(default=0, ge=0, le=MAX_UNITS)

    @model_validator(mode="after")
    def _overdispersed(self) -> NegativeBinomial:
        m = self.mean_ - self.shift
        if m <= 0:
            raise ValueError(f"mean ({self.mean_}) must exceed shift ({self.shift})")
        if self.sd_**2 <= m:
            raise ValueError(
                f"a negative binomial needs sd² > mean − shift, found sd²={self.sd_**2:g} and "
                f"mean − shift={m:g}; use `poisson` when the variance equals the mean"
            )
        return self

    @property
    def mean(self) -> float:
        return float(self.mean_)

    @property
    def variance(self) -> float:
        return float(self.sd_) ** 2

    @property
    def min_value(self) -> int:
        return self.shift

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        m = self.mean_ - self.shift
        v = self.sd_**2
        return self.shift + rng.negative_binomial(m * m / (v - m), m / v, size)


# --------------------------------------------------------------------------- unions


def _number_is_constant(value: Any) -> Any:
    """A plain number in a scenario means a constant distribution (a boolean is not a number)."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "a number or a mapping with `dist:`, not a boolean", {})
    if isinstance(value, int | float):
        return {"dist": "constant", "value": value}
    return value


ContinuousDistribution = Union[
    Constant, Exponential, Uniform, Triangular, Normal, Lognormal, Gamma, Erlang, Weibull, EmpiricalContinuous
]
DiscreteDistribution = Union[DiscreteConstant, Poisson, Geometric, Choice, NegativeBinomial]


_MODERATE_DATA = MAX_NUMBER / 10
"""Values at most this large in magnitude give a data distribution moments far inside the limits."""


def _moderate_data(values: list[Any], weights: list[float] | None) -> bool:
    """Whether the moments of ``values`` with finite ``weights`` are surely within the limits
    without computing them (pure Python: validating a scenario imports no NumPy).

    A weighted mean of values bounded by B is bounded by B (up to rounding), and the variance
    by (2B)²; with B = :data:`MAX_NUMBER` / 10 both stay far below the limits. Otherwise (larger
    values, or a weight that is not finite) :func:`_finite_moments` computes the moments."""
    bound = _MODERATE_DATA
    return all(-bound <= v <= bound for v in values) and (weights is None or all(map(math.isfinite, weights)))


def _finite_moments(d: Any) -> Any:
    """``d`` after checking that its moments are finite, below :data:`MAX_NUMBER`, and (for a
    parametric family) its coefficient of variation at most :data:`MAX_CV` (``docs/limits.md``).

    Run on the union, after the family's own checks (which explain more precisely)."""
    if isinstance(d, Choice | EmpiricalContinuous) and _moderate_data(d.values, d.weights):
        return d
    try:
        mean, variance = float(d.mean), float(d.variance)
    except (ArithmeticError, ValueError):
        mean = variance = math.inf
    if not (abs(mean) <= MAX_NUMBER and 0.0 <= variance <= MAX_NUMBER**2):
        raise ValueError(
            f"a {d.dist} whose mean and sd are at most {MAX_NUMBER:.0e} (docs/limits.md); "
            f"these parameters give mean {mean:.3g} and variance {variance:.3g}"
        )
    if d.bounded_cv and mean > 0 and math.sqrt(variance) > MAX_CV * mean:
        raise ValueError(
            f"a coefficient of variation sd/mean of at most {MAX_CV:g} (docs/limits.md); these parameters "
            f"give sd {math.sqrt(variance):.3g} for mean {mean:.3g}, cv {math.sqrt(variance) / mean:.3g}: "
            "almost every draw would be 0 and a rare huge one the rest"
        )
    return d


Duration = Annotated[
    ContinuousDistribution,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_constant),
    AfterValidator(_finite_moments),
]
"""A random duration in time units: a number (constant) or a mapping with ``dist:``."""

Quantity = Annotated[
    DiscreteDistribution,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_constant),
    AfterValidator(_finite_moments),
]
"""A random number of units: a whole number (constant) or a mapping with ``dist:``."""

CONTINUOUS_KINDS = (
    "constant",
    "exponential",
    "uniform",
    "triangular",
    "normal",
    "lognormal",
    "gamma",
    "erlang",
    "weibull",
    "empirical",
)
DISCRETE_KINDS = ("constant", "poisson", "geometric", "choice", "negative_binomial", "empirical")
