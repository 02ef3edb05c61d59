"""The JSON Schema of the scenario format, for editors' YAML completion (``supplysim schema``)."""

from __future__ import annotations

from typing import Any

from supplysim.scenario.specs import Scenario

__all__ = ["scenario_schema"]


def scenario_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file; policy bodies are partial models (no required keys)."""
    doc = Scenario.model_json_schema(by_alias=True, mode="validation")
    defs = doc.get("$defs", {})

    def relax(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: relax(v) for k, v in node.items() if k != "required"}
        if isinstance(node, list):
            return [relax(v) for v in node]
        return node

    if "ModelConfig" in defs:
        defs["PolicyOverrides"] = relax(defs["ModelConfig"])
        defs["PolicyOverrides"]["title"] = "PolicyOverrides"
        defs["PolicyOverrides"]["description"] = "Keys deep-merged over the base model for this policy."
        doc["properties"]["policies"] = {
            "type": "object",
            "description": "Policies compared side by side; the first is the baseline.",
            "additionalProperties": {"$ref": "#/$defs/PolicyOverrides"},
        }
    doc["required"] = [r for r in doc.get("required", []) if r != "policies"]
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "supplysim scenario"
    return doc
