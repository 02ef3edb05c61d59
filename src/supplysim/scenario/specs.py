"""The scenario: frozen, validated models of every key in ``scenario-format.md``.

YAML → :func:`supplysim.scenario.load.load_scenario` → :class:`Scenario` (validated once,
immutable) → the simulator. Nothing downstream reads raw dictionaries.

A scenario is a *base model* (:class:`ModelConfig`: product, demand, segments,
supplier, store, replenishment) plus named policies. Each policy body is deep-merged
over the base before validation, so ``Scenario.policies`` holds complete, validated
models; without ``policies:`` the base runs alone as ``base``.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from supplysim.scenario.base import Frozen, Label, Text
from supplysim.scenario.distributions import Constant, DiscreteConstant, Duration, Quantity
from supplysim.scenario.errors import excerpt
from supplysim.scenario.limits import (
    DURATION_MULTIPLE,
    MAX_CUSTOMERS,
    MAX_EVENTS,
    MAX_NAME,
    MAX_OUTAGES,
    MAX_POLICIES,
    MAX_REPLICATIONS,
    MAX_REVIEWS,
    MAX_SEGMENTS,
    MAX_SERVERS,
    MAX_SUPPLIERS,
    MAX_UNITS,
    MAX_WINDOWS,
)
from supplysim.scenario.merge import MODEL_SECTIONS, merged_policies

__all__ = [
    "RQ",
    "SS",
    "STOCKOUT_KEYS",
    "STOCKOUT_RULES",
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
    "expected_customers",
]


PERIODS_PER_YEAR: dict[str, float] = {
    "hour": 8760.0,
    "day": 365.0,
    "week": 365.0 / 7.0,
    "month": 12.0,
    "quarter": 4.0,
    "year": 1.0,
}
"""Time units per year, for an annual ``holding_rate`` (a year of 365 days; plurals accepted)."""


def periods_per_year(time_unit: str) -> float | None:
    """How many ``time_unit`` make a year (``days`` as ``day``); None for a unit it does not know."""
    unit = time_unit.strip().lower()
    return PERIODS_PER_YEAR.get(unit, PERIODS_PER_YEAR.get(unit.removesuffix("s")))


class Product(Frozen):
    """Product economics. Money is in the scenario's ``currency``; time in its time unit."""

    price: NonNegativeFloat = 0.0
    """Selling price per unit [money/unit]."""
    holding_cost: NonNegativeFloat = 0.0
    """Cost per unit on hand per time unit [money/(unit·time)] (h)."""
    holding_rate: NonNegativeFloat | None = None
    """Annual holding rate i [1/year] (cost of capital, storage, obsolescence as a share of the
    unit's value): then h = i · c / (time units per year), c the suppliers' unit cost
    (Axsäter, *Inventory Control*, §4.1; Zipkin §3.2). Exclusive with ``holding_cost``."""
    backorder_cost: NonNegativeFloat = 0.0
    """Cost per backordered unit per time unit [money/(unit·time)] (b)."""
    lost_sale_cost: NonNegativeFloat = 0.0
    """Penalty per unit lost, cancelled or expired [money/unit]."""
    currency: Label = "money"
    """The label of money amounts in tables, sentences and figures (``EUR``, ``$``, ``USD``);
    a label only: no conversion."""

    @model_validator(mode="after")
    def _one_holding_cost(self) -> Product:
        if self.holding_rate is not None and self.holding_cost != 0.0:
            raise ValueError(
                f"give holding_cost ({self.holding_cost:g} per unit and time unit) or holding_rate "
                f"({self.holding_rate:g} per year, of the unit cost), not both; a policy that switches "
                "from one to the other sets the other to null (holding_rate) or 0 (holding_cost)"
            )
        return self


class Seasonal(Frozen):
    """A yearly (or any period) cycle: factor 1 + amplitude · cos(2π (t − peak) / period)."""

    amplitude: float = Field(ge=0.0, lt=1.0)
    """Relative swing A (0 ≤ A < 1): the rate ranges from (1 − A) to (1 + A) times the base."""
    period: PositiveFloat
    """Length of one cycle [time]."""
    peak: float = 0.0
    """Time of the maximum within the cycle [time]."""


class DemandEvent(Frozen):
    """A named window [start, end) during which the rate is multiplied (a spike, a promotion)."""

    name: Label
    start: NonNegativeFloat
    """Start of the window [time]."""
    end: PositiveFloat
    """End of the window (exclusive) [time]."""
    multiplier: NonNegativeFloat
    """Factor applied to the rate inside the window (0 = no demand, 3 = three times)."""

    @model_validator(mode="after")
    def _window(self) -> DemandEvent:
        if self.end <= self.start:
            raise ValueError(f"event {self.name!r}: end ({self.end:g}) must be after start ({self.start:g})")
        return self


class Goodwill(Frozen):
    """Stockouts cost future demand (a goodwill stock, Nerlove & Arrow 1962).

    Every lost, cancelled or expired customer adds 1 to a disappointment stock
    D(t) that decays exponentially with time constant ``memory``; the arrival
    rate is multiplied by exp(−churn · D(t)). For small ``churn`` each
    disappointed customer costs about churn · λ · memory future customers.
    """

    churn: float = Field(default=0.0, ge=0.0)
    """Relative drop of the arrival rate per disappointed customer (0 = no effect)."""
    memory: PositiveFloat = 30.0
    """Time constant of the recovery [time]: the effect of one customer decays as exp(−t/memory)."""


class Demand(Frozen):
    """Customer arrivals: a Poisson process of rate λ(t) = rate × the product of the profile factors.

    Without ``weekly``, ``seasonal``, ``events`` or ``trend`` the process is
    homogeneous; with any of them it is an exact non-homogeneous Poisson process
    (generated by thinning, Lewis & Shedler 1979).
    """

    rate: PositiveFloat
    """Base arrival rate λ [customers/time unit]."""
    quantity: Quantity = Field(default_factory=lambda: DiscreteConstant(value=1))
    """Units wanted per customer (a whole number ≥ 1 or a discrete distribution)."""
    weekly: list[NonNegativeFloat] | None = None
    """Seven day-of-week factors; day k of the week is [k, k+1) mod 7 (needs time_unit: day)."""
    seasonal: Seasonal | None = None
    """A smooth cycle (see :class:`Seasonal`)."""
    events: list[DemandEvent] = Field(default_factory=list, max_length=MAX_EVENTS)
    """Windows with a rate multiplier; overlapping windows multiply."""
    trend: float = 0.0
    """Linear growth of the rate per time unit, as a fraction of the base: factor max(0, 1 + trend·t)."""
    goodwill: Goodwill | None = None
    """Demand lost to competitors after stockouts; none = no effect."""

    @field_validator("weekly")
    @classmethod
    def _seven(cls, weekly: list[float] | None) -> list[float] | None:
        if weekly is not None:
            if len(weekly) != 7:
                raise ValueError(f"weekly needs 7 factors (one per day of the week), found {len(weekly)}")
            if not any(w > 0 for w in weekly):
                raise ValueError("weekly factors are all 0: no customer would ever arrive")
        return weekly

    def peak_rate(self, end: float) -> float:
        """An upper bound λ* of λ(t) on [0, end] [customers/time unit]: the base rate times the
        largest weekly factor, 1 + the seasonal amplitude, every event multiplier above 1 and
        the trend at its largest (exact unless windows overlap or cycles are cut); the thinning
        draws candidate arrivals at this rate (Lewis & Shedler 1979)."""
        bound = float(self.rate)
        if self.weekly is not None:
            bound *= max(self.weekly)
        if self.seasonal is not None:
            bound *= 1.0 + self.seasonal.amplitude
        for e in self.events:
            bound *= max(1.0, e.multiplier)
        if self.trend > 0:
            bound *= max(1.0, 1.0 + self.trend * end)
        return bound

    @property
    def is_stationary(self) -> bool:
        """True for a homogeneous Poisson process (no profile)."""
        return self.weekly is None and self.seasonal is None and not self.events and self.trend == 0.0

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

    name: Label = "default"
    share: float = Field(default=1.0, gt=0.0, le=1.0)
    """Probability that an arriving customer belongs to this segment."""
    accept_backorder: float = Field(default=1.0, ge=0.0, le=1.0)
    """Probability of accepting a backorder when one is offered."""
    max_wait: Duration | None = None
    """Longest quoted wait this customer accepts [time]; drawn per customer; none = any."""
    patience: Duration | None = None
    """Time a backordered customer waits before cancelling [time]; none = forever."""


class Window(Frozen):
    """A fixed outage [start, end) [time]."""

    start: NonNegativeFloat
    end: PositiveFloat

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:g}) must be after start ({self.start:g})")
        return self


class Disruptions(Frozen):
    """Outages of a supplier: random (alternating up/down times) and/or fixed windows.

    While a supplier is down nothing it holds ships. With ``clock: continue``
    (default) lead times keep running and an order due during an outage arrives
    when the outage ends; with ``clock: pause`` an order's remaining lead time
    is frozen during outages (work stops), so it arrives later by the outage
    time that overlaps it.
    """

    every: Duration | None = None
    """Up time between random outages [time] (an alternating renewal process)."""
    duration: Duration | None = None
    """Length of a random outage [time]."""
    windows: list[Window] = Field(default_factory=list, max_length=MAX_WINDOWS)
    """Fixed outages, e.g. a known plant shutdown."""
    clock: Literal["continue", "pause"] = "continue"
    """Whether lead-time clocks keep running during an outage."""

    @model_validator(mode="after")
    def _complete(self) -> Disruptions:
        if (self.every is None) != (self.duration is None):
            raise ValueError("give both `every` (up time) and `duration` (outage length), or neither")
        if self.every is None and not self.windows:
            raise ValueError("give `every` and `duration` for random outages, or `windows`, or both")
        if self.every is not None and self.every.mean <= 0:
            raise ValueError("`every` must have a positive mean")
        return self


class Supplier(Frozen):
    """One supplier: lead times, costs, capacity, reliability."""

    name: Label = "supplier"
    lead_time: Duration
    """Lead time L of an order [time] (processing time when ``servers`` is set)."""
    unit_cost: NonNegativeFloat = 0.0
    """Purchase cost c per unit [money/unit]."""
    order_cost: NonNegativeFloat = 0.0
    """Fixed cost K per order [money/order]."""
    servers: PositiveInt | None = Field(default=None, le=MAX_SERVERS)
    """Orders processed at once (FIFO); none = unlimited, orders may cross."""
    no_crossing: bool = False
    """Deliveries keep the order in which orders were placed."""
    quoted_lead_time: NonNegativeFloat | None = None
    """Lead time the store promises customers [time]; none = the mean lead time."""
    yield_: Duration = Field(default_factory=lambda: Constant(value=1.0), alias="yield")
    """Fraction of an order's units delivered: a number in (0, 1] or a distribution
    (drawn per order, clipped to [0, 1]); delivered = round(fraction × ordered)."""
    disruptions: Disruptions | None = None
    """Outages during which nothing ships."""

    @field_validator("yield_")
    @classmethod
    def _fraction(cls, y: Any) -> Any:
        if y.is_constant and not 0.0 < y.mean <= 1.0:
            raise ValueError(f"yield must be a fraction in (0, 1], found {y.mean:g}")
        return y

    @property
    def perfect_yield(self) -> bool:
        """True when every order arrives complete."""
        return bool(self.yield_.is_constant and self.yield_.mean == 1.0)

    @property
    def promised_lead_time(self) -> float:
        """The lead time used in quotes [time]."""
        return self.quoted_lead_time if self.quoted_lead_time is not None else self.lead_time.mean


class Waitlist(Frozen):
    """ "Notify me": customers shown "out of stock" may leave their address.

    Each such customer joins with probability ``join``; when stock returns, each
    waitlisted customer still within its ``patience`` buys with probability
    ``convert`` (its whole request, first come first served, if stock allows).
    """

    join: float = Field(ge=0.0, le=1.0)
    """Probability that a customer shown "out of stock" joins the list."""
    convert: float = Field(ge=0.0, le=1.0)
    """Probability that a notified customer buys."""
    patience: Duration | None = None
    """How long a customer stays interested [time]; none = forever."""


class BackorderRules(Frozen):
    """``stockout: backorder``: a customer the shelf cannot serve may wait for a backorder.

    The typed stockout spec of a :class:`Store` (see :attr:`Store.rules`). Its fields
    are the store keys that act only while customers wait; :class:`LostSalesRules`
    has none of them, and a scenario that sets one under ``lost_sales`` is refused
    (see :meth:`Scenario._inert_store_keys`).
    """

    stockout: Literal["backorder"] = "backorder"

    idle_because: ClassVar[str] = "customers wait"
    """Why the keys of the other specs cannot act under this one."""

    max_backorders: NonNegativeInt | None = Field(
        default=None, le=MAX_UNITS, description="refuses new backorders while this many customers wait"
    )
    max_quoted_wait: NonNegativeFloat | None = Field(
        default=None, description="refuses a backorder whose quoted wait is longer than this"
    )
    expire_after: PositiveFloat | None = Field(default=None, description="cancels backorders older than this")
    partial_shipments: bool = Field(default=False, description="ships the units on hand at once when a customer waits")


class LostSalesRules(Frozen):
    """``stockout: lost_sales``: a customer the shelf cannot serve is shown "out of stock".

    No customer ever waits, so none of the keys of :class:`BackorderRules` can act.
    """

    stockout: Literal["lost_sales"] = "lost_sales"

    idle_because: ClassVar[str] = 'no customer ever waits (one the shelf cannot serve is shown "out of stock")'
    """Why the keys of the other specs cannot act under this one."""


StockoutRules = Annotated[BackorderRules | LostSalesRules, Field(discriminator="stockout")]
"""The typed stockout spec: what the store does when the shelf cannot cover a request."""

STOCKOUT_RULES: dict[str, type[BackorderRules] | type[LostSalesRules]] = {
    "backorder": BackorderRules,
    "lost_sales": LostSalesRules,
}
"""Each ``stockout:`` value and its spec."""

STOCKOUT_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(k for rules in STOCKOUT_RULES.values() for k in rules.model_fields if k != "stockout")
)
"""The store keys that act only under some stockouts (the fields of the specs)."""


class Store(Frozen):
    """The store's stock and its stockout rules."""

    initial_stock: NonNegativeInt | None = Field(default=None, le=MAX_UNITS)
    """Units on hand at time 0; none = the replenishment policy's order-up-to level."""
    stockout: Literal["backorder", "lost_sales"] = "backorder"
    """What a customer sees when the shelf cannot cover the request."""
    max_backorders: NonNegativeInt | None = Field(default=None, le=MAX_UNITS)
    """Refuse new backorders while this many customers wait."""
    max_quoted_wait: NonNegativeFloat | None = None
    """Refuse (show out-of-stock) when the quoted wait exceeds this [time]."""
    expire_after: PositiveFloat | None = None
    """The store cancels backorders older than this [time]."""
    partial_shipments: bool = False
    """Ship what is on hand now and backorder the rest."""
    waitlist: Waitlist | None = None
    """A "notify me" list for customers shown "out of stock"."""

    @property
    def rules(self) -> BackorderRules | LostSalesRules:
        """The typed stockout spec of these flat keys: :class:`BackorderRules` with its keys, or
        :class:`LostSalesRules`."""
        spec = STOCKOUT_RULES[self.stockout]
        return spec.model_construct(**{k: getattr(self, k) for k in spec.model_fields if k != "stockout"})

    def inert_keys(self) -> list[str]:
        """The stockout keys set here (not at their default) that cannot act under :attr:`stockout`."""
        acting = STOCKOUT_RULES[self.stockout].model_fields
        return [k for k in STOCKOUT_KEYS if k not in acting and getattr(self, k) != Store.model_fields[k].default]


class SingleSourcing(Frozen):
    """Every order goes to one supplier (default: the first listed)."""

    rule: Literal["single"] = "single"
    supplier: str | None = None


class SplitSourcing(Frozen):
    """Orders are shared between suppliers by fixed ``shares``.

    ``by: quantity`` splits every order into parts proportional to the shares
    (largest remainder rounding); ``by: orders`` sends whole orders in turn, so
    that over time each supplier gets its share of the orders (smooth weighted
    round robin).
    """

    rule: Literal["split"]
    shares: dict[str, float]
    by: Literal["quantity", "orders"] = "quantity"

    @field_validator("shares")
    @classmethod
    def _sum(cls, shares: dict[str, float]) -> dict[str, float]:
        if any(v < 0 for v in shares.values()):
            raise ValueError("shares must not be negative")
        total = sum(shares.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"shares must sum to 1 (within 1e-9), found {total:.12g}")
        return shares


class FallbackSourcing(Frozen):
    """Orders go to the first supplier of ``order`` that is not down (the first if all are)."""

    rule: Literal["fallback"]
    order: list[str] | None = None
    """Suppliers by preference; none = as listed under ``suppliers``."""


class ExpediteSourcing(Frozen):
    """Orders go to ``primary``, except while the backorder queue holds more than
    ``backorders_above`` customers or the quoted wait exceeds ``quoted_wait_above``:
    then they go to the faster ``expedite_to``."""

    rule: Literal["expedite"]
    primary: str
    expedite_to: str
    backorders_above: NonNegativeInt | None = Field(default=None, le=MAX_UNITS)
    """Expedite while more than this many customers wait."""
    quoted_wait_above: NonNegativeFloat | None = None
    """Expedite while a new backorder would be quoted more than this [time]."""

    @model_validator(mode="after")
    def _trigger(self) -> ExpediteSourcing:
        if self.backorders_above is None and self.quoted_wait_above is None:
            raise ValueError("give backorders_above and/or quoted_wait_above: when to expedite")
        return self


Sourcing = Annotated[SingleSourcing | SplitSourcing | FallbackSourcing | ExpediteSourcing, Field(discriminator="rule")]


class _ReplenishmentBase(Frozen):
    @property
    def order_up_to_level(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError


class RQ(_ReplenishmentBase):
    """(r, Q): whenever IP ≤ r, order n·Q with the smallest n making IP > r."""

    policy: Literal["rQ"]
    reorder_point: int = Field(ge=-MAX_UNITS, le=MAX_UNITS)
    """Reorder point r [units]."""
    order_quantity: PositiveInt = Field(le=MAX_UNITS)
    """Batch size Q [units]."""

    @property
    def order_up_to_level(self) -> int:
        return self.reorder_point + self.order_quantity


class SS(_ReplenishmentBase):
    """(s, S): whenever IP ≤ s, order S − IP."""

    policy: Literal["sS"]
    reorder_point: int = Field(ge=-MAX_UNITS, le=MAX_UNITS)
    """Reorder point s [units]."""
    order_up_to: int = Field(ge=-MAX_UNITS, le=MAX_UNITS)
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
    level: NonNegativeInt = Field(le=MAX_UNITS)
    """Base-stock level S [units]."""

    @property
    def order_up_to_level(self) -> int:
        return self.level


class Periodic(_ReplenishmentBase):
    """Periodic review (R, s, S) or (R, S): at review epochs, if IP ≤ s (or always), order S − IP."""

    policy: Literal["periodic"]
    review_period: PositiveFloat
    """Time R between reviews [time]."""
    order_up_to: NonNegativeInt = Field(le=MAX_UNITS)
    """Order-up-to level S [units]."""
    reorder_point: int | None = Field(default=None, ge=-MAX_UNITS, le=MAX_UNITS)
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


def _supply_error(at: str, message: str) -> PydanticCustomError:
    """A cross-key error, located at key ``at`` of the model (the loader appends it to the path)."""
    return PydanticCustomError("supply", "{message}", {"message": message, "at": at})


def _check_supply(self: Any) -> Any:
    """Exactly one of supplier/suppliers; sourcing names existing, distinct suppliers."""
    if (self.supplier is None) == (self.suppliers is None):
        raise _supply_error(
            "suppliers" if self.suppliers is not None else "",
            "give either `supplier:` (one supplier) or `suppliers:` (a list, with `sourcing:`), not both or neither",
        )
    listed = [s.name for s in (self.suppliers if self.suppliers is not None else [self.supplier])]
    if not listed:
        raise _supply_error("suppliers", "`suppliers` must list at least one supplier")
    dup = sorted({n for n in listed if listed.count(n) > 1})
    if dup:
        raise _supply_error(
            "suppliers", f"supplier names must be unique, found {dup} more than once (give each a `name`)"
        )
    src = self.sourcing
    named: list[str] = []
    if isinstance(src, SingleSourcing) and src.supplier is not None:
        named = [src.supplier]
    elif isinstance(src, SplitSourcing):
        named = list(src.shares)
    elif isinstance(src, FallbackSourcing) and src.order is not None:
        named = src.order
    elif isinstance(src, ExpediteSourcing):
        named = [src.primary, src.expedite_to]
        if src.primary == src.expedite_to:
            raise _supply_error("sourcing", "sourcing: primary and expedite_to must be different suppliers")
    for n in named:
        if n not in listed:
            close = difflib.get_close_matches(n, listed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _supply_error("sourcing", f"sourcing names supplier {n!r}, but the suppliers are {listed}{hint}")
    return self


# Network needs Replenishment (above); importing it here lets every annotation below resolve
# when its class is made (the validators are built on first use: ``defer_build`` in Frozen).
from supplysim.scenario.network import Network  # noqa: E402


class ModelSections(Frozen):
    """The model sections (:data:`MODEL_SECTIONS`), declared once: a scenario's base model
    and every resolved policy (:class:`ModelConfig`) share these keys and their checks."""

    product: Product = Field(default_factory=Product)
    demand: Demand
    segments: list[Segment] = Field(default_factory=_default_segments, min_length=1, max_length=MAX_SEGMENTS)
    supplier: Supplier | None = None
    suppliers: Annotated[list[Supplier], Field(max_length=MAX_SUPPLIERS)] | None = None
    sourcing: Sourcing = Field(default_factory=SingleSourcing)
    store: Store = Field(default_factory=Store)
    replenishment: Replenishment
    network: Network | None = None
    """A warehouse and its stores (``docs/network.md``); none = one store, as everywhere else."""

    _segments = field_validator("segments")(_check_segments)
    _supply = model_validator(mode="after")(_check_supply)

    @model_serializer(mode="wrap")
    def _without_network(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A model without ``network:`` dumps exactly as before the key existed."""
        data = handler(self)
        if isinstance(data, dict):
            for key in ("network", "fit"):  # a scenario without them dumps as before they existed
                if data.get(key, 0) is None:
                    del data[key]
        return data

    @model_validator(mode="after")
    def _network(self) -> Any:
        from supplysim.scenario.network import resolve_network

        resolve_network(self)
        return self

    @property
    def all_suppliers(self) -> list[Supplier]:
        """The suppliers, in the order listed (one for ``supplier:``)."""
        return list(self.suppliers) if self.suppliers is not None else [self.supplier]  # type: ignore[list-item]

    def holding_cost_per_time(self, time_unit: str) -> float:
        """h [money/(unit·time)]: ``product.holding_cost``, or ``holding_rate · c / periods per
        year`` when an annual rate is given (c: the suppliers' common unit cost; the scenario's
        validation has checked that c and the time unit are known)."""
        rate = self.product.holding_rate
        if rate is None:
            return self.product.holding_cost
        per_year = periods_per_year(time_unit)
        assert per_year is not None, time_unit
        return rate * self.all_suppliers[0].unit_cost / per_year

    def holding_rate_problem(self, time_unit: str) -> str | None:
        """Why ``product.holding_rate`` cannot be converted here, or None when it can (or is unset)."""
        if self.product.holding_rate is None:
            return None
        if periods_per_year(time_unit) is None:
            return (
                f"product.holding_rate is per year, but time_unit {time_unit!r} is not one of "
                f"{', '.join(PERIODS_PER_YEAR)}; give product.holding_cost per {time_unit} instead"
            )
        costs = sorted({s.unit_cost for s in self.all_suppliers})
        if costs == [0.0]:
            return (
                "product.holding_rate is a share of the unit's value, but the unit cost is 0: "
                "set supplier.unit_cost, or give product.holding_cost"
            )
        if len(costs) > 1:
            return (
                "product.holding_rate needs one unit value, but the suppliers' unit costs differ "
                f"({', '.join(f'{c:g}' for c in costs)}); give product.holding_cost instead"
            )
        return None

    @property
    def initial_stock(self) -> int:
        """Units on hand at time 0 (the order-up-to level unless given)."""
        if self.store.initial_stock is not None:
            return self.store.initial_stock
        return max(0, self.replenishment.order_up_to_level)


class ModelConfig(ModelSections):
    """One complete model: what a single policy simulates."""


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
"""A scenario or policy name (it names a folder): matched whole (``fullmatch``), so no trailing line break."""


def distinct_values(values: list[Any]) -> list[Any]:
    """A sweep's list of values: at least one, each once (a point listed twice would run twice)."""
    if not values:
        raise ValueError("at least one value (an empty list sweeps nothing)")
    seen: set[Any] = set()
    unhashable: list[Any] = []  # mappings and lists (a swept distribution): compared one by one
    for v in values:
        key = _point_key(v)
        try:
            twice = key in seen
            seen.add(key)
        except TypeError:
            twice = key in unhashable
            unhashable.append(key)
        if twice:
            raise ValueError(f"the value {v!r} is listed twice: list each value once")
    return values


def _point_key(v: Any) -> Any:
    """What makes two swept values the same point: numbers by value (1 and 1.0), anything else by
    type and value (true is not 1)."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        return ("number", float(v))
    return (type(v).__name__, v)


class SweepRange(Frozen):
    """Values from ``start`` to ``stop`` (inclusive) in steps of ``step``."""

    start: float = Field(alias="from")
    stop: float = Field(alias="to")
    step: PositiveFloat

    @model_validator(mode="after")
    def _order(self) -> SweepRange:
        if self.stop < self.start:
            raise ValueError(f"`to` ({self.stop:g}) must not be below `from` ({self.start:g})")
        if (self.stop - self.start) / self.step > 10_000:
            raise ValueError("more than 10,000 values: use a larger step")
        return self

    def values(self) -> list[float | int]:
        """The values, as whole numbers when start and step are whole."""
        n = math.floor((self.stop - self.start) / self.step + 1e-9) + 1
        out = [self.start + k * self.step for k in range(n)]
        if float(self.start).is_integer() and float(self.step).is_integer():
            return [round(v) for v in out]
        return [round(v, 12) for v in out]


SWEEP_TAGS = ("a list of values", "a range")
"""The tags of :data:`SweepValues`' two forms (they appear in error locations, which skip them)."""


def _sweep_kind(value: Any) -> str:
    return SWEEP_TAGS[1] if isinstance(value, dict) or hasattr(value, "step") else SWEEP_TAGS[0]


SweepValues = Annotated[
    Annotated[Annotated[list[Any], AfterValidator(distinct_values)], Tag(SWEEP_TAGS[0])]
    | Annotated[SweepRange, Tag(SWEEP_TAGS[1])],
    Discriminator(_sweep_kind),
]
"""The values of one swept key: a list (at least one value, each once) or a :class:`SweepRange`;
a mapping is read as a range and anything else as a list, so a message names only what was meant."""


class FitKey(Frozen):
    """How one key of a fitted scenario was estimated (``supplysim fit``; ``docs/fit.md``)."""

    estimate: Any = None
    """The fitted value as written to the key (a number, seven factors, a distribution mapping)."""
    ci95: list[float | None] | None = None
    """95% interval of the estimate's headline number (the rate, the mean, the median)."""
    n: NonNegativeInt | None = None
    """Records the estimate rests on."""
    method: Text = ""
    """The estimator, in words."""
    p_value: float | None = Field(default=None, ge=0.0, le=1.0)
    """The p-value of the test that decided the key (a flat week, the goodness of fit)."""


class FitBlock(Frozen):
    """Metadata of a fitted scenario: where its fitted keys came from. ``run`` ignores it."""

    records: dict[str, Text] = Field(default_factory=dict)
    """The export files read (orders, receipts, stockouts)."""
    sku: Text | None = None
    exported_at: Text = ""
    """The export time (ISO 8601, UTC): open orders are censored there."""
    origin: Text = ""
    """The date-time of time 0 (ISO 8601, UTC; a Monday)."""
    window: list[float] = Field(default_factory=list, max_length=2)
    """The history's window [start, end] in time units from the origin."""
    keys: dict[Text, FitKey] = Field(default_factory=dict)
    """Key path → how it was estimated."""


class _Settings(Frozen):
    """The experiment settings of a scenario (declared before the model sections, so a dump lists them first)."""

    name: str
    """Identifier, used for the results folder."""
    description: Text = ""
    time_unit: Label = "day"
    """Label of the time unit every rate and duration uses."""
    horizon: PositiveFloat
    """Measured length of each replication [time]."""
    warmup: NonNegativeFloat = 0.0
    """Simulated but unmeasured time before the window [time]."""
    replications: PositiveInt = Field(default=10, le=MAX_REPLICATIONS)
    """Independent replications of each policy (at most :data:`MAX_REPLICATIONS`)."""
    seed: NonNegativeInt = 0
    fit: FitBlock | None = None
    """Metadata written by ``supplysim fit`` (estimates, intervals, sample sizes); not read by the model."""


@dataclass(frozen=True)
class _Bound:
    """A number of the model beyond what a run can simulate (``docs/limits.md``)."""

    at: tuple[str | int, ...]
    """Key path of the number, inside the model."""
    problem: str
    """How large it is, and what it would do."""
    hint: str
    """How to shrink it."""


def _demands(m: ModelSections) -> list[Demand]:
    """The demands of model ``m``: its own, or in a network every store's and the warehouse's direct one."""
    if m.network is None:
        return [m.demand]
    direct = m.network.direct_model()
    return [m.network.store_model(n).demand for n in m.network.store_names] + (
        [direct.demand] if direct is not None else []
    )


def expected_customers(m: ModelSections, end: float) -> float:
    """Candidate arrivals of one replication of model ``m`` over [0, ``end``]: the peak rate λ*
    (of every location) × ``end``, the work of thinning (Lewis & Shedler 1979) [customers]."""
    return sum(d.peak_rate(end) for d in _demands(m)) * end


def _event_problems(m: ModelSections, end: float) -> list[_Bound]:
    """Why model ``m`` cannot be simulated over [0, ``end``]: too many events of one kind (the
    customers at the peak rate, the reviews, the outages), a supplier's times longer than the
    run can show; empty when none. Orders need no guard of their own: each is placed at a
    customer's arrival or at a review (split in at most one part per supplier)."""
    out: list[_Bound] = []
    demands = _demands(m)
    expected = expected_customers(m, end)
    if not expected <= MAX_CUSTOMERS:
        profile = "" if all(d.is_stationary for d in demands) else " at the peak of the demand profile"
        profile += " (all locations)" if len(demands) > 1 else ""
        out.append(
            _Bound(
                ("demand", "rate"),
                f"rate{profile} × (warmup + horizon) = {expected:.3g} customers per replication, "
                f"more than {MAX_CUSTOMERS:.0e}",
                "shorten the horizon, use a coarser time unit or smaller profile factors",
            )
        )
    period = getattr(m.replenishment, "review_period", None)
    if period is not None and not end / period <= MAX_REVIEWS:
        out.append(
            _Bound(
                ("replenishment", "review_period"),
                f"(warmup + horizon) / review_period = {end / period:.3g} reviews per replication, "
                f"more than {MAX_REVIEWS:.0e}",
                "use a longer review period",
            )
        )
    longest = DURATION_MULTIPLE * end
    never = f"more than {DURATION_MULTIPLE:g} × (warmup + horizon) = {longest:.3g}"
    for i, s in enumerate(m.all_suppliers):
        at: tuple[str | int, ...] = ("supplier",) if m.supplier is not None else ("suppliers", i)
        times: list[tuple[tuple[str, ...], Any]] = [(("lead_time",), s.lead_time)]
        outages = s.disruptions
        if outages is not None and outages.every is not None and outages.duration is not None:
            times += [(("disruptions", "every"), outages.every), (("disruptions", "duration"), outages.duration)]
        for key, d in times:
            for what, value in (("mean", d.mean), ("sd", d.sd)):
                if not value <= longest:
                    out.append(
                        _Bound(
                            (*at, *key),
                            f"{what} {value:.3g}, {never}: it would not end within a replication",
                            "shorten it, or lengthen the horizon",
                        )
                    )
        if s.quoted_lead_time is not None and not s.quoted_lead_time <= longest:
            out.append(
                _Bound((*at, "quoted_lead_time"), f"{s.quoted_lead_time:.3g}, {never}", "promise a shorter lead time")
            )
        if outages is not None and outages.every is not None and outages.duration is not None:
            cycle = outages.every.mean + outages.duration.mean
            cycles = end / cycle if cycle > 0 else math.inf
            if outages.clock == "pause" and outages.every.mean > 0:
                # work advances only while the supplier is up: the lead time stretches by 1/availability
                stretched = s.lead_time.mean * cycle / outages.every.mean
                if not stretched <= longest:
                    out.append(
                        _Bound(
                            (*at, "disruptions", "every"),
                            f"with clock: pause, a mean lead time of {s.lead_time.mean:.3g} takes "
                            f"{stretched:.3g} (lead time × (mean up + mean outage) / mean up), {never}",
                            "make the up time longer or the outages shorter, or use clock: continue",
                        )
                    )
            if not cycles <= MAX_OUTAGES:
                out.append(
                    _Bound(
                        (*at, "disruptions"),
                        f"(warmup + horizon) / (mean up time + mean outage) = {cycles:.3g} outages per "
                        f"replication, more than {MAX_OUTAGES:.0e}",
                        "make `every` and `duration` longer",
                    )
                )
    return out


def _inert_error(at: tuple[str, ...], store: Store) -> PydanticCustomError:
    """A stockout key that cannot act under ``store.stockout``, located at key path ``at``."""
    key = at[-1]
    purpose = BackorderRules.model_fields[key].description
    unset = "false" if BackorderRules.model_fields[key].default is False else "null"
    why = f"{key} {purpose}, but under {store.stockout} {STOCKOUT_RULES[store.stockout].idle_because}"
    return PydanticCustomError(
        "inert_key",
        "{key} cannot act under stockout: {stockout}: {why}",
        {"key": key, "stockout": store.stockout, "why": why, "at": at, "unset": unset},
    )


class Scenario(ModelSections, _Settings):
    """A scenario: experiment settings, a base model and the policies to compare."""

    policies: dict[str, ModelConfig]
    """Resolved models, in order; the first is the baseline."""
    sweep: dict[str, SweepValues] | None = None
    """Parameters for ``supplysim sweep``: key path → list of values or {from, to, step}
    (full factorial; each point overrides the base model before the policies merge)."""

    @property
    def currency(self) -> str:
        """The label of money amounts (``product.currency``, the same under every policy)."""
        return next(iter(self.policies.values())).product.currency

    _origin: str = PrivateAttr(default="<scenario>")
    """The file it came from (set by the loader)."""
    _base_dir: str | None = PrivateAttr(default=None)
    """Folder that relative data files are read from (set by the loader)."""
    _allow_data_outside: bool = PrivateAttr(default=False)
    """Whether data files may lie outside that folder (set by the loader)."""

    def __eq__(self, other: object) -> bool:
        """Equal when every key is equal (where it was loaded from does not matter)."""
        return isinstance(other, Scenario) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _resolve_policies(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        bodies = data.get("policies")
        if bodies is None:  # null, like omitting it: the base alone
            bodies = {"base": {}}
        if not isinstance(bodies, dict) or not bodies:
            raise PydanticCustomError(
                "policies", "`policies` must be a non-empty mapping of policy name to overrides", {}
            )
        if len(bodies) > MAX_POLICIES:
            raise PydanticCustomError(
                "policies", "at most {limit} policies, found {n}", {"limit": MAX_POLICIES, "n": len(bodies)}
            )
        for name, body in bodies.items():
            if body is not None and not isinstance(body, dict):
                raise PydanticCustomError(
                    "policy_body", "policy '{name}' must be a mapping of overrides", {"name": str(name)[:MAX_NAME]}
                )
            for key in body or {}:
                if key not in MODEL_SECTIONS:
                    raise PydanticCustomError(
                        "policy_key",
                        "policy '{name}' overrides '{key}', but a policy may only override {allowed}",
                        {
                            "name": str(name)[:MAX_NAME],
                            "key": str(key)[:MAX_NAME],
                            "allowed": ", ".join(MODEL_SECTIONS),
                        },
                    )
        from supplysim.scenario.network import check_policy_stores

        check_policy_stores(data)
        return {**data, "policies": merged_policies(data)}

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if len(name) > MAX_NAME or not _NAME.fullmatch(name):
            raise ValueError(
                "name must start with a letter or digit and contain only letters, digits, '-', '_' "
                f"and '.' (at most {MAX_NAME} characters), since it names the results folder; found {excerpt(name)}"
            )
        return name

    @field_validator("policies")
    @classmethod
    def _policy_names(cls, policies: dict[str, ModelConfig]) -> dict[str, ModelConfig]:
        for name in policies:
            if len(str(name)) > MAX_NAME or not _NAME.fullmatch(str(name)):
                raise ValueError(f"policy names must be simple identifiers, found {excerpt(name)}")
        return policies

    @model_validator(mode="after")
    def _window(self) -> Scenario:
        if not math.isfinite(self.horizon + self.warmup):
            raise ValueError("horizon and warmup must be finite")
        base = _event_problems(self, self.end)
        for name, m in self.policies.items():
            for bound in _event_problems(m, self.end):
                # a bound the policy inherits from the base is reported at the base
                at = bound.at if bound in base else ("policies", name, *bound.at)
                raise PydanticCustomError(
                    "bound", "{problem}", {"at": at, "problem": bound.problem, "hint": bound.hint}
                )
        for name, m in self.policies.items():
            problem = m.holding_rate_problem(self.time_unit)
            if problem is not None:
                raise ValueError(problem + ("" if len(self.policies) == 1 else f" (policy {name!r})"))
        currencies = list(dict.fromkeys(m.product.currency for m in self.policies.values()))
        if len(currencies) > 1:
            raise ValueError(
                f"product.currency must be the same under every policy (the tables compare their money), "
                f"found {', '.join(map(repr, currencies))}"
            )
        if self.time_unit != "day" and any(m.demand.weekly is not None for m in self.policies.values()):
            raise ValueError(
                f"demand.weekly gives one factor per day, but time_unit is {self.time_unit!r}; "
                "express the scenario in days (time_unit: day)"
            )
        return self

    @model_validator(mode="after")
    def _inert_store_keys(self) -> Scenario:
        """Refuse a stockout key written where it cannot act (the rule of ``scenarios.md#store``).

        The base's ``store:`` may not set a key its own stockout ignores; a policy that
        changes the stockout may not give such a key a value of its own (one that differs
        from the base's). Keys a policy inherits from the base are kept and have no effect,
        so a policy can vary the stockout alone; and the resolved ``scenario.yaml``, whose
        policies are complete, validates as well.
        """
        base = self.store
        for key in base.inert_keys():
            raise _inert_error(("store", key), base)
        for name, model in self.policies.items():
            store = model.store
            if store.stockout == base.stockout:
                continue
            for key in store.inert_keys():
                if getattr(store, key) != getattr(base, key):
                    raise _inert_error(("policies", name, "store", key), store)
        return self

    @property
    def baseline(self) -> str:
        """The first policy: every other policy is compared with it."""
        return next(iter(self.policies))

    @property
    def end(self) -> float:
        """End of the measured window, warmup + horizon [time]."""
        return self.warmup + self.horizon
