"""What a comparison cannot show: notes on experiments whose numbers would mislead if read alone.

Four checks, each a pure function of an :class:`~supplysim.analysis.experiment.Experiment`:

- :data:`NoteKind.SAME_AS_BASELINE`: a policy gave exactly the baseline's numbers in every
  replication, so the rule that makes it differ (found by comparing its resolved model with
  the baseline's) never acted; its "+0 ± 0, within the noise" is no evidence about the rule.
- :data:`NoteKind.NEVER_STOCKS_OUT`: no customer was ever lost or backordered, so what the
  store does at a stockout cannot matter.
- :data:`NoteKind.FEW_REPLICATIONS`: fewer than :data:`MIN_REPLICATIONS` replications, so
  the Student-t intervals rest on a poor estimate of the variance (Law 2015, §4.5).
- :data:`NoteKind.SHORT_WARMUP`: the warm-up is shorter than :data:`WARMUP_LEAD_TIMES` mean
  lead times, so the measured window starts while the stock still reflects the initial
  condition (initial-transient bias, Law 2015, *Simulation Modeling and Analysis*, §9.5.1).

The table, the verdict and the page print the notes; this module only finds them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from supplysim.analysis.experiment import Experiment
from supplysim.scenario import ModelConfig

__all__ = [
    "MIN_REPLICATIONS",
    "WARMUP_LEAD_TIMES",
    "Note",
    "NoteKind",
    "diagnose",
    "differing_keys",
    "few_replications",
    "leaves",
    "mean_lead_time",
    "never_stocks_out",
    "same_as_baseline",
    "short_warmup",
]

MIN_REPLICATIONS = 5
"""Below this many replications the intervals are flagged as unreliable."""

WARMUP_LEAD_TIMES = 3.0
"""A warm-up shorter than this many mean lead times is flagged: by then a few replenishment
cycles have completed and the stock no longer reflects its initial level (a rule of thumb;
Law 2015, §9.5.1, recommends judging the warm-up from the output, e.g. Welch's procedure)."""


class NoteKind(StrEnum):
    """What a note is about."""

    SAME_AS_BASELINE = "same as baseline"
    NEVER_STOCKS_OUT = "never stocks out"
    FEW_REPLICATIONS = "few replications"
    SHORT_WARMUP = "short warm-up"

    @property
    def of_products(self) -> str:
        """What the note says of the products that have it, after "N of M products …"."""
        return _OF_PRODUCTS[self]


_OF_PRODUCTS = {
    NoteKind.SAME_AS_BASELINE: "have a policy that gave exactly the baseline's numbers (its rule never acted)",
    NoteKind.NEVER_STOCKS_OUT: "never stocked out (what the store does at a stockout cannot matter there)",
    NoteKind.FEW_REPLICATIONS: f"have fewer than {MIN_REPLICATIONS} replications (their intervals are unreliable)",
    NoteKind.SHORT_WARMUP: (
        f"have a warm-up shorter than {WARMUP_LEAD_TIMES:g} mean lead times (their averages still carry the "
        "initial stock)"
    ),
}


@dataclass(frozen=True)
class Note:
    """One diagnostic: a full sentence for the verdict and the page, a short one for the table."""

    kind: NoteKind
    text: str
    """A sentence (ends with a full stop)."""
    short: str
    """A few words for the table's caption."""
    policy: str | None = None
    """The policy it is about (None: the whole run)."""
    keys: tuple[str, ...] = ()
    """Key paths involved (for :data:`NoteKind.SAME_AS_BASELINE`, what the policy changes)."""


# ---------------------------------------------------------------- model differences


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted key paths to the leaves of a model dump. Distributions (mappings with ``dist``) are
    leaves; lists of named mappings (suppliers, segments) are keyed ``path[name]``; other lists
    are leaves."""
    if isinstance(value, dict) and "dist" not in value:
        for k, v in value.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        for v in value:
            yield from leaves({k: x for k, x in v.items() if k != "name"}, f"{prefix}[{v['name']}]")
    else:
        yield prefix, value


_FLAT: dict[int, tuple[ModelConfig, dict[str, Any]]] = {}
"""Models flattened by :func:`_flat` (at most eight, then emptied), by ``id``, each kept alive
beside its leaves so that its id is not reused: one product's notes flatten its baseline once,
not once per policy."""


def _flat(model: ModelConfig) -> dict[str, Any]:
    """``{key path: value}`` of the leaves of a resolved model (:func:`leaves` of its dump); not to be modified."""
    hit = _FLAT.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    flat = dict(leaves(model.model_dump(by_alias=True, mode="json")))
    if len(_FLAT) >= 8:  # clear() and the store are single steps: threads sharing it (a Dask worker's) cannot break it
        _FLAT.clear()
    _FLAT[id(model)] = (model, flat)
    return flat


_UNION_TAGS = ("rule", "policy")
"""Keys that select a variant of a section (``sourcing.rule``, ``replenishment.policy``): when
they differ, the section differs as a whole and is named by its tag."""


def differing_keys(model: ModelConfig, baseline: ModelConfig) -> tuple[str, ...]:
    """The key paths whose values differ between two resolved models, in the order of the model.

    A section whose variant differs (``sourcing.rule``, ``replenishment.policy``) is named
    once by its tag rather than key by key; a supplier or segment present on one side only
    is named once (``suppliers[fast]``); a single ``supplier`` replaced by a list of
    ``suppliers`` is named ``suppliers``.
    """
    mine, base = _flat(model), _flat(baseline)
    keys = list(mine) + [k for k in base if k not in mine]
    changed = [k for k in keys if mine.get(k, _ABSENT) != base.get(k, _ABSENT)]
    variant = {k.rpartition(".")[0]: k for k in changed if "." in k and k.rpartition(".")[2] in _UNION_TAGS}
    swapped = (model.suppliers is None) != (baseline.suppliers is None)
    out: list[str] = []
    for key in changed:
        section = next((v for v in variant if key.startswith(v + ".")), None)
        if section is not None:
            key = variant[section]
        elif swapped and (key.startswith(("supplier.", "suppliers[")) or key in ("supplier", "suppliers")):
            key = "suppliers"
        elif "]" in key:
            entry = key[: key.index("]") + 1]
            if not all(any(k.startswith(entry) for k in side) for side in (mine, base)):
                key = entry
        if key not in out:
            out.append(key)
    return tuple(out)


_ABSENT = object()


# ---------------------------------------------------------------- the checks


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _identical(rows: list[dict[str, float]], base: list[dict[str, float]]) -> bool:
    return len(rows) == len(base) > 0 and all(
        r.keys() == b.keys() and all(_same(r[k], b[k]) for k in r) for r, b in zip(rows, base, strict=True)
    )


def _listing(keys: tuple[str, ...], model: ModelConfig, limit: int = 3) -> str:
    """``a.b (value), c.d (value) and N more``: the keys, with the policy's value when it is a plain one."""
    values = _flat(model)

    def one(key: str) -> str:
        v = values.get(key, _ABSENT)
        if isinstance(v, bool) or v is None:
            return f"{key} ({'not set' if v is None else str(v).lower()})"
        if isinstance(v, int | float | str):
            return f"{key} ({v:g})" if isinstance(v, float) else f"{key} ({v})"
        return key

    shown = ", ".join(one(k) for k in keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def same_as_baseline(exp: Experiment) -> list[Note]:
    """A note for each policy whose every indicator equals the baseline's in every replication."""
    sc = exp.scenario
    base_model = sc.policies[sc.baseline]
    notes = []
    for name, model in sc.policies.items():
        if name == sc.baseline or not _identical(exp.values[name], exp.values[sc.baseline]):
            continue
        keys = differing_keys(model, base_model)
        n = len(exp.values[name])
        every = f"in every replication ({n})" if n > 1 else "in its only replication"
        if not keys:
            text = f"{name} gave the baseline's numbers {every}: its model is the same as {sc.baseline}'s."
            short = f"{name} = {sc.baseline} (same model)"
        else:
            verb = "never acts" if len(keys) == 1 else "never act"
            text = (
                f"{name} gave the baseline's numbers {every}: its {_listing(keys, model)} {verb} in this run "
                f"(the situation it reacts to never arose), so its difference of 0 says nothing about the rule."
            )
            short = f"{name} = {sc.baseline} in every replication: its {_listing(keys, model)} {verb}"
        notes.append(Note(NoteKind.SAME_AS_BASELINE, text, short, name, keys))
    return notes


def _never_short(rows: list[dict[str, float]]) -> bool:
    """No replication had a customer the shelf could not serve (lost or backordered)."""
    return bool(rows) and all(not (row.get("lost_rate", 0.0) > 0 or row.get("backorder_rate", 0.0) > 0) for row in rows)


def never_stocks_out(exp: Experiment) -> list[Note]:
    """One note when no policy ever turned away or backordered a customer, else one per policy that did not."""
    sc = exp.scenario
    quiet = [name for name in sc.policies if _never_short(exp.values[name])]
    if not quiet:
        return []
    why = "what the store does when the shelf is empty cannot matter"
    if len(quiet) == len(sc.policies):
        text = (
            "No customer was turned away or backordered in any replication, under any policy: the store never "
            f"ran out of stock, so {why} (the policies can differ only in cost); to compare stockout rules, "
            "lower the reorder point or raise demand."
        )
        return [Note(NoteKind.NEVER_STOCKS_OUT, text, "never out of stock: the stockout rule cannot matter")]
    return [
        Note(
            NoteKind.NEVER_STOCKS_OUT,
            f"Under {name} no customer was turned away or backordered in any replication: it never ran out "
            f"of stock, so {why} under it.",
            f"{name} is never out of stock",
            name,
        )
        for name in quiet
    ]


def few_replications(exp: Experiment) -> list[Note]:
    """A note when the run has fewer than :data:`MIN_REPLICATIONS` replications."""
    n = min((len(rows) for rows in exp.values.values()), default=0)
    if n >= MIN_REPLICATIONS:
        return []
    what = "no interval can be computed" if n < 2 else "the intervals are unreliable"
    text = (
        f"Only {n} replication{'s' if n != 1 else ''}: {what} (the Student-t interval needs a usable estimate of "
        f"the variance; use at least {MIN_REPLICATIONS}, better 10 or more)."
    )
    return [Note(NoteKind.FEW_REPLICATIONS, text, f"{n} replication{'s' if n != 1 else ''}: {what}")]


def mean_lead_time(model: ModelConfig) -> float:
    """The longest mean lead time of the model's suppliers [time] (NaN if none is finite)."""
    means = [s.lead_time.mean for s in model.all_suppliers if math.isfinite(s.lead_time.mean)]
    return max(means) if means else math.nan


def short_warmup(exp: Experiment) -> list[Note]:
    """A note when the warm-up is shorter than :data:`WARMUP_LEAD_TIMES` × the longest mean lead time
    of any policy's suppliers (from the scenario's supplier specs)."""
    sc = exp.scenario
    lead = max((mean_lead_time(m) for m in sc.policies.values()), default=math.nan, key=_nan_low)
    if not math.isfinite(lead) or lead <= 0:
        return []
    needed = WARMUP_LEAD_TIMES * lead
    if sc.warmup >= needed:
        return []
    unit = sc.time_unit
    warm = f"a warm-up of {sc.warmup:g} {unit}s" if sc.warmup else "no warm-up"
    text = (
        f"The run has {warm}, less than {WARMUP_LEAD_TIMES:g} mean lead times "
        f"({WARMUP_LEAD_TIMES:g} × {lead:g} = {needed:g} {unit}s): the measured window starts while the stock "
        "still reflects its initial level, which biases the averages (initial-transient bias, Law 2015, §9.5.1); "
        f"set warmup: {math.ceil(needed):g} or more."
    )
    short = f"warm-up {sc.warmup:g} < {WARMUP_LEAD_TIMES:g} mean lead times ({needed:g} {unit}s)"
    return [Note(NoteKind.SHORT_WARMUP, text, short)]


def _nan_low(x: float) -> float:
    return x if math.isfinite(x) else -math.inf


def diagnose(exp: Experiment) -> list[Note]:
    """Every note on ``exp``: the run's (replications, warm-up, stockouts) first, then the policies'."""
    return [*few_replications(exp), *short_warmup(exp), *never_stocks_out(exp), *same_as_baseline(exp)]
