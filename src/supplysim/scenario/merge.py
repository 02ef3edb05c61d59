"""Deep merge of policy bodies over the base model, and its inverse (for overrides)."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["KIND_TAGS", "MODEL_SECTIONS", "STORE_SECTIONS", "deep_merge", "merged_policies", "override_body"]

MODEL_SECTIONS = (
    "product",
    "demand",
    "segments",
    "supplier",
    "suppliers",
    "sourcing",
    "store",
    "replenishment",
    "network",
)
"""The keys a policy may override."""

STORE_SECTIONS = ("product", "demand", "segments", "store", "replenishment")
"""The model sections a store of a ``network:`` may override (its supplier is the warehouse)."""

KIND_TAGS = ("dist", "policy", "rule")
"""Keys that name the kind of a mapping (a distribution, a replenishment rule, a sourcing rule)."""


def deep_merge(base: Any, override: Any) -> Any:
    """Merge ``override`` into a copy of ``base``: mappings key by key, all else replaced.

    A mapping that changes its kind (a different ``dist:``, ``policy:`` or ``rule:``)
    replaces the base mapping whole: the old kind's parameters do not leak in.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        if any(tag in override and override[tag] != base.get(tag) for tag in KIND_TAGS):
            return copy.deepcopy(override)
        out = dict(base)
        for key, value in override.items():
            out[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


def override_body(base: Any, model: Any, *, keep_kind: bool = False) -> Any:
    """The inverse of :func:`deep_merge`: the body that merges over ``base`` into ``model``
    (``None`` when they are equal).

    With ``keep_kind``, a mapping that differs keeps its kind tag (``dist:``, ``policy:``,
    ``rule:``) even where the base has the same kind, so that the body still names its kind
    when it is merged over a base whose kind was changed since (an override of the base's
    lead time from a constant to a lognormal leaves a policy's own constant lead time whole).
    """
    if isinstance(base, dict) and isinstance(model, dict):
        if any(model.get(tag) != base.get(tag) for tag in KIND_TAGS if tag in model):
            return model  # another kind: the whole mapping replaces the base's
        out = {}
        for key, value in model.items():
            if key not in base:
                out[key] = value
            elif value != base[key]:
                d = override_body(base[key], value, keep_kind=keep_kind)
                out[key] = value if d is None else d
        if out and keep_kind:
            out = {tag: model[tag] for tag in KIND_TAGS if tag in model} | out
        return out or None
    return None if base == model else model


def merged_policies(data: dict[str, Any]) -> dict[str, Any]:
    """Each policy body of raw scenario ``data`` deep-merged over its base model sections
    (no ``policies:`` means one policy ``base``; bodies that are not mappings are kept as they are)."""
    bodies = data.get("policies")
    if bodies is None:
        bodies = {"base": {}}
    if not isinstance(bodies, dict):
        return {}
    base = {k: data[k] for k in MODEL_SECTIONS if k in data}
    return {
        name: _fold_into_stores(base, body, deep_merge(base, {} if body is None else body))
        if isinstance(body, dict | type(None))
        else body
        for name, body in bodies.items()
    }


def _fold_into_stores(base: dict[str, Any], body: dict[str, Any] | None, merged: dict[str, Any]) -> dict[str, Any]:
    """A policy beats a store's own override: each store of ``merged``'s network becomes
    base store ⊕ the body's store sections ⊕ the body's override of that store."""
    general = {k: body[k] for k in STORE_SECTIONS if k in body} if body else {}
    network = merged.get("network")
    if not general or not isinstance(network, dict) or not isinstance(network.get("stores"), dict):
        return merged
    base_net = base.get("network")
    base_stores = base_net.get("stores") if isinstance(base_net, dict) else None
    body_net = body.get("network") if body else None
    body_stores = body_net.get("stores") if isinstance(body_net, dict) else None
    warehouse = network.get("warehouse")
    if isinstance(warehouse, dict) and warehouse.get("demand") is not None:
        own = base_net.get("warehouse") if isinstance(base_net, dict) else None
        mine = body_net.get("warehouse") if isinstance(body_net, dict) else None
        if isinstance(own, dict):
            direct = {k: v for k, v in general.items() if k != "replenishment"}  # the warehouse keeps its own rule
            warehouse = deep_merge(deep_merge(own, direct), mine if isinstance(mine, dict) else {})
    stores = {}
    for name, store in network["stores"].items():
        own = base_stores.get(name) if isinstance(base_stores, dict) else None
        mine = body_stores.get(name) if isinstance(body_stores, dict) else None
        if not isinstance(store, dict) or not isinstance(own, dict):
            stores[name] = store
            continue
        stores[name] = deep_merge(deep_merge(own, general), mine if isinstance(mine, dict) else {})
    return {**merged, "network": {**network, "warehouse": warehouse, "stores": stores}}
