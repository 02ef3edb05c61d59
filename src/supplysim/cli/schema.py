"""``supplysim schema``: the JSON Schema of the scenario format."""

from __future__ import annotations

import json
import sys


def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors' YAML completion).

    Example:

    \b
      supplysim schema > scenario.schema.json
    """
    from supplysim.scenario.json_schema import scenario_schema

    sys.stdout.write(json.dumps(scenario_schema(), indent=2) + "\n")
