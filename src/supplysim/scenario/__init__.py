"""L0, the edge: YAML → frozen, typed, validated scenario models. Imports nothing else of supplysim.

``supplysim.scenario`` re-exports the scenario models (:mod:`.specs`), the merge of
policy bodies (:mod:`.merge`) and the loader (:mod:`.load`). The loader reads through
:mod:`.yaml_source` (files, YAML positions, CSV data) within the bounds of :mod:`.limits`;
:mod:`.base` holds the rules every mapping obeys, :mod:`.errors` the error and its
excerpts, :mod:`.hints` the hints of its messages (percentages, units, names, list
indices), :mod:`.overrides` the ``--set`` style overrides and where they came from,
:mod:`.json_schema` the schema of the format.
"""

from __future__ import annotations

from supplysim.scenario.load import ScenarioError, load_scenario, parse_scenario, with_overrides
from supplysim.scenario.merge import KIND_TAGS, MODEL_SECTIONS, deep_merge, merged_policies, override_body
from supplysim.scenario.specs import (
    RQ,
    SS,
    BackorderRules,
    BaseStock,
    Demand,
    DemandEvent,
    Disruptions,
    ExpediteSourcing,
    FallbackSourcing,
    Goodwill,
    LostSalesRules,
    ModelConfig,
    ModelSections,
    Periodic,
    Product,
    Replenishment,
    Scenario,
    Seasonal,
    Segment,
    SingleSourcing,
    Sourcing,
    SplitSourcing,
    StockoutRules,
    Store,
    Supplier,
    SweepRange,
    Waitlist,
    Window,
)

__all__ = [
    "KIND_TAGS",
    "MODEL_SECTIONS",
    "RQ",
    "SS",
    "BackorderRules",
    "BaseStock",
    "Demand",
    "DemandEvent",
    "Disruptions",
    "ExpediteSourcing",
    "FallbackSourcing",
    "Goodwill",
    "LostSalesRules",
    "ModelConfig",
    "ModelSections",
    "Periodic",
    "Product",
    "Replenishment",
    "Scenario",
    "ScenarioError",
    "Seasonal",
    "Segment",
    "SingleSourcing",
    "Sourcing",
    "SplitSourcing",
    "StockoutRules",
    "Store",
    "Supplier",
    "SweepRange",
    "Waitlist",
    "Window",
    "deep_merge",
    "load_scenario",
    "merged_policies",
    "override_body",
    "parse_scenario",
    "with_overrides",
]
