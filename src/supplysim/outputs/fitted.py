"""The fitted scenario as a YAML file (``supplysim fit --out``; ``docs/fit.md``).

Written from the validated scenario (:func:`~supplysim.scenario.load.scenario_source`: the
base model and settings with every default filled in, each policy as its difference from
the base), so the template's comments and layout are not kept; a header comment says
where the file came from. Written atomically (:func:`~supplysim.outputs.folders.write_file`).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from supplysim.analysis.provenance import supplysim_version
from supplysim.scenario.load import scenario_source
from supplysim.scenario.specs import Scenario

__all__ = ["fitted_yaml", "write_fitted"]


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
