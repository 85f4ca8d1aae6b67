"""The world's Stripe side: a catalog, and per company its customer, invoices and payments.

Pure functions of (seed, index, company, fx): each company draws from its own random
stream (``seed:payments:index``), so its payments do not depend on the others, and the
chunked workers of ``generate_world`` can call them as they call ``build_company``.
``company_payment_facts`` gives the facts (``CustomerPayments``, what the ground truth in
``demo.truth.payments`` reads); ``stripe_objects`` renders them as Stripe API objects in their
final state as of ``WORLD_END``, with an events feed that carries their history;
``company_payments`` does both.

What the world does, per company with at least one counted won deal (``deal.counts`` and
``outcome == "won"``):
- It becomes a Stripe customer (``metadata.hubspot_company_id``, the email of its first
  contact, its name) with a price list (list, partner or enterprise), payment terms
  (net 30; some net 15 or 45), a paying habit (prompt, slow or bad) and one card.
- Each won deal is invoiced in the deal's currency, lines from the catalog (a core
  product and up to two add-ons, at negotiated amounts: ``price`` names the catalog price
  a line was sold from, ``amount`` is what it bills) summing to the deal amount at close.
  A draft is created within a day of the close and finalized 1-6 days after it; a deal
  closed in the world's last days may still be a draft at ``WORLD_END``.
- Billing schedules: a deal is billed upfront (one invoice), quarterly (4 invoices,
  3 months apart; 10% of the deals that can) or monthly (12; 3%), the amount split
  evenly, the last installment taking the remainder; every invoice carries
  ``metadata.billing_schedule`` and ``metadata.installment`` (``2/4``). A schedule is
  only chosen when its last installment is finalized before ``WORLD_END``, so that every
  won deal is fully invoiced (or deliberately not) when the world ends and the
  reconciliation of kpis.md stays literal; deals closed in the last ~9 months are billed
  upfront. At scale ``s`` (~7.7k counted won deals, ~6.3k customers) this gives ~10.8k
  invoices, ~11.4k charges and ~53k events (~140 MB); ``MONTHLY_SHARE`` and
  ``QUARTERLY_SHARE`` trade volume (toward the ~30k invoices of the design target)
  against generation time.
- About 2.5% of deals are invoiced wrong beyond the 1% tolerance (a line forgotten, or
  a line's quantity and amount off by 2-25%); about 1% are off by less than 1% (within
  tolerance, not a mismatch).
- Payment behaviour per invoice, weighted by the customer's habit: on time; late;
  partially then the rest (sometimes never the rest); a failed attempt (card_declined,
  insufficient_funds, expired_card) then a success on the same payment intent; never
  (maybe a failed attempt, often marked uncollectible 60-150 days after the due date);
  voided 2-20 days after finalization, half of them re-issued as a revision
  (``from_invoice``). Some paid invoices are refunded (fully or partly, a median of 40
  days after the payment, so some within 90 days). Payments planned after
  ``WORLD_END`` do not happen: those invoices are open, some of them past due.
- ~4% of customers also get a one-off service invoice with no deal (no
  ``hubspot_deal_id``), priced from the catalog or at a USD amount converted at the day's
  rate.
- Nothing happens after ``WORLD_END``; every time is unix seconds.

The events feed has an event per change: ``customer.created``; ``invoice.created``,
``invoice.finalized``, ``invoice.paid`` (fully paid), ``invoice.updated`` (a partial
payment, with ``previous_attributes``), ``invoice.payment_failed``, ``invoice.voided``,
``invoice.marked_uncollectible``; ``charge.succeeded``, ``charge.failed``,
``charge.refunded`` with ``refund.created``; and ``payment_intent.succeeded`` /
``payment_intent.payment_failed`` only when an existing intent changes (a retry), an
intent's creation being visible through its ``created``. Each event carries its object
as it stood right after the change, so the last event of an object equals the object.
"""

from __future__ import annotations

import itertools
import math
import random
from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from demo.formats import stripe
from demo.world.accounts import Company, Deal
from demo.world.catalog import PRODUCT_NAMES, PriceBook, amount_grain, price_book, typed
from demo.world.fx import FxRates
from demo.world.quotes import deal_lines, price_list
from demo.world.scales import WORLD_END

END = stripe.unix(WORLD_END)
DAY = 86_400
HOUR = 3_600
# Schedules: name, number of invoices, months between them.
UPFRONT, QUARTERLY, MONTHLY = ("upfront", 1, 0), ("quarterly", 4, 3), ("monthly", 12, 1)
MONTHLY_SHARE, QUARTERLY_SHARE = 0.03, 0.10  # of the deals whose schedule can complete
HABITS = ("prompt", "slow", "bad")
HABIT_WEIGHTS = (70, 20, 10)
BEHAVIOURS = ("on_time", "late", "partial", "failed_then_paid", "never", "void")
BEHAVIOUR_WEIGHTS = {
    "prompt": (80, 7, 3, 6, 1.5, 2.5),
    "slow": (38, 32, 10, 10, 7, 3),
    "bad": (15, 30, 15, 15, 22, 3),
}
FAILURE_CODES = ("card_declined", "insufficient_funds", "expired_card")
FAILURE_WEIGHTS = (50, 35, 15)
# random.choices with cumulative weights (the same draws, without summing on every call)
HABIT_CUMULATIVE = tuple(itertools.accumulate(HABIT_WEIGHTS))
FAILURE_CUMULATIVE = tuple(itertools.accumulate(FAILURE_WEIGHTS))
BEHAVIOUR_CUMULATIVE = {  # habit: (without void, with void)
    habit: (tuple(itertools.accumulate((*weights[:-1], 0))), tuple(itertools.accumulate(weights)))
    for habit, weights in BEHAVIOUR_WEIGHTS.items()
}
MISMATCH_RATE = 0.025  # off by more than the 1% tolerance
WITHIN_TOLERANCE_RATE = 0.01  # off, but by less than 1%
REFUND_RATE = 0.035
ONE_OFF_RATE = 0.04
_UNKNOWN = object()


# --- facts -----------------------------------------------------------------------------


@dataclass
class Refund:
    refund_id: str
    transaction_id: str
    at: int
    amount: int
    reason: str


@dataclass
class Attempt:
    """One charge: a success (with its balance transaction) or a failure (``failure``)."""

    charge_id: str
    at: int
    amount: int
    failure: str | None
    transaction_id: str | None
    refunds: list[Refund] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.failure is None


@dataclass
class Payment:
    """A payment intent and its attempts (a failed attempt, then a retry, share one)."""

    intent_id: str
    created: int
    amount: int
    attempts: list[Attempt] = field(default_factory=list)


@dataclass
class Line:
    line_id: str
    item_id: str
    product: str  # catalog key
    description: str
    quantity: int
    amount: int  # minor units


@dataclass
class Invoice:
    invoice_id: str
    currency: str
    created: int
    finalized_at: int | None  # None: still a draft at WORLD_END
    lines: list[Line]
    description: str
    metadata: dict[str, str]
    deal_id: str | None = None
    due_at: int | None = None
    number: str | None = None
    voided_at: int | None = None
    uncollectible_at: int | None = None
    revision_of: str | None = None
    payments: list[Payment] = field(default_factory=list)
    _paid_at: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._paid_at = _UNKNOWN

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def attempts(self) -> list[tuple[Attempt, Payment]]:
        """Every charge of the invoice in time order, with its payment intent."""
        found = [(attempt, payment) for payment in self.payments for attempt in payment.attempts]
        found.sort(key=lambda pair: pair[0].at)
        return found

    def paid_by(self, moment: int) -> int:
        """Minor units paid by charges succeeded at or before ``moment``."""
        return sum(
            attempt.amount
            for payment in self.payments
            for attempt in payment.attempts
            if attempt.succeeded and attempt.at <= moment
        )

    @property
    def paid_at(self) -> int | None:
        """When the succeeded charges reached the total (None: not fully paid). Cached:
        read it only once the invoice's payments are complete (facts do not change)."""
        if self._paid_at is _UNKNOWN:
            self._paid_at = None
            paid, total = 0, self.total
            for attempt, _ in self.attempts():
                if attempt.succeeded:
                    paid += attempt.amount
                    if paid >= total:
                        self._paid_at = attempt.at
                        break
        return self._paid_at

    def status_at(self, moment: int) -> str:
        if self.finalized_at is None or self.finalized_at > moment:
            return "draft"
        if self.voided_at is not None and self.voided_at <= moment:
            return "void"
        paid_at = self.paid_at
        if paid_at is not None and paid_at <= moment:
            return "paid"
        if self.uncollectible_at is not None and self.uncollectible_at <= moment:
            return "uncollectible"
        return "open"


@dataclass
class CustomerPayments:
    """A company's Stripe customer and everything billed to it, as of ``WORLD_END``."""

    index: int
    customer_id: str
    company_id: str
    name: str
    email: str | None
    currency: str
    created: int
    price_list: str
    payment_terms_days: int
    habit: str
    card: tuple[str, str]  # brand, last4
    invoice_prefix: str
    invoices: list[Invoice] = field(default_factory=list)


# --- generation --------------------------------------------------------------------------


class _Ids:
    """Deterministic Stripe ids for one company: a token of the company (hashed from the
    seed and its index) and a counter per prefix (``in_<token><counter>``)."""

    def __init__(self, seed: int, index: int) -> None:
        self.token = stripe.id_token(f"{seed}:payments:{index}", 16)
        self.counters: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        number = self.counters.get(prefix, 0)
        self.counters[prefix] = number + 1
        return f"{prefix}_{self.token}{number:06x}"


def company_payment_facts(
    seed: int, index: int, company: Company, fx: FxRates
) -> CustomerPayments | None:
    """The company's Stripe customer and invoices, or None without a counted won deal."""
    won = [deal for deal in company.deals if deal.counts and deal.outcome == "won"]
    if not won:
        return None
    won.sort(key=lambda deal: deal.closed_at)
    rng = random.Random(f"{seed}:payments:{index}")
    ids = _Ids(seed, index)
    cat = price_book(seed)
    customer_id = stripe.stripe_id("cus", f"{seed}:customer:{company.company_id}", 14)
    customer = CustomerPayments(
        index=index,
        customer_id=customer_id,
        company_id=company.company_id,
        name=company.name,
        email=company.contacts[0].email if company.contacts else None,
        currency=company.currency,
        created=0,
        price_list=price_list(seed, company),
        payment_terms_days=rng.choices((30, 15, 45), cum_weights=(80, 90, 100))[0],
        habit=rng.choices(HABITS, cum_weights=HABIT_CUMULATIVE)[0],
        card=(rng.choice(("visa", "mastercard", "amex")), f"{rng.randint(0, 9999):04d}"),
        invoice_prefix=customer_id[4:12].upper(),
    )
    for deal in won:
        _invoice_deal(seed, rng, ids, customer, deal)
    first = min(customer.invoices, key=lambda invoice: invoice.created)
    close = stripe.unix(won[0].closed_at)
    customer.created = first.created - min(rng.randint(60, 1_800), max(0, first.created - close))
    if rng.random() < ONE_OFF_RATE:
        _one_off(rng, ids, cat, customer, fx)
    numbered = sorted(
        (invoice for invoice in customer.invoices if invoice.finalized_at is not None),
        key=lambda invoice: (invoice.finalized_at, invoice.invoice_id),
    )
    for number, invoice in enumerate(numbered, start=1):
        invoice.number = f"{customer.invoice_prefix}-{number:04d}"
    return customer


def _invoice_deal(
    seed: int, rng: random.Random, ids: _Ids, customer: CustomerPayments, deal: Deal
) -> None:
    currency = customer.currency
    close = stripe.unix(deal.closed_at)
    total = stripe.minor_units(deal.amount_at(deal.closed_at), currency)
    created = min(close + rng.randint(HOUR // 2, DAY), END)
    finalized = close + rng.randint(DAY, 6 * DAY)
    draw = rng.random()
    schedule = UPFRONT
    if draw >= MONTHLY_SHARE + QUARTERLY_SHARE or finalized + 270 * DAY > END:
        pass  # upfront: most deals, and every deal whose schedule could not complete
    elif draw < MONTHLY_SHARE and _add_months(finalized, 11) + HOUR <= END:
        schedule = MONTHLY
    elif _add_months(finalized, 9) + HOUR <= END:
        schedule = QUARTERLY
    name, count, step = schedule
    # Billing invoices the deal's own lines (quotes.py), at the customer's price list.
    lines = [
        [line.product_key, line.quantity, line.net_amount]
        for line in deal_lines(seed, deal, customer.price_list).lines
    ]
    parts = _installments(lines, count, currency)
    _miswrite(rng, parts, total, currency)
    for number, lines in enumerate(parts):
        if number:
            created = _add_months(finalized, number * step)
        description = deal.name if count == 1 else f"{deal.name} ({number + 1} of {count})"
        invoice = Invoice(
            invoice_id=ids("in"),
            currency=currency,
            created=created,
            finalized_at=(finalized if number == 0 else created + HOUR),
            lines=[_line(ids, *line) for line in lines],
            description=description,
            metadata={
                "hubspot_deal_id": deal.deal_id,
                "hubspot_company_id": customer.company_id,
                "billing_schedule": name,
                "installment": f"{number + 1}/{count}",
            },
            deal_id=deal.deal_id,
        )
        _live(rng, ids, customer, invoice)


def _installments(lines: list[list[Any]], count: int, currency: str) -> list[list[list[Any]]]:
    """Split each line's amount over ``count`` invoices, the last taking the remainder."""
    if count == 1:
        return [lines]
    grain = amount_grain(currency)
    parts: list[list[list[Any]]] = [[] for _ in range(count)]
    for key, quantity, amount in lines:
        share = amount // count // grain * grain
        for number in range(count):
            part = share if number < count - 1 else amount - share * (count - 1)
            if part > 0:
                parts[number].append([key, quantity, part])
    return parts


def _miswrite(rng: random.Random, parts: list[list[list[Any]]], total: int, currency: str):
    """Deliberate invoicing errors: a forgotten line or a wrong amount beyond the 1%
    tolerance, or a small difference within it. Changes ``parts`` in place."""
    draw = rng.random()
    if draw >= MISMATCH_RATE + WITHIN_TOLERANCE_RATE:
        return
    grain = amount_grain(currency)
    lines = rng.choice(parts)
    if draw < MISMATCH_RATE:
        if len(lines) > 1 and rng.random() < 0.4:
            forgotten = rng.randrange(len(lines))
            if lines[forgotten][2] * 100 > total:
                del lines[forgotten]
                return
        difference = max(grain, int(total * rng.uniform(0.02, 0.25)) // grain * grain)
        while difference * 100 <= total:
            difference += grain
    else:
        difference = int(total * rng.uniform(0.001, 0.009)) // grain * grain or grain
        if difference * 100 > total:
            return
    line = rng.choice(lines)
    if rng.random() < 0.5 and line[2] > difference:
        difference = -difference
    line[2] += difference
    line[1] = max(1, line[1] + (1 if difference > 0 else -1))


def _one_off(
    rng: random.Random, ids: _Ids, cat: PriceBook, customer: CustomerPayments, fx: FxRates
) -> None:
    """A one-off service invoiced without any deal (reconciliation must flag it once paid)."""
    first, last = customer.created + 15 * DAY, END - 3 * DAY
    if first >= last:
        return
    created = rng.randint(first, last)
    currency = customer.currency
    if rng.random() < 0.5:
        key = rng.choice(("training", "consulting"))
        quantity = rng.randint(1, 3)
        unit = cat.prices[(key, currency, customer.price_list)]["unit_amount"]
        line = [key, quantity, unit * quantity]
    else:
        usd = Decimal(str(round(math.exp(rng.gauss(math.log(2_500), 0.5)), 2)))
        day = datetime.fromtimestamp(created, UTC).date()
        major = typed(usd * fx.rate_on(currency, day), currency)
        line = ["consulting", 1, max(amount_grain(currency), stripe.minor_units(major, currency))]
    invoice = Invoice(
        invoice_id=ids("in"),
        currency=currency,
        created=created,
        finalized_at=created + rng.randint(600, 4 * HOUR),
        lines=[_line(ids, *line)],
        description="Professional services",
        metadata={"hubspot_company_id": customer.company_id},
    )
    _live(rng, ids, customer, invoice, can_void=False)


def _line(ids: _Ids, key: str, quantity: int, amount: int) -> Line:
    return Line(ids("il"), ids("ii"), key, PRODUCT_NAMES[key], quantity, amount)


def _live(
    rng: random.Random,
    ids: _Ids,
    customer: CustomerPayments,
    invoice: Invoice,
    can_void: bool = True,
) -> None:
    """What happens to a finalized invoice: its payments, refunds, void or write-off,
    planned by the customer's habit and cut at ``WORLD_END``. Appends it (and a
    revision when it is voided and re-issued) to the customer's invoices."""
    customer.invoices.append(invoice)
    if invoice.finalized_at is not None and invoice.finalized_at > END:
        invoice.finalized_at = None
    if invoice.finalized_at is None:
        return
    finalized = invoice.finalized_at
    net = customer.payment_terms_days
    due = invoice.due_at = finalized + net * DAY
    total = invoice.total
    cumulative = BEHAVIOUR_CUMULATIVE[customer.habit][can_void]
    behaviour = rng.choices(BEHAVIOURS, cum_weights=cumulative)[0]
    # (when, amount, failure code, starts a new payment intent)
    plan: list[tuple[int, int, str | None, bool]] = []
    if behaviour == "on_time":
        plan.append((finalized + rng.randint(DAY // 4, net * DAY - DAY // 2), total, None, True))
    elif behaviour == "late":
        late = min(200.0, rng.lognormvariate(math.log(15), 0.8))
        plan.append((due + DAY + int(late * DAY), total, None, True))
    elif behaviour == "partial":
        grain = amount_grain(invoice.currency)
        first = total * rng.randint(30, 70) // 100 // grain * grain or max(1, total // 2)
        when = finalized + rng.randint(DAY, net * DAY)
        plan.append((when, first, None, True))
        if rng.random() < 0.8 and first < total:
            later = max(when + DAY, due + rng.randint(-5 * DAY, 60 * DAY))
            plan.append((later, total - first, None, True))
    elif behaviour == "failed_then_paid":
        when = finalized + rng.randint(DAY, (net + 5) * DAY)
        plan.append((when, total, _failure(rng), True))
        if rng.random() < 0.3:
            when += rng.randint(DAY, 10 * DAY)
            plan.append((when, total, _failure(rng), False))
        plan.append((when + rng.randint(DAY, 12 * DAY), total, None, False))
    elif behaviour == "never":
        if rng.random() < 0.5:
            when = finalized + rng.randint(DAY, (net + 20) * DAY)
            plan.append((when, total, _failure(rng), True))
        if rng.random() < 0.6:
            written_off = due + rng.randint(60 * DAY, 150 * DAY)
            invoice.uncollectible_at = written_off if written_off <= END else None
    else:  # void
        voided = finalized + rng.randint(2 * DAY, 20 * DAY)
        if voided <= END:
            invoice.voided_at = voided
            if rng.random() < 0.5:
                _revise(rng, ids, customer, invoice)
        return
    for when, amount, failure, new_intent in plan:
        if when > END:
            break
        if new_intent:
            invoice.payments.append(Payment(ids("pi"), when, amount))
        succeeded = failure is None
        invoice.payments[-1].attempts.append(
            Attempt(ids("ch"), when, amount, failure, ids("txn") if succeeded else None)
        )
    paid_at = invoice.paid_at
    if paid_at is not None and rng.random() < REFUND_RATE:
        charge = invoice.attempts()[-1][0]
        when = paid_at + int(rng.lognormvariate(math.log(40), 0.9) * DAY) + rng.randint(0, DAY)
        amount = charge.amount
        if rng.random() < 0.65:
            amount = max(1, charge.amount * rng.randint(10, 60) // 100)
        if when <= END:
            reason = rng.choice(("requested_by_customer", "requested_by_customer", "duplicate"))
            charge.refunds.append(Refund(ids("re"), ids("txn"), when, amount, reason))


def _revise(rng: random.Random, ids: _Ids, customer: CustomerPayments, voided: Invoice) -> None:
    """A voided invoice re-issued the same day as a revision, with the same lines."""
    created = voided.voided_at + rng.randint(60, HOUR)
    revision = Invoice(
        invoice_id=ids("in"),
        currency=voided.currency,
        created=min(created, END),
        finalized_at=created + rng.randint(60, HOUR),
        lines=[
            Line(ids("il"), ids("ii"), line.product, line.description, line.quantity, line.amount)
            for line in voided.lines
        ],
        description=voided.description,
        metadata=dict(voided.metadata),
        deal_id=voided.deal_id,
        revision_of=voided.invoice_id,
    )
    _live(rng, ids, customer, revision, can_void=False)


def _failure(rng: random.Random) -> str:
    return rng.choices(FAILURE_CODES, cum_weights=FAILURE_CUMULATIVE)[0]


def _add_months(moment: int, months: int) -> int:
    when = datetime.fromtimestamp(moment, UTC)
    year, month = divmod(when.month - 1 + months, 12)
    year, month = when.year + year, month + 1
    day = min(when.day, monthrange(year, month)[1])
    return int(when.replace(year=year, month=month, day=day).timestamp())


# --- rendering ---------------------------------------------------------------------------


def company_payments(
    seed: int, index: int, company: Company, fx: FxRates
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The company's Stripe objects as ``(object_type, obj)``; nothing without a won deal."""
    facts = company_payment_facts(seed, index, company, fx)
    if facts is not None:
        yield from stripe_objects(seed, facts)


def stripe_objects(seed: int, customer: CustomerPayments) -> Iterator[tuple[str, dict[str, Any]]]:
    """Render ``customer`` as Stripe objects in their final state as of ``WORLD_END``
    (customers, invoices, payment_intents, charges, refunds, balance_transactions), then
    its events in time order, each carrying its object as it stood right after.

    Objects share nested values (an invoice's lines, an unchanged snapshot): serialize
    them, do not change them."""
    cat = price_book(seed)
    events: list[tuple[int, int, str, dict[str, Any], dict[str, Any] | None]] = []

    def emit(when: int, kind: str, obj: dict[str, Any], previous=None) -> None:
        events.append((when, len(events), kind, obj, previous))

    delinquent = any(
        invoice.status_at(END) == "open" and invoice.due_at < END for invoice in customer.invoices
    )
    customer_obj = stripe.customer(
        customer.customer_id,
        customer.created,
        customer.name,
        customer.email,
        customer.currency,
        customer.invoice_prefix,
        metadata={"hubspot_company_id": customer.company_id, "price_list": customer.price_list},
        delinquent=delinquent,
    )
    customer_obj["next_invoice_sequence"] = 1 + sum(
        invoice.number is not None for invoice in customer.invoices
    )
    yield "customers", customer_obj
    emit(customer.created, "customer.created", customer_obj)
    for invoice in customer.invoices:
        yield from _render_invoice(cat, customer, invoice, emit)
    events.sort(key=itemgetter(0, 1))
    ids = _Ids(seed, customer.index)
    for when, _, kind, obj, previous in events:
        yield "events", stripe.event(ids("evt"), kind, when, obj, previous)


def _render_invoice(cat: PriceBook, customer: CustomerPayments, invoice: Invoice, emit):
    currency = customer.currency
    lines = [
        stripe.invoice_line(
            line.line_id,
            invoice.invoice_id,
            line.item_id,
            line.amount,
            currency,
            line.description,
            cat.line_prices[(line.product, currency, customer.price_list)],
            line.quantity,
            invoice.created,
            invoice.created,
        )
        for line in invoice.lines
    ]
    attempts = invoice.attempts()
    changes = [invoice.created, invoice.finalized_at or 0, invoice.voided_at or 0]
    changes += [invoice.uncollectible_at or 0, *(attempt.at for attempt, _ in attempts)]
    settled = max(changes)  # from then on, the invoice is as at WORLD_END
    template = stripe.invoice(
        invoice.invoice_id,
        customer.customer_id,
        currency,
        lines,
        invoice.created,
        customer_email=customer.email,
        customer_name=customer.name,
        description=invoice.description,
        metadata=invoice.metadata,
    )
    if invoice.revision_of:
        template["from_invoice"] = {"action": "revision", "invoice": invoice.revision_of}
    final: dict[str, Any] = {}

    def snapshot(moment: int) -> dict[str, Any]:
        if final and moment >= settled:
            return final
        status = invoice.status_at(moment)
        if status == "draft":
            return template
        done = [pair for pair in attempts if pair[0].at <= moment]
        return stripe.invoice_as_of(
            template,
            status,
            invoice.due_at,
            invoice.number,
            sum(attempt.amount for attempt, _ in done if attempt.succeeded),
            invoice.finalized_at,
            invoice.paid_at if status == "paid" else None,
            invoice.voided_at if status == "void" else None,
            _until(invoice.uncollectible_at, moment),
            len(done),
            done[-1][1].intent_id if done else None,
        )

    final = snapshot(END)
    yield "invoices", final
    emit(invoice.created, "invoice.created", snapshot(invoice.created))
    if invoice.finalized_at is None:
        return
    emit(invoice.finalized_at, "invoice.finalized", snapshot(invoice.finalized_at))
    paid_at = invoice.paid_at
    for payment in invoice.payments:
        intent = _intent(customer, invoice, payment, END)
        yield "payment_intents", intent
        for attempt in payment.attempts:
            charge = _charge(customer, invoice, payment, attempt, END)
            yield "charges", charge
            # Objects that changed no more after this attempt are as at WORLD_END.
            intent_now = (
                intent
                if attempt is payment.attempts[-1]
                else _intent(customer, invoice, payment, attempt.at)
            )
            charge_now = (
                charge
                if not attempt.refunds
                else _charge(customer, invoice, payment, attempt, attempt.at)
            )
            at = attempt.at
            if attempt.succeeded:
                yield (
                    "balance_transactions",
                    stripe.balance_transaction(
                        attempt.transaction_id,
                        "charge",
                        attempt.amount,
                        stripe.fee(attempt.amount, currency),
                        currency,
                        at,
                        attempt.charge_id,
                        description=f"Payment for Invoice {invoice.number}",
                    ),
                )
                emit(at, "charge.succeeded", charge_now)
                if attempt is not payment.attempts[0]:  # an update of an existing intent
                    emit(at, "payment_intent.succeeded", intent_now)
                after = snapshot(at)
                if at == paid_at:
                    emit(at, "invoice.paid", after)
                else:
                    before = after["amount_paid"] - attempt.amount
                    previous = {"amount_paid": before, "amount_remaining": after["total"] - before}
                    emit(at, "invoice.updated", after, previous)
            else:
                emit(at, "charge.failed", charge)
                if attempt is not payment.attempts[0]:
                    emit(at, "payment_intent.payment_failed", intent_now)
                emit(at, "invoice.payment_failed", snapshot(at))
            for refund in attempt.refunds:
                refund_obj = stripe.refund(
                    refund.refund_id,
                    attempt.charge_id,
                    refund.amount,
                    currency,
                    refund.at,
                    payment.intent_id,
                    refund.transaction_id,
                    reason=refund.reason,
                )
                yield "refunds", refund_obj
                yield (
                    "balance_transactions",
                    stripe.balance_transaction(
                        refund.transaction_id,
                        "refund",
                        -refund.amount,
                        0,
                        currency,
                        refund.at,
                        refund.refund_id,
                        description="REFUND FOR CHARGE",
                    ),
                )
                refunded = _charge(customer, invoice, payment, attempt, refund.at)
                emit(refund.at, "charge.refunded", refunded)
                emit(refund.at, "refund.created", refund_obj)
    if invoice.voided_at is not None:
        emit(invoice.voided_at, "invoice.voided", snapshot(invoice.voided_at))
    if invoice.uncollectible_at is not None:
        emit(
            invoice.uncollectible_at,
            "invoice.marked_uncollectible",
            snapshot(invoice.uncollectible_at),
        )


def _charge(
    customer: CustomerPayments, invoice: Invoice, payment: Payment, attempt: Attempt, moment: int
) -> dict[str, Any]:
    return stripe.charge(
        attempt.charge_id,
        attempt.amount,
        customer.currency,
        customer.customer_id,
        attempt.at,
        "succeeded" if attempt.succeeded else "failed",
        payment.intent_id,
        invoice.invoice_id,
        attempt.transaction_id,
        failure_code=attempt.failure,
        amount_refunded=sum(refund.amount for refund in attempt.refunds if refund.at <= moment),
        description=f"Payment for Invoice {invoice.number}",
        card_brand=customer.card[0],
        card_last4=customer.card[1],
    )


def _intent(
    customer: CustomerPayments, invoice: Invoice, payment: Payment, moment: int
) -> dict[str, Any]:
    done = [attempt for attempt in payment.attempts if attempt.at <= moment]
    last = done[-1]
    return stripe.payment_intent(
        payment.intent_id,
        payment.amount,
        customer.currency,
        customer.customer_id,
        invoice.invoice_id,
        payment.created,
        "succeeded" if last.succeeded else "requires_payment_method",
        amount_received=sum(attempt.amount for attempt in done if attempt.succeeded),
        latest_charge=last.charge_id,
        last_payment_error=None
        if last.succeeded
        else stripe.payment_error(last.failure, last.charge_id),
        description=f"Payment for Invoice {invoice.number}",
    )


def _until(moment: int | None, now: int) -> int | None:
    return moment if moment is not None and moment <= now else None
