"""The product catalog: products and their prices in every currency and price list.

Stripe holds it as products and prices (``payments``), the CRM as its product library
with list prices per currency (``quotes``); both read it from here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from demo.formats import stripe
from demo.world.fx import CURRENCIES, EXPONENTS
from demo.world.scales import WORLD_START

CATALOG_CREATED = stripe.unix(WORLD_START - timedelta(days=120))
PRICE_LISTS = ("list", "partner", "enterprise")
# key, name, list price in USD, kind (core: every deal; addon: some deals; service: one-offs)
PRODUCTS = (
    ("seats", "Sales Cloud seat (annual)", 1_200, "core"),
    ("analytics", "Revenue Analytics add-on (annual)", 3_000, "addon"),
    ("support", "Premium Support (annual)", 4_000, "addon"),
    ("integration", "Data Integration connector (annual)", 1_800, "addon"),
    ("onboarding", "Onboarding package", 2_500, "addon"),
    ("training", "Training day", 1_500, "service"),
    ("consulting", "Consulting, 10 hours", 1_600, "service"),
)
ADDONS = tuple(key for key, _, _, kind in PRODUCTS if kind == "addon")
PRODUCT_NAMES = {key: name for key, name, _, _ in PRODUCTS}


@dataclass(frozen=True)
class PriceBook:
    products: dict[str, dict[str, Any]]
    prices: dict[tuple[str, str, str], dict[str, Any]]  # (product, currency, price list)
    line_prices: dict[tuple[str, str, str], dict[str, Any]]  # as invoice lines embed them


@lru_cache(maxsize=4)
def price_book(seed: int) -> PriceBook:
    rng = random.Random(f"{seed}:catalog")
    factors = {
        "list": Decimal(1),
        "partner": Decimal(str(round(rng.uniform(0.75, 0.85), 2))),
        "enterprise": Decimal(str(round(rng.uniform(0.65, 0.75), 2))),
    }
    products: dict[str, dict[str, Any]] = {}
    prices: dict[tuple[str, str, str], dict[str, Any]] = {}
    for key, name, usd, kind in PRODUCTS:
        product_id = stripe.stripe_id("prod", f"{seed}:product:{key}", 14)
        for currency, units in CURRENCIES.items():
            for price_list, factor in factors.items():
                major = typed(Decimal(usd) * Decimal(str(units)) * factor, currency, catalog=True)
                price_id = stripe.stripe_id("price", f"{seed}:price:{key}:{currency}:{price_list}")
                prices[(key, currency, price_list)] = stripe.price(
                    price_id,
                    product_id,
                    currency,
                    stripe.minor_units(major, currency),
                    CATALOG_CREATED,
                    nickname=f"{name} - {price_list} {currency}",
                    lookup_key=f"{key}_{price_list}_{currency.lower()}",
                    metadata={"price_list": price_list},
                )
        products[key] = stripe.product(
            product_id,
            name,
            CATALOG_CREATED,
            metadata={"sku": key, "kind": kind},
            default_price=prices[(key, "USD", "list")]["id"],
        )
    line_prices = {key: stripe.line_price(obj) for key, obj in prices.items()}
    return PriceBook(products, prices, line_prices)


def catalog(seed: int) -> list[tuple[str, dict[str, Any]]]:
    """The products and their prices in every currency and price list (partner and
    enterprise discounted from list), as ``("products", obj)`` / ``("prices", obj)``."""
    cat = price_book(seed)
    return [("products", obj) for obj in cat.products.values()] + [
        ("prices", obj) for obj in cat.prices.values()
    ]


def amount_grain(currency: str) -> int:
    """The smallest amount people type, in minor units: thousands of rupiah, else 1."""
    return 1_000 * 10 ** EXPONENTS["IDR"] if currency == "IDR" else 1


def typed(amount: Decimal, currency: str, catalog: bool = False) -> Decimal:
    """Round like a price sheet: whole rupiah thousands, hundreds of yen for catalog
    prices, whole units for the other catalog prices, cents otherwise."""
    if currency == "IDR":
        return (amount / 1000).quantize(Decimal(1)) * 1000
    if currency == "JPY":
        return (amount / 100).quantize(Decimal(1)) * 100 if catalog else amount.quantize(Decimal(1))
    return amount.quantize(Decimal(1) if catalog else Decimal("0.01"))
