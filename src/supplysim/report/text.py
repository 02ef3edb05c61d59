"""Verdicts in words: what a comparison means, one sentence per policy, where a profit
difference comes from, what customers experience, and the notes that qualify it all."""

from __future__ import annotations

import math
from collections.abc import Sequence

from supplysim.analysis.breakdown import ProfitBreakdown, profit_breakdown
from supplysim.analysis.diagnostics import Note, NoteKind, diagnose
from supplysim.analysis.experiment import Experiment
from supplysim.analysis.intervals import Difference
from supplysim.analysis.kpis import Unit, lookup
from supplysim.experiments.precision import Precision
from supplysim.report.terminal import format_value

__all__ = ["OUTCOMES", "largest_remainder", "outcome_sentence", "verdict_lines", "why_sentence"]

OUTCOMES: tuple[tuple[str, str], ...] = (
    ("fill_rate", "of customers are served at once"),
    ("served_after_wait_rate", "after a wait"),
    ("transship_rate", "from another store"),
    ("cancel_rate", "cancel"),
    ("expire_rate", "see their backorder expire"),
    ("pending_rate", "are still waiting at the end"),
    ("lost_rate", "are turned away"),
)
"""What can happen to a customer, as rates that add up to 1 in every replication
(``docs/indicators.md``, Identities), and how the sentence says it; ``transship_rate``
only where a network ships from another store (``docs/network.md``)."""

_ALWAYS = frozenset({"fill_rate", "served_after_wait_rate", "cancel_rate", "lost_rate"})
"""Outcomes named even at 0.0% (expired and pending customers are named when their share rounds to 0.1% or more)."""

_WHY_WORDS = {
    "revenue": ("more sales", "fewer sales"),
    "ordering_cost": ("buys less", "buys more"),
    "holding_cost": ("less stock held", "more stock held"),
    "backorder_cost": ("less waiting", "more waiting"),
    "lost_sale_cost": ("fewer lost sales", "more lost sales"),
    "transshipment_cost": ("ships less between stores", "ships more between stores"),
}
"""Why a contribution to profit is positive / negative, in words."""


def largest_remainder(shares: Sequence[float], decimals: int = 1) -> list[float]:
    """Shares (fractions summing to about 1) as percentages rounded to ``decimals`` that add up to
    exactly 100: each is rounded down to a step of 10^−decimals %, and the steps still missing go to
    the largest remainders (Hamilton's method; ties to the earlier share)."""
    total = sum(shares)
    if not total > 0:
        return [0.0 for _ in shares]
    steps = 100 * 10**decimals
    exact = [s / total * steps for s in shares]
    down = [math.floor(x) for x in exact]
    missing = steps - sum(down)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - down[i]), i))
    for i in order[:missing]:
        down[i] += 1
    return [d / 10**decimals for d in down]


def outcome_sentence(exp: Experiment, policy: str) -> str | None:
    """What happens to the customers under ``policy``, in shares that add up to 100.0%
    (None when the rates are undefined, e.g. no customers)."""
    outcomes = [(kpi, words) for kpi, words in OUTCOMES if kpi in exp.kpis]
    means = [exp.summary(policy, kpi).mean for kpi, _ in outcomes]
    if not all(math.isfinite(v) for v in means):
        return None
    shown = [
        (pct, words)
        for pct, (kpi, words) in zip(largest_remainder(means), outcomes, strict=True)
        if kpi in _ALWAYS or pct > 0
    ]
    parts = [f"{pct:.1f}% {words}" for pct, words in shown]
    return f"Under {policy}: " + ", ".join(parts[:-1]) + f" and {parts[-1]}."


def _resolve(d: Difference) -> str:
    """How many replications would tell a difference within the noise apart, in words."""
    needed = d.replications_to_resolve()
    if needed is None:
        return "no number of replications would tell them apart (the difference is 0)"
    return f"about {needed:,} replications would tell them apart (an estimate)"


def _currency(exp: Experiment, kpi: str) -> str:
    """`` EUR`` after a money amount when the scenario names its currency (nothing for the default)."""
    currency = exp.scenario.currency
    return f" {currency}" if lookup(kpi).unit is Unit.MONEY and currency != "money" else ""


def why_sentence(b: ProfitBreakdown) -> str:
    """Where a profit difference comes from: each component's contribution (sign as in profit),
    the real ones (interval excludes 0) first, largest first, with the reason in words and the
    units sold; then those within the noise. Components that round to 0 are left out."""
    real, noise = [], []
    for part in sorted(b.parts, key=lambda p: -abs(p.diff.diff) if math.isfinite(p.diff.diff) else 0.0):
        x = part.diff.diff
        if not math.isfinite(x) or format_value("profit", abs(x)) == "0":
            continue
        amount = f"{part.component.label} {format_value('profit', x, signed=True)}"
        if not part.diff.significant:
            noise.append(amount)
            continue
        up, down = _WHY_WORDS[part.component.kpi]
        reason = up if x > 0 else down
        u = b.units_sold.diff
        if part.component.kpi == "revenue" and math.isfinite(u) and round(u):
            reason = f"{abs(u):,.0f} {'more' if u > 0 else 'fewer'} units sold"
        real.append(f"{amount} ({reason})")
    head = f"Where {b.policy}'s profit difference ({format_value('profit', b.profit.diff, signed=True)}) comes from: "
    if not real and not noise:
        return head + "no component differs by 1 or more."
    if not real:
        return head + f"no component differs beyond the noise ({', '.join(noise)})."
    return head + ", ".join(real) + (f"; within the noise: {', '.join(noise)}" if noise else "") + "."


def verdict_lines(
    exp: Experiment, kpi: str = "profit", precision: Precision | None = None, notes: Sequence[Note] | None = None
) -> list[str]:
    """The comparison in plain words: one sentence per policy (for profit, followed by where the
    difference comes from), the notes of :func:`~supplysim.analysis.diagnostics.diagnose`
    (``notes``, default: found here), then what customers experience."""
    notes = diagnose(exp) if notes is None else list(notes)
    same = {n.policy: n for n in notes if n.kind is NoteKind.SAME_AS_BASELINE}
    base = exp.summary(exp.baseline, kpi)
    lines: list[str] = []
    for policy in list(exp.scenario.policies):
        if policy == exp.baseline:
            continue
        if policy in same:
            lines.append(same[policy].text)
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
            amount = format_value(kpi, abs(d.diff)) + _currency(exp, kpi)
            lines.append(f"{policy} earns {amount} {word} {kpi} than {exp.baseline}{rel}: a real difference.")
        else:
            lines.append(
                f"{policy} vs {exp.baseline}: {kpi} differs by "
                f"{format_value(kpi, d.diff, signed=True)}{_currency(exp, kpi)}{rel}, "
                f"within the noise: not distinguishable with {d.n} replications; {_resolve(d)}."
            )
        if kpi == "profit":
            lines.append(why_sentence(profit_breakdown(exp, policy)))
    lines += [n.text for n in notes if n.kind is not NoteKind.SAME_AS_BASELINE]
    for policy in list(exp.scenario.policies):
        sentence = outcome_sentence(exp, policy)
        if sentence is not None:
            lines.append(sentence)
    if precision is not None:
        lines.append(precision.describe() + ".")
    return lines
