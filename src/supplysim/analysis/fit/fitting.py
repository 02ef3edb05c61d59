"""From one product's records to the fitted keys of a scenario (``data.md``, ``docs/fit.md``).

:func:`fit_records` runs every estimator on :class:`~supplysim.records.Records` and returns
a :class:`FitResult`: the estimates as data, the ``(key path, value)`` overrides that turn
a template into the fitted scenario, its ``fit:`` metadata block and the JSON document of
``supplysim fit --format json``. Pure: it reads no file and writes none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from supplysim.analysis.fit.demand import (
    MIN_TREND_SPAN,
    Exposure,
    RateFit,
    TrendFit,
    WeeklyFit,
    exposure,
    fit_rate,
    fit_trend,
    fit_weekly,
)
from supplysim.analysis.fit.durations import LAWS, PATIENCE_LAWS, DurationFit, fit_durations
from supplysim.analysis.fit.quantity import QuantityFit, fit_quantity
from supplysim.records import UNIT_SECONDS, Records
from supplysim.scenario.specs import Scenario

__all__ = ["MIN_EVENTS", "FitResult", "LeadTimeFit", "PatienceData", "fit_records", "patience_data"]

FloatArray = npt.NDArray[np.float64]

MIN_EVENTS = 5
"""Fewest observations (lead times, cancellations) a law is fitted from; below, the key keeps the template's value."""


@dataclass(frozen=True)
class PatienceData:
    """Waits of backordered orders: cancellations are events, the rest right-censored [time]."""

    events: FloatArray
    """cancelled − created."""
    served: FloatArray
    """fulfilled − created: censored (the customer was still waiting when served)."""
    open: FloatArray
    """export time − created for orders neither fulfilled nor cancelled: censored."""

    @property
    def censored(self) -> FloatArray:
        return np.concatenate([self.served, self.open])


def patience_data(records: Records) -> PatienceData:
    """Split the backordered orders into events and censored waits (``data.md``)."""
    o = records.orders
    b = o.backordered
    cancelled = b & ~np.isnan(o.cancelled)
    served = b & ~np.isnan(o.fulfilled)
    still = b & ~cancelled & ~served
    return PatienceData(
        np.asarray(o.cancelled[cancelled] - o.created[cancelled], dtype=float),
        np.asarray(o.fulfilled[served] - o.created[served], dtype=float),
        np.asarray(records.end - o.created[still], dtype=float),
    )


@dataclass(frozen=True)
class LeadTimeFit:
    """The lead time of one supplier (or of all pooled), with the key it is written to."""

    key: str
    """e.g. ``supplier.lead_time`` or ``suppliers.1.lead_time`` (as ``--set`` writes it)."""
    supplier: str | None
    fit: DurationFit
    open: int
    """Purchase orders not yet received at the export (left out of the fit)."""


@dataclass(frozen=True)
class FitResult:
    """Everything ``supplysim fit`` estimated, and what it writes."""

    records: Records
    window: Exposure
    rate: RateFit
    weekly: WeeklyFit | None
    """None when the time unit is not a day (the format's weekly factors are per day)."""
    trend: TrendFit
    quantity: QuantityFit
    lead_times: tuple[LeadTimeFit, ...]
    patience: DurationFit | None
    """None with fewer than :data:`MIN_EVENTS` cancellations."""
    patience_data: PatienceData
    segments: int
    """How many segments of the template receive the patience."""
    notes: tuple[str, ...] = field(default=())
    """What was not fitted and why; what the data hinted at."""

    # ----------------------------------------------------------------- the fitted rate

    @property
    def demand_rate(self) -> tuple[float, tuple[float, float]]:
        """``demand.rate`` as written, with its interval [orders/time].

        Flat week: λ̂ = n/T (Garwood interval). Weekly factors kept: λ̄, the mean of the
        weekday rates (delta-method interval). Trend kept: λ̂₀, the rate at time 0, with
        the flat interval scaled by λ̂₀/λ̂ (approximate).
        """
        if self.trend.kept:
            scale = self.trend.base_rate / self.rate.rate
            return self.trend.base_rate, (self.rate.ci95[0] * scale, self.rate.ci95[1] * scale)
        if self.weekly is not None and self.weekly.kept:
            return self.weekly.mean_rate, self.weekly.mean_rate_ci95
        return self.rate.rate, self.rate.ci95

    @property
    def weekly_factors(self) -> list[float] | None:
        if self.weekly is None or not self.weekly.kept:
            return None
        return [float(f"{x:.4g}") for x in self.weekly.factors]

    # ----------------------------------------------------------------- outputs

    def overrides(self) -> list[tuple[str, Any]]:
        """``(key path, value)`` pairs that make the template the fitted scenario."""
        rate, _ = self.demand_rate
        out: list[tuple[str, Any]] = [("demand.rate", float(f"{rate:.6g}"))]
        if self.weekly is not None:
            out.append(("demand.weekly", self.weekly_factors))
        out.append(("demand.trend", float(f"{self.trend.trend:.6g}") if self.trend.kept else 0.0))
        out.append(("demand.quantity", self.quantity.spec))
        out += [(lt.key, lt.fit.spec) for lt in self.lead_times]
        if self.patience is not None:
            out += [(f"segments.{i}.patience", self.patience.spec) for i in range(self.segments)]
        return out

    def block(self) -> dict[str, Any]:
        """The ``fit:`` metadata block (:class:`~supplysim.scenario.specs.FitBlock`)."""
        rec = self.records
        rate, ci = self.demand_rate
        unit = rec.time_unit
        keys: dict[str, Any] = {
            "demand.rate": {
                "estimate": _num(rate),
                "ci95": [_num(ci[0]), _num(ci[1])],
                "n": self.rate.n,
                "method": f"Poisson: orders / in-stock time ({_num(self.rate.in_stock)} of "
                f"{_num(self.rate.calendar)} {unit}s in stock), Garwood exact interval",
            }
        }
        if self.weekly is not None:
            keys["demand.weekly"] = {
                "estimate": self.weekly_factors,
                "n": self.rate.n,
                "p_value": _p(self.weekly.p_value),
                "method": f"likelihood-ratio test of a flat week, chi-square {self.weekly.df} df: "
                + ("kept at 5%" if self.weekly.kept else "not rejected at 5%, no weekly factors"),
            }
        keys["demand.trend"] = {
            "estimate": _num(self.trend.trend) if self.trend.kept else 0.0,
            "ci95": [_num(self.trend.ci95[0]), _num(self.trend.ci95[1])] if self.trend.tested else None,
            "n": self.rate.n,
            "p_value": _p(self.trend.p_value) if self.trend.tested else None,
            "method": (
                "maximum likelihood of the linear trend, likelihood-ratio test (1 df): "
                + ("kept at 5%" if self.trend.kept else "not rejected at 5%, no trend")
            )
            if self.trend.tested
            else "not tested: the history is shorter than eight weeks",
        }
        q = self.quantity
        keys["demand.quantity"] = {
            "estimate": q.spec,
            "ci95": [_num(q.ci95_mean[0]), _num(q.ci95_mean[1])],
            "n": q.n,
            "method": f"{q.dist} (least AIC among {', '.join(q.aic)}); interval of the mean units per order",
        }
        for lt in self.lead_times:
            f = lt.fit
            keys[lt.key] = {
                "estimate": f.spec,
                "ci95": [_num(f.ci95_mean[0]), _num(f.ci95_mean[1])],
                "n": f.events,
                "p_value": _p(f.ks_p) if f.ks_p is not None else None,
                "method": _duration_method(f, "lead times"),
            }
        if self.patience is not None:
            f = self.patience
            for i in range(self.segments):
                keys[f"segments.{i}.patience"] = {
                    "estimate": f.spec,
                    "ci95": [_num(f.ci95_median[0]), _num(f.ci95_median[1])],
                    "n": f.events + f.censored,
                    "method": f"censored maximum likelihood ({f.events} cancellations, {f.censored} censored), "
                    f"least AIC among {', '.join(f.aic)}; interval of the median (delta method)",
                }
        return {
            "records": {k: str(v) for k, v in rec.files.items()},
            "sku": rec.sku,
            "exported_at": rec.exported_at.isoformat().replace("+00:00", "Z"),
            "origin": rec.origin.isoformat().replace("+00:00", "Z"),
            "window": [_num(rec.start), _num(rec.end)],
            "keys": keys,
        }

    def to_json(self) -> dict[str, Any]:
        """The document of ``supplysim fit --format json`` (keys as ``data.md``; more keys may follow)."""
        rate, ci = self.demand_rate
        doc: dict[str, Any] = {
            "demand.rate": {
                "estimate": rate,
                "ci95": [ci[0], ci[1]],
                "n": self.rate.n,
                "in_stock": self.rate.in_stock,
                "calendar": self.rate.calendar,
                "calendar_rate": self.rate.calendar_rate,
            },
            "demand.weekly": {
                "estimate": self.weekly_factors,
                "p_value": self.weekly.p_value if self.weekly is not None else None,
            },
            "demand.trend": {
                "estimate": self.trend.trend if self.trend.kept else 0.0,
                "p_value": self.trend.p_value if self.trend.tested else None,
            },
            "demand.quantity": {
                "dist": self.quantity.dist,
                "mean": self.quantity.mean,
                "ci95_mean": list(self.quantity.ci95_mean),
                "n": self.quantity.n,
                "aic": self.quantity.aic,
            },
            "supplier.lead_time": None,
            "patience": None,
            "time_unit": self.records.time_unit,
            "sku": self.records.sku,
            "notes": list(self.notes),
        }
        if self.lead_times:
            lts = [_lead_json(lt) for lt in self.lead_times]
            doc["supplier.lead_time"] = lts[0] if len(lts) == 1 else lts[0] | {"by_supplier": lts}
        if self.patience is not None:
            f = self.patience
            doc["patience"] = {
                "dist": f.dist,
                "mean": f.mean,
                "median": f.median,
                "ci95_median": list(f.ci95_median),
                "events": f.events,
                "censored": f.censored,
                "aic": f.aic,
            }
        out: dict[str, Any] = _finite(doc)
        return out


def _lead_json(lt: LeadTimeFit) -> dict[str, Any]:
    f = lt.fit
    return {
        "key": lt.key,
        "supplier": lt.supplier,
        "dist": f.dist,
        "mean": f.mean,
        "sd": f.sd,
        "ci95_mean": list(f.ci95_mean),
        "n": f.events,
        "open": lt.open,
        "aic": f.aic,
        "ks": f.ks,
        "ks_p_value": f.ks_p,
    }


def _duration_method(f: DurationFit, what: str) -> str:
    if f.dist == "constant":
        return f"every one of the {f.events} {what} is the same"
    text = f"maximum likelihood, least AIC among {', '.join(f.aic)}"
    if f.ks_p is not None:
        text += f"; Kolmogorov-Smirnov D = {f.ks:.3f}, bootstrap p = {f.ks_p:.2f}"
    if f.dist == "empirical":
        text += "; no law fits at 5%, so the observed values are resampled"
    return text


def _num(x: float) -> float | None:
    return float(f"{x:.6g}") if math.isfinite(x) else None


def _p(x: float) -> float:
    return float(f"{min(max(x, 0.0), 1.0):.4g}")


def _finite(value: Any) -> Any:
    """NaN and infinities as null (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _lead_times(records: Records, template: Scenario, gof_draws: int, seed: int) -> tuple[list[LeadTimeFit], list[str]]:
    notes: list[str] = []
    r = records.receipts
    if r is None:
        return [], ["no receipts: the lead time keeps the template's value"]
    names = [s.name for s in template.all_suppliers] if (template.supplier or template.suppliers) else []
    many = template.suppliers is not None
    groups: list[tuple[str, str | None, npt.NDArray[np.bool_]]] = []
    done = ~np.isnan(r.received)
    by = r.supplier
    if by is not None and len(set(by)) > 1 and many:
        for name in dict.fromkeys(by):
            if name not in names:
                notes.append(f"supplier {name!r} of the receipts is not a supplier of the template: not fitted")
                continue
            groups.append((f"suppliers.{names.index(name)}.lead_time", name, np.array([s == name for s in by])))
    else:
        if by is not None and len(set(by)) > 1:
            notes.append(
                f"the receipts name {len(set(by))} suppliers but the template has one: their lead times are pooled"
            )
        if many:
            groups = [(f"suppliers.{i}.lead_time", n, np.ones(len(r), dtype=bool)) for i, n in enumerate(names)]
            notes.append("the receipts name no supplier: every supplier of the template gets the pooled lead time")
        else:
            groups = [("supplier.lead_time", names[0] if names else None, np.ones(len(r), dtype=bool))]
    out = []
    for key, who, mask in groups:
        x = np.asarray(r.received[mask & done] - r.ordered[mask & done], dtype=float)
        if len(x) < MIN_EVENTS:
            notes.append(f"{key}: only {len(x)} received purchase orders (at least {MIN_EVENTS} needed): not fitted")
            continue
        fit = fit_durations(x, laws=LAWS, gof_draws=gof_draws, seed=seed)
        out.append(LeadTimeFit(key, who, fit, int((mask & ~done).sum())))
    if int((~done).sum()):
        notes.append(
            f"{int((~done).sum())} purchase orders not yet received are left out of the lead time "
            "(this understates long lead times when many are open)"
        )
    return out, notes


def fit_records(records: Records, template: Scenario, *, gof_draws: int = 199, seed: int = 0) -> FitResult:
    """Run every estimator of ``docs/fit.md`` on one product's records.

    Args:
        records: what :func:`~supplysim.records.read_records` returned (in the template's time unit).
        template: the scenario whose keys are replaced (its segments receive the patience,
            its suppliers the lead times).
        gof_draws: bootstrap samples of the lead-time goodness-of-fit test (0: no test).
        seed: of the bootstrap.
    """
    notes: list[str] = []
    spells = records.stockouts
    s0 = spells.start if spells is not None else np.zeros(0)
    s1 = spells.end if spells is not None else np.zeros(0)
    window = exposure(records.start, records.end, s0, s1)
    created = records.orders.created
    rate = fit_rate(created, window)
    if rate.outside:
        notes.append(f"{rate.outside} orders fall inside stockout spells and are not counted (check the spells' times)")
    weekly = fit_weekly(created, window) if records.time_unit == "day" else None
    if weekly is None:
        notes.append(f"time_unit is {records.time_unit!r}: no weekly factors (they are per day)")
    days = UNIT_SECONDS[records.time_unit] / UNIT_SECONDS["day"]
    trend = fit_trend(
        created,
        window,
        weekly.factors if weekly is not None and weekly.kept else None,
        min_span=MIN_TREND_SPAN / days,
    )
    quantity = fit_quantity(records.orders.quantity[window.contains(created)])
    lead_times, lt_notes = _lead_times(records, template, gof_draws, seed)
    notes += lt_notes
    pdata = patience_data(records)
    patience = None
    if len(pdata.events) >= MIN_EVENTS:
        patience = fit_durations(pdata.events, pdata.censored, laws=PATIENCE_LAWS, gof_draws=0)
    else:
        backordered = int(records.orders.backordered.sum())
        notes.append(
            f"only {len(pdata.events)} cancellations among {backordered} backordered orders "
            f"(at least {MIN_EVENTS} needed): patience keeps the template's value"
        )
    if template.demand.seasonal is not None or template.demand.events:
        notes.append("the template's seasonal cycle and demand events are kept as they are (not estimated)")
    return FitResult(
        records=records,
        window=window,
        rate=rate,
        weekly=weekly,
        trend=trend,
        quantity=quantity,
        lead_times=tuple(lead_times),
        patience=patience,
        patience_data=pdata,
        segments=len(template.segments),
        notes=tuple(notes),
    )


_MISSING = object()


def _get(node: Any, path: list[str | int]) -> Any:
    for part in path:
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_dict or in_list):
            return _MISSING
        node = node[part]
    return node


def _set(node: Any, path: list[str | int], value: Any) -> None:
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[path[-1]] = value


def fitted_scenario(result: FitResult, template: Scenario) -> Scenario:
    """The template with the fitted keys replaced and the ``fit:`` block added, validated
    like any scenario (so the result is valid by construction).

    The fitted values replace the base model's keys. A policy that gives a key a value of
    its own keeps it, written out whole (a policy's lead time of 9 stays 9, not a partial
    mapping over the fitted law); a policy that inherits the key inherits the fit.
    """
    from supplysim.scenario.load import load_scenario, scenario_source
    from supplysim.scenario.overrides import parts

    data = scenario_source(template)
    base = {k: v for k, v in data.items() if k != "policies"}
    pairs = result.overrides()
    for name, body in data["policies"].items():
        own = template.policies[name].model_dump(mode="json", by_alias=True)
        for key, value in pairs:
            path = parts(key)
            mine, inherited = _get(own, path), _get(base, path)
            if mine is not _MISSING and mine != inherited:
                _set(body, path, mine)
            elif _get(body, path) is not _MISSING:  # inside a list the policy rewrote: the fit too
                _set(body, path, value)
    for key, value in pairs:
        _set(data, parts(key), value)
    data["fit"] = result.block()
    return load_scenario(data)
