"""The demo world's Stripe side: object shapes, determinism, the behaviours the money KPIs
need, and the ground truth of those KPIs on a small case worked out by hand."""

from __future__ import annotations

import pickle
import random
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from demo.formats import stripe
from demo.truth.payments import PaymentsTruth
from demo.world.accounts import Company, Deal, build_company
from demo.world.catalog import PRICE_LISTS, catalog
from demo.world.fx import EXPONENTS, FxRates
from demo.world.org import build_org
from demo.world.payments import (
    CustomerPayments,
    Refund,
    company_payment_facts,
    company_payments,
    stripe_objects,
)
from demo.world.scales import SCALES, WORLD_END
from tests.support.hand_facts import (
    HandFx,
    at,
    hand_company,
    hand_customer,
    hand_deal,
    hand_invoice,
    paid,
)

SEED = 7
COMPANIES = 1_500
END = int(WORLD_END.timestamp())
PREFIXES = {
    "customers": "cus_",
    "invoices": "in_",
    "charges": "ch_",
    "refunds": "re_",
    "payment_intents": "pi_",
    "balance_transactions": "txn_",
    "events": "evt_",
    "products": "prod_",
    "prices": "price_",
}


class World:
    """A sample of generated companies with their payment facts and Stripe objects."""

    def __init__(self, seed: int, companies: int) -> None:
        org = build_org(random.Random(f"{seed}:org"), SCALES["s"])
        self.fx = FxRates(random.Random(f"{seed}:fx"))
        self.companies: list[Company] = []
        self.facts: dict[str, CustomerPayments | None] = {}
        self.objects: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for index in range(companies):
            company = build_company(seed, index, org, self.fx)
            self.companies.append(company)
            facts = company_payment_facts(seed, index, company, self.fx)
            self.facts[company.company_id] = facts
            if facts is not None:
                for object_type, obj in stripe_objects(seed, facts):
                    self.objects[object_type].append(obj)


@pytest.fixture(scope="module")
def world() -> World:
    return World(SEED, COMPANIES)


def won_deals(company: Company) -> list[Deal]:
    return [deal for deal in company.deals if deal.counts and deal.outcome == "won"]


# --- shapes ------------------------------------------------------------------------------


def test_catalog_has_three_price_lists_in_five_currencies() -> None:
    objects = catalog(SEED)
    products = [obj for kind, obj in objects if kind == "products"]
    prices = [obj for kind, obj in objects if kind == "prices"]
    assert products and all(
        p["object"] == "product" and p["id"].startswith("prod_") for p in products
    )
    assert {price["currency"] for price in prices} == {"usd", "idr", "sgd", "eur", "jpy"}
    assert {price["metadata"]["price_list"] for price in prices} == set(PRICE_LISTS)
    by_key = {
        (price["product"], price["currency"], price["metadata"]["price_list"]): price["unit_amount"]
        for price in prices
    }
    for (product, currency, price_list), amount in by_key.items():
        assert isinstance(amount, int) and amount > 0
        assert price_list == "list" or amount < by_key[(product, currency, "list")]
    # JPY has no minor unit: a 1,200 USD seat is ~178,800 yen, not ~17,880,000.
    seat_usd = by_key[(products[0]["id"], "usd", "list")]
    seat_jpy = by_key[(products[0]["id"], "jpy", "list")]
    assert seat_usd == 120_000  # cents
    assert 100_000 < seat_jpy < 300_000
    assert catalog(SEED) == objects


def test_objects_have_stripe_shapes(world: World) -> None:
    assert set(world.objects) == set(PREFIXES) - {"products", "prices"}
    for object_type, objects in world.objects.items():
        ids = [obj["id"] for obj in objects]
        assert len(ids) == len(set(ids)), object_type
        for obj in objects:
            assert obj["id"].startswith(PREFIXES[object_type]), obj["id"]
            assert isinstance(obj["created"], int)
            assert obj["object"] == object_type.removesuffix("s")
            if "currency" in obj and obj["currency"] is not None:
                assert obj["currency"] == obj["currency"].lower()
    statuses = Counter(invoice["status"] for invoice in world.objects["invoices"])
    assert set(statuses) == {"draft", "open", "paid", "void", "uncollectible"}, statuses
    for invoice in world.objects["invoices"]:
        lines = invoice["lines"]
        assert lines["object"] == "list" and lines["has_more"] is False
        assert lines["url"] == f"/v1/invoices/{invoice['id']}/lines"
        assert lines["data"] and all(line["object"] == "line_item" for line in lines["data"])
        assert all(line["price"]["id"].startswith("price_") for line in lines["data"])
        total = sum(line["amount"] for line in lines["data"])
        assert invoice["total"] == invoice["subtotal"] == invoice["amount_due"] == total
        assert invoice["amount_remaining"] == invoice["amount_due"] - invoice["amount_paid"]
        assert set(invoice["status_transitions"]) == {
            "finalized_at",
            "paid_at",
            "voided_at",
            "marked_uncollectible_at",
        }
        assert (invoice["number"] is None) == (invoice["status"] == "draft")
        assert (invoice["due_date"] is None) == (invoice["status"] == "draft")
        if invoice["status"] == "paid":
            assert invoice["amount_remaining"] == 0 and invoice["status_transitions"]["paid_at"]
    customers = {customer["id"]: customer for customer in world.objects["customers"]}
    assert all(customer["metadata"]["hubspot_company_id"] for customer in customers.values())
    assert all(invoice["customer"] in customers for invoice in world.objects["invoices"])


def test_charges_failures_and_balance_transactions(world: World) -> None:
    transactions = {txn["id"]: txn for txn in world.objects["balance_transactions"]}
    charges = world.objects["charges"]
    assert Counter(charge["status"] for charge in charges).keys() == {"succeeded", "failed"}
    codes = Counter(charge["failure_code"] for charge in charges if charge["status"] == "failed")
    assert set(codes) == {"card_declined", "insufficient_funds", "expired_card"}
    for charge in charges:
        if charge["status"] == "failed":
            assert charge["failure_message"] == stripe.FAILURES[charge["failure_code"]]
            assert charge["balance_transaction"] is None and charge["amount_refunded"] == 0
            continue
        assert charge["failure_code"] is None and charge["failure_message"] is None
        txn = transactions[charge["balance_transaction"]]
        assert txn["type"] == "charge" and txn["source"] == charge["id"]
        assert txn["amount"] == charge["amount"] and txn["currency"] == charge["currency"]
        expected_fee = round(charge["amount"] * 0.029) + stripe.minor_units(
            stripe.FEE_FIXED[charge["currency"].upper()], charge["currency"]
        )
        assert abs(txn["fee"] - expected_fee) <= 1
        assert txn["net"] == txn["amount"] - txn["fee"]
    for refund in world.objects["refunds"]:
        txn = transactions[refund["balance_transaction"]]
        assert txn["type"] == "refund" and txn["amount"] == -refund["amount"]
        assert txn["source"] == refund["id"] and txn["net"] == txn["amount"]
    failed_intents = [
        intent
        for intent in world.objects["payment_intents"]
        if intent["status"] == "requires_payment_method"
    ]
    assert failed_intents
    for intent in failed_intents:
        error = intent["last_payment_error"]
        assert error["type"] == "card_error" and error["message"] == stripe.FAILURES[error["code"]]


def test_amounts_are_minor_units_with_the_currency_exponent(world: World) -> None:
    """An invoice of a deal invoiced upfront and right carries the deal amount x 10^exponent:
    x100 for USD, IDR, SGD, EUR; x1 for JPY."""
    seen: set[str] = set()
    for company in world.companies:
        facts = world.facts[company.company_id]
        for deal in won_deals(company):
            invoices = [
                invoice
                for invoice in world.objects["invoices"]
                if invoice["metadata"].get("hubspot_deal_id") == deal.deal_id
                and invoice["metadata"]["billing_schedule"] == "upfront"
            ]
            if len(invoices) != 1 or invoices[0]["status"] == "draft":
                continue
            amount = deal.amount_at(deal.closed_at)
            expected = int(amount * 10 ** EXPONENTS[deal.currency])
            if invoices[0]["total"] == expected:
                seen.add(deal.currency)
                assert invoices[0]["currency"] == deal.currency.lower() == facts.currency.lower()
                if deal.currency == "JPY":
                    assert invoices[0]["total"] == int(amount)
    assert seen == {"USD", "IDR", "SGD", "EUR", "JPY"}
    assert stripe.minor_units(Decimal("1234"), "JPY") == 1234
    assert stripe.major_units(1234, "JPY") == Decimal("1234")
    assert stripe.minor_units(Decimal("12.34"), "USD") == 1234
    assert stripe.major_units(1234, "IDR") == Decimal("12.34")


# --- determinism and the world's rules ----------------------------------------------------


def test_same_seed_same_objects_other_seed_other_objects() -> None:
    one, two = World(SEED, 150), World(SEED, 150)
    assert one.objects == two.objects
    assert World(SEED + 1, 150).objects["invoices"] != one.objects["invoices"]


def test_every_counted_won_deal_is_invoiced_and_some_are_wrong(world: World) -> None:
    by_deal: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for invoice in world.objects["invoices"]:
        if "hubspot_deal_id" in invoice["metadata"]:
            by_deal[invoice["metadata"]["hubspot_deal_id"]].append(invoice)
    counted = {deal.deal_id: deal for company in world.companies for deal in won_deals(company)}
    assert set(by_deal) == set(counted)
    outside, within = 0, 0
    for deal_id, invoices in by_deal.items():
        deal = counted[deal_id]
        assert {invoice["currency"] for invoice in invoices} == {deal.currency.lower()}
        counted_invoices = [i for i in invoices if i["status"] not in ("draft", "void")]
        if not counted_invoices:
            continue
        amount = deal.amount_at(deal.closed_at)
        invoiced = sum(
            stripe.major_units(invoice["total"], deal.currency) for invoice in counted_invoices
        )
        if abs(invoiced - amount) > amount / 100:
            outside += 1
        elif invoiced != amount:
            within += 1
    assert outside >= 3 and within >= 1, (outside, within)
    schedules = Counter(i["metadata"].get("billing_schedule") for i in world.objects["invoices"])
    assert schedules["quarterly"] and schedules["monthly"] and schedules["upfront"]
    no_deal = [i for i in world.objects["invoices"] if "hubspot_deal_id" not in i["metadata"]]
    assert any(invoice["status"] == "paid" for invoice in no_deal)


def test_nothing_happens_after_the_world_ends(world: World) -> None:
    for object_type, objects in world.objects.items():
        for obj in objects:
            assert obj["created"] <= END, (object_type, obj["id"])
    for invoice in world.objects["invoices"]:
        for moment in invoice["status_transitions"].values():
            assert moment is None or moment <= END
    open_overdue = [
        invoice
        for invoice in world.objects["invoices"]
        if invoice["status"] == "open" and invoice["due_date"] < END
    ]
    assert open_overdue, "the follow-up list needs open invoices past due at WORLD_END"


def test_money_never_exceeds_what_was_invoiced_or_charged(world: World) -> None:
    invoices = {invoice["id"]: invoice for invoice in world.objects["invoices"]}
    charged: Counter[str] = Counter()
    for charge in world.objects["charges"]:
        invoice = invoices[charge["invoice"]]
        assert (
            charge["currency"] == invoice["currency"] and charge["customer"] == invoice["customer"]
        )
        assert charge["created"] >= invoice["status_transitions"]["finalized_at"]
        if charge["status"] == "succeeded":
            charged[charge["invoice"]] += charge["amount"]
    for invoice_id, amount in charged.items():
        assert amount == invoices[invoice_id]["amount_paid"] <= invoices[invoice_id]["total"]
    charges = {charge["id"]: charge for charge in world.objects["charges"]}
    refunded: Counter[str] = Counter()
    for refund in world.objects["refunds"]:
        charge = charges[refund["charge"]]
        assert charge["status"] == "succeeded" and refund["created"] > charge["created"]
        refunded[refund["charge"]] += refund["amount"]
    assert refunded
    for charge_id, amount in refunded.items():
        charge = charges[charge_id]
        assert amount == charge["amount_refunded"] <= charge["amount"]
        assert charge["refunded"] == (amount == charge["amount"])


def test_events_carry_each_change_and_end_in_the_final_state(world: World) -> None:
    kinds = Counter(event["type"] for event in world.objects["events"])
    for kind in (
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.voided",
        "invoice.marked_uncollectible",
        "charge.succeeded",
        "charge.failed",
        "charge.refunded",
        "refund.created",
    ):
        assert kinds[kind], kind
    latest: dict[str, dict[str, Any]] = {}
    for event in sorted(world.objects["events"], key=lambda e: e["created"]):
        assert event["object"] == "event" and event["api_version"] == stripe.API_VERSION
        obj = event["data"]["object"]
        assert obj["created"] <= event["created"] <= END
        latest[obj["id"]] = obj
    for object_type in ("invoices", "charges"):
        for obj in world.objects[object_type]:
            assert latest[obj["id"]] == obj, (object_type, obj["id"])
    created = {
        event["data"]["object"]["id"]
        for event in world.objects["events"]
        if event["type"] == "invoice.created"
    }
    assert created == {invoice["id"] for invoice in world.objects["invoices"]}


def test_company_payments_is_the_rendered_facts(world: World) -> None:
    fx = world.fx
    company = next(c for c in world.companies if world.facts[c.company_id] is not None)
    index = int(company.company_id) - 20_000_000
    rendered = list(company_payments(SEED, index, company, fx))
    assert rendered == list(stripe_objects(SEED, world.facts[company.company_id]))
    lost = next(c for c in world.companies if world.facts[c.company_id] is None)
    assert list(company_payments(SEED, int(lost.company_id) - 20_000_000, lost, fx)) == []


# --- the ground truth ----------------------------------------------------------------------


def test_truth_parts_merge_to_the_whole(world: World, tmp_path: Path) -> None:
    whole, first, second = (PaymentsTruth(world.fx) for _ in range(3))
    half = len(world.companies) // 2
    for position, company in enumerate(world.companies):
        facts = world.facts[company.company_id]
        whole.add_company(company, facts)
        (first if position < half else second).add_company(company, facts)
    merged = PaymentsTruth(world.fx)
    for part in (first.part(), second.part()):
        merged.merge(pickle.loads(pickle.dumps(part)))
    assert merged.revenue_rows() == whole.revenue_rows()
    assert merged.ar_rows() == whole.ar_rows()
    assert merged.followup_rows() == whole.followup_rows()
    assert merged.reconciliation_rows() == whole.reconciliation_rows()
    whole.write(tmp_path)
    for name in ("revenue_monthly", "ar_aging", "payment_followup", "reconciliation"):
        assert (tmp_path / f"{name}.csv").read_text().count("\n") > 1, name
    issues = Counter(row["issue"] for row in whole.reconciliation_rows())
    assert set(issues) == {"amount_mismatch", "not_invoiced", "invoice_without_deal"}, issues


def hand_case() -> tuple[HandFx, list[tuple[Company, CustomerPayments]]]:
    """Jakarta is UTC+7. Company A (USD, deals D0-D2 and D4), company B (JPY, deal D3):

    | inv. | deal | total       | finalized (UTC)  | Jakarta    | payments (UTC)            |
    |------|------|-------------|------------------|------------|---------------------------|
    | I0   | D0   | 800.00 USD  | 2025-01-10 03:00 | 2025-01-10 | 800.00, 2025-02-03 03:00  |
    | I1   | D1   | 1000.00 USD | 2026-01-06 02:00 | 2026-01-06 | 400.00, 2026-01-20 05:00; |
    |      |      |             |                  |            | 600.00 declined           |
    |      |      |             |                  |            | 2026-02-10 03:00          |
    | I2   | D2   | 500.00 USD  | 2026-01-31 18:00 | 2026-02-01 | 500.00, 2026-02-27 20:00  |
    |      |      |             |                  |            | (Feb 28 in Jakarta); 100  |
    |      |      |             |                  |            | refunded 2026-03-10 03:00 |
    | I3   | none | 200.00 USD  | 2026-02-15 03:00 | 2026-02-15 | 200.00, 2026-02-16 03:00  |
    | I4   | D3   | 120,000 JPY | 2026-02-02 03:00 | 2026-02-02 | 120,000, 2026-03-20 03:00 |
    | I5   | D4   | 300.00 USD  | (a draft)        |            |                           |

    Deals: D0 800.00, D1 1000.00 (owner R1 at close, R2 after), D2 503.00 (invoiced 0.6%
    less: within tolerance), D3 150,000 JPY closed 2026-01-28 (invoiced 20% less: a
    forgotten line), D4 300.00 closed 2026-10-30 (still a draft at WORLD_END).
    """
    fx = HandFx()
    d0 = hand_deal("D0", "800.00", "USD", "2025-01-08 03:00", [("R1", "2024-12-01 00:00")])
    d1 = hand_deal(
        "D1", "1000.00", "USD", "2026-01-05 03:00", [("R1", "2025-12-01"), ("R2", "2026-03-01")]
    )
    d2 = hand_deal("D2", "503.00", "USD", "2026-01-25 03:00", [("R2", "2025-12-01")])
    d3 = hand_deal("D3", "150000", "JPY", "2026-01-28 03:00", [("R3", "2025-12-01")])
    d4 = hand_deal("D4", "300.00", "USD", "2026-10-30 03:00", [("R1", "2026-09-01")])
    a = hand_company("1", "USD", [d0, d1, d2, d4])
    b = hand_company("2", "JPY", [d3])
    i0 = paid(
        hand_invoice("I0", "USD", 80_000, "2025-01-10 03:00", "D0"), 80_000, "2025-02-03 03:00"
    )
    i1 = hand_invoice("I1", "USD", 100_000, "2026-01-06 02:00", "D1")
    paid(i1, 40_000, "2026-01-20 05:00")
    paid(i1, 60_000, "2026-02-10 03:00", failure="card_declined")
    refund = Refund("re_1", "txn_re_1", at("2026-03-10 03:00"), 10_000, "requested_by_customer")
    i2 = paid(
        hand_invoice("I2", "USD", 50_000, "2026-01-31 18:00", "D2"),
        50_000,
        "2026-02-27 20:00",
        refunds=[refund],
    )
    i3 = paid(
        hand_invoice("I3", "USD", 20_000, "2026-02-15 03:00", None), 20_000, "2026-02-16 03:00"
    )
    draft = hand_invoice("I5", "USD", 30_000, "2026-10-30 05:00", "D4")
    draft.finalized_at = draft.due_at = None
    i4 = paid(
        hand_invoice("I4", "JPY", 120_000, "2026-02-02 03:00", "D3"), 120_000, "2026-03-20 03:00"
    )

    return fx, [(a, hand_customer(a, [i0, i1, i2, i3, draft])), (b, hand_customer(b, [i4]))]


def test_money_kpis_worked_out_by_hand(tmp_path: Path) -> None:
    fx, companies = hand_case()
    truth = PaymentsTruth(fx, "USD")
    for company, facts in companies:
        truth.add_company(company, facts)
    months = {row["month"]: row for row in truth.revenue_rows()}
    # January 2026: I1 invoiced (Jan 6); I2 is a February invoice in Jakarta (Feb 1, 01:00).
    jan = months["2026-01-01"]
    assert (jan["invoiced_amount"], jan["collected_amount"], jan["refunded_amount"]) == (
        Decimal("1000.00"),
        Decimal("400.00"),
        Decimal("0.00"),
    )
    # February: I2 500 + I3 200 + I4 120,000 JPY at Feb 2's rate (160) = 750; cash I2 + I3.
    feb = months["2026-02-01"]
    assert (feb["invoiced_amount"], feb["collected_amount"], feb["refunded_amount"]) == (
        Decimal("1450.00"),
        Decimal("700.00"),
        Decimal("0.00"),
    )
    # March: I4 paid (750.00 at the latest earlier rate, 160) minus the 100.00 refund.
    mar = months["2026-03-01"]
    assert (mar["invoiced_amount"], mar["collected_amount"], mar["refunded_amount"]) == (
        Decimal("0.00"),
        Decimal("650.00"),
        Decimal("100.00"),
    )
    # DSO: January AR 600 (I1's rest) / 1000 invoiced Nov 3 - Jan 31 x 90 = 54;
    # February AR 600 + 750 (I4) / (1000 + 1450) x 90.
    assert float(jan["dso_days"]) == pytest.approx(54.0)
    assert float(feb["dso_days"]) == pytest.approx(1350 / 2450 * 90)
    # Logo retention: A paid in January and February; in March only B paid.
    assert float(feb["logo_retention_rate"]) == 1.0
    assert float(mar["logo_retention_rate"]) == 0.0
    # NRR: A paid 800 in February 2025 and 700 in February 2026.
    assert float(feb["net_revenue_retention_rate"]) == pytest.approx(700 / 800)
    assert mar["net_revenue_retention_rate"] == ""  # nobody paid in March 2025
    assert next(iter(months)) == "2025-01-01" and list(months)[-1] == "2026-10-01"

    aging = {(row["snapshot_date"], row["customer_id"]): row for row in truth.ar_rows()}

    def buckets(day: str, customer: str) -> list[Decimal]:
        row = aging[(day, customer)]
        return [row[name] for name in list(row)[2:]]

    zero = Decimal("0.00")
    six, seven_fifty = Decimal("600.00"), Decimal("750.00")
    # I1 is due Feb 5 (Jakarta); I4 due Mar 4; I2 paid Feb 28 (Jakarta) before its month end.
    assert buckets("2026-01-31", "cus_1") == [six, zero, zero, zero, zero]
    assert buckets("2026-02-28", "cus_1") == [zero, six, zero, zero, zero]  # 23 days
    assert buckets("2026-02-28", "cus_2") == [seven_fifty, zero, zero, zero, zero]
    assert buckets("2026-03-31", "cus_1") == [zero, zero, six, zero, zero]  # 54 days
    assert buckets("2026-04-30", "cus_1") == [zero, zero, zero, six, zero]  # 84 days
    assert buckets("2026-05-31", "cus_1") == [zero, zero, zero, zero, six]  # 115 days
    assert buckets("2026-10-31", "cus_1") == [zero, zero, zero, zero, six]
    assert ("2026-03-31", "cus_2") not in aging  # I4 paid on March 20
    assert ("2025-01-31", "cus_1") in aging and ("2025-02-28", "cus_1") not in aging

    assert truth.followup_rows() == [
        {
            "invoice_id": "I1",
            "customer_id": "cus_1",
            "customer_name": "Company 1",
            "rep_id": "R1",  # the owner at close, not R2 who has it now
            "amount_due_amount": six,
            "days_overdue": (date(2026, 10, 31) - date(2026, 2, 5)).days,
            "last_attempt_at": "2026-02-10T03:00:00Z",
            "last_failure_reason": "card_declined",
        }
    ]
    assert truth.reconciliation_rows() == [
        {
            "deal_id": "D3",
            "invoice_id": "I4",
            "issue": "amount_mismatch",
            "deal_amount": Decimal("1000.00"),  # 150,000 JPY at Jan 28's rate, 150
            "invoiced_amount": seven_fifty,
            "difference_amount": Decimal("-250.00"),
        },
        {
            "deal_id": "",
            "invoice_id": "I3",
            "issue": "invoice_without_deal",
            "deal_amount": "",
            "invoiced_amount": Decimal("200.00"),
            "difference_amount": Decimal("200.00"),
        },
        {
            "deal_id": "D4",
            "invoice_id": "",
            "issue": "not_invoiced",
            "deal_amount": Decimal("300.00"),
            "invoiced_amount": zero,
            "difference_amount": Decimal("-300.00"),
        },
    ]
    truth.write(tmp_path)
    assert (tmp_path / "reconciliation.csv").read_text().splitlines()[1] == (
        "D3,I4,amount_mismatch,1000.00,750.00,-250.00"
    )


def test_bookings_and_expansion_worked_out_by_hand() -> None:
    """hand_case, plus existing-business deals around each customer's first payment.

    Company A first paid on 2025-02-03 03:00 (I0); company B on 2026-03-20 03:00 (I4);
    company C never became a customer.
    | deal | co | type             | amount      | closed (UTC)     | expansion?           |
    |------|----|------------------|-------------|------------------|----------------------|
    | E1   | A  | existingbusiness | 250.00 USD  | 2025-02-03 02:00 | no: before the charge|
    | E2   | A  | existingbusiness | 400.00 USD  | 2025-02-03 03:00 | no: not strictly     |
    | E3   | A  | existingbusiness | 600.00 USD  | 2025-02-20 03:00 | yes                  |
    | E4   | A  | renewal          | 700.00 USD  | 2025-02-21 03:00 | no: a renewal        |
    | E5   | A  | existingbusiness | 900.00 USD  | 2025-02-22 03:00 | test deal: nowhere   |
    | E6   | B  | existingbusiness | 80,000 JPY  | 2026-03-31 18:00 | yes, April (Jakarta) |
    | E7   | B  | existingbusiness | 160,000 JPY | 2026-03-19 03:00 | no: B not paid yet   |
    | E8   | C  | existingbusiness | 100.00 USD  | 2025-02-25 03:00 | no: no customer      |
    """
    fx, companies = hand_case()
    (a, a_facts), (b, b_facts) = companies
    extra = {
        "E1": ("250.00", "USD", "2025-02-03 02:00", "existingbusiness", a),
        "E2": ("400.00", "USD", "2025-02-03 03:00", "existingbusiness", a),
        "E3": ("600.00", "USD", "2025-02-20 03:00", "existingbusiness", a),
        "E4": ("700.00", "USD", "2025-02-21 03:00", "renewal", a),
        "E5": ("900.00", "USD", "2025-02-22 03:00", "existingbusiness", a),
        "E6": ("80000", "JPY", "2026-03-31 18:00", "existingbusiness", b),
        "E7": ("160000", "JPY", "2026-03-19 03:00", "existingbusiness", b),
    }
    for deal_id, (amount, currency, closed, deal_type, owner_company) in extra.items():
        extra_deal = hand_deal(deal_id, amount, currency, closed, [("R1", "2024-12-01")])
        extra_deal.deal_type = deal_type
        extra_deal.is_test = deal_id == "E5"
        owner_company.deals.append(extra_deal)
    e8 = hand_deal("E8", "100.00", "USD", "2025-02-25 03:00", [("R1", "2024-12-01")])
    e8.deal_type = "existingbusiness"
    truth = PaymentsTruth(fx, "USD")
    truth.add_company(a, a_facts)
    truth.add_company(b, b_facts)
    truth.add_company(hand_company("3", "USD", [e8]), None)
    months = {
        row["month"]: (row["bookings_amount"], row["expansion_bookings_amount"])
        for row in truth.revenue_rows()
    }
    zero = Decimal("0.00")
    assert months["2025-01-01"] == (Decimal("800.00"), zero)  # D0
    # E1 + E2 + E3 + E4 + E8 = 2050.00, of which E3 is expansion.
    assert months["2025-02-01"] == (Decimal("2050.00"), Decimal("600.00"))
    # D1 1000.00 + D2 503.00 + D3 150,000 JPY at 150 = 2503.00.
    assert months["2026-01-01"] == (Decimal("2503.00"), zero)
    assert months["2026-03-01"] == (Decimal("1000.00"), zero)  # E7 at 160
    assert months["2026-04-01"] == (Decimal("500.00"), Decimal("500.00"))  # E6 at 160
    assert months["2026-10-01"] == (Decimal("300.00"), zero)  # D4
    assert months["2025-03-01"] == (zero, zero)


def test_hand_facts_render_as_stripe_objects() -> None:
    _, companies = hand_case()
    facts = companies[1][1]
    objects = defaultdict(list)
    for object_type, obj in stripe_objects(SEED, facts):
        objects[object_type].append(obj)
    (invoice,) = objects["invoices"]
    assert invoice["currency"] == "jpy" and invoice["total"] == 120_000
    assert invoice["status"] == "paid" and invoice["amount_remaining"] == 0
    assert invoice["status_transitions"]["paid_at"] == at("2026-03-20 03:00")
    assert invoice["due_date"] == at("2026-02-02 03:00") + 30 * 86_400
    (charge,) = objects["charges"]
    assert charge["amount"] == 120_000 and charge["invoice"] == invoice["id"]
    assert [event["type"] for event in objects["events"]] == [
        "customer.created",
        "invoice.created",
        "invoice.finalized",
        "charge.succeeded",
        "invoice.paid",
    ]
