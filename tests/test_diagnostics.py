"""What qualifies a comparison: the diagnostics, the profit difference by component, the outcome
shares of the verdict, and the run table at any console width.

Every diagnostic is checked on a scenario that triggers it and on one that does not; the
profit breakdown against the identity profit = revenue − ordering − holding − backorder −
lost-sale (so the components' paired differences add up to profit's); the outcome sentence
against the identity that the six outcome rates add to 1; the table against its own summary
(every number and every ``*`` of a real difference printed, nothing cut, no line too wide).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from clirun import cli, ok
from scenario_texts import TINY, tiny
from supplysim.analysis.breakdown import COMPONENTS, profit_breakdown
from supplysim.analysis.diagnostics import (
    MIN_REPLICATIONS,
    NoteKind,
    diagnose,
    differing_keys,
    few_replications,
    never_stocks_out,
    same_as_baseline,
    short_warmup,
)
from supplysim.analysis.experiment import Experiment
from supplysim.analysis.kpis import format_pm, format_value
from supplysim.experiments.runner import run_experiment
from supplysim.report import html as report
from supplysim.report.terminal import comparison_table
from supplysim.report.text import OUTCOMES, largest_remainder, outcome_sentence, verdict_lines
from supplysim.scenario.load import parse_scenario

FIVE = TINY.replace(
    "  hybrid:\n    store: {max_quoted_wait: 1.5}\n",
    "  hybrid:\n    store: {max_quoted_wait: 1.5}\n"
    "  hybrid_never:\n    store: {max_quoted_wait: 10000}\n"  # a quote is never that long
    "  expiring:\n    store: {expire_after: 1}\n",
)
"""TINY with five policies: two of them act (out_of_stock, hybrid, expiring), one never does."""

DUAL = (
    tiny(replications=4)
    .replace(
        "supplier:\n  lead_time: {dist: uniform, low: 1, high: 4}\n  unit_cost: 4\n  order_cost: 5\n",
        "suppliers:\n"
        "  - {name: main, lead_time: {dist: uniform, low: 1, high: 4}, unit_cost: 4, order_cost: 5}\n"
        "  - {name: fast, lead_time: 0.5, unit_cost: 6, order_cost: 5}\n",
    )
    .replace(
        "policies:\n  backorder: {}\n  out_of_stock:\n    store: {stockout: lost_sales}\n"
        "  hybrid:\n    store: {max_quoted_wait: 1.5}\n",
        "policies:\n  single: {}\n"
        "  expedite_never:\n"
        "    sourcing: {rule: expedite, primary: main, expedite_to: fast, backorders_above: 100000}\n"
        "  expedite:\n    sourcing: {rule: expedite, primary: main, expedite_to: fast, backorders_above: 0}\n",
    )
)
"""Two suppliers; an expedite rule that never fires (more than 100,000 waiting) and one that does."""

PLENTY = tiny(replications=4).replace("reorder_point: 8\n  order_up_to: 20", "reorder_point: 80\n  order_up_to: 160")
PLENTY = PLENTY.replace("initial_stock: 15", "initial_stock: 160")
"""TINY with far more stock than the lead-time demand (about 4 × 1.5 units a day for at most
4 days): the shelf is never empty."""


def _run(text: str) -> Experiment:
    return run_experiment(parse_scenario(text), workers=1)


def _five(n: int) -> str:
    return FIVE.replace("replications: 3", f"replications: {n}")


@pytest.fixture(scope="module")
def five_exp() -> Experiment:
    return _run(_five(6))


# ---------------------------------------------------------------- a rule that never acts


def test_a_threshold_that_never_binds_is_named(five_exp: Experiment) -> None:
    notes = same_as_baseline(five_exp)
    assert [n.policy for n in notes] == ["hybrid_never"]
    note = notes[0]
    assert note.keys == ("store.max_quoted_wait",)
    assert "hybrid_never gave the baseline's numbers in every replication (6)" in note.text
    assert "its store.max_quoted_wait (10000) never acts" in note.text
    # the precondition: identical numbers, replication by replication
    assert five_exp.values["hybrid_never"] == five_exp.values["backorder"] or all(
        all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)
        for a, b in zip(five_exp.values["hybrid_never"], five_exp.values["backorder"], strict=True)
    )
    lines = verdict_lines(five_exp)
    assert note.text in lines
    assert not any(line.startswith("hybrid_never vs") for line in lines), "no 'within the noise' for it"


def test_an_expedite_rule_that_never_fires_is_named() -> None:
    exp = _run(DUAL)
    notes = same_as_baseline(exp)
    assert [(n.policy, n.keys) for n in notes] == [("expedite_never", ("sourcing.rule",))]
    assert "its sourcing.rule (expedite) never acts" in notes[0].text
    assert exp.values["expedite"] != exp.values["single"], "precondition: the other expedite rule acts"


def test_a_policy_that_acts_gets_no_note(five_exp: Experiment) -> None:
    acting = {"out_of_stock", "hybrid", "expiring"}
    assert not acting & {n.policy for n in diagnose(five_exp)}
    for p in acting:
        assert five_exp.values[p] != five_exp.values["backorder"]


def test_the_differing_keys_come_from_the_resolved_models() -> None:
    sc = parse_scenario(DUAL)
    assert differing_keys(sc.policies["single"], sc.policies["single"]) == ()
    assert differing_keys(sc.policies["expedite"], sc.policies["single"]) == ("sourcing.rule",)
    five = parse_scenario(FIVE).policies
    assert differing_keys(five["out_of_stock"], five["backorder"]) == ("store.stockout",)
    assert differing_keys(five["expiring"], five["backorder"]) == ("store.expire_after",)
    flagship = parse_scenario(TINY.replace("  backorder: {}\n", "  backorder: {}\n  same: {}\n"))
    assert differing_keys(flagship.policies["same"], flagship.policies["backorder"]) == ()


def test_a_policy_with_the_baseline_s_model_says_so() -> None:
    exp = _run(tiny(replications=2).replace("  backorder: {}\n", "  backorder: {}\n  same: {}\n"))
    (note,) = [n for n in same_as_baseline(exp)]
    assert note.policy == "same" and note.keys == ()
    assert "its model is the same as backorder's" in note.text


# ---------------------------------------------------------------- never out of stock


def test_a_run_that_never_stocks_out_says_the_stockout_rule_cannot_matter() -> None:
    exp = _run(PLENTY)
    for p in exp.scenario.policies:  # the precondition
        assert all(row["stockout_fraction"] == 0 and row["lost_rate"] == 0 for row in exp.values[p])
    (note,) = never_stocks_out(exp)
    assert note.kind is NoteKind.NEVER_STOCKS_OUT and note.policy is None
    assert "never ran out of stock" in note.text and "cannot matter" in note.text


def test_a_run_that_stocks_out_has_no_such_note(five_exp: Experiment) -> None:
    assert never_stocks_out(five_exp) == []


def test_only_the_policy_that_never_stocks_out_is_named() -> None:
    text = tiny(replications=4).replace(
        "  backorder: {}\n",
        "  backorder: {}\n  plenty:\n    replenishment: {policy: sS, reorder_point: 80, order_up_to: 160}\n"
        "    store: {initial_stock: 160}\n",
    )
    (note,) = never_stocks_out(_run(text))
    assert note.policy == "plenty"


# ---------------------------------------------------------------- few replications, short warm-up


@pytest.mark.parametrize("n", [1, 2, MIN_REPLICATIONS - 1, MIN_REPLICATIONS, 6])
def test_fewer_than_five_replications_are_flagged(five_exp: Experiment, n: int) -> None:
    exp = replace(five_exp, values={p: rows[:n] for p, rows in five_exp.values.items()})
    notes = few_replications(exp)
    assert bool(notes) == (n < MIN_REPLICATIONS)
    if notes:
        assert f"Only {n} replication" in notes[0].text
        assert ("no interval" in notes[0].text) == (n < 2)


@pytest.mark.parametrize(
    ("warmup", "flagged"),
    [(0, True), (5, True), (7.4, True), (7.5, False), (30, False)],
)
def test_a_warmup_shorter_than_three_mean_lead_times_is_flagged(warmup: float, flagged: bool) -> None:
    # TINY's lead time is uniform(1, 4): mean 2.5, three of them 7.5 days
    sc = parse_scenario(tiny(warmup=warmup))
    notes = short_warmup(Experiment(sc, {p: [] for p in sc.policies}))
    assert bool(notes) == flagged
    if notes:
        assert "3 × 2.5 = 7.5 days" in notes[0].text and "§9.5.1" in notes[0].text


def test_the_warmup_is_judged_by_the_slowest_supplier() -> None:
    # DUAL: main uniform(1, 4) (mean 2.5) and fast 0.5: judged by 2.5
    for warmup, flagged in ((7, True), (8, False)):
        sc = parse_scenario(DUAL.replace("warmup: 5", f"warmup: {warmup}"))
        assert bool(short_warmup(Experiment(sc, {p: [] for p in sc.policies}))) == flagged


# ---------------------------------------------------------------- why profits differ


def test_the_components_add_up_to_the_profit_difference(five_exp: Experiment) -> None:
    price = five_exp.scenario.product.price
    for policy in list(five_exp.scenario.policies)[1:]:
        b = profit_breakdown(five_exp, policy)
        total = sum(p.diff.diff for p in b.parts)
        assert total == pytest.approx(b.profit.diff, rel=1e-9, abs=1e-6)
        for part, c in zip(b.parts, COMPONENTS, strict=True):
            d = five_exp.difference(policy, c.kpi)
            assert part.diff.diff == pytest.approx(c.sign * d.diff, rel=1e-12, abs=1e-9)
            half = (part.diff.ci95_high - part.diff.ci95_low) / 2
            assert half == pytest.approx((d.ci95_high - d.ci95_low) / 2, rel=1e-9, abs=1e-9)
        rev = five_exp.difference(policy, "revenue").diff
        assert b.units_sold.diff == pytest.approx(rev / price, rel=1e-12, abs=1e-9)
    oos = profit_breakdown(five_exp, "out_of_stock")
    waiting = next(p for p in oos.parts if p.component.kpi == "backorder_cost")
    assert waiting.diff.diff > 0, "no waiting customer under out_of_stock: its waiting cost is saved"


def test_the_verdict_says_where_the_difference_comes_from(five_exp: Experiment) -> None:
    lines = verdict_lines(five_exp)
    why = [line for line in lines if line.startswith("Where out_of_stock's profit difference")]
    assert len(why) == 1
    b = profit_breakdown(five_exp, "out_of_stock")
    rev = next(p for p in b.parts if p.component.kpi == "revenue")
    assert f"revenue {format_value('profit', rev.diff.diff, signed=True)}" in why[0]
    assert f"({format_value('profit', b.profit.diff, signed=True)})" in why[0]
    assert not any(line.startswith("Where hybrid_never") for line in lines)
    assert verdict_lines(five_exp, kpi="fill_rate") and not any(
        line.startswith("Where") for line in verdict_lines(five_exp, kpi="fill_rate")
    )


def test_the_page_has_the_breakdown_and_the_notes(five_exp: Experiment) -> None:
    page = report.report_html(five_exp, {})
    assert '<section id="why">' in page and 'id="why-table"' in page
    assert "store.max_quoted_wait (10000) never acts" in page
    section = page[page.index('<section id="why">') : page.index("</section>", page.index('<section id="why">'))]
    assert section.count('<th scope="row"') == len(COMPONENTS) + 2  # Δ profit, components, units sold
    assert section.count("<td") == (len(COMPONENTS) + 2) * (len(five_exp.scenario.policies) - 1)


# ---------------------------------------------------------------- outcome shares


@pytest.mark.parametrize(
    "shares",
    [
        [1 / 3, 1 / 3, 1 / 3],
        [0.8365, 0.0719, 0.0352, 0.0, 0.0006, 0.0558],
        [0.12345, 0.12345, 0.7531, 0.0],
        [0.99951, 0.00049],
    ],
)
def test_largest_remainder_adds_to_100(shares: list[float]) -> None:
    pct = largest_remainder(shares)
    assert round(sum(pct), 6) == 100.0
    for p, s in zip(pct, shares, strict=True):
        assert abs(p - 100 * s / sum(shares)) < 0.1 + 1e-9
        assert (p == 0) == (s == 0) or s < 0.0005


def test_the_outcome_sentences_name_every_outcome_and_add_to_100(five_exp: Experiment) -> None:
    seen_expired = seen_pending = False
    for policy in five_exp.scenario.policies:
        sentence = outcome_sentence(five_exp, policy)
        assert sentence is not None
        shares = [float(x) for x in re.findall(r"(\d+\.\d)%", sentence)]
        assert round(sum(shares), 6) == 100.0, sentence
        means = {k: five_exp.summary(policy, k).mean for k, _ in OUTCOMES if k in five_exp.kpis}
        assert sum(means.values()) == pytest.approx(1.0, abs=1e-9)  # the identity the shares rest on
        pct = dict(zip(means, largest_remainder(list(means.values())), strict=True))
        assert ("expire" in sentence) == (pct["expire_rate"] > 0)  # named when its share is 0.1% or more
        assert ("still waiting" in sentence) == (pct["pending_rate"] > 0)
        assert all(abs(pct[k] - 100 * means[k]) < 0.1 + 1e-9 for k in means)
        seen_expired |= means["expire_rate"] > 0
        seen_pending |= means["pending_rate"] > 0
    assert seen_expired and seen_pending, "precondition: some policy has expired and pending customers"


# ---------------------------------------------------------------- the table fits the console


def _shown(exp: Experiment, width: int) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(comparison_table(exp, width=width))
    return console.export_text()


def _expected(exp: Experiment) -> tuple[list[str], int]:
    """Every number the table must show, and how many ``*`` marks."""
    numbers: list[str] = []
    marks = 0
    base = exp.baseline
    for kpi in exp.kpis:
        for p in exp.scenario.policies:
            s = exp.summary(p, kpi)
            if s.n:
                value, hw = format_pm(kpi, s.mean, s.ci95_half_width)
                numbers.append(value)
                if math.isfinite(s.ci95_half_width):
                    numbers.append("± " + hw)
            if p == base:
                continue
            d = exp.difference(p, kpi)
            if d.n and math.isfinite(d.diff):
                value, hw = format_pm(kpi, d.diff, (d.ci95_high - d.ci95_low) / 2, signed=True)
                numbers.append(value)
                if math.isfinite(d.ci95_high):
                    numbers.append(f"± {hw}" + (" *" if d.significant else ""))
                marks += d.significant
    for p in list(exp.scenario.policies)[1:]:
        b = profit_breakdown(exp, p)
        for kpi, d in (
            ("profit", b.profit),
            *(("profit", part.diff) for part in b.parts),
            ("units_ordered", b.units_sold),
        ):
            value, hw = format_pm(kpi, d.diff, (d.ci95_high - d.ci95_low) / 2, signed=True)
            numbers.append(value)
            numbers.append(f"± {hw}" + (" *" if d.significant else ""))
            marks += d.significant
    return numbers, marks


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("policies", [2, 5])
def test_the_table_never_cuts_a_number(five_exp: Experiment, width: int, policies: int) -> None:
    names = list(five_exp.scenario.policies)[:policies]
    sc = five_exp.scenario.model_copy(update={"policies": {n: five_exp.scenario.policies[n] for n in names}})
    exp = Experiment(sc, {n: five_exp.values[n] for n in names})
    text = _shown(exp, width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    numbers, marks = _expected(exp)
    for number in numbers:
        assert number in text, (number, width, policies)
    assert len(re.findall(r"[\d%] \*", text)) == marks
    assert "Where Δ profit comes from" in text


def test_a_wide_console_keeps_one_line_per_indicator(five_exp: Experiment) -> None:
    text = _shown(five_exp, 400)
    profit = five_exp.summary("backorder", "profit")
    line = next(line for line in text.splitlines() if line.strip().startswith("profit"))
    assert f"{format_value('profit', profit.mean)} ± {format_value('profit', profit.ci95_half_width)}" in line


def test_the_table_shows_the_notes(five_exp: Experiment) -> None:
    text = _shown(five_exp, 120)
    for note in diagnose(five_exp):
        assert f"note: {note.short}" in " ".join(text.split())


def test_run_prints_the_notes_under_the_table_and_in_the_verdict(tmp_path: Path) -> None:
    (tmp_path / "five.yaml").write_text(_five(2), encoding="utf-8")
    proc = ok(cli(tmp_path, "run", "five.yaml", "--workers", "1", "--no-report"))
    out = " ".join(proc.stdout.split())
    assert "note: 2 replications: the intervals are unreliable" in out
    assert "Only 2 replications: the intervals are unreliable" in out
    assert "Where Δ profit comes from" in out
    assert "…" not in proc.stdout
    table_end = out.index("Where Δ profit comes from")
    assert out.index("note: 2 replications") > table_end  # the notes follow the tables, the verdict follows them
    assert out.index("Only 2 replications") > out.index("note: 2 replications")


def test_a_one_policy_table_does_not_explain_the_differences_it_does_not_show(five_exp: Experiment) -> None:
    """The caption explains Δ and * only when there is a Δ column."""
    one = five_exp.scenario.model_copy(update={"policies": {"backorder": five_exp.scenario.policies["backorder"]}})
    text = _shown(Experiment(one, {"backorder": five_exp.values["backorder"]}), 200)
    assert "mean ± 95% CI half-width; time in" in text and "Δ" not in text and "paired difference" not in text
    assert "paired difference vs" in _shown(five_exp, 200)
