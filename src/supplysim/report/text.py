"""Verdicts in words: what a comparison means, one sentence per policy."""

from __future__ import annotations

import math

from supplysim.analysis.experiment import Experiment
from supplysim.experiments.precision import Precision
from supplysim.report.terminal import format_value

__all__ = ["verdict_lines"]


def verdict_lines(exp: Experiment, kpi: str = "profit", precision: Precision | None = None) -> list[str]:
    """The comparison in plain words, one sentence per policy, then what customers experience."""
    base = exp.summary(exp.baseline, kpi)
    lines: list[str] = []
    for policy in list(exp.scenario.policies):
        if policy == exp.baseline:
            continue
        d = exp.difference(policy, kpi)
        if d.n == 0 or not math.isfinite(d.diff):
            continue
        rel = ""
        if base.mean and math.isfinite(base.mean):
            hw = (d.ci95_high - d.ci95_low) / 2
            rel = f" ({d.diff / abs(base.mean) * 100:+.1f}% ± {hw / abs(base.mean) * 100:.1f}%)"
        if d.significant:
            word = "more" if d.diff > 0 else "less"
            amount = format_value(kpi, abs(d.diff))
            lines.append(f"{policy} earns {amount} {word} {kpi} than {exp.baseline}{rel}: a real difference.")
        else:
            lines.append(
                f"{policy} vs {exp.baseline}: {kpi} differs by {format_value(kpi, d.diff, signed=True)}{rel}, "
                "within the noise (interval includes 0)."
            )
    for policy in list(exp.scenario.policies):
        m = {k: exp.summary(policy, k).mean for k in ("fill_rate", "served_after_wait_rate", "cancel_rate")}
        m["lost_rate"] = exp.summary(policy, "lost_rate").mean
        if all(math.isfinite(v) for v in m.values()):
            lines.append(
                f"Under {policy}: {m['fill_rate']:.1%} of customers are served at once, "
                f"{m['served_after_wait_rate']:.1%} after a wait, {m['cancel_rate']:.1%} cancel and "
                f"{m['lost_rate']:.1%} are turned away."
            )
    if precision is not None:
        lines.append(precision.describe() + ".")
    return lines
