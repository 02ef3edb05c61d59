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
from supplysim.analysis.provenance import provenance, supplysim_version
from supplysim.outputs.folders import write_folder
from supplysim.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["scenario_document", "summary_document", "summary_json", "sweep_documents", "write_results"]


def _num(x: float) -> float | None:
    """JSON has no NaN: undefined values are written as null."""
    return None if x is None or not math.isfinite(x) else float(x)


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
            kpis[kpi] = {"mean": _num(s.mean), "sd": _num(s.sd), "ci95_half_width": _num(s.ci95_half_width), "n": s.n}
            if name != sc.baseline:
                d = exp.difference(name, kpi)
                vs[kpi] = {"diff": _num(d.diff), "ci95_low": _num(d.ci95_low), "ci95_high": _num(d.ci95_high)}
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
    # sweep: not part of a run
    model = scenario.model_dump(mode="json", by_alias=True, exclude={"sweep"}, exclude_defaults=True)
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


def trace_csv(rows: Iterable[TraceRecord]) -> str:
    """A per-event trace as CSV: time, event, id, qty, wait, note, supplier.

    ``wait`` is empty except on the shipment that completes a backordered customer's order
    (its time in the queue, full precision); ``supplier`` names the supplier of order and
    deliver rows.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["time", "event", "id", "qty", "wait", "note", "supplier"])
    for row in rows:
        w.writerow([repr(float(row.time)), str(row.event), row.id, row.qty, _cell(row.wait), row.note, row.supplier])
    return buf.getvalue()


def write_results(exp: Experiment, out: Path, extra: Mapping[str, str | bytes] | None = None) -> Path:
    """Write the results folder of an experiment, atomically (see :func:`~supplysim.outputs.folders.write_folder`)."""
    files: dict[str, str | bytes] = {
        "summary.json": summary_json(exp),
        "summary.csv": summary_csv(exp),
        "replications.csv": replications_csv(exp),
        "scenario.yaml": scenario_document(exp),
    }
    files.update(extra or {})
    return write_folder(out, files)


def sweep_documents(table: pd.DataFrame, lines: list[str], scenario: Scenario) -> dict[str, str]:
    """The text files of a sweep folder: ``sweep.csv`` (the tidy table, 10 significant digits),
    ``summary.txt`` (the answer in words, one line each) and ``scenario.yaml`` (the swept scenario)."""
    return {
        "sweep.csv": table.to_csv(index=False, float_format="%.10g"),
        "summary.txt": "\n".join(lines) + "\n",
        "scenario.yaml": yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True), sort_keys=False),
    }
