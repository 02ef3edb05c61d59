"""The fitted scenario as a YAML file (``supplysim fit --out``; ``docs/fit.md``).

Written from the validated scenario (:func:`~supplysim.scenario.load.scenario_source`: the
base model and settings with every default filled in, each policy as its difference from
the base), so the template's comments and layout are not kept; a header comment says
where the file came from. Written atomically (:func:`~supplysim.outputs.folders.write_file`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from supplysim.analysis.provenance import supplysim_version
from supplysim.scenario.load import scenario_source
from supplysim.scenario.specs import Scenario

__all__ = ["catalog_csv", "fitted_yaml", "write_fitted"]


def fitted_yaml(scenario: Scenario, template: str) -> str:
    """The text of the fitted scenario, with a header naming the template and the records."""
    data = scenario_source(scenario)
    if "fit" in data:  # the metadata last, after the model it describes
        data["fit"] = data.pop("fit")
    fit = scenario.fit
    files = ", ".join(f"{k} {v}" for k, v in fit.records.items()) if fit is not None else ""
    sku = f" (sku {fit.sku})" if fit is not None and fit.sku else ""
    header = (
        f"# Fitted by supplysim {supplysim_version()} from {files or 'records'}{sku},\n"
        f"# on the template {template}: the keys listed under `fit:` were estimated (with their 95%\n"
        "# intervals and sample sizes); every other key is the template's. `supplysim run` ignores `fit:`.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_fitted(path: Path, scenario: Scenario, template: str) -> Path:
    """Write :func:`fitted_yaml` to ``path`` atomically."""
    from supplysim.outputs.folders import write_file

    return write_file(path, fitted_yaml(scenario, template))


def _cell(value: Any) -> str:
    """A value as a ``--set`` cell: a number as written, a list or mapping as a YAML flow value."""
    if value is None:
        return "null"
    if isinstance(value, bool | int | float | str):
        return str(value) if not isinstance(value, bool) else ("true" if value else "false")
    return str(yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False)).strip()


def catalog_csv(rows: Sequence[tuple[str, Sequence[tuple[str, Any]]]]) -> str:
    """A products table for ``supplysim catalog`` (``docs/catalog.md``): ``sku`` and one column
    per fitted key path (as ``--set`` writes it), each cell the fitted value; a cell is empty
    where that product's key was not fitted (the template's value is kept)."""
    columns: list[str] = []
    for _, pairs in rows:
        for key, _ in pairs:
            if key not in columns:
                columns.append(key)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["sku", *columns])
    for sku, pairs in rows:
        got = dict(pairs)
        w.writerow([sku, *(_cell(got[c]) if c in got else "" for c in columns)])
    return buf.getvalue()
