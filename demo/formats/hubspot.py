"""Build CRM objects in the exact shape HubSpot's CRM v3 API returns them.

Shared by the demo world and by tests that hand-write small exports, so that both speak
the real API's shapes: string ids, string property values, ISO 8601 UTC timestamps, and
``propertiesWithHistory`` lists newest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def hubspot_timestamp(moment: datetime) -> str:
    """HubSpot's timestamp format: UTC, milliseconds, a trailing Z."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def to_hubspot_precision(moment: datetime) -> datetime:
    """The instant as HubSpot records it: UTC, whole milliseconds (the truth computes
    durations from what the CRM holds, not from the world's microseconds)."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


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


History = Sequence[tuple[Any, datetime]]


def crm_object(
    object_id: str,
    created_at: datetime,
    histories: Mapping[str, History],
    properties: Mapping[str, Any] | None = None,
    associations: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    archived_at: datetime | None = None,
) -> dict[str, Any]:
    """A CRM object as the v3 API returns it with ``propertiesWithHistory`` and associations.

    ``histories`` maps a property to its ``(value, when)`` changes in time order; its
    current value is the last one. ``properties`` are the properties without history.
    ``associations`` maps an object type to ``(id, association type)`` pairs.
    """
    # An object repeats its instants (created, last change, hs_timestamp...) and a world
    # builds millions of objects: format each instant once per object.
    stamps: dict[datetime, str] = {}
    created = stamps[created_at] = hubspot_timestamp(created_at)
    latest = created_at
    with_history: dict[str, list[dict[str, Any]]] = {}
    current: dict[str, str | None] = {}
    for name, changes in histories.items():
        entries = []
        for value, moment in reversed(changes):
            if moment > latest:
                latest = moment
            stamp = stamps.get(moment)
            if stamp is None:
                stamp = stamps[moment] = hubspot_timestamp(moment)
            entries.append(
                {"value": property_text(value, stamps), "timestamp": stamp, "sourceType": "CRM_UI"}
            )
        with_history[name] = entries
        if entries:
            current[name] = entries[0]["value"]
    if archived_at is not None and archived_at > latest:
        latest = archived_at
    updated = stamps.get(latest) or hubspot_timestamp(latest)
    values = (
        {name: property_text(value, stamps) for name, value in properties.items()}
        if properties
        else {}
    )
    values.update(current)
    values["createdate"] = created
    values["hs_lastmodifieddate"] = updated
    values["hs_object_id"] = object_id
    obj: dict[str, Any] = {
        "id": object_id,
        "properties": values,
        "propertiesWithHistory": with_history,
        "createdAt": created,
        "updatedAt": updated,
        "archived": archived_at is not None,
    }
    if associations:
        obj["associations"] = {
            object_type: {"results": [{"id": other, "type": kind} for other, kind in pairs]}
            for object_type, pairs in associations.items()
            if pairs
        }
    if archived_at is not None:
        obj["archivedAt"] = stamps.get(archived_at) or hubspot_timestamp(archived_at)
    return obj


def deal_object(
    deal_id: str,
    name: str,
    pipeline_id: str,
    stage_history: History,
    owner_history: History,
    amount: Decimal | str | None,
    currency: str,
    created_at: datetime,
    close_at: datetime | None,
    deal_type: str = "newbusiness",
    archived: bool = False,
) -> dict[str, Any]:
    """A deal with stage and owner history; histories are ``(value, when)`` in time order."""
    return crm_object(
        deal_id,
        created_at,
        histories={"dealstage": stage_history, "hubspot_owner_id": owner_history},
        properties={
            "dealname": name,
            "pipeline": pipeline_id,
            "amount": amount,
            "deal_currency_code": currency,
            "dealtype": deal_type,
            "closedate": hubspot_timestamp(close_at) if close_at else None,
        },
        archived_at=max(moment for _, moment in stage_history) if archived else None,
    )


def property_text(value: Any, stamps: dict[datetime, str] | None = None) -> str | None:
    """A property value as HubSpot returns every one: a string (timestamps in ISO 8601).

    ``stamps`` caches the formatted instants of the object being built.
    """
    if type(value) is str or value is None:  # the common case first: most values are text
        return value
    if isinstance(value, datetime):
        if stamps is None:
            return hubspot_timestamp(value)
        stamp = stamps.get(value)
        if stamp is None:
            stamp = stamps[value] = hubspot_timestamp(value)
        return stamp
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
