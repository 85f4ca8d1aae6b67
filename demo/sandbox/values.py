"""Ordering and comparing values the way the APIs do, shared by the store and the search.

HubSpot property values are strings; a search filter compares them as timestamps, numbers
or text depending on what they hold, and its ``value`` may be epoch milliseconds (number
or digit string) or an ISO 8601 string: clients use both.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

IdKey = tuple[int, int, str]
# (0, number) for timestamps (epoch ms) and numbers, (1, text) otherwise: always comparable.
Typed = tuple[int, float | str]


def id_key(object_id: str) -> IdKey:
    """Numeric ids in numeric order, then the others as text (HubSpot ids are digits)."""
    if object_id.isascii() and object_id.isdigit():
        return (0, int(object_id), "")
    return (1, 0, object_id)


def epoch_ms(value: str) -> int | None:
    """Epoch milliseconds of an ISO 8601 date or timestamp (naive means UTC)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def typed_value(value: Any) -> Typed | None:
    """How a property value (or a filter value) compares: numbers and timestamps as numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return (1, str(value).lower())
    if isinstance(value, int | float):
        return (0, float(value))
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(number) and "_" not in text:
            return (0, number)
    # Only text that looks like a date: fromisoformat also accepts "2026" style fragments.
    if len(text) >= 10 and text[4:5] == "-":
        millis = epoch_ms(text)
        if millis is not None:
            return (0, float(millis))
    return (1, text)
