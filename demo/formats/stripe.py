"""Build payment objects in the exact shape Stripe's REST API returns them.

Shared by the demo world and by tests that hand-write small exports, as ``hubspot.py``
is for the CRM: API version 2024-06-20 shapes (the fields a warehouse reads, with Stripe's
names, types and nesting; not every field Stripe sends), ids with Stripe's prefixes (``cus_``,
``in_``, ``ch_``, ...), amounts as integers in the currency's minor units (divide by
``10 ** exponent(currency)``; JPY has exponent 0), lower-case currency codes, and every
time as unix seconds. Builders take their ids and times as arguments and never draw
anything random or read the clock, so the same inputs give the same objects.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

API_VERSION = "2024-06-20"
# The object types the demo world exports and the sandbox lists, one file and one
# `/v1/<type>` endpoint each; the catalog's come from the price book, the rest per customer.
CATALOG_TYPES = ("products", "prices")
OBJECT_TYPES = (
    "customers",
    *CATALOG_TYPES,
    "invoices",
    "charges",
    "refunds",
    "payment_intents",
    "balance_transactions",
    "events",
)
# Stripe's zero-decimal currencies (every other currency we use has two decimals). Kept
# here rather than imported from the world, which imports this module.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)

# Failure codes of a declined card payment, with the message Stripe shows the customer.
FAILURES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
}
# Stripe's processing fee: a rate plus a fixed amount per successful charge (major units).
FEE_RATE = Decimal("0.029")
FEE_FIXED = {
    "USD": Decimal("0.30"),
    "SGD": Decimal("0.50"),
    "EUR": Decimal("0.25"),
    "JPY": Decimal("0"),
    "IDR": Decimal("2000"),
}


def stripe_id(prefix: str, key: str, length: int = 24) -> str:
    """A Stripe-looking id (``in_1Q...``), derived from ``key``: same key, same id."""
    return f"{prefix}_{id_token(key, length)}"


def id_token(key: str, length: int = 24) -> str:
    """``length`` (at most 24) letters and digits derived from ``key``."""
    digest = hashlib.blake2b(key.encode(), digest_size=18).digest()
    return base64.b64encode(digest, altchars=b"Az").decode()[:length]


def unix(moment: datetime) -> int:
    """Unix seconds of an aware datetime (Stripe's time format), rounded down."""
    return int(moment.timestamp() // 1)


def exponent(currency: str) -> int:
    """Digits after the decimal point of ``currency``'s minor unit, as Stripe counts them."""
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` in major units as Stripe's integer minor units (half up)."""
    scaled = amount.scaleb(exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def major_units(amount: int, currency: str) -> Decimal:
    """Stripe's integer minor units as a Decimal in major units (exact)."""
    return Decimal(amount).scaleb(-exponent(currency))


def fee(amount: int, currency: str) -> int:
    """Stripe's fee on a successful charge of ``amount`` minor units, in minor units."""
    fixed = minor_units(FEE_FIXED[currency.upper()], currency)
    return int((FEE_RATE * amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)) + fixed


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def customer(
    customer_id: str,
    created: int,
    name: str,
    email: str | None,
    currency: str | None,
    invoice_prefix: str,
    metadata: Mapping[str, str] | None = None,
    delinquent: bool = False,
) -> dict[str, Any]:
    return {
        "id": customer_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": currency.lower() if currency else None,
        "default_source": None,
        "delinquent": delinquent,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": dict(metadata or {}),
        "name": name,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def product(
    product_id: str,
    name: str,
    created: int,
    description: str | None = None,
    metadata: Mapping[str, str] | None = None,
    default_price: str | None = None,
) -> dict[str, Any]:
    return {
        "id": product_id,
        "object": "product",
        "active": True,
        "created": created,
        "default_price": default_price,
        "description": description,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": dict(metadata or {}),
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": created,
        "url": None,
    }


def price(
    price_id: str,
    product_id: str,
    currency: str,
    unit_amount: int,
    created: int,
    nickname: str | None = None,
    lookup_key: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A one-time price of ``unit_amount`` minor units."""
    return {
        "id": price_id,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency.lower(),
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": dict(metadata or {}),
        "nickname": nickname,
        "product": product_id,
        "recurring": None,
        "tax_behavior": "unspecified",
        "type": "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def line_price(price_object: dict[str, Any]) -> dict[str, Any]:
    """The price as an invoice line embeds it: the price object's identifying fields."""
    keep = ("id", "object", "active", "currency", "metadata", "product", "type", "unit_amount")
    return {name: price_object[name] for name in keep}


def invoice_line(
    line_id: str,
    invoice_id: str,
    invoice_item_id: str,
    amount: int,
    currency: str,
    description: str,
    price_object: dict[str, Any] | None,
    quantity: int,
    period_start: int,
    period_end: int,
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A line of an invoice from an invoice item. ``amount`` is what the line bills (the
    negotiated amount); ``price_object`` (see ``line_price``) names the product and the
    price it was sold from."""
    if quantity <= 1 or amount % quantity == 0:
        unit_text = str(amount // max(quantity, 1))
    else:
        unit_text = _decimal_text(Decimal(amount) / quantity)
    return {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "currency": currency.lower(),
        "description": description,
        "invoice": invoice_id,
        "invoice_item": invoice_item_id,
        "metadata": dict(metadata or {}),
        "period": {"end": period_end, "start": period_start},
        "price": price_object,
        "proration": False,
        "quantity": quantity,
        "type": "invoiceitem",
        "unit_amount_excluding_tax": unit_text,
    }


def invoice(
    invoice_id: str,
    customer_id: str,
    currency: str,
    lines: Sequence[dict[str, Any]],
    created: int,
    customer_email: str | None = None,
    customer_name: str | None = None,
    description: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A draft invoice with its lines (a list object) and totals computed from the lines;
    ``invoice_as_of`` gives the same invoice in each later state (open, paid, void,
    uncollectible).
    """
    subtotal = sum(line["amount"] for line in lines)
    obj = {
        "id": invoice_id,
        "object": "invoice",
        "amount_due": subtotal,
        "amount_paid": 0,
        "amount_remaining": subtotal,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "billing_reason": "manual",
        "collection_method": "send_invoice",
        "created": created,
        "currency": currency.lower(),
        "customer": customer_id,
        "customer_email": customer_email,
        "customer_name": customer_name,
        "description": description,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "hosted_invoice_url": None,
        "lines": list_object(list(lines), f"/v1/invoices/{invoice_id}/lines"),
        "livemode": False,
        "metadata": dict(metadata or {}),
        "number": None,
        "paid": False,
        "payment_intent": None,
        "status": "draft",
        "status_transitions": {},
        "subscription": None,
        "subtotal": subtotal,
        "total": subtotal,
    }
    return invoice_as_of(obj, "draft", None)


def invoice_as_of(
    obj: dict[str, Any],
    status: str,
    due_date: int | None,
    number: str | None = None,
    amount_paid: int = 0,
    finalized_at: int | None = None,
    paid_at: int | None = None,
    voided_at: int | None = None,
    marked_uncollectible_at: int | None = None,
    attempt_count: int = 0,
    payment_intent: str | None = None,
) -> dict[str, Any]:
    """A copy of invoice ``obj`` in another state (a snapshot for the events feed); the
    lines and other nested objects are shared, not copied."""
    finalized = status != "draft"
    copy = dict(obj)
    copy.update(
        amount_paid=amount_paid,
        amount_remaining=obj["amount_due"] - amount_paid,
        attempt_count=attempt_count,
        attempted=attempt_count > 0,
        auto_advance=status in ("draft", "open"),
        due_date=due_date if finalized else None,
        effective_at=finalized_at if finalized else None,
        hosted_invoice_url=(
            f"https://invoice.stripe.com/i/acct_demo/{obj['id']}" if finalized else None
        ),
        number=number if finalized else None,
        paid=status == "paid",
        payment_intent=payment_intent,
        status=status,
        status_transitions={
            "finalized_at": finalized_at if finalized else None,
            "marked_uncollectible_at": marked_uncollectible_at,
            "paid_at": paid_at,
            "voided_at": voided_at,
        },
    )
    return copy


def charge(
    charge_id: str,
    amount: int,
    currency: str,
    customer_id: str,
    created: int,
    status: str,
    payment_intent: str | None,
    invoice_id: str | None,
    balance_transaction: str | None,
    failure_code: str | None = None,
    amount_refunded: int = 0,
    description: str | None = None,
    card_last4: str = "4242",
    card_brand: str = "visa",
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A card charge: ``succeeded`` (with its balance transaction) or ``failed`` (with
    ``failure_code`` from ``FAILURES`` and its message)."""
    succeeded = status == "succeeded"
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": amount_refunded,
        "balance_transaction": balance_transaction,
        "captured": succeeded,
        "created": created,
        "currency": currency.lower(),
        "customer": customer_id,
        "description": description,
        "disputed": False,
        "failure_code": failure_code,
        "failure_message": FAILURES[failure_code] if failure_code else None,
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "outcome": _outcome(failure_code),
        "paid": succeeded,
        "payment_intent": payment_intent,
        "payment_method_details": {
            "type": "card",
            "card": {"brand": card_brand, "funding": "credit", "last4": card_last4},
        },
        "refunded": succeeded and amount_refunded >= amount,
        "status": status,
    }


def refund(
    refund_id: str,
    charge_id: str,
    amount: int,
    currency: str,
    created: int,
    payment_intent: str | None,
    balance_transaction: str,
    reason: str | None = "requested_by_customer",
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": balance_transaction,
        "charge": charge_id,
        "created": created,
        "currency": currency.lower(),
        "metadata": dict(metadata or {}),
        "payment_intent": payment_intent,
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def payment_intent(
    intent_id: str,
    amount: int,
    currency: str,
    customer_id: str,
    invoice_id: str | None,
    created: int,
    status: str,
    amount_received: int = 0,
    latest_charge: str | None = None,
    last_payment_error: dict[str, Any] | None = None,
    canceled_at: int | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """A payment intent: ``succeeded``, ``requires_payment_method`` (after a failed
    attempt, with ``last_payment_error``) or ``canceled``."""
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount_received,
        "canceled_at": canceled_at,
        "cancellation_reason": "void_invoice" if canceled_at else None,
        "capture_method": "automatic",
        "created": created,
        "currency": currency.lower(),
        "customer": customer_id,
        "description": description,
        "invoice": invoice_id,
        "last_payment_error": last_payment_error,
        "latest_charge": latest_charge,
        "livemode": False,
        "metadata": {},
        "payment_method": None,
        "payment_method_types": ["card"],
        "status": status,
    }


def payment_error(failure_code: str, charge_id: str) -> dict[str, Any]:
    """The ``last_payment_error`` of a payment intent whose charge ``charge_id`` failed."""
    return {
        "charge": charge_id,
        "code": failure_code,
        "decline_code": _DECLINE_CODES[failure_code],
        "doc_url": f"https://stripe.com/docs/error-codes/{failure_code.replace('_', '-')}",
        "message": FAILURES[failure_code],
        "type": "card_error",
    }


def balance_transaction(
    transaction_id: str,
    kind: str,
    amount: int,
    fee_amount: int,
    currency: str,
    created: int,
    source: str,
    description: str | None = None,
) -> dict[str, Any]:
    """A balance transaction of type ``charge`` (amount positive, fee withheld) or
    ``refund`` (amount negative); ``net = amount - fee``."""
    return {
        "id": transaction_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created + 2 * 86_400,
        "created": created,
        "currency": currency.lower(),
        "description": description,
        "exchange_rate": None,
        "fee": fee_amount,
        "fee_details": [
            {
                "amount": fee_amount,
                "application": None,
                "currency": currency.lower(),
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee_amount
        else [],
        "net": amount - fee_amount,
        "reporting_category": kind,
        "source": source,
        "status": "available",
        "type": kind,
    }


def event(
    event_id: str,
    event_type: str,
    created: int,
    obj: dict[str, Any],
    previous_attributes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An event of the events feed: ``obj`` as it stood right after the change."""
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = dict(previous_attributes)
    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


_DECLINE_CODES = {
    "card_declined": "generic_decline",
    "insufficient_funds": "insufficient_funds",
    "expired_card": None,
}


def _outcome(failure_code: str | None) -> dict[str, Any]:
    if failure_code is None:
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "network_status": "declined_by_network",
        "reason": _DECLINE_CODES[failure_code] or failure_code,
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def _decimal_text(value: Decimal) -> str:
    """Stripe's decimal strings: up to 12 decimal places, no trailing zeros."""
    text = f"{value.quantize(Decimal('1e-12'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
