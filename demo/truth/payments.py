"""The ground truth of the money KPIs (kpis.md "Money after the deal"), from the facts.

Computed from the ``CustomerPayments`` facts that ``payments.company_payment_facts``
builds (invoice lines, finalization, due, void and write-off instants, charges with their
failures, refunds) and the CRM ``Company`` facts (deals, owners), never by reading the
Stripe export back. Chunked workers each fill a ``PaymentsTruth``, hand back ``part()``
(picklable) and the main process ``merge``s them, as ``GroundTruth`` does.

Conventions (kpis.md "Conventions", and the choices it leaves open):
- Time: Stripe instants are unix seconds (UTC); days and months are cut in the company
  time zone (Asia/Jakarta). A month is written as its first day (``2026-01-01``).
- Money: minor units are divided by ``10 ** exponent`` of the currency (JPY 0), then
  converted to the reporting currency with ``FxRates.convert`` (the day's rate, else the
  latest earlier one) and rounded half up to cents *per invoice, per charge, per refund*
  before any sum. The day of the rate:
  - an invoice: its *invoice date*, the Jakarta day of ``status_transitions.finalized_at``
    (drafts are not invoices; Stripe's ``effective_at`` is the same instant);
  - a charge: its own day (``created``); a refund: its own day;
  - an amount due (AR, follow-up): the invoice date, so that an unpaid invoice weighs the
    same in AR as in invoiced revenue and DSO does not move with FX (chosen; the
    alternative, revaluing at the snapshot day, is not used);
  - a deal amount (reconciliation): its close day, as bookings.
  The world publishes rates from well before its first invoice, so no row lacks a rate
  (``FxRates.rate_on`` raises rather than return zero if one ever did).
- *Open* invoice at an instant: finalized, and neither paid in full (succeeded charges
  reaching the total), nor voided, nor marked uncollectible at that instant. Its *amount
  due* is Stripe's ``amount_remaining`` then: total minus the succeeded charges so far
  (refunds do not reopen an invoice).
- *Days past due* on a date D: D minus the Jakarta day of ``due_date``; 0 or less is
  current. Buckets: current (<= 0), 1-30, 31-60, 61-90, 90+ (91 and more).
- A snapshot at date D is the state at the end of D in Jakarta (everything strictly
  before the next local midnight).

``revenue_monthly.csv`` (mirrors ``mart_revenue_monthly``): one row per month from the
first month with a booking, a (not void) invoice, a charge or a refund to WORLD_END's
month, months without activity included.
- ``bookings_amount``: the month's bookings as ``ground_truth.py`` counts them: counted won
  deals by Jakarta close month, each converted at its close day's rate and rounded half
  up to cents before the sum (all companies, customers or not).
- ``expansion_bookings_amount``: the part of ``bookings_amount`` from deals of type
  ``existingbusiness`` on a company whose Stripe customer had a succeeded charge strictly
  before the deal's close instant (a charge refunded later still counts as paid; renewals
  are not expansion).
- ``invoiced_amount``: totals of invoices finalized in the month (invoice date) that are
  not void at WORLD_END (a voided invoice is never revenue, in any month); uncollectible
  invoices count (they were invoiced).
- ``collected_amount``: succeeded charges dated in the month minus refunds dated in the
  month (net collected cash, refunds on their own date); failed charges count nowhere.
- ``refunded_amount``: refunds dated in the month (positive).
- ``dso_days``: AR at the month's last day (the AR aging snapshot, all buckets) / invoiced
  revenue of the last 90 days x 90, where the 90 days end on and include the month's last
  day (invoice dates from last day - 89 to last day) and invoiced revenue is as in
  ``invoiced_amount``; empty when that revenue is zero. Written as a float.
- ``logo_retention_rate``: customers with a succeeded charge in the previous month that
  also have one in the month / customers with a succeeded charge in the previous month;
  empty without payers in the previous month.
- ``net_revenue_retention_rate``: for the customers with a succeeded charge in the month
  12 months earlier (P-12), their net collected cash in P / their net collected cash in
  P-12 (net of refunds, as ``collected_amount``); empty without such customers or when
  their P-12 cash is not positive. May exceed 1.

``ar_aging.csv`` (mirrors ``mart_ar_aging``): snapshot dates are every month's last day
(Jakarta) from the first invoice's month through WORLD_END's date (which is itself a
month end, 2026-10-31); one row per snapshot and customer (Stripe ``cus_`` id) with an
open invoice at that snapshot; amounts due in the five buckets (zeros written).

``payment_followup.csv`` (mirrors ``mart_payment_followup``), as of WORLD_END: every
invoice open at WORLD_END with at least one day past due on WORLD_END's date.
- ``rep_id``: the owner at close of the invoice's deal (``hubspot_deal_id``); empty for
  an invoice without a deal.
- ``amount_due_amount``: its amount due, converted at the invoice date.
- ``days_overdue``: WORLD_END's date minus the due day.
- ``last_attempt_at``: the latest charge (succeeded or failed) of the invoice, as ISO
  8601 UTC with a trailing Z (``2026-10-02T03:04:05Z``); empty without any attempt.
- ``last_failure_reason``: that latest charge's ``failure_code`` when it failed
  (``card_declined``, ``insufficient_funds``, ``expired_card``); empty when it succeeded
  (a partial payment) or when there was no attempt.

``reconciliation.csv`` (mirrors ``mart_reconciliation``), as of WORLD_END:
- A counted won deal's *invoiced total* is the sum of the totals of the invoices whose
  ``metadata.hubspot_deal_id`` is the deal, finalized and not void (as invoiced revenue).
  The deal is listed when ``|invoiced total - deal amount at close| > 1% x deal amount``,
  compared in the deal's own currency (both are in it), so that FX cannot make or hide a
  mismatch. ``issue`` is ``not_invoiced`` when it has no such invoice (voided and not
  re-issued, or still a draft at WORLD_END), else ``amount_mismatch``.
- Every invoice *paid* at WORLD_END without a ``hubspot_deal_id`` is listed with issue
  ``invoice_without_deal``.
- ``deal_amount``: the deal amount in the reporting currency at its close day (= its
  bookings amount); empty for an invoice without deal. ``invoiced_amount``: the sum of
  the invoices' amounts converted at each invoice date (0.00 for ``not_invoiced``).
  ``difference_amount`` = ``invoiced_amount - deal_amount`` (for an invoice without deal:
  its ``invoiced_amount``); it therefore includes the FX difference between close day
  and invoice days.
- ``invoice_id``: the deal's invoice when it has exactly one counted invoice, empty when
  it has none or several (installments); the paid invoice for ``invoice_without_deal``.
  A row is unique by ``deal_id`` when it has one, else by ``invoice_id``.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from demo.formats.files import write_csv
from demo.formats.stripe import major_units
from demo.world.accounts import Company
from demo.world.fx import FxRates
from demo.world.payments import CustomerPayments, Invoice
from demo.world.scales import COMPANY_TIMEZONE, WORLD_END, WORLD_START

TOLERANCE = Decimal("0.01")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
ZERO = Decimal("0.00")
BUCKETS = (
    "current_amount",
    "overdue_1_30_amount",
    "overdue_31_60_amount",
    "overdue_61_90_amount",
    "overdue_90_plus_amount",
)
REVENUE_COLUMNS = [
    "month",
    "bookings_amount",
    "expansion_bookings_amount",
    "invoiced_amount",
    "collected_amount",
    "refunded_amount",
    "dso_days",
    "logo_retention_rate",
    "net_revenue_retention_rate",
]
AR_AGING_COLUMNS = ["snapshot_date", "customer_id", *BUCKETS]
FOLLOWUP_COLUMNS = [
    "invoice_id",
    "customer_id",
    "customer_name",
    "rep_id",
    "amount_due_amount",
    "days_overdue",
    "last_attempt_at",
    "last_failure_reason",
]
RECONCILIATION_COLUMNS = [
    "deal_id",
    "invoice_id",
    "issue",
    "deal_amount",
    "invoiced_amount",
    "difference_amount",
]


@dataclass
class PaymentsPart:
    """What a worker hands back: its share of the aggregates and rows, to be merged."""

    invoiced_days: dict[date, Decimal]
    charged_months: dict[date, Decimal]
    refunded_months: dict[date, Decimal]
    cash: dict[tuple[str, date], Decimal]  # (customer, month): net collected
    payers: dict[date, set[str]]  # month: customers with a succeeded charge
    ar: dict[tuple[date, str], list[Decimal]]  # (snapshot, customer): buckets
    followup: list[dict[str, object]]
    reconciliation: list[dict[str, object]]
    bookings_months: dict[date, Decimal]
    expansion_months: dict[date, Decimal]


class PaymentsTruth:
    def __init__(self, fx: FxRates, reporting_currency: str = "USD") -> None:
        self.fx = fx
        self.reporting_currency = reporting_currency
        self.zone = ZoneInfo(COMPANY_TIMEZONE)
        # A zone without offset changes over the world's span (Jakarta's) cuts days by
        # arithmetic; any other goes through zoneinfo.
        offsets = {
            moment.astimezone(self.zone).utcoffset()
            for moment in (WORLD_START - timedelta(days=800), WORLD_START, WORLD_END)
        }
        self._offset = int(offsets.pop().total_seconds()) if len(offsets) == 1 else None
        self.end_day = self.local_date(int(WORLD_END.timestamp()))
        # AR snapshots: (date, last second of that date in the company time zone).
        self._snapshots = [
            (day, self._end_of(day))
            for day in self.snapshot_dates((WORLD_START - timedelta(days=800)).date())
        ]
        self._snapshot_days = [day for day, _ in self._snapshots]
        self.invoiced_days: dict[date, Decimal] = defaultdict(Decimal)
        self.charged_months: dict[date, Decimal] = defaultdict(Decimal)
        self.refunded_months: dict[date, Decimal] = defaultdict(Decimal)
        self.cash: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        self.payers: dict[date, set[str]] = defaultdict(set)
        self.ar: dict[tuple[date, str], list[Decimal]] = {}
        self.followup: list[dict[str, object]] = []
        self.reconciliation: list[dict[str, object]] = []
        self.bookings_months: dict[date, Decimal] = defaultdict(Decimal)
        self.expansion_months: dict[date, Decimal] = defaultdict(Decimal)

    def local_date(self, moment: int) -> date:
        """The company-time-zone date of unix second ``moment``."""
        if self._offset is not None:
            return date.fromordinal(_EPOCH_ORDINAL + (moment + self._offset) // 86_400)
        return datetime.fromtimestamp(moment, self.zone).date()

    def _end_of(self, day: date) -> int:
        """The last second of ``day`` in the company time zone."""
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), self.zone)
        return int(midnight.timestamp()) - 1

    def _convert(self, amount: int, currency: str, day: date) -> Decimal:
        major = major_units(amount, currency)
        return self.fx.convert(major, currency, self.reporting_currency, day)

    # --- adding facts ----------------------------------------------------------------

    def add_company(self, company: Company, payments: CustomerPayments | None) -> None:
        """Add one company's money facts (``payments`` None: it never became a customer)."""
        self._add_bookings(company, payments)
        if payments is None:
            return
        end = self._end_of(self.end_day)
        owners = {
            deal.deal_id: deal.owner_at(deal.closed_at)
            for deal in company.deals
            if deal.closed_at is not None
        }
        for invoice in payments.invoices:
            if invoice.finalized_at is None:
                continue
            self._add_invoice(payments, invoice)
            if invoice.status_at(end) == "open":
                due_day = self.local_date(invoice.due_at)
                if due_day < self.end_day:
                    self.followup.append(
                        self._followup_row(payments, invoice, owners, end, due_day)
                    )
        self._reconcile(company, payments, end)

    def _add_bookings(self, company: Company, payments: CustomerPayments | None) -> None:
        """Bookings by close month, and those that are expansion of a paying customer."""
        charges = [
            attempt.at
            for invoice in (payments.invoices if payments else ())
            for payment in invoice.payments
            for attempt in payment.attempts
            if attempt.succeeded
        ]
        first_paid = min(charges, default=None)
        for deal in company.deals:
            if not deal.counts or deal.outcome != "won":
                continue
            close_day = self.local_date_of(deal.closed_at)
            amount = self.fx.convert(
                deal.amount_at(deal.closed_at), deal.currency, self.reporting_currency, close_day
            )
            month = close_day.replace(day=1)
            self.bookings_months[month] += amount
            if (
                deal.deal_type == "existingbusiness"
                and first_paid is not None
                and first_paid < deal.closed_at.timestamp()
            ):
                self.expansion_months[month] += amount

    def _add_invoice(self, customer: CustomerPayments, invoice: Invoice) -> None:
        currency, total = invoice.currency, invoice.total
        invoice_day = self.local_date(invoice.finalized_at)
        total_amount = self._convert(total, currency, invoice_day)
        if invoice.voided_at is None:
            self.invoiced_days[invoice_day] += total_amount
        for payment in invoice.payments:
            for attempt in payment.attempts:
                if not attempt.succeeded:
                    continue
                day = self.local_date(attempt.at)
                amount, month = self._convert(attempt.amount, currency, day), day.replace(day=1)
                self.charged_months[month] += amount
                self.cash[(customer.customer_id, month)] += amount
                self.payers[month].add(customer.customer_id)
                for refund in attempt.refunds:
                    day = self.local_date(refund.at)
                    amount, month = self._convert(refund.amount, currency, day), day.replace(day=1)
                    self.refunded_months[month] += amount
                    self.cash[(customer.customer_id, month)] -= amount
        due_day = self.local_date(invoice.due_at)
        first = bisect_left(self._snapshot_days, invoice_day)
        for snapshot, cut in itertools.islice(self._snapshots, first, None):
            if invoice.status_at(cut) != "open":
                break  # paid, void and uncollectible are final
            due = total - invoice.paid_by(cut)
            due = total_amount if due == total else self._convert(due, currency, invoice_day)
            buckets = self.ar.setdefault((snapshot, customer.customer_id), [ZERO] * 5)
            buckets[_bucket((snapshot - due_day).days)] += due

    def snapshot_dates(self, first: date):
        """AR snapshot dates from ``first``'s month: month ends, then WORLD_END's date."""
        month = first.replace(day=1)
        while True:
            following = (month + timedelta(days=32)).replace(day=1)
            last = following - timedelta(days=1)
            if last >= self.end_day:
                yield self.end_day
                return
            yield last
            month = following

    def _followup_row(
        self,
        customer: CustomerPayments,
        invoice: Invoice,
        owners: dict[str, str],
        end: int,
        due_day: date,
    ) -> dict[str, object]:
        attempts = invoice.attempts()
        last = attempts[-1][0] if attempts else None
        invoice_day = self.local_date(invoice.finalized_at)
        due = invoice.total - invoice.paid_by(end)
        return {
            "invoice_id": invoice.invoice_id,
            "customer_id": customer.customer_id,
            "customer_name": customer.name,
            "rep_id": owners.get(invoice.deal_id, "") if invoice.deal_id else "",
            "amount_due_amount": self._convert(due, invoice.currency, invoice_day),
            "days_overdue": (self.end_day - due_day).days,
            "last_attempt_at": _iso(last.at) if last else "",
            "last_failure_reason": (last.failure or "") if last else "",
        }

    def _reconcile(self, company: Company, customer: CustomerPayments, end: int) -> None:
        by_deal: dict[str, list[Invoice]] = defaultdict(list)
        for invoice in customer.invoices:
            if invoice.finalized_at is None or invoice.voided_at is not None:
                continue
            if invoice.deal_id is None:
                if invoice.status_at(end) == "paid":
                    amount = self._invoice_amount(invoice)
                    self.reconciliation.append(
                        {
                            "deal_id": "",
                            "invoice_id": invoice.invoice_id,
                            "issue": "invoice_without_deal",
                            "deal_amount": "",
                            "invoiced_amount": amount,
                            "difference_amount": amount,
                        }
                    )
                continue
            by_deal[invoice.deal_id].append(invoice)
        for deal in company.deals:
            if not deal.counts or deal.outcome != "won":
                continue
            amount = deal.amount_at(deal.closed_at)
            invoices = by_deal.get(deal.deal_id, [])
            invoiced = sum(major_units(invoice.total, invoice.currency) for invoice in invoices)
            if abs(invoiced - amount) <= amount * TOLERANCE:
                continue
            deal_amount = self.fx.convert(
                amount, deal.currency, self.reporting_currency, self.local_date_of(deal.closed_at)
            )
            invoiced_amount = sum((self._invoice_amount(invoice) for invoice in invoices), ZERO)
            self.reconciliation.append(
                {
                    "deal_id": deal.deal_id,
                    "invoice_id": invoices[0].invoice_id if len(invoices) == 1 else "",
                    "issue": "amount_mismatch" if invoices else "not_invoiced",
                    "deal_amount": deal_amount,
                    "invoiced_amount": invoiced_amount,
                    "difference_amount": invoiced_amount - deal_amount,
                }
            )

    def _invoice_amount(self, invoice: Invoice) -> Decimal:
        day = self.local_date(invoice.finalized_at)
        return self._convert(invoice.total, invoice.currency, day)

    def local_date_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    # --- merging -----------------------------------------------------------------------

    def part(self) -> PaymentsPart:
        return PaymentsPart(
            dict(self.invoiced_days),
            dict(self.charged_months),
            dict(self.refunded_months),
            dict(self.cash),
            dict(self.payers),
            self.ar,
            self.followup,
            self.reconciliation,
            dict(self.bookings_months),
            dict(self.expansion_months),
        )

    def merge(self, part: PaymentsPart) -> None:
        for mine, theirs in (
            (self.invoiced_days, part.invoiced_days),
            (self.charged_months, part.charged_months),
            (self.refunded_months, part.refunded_months),
            (self.cash, part.cash),
            (self.bookings_months, part.bookings_months),
            (self.expansion_months, part.expansion_months),
        ):
            for key, amount in theirs.items():
                mine[key] += amount
        for month, customers in part.payers.items():
            self.payers[month] |= customers
        for key, buckets in part.ar.items():
            current = self.ar.setdefault(key, [ZERO] * 5)
            for position, amount in enumerate(buckets):
                current[position] += amount
        self.followup += part.followup
        self.reconciliation += part.reconciliation

    # --- rows --------------------------------------------------------------------------

    def revenue_rows(self) -> list[dict[str, object]]:
        activity = [
            *self.bookings_months,
            *self.invoiced_days,
            *self.charged_months,
            *self.refunded_months,
        ]
        if not activity:
            return []
        ar_by_day: dict[date, Decimal] = defaultdict(Decimal)
        for (snapshot, _), buckets in self.ar.items():
            ar_by_day[snapshot] += sum(buckets)
        invoiced_months: dict[date, Decimal] = defaultdict(Decimal)
        for day, amount in self.invoiced_days.items():
            invoiced_months[day.replace(day=1)] += amount
        rows = []
        month = min(activity).replace(day=1)
        while month <= self.end_day:
            following = (month + timedelta(days=32)).replace(day=1)
            last = min(following - timedelta(days=1), self.end_day)
            window = sum(
                (self.invoiced_days.get(last - timedelta(days=back), ZERO) for back in range(90)),
                ZERO,
            )
            refunded = self.refunded_months.get(month, ZERO)
            rows.append(
                {
                    "month": month.isoformat(),
                    "bookings_amount": self.bookings_months.get(month, ZERO) + ZERO,
                    "expansion_bookings_amount": self.expansion_months.get(month, ZERO) + ZERO,
                    "invoiced_amount": invoiced_months.get(month, ZERO),
                    "collected_amount": self.charged_months.get(month, ZERO) - refunded,
                    "refunded_amount": refunded + ZERO,
                    "dso_days": repr(float(ar_by_day.get(last, ZERO) * 90 / window))
                    if window
                    else "",
                    "logo_retention_rate": self._logo_retention(month),
                    "net_revenue_retention_rate": self._net_revenue_retention(month),
                }
            )
            month = following
        return rows

    def _logo_retention(self, month: date) -> str:
        before = self.payers.get(shift_month(month, -1), set())
        if not before:
            return ""
        return repr(len(before & self.payers.get(month, set())) / len(before))

    def _net_revenue_retention(self, month: date) -> str:
        earlier = shift_month(month, -12)
        cohort = self.payers.get(earlier, set())
        base = sum((self.cash.get((customer, earlier), ZERO) for customer in cohort), ZERO)
        if not cohort or base <= 0:
            return ""
        now = sum((self.cash.get((customer, month), ZERO) for customer in cohort), ZERO)
        return repr(float(now / base))

    def ar_rows(self) -> list[dict[str, object]]:
        return [
            {"snapshot_date": snapshot.isoformat(), "customer_id": customer}
            | dict(zip(BUCKETS, buckets, strict=True))
            for (snapshot, customer), buckets in sorted(self.ar.items())
        ]

    def followup_rows(self) -> list[dict[str, object]]:
        return sorted(self.followup, key=lambda row: row["invoice_id"])

    def reconciliation_rows(self) -> list[dict[str, object]]:
        return sorted(
            self.reconciliation, key=lambda row: (row["issue"], row["deal_id"], row["invoice_id"])
        )

    def write(self, expected_dir: Path) -> None:
        write_csv(expected_dir / "revenue_monthly.csv", REVENUE_COLUMNS, self.revenue_rows())
        write_csv(expected_dir / "ar_aging.csv", AR_AGING_COLUMNS, self.ar_rows())
        write_csv(expected_dir / "payment_followup.csv", FOLLOWUP_COLUMNS, self.followup_rows())
        write_csv(
            expected_dir / "reconciliation.csv",
            RECONCILIATION_COLUMNS,
            self.reconciliation_rows(),
        )


def _bucket(days_past_due: int) -> int:
    if days_past_due <= 0:
        return 0
    if days_past_due <= 30:
        return 1
    if days_past_due <= 60:
        return 2
    if days_past_due <= 90:
        return 3
    return 4


def shift_month(month: date, months: int) -> date:
    year, index = divmod(month.month - 1 + months, 12)
    return date(month.year + year, index + 1, 1)


def _iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
