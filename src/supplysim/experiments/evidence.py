"""How sure a comparison is, in words: "a real difference", or "not distinguishable … about M
replications would tell them apart".

A difference is called real only when its paired interval excludes 0. When it does not,
the words say how many replications were used, the difference with its interval, and
about how many replications would resolve it (:func:`replications_to_resolve`, from the
spread of the paired differences: Law 2015, §9.4.1) — never that the two are "as good":
an interval that includes 0 is absence of evidence, not evidence of equality.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from supplysim.analysis.intervals import replications_to_resolve, summarize, t_quantile
from supplysim.analysis.kpis import NumberFormat, format_interval, lookup

__all__ = ["Evidence"]


@dataclass(frozen=True)
class Evidence:
    """A paired difference a − b on one indicator, at a confidence ``level``."""

    kpi: str
    diff: float
    """Mean of the paired differences a − b."""
    half_width: float
    """Two-sided ``level`` t half-width of the mean difference."""
    sd: float
    """Standard deviation of the paired differences (n − 1)."""
    n: int
    """Replications where both are defined."""
    reference: float
    """The mean the difference is expressed relative to (b's mean)."""
    level: float = 0.95

    @classmethod
    def paired(cls, kpi: str, a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Evidence:
        """The difference a − b over the replications where both are finite."""
        pairs = [(x, y) for x, y in zip(a, b, strict=True) if math.isfinite(x) and math.isfinite(y)]
        d = summarize([x - y for x, y in pairs])
        ref = summarize([y for _, y in pairs]).mean
        hw = t_quantile(1 - (1 - level) / 2, d.n - 1) * d.sd / math.sqrt(d.n) if d.n > 1 else math.nan
        return cls(kpi, d.mean, hw, d.sd, d.n, ref, level)

    @property
    def real(self) -> bool:
        """True when the interval excludes 0."""
        return math.isfinite(self.half_width) and abs(self.diff) > self.half_width

    @property
    def needed(self) -> int | None:
        """About how many replications would make the interval exclude 0 (None: no finite number)."""
        return replications_to_resolve(self.diff, self.sd, level=self.level, at_least=self.n)

    @property
    def identical(self) -> bool:
        """Equal in every replication."""
        return self.n > 1 and self.diff == 0 and self.sd == 0

    def amount(self) -> str:
        """The difference with its interval: ``−2.7% ± 3.7%`` (relative to the reference), or
        ``−5.75 ± 1.60 points`` for a rate, or in the indicator's own unit when there is no
        reference."""
        d, hw = self.diff, self.half_width
        hw_text = f"{hw:.1%}" if math.isfinite(hw) else "–"
        if lookup(self.kpi).format is NumberFormat.PERCENT:
            points = f"{hw * 100:.2f}" if math.isfinite(hw) else "–"
            return f"{d * 100:+.2f} ± {points} points"
        if self.reference and math.isfinite(self.reference):
            rel = abs(self.reference)
            hw_text = f"{hw / rel * 100:.1f}%" if math.isfinite(hw) else "–"
            return f"{d / rel * 100:+.1f}% ± {hw_text}"
        return format_interval(self.kpi, d, hw, signed=True)

    def confidence(self) -> str:
        """The level in per cent, without trailing zeros: ``95%``, ``98.75%``."""
        return f"{self.level * 100:.2f}".rstrip("0").rstrip(".") + "%"

    def undecided(self, other: str = "the best") -> str:
        """The words for an interval that includes 0 (the caller says what is compared)."""
        n = self.n
        if self.identical:
            return (
                f"identical to {other} in every one of the {n} replications; "
                "no number of replications would tell them apart"
            )
        head = f"not distinguishable from {other} with {n} replications (difference {self.amount()})"
        m = self.needed
        if m is None:
            return f"{head}; the estimated difference is 0, so no finite number of replications would tell them apart"
        return f"{head}; about {m:,} replications would tell them apart (an estimate)"

    def words(self, other: str = "the best") -> str:
        """A real difference, or :meth:`undecided`."""
        if self.real:
            amount = self.amount()
            return f"differs from {other} by {amount}: a real difference ({self.confidence()} interval excludes 0)"
        return self.undecided(other)
