"""Products, line items and quotes: what each deal is made of, as the CRM keeps it.

A deal's lines price the catalog's products at the company's price list (list, partner
or enterprise: the Stripe prices of ``catalog``), with the rep's own discount
on top; their net amounts add up to the deal's amount. The same lines are what billing
invoices, so the CRM, Stripe and the discount-depth truth share one set of facts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from demo.formats import stripe
from demo.formats.hubspot import crm_object
from demo.world.accounts import Company, Deal
from demo.world.catalog import (
    ADDONS,
    PRICE_LISTS,
    PRODUCT_NAMES,
    PRODUCTS,
    amount_grain,
    price_book,
)
from demo.world.fx import CURRENCIES
from demo.world.pipelines import PIPELINES
from demo.world.scales import WORLD_END, WORLD_START

PRICE_LIST_WEIGHTS = (60, 80, 100)  # cumulative: list, partner, enterprise
REP_DISCOUNTS = (0, 0, 0, 0.05, 0.1, 0.15, 0.2)  # on top of the price list
RECORDED_IN_CRM = 0.92  # the rest of the deals carry a typed amount and no lines
QUOTE_STAGE_PROBABILITY = Decimal("0.6")  # a quote goes out at the first stage this likely
APPROVAL_THRESHOLD = 0.15  # quotes discounted deeper than this needed a manager's approval
ANNUAL_PRODUCTS = {key for key, name, _, _ in PRODUCTS if name.endswith("(annual)")}
PRODUCT_IDS = {key: str(3_100_000 + number) for number, (key, *_) in enumerate(PRODUCTS)}


@dataclass(frozen=True)
class LineItem:
    """One line of a deal; money in the deal currency's minor units."""

    line_item_id: str
    product_key: str
    quantity: int
    unit_price: int  # at the company's price list
    list_unit_price: int  # at the list price list: what discount depth is measured from
    net_amount: int

    @property
    def discount(self) -> int:
        return self.quantity * self.unit_price - self.net_amount


@dataclass(frozen=True)
class DealLines:
    deal: Deal
    price_list: str
    lines: tuple[LineItem, ...]
    in_crm: bool  # whether the rep recorded the lines on the deal (billing always has them)
    quoted_at: datetime | None


def price_list(seed: int, company: Company) -> str:
    """The price list a company buys at, one draw of its own stream."""
    rng = random.Random(f"{seed}:price_list:{company.company_id}")
    return rng.choices(PRICE_LISTS, cum_weights=PRICE_LIST_WEIGHTS)[0]


@lru_cache(maxsize=4)
def unit_prices(seed: int) -> dict[tuple[str, str, str], int]:
    """Catalog unit prices in minor units by ``(product, currency, price list)``."""
    return {key: price["unit_amount"] for key, price in price_book(seed).prices.items()}


def company_lines(seed: int, company: Company) -> list[DealLines]:
    """The lines of each of the company's deals, in deal order."""
    buys_at = price_list(seed, company)
    return [deal_lines(seed, deal, buys_at) for deal in company.deals]


def deal_lines(seed: int, deal: Deal, buys_at: str) -> DealLines:
    """The deal's lines at the ``buys_at`` price list, from the deal's own random stream."""
    rng = random.Random(f"{seed}:lines:{deal.deal_id}")
    prices = unit_prices(seed)
    currency = deal.currency
    total = stripe.minor_units(deal.amounts[-1][0], currency)
    addons = rng.sample(ADDONS, rng.choice((0, 0, 1, 1, 2)))
    weights = [rng.uniform(0.55, 0.85)] if addons else [1.0]
    rest = [rng.random() + 0.2 for _ in addons]
    weights += [(1 - weights[0]) * share / sum(rest) for share in rest]
    step = amount_grain(currency)
    amounts = [int(total * weight) // step * step for weight in weights[1:]]
    amounts.insert(0, total - sum(amounts))
    lines = []
    for position, (key, amount) in enumerate(zip(("seats", *addons), amounts, strict=True)):
        if amount <= 0:
            continue
        unit = prices[(key, currency, buys_at)]
        quantity = max(1, round(amount / (unit * (1 - rng.choice(REP_DISCOUNTS)))))
        if quantity * unit < amount:  # never above the price list: add the seats it covers
            quantity = math.ceil(amount / unit)
        lines.append(
            LineItem(
                line_item_id=str(6 * 10**10 + int(deal.deal_id) * 10 + position),
                product_key=key,
                quantity=quantity,
                unit_price=unit,
                list_unit_price=prices[(key, currency, "list")],
                net_amount=amount,
            )
        )
    return DealLines(
        deal=deal,
        price_list=buys_at,
        lines=tuple(lines),
        in_crm=rng.random() < RECORDED_IN_CRM,
        quoted_at=_quoted_at(rng, deal),
    )


def _quoted_at(rng: random.Random, deal: Deal) -> datetime | None:
    """A quote goes out a few hours after the deal first reaches a likely enough stage."""
    probabilities = {stage.stage_id: stage.probability for stage in PIPELINES[deal.pipeline_id][1]}
    for stage_id, moment in deal.stages:
        probability = probabilities[stage_id]
        if QUOTE_STAGE_PROBABILITY <= probability < 1:
            sent = moment + timedelta(hours=rng.uniform(1, 48))
            return min(sent, deal.closed_at or WORLD_END, WORLD_END)
    return None


# --- CRM objects -------------------------------------------------------------------------


def products(seed: int) -> list[dict[str, Any]]:
    """The product library; ``hs_price_<currency>`` carry the list price in each currency,
    as HubSpot keeps multi-currency prices."""
    prices = unit_prices(seed)
    created = WORLD_START - timedelta(days=120)
    rendered = []
    for key, name, _, kind in PRODUCTS:
        list_prices = {
            f"hs_price_{currency.lower()}": _major(prices[(key, currency, "list")], currency)
            for currency in CURRENCIES
        }
        rendered.append(
            crm_object(
                PRODUCT_IDS[key],
                created,
                histories={},
                properties={
                    "name": name,
                    "hs_sku": key,
                    "description": f"{name} ({kind})",
                    "price": list_prices["hs_price_usd"],
                    **list_prices,
                    "hs_recurring_billing_period": "P12M" if key in ANNUAL_PRODUCTS else None,
                },
            )
        )
    return rendered


def line_items(deal_lines: DealLines) -> list[dict[str, Any]]:
    deal = deal_lines.deal
    if not deal_lines.in_crm:
        return []
    currency = deal.currency
    created = deal.created_at + timedelta(minutes=5)
    return [
        crm_object(
            line.line_item_id,
            created,
            histories={},
            properties={
                "name": PRODUCT_NAMES[line.product_key],
                "hs_product_id": PRODUCT_IDS[line.product_key],
                "hs_sku": line.product_key,
                "quantity": line.quantity,
                "price": _major(line.unit_price, currency),
                "amount": _major(line.net_amount, currency),
                "hs_total_discount": _major(line.discount, currency),
                "hs_line_item_currency_code": currency,
                "hs_recurring_billing_period": "P12M"
                if line.product_key in ANNUAL_PRODUCTS
                else None,
            },
            associations={"deals": [(deal.deal_id, "line_item_to_deal")]},
            archived_at=deal.archived_at,
        )
        for line in deal_lines.lines
    ]


def quote(deal_lines: DealLines) -> dict[str, Any] | None:
    deal, sent = deal_lines.deal, deal_lines.quoted_at
    if sent is None or not deal_lines.in_crm:
        return None
    currency = deal.currency
    net = sum(line.net_amount for line in deal_lines.lines)
    gross = sum(line.quantity * line.unit_price for line in deal_lines.lines)
    needs_approval = gross and 1 - net / gross > APPROVAL_THRESHOLD
    return crm_object(
        str(7 * 10**10 + int(deal.deal_id)),
        sent,
        histories={},
        properties={
            "hs_title": f"{deal.name} - Quote",
            "hs_status": "APPROVED" if needs_approval else "APPROVAL_NOT_NEEDED",
            "hs_currency": currency,
            "hs_quote_amount": _major(net, currency),
            "hs_expiration_date": (sent + timedelta(days=30)).date().isoformat(),
            "hubspot_owner_id": deal.owner_at(sent),
            "price_list": deal_lines.price_list,  # a custom property
        },
        associations={
            "deals": [(deal.deal_id, "quote_to_deal")],
            "line_items": [(line.line_item_id, "quote_to_line_item") for line in deal_lines.lines],
        },
        archived_at=deal.archived_at,
    )


def _major(minor: int, currency: str) -> Decimal:
    return stripe.major_units(minor, currency)
