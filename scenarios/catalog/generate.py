"""Write the example catalog: ``products.csv`` (what a shop could export) and ``truth.csv``.

The 200 products are drawn, with a fixed seed, from four kinds whose answer to "backorder or
out of stock?" is known by construction (``truth.csv`` says which kind each product is and
what the catalog run should find). The reasoning, for one customer who meets an empty shelf,
accepts a backorder with probability a, would wait a time W and has an exponential patience
of mean m (Zipkin 2000, §6.2, for the lost-sales/backorder cost trade-off; the same per-customer
balance is in ``docs/model.md``): against showing "out of stock" a backorder gains about

    a · [ e^(−W/m) · (margin + penalty) − backorder_cost · m · (1 − e^(−W/m)) ]   [money]

(it is served if its patience outlasts the wait, and costs ``backorder_cost`` for every day it
waits). So:

- **planned** (a planned purchase: furniture, tools; ≈ 35%): most customers are planners who
  accept and wait (m = 14 days), the margin is high and a lost sale is dear, waiting is cheap
  → the gain is clearly positive: **backorder** wins.
- **impulse** (cheap accessories; ≈ 25%): almost every shopper is an impulse buyer who clicks
  "order anyway" (a = 0.8) but cancels within a day or two (m = 1.5) while the supplier takes
  two to four weeks; a backorder of a cheap item costs a support contact and a parcel of its own
  (``backorder_cost`` = 10% of the price a day) and a lost sale costs nothing beyond the sale
  → the gain is negative: **out_of_stock** (or ``hybrid_7``, which then rarely backorders)
  wins.
- **ample** (overstocked lines; ≈ 20%): the reorder point is 3.5 × the lead-time demand, so
  the shelf is practically never empty and every policy serves the same customers the same
  way → the policies **tie** (the paired difference is 0 or within the noise).
- **mixed** (≈ 20%): everything in between (half planners, moderate costs, reorder points
  below the lead-time demand); no answer is designed in — these are the products where the
  decision is close, often ``tied`` with 10 replications.

Demand rates are heavy-tailed like a real catalog's (lognormal, a few products sell tens a day,
most one or two), prices lognormal around each kind's level; the reorder point follows the
mean lead-time demand (rate × mean units per customer × mean lead time) times a cover factor,
the order quantity is about two weeks of demand. Run it from the repository root:

    python scenarios/catalog/generate.py            # rewrites products.csv and truth.csv
    python scenarios/catalog/generate.py --check    # exit 1 if the files differ from a fresh draw
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20261202
PRODUCTS = 200
MEAN_UNITS = 1.15
"""Mean units per customer of the template's ``demand.quantity`` (1 or 2, weights 0.85/0.15)."""

COLUMNS = (
    "sku",
    "name",
    "demand.rate",
    "product.price",
    "supplier.unit_cost",
    "product.holding_cost",
    "product.backorder_cost",
    "product.lost_sale_cost",
    "supplier.lead_time.mean",
    "segments.0.share",
    "segments.1.share",
    "segments.1.accept_backorder",
    "segments.1.patience.mean",
    "replenishment.reorder_point",
    "replenishment.order_quantity",
    "store.initial_stock",
)


@dataclass(frozen=True)
class Kind:
    """One kind of product: the ranges its numbers are drawn from and the answer it should get."""

    name: str
    share: float
    """Expected share of the catalog."""
    expected: str
    """What the catalog run should recommend: a policy, ``tie``, or ``any`` (nothing designed in)."""
    price_median: float
    rate_factor: float
    """Multiplies the catalog-wide lognormal demand rate."""
    margin: tuple[float, float]
    """(price − unit cost) / price, uniform in this range."""
    planners: tuple[float, float]
    """Share of the planner segment (the template's ``segments.0``)."""
    impulse_accept: float
    impulse_patience: float
    """Mean patience of the impulse segment [days]."""
    backorder_cost: float
    """Per unit per day waiting, as a share of the price."""
    lost_sale_cost: float
    """Per unit lost, as a share of the price."""
    lead_time: tuple[float, float]
    """Mean lead time [days], uniform in this range."""
    cover: tuple[float, float]
    """Reorder point / mean lead-time demand, uniform in this range."""
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]


KINDS = (
    Kind(
        "planned", 0.35, "backorder", 120.0, 0.6, (0.35, 0.5), (0.75, 0.9), 0.3, 3.0, 0.002, 0.15, (14, 30),
        (0.6, 0.9), ("bookshelf", "desk lamp", "drill", "office chair", "rug", "bike rack", "grill", "toolbox"),
        ("oak", "steel", "walnut", "compact", "pro", "folding", "heavy-duty", "classic"),
    ),
    Kind(
        "impulse", 0.25, "out_of_stock", 10.0, 3.0, (0.25, 0.35), (0.03, 0.06), 0.8, 1.5, 0.15, 0.0, (4, 9),
        (0.5, 0.75), ("phone case", "cable", "mug", "keyring", "sticker set", "sock pack", "lip balm", "charger"),
        ("clear", "neon", "mini", "striped", "retro", "glitter", "travel", "pastel"),
    ),
    Kind(
        "ample", 0.20, "tie", 40.0, 0.5, (0.3, 0.45), (0.4, 0.8), 0.3, 3.0, 0.005, 0.05, (5, 15),
        (3.5, 3.5), ("storage box", "hanger set", "towel", "doormat", "candle", "planter", "frame", "basket"),
        ("large", "cotton", "bamboo", "white", "round", "woven", "ceramic", "linen"),
    ),
    Kind(
        "mixed", 0.20, "any", 40.0, 1.0, (0.3, 0.45), (0.4, 0.6), 0.3, 3.0, 0.01, 0.05, (10, 25),
        (0.6, 0.9), ("backpack", "headphones", "kettle", "jacket", "board game", "speaker", "sneakers", "watch"),
        ("urban", "wireless", "electric", "rain", "family", "smart", "running", "field"),
    ),
)  # fmt: skip


def _money(x: float) -> float:
    return round(x, 2)


def draw(seed: int = SEED, n: int = PRODUCTS) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The rows of ``products.csv`` and of ``truth.csv``, in table order."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(KINDS), size=n, p=[k.share for k in KINDS])
    products: list[dict[str, object]] = []
    truth: list[dict[str, object]] = []
    used: set[str] = set()
    for i, k in enumerate(kinds):
        kind = KINDS[int(k)]
        rate = float(np.clip(np.exp(rng.normal(np.log(1.2), 0.9)) * kind.rate_factor, 0.1, 40.0))
        price = float(np.exp(rng.normal(np.log(kind.price_median), 0.5)))
        price = max(1.99, round(price) - 0.01)
        unit_cost = _money(price * (1.0 - rng.uniform(*kind.margin)))
        lead = round(float(rng.uniform(*kind.lead_time)), 1)
        planners = round(float(rng.uniform(*kind.planners)), 2)
        demand_per_day = rate * MEAN_UNITS
        reorder_point = max(1, round(demand_per_day * lead * float(rng.uniform(*kind.cover))))
        quantity = max(2, round(demand_per_day * 14))
        name = f"{rng.choice(kind.adjectives).capitalize()} {rng.choice(kind.nouns)}"
        while name in used:
            name += " II" if not name.endswith("I") else "I"
        used.add(name)
        sku = f"SKU-{1001 + i}"
        products.append(
            {
                "sku": sku,
                "name": name,
                "demand.rate": round(rate, 2),
                "product.price": price,
                "supplier.unit_cost": unit_cost,
                "product.holding_cost": round(unit_cost * 0.25 / 365, 4),  # 25% a year of the unit cost
                "product.backorder_cost": round(kind.backorder_cost * price, 3),
                "product.lost_sale_cost": _money(kind.lost_sale_cost * price),
                "supplier.lead_time.mean": lead,
                "segments.0.share": planners,
                "segments.1.share": round(1.0 - planners, 2),
                "segments.1.accept_backorder": kind.impulse_accept,
                "segments.1.patience.mean": kind.impulse_patience,
                "replenishment.reorder_point": reorder_point,
                "replenishment.order_quantity": quantity,
                "store.initial_stock": reorder_point + quantity // 2,
            }
        )
        truth.append({"sku": sku, "kind": kind.name, "expected": kind.expected})
    return products, truth


def _csv(rows: list[dict[str, object]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files instead of writing them")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for products.csv and truth.csv")
    args = parser.parse_args(argv)
    products, truth = draw()
    files = {"products.csv": _csv(products), "truth.csv": _csv(truth)}
    if args.check:
        stale = [name for name, text in files.items() if (args.out / name).read_text(encoding="utf-8") != text]
        for name in stale:
            print(f"{args.out / name}: differs from a fresh draw; run python scenarios/catalog/generate.py")
        return 1 if stale else 0
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(products)} products to {args.out / 'products.csv'} and {args.out / 'truth.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
