"""HubSpot CRM v3 object types as they land in ``raw_crm``, with their validation rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

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

DEALS = ObjectType(
    name="deals",
    file_name="deals.jsonl",
    scalar_columns=_RECORD_COLUMNS,
    json_columns=("properties", "propertiesWithHistory", "associations"),
    validators=(
        _property_rule(("amount",), _is_number, "a number"),
        _property_rule(("createdate", "closedate"), _is_timestamp, "an ISO 8601 timestamp"),
        _history_timestamps,
    ),
)

DEAL_PIPELINES = ObjectType(
    name="deal_pipelines",
    file_name="deal_pipelines.jsonl",
    scalar_columns={"label": pa.string(), "displayOrder": pa.int64(), **_RECORD_COLUMNS},
    json_columns=("stages",),
)
