"""Stripe object types as they land in ``raw_payments``, with their validation rules.

Columns follow Stripe's names. Amounts stay integers in the currency's minor units
(staging divides by the currency exponent; JPY has none), times arrive as unix seconds
and become UTC timestamps (see ``rows.py``), nested objects stay JSON text.

The types Stripe can delete (customers, products, prices, draft invoices) have a
``deleted`` column: false while the object lives, true once its ``<object>.deleted`` event
was read (see ``snapshots.py``). Stripe's lists leave deleted objects out, and a retrieve
returns only ``{"id", "object", "deleted": true}``: such a stub (``is_deleted_stub``) is
valid but carries no state, so it never becomes a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ingest.exports import ObjectType, Validator

# Marks a unix-seconds column: read as an integer by ``read_export`` and turned into a
# timestamp afterwards (exports.py parses ISO 8601 only, Stripe sends unix seconds).
UNIX = "unix seconds"
DELETED = "deleted"
# Unix seconds that make sense as a date (1970 up to the year 9999): anything else would
# overflow the timestamp cast of the whole batch.
MAX_UNIX_SECONDS = 253_402_300_799
_CURRENCY = re.compile(r"[A-Za-z]{3}")


@dataclass(frozen=True)
class StripeType:
    """One Stripe object type: its table, list endpoint and ``object`` name."""

    declaration: ObjectType
    object_name: str  # the ``object`` field of its instances, e.g. ``invoice``
    unix_columns: tuple[str, ...] = ("created",)
    float_columns: tuple[str, ...] = ()
    deletable: bool = False  # Stripe can delete it (``<object>.deleted`` events)

    @property
    def table(self) -> str:
        return self.declaration.name

    @property
    def path(self) -> str:
        return f"/v1/{self.declaration.name}"

    @property
    def deleted_event(self) -> str:
        """The type of the event that deletes an object of this type."""
        return f"{self.object_name}.{DELETED}"


def is_deleted_stub(obj: dict[str, Any]) -> bool:
    """What Stripe returns for a deleted object (``id``, ``object``, ``deleted: true``):
    no ``created``, no state. Its row would null every column of the object's last state."""
    return obj.get(DELETED) is True and obj.get("created") is None


def _required(name: str, unless_deleted: bool = False) -> Validator:
    def validate(obj: dict[str, Any]) -> str | None:
        if obj.get(name) is not None or (unless_deleted and is_deleted_stub(obj)):
            return None
        return f"{name}: missing"

    return validate


def _unix_range(names: tuple[str, ...]) -> Validator:
    def validate(obj: dict[str, Any]) -> str | None:
        for name in names:
            value = obj.get(name)
            if isinstance(value, int) and not 0 <= value <= MAX_UNIX_SECONDS:
                return f"{name}: not unix seconds: {value!r}"
        return None

    return validate


def _currency(obj: dict[str, Any]) -> str | None:
    """Staging joins FX rates and exponents on the code: it must be three letters."""
    value = obj.get("currency")
    if value is not None and not (isinstance(value, str) and _CURRENCY.fullmatch(value)):
        return f"currency: not a three-letter code: {value!r}"
    return None


def _number(names: tuple[str, ...]) -> Validator:
    def validate(obj: dict[str, Any]) -> str | None:
        for name in names:
            value = obj.get(name)
            if value is not None and (isinstance(value, bool) or not _is_number(value)):
                return f"{name}: not a number: {value!r}"
        return None

    return validate


def _is_number(value: Any) -> bool:
    try:
        return float(value) == float(value)  # NaN is not a number staging can cast
    except (TypeError, ValueError):
        return False


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _invoice_lines(obj: dict[str, Any]) -> str | None:
    """Staging expands the lines and casts their amounts: each needs an id and integer
    amounts."""
    lines = obj.get("lines")
    if lines is None:
        return None
    data = lines.get("data") if isinstance(lines, dict) else None
    if not isinstance(data, list):
        return "lines: expected a list object with data"
    for position, line in enumerate(data):
        if not isinstance(line, dict) or not line.get("id"):
            return f"lines.data[{position}]: missing id"
        for name in ("amount", "quantity"):
            value = line.get(name)
            if value is not None and not _is_integer(value):
                return f"lines.data[{position}].{name}: not an integer: {value!r}"
        currency = line.get("currency")
        if currency is not None and not (
            isinstance(currency, str) and _CURRENCY.fullmatch(currency)
        ):
            return f"lines.data[{position}].currency: not a three-letter code: {currency!r}"
    return None


def _event_object(obj: dict[str, Any]) -> str | None:
    """An event is only usable with the object it is about (it updates that object)."""
    data = obj.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "data.object: expected an object"
    return None


def _stripe_type(
    name: str,
    object_name: str,
    scalars: dict[str, pa.DataType | str],
    json_columns: tuple[str, ...],
    extra: tuple[Validator, ...] = (),
    float_columns: tuple[str, ...] = (),
    deletable: bool = False,
) -> StripeType:
    unix_columns = tuple(column for column, dtype in scalars.items() if isinstance(dtype, str))
    typed = {
        column: pa.int64() if isinstance(dtype, str) else dtype for column, dtype in scalars.items()
    }
    if deletable:
        typed[DELETED] = pa.bool_()
    validators: list[Callable[[dict[str, Any]], str | None]] = [
        # A deleted stub passes, to be left out by the source rather than rejected.
        _required("created", unless_deleted=deletable),
        _unix_range(unix_columns),
    ]
    if "currency" in scalars:
        validators.append(_currency)
    if float_columns:
        validators.append(_number(float_columns))
    declaration = ObjectType(
        name=name,
        file_name=f"{name}.jsonl",
        scalar_columns={"object": pa.string(), "livemode": pa.bool_(), **typed},
        json_columns=("metadata", *json_columns),
        validators=(*validators, *extra),
    )
    return StripeType(declaration, object_name, unix_columns, float_columns, deletable)


_INT = pa.int64()
_STR = pa.string()
_BOOL = pa.bool_()

CUSTOMERS = _stripe_type(
    "customers",
    "customer",
    {
        "created": UNIX,
        "name": _STR,
        "email": _STR,
        "phone": _STR,
        "description": _STR,
        "currency": _STR,
        "balance": _INT,
        "delinquent": _BOOL,
        "invoice_prefix": _STR,
        "tax_exempt": _STR,
    },
    ("address", "invoice_settings", "shipping"),
    deletable=True,
)

PRODUCTS = _stripe_type(
    "products",
    "product",
    {
        "created": UNIX,
        "updated": UNIX,
        "name": _STR,
        "description": _STR,
        "active": _BOOL,
        "type": _STR,
        "default_price": _STR,
        "unit_label": _STR,
        "tax_code": _STR,
    },
    ("marketing_features",),
    deletable=True,
)

PRICES = _stripe_type(
    "prices",
    "price",
    {
        "created": UNIX,
        "product": _STR,
        "active": _BOOL,
        "currency": _STR,
        "unit_amount": _INT,
        # Stripe's exact decimal string (fractions of a minor unit): staging casts it.
        "unit_amount_decimal": _STR,
        "billing_scheme": _STR,
        "type": _STR,
        "nickname": _STR,
        "lookup_key": _STR,
        "tax_behavior": _STR,
    },
    ("recurring", "tiers"),
    extra=(_number(("unit_amount_decimal",)),),
    # Not through the prices API (it only deactivates), but the Dashboard and the legacy
    # plans API delete prices (`price.deleted`).
    deletable=True,
)

INVOICES = _stripe_type(
    "invoices",
    "invoice",
    {
        "created": UNIX,
        "customer": _STR,
        "number": _STR,
        "status": _STR,
        "currency": _STR,
        "amount_due": _INT,
        "amount_paid": _INT,
        "amount_remaining": _INT,
        "subtotal": _INT,
        "total": _INT,
        "tax": _INT,
        "paid": _BOOL,
        "attempted": _BOOL,
        "attempt_count": _INT,
        "auto_advance": _BOOL,
        "billing_reason": _STR,
        "collection_method": _STR,
        "due_date": UNIX,
        "effective_at": UNIX,
        "period_start": UNIX,
        "period_end": UNIX,
        "customer_email": _STR,
        "customer_name": _STR,
        "description": _STR,
        "payment_intent": _STR,
        "subscription": _STR,
        "hosted_invoice_url": _STR,
    },
    ("lines", "status_transitions", "discounts"),
    extra=(_invoice_lines,),
    deletable=True,  # drafts only
)

CHARGES = _stripe_type(
    "charges",
    "charge",
    {
        "created": UNIX,
        "customer": _STR,
        "invoice": _STR,
        "payment_intent": _STR,
        "balance_transaction": _STR,
        "status": _STR,
        "currency": _STR,
        "amount": _INT,
        "amount_captured": _INT,
        "amount_refunded": _INT,
        "paid": _BOOL,
        "captured": _BOOL,
        "refunded": _BOOL,
        "disputed": _BOOL,
        "failure_code": _STR,
        "failure_message": _STR,
        "description": _STR,
    },
    ("outcome", "payment_method_details", "billing_details"),
)

REFUNDS = _stripe_type(
    "refunds",
    "refund",
    {
        "created": UNIX,
        "charge": _STR,
        "payment_intent": _STR,
        "balance_transaction": _STR,
        "status": _STR,
        "reason": _STR,
        "currency": _STR,
        "amount": _INT,
        "receipt_number": _STR,
    },
    (),
)

PAYMENT_INTENTS = _stripe_type(
    "payment_intents",
    "payment_intent",
    {
        "created": UNIX,
        "customer": _STR,
        "invoice": _STR,
        "status": _STR,
        "currency": _STR,
        "amount": _INT,
        "amount_received": _INT,
        "capture_method": _STR,
        "canceled_at": UNIX,
        "cancellation_reason": _STR,
        "latest_charge": _STR,
        "payment_method": _STR,
        "description": _STR,
    },
    ("last_payment_error", "payment_method_types"),
)

BALANCE_TRANSACTIONS = _stripe_type(
    "balance_transactions",
    "balance_transaction",
    {
        "created": UNIX,
        "available_on": UNIX,
        "type": _STR,
        "reporting_category": _STR,
        "status": _STR,
        "source": _STR,
        "currency": _STR,
        "amount": _INT,
        "fee": _INT,
        "net": _INT,
        # Read as text (exports.py has no float type), cast to float64 in rows.py.
        "exchange_rate": _STR,
        "description": _STR,
    },
    ("fee_details",),
    float_columns=("exchange_rate",),
)

EVENTS = _stripe_type(
    "events",
    "event",
    {
        "created": UNIX,
        "type": _STR,
        "api_version": _STR,
        "pending_webhooks": _INT,
    },
    ("data", "request"),
    extra=(_event_object,),
)

# Objects first, events last: in an API run the events feed is read after the lists.
OBJECT_TYPES: tuple[StripeType, ...] = (
    CUSTOMERS,
    PRODUCTS,
    PRICES,
    INVOICES,
    CHARGES,
    REFUNDS,
    PAYMENT_INTENTS,
    BALANCE_TRANSACTIONS,
)
STRIPE_TYPES: tuple[StripeType, ...] = (*OBJECT_TYPES, EVENTS)
BY_OBJECT_NAME: dict[str, StripeType] = {kind.object_name: kind for kind in OBJECT_TYPES}
