"""The scenario: frozen, validated models of every key in ``scenario-format.md``.

YAML → :func:`supplysim.loader.load_scenario` → :class:`Scenario` (validated once,
immutable) → the simulator. Nothing downstream reads raw dictionaries.

A scenario is a *base model* (:class:`ModelConfig`: product, demand, segments,
supplier, store, replenishment) plus named policies. Each policy body is deep-merged
over the base before validation, so ``Scenario.policies`` holds complete, validated
models; without ``policies:`` the base runs alone as ``base``.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from supplysim.distributions import DiscreteConstant, Duration, Quantity

__all__ = [
    "MODEL_SECTIONS",
    "RQ",
    "SS",
    "BaseStock",
    "Demand",
    "ModelConfig",
    "Periodic",
    "Product",
    "Replenishment",
    "Scenario",
    "Segment",
    "Store",
    "Supplier",
    "deep_merge",
]


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown keys rejected with a hint."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = set()
            for name, field in cls.model_fields.items():
                allowed.add(field.alias or name)
            for key in data:
                if key not in allowed:
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key {key!r}",
                        {"key": str(key), "allowed": sorted(allowed)},
                    )
        return data


class Product(Frozen):
    """Product economics. Money is in any currency; time in the scenario's time unit."""

    price: NonNegativeFloat = 0.0
    """Selling price per unit [money/unit]."""
    holding_cost: NonNegativeFloat = 0.0
    """Cost per unit on hand per time unit [money/(unit·time)] (h)."""
    backorder_cost: NonNegativeFloat = 0.0
    """Cost per backordered unit per time unit [money/(unit·time)] (b)."""
    lost_sale_cost: NonNegativeFloat = 0.0
    """Penalty per unit lost, cancelled or expired [money/unit]."""


class Demand(Frozen):
    """Customer arrivals: a Poisson process of ``rate`` customers per time unit."""

    rate: PositiveFloat
    """Arrival rate λ [customers/time unit]."""
    quantity: Quantity = Field(default_factory=lambda: DiscreteConstant(value=1))
    """Units wanted per customer (a whole number ≥ 1 or a discrete distribution)."""

    @field_validator("quantity")
    @classmethod
    def _at_least_one(cls, q: Any) -> Any:
        if q.min_value < 1:
            raise ValueError(
                f"every customer must want at least 1 unit, but `{q.dist}` can draw {q.min_value}; "
                "add `shift: 1` (or use a distribution on 1, 2, …)"
            )
        return q


class Segment(Frozen):
    """A class of customers and how it reacts to a stockout."""

    name: str = "default"
    share: float = Field(default=1.0, gt=0.0, le=1.0)
    """Probability that an arriving customer belongs to this segment."""
    accept_backorder: float = Field(default=1.0, ge=0.0, le=1.0)
    """Probability of accepting a backorder when one is offered."""
    max_wait: Duration | None = None
    """Longest quoted wait this customer accepts [time]; drawn per customer; none = any."""
    patience: Duration | None = None
    """Time a backordered customer waits before cancelling [time]; none = forever."""


class Supplier(Frozen):
    """One supplier: lead times, costs, capacity."""

    name: str = "supplier"
    lead_time: Duration
    """Lead time L of an order [time] (processing time when ``servers`` is set)."""
    unit_cost: NonNegativeFloat = 0.0
    """Purchase cost c per unit [money/unit]."""
    order_cost: NonNegativeFloat = 0.0
    """Fixed cost K per order [money/order]."""
    servers: PositiveInt | None = None
    """Orders processed at once (FIFO); none = unlimited, orders may cross."""
    no_crossing: bool = False
    """Deliveries keep the order in which orders were placed."""
    quoted_lead_time: NonNegativeFloat | None = None
    """Lead time the store promises customers [time]; none = the mean lead time."""

    @property
    def promised_lead_time(self) -> float:
        """The lead time used in quotes [time]."""
        return self.quoted_lead_time if self.quoted_lead_time is not None else self.lead_time.mean


class Store(Frozen):
    """The store's stock and its stockout rules."""

    initial_stock: NonNegativeInt | None = None
    """Units on hand at time 0; none = the replenishment policy's order-up-to level."""
    stockout: Literal["backorder", "lost_sales"] = "backorder"
    """What a customer sees when the shelf cannot cover the request."""
    max_backorders: NonNegativeInt | None = None
    """Refuse new backorders while this many customers wait."""
    max_quoted_wait: NonNegativeFloat | None = None
    """Refuse (show out-of-stock) when the quoted wait exceeds this [time]."""
    expire_after: PositiveFloat | None = None
    """The store cancels backorders older than this [time]."""
    partial_shipments: bool = False
    """Ship what is on hand now and backorder the rest."""


class _ReplenishmentBase(Frozen):
    @property
    def order_up_to_level(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError


class RQ(_ReplenishmentBase):
    """(r, Q): whenever IP ≤ r, order n·Q with the smallest n making IP > r."""

    policy: Literal["rQ"]
    reorder_point: int
    """Reorder point r [units]."""
    order_quantity: PositiveInt
    """Batch size Q [units]."""

    @property
    def order_up_to_level(self) -> int:
        return self.reorder_point + self.order_quantity


class SS(_ReplenishmentBase):
    """(s, S): whenever IP ≤ s, order S − IP."""

    policy: Literal["sS"]
    reorder_point: int
    """Reorder point s [units]."""
    order_up_to: int
    """Order-up-to level S [units]."""

    @model_validator(mode="after")
    def _levels(self) -> SS:
        if self.order_up_to <= self.reorder_point:
            raise ValueError(
                f"order_up_to ({self.order_up_to}) must be greater than reorder_point ({self.reorder_point})"
            )
        return self

    @property
    def order_up_to_level(self) -> int:
        return self.order_up_to


class BaseStock(_ReplenishmentBase):
    """Base stock S: order whenever IP < S, up to S (one-for-one for unit demand)."""

    policy: Literal["base_stock"]
    level: NonNegativeInt
    """Base-stock level S [units]."""

    @property
    def order_up_to_level(self) -> int:
        return self.level


class Periodic(_ReplenishmentBase):
    """Periodic review (R, s, S) or (R, S): at review epochs, if IP ≤ s (or always), order S − IP."""

    policy: Literal["periodic"]
    review_period: PositiveFloat
    """Time R between reviews [time]."""
    order_up_to: NonNegativeInt
    """Order-up-to level S [units]."""
    reorder_point: int | None = None
    """Reorder point s [units]; none = order at every review."""
    review_offset: NonNegativeFloat = 0.0
    """Time of the first review [time]."""

    @model_validator(mode="after")
    def _levels(self) -> Periodic:
        if self.reorder_point is not None and self.order_up_to <= self.reorder_point:
            raise ValueError(
                f"order_up_to ({self.order_up_to}) must be greater than reorder_point ({self.reorder_point})"
            )
        return self

    @property
    def order_up_to_level(self) -> int:
        return self.order_up_to


Replenishment = Annotated[RQ | SS | BaseStock | Periodic, Field(discriminator="policy")]

MODEL_SECTIONS = ("product", "demand", "segments", "supplier", "store", "replenishment")
"""The keys a policy may override."""


def _default_segments() -> list[Segment]:
    return [Segment()]


def _check_segments(cls: type, segments: list[Segment]) -> list[Segment]:
    """Shares sum to 1 (within 1e-9) and names are unique."""
    total = sum(s.share for s in segments)
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"segment shares must sum to 1 (within 1e-9), found {total:.12g}")
    names = [s.name for s in segments]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"segment names must be unique, found {sorted(dup)} more than once")
    return segments


class ModelConfig(Frozen):
    """One complete model: what a single policy simulates."""

    product: Product = Field(default_factory=Product)
    demand: Demand
    segments: list[Segment] = Field(default_factory=_default_segments, min_length=1)
    supplier: Supplier
    store: Store = Field(default_factory=Store)
    replenishment: Replenishment

    _segments = field_validator("segments")(_check_segments)

    @property
    def initial_stock(self) -> int:
        """Units on hand at time 0 (the order-up-to level unless given)."""
        if self.store.initial_stock is not None:
            return self.store.initial_stock
        return max(0, self.replenishment.order_up_to_level)


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


_TAGS = ("dist", "policy")


def deep_merge(base: Any, override: Any) -> Any:
    """Merge ``override`` into a copy of ``base``: mappings key by key, all else replaced.

    A mapping that changes its kind (a different ``dist:`` or ``policy:``)
    replaces the base mapping whole: the old kind's parameters do not leak in.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        if any(tag in override and override[tag] != base.get(tag) for tag in _TAGS):
            return copy.deepcopy(override)
        out = dict(base)
        for key, value in override.items():
            out[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


class Scenario(Frozen):
    """A scenario: a base model, experiment settings and the policies to compare."""

    name: str
    """Identifier, used for the results folder."""
    description: str = ""
    time_unit: str = "day"
    """Label of the time unit every rate and duration uses."""
    horizon: PositiveFloat
    """Measured length of each replication [time]."""
    warmup: NonNegativeFloat = 0.0
    """Simulated but unmeasured time before the window [time]."""
    replications: PositiveInt = 10
    seed: NonNegativeInt = 0

    product: Product = Field(default_factory=Product)
    demand: Demand
    segments: list[Segment] = Field(default_factory=_default_segments, min_length=1)
    supplier: Supplier
    store: Store = Field(default_factory=Store)
    replenishment: Replenishment

    policies: dict[str, ModelConfig]
    """Resolved models, in order; the first is the baseline."""

    _segments = field_validator("segments")(_check_segments)

    @model_validator(mode="before")
    @classmethod
    def _resolve_policies(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        bodies = data.get("policies")
        base = {k: data[k] for k in MODEL_SECTIONS if k in data}
        if bodies is None:
            bodies = {"base": {}}
        if not isinstance(bodies, dict) or not bodies:
            raise PydanticCustomError(
                "policies", "`policies` must be a non-empty mapping of policy name to overrides", {}
            )
        resolved: dict[str, Any] = {}
        for name, body in bodies.items():
            if body is None:
                body = {}
            if not isinstance(body, dict):
                raise PydanticCustomError(
                    "policy_body", "policy '{name}' must be a mapping of overrides", {"name": str(name)}
                )
            for key in body:
                if key not in MODEL_SECTIONS:
                    raise PydanticCustomError(
                        "policy_key",
                        "policy '{name}' overrides '{key}', but a policy may only override {allowed}",
                        {"name": str(name), "key": str(key), "allowed": ", ".join(MODEL_SECTIONS)},
                    )
            resolved[name] = deep_merge(base, body)
        return {**data, "policies": resolved}

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(
                "name must start with a letter or digit and contain only letters, digits, '-', '_' "
                f"and '.', since it names the results folder; found {name!r}"
            )
        return name

    @field_validator("policies")
    @classmethod
    def _policy_names(cls, policies: dict[str, ModelConfig]) -> dict[str, ModelConfig]:
        for name in policies:
            if not _NAME.match(str(name)):
                raise ValueError(f"policy names must be simple identifiers, found {name!r}")
        return policies

    @model_validator(mode="after")
    def _window(self) -> Scenario:
        if not math.isfinite(self.horizon + self.warmup):
            raise ValueError("horizon and warmup must be finite")
        return self

    @property
    def baseline(self) -> str:
        """The first policy: every other policy is compared with it."""
        return next(iter(self.policies))

    @property
    def end(self) -> float:
        """End of the measured window, warmup + horizon [time]."""
        return self.warmup + self.horizon
