"""HubSpot CRM v3 object types as they land in ``raw_crm``, with their validation rules.

Validators cover the properties staging casts (numbers, timestamps): a value that would
break a cast sends its record to ``rejects`` instead. Every CRM object carries
``createdate`` and ``hs_lastmodifieddate``, which the incremental load reads too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
import pyarrow as pa

from ingest.exports import TIMESTAMP, ObjectType, Validator

_RECORD_COLUMNS: dict[str, pa.DataType] = {
    "createdAt": TIMESTAMP,
    "updatedAt": TIMESTAMP,
    "archived": pa.bool_(),
    "archivedAt": TIMESTAMP,
}


def _is_number(value: Any) -> bool:
    try:
        return Decimal(str(value)).is_finite()
    except InvalidOperation:
        return False


def _is_timestamp(value: Any) -> bool:
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _property_rule(
    names: tuple[str, ...], check: Callable[[Any], bool], expected: str
) -> Validator:
    """A rule: each CRM property in ``names``, when set, must pass ``check``.

    Staging casts these properties; rejecting bad values here keeps those casts safe on
    every engine (PostgreSQL has no failure-tolerant cast).
    """

    def validate(obj: dict[str, Any]) -> str | None:
        properties = obj.get("properties")
        if not isinstance(properties, dict):
            return "properties: expected an object"
        for name in names:
            value = properties.get(name)
            if value not in (None, "") and not check(value):
                return f"properties.{name}: not {expected}: {value!r}"
        return None

    return validate


def _history_timestamps(obj: dict[str, Any]) -> str | None:
    """Every entry of propertiesWithHistory must carry an ISO 8601 timestamp."""
    history = obj.get("propertiesWithHistory")
    if history is None:
        return None
    if not isinstance(history, dict):
        return "propertiesWithHistory: expected an object"
    for name, changes in history.items():
        if not isinstance(changes, list):
            return f"propertiesWithHistory.{name}: expected a list"
        for change in changes:
            if not isinstance(change, dict) or not _is_timestamp(change.get("timestamp")):
                return f"propertiesWithHistory.{name}: entry without an ISO 8601 timestamp"
    return None


def _is_json_object(value: Any) -> bool:
    try:
        return isinstance(orjson.loads(str(value)), dict)
    except orjson.JSONDecodeError:
        return False


def _numbers(*names: str) -> Validator:
    return _property_rule(names, _is_number, "a number")


def _timestamps(*names: str) -> Validator:
    return _property_rule(names, _is_timestamp, "an ISO 8601 timestamp")


def _crm_object(
    name: str,
    *validators: Validator,
    history: bool = False,
    associations: bool = True,
) -> ObjectType:
    """A CRM object type: record columns, ``properties`` and, when it has them, histories
    and associations as JSON text, with the validators every object type shares."""
    # Every object has the history column, empty ({}) for types whose histories are not
    # tracked, as the export writes them.
    json_columns = ("properties", "propertiesWithHistory")
    json_columns += ("associations",) if associations else ()
    shared: tuple[Validator, ...] = (_timestamps("createdate", "hs_lastmodifieddate"),)
    shared += (_history_timestamps,) if history else ()
    return ObjectType(
        name=name,
        file_name=f"{name}.jsonl",
        scalar_columns=_RECORD_COLUMNS,
        json_columns=json_columns,
        validators=(*shared, *validators),
    )


OWNERS = ObjectType(
    name="owners",
    file_name="owners.jsonl",
    scalar_columns={
        "email": pa.string(),
        "firstName": pa.string(),
        "lastName": pa.string(),
        "type": pa.string(),
        "userId": pa.int64(),
        **_RECORD_COLUMNS,
    },
    json_columns=("teams",),
)

# Deals keep their column order of before (staging reads these three columns).
DEALS = ObjectType(
    name="deals",
    file_name="deals.jsonl",
    scalar_columns=_RECORD_COLUMNS,
    json_columns=("properties", "propertiesWithHistory", "associations"),
    validators=(
        _numbers("amount"),
        _timestamps("createdate", "closedate", "hs_lastmodifieddate"),
        _history_timestamps,
    ),
)

DEAL_PIPELINES = ObjectType(
    name="deal_pipelines",
    file_name="deal_pipelines.jsonl",
    scalar_columns={"label": pa.string(), "displayOrder": pa.int64(), **_RECORD_COLUMNS},
    json_columns=("stages",),
)

CALL_DISPOSITIONS = ObjectType(
    name="call_dispositions",
    file_name="call_dispositions.jsonl",
    scalar_columns={"label": pa.string()},
)

CONTACTS = _crm_object("contacts", history=True)
COMPANIES = _crm_object("companies", _numbers("numberofemployees", "annualrevenue"), history=True)
CALLS = _crm_object("calls", _timestamps("hs_timestamp"), _numbers("hs_call_duration"))
MEETINGS = _crm_object(
    "meetings", _timestamps("hs_timestamp", "hs_meeting_start_time", "hs_meeting_end_time")
)
NOTES = _crm_object("notes", _timestamps("hs_timestamp"))
TASKS = _crm_object("tasks", _timestamps("hs_timestamp", "hs_task_completion_date"))
# Staging reads the recipients out of the headers document kept as text.
EMAILS = _crm_object(
    "emails",
    _timestamps("hs_timestamp"),
    _property_rule(("hs_email_headers",), _is_json_object, "a JSON object"),
)
PRODUCTS = _crm_object(
    "products",
    _numbers(
        "price", "hs_price_usd", "hs_price_idr", "hs_price_sgd", "hs_price_eur", "hs_price_jpy"
    ),
    associations=False,
)
LINE_ITEMS = _crm_object("line_items", _numbers("quantity", "price", "amount", "hs_total_discount"))
QUOTES = _crm_object("quotes", _numbers("hs_quote_amount"), _timestamps("hs_expiration_date"))
