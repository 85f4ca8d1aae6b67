"""Build CRM objects in the exact shape HubSpot's CRM v3 API returns them.

Shared by the demo world and by tests that hand-write small exports, so that both speak
the real API's shapes: string ids, string property values, ISO 8601 UTC timestamps, and
``propertiesWithHistory`` lists newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def hubspot_timestamp(moment: datetime) -> str:
    """HubSpot's timestamp format: UTC, milliseconds, a trailing Z."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Stage:
    stage_id: str
    label: str
    probability: Decimal
    is_closed: bool = False


def pipeline_object(
    pipeline_id: str, label: str, stages: Sequence[Stage], created_at: datetime
) -> dict[str, Any]:
    stamp = hubspot_timestamp(created_at)
    return {
        "id": pipeline_id,
        "label": label,
        "displayOrder": 0,
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
        "stages": [
            {
                "id": stage.stage_id,
                "label": stage.label,
                "displayOrder": order,
                "metadata": {
                    "isClosed": "true" if stage.is_closed else "false",
                    "probability": str(stage.probability),
                },
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": False,
            }
            for order, stage in enumerate(stages)
        ],
    }


def owner_object(
    owner_id: str,
    email: str,
    first_name: str,
    last_name: str,
    teams: Sequence[tuple[str, str]],
    created_at: datetime,
    archived: bool = False,
) -> dict[str, Any]:
    """An owner; ``teams`` are ``(team_id, team_name)`` pairs, the first one primary."""
    stamp = hubspot_timestamp(created_at)
    return {
        "id": owner_id,
        "email": email,
        "type": "PERSON",
        "firstName": first_name,
        "lastName": last_name,
        "userId": int(owner_id) + 9_000_000,
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": archived,
        "teams": [
            {"id": team_id, "name": team_name, "primary": index == 0}
            for index, (team_id, team_name) in enumerate(teams)
        ],
    }


def deal_object(
    deal_id: str,
    name: str,
    pipeline_id: str,
    stage_history: Sequence[tuple[str, datetime]],
    owner_history: Sequence[tuple[str, datetime]],
    amount: Decimal | str | None,
    currency: str,
    created_at: datetime,
    close_at: datetime | None,
    deal_type: str = "newbusiness",
    archived: bool = False,
) -> dict[str, Any]:
    """A deal; histories are ``(value, when)`` pairs in time order, the last one current."""
    changes = [moment for _, moment in (*stage_history, *owner_history)]
    updated_at = max([created_at, *changes])
    properties = {
        "dealname": name,
        "pipeline": pipeline_id,
        "dealstage": stage_history[-1][0],
        "hubspot_owner_id": owner_history[-1][0] if owner_history else None,
        "amount": None if amount is None else str(amount),
        "deal_currency_code": currency,
        "dealtype": deal_type,
        "createdate": hubspot_timestamp(created_at),
        "closedate": hubspot_timestamp(close_at) if close_at else None,
        "hs_lastmodifieddate": hubspot_timestamp(updated_at),
        "hs_object_id": deal_id,
    }
    return {
        "id": deal_id,
        "properties": properties,
        "propertiesWithHistory": {
            "dealstage": _history(stage_history),
            "hubspot_owner_id": _history(owner_history),
        },
        "createdAt": hubspot_timestamp(created_at),
        "updatedAt": hubspot_timestamp(updated_at),
        "archived": archived,
    }


def _history(changes: Sequence[tuple[str, datetime]]) -> list[dict[str, Any]]:
    return [
        {"value": value, "timestamp": hubspot_timestamp(moment), "sourceType": "CRM_UI"}
        for value, moment in reversed(changes)
    ]
