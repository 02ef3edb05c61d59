"""What ``supplysim fit`` found, in sentences a manager reads (terminal and page)."""

from __future__ import annotations

import math
from typing import Any

from supplysim.analysis.fit.durations import DurationFit
from supplysim.analysis.fit.fitting import FitResult

__all__ = ["describe_law", "fit_lines"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _n(x: float, digits: int = 3) -> str:
    """A number with ``digits`` significant digits and thousands separators."""
    if not math.isfinite(x):
        return "–"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    return f"{x:,.{digits}g}" if abs(x) >= 1 else f"{x:.{digits}g}"


def _ci(ci: tuple[float, float] | list[Any]) -> str:
    return f"({_n(ci[0])}–{_n(ci[1])})"


def describe_law(spec: Any) -> str:
    """``lognormal (mean 7.1, sd 3.2)`` for a scenario distribution mapping."""
    if not isinstance(spec, dict):
        return f"always {_n(float(spec))}"
    kind = spec["dist"]
    if kind in ("empirical", "choice"):
        return f"{kind} over {len(spec['values'])} observed values"
    params = ", ".join(f"{k} {_n(float(v))}" for k, v in spec.items() if k != "dist")
    return f"{kind} ({params})"


def _duration_line(what: str, f: DurationFit, unit: str) -> str:
    if f.dist == "constant":
        return f"{what}: always {_n(f.mean)} {unit}s ({f.events:,} observed)"
    return f"{what}: {describe_law(f.spec)}, mean {_n(f.mean)} {unit}s {_ci(f.ci95_mean)}"


def fit_lines(result: FitResult) -> list[str]:
    """One sentence per fitted key, then the notes."""
    unit = result.records.time_unit
    rate, ci = result.demand_rate
    r = result.rate
    out = [
        f"demand {_n(rate)} orders/{unit} {_ci(ci)} from {r.n:,} orders over {_n(r.in_stock)} in-stock {unit}s"
        + (
            f" (calendar time {_n(r.calendar)} {unit}s would give {_n(r.calendar_rate)}, biased low)"
            if r.in_stock < r.calendar
            else ""
        )
    ]
    w = result.weekly
    if w is not None:
        if w.kept:
            days = ", ".join(f"{d} {f:.2f}" for d, f in zip(_DAYS, w.factors, strict=True))
            out.append(f"weekly profile kept (flat week rejected, p = {w.p_value:.2g}): {days}")
        else:
            out.append(f"no weekly profile: the weekdays do not differ (p = {w.p_value:.2g})")
    t = result.trend
    if t.tested:
        if t.kept:
            out.append(
                f"trend {t.trend * 100:+.2g}% of the base rate per {unit} {_ci((t.ci95[0] * 100, t.ci95[1] * 100))}%, "
                f"p = {t.p_value:.2g}"
            )
        else:
            out.append(f"no trend (p = {t.p_value:.2g})")
    q = result.quantity
    out.append(f"units per order: {describe_law(q.spec)}, mean {_n(q.mean)} {_ci(q.ci95_mean)}")
    for lt in result.lead_times:
        f = lt.fit
        who = f" ({lt.supplier})" if lt.supplier and len(result.lead_times) > 1 else ""
        line = _duration_line(f"lead time{who}", f, unit) + f" from {f.events:,} receipts"
        if f.ks_p is not None:
            line += f"; fit {'rejected' if f.ks_p < 0.05 else 'good'} (KS p = {f.ks_p:.2f})"
        out.append(line)
    p = result.patience
    if p is not None:
        out.append(
            f"patience: {describe_law(p.spec)}, median {_n(p.median)} {unit}s {_ci(p.ci95_median)} "
            f"from {p.events:,} cancellations and {p.censored:,} censored waits"
        )
    out += [f"note: {n}" for n in result.notes]
    return out
