"""The results folder and the machine-readable summary (``cli.md``, "The results folder")."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from supplysim.analysis.experiment import Experiment
from supplysim.analysis.kpis import json_number
from supplysim.analysis.provenance import provenance, supplysim_version
from supplysim.outputs.folders import FolderKind, write_folder
from supplysim.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TRACE_COLUMNS",
    "scenario_document",
    "summary_document",
    "summary_json",
    "sweep_documents",
    "trace_csv",
    "trace_frame",
    "write_results",
]


def summary_document(exp: Experiment) -> dict[str, Any]:
    """The ``summary.json`` document as a Python mapping.

    The last key, ``provenance``, says what computed it (:func:`supplysim.analysis.provenance.provenance`);
    it describes the machine and checkout, not the scenario, and comparisons leave it out.
    """
    sc = exp.scenario
    policies: dict[str, Any] = {}
    for name in sc.policies:
        kpis = {}
        vs: dict[str, Any] = {}
        for kpi in exp.kpis:
            s = exp.summary(name, kpi)
            kpis[kpi] = {
                "mean": json_number(s.mean),
                "sd": json_number(s.sd),
                "ci95_half_width": json_number(s.ci95_half_width),
                "n": s.n,
            }
            if name != sc.baseline:
                d = exp.difference(name, kpi)
                vs[kpi] = {
                    "diff": json_number(d.diff),
                    "ci95_low": json_number(d.ci95_low),
                    "ci95_high": json_number(d.ci95_high),
                }
        policies[name] = {"kpis": kpis, "vs_baseline": vs}
    return {
        "supplysim_version": supplysim_version(),
        "scenario": sc.name,
        "scenario_sha256": scenario_fingerprint(exp.scenario),
        "seed": sc.seed,
        "replications": sc.replications,
        "horizon": sc.horizon,
        "warmup": sc.warmup,
        "baseline": sc.baseline,
        "policies": policies,
        "provenance": provenance(),
    }


def scenario_fingerprint(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (canonical JSON): equal fingerprints, equal models.

    Keys at their default values are left out, so a version that adds a key (with a default
    that keeps the old behaviour) keeps the fingerprints of existing scenarios, and writing a
    default explicitly does not change the fingerprint either."""
    # sweep and fit (the metadata of `supplysim fit`): not part of a run
    model = scenario.model_dump(mode="json", by_alias=True, exclude={"sweep", "fit"}, exclude_defaults=True)
    canonical = json.dumps(model, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def summary_json(exp: Experiment) -> str:
    """``summary.json`` exactly as written to the results folder."""
    return json.dumps(summary_document(exp), indent=2) + "\n"


def summary_csv(exp: Experiment) -> str:
    """One row per policy and indicator."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["policy", "kpi", "mean", "sd", "ci95_half_width", "n", "diff_vs_baseline", "diff_ci95_low", "diff_ci95_high"]
    )
    sc = exp.scenario
    for name in sc.policies:
        for kpi in exp.kpis:
            s = exp.summary(name, kpi)
            row: list[Any] = [name, kpi, _cell(s.mean), _cell(s.sd), _cell(s.ci95_half_width), s.n]
            if name == sc.baseline:
                row += ["", "", ""]
            else:
                d = exp.difference(name, kpi)
                row += [_cell(d.diff), _cell(d.ci95_low), _cell(d.ci95_high)]
            w.writerow(row)
    return buf.getvalue()


def replications_csv(exp: Experiment) -> str:
    """One row per policy and replication, one column per indicator."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["policy", "replication", *exp.kpis])
    for name, rows in exp.values.items():
        for i, row in enumerate(rows):
            w.writerow([name, i, *(_cell(row[k]) for k in exp.kpis)])
    return buf.getvalue()


def _cell(x: float) -> str:
    return "" if x is None or not math.isfinite(x) else repr(float(x))


def scenario_document(exp: Experiment) -> str:
    """The scenario as resolved: overrides applied, defaults filled in, policies complete."""
    data = exp.scenario.model_dump(mode="json", by_alias=True)
    header = (
        f"# Resolved by supplysim {supplysim_version()}: every default filled in and every policy complete.\n"
        "# Running this file reproduces the results in this folder.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class TraceRecord(Protocol):
    """A trace row as :func:`trace_csv` reads it (``supplysim.sim.trace.TraceRow``; files never run the model)."""

    @property
    def time(self) -> float: ...
    @property
    def event(self) -> str: ...
    @property
    def id(self) -> int: ...
    @property
    def qty(self) -> int: ...
    @property
    def wait(self) -> float: ...
    @property
    def note(self) -> str: ...
    @property
    def supplier(self) -> str: ...
    @property
    def segment(self) -> str: ...
    @property
    def quote(self) -> float: ...
    @property
    def on_hand(self) -> int: ...
    @property
    def available(self) -> int: ...
    @property
    def backordered(self) -> int: ...
    @property
    def on_order(self) -> int: ...
    @property
    def inventory_position(self) -> int: ...


TRACE_COLUMNS: tuple[str, ...] = (
    "time",
    "event",
    "id",
    "qty",
    "wait",
    "note",
    "supplier",
    "segment",
    "quote",
    "on_hand",
    "available",
    "backordered",
    "on_order",
    "inventory_position",
)
"""The columns of a trace file and of ``Results.traces()``, in order (the first seven as before the
state columns were added: a column added later goes at the end)."""

_STATE = ("on_hand", "available", "backordered", "on_order", "inventory_position")


def trace_csv(rows: Iterable[TraceRecord]) -> str:
    """A per-event trace as CSV with the columns :data:`TRACE_COLUMNS`.

    ``wait`` is empty except on the shipment that completes a backordered customer's order
    (its time in the queue, full precision); ``supplier`` names the supplier of order and
    deliver rows; ``segment`` the segment of arrive rows; ``quote`` is the quoted wait on
    backorder rows (empty elsewhere); the state columns are the store's state after the
    event [units].
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TRACE_COLUMNS)
    for r in rows:
        w.writerow(
            [
                repr(float(r.time)),
                str(r.event),
                r.id,
                r.qty,
                _cell(r.wait),
                r.note,
                r.supplier,
                r.segment,
                _cell(r.quote),
                r.on_hand,
                r.available,
                r.backordered,
                r.on_order,
                r.inventory_position,
            ]
        )
    return buf.getvalue()


def trace_frame(rows: Iterable[TraceRecord], events: Iterable[str]) -> pd.DataFrame:
    """A trace as a typed DataFrame with the columns :data:`TRACE_COLUMNS`, one row per event.

    ``time``, ``wait``, ``quote`` float64 (NaN where a row has none); ``id``, ``qty`` and the
    state columns int64 [units]; ``event`` categorical over ``events`` (every event kind, in
    their order); ``note``, ``supplier``, ``segment`` pandas strings (empty where a row has none).
    """
    import pandas as pd

    rows = list(rows)
    columns: dict[str, Any] = {
        "time": pd.Series([float(r.time) for r in rows], dtype="float64"),
        "event": pd.Categorical([str(r.event) for r in rows], categories=list(events)),
        "id": pd.Series([r.id for r in rows], dtype="int64"),
        "qty": pd.Series([r.qty for r in rows], dtype="int64"),
        "wait": pd.Series([r.wait for r in rows], dtype="float64"),
        "note": pd.Series([r.note for r in rows], dtype="string"),
        "supplier": pd.Series([r.supplier for r in rows], dtype="string"),
        "segment": pd.Series([r.segment for r in rows], dtype="string"),
        "quote": pd.Series([r.quote for r in rows], dtype="float64"),
    }
    for name in _STATE:
        columns[name] = pd.Series([getattr(r, name) for r in rows], dtype="int64")
    return pd.DataFrame(columns, columns=list(TRACE_COLUMNS))


def write_results(exp: Experiment, out: Path, extra: Mapping[str, str | bytes] | None = None) -> Path:
    """Write the results folder of an experiment, atomically (see :func:`~supplysim.outputs.folders.write_folder`)."""
    files: dict[str, str | bytes] = {
        "summary.json": summary_json(exp),
        "summary.csv": summary_csv(exp),
        "replications.csv": replications_csv(exp),
        "scenario.yaml": scenario_document(exp),
    }
    files.update(extra or {})
    return write_folder(out, files, FolderKind.RUN)


def sweep_documents(table: pd.DataFrame, lines: list[str], scenario: Scenario) -> dict[str, str]:
    """The text files of a sweep folder: ``sweep.csv`` (the tidy table, 10 significant digits),
    ``summary.txt`` (the answer in words, one line each) and ``scenario.yaml`` (the swept scenario)."""
    return {
        "sweep.csv": table.to_csv(index=False, float_format="%.10g"),
        "summary.txt": "\n".join(lines) + "\n",
        "scenario.yaml": yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True), sort_keys=False),
    }
