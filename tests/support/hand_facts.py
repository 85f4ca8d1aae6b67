"""World facts built by hand for the ground-truth tests: FX rates, deals, companies,
invoices and their payments.

Every value is small and round, so a test can work its expected KPIs out in comments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from demo.world.accounts import Company, Deal
from demo.world.fx import FxRates
from demo.world.payments import Attempt, CustomerPayments, Invoice, Line, Payment


class HandFx(FxRates):
    """Rates by hand: USD 1; JPY 150 per USD from 2025-12-01, 160 from 2026-02-02."""

    def __init__(self) -> None:
        self.published = {
            "USD": {date(2024, 1, 1): Decimal(1)},
            "JPY": {date(2024, 1, 1): Decimal(150), date(2026, 2, 2): Decimal(160)},
        }
        self._days = {code: sorted(days) for code, days in self.published.items()}


def at(text: str) -> int:
    """Unix seconds of a UTC time written ``2026-01-05 03:00``."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hand_deal(deal_id: str, amount: str, currency: str, closed: str, owners) -> Deal:
    closed_at = utc(closed)
    created = closed_at - timedelta(days=20)
    return Deal(
        deal_id=deal_id,
        name=f"Deal {deal_id}",
        pipeline_id="default",
        deal_type="newbusiness",
        currency=currency,
        created_at=created,
        primary_contact_id=None,
        stages=[("appointmentscheduled", created), ("closedwon", closed_at)],
        amounts=[(Decimal(amount), created)],
        close_dates=[(closed_at, created)],
        owners=[(owner, utc(when)) for owner, when in owners],
        forecast=[("CLOSED", closed_at)],
        outcome="won",
        closed_at=closed_at,
    )


def hand_company(company_id: str, currency: str, deals: list[Deal]) -> Company:
    return Company(
        company_id=company_id,
        name=f"Company {company_id}",
        domain=f"c{company_id}.example",
        country="US",
        currency=currency,
        created_at=utc("2024-06-01 00:00"),
        lead_source="web",
        owner_id="R1",
        deals=deals,
    )


def hand_invoice(
    invoice_id: str, currency: str, total: int, finalized: str, deal_id: str | None
) -> Invoice:
    finalized_at = at(finalized)
    return Invoice(
        invoice_id=invoice_id,
        currency=currency,
        created=finalized_at - 3_600,
        finalized_at=finalized_at,
        lines=[Line(f"il_{invoice_id}", f"ii_{invoice_id}", "seats", "Seats", 1, total)],
        description="",
        metadata={"hubspot_deal_id": deal_id} if deal_id else {},
        deal_id=deal_id,
        due_at=finalized_at + 30 * 86_400,
    )


def paid(
    invoice: Invoice, amount: int, when: str, failure: str | None = None, refunds=()
) -> Invoice:
    charge = Attempt(
        f"ch_{invoice.invoice_id}{len(invoice.payments)}", at(when), amount, failure, None
    )
    charge.refunds.extend(refunds)
    invoice.payments.append(Payment(f"pi_{charge.charge_id}", at(when), amount, [charge]))
    return invoice


def hand_customer(company: Company, invoices: list[Invoice]) -> CustomerPayments:
    """A prompt-paying Stripe customer of ``company``, on the list price list."""
    return CustomerPayments(
        index=int(company.company_id),
        customer_id=f"cus_{company.company_id}",
        company_id=company.company_id,
        name=company.name,
        email=None,
        currency=company.currency,
        created=at("2025-01-01 00:00"),
        price_list="list",
        payment_terms_days=30,
        habit="prompt",
        card=("visa", "4242"),
        invoice_prefix=f"C{company.company_id}",
        invoices=invoices,
    )
