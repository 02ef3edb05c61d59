"""The results folder and the machine-readable summary (``cli.md``, "The results folder")."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from supplysim import __version__
from supplysim.analysis.experiment import Experiment

__all__ = ["scenario_document", "summary_document", "summary_json", "write_results"]


def _num(x: float) -> float | None:
    """JSON has no NaN: undefined values are written as null."""
    return None if x is None or not math.isfinite(x) else float(x)


def summary_document(exp: Experiment) -> dict[str, Any]:
    """The ``summary.json`` document as a Python mapping."""
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
        "supplysim_version": __version__,
        "scenario": sc.name,
        "scenario_sha256": scenario_fingerprint(exp),
        "seed": sc.seed,
        "replications": sc.replications,
        "horizon": sc.horizon,
        "warmup": sc.warmup,
        "baseline": sc.baseline,
        "policies": policies,
    }


def scenario_fingerprint(exp: Experiment) -> str:
    """SHA-256 of the resolved scenario (canonical JSON): equal fingerprints, equal models."""
    model = exp.scenario.model_dump(mode="json", by_alias=True, exclude={"sweep"})  # sweep: not part of a run
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
        f"# Resolved by supplysim {__version__}: every default filled in and every policy complete.\n"
        "# Running this file reproduces the results in this folder.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def trace_csv(rows: list[tuple[float, str, int, int, str]]) -> str:
    """A per-event trace as CSV: time, event, id, qty, note."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["time", "event", "id", "qty", "note"])
    for t, event, ident, qty, note in rows:
        w.writerow([repr(float(t)), event, ident, qty, note])
    return buf.getvalue()


MARKER = ".supplysim-results"
"""A file in every results folder: only such folders (or empty ones) are ever replaced."""


class ResultsFolderError(ValueError):
    """``--out`` names something supplysim must not overwrite."""


def check_destination(out: Path) -> None:
    """Refuse a destination that is a file, or a non-empty folder not written by supplysim."""
    out = Path(out)
    if not out.resolve().name:
        raise ResultsFolderError(f"{out}: cannot use the root folder as a results folder")
    if out.exists():
        if not out.is_dir():
            raise ResultsFolderError(f"{out} is a file, not a results folder\n  hint: give --out a folder name")
        if not (out / MARKER).exists() and any(out.iterdir()):
            raise ResultsFolderError(
                f"{out} already holds files that supplysim did not write; they would be replaced\n"
                "  hint: choose a new or empty folder with --out"
            )


def write_results(exp: Experiment, out: Path, extra: Mapping[str, str | bytes] | None = None) -> Path:
    """Write the results folder of an experiment (see :func:`write_folder`)."""
    files: dict[str, str | bytes] = {
        "summary.json": summary_json(exp),
        "summary.csv": summary_csv(exp),
        "replications.csv": replications_csv(exp),
        "scenario.yaml": scenario_document(exp),
    }
    files.update(extra or {})
    return write_folder(out, files)


def write_folder(out: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write a results folder atomically: a complete new folder replaces the old one.

    The folder is assembled next to ``out`` and renamed into place, so an
    interrupted run leaves either the previous results or the new ones, never a
    mix (in the instant between the two renames, the previous results sit under
    ``.NAME.old-PID`` beside it). Only an empty folder or one written by
    supplysim (it holds :data:`MARKER`) is replaced.
    """
    out = Path(out).resolve()
    check_destination(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a results folder is an ordinary folder
    try:
        content_by_name = dict(files)
        content_by_name[MARKER] = f"written by supplysim {__version__}; this folder is replaced by the next run\n"
        for name, content in content_by_name.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                (tmp / name).write_bytes(content)
            else:
                (tmp / name).write_text(content, encoding="utf-8")
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
