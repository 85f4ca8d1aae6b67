"""Products, line items and quotes of the demo world, and the discount-depth truth."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from demo.formats import stripe
from demo.truth.ground_truth import GroundTruth
from demo.world.accounts import build_company
from demo.world.catalog import catalog
from demo.world.fx import CURRENCIES, FxRates
from demo.world.org import build_org
from demo.world.payments import company_payment_facts
from demo.world.quotes import (
    DealLines,
    LineItem,
    company_lines,
    line_items,
    products,
    quote,
    unit_prices,
)
from demo.world.scales import SCALES
from tests.support.hand_facts import HandFx, hand_deal

SEED = 7


@pytest.fixture(scope="module")
def world_lines() -> list[DealLines]:
    org = build_org(random.Random(f"{SEED}:org"), SCALES["xs"])
    fx = FxRates(random.Random(f"{SEED}:fx"))
    lines = []
    for index in range(300):
        lines += company_lines(SEED, build_company(SEED, index, org, fx))
    return lines


def test_lines_add_up_to_the_deal_amount_at_catalog_prices(world_lines: list[DealLines]) -> None:
    stripe_prices = {
        obj["lookup_key"]: obj["unit_amount"] for kind, obj in catalog(SEED) if kind == "prices"
    }
    price_lists = set()
    for deal_lines in world_lines:
        deal, currency = deal_lines.deal, deal_lines.deal.currency
        price_lists.add(deal_lines.price_list)
        assert deal_lines.lines
        total = sum(line.net_amount for line in deal_lines.lines)
        assert total == stripe.minor_units(deal.amounts[-1][0], currency)
        for line in deal_lines.lines:
            key = f"{line.product_key}_{{}}_{currency.lower()}"
            assert line.unit_price == stripe_prices[key.format(deal_lines.price_list)]
            assert line.list_unit_price == stripe_prices[key.format("list")]
            assert line.quantity >= 1 and 0 <= line.discount < line.quantity * line.unit_price
    assert price_lists == {"list", "partner", "enterprise"}
    depth = [
        1
        - sum(x.net_amount for x in d.lines) / sum(x.quantity * x.list_unit_price for x in d.lines)
        for d in world_lines
    ]
    assert 0.05 < sum(depth) / len(depth) < 0.4  # partner/enterprise lists plus rep discounts


def test_crm_objects_carry_the_lines(world_lines: list[DealLines]) -> None:
    library = {obj["properties"]["hs_sku"]: obj for obj in products(SEED)}
    prices = unit_prices(SEED)
    for sku, obj in library.items():
        for currency in CURRENCIES:
            listed = obj["properties"][f"hs_price_{currency.lower()}"]
            assert Decimal(listed) == stripe.major_units(prices[(sku, currency, "list")], currency)
    quoted = recorded = 0
    for deal_lines in world_lines:
        rendered = line_items(deal_lines)
        sent = quote(deal_lines)
        if not deal_lines.in_crm:
            assert rendered == [] and sent is None
            continue
        recorded += 1
        currency = deal_lines.deal.currency
        for obj, line in zip(rendered, deal_lines.lines, strict=True):
            props = obj["properties"]
            assert library[props["hs_sku"]]["id"] == props["hs_product_id"]
            assert stripe.minor_units(Decimal(props["amount"]), currency) == line.net_amount
            gross = Decimal(props["price"]) * int(props["quantity"])
            assert gross - Decimal(props["hs_total_discount"]) == Decimal(props["amount"])
            deals = obj["associations"]["deals"]["results"]
            assert deals == [{"id": deal_lines.deal.deal_id, "type": "line_item_to_deal"}]
        if sent is not None:
            quoted += 1
            net = sum(Decimal(obj["properties"]["amount"]) for obj in rendered)
            assert Decimal(sent["properties"]["hs_quote_amount"]) == net
            assert sent["createdAt"] >= obj["createdAt"]
            linked = [x["id"] for x in sent["associations"]["line_items"]["results"]]
            assert linked == [obj["id"] for obj in rendered]
    assert recorded < len(world_lines) and 0 < quoted < recorded


def test_discount_depth_worked_by_hand() -> None:
    """R1 wins two deals in January 2026 (Jakarta time):

    - D1, USD, closed 2026-01-05: 10 seats at 1,000.00 list, sold at 800.00 each (partner)
      less a 1,000.00 rep discount: net 7,000.00, list 10,000.00; and one add-on at list:
      net 2,000.00, list 2,000.00.
    - D2, JPY, closed 2026-01-28 at 150 JPY per USD: 3 seats at 150,000 list, net 300,000.
      Converted: net 2,000.00, list 3,000.00.
    - D3, USD, lost: its lines never count. D4, won but with no lines in the CRM: skipped.

    Net 11,000.00, list 15,000.00: discount depth 1 - 11/15 = 0.2666...
    """
    d1 = hand_deal("1", "9000.00", "USD", "2026-01-05 03:00", [("R1", "2025-12-01")])
    d2 = hand_deal("2", "300000", "JPY", "2026-01-28 03:00", [("R1", "2025-12-01")])
    d3 = hand_deal("3", "5000.00", "USD", "2026-01-20 03:00", [("R1", "2025-12-01")])
    d3.outcome = "lost"
    d4 = hand_deal("4", "5000.00", "USD", "2026-01-21 03:00", [("R1", "2025-12-01")])
    truth = GroundTruth(HandFx(), "USD")
    truth.add_deal_lines(
        DealLines(
            d1,
            "partner",
            (
                LineItem("11", "seats", 10, 80_000, 100_000, 700_000),
                LineItem("12", "support", 1, 200_000, 200_000, 200_000),
            ),
            in_crm=True,
            quoted_at=None,
        )
    )
    truth.add_deal_lines(
        DealLines(d2, "list", (LineItem("21", "seats", 3, 150_000, 150_000, 300_000),), True, None)
    )
    lost_lines = (LineItem("31", "seats", 5, 100_000, 100_000, 100_000),)
    truth.add_deal_lines(DealLines(d3, "list", lost_lines, True, None))
    truth.add_deal_lines(DealLines(d4, "list", lost_lines, False, None))
    (row,) = truth._discount_depth_rows()
    assert row["rep_id"] == "R1" and row["month"] == "2026-01-01"
    assert row["deals_won_with_lines"] == 2
    assert (row["line_net_amount"], row["line_list_amount"]) == (
        Decimal("11000.00"),
        Decimal("15000.00"),
    )
    assert float(row["discount_depth_rate"]) == pytest.approx(1 - 11 / 15, abs=1e-12)


def test_billing_invoices_the_deal_s_own_lines() -> None:
    """Upfront invoices carry the CRM line items (product, quantity, net amount), at the
    customer's price list, except the few deliberately miswritten ones."""
    org = build_org(random.Random(f"{SEED}:org"), SCALES["xs"])
    fx = FxRates(random.Random(f"{SEED}:fx"))
    same = different = 0
    for index in range(400):
        company = build_company(SEED, index, org, fx)
        facts = company_payment_facts(SEED, index, company, fx)
        if facts is None:
            continue
        lines = {d.deal.deal_id: d for d in company_lines(SEED, company)}
        for invoice in facts.invoices:
            if invoice.deal_id is None or invoice.metadata["installment"] != "1/1":
                continue
            deal_lines = lines[invoice.deal_id]
            assert facts.price_list == deal_lines.price_list
            billed = [(x.product, x.quantity, x.amount) for x in invoice.lines]
            quoted = [(x.product_key, x.quantity, x.net_amount) for x in deal_lines.lines]
            same += billed == quoted
            different += billed != quoted
    assert same > 50
    assert 0 < different / (same + different) < 0.08  # MISMATCH_RATE + WITHIN_TOLERANCE_RATE
