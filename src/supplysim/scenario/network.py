"""The ``network:`` section: one warehouse supplying several stores (``docs/network.md``).

A store is written as *overrides of the base model* (product, demand, segments, store,
replenishment), deep-merged like a policy body, plus its link to the warehouse
(``transit_time``, ``no_crossing``, ``transport_cost``). Each store's complete model is
resolved once, at validation, into a :class:`~supplysim.scenario.specs.ModelConfig`
(:meth:`Network.store_model`): base ⊕ the store's override ⊕ the policy's body ⊕ the
policy's own override of that store (a store's override beats the base; a policy beats
both — :func:`supplysim.scenario.merge.merged_policies` folds the policy's body in).

The top-level ``supplier`` (or ``suppliers`` + ``sourcing``) supplies the warehouse.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PrivateAttr, ValidationError
from pydantic_core import PydanticCustomError

from supplysim.scenario.base import Frozen, Label
from supplysim.scenario.distributions import Duration
from supplysim.scenario.limits import MAX_SUPPLIERS, MAX_UNITS
from supplysim.scenario.merge import MODEL_SECTIONS, STORE_SECTIONS, deep_merge, override_body
from supplysim.scenario.specs import Replenishment  # specs imports this module once Replenishment is defined

if TYPE_CHECKING:
    from supplysim.scenario.specs import ModelConfig, ModelSections

DIRECT_SECTIONS = ("product", "demand", "segments", "store")
"""The model sections the warehouse's own customers may override."""

__all__ = ["DIRECT_SECTIONS", "Network", "NetworkStore", "Transshipment", "WarehouseSpec", "resolve_network"]


class Transshipment(Frozen):
    """Lateral transshipment: a store short of stock ships from another store's available stock."""

    time: NonNegativeFloat
    """How long the customer waits for a unit shipped from another store [time]."""
    cost: NonNegativeFloat = 0.0
    """Cost per unit shipped between stores [money/unit]."""


class WarehouseSpec(Frozen):
    """The warehouse: its own replenishment rule on its own inventory position, fed by the top-level supplier(s)."""

    name: Label = "warehouse"
    replenishment: Replenishment
    """The warehouse's rule (validated as a ``replenishment`` section), on IP = on_hand + on_order − owed to stores."""
    initial_stock: NonNegativeInt | None = Field(default=None, le=MAX_UNITS)
    """Units on hand at time 0; none = the rule's order-up-to level."""
    holding_cost: NonNegativeFloat | None = None
    """h₀ per unit per time unit; none = the model's h (``product.holding_cost`` or ``holding_rate``)."""
    partial_shipments: bool = False
    """Ship part of a store order when stock is short (default: whole orders only)."""
    product: Any = None
    demand: Any = None
    """The warehouse's own customers (web orders), as overrides of the base model's demand; none = no
    direct customers. With it, ``product``, ``segments`` and ``store`` (stockout rules) override the
    base model for those customers."""
    segments: Any = None
    store: Any = None

    def overrides(self) -> dict[str, Any]:
        """The model sections the warehouse's own customers override (raw, as written)."""
        return {k: getattr(self, k) for k in DIRECT_SECTIONS if getattr(self, k) is not None}


class NetworkStore(Frozen):
    """One store: its link to the warehouse and its overrides of the base model (raw, resolved by the network)."""

    transit_time: Duration
    """Warehouse → store transit time of each shipment [time] (a number or a distribution)."""
    no_crossing: bool = False
    """Shipments reach the store in the order they left the warehouse."""
    transport_cost: NonNegativeFloat = 0.0
    """Cost per unit shipped from the warehouse to this store [money/unit]."""
    product: Any = None
    demand: Any = None
    segments: Any = None
    store: Any = None
    replenishment: Any = None

    def overrides(self) -> dict[str, Any]:
        """The model sections this store overrides (raw, as written)."""
        return {k: getattr(self, k) for k in STORE_SECTIONS if getattr(self, k) is not None}


class Network(Frozen):
    """A two-echelon distribution system: outside supplier(s) → one warehouse → the stores."""

    warehouse: WarehouseSpec
    stores: Annotated[dict[Label, NetworkStore], Field(min_length=1, max_length=MAX_SUPPLIERS)]
    """Stores by name, in the order listed (ties between stores are broken in this order)."""
    transshipment: Transshipment | None = None

    _models: dict[str, ModelConfig] = PrivateAttr(default_factory=dict)
    _direct: ModelConfig | None = PrivateAttr(default=None)

    def direct_model(self) -> ModelConfig | None:
        """The model of the warehouse's own customers (base ⊕ the warehouse's overrides ⊕ the policy),
        or None without ``network.warehouse.demand``."""
        return self._direct

    @property
    def locations(self) -> list[str]:
        """Where customers buy: the stores, then the warehouse when it has its own customers."""
        return [*self.stores, self.warehouse.name] if self.warehouse.demand is not None else list(self.stores)

    def store_model(self, name: str) -> ModelConfig:
        """Store ``name``'s complete model (base ⊕ its override ⊕ the policy)."""
        return self._models[name]

    @property
    def store_names(self) -> list[str]:
        return list(self.stores)

    def warehouse_holding_cost(self, model_h: float) -> float:
        """h₀ [money/(unit·time)]: ``warehouse.holding_cost``, or ``model_h`` (the model's h) when unset."""
        h = self.warehouse.holding_cost
        return h if h is not None else model_h

    @property
    def warehouse_initial_stock(self) -> int:
        """Units at the warehouse at time 0 (the rule's order-up-to level unless given)."""
        w = self.warehouse
        if w.initial_stock is not None:
            return w.initial_stock
        return max(0, w.replenishment.order_up_to_level)


def _error(at: tuple[str | int, ...], message: str) -> PydanticCustomError:
    return PydanticCustomError("network", "{message}", {"message": message, "at": at})


def _first_error(exc: ValidationError) -> tuple[tuple[str | int, ...], str]:
    err = exc.errors(include_url=False)[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function"))))
    ctx = err.get("ctx") or {}
    loc = loc + tuple(ctx["at"] if isinstance(ctx.get("at"), tuple | list) else ((ctx["at"],) if ctx.get("at") else ()))
    msg = err["msg"]
    if err["type"] == "unknown_key":
        close = difflib.get_close_matches(ctx["key"], ctx["allowed"], n=1, cutoff=0.6)
        loc = (*loc, ctx["key"])
        msg = f"unknown key {ctx['key']!r}" + (
            f"; did you mean {close[0]!r}?" if close else f" (allowed here: {', '.join(ctx['allowed'])})"
        )
    for prefix in ("Value error, ", "Input should be "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return loc, msg


def resolve_network(model: ModelSections) -> None:
    """Validate ``model.network`` against its model: names unique, the warehouse rule, every store's
    resolved model (cached on the network). Errors are located at the key the user wrote."""
    from supplysim.scenario.specs import ModelConfig

    net = model.network
    if net is None:
        return
    names = [s.name for s in model.all_suppliers]
    for i, n in enumerate([net.warehouse.name, *net.stores]):
        where: tuple[str | int, ...] = ("network", "warehouse", "name") if i == 0 else ("network", "stores", n)
        if n in names:
            raise _error(
                where,
                f"names of suppliers, the warehouse and stores must be unique, but {n!r} is used twice "
                f"(suppliers: {names[: len(model.all_suppliers)]}, warehouse: {net.warehouse.name!r}, "
                f"stores: {list(net.stores)})",
            )
        names.append(n)
    base = model.model_dump(mode="json", by_alias=True, include=set(MODEL_SECTIONS) - {"network"})
    models: dict[str, ModelConfig] = {}
    for name, store in net.stores.items():
        written = store.overrides()
        try:
            resolved = models[name] = ModelConfig.model_validate(deep_merge(base, written))
        except ValidationError as exc:
            loc, msg = _first_error(exc)
            at = ("network", "stores", name, *loc) if loc and loc[0] in written else loc
            raise _error(at, f"{msg} (store {name!r})") from None
        _check_inert(resolved, model, ("network", "stores", name, "store"))
        # Keep the override in its canonical form, what the store's model differs in from the
        # model's own sections: equal models then have equal networks, however they were written
        # (a resolved scenario.yaml reloads equal; ``scenario_source`` diffs the policies cleanly).
        canonical = override_body(
            {k: base[k] for k in STORE_SECTIONS if k in base},
            resolved.model_dump(mode="json", by_alias=True, include=set(STORE_SECTIONS)),
        )
        for key in STORE_SECTIONS:
            object.__setattr__(store, key, (canonical or {}).get(key))
    net._models = models
    w = net.warehouse
    if w.demand is None:
        for key in ("product", "segments", "store"):
            if getattr(w, key) is not None:
                raise _error(
                    ("network", "warehouse", key),
                    f"{key} describes the warehouse's own customers, but it has none: add `demand:` or remove it",
                )
        return
    written = w.overrides()
    try:
        direct = ModelConfig.model_validate(deep_merge(base, written))
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        at = ("network", "warehouse", *loc) if loc and loc[0] in written else loc
        raise _error(at, f"{msg} (the warehouse's own customers)") from None
    _check_inert(direct, model, ("network", "warehouse", "store"))
    for key, what in (("waitlist", "a waitlist"), ("goodwill", "goodwill")):
        if (direct.store.waitlist if key == "waitlist" else direct.demand.goodwill) is not None:
            raise _error(
                ("network", "warehouse", "store" if key == "waitlist" else "demand", key),
                f"the warehouse's own customers cannot have {what} (it is a store feature)",
            )
    canonical = (
        override_body(
            {k: base[k] for k in DIRECT_SECTIONS if k in base},
            direct.model_dump(mode="json", by_alias=True, include=set(DIRECT_SECTIONS)),
        )
        or {}
    )
    canonical.setdefault("demand", {})
    for key in DIRECT_SECTIONS:
        object.__setattr__(w, key, canonical.get(key))
    net._direct = direct


def _check_inert(resolved: ModelConfig, model: ModelSections, at: tuple[str, ...]) -> None:
    """A location's own stockout key that cannot act under its stockout is refused in the scenario's
    base (the rule of ``scenarios.md#store``); a policy that changes the stockout keeps such keys
    of the base with no effect, so a policy can vary the stockout alone."""
    from supplysim.scenario.specs import STOCKOUT_RULES

    if "policies" not in type(model).model_fields:  # a resolved policy, not the scenario's base
        return
    store = resolved.store
    for key in store.inert_keys():
        if getattr(store, key) != getattr(model.store, key):
            why = STOCKOUT_RULES[store.stockout].idle_because
            raise _error((*at, key), f"{key} cannot act under stockout: {store.stockout}: {why}; remove it")


def check_policy_stores(data: dict[str, Any]) -> None:
    """A policy may override existing stores only (a store name typo gets "did you mean"), and may
    not remove the network (``network: null``)."""
    network = data.get("network")
    stores = list(network.get("stores") or {}) if isinstance(network, dict) else []
    for name, body in (data.get("policies") or {}).items():
        if isinstance(body, dict) and "network" in body and body["network"] is None and isinstance(network, dict):
            raise _error(
                ("policies", name, "network"),
                f"policy {name!r} sets `network: null`, but a policy cannot remove the network: every policy "
                "runs the same warehouse and stores (override their keys instead)",
            )
        if not isinstance(body, dict) or not isinstance(body.get("network"), dict):
            continue
        if not isinstance(network, dict):
            raise _error(
                ("policies", name, "network"), "a policy can override `network:` only when the scenario has one"
            )
        for store in body["network"].get("stores") or {}:
            if store not in stores:
                close = difflib.get_close_matches(str(store), stores, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise _error(
                    ("policies", name, "network", "stores", store),
                    f"policy {name!r} overrides store {store!r}, but the stores are {stores}{hint}",
                )
