"""World mutation, CRM side: new, updated and archived records, stamped after the world.

An update changes one property the way a sales team would (a deal moves to a later
stage, an amount or a lifecycle stage changes), appends to its ``propertiesWithHistory``
and moves ``hs_lastmodifieddate`` / ``updatedAt``; a new record is shaped like an
existing one of its type; archiving sets ``archived`` and ``archivedAt``.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo.formats.hubspot import hubspot_timestamp
from demo.sandbox.values import epoch_ms, id_key
from demo.sandbox.worldfiles import Changes, objects, rewrite, share_of, sorted_ids

CRM_NOT_OBJECTS = {"owners", "deal_pipelines", "ticket_pipelines", "call_dispositions"}
# Never changed by an update: identity, timestamps and references to other objects.
SYSTEM_PROPERTIES = {
    "hs_object_id",
    "createdate",
    "hs_lastmodifieddate",
    "lastmodifieddate",
    "pipeline",
    "hs_pipeline",
    "hs_pipeline_stage",
    "hubspot_owner_id",
    "deal_currency_code",
    "hs_currency",
    # References to other records (a disposition, a product): not free text either.
    "hs_call_disposition",
    "hs_product_id",
    # A JSON document kept as text.
    "hs_email_headers",
}
# Preferred when present, as the changes a sales team actually makes.
PREFERRED_PROPERTIES = (
    "dealstage",
    "amount",
    "lifecyclestage",
    "hs_task_status",
    "hs_meeting_outcome",
    "quantity",
    "price",
    "numberofemployees",
    "jobtitle",
)
ENUMERATIONS = {
    "lifecyclestage": (
        "subscriber",
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
    ),
    "hs_task_status": ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED"),
    "hs_meeting_outcome": ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"),
    # HubSpot's closed sets: a change picks another member, never free text.
    "hs_call_status": ("COMPLETED", "NO_ANSWER", "BUSY", "FAILED"),
    "hs_call_direction": ("INBOUND", "OUTBOUND"),
    "hs_email_direction": ("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"),
    "hs_email_status": ("SENT", "BOUNCED", "FAILED"),
    "hs_task_type": ("CALL", "EMAIL", "TODO"),
    "hs_status": ("DRAFT", "APPROVAL_NOT_NEEDED", "PENDING_APPROVAL", "APPROVED"),
    "price_list": ("list", "partner", "enterprise"),
    "dealtype": ("newbusiness", "existingbusiness"),
}


@dataclass
class _Scan:
    """One pass over a file: ids in line order, which are archived, the latest change."""

    ids: dict[int, str] = field(default_factory=dict)  # line number -> id
    live: list[int] = field(default_factory=list)
    latest_ms: int = 0


class _Clock:
    """Distinct, increasing moments after the world's watermark, one per change."""

    def __init__(self, start: datetime) -> None:
        self._next = start

    def tick(self) -> datetime:
        moment, self._next = self._next, self._next + timedelta(seconds=1)
        return moment


def mutate_crm(crm_dir: Path, seed: int, fraction: float) -> tuple[str | None, Changes]:
    """Mutate every CRM object file; return the watermark before and the ids changed."""
    paths = [path for path in sorted(crm_dir.glob("*.jsonl")) if path.stem not in CRM_NOT_OBJECTS]
    scans = {path: _scan_crm(path) for path in paths}
    if not any(scan.ids for scan in scans.values()):
        return None, {}
    latest_ms = max(scan.latest_ms for scan in scans.values())
    watermark = datetime.fromtimestamp(latest_ms / 1000, tz=UTC)
    clock = _Clock(watermark.replace(microsecond=0) + timedelta(minutes=1))
    stages = _pipeline_stages(crm_dir / "deal_pipelines.jsonl")
    changes: Changes = {}
    for path, scan in scans.items():
        rng = random.Random(f"{seed}:crm:{path.stem}")
        file_changes = _mutate_crm_file(path, scan, rng, fraction, seed, clock, stages)
        if file_changes:
            changes[path.stem] = file_changes
    return hubspot_timestamp(watermark), changes


def _mutate_crm_file(
    path: Path,
    scan: _Scan,
    rng: random.Random,
    fraction: float,
    seed: int,
    clock: _Clock,
    stages: dict[str, list[tuple[str, bool]]],
) -> dict[str, tuple[str, ...]]:
    """Update ``fraction`` of the live records, archive half as many others, and add as
    many new ones, each cloned from a live record of the file."""
    count = share_of(fraction, len(scan.live))
    if count == 0:
        return {}
    archive_count = min(max(1, count // 2), len(scan.live) - count)
    chosen = rng.sample(scan.live, count + archive_count)
    updates, archives = set(chosen[:count]), set(chosen[count:])
    templates = [rng.choice(scan.live) for _ in range(count)]
    template_lines = set(templates)
    new_ids = _new_ids(list(scan.ids.values()), count, path.stem, seed)
    originals: dict[int, dict[str, Any]] = {}

    def transform(number: int, obj: dict[str, Any]) -> dict[str, Any] | None:
        if number in template_lines:
            originals[number] = copy.deepcopy(obj)
        if number in updates:
            return _update_crm(obj, rng, clock.tick(), stages)
        if number in archives:
            return _archive_crm(obj, clock.tick())
        return None

    def created() -> list[dict[str, Any]]:
        return [
            _create_crm(originals[template], new_id, clock.tick(), stages)
            for template, new_id in zip(templates, new_ids, strict=True)
        ]

    rewrite(path, updates | archives | template_lines, transform, created)
    return {
        "created": sorted_ids(new_ids),
        "updated": sorted_ids(scan.ids[number] for number in updates),
        "archived": sorted_ids(scan.ids[number] for number in archives),
    }


def _scan_crm(path: Path) -> _Scan:
    scan = _Scan()
    for number, obj in objects(path):
        scan.ids[number] = str(obj["id"])
        if obj.get("archived") is not True:
            scan.live.append(number)
        properties = obj.get("properties") or {}
        for value in (
            properties.get("hs_lastmodifieddate"),
            properties.get("lastmodifieddate"),
            obj.get("updatedAt"),
            obj.get("archivedAt"),
        ):
            millis = epoch_ms(value) if isinstance(value, str) else None
            if millis is not None and millis > scan.latest_ms:
                scan.latest_ms = millis
    return scan


def _update_crm(
    obj: dict[str, Any],
    rng: random.Random,
    moment: datetime,
    stages: dict[str, list[tuple[str, bool]]],
) -> dict[str, Any]:
    stamp = hubspot_timestamp(moment)
    properties = obj.setdefault("properties", {})
    name, value = _property_change(properties, rng, stages)
    properties[name] = value
    changed = {name: value}
    if name == "dealstage" and _is_closed(stages, properties.get("pipeline"), value):
        properties["closedate"] = changed["closedate"] = stamp
    _touch(obj, stamp)
    histories = obj.get("propertiesWithHistory")
    if isinstance(histories, dict):
        for changed_name, changed_value in changed.items():
            if isinstance(histories.get(changed_name), list):
                histories[changed_name].insert(0, _history_entry(changed_value, stamp))
    return obj


def _property_change(
    properties: dict[str, Any], rng: random.Random, stages: dict[str, list[tuple[str, bool]]]
) -> tuple[str, str]:
    """Pick one property to change and its new value."""
    later_stages = _later_stages(stages, properties.get("pipeline"), properties.get("dealstage"))
    candidates = [
        name
        for name, value in properties.items()
        if name not in SYSTEM_PROPERTIES
        and not name.endswith("_id")
        and isinstance(value, str)
        and value
        and not _is_timestamp(value)
        and (name != "dealstage" or later_stages)
        and (name not in ENUMERATIONS or value in ENUMERATIONS[name])
    ]
    preferred = [name for name in PREFERRED_PROPERTIES if name in candidates]
    if not candidates:
        return "hs_sandbox_revision", str(rng.randrange(1, 1_000_000))
    name = rng.choice(preferred or sorted(candidates))
    old = properties[name]
    if name == "dealstage":
        return name, rng.choice(later_stages)
    if name in ENUMERATIONS:
        return name, rng.choice([value for value in ENUMERATIONS[name] if value != old])
    try:
        number = float(old)
    except ValueError:
        return name, f"{old} (updated)"
    new = number * rng.uniform(0.8, 1.25)
    text = f"{new:.2f}" if "." in old else str(round(new))
    return name, text if text != old else str(round(number) + 1)


def _archive_crm(obj: dict[str, Any], moment: datetime) -> dict[str, Any]:
    stamp = hubspot_timestamp(moment)
    obj["archived"] = True
    obj["archivedAt"] = stamp
    obj["updatedAt"] = stamp
    return obj


def _create_crm(
    template: dict[str, Any],
    new_id: str,
    moment: datetime,
    stages: dict[str, list[tuple[str, bool]]],
) -> dict[str, Any]:
    """A new record shaped like ``template``: created now, its history starting now."""
    stamp = hubspot_timestamp(moment)
    obj = copy.deepcopy(template)
    obj["id"] = new_id
    properties = obj.setdefault("properties", {})
    properties["hs_object_id"] = new_id
    properties["createdate"] = stamp
    for name in ("dealname", "name"):
        if isinstance(properties.get(name), str):
            properties[name] = f"{properties[name]} #{new_id}"
    pipeline = stages.get(properties.get("pipeline") or "")
    if pipeline and "dealstage" in properties:  # a new deal starts open, closing later
        properties["dealstage"] = next(
            (stage for stage, closed in pipeline if not closed), pipeline[0][0]
        )
        properties["closedate"] = hubspot_timestamp(moment + timedelta(days=30))
    _touch(obj, stamp)
    obj["createdAt"] = stamp
    obj["archived"] = False
    obj.pop("archivedAt", None)
    histories = obj.get("propertiesWithHistory")
    if isinstance(histories, dict):
        for name in histories:
            histories[name] = [_history_entry(properties.get(name) or "", stamp)]
    return obj


def _touch(obj: dict[str, Any], stamp: str) -> None:
    """Move the modification stamps (contacts carry ``lastmodifieddate``, others ``hs_...``)."""
    properties = obj.setdefault("properties", {})
    if "hs_lastmodifieddate" in properties or "lastmodifieddate" not in properties:
        properties["hs_lastmodifieddate"] = stamp
    if "lastmodifieddate" in properties:
        properties["lastmodifieddate"] = stamp
    obj["updatedAt"] = stamp


def _history_entry(value: str, stamp: str) -> dict[str, str]:
    return {"value": value, "timestamp": stamp, "sourceType": "CRM_UI"}


def _pipeline_stages(path: Path) -> dict[str, list[tuple[str, bool]]]:
    """Pipeline id -> its stages in display order, with whether each is closed."""
    pipelines: dict[str, list[tuple[str, bool]]] = {}
    if not path.is_file():
        return pipelines
    for _, pipeline in objects(path):
        stages = sorted(pipeline.get("stages") or [], key=lambda stage: stage["displayOrder"])
        pipelines[str(pipeline["id"])] = [
            (str(stage["id"]), (stage.get("metadata") or {}).get("isClosed") == "true")
            for stage in stages
        ]
    return pipelines


def _later_stages(
    stages: dict[str, list[tuple[str, bool]]], pipeline: Any, current: Any
) -> list[str]:
    """Stages a deal may move on to: any later one, while it is still open."""
    ordered = stages.get(str(pipeline)) or []
    position = next((i for i, (stage, _) in enumerate(ordered) if stage == current), None)
    if position is None or ordered[position][1]:
        return []
    return [stage for stage, _ in ordered[position + 1 :]]


def _is_closed(stages: dict[str, list[tuple[str, bool]]], pipeline: Any, stage: str) -> bool:
    return any(closed for stage_id, closed in stages.get(str(pipeline)) or [] if stage_id == stage)


def _new_ids(existing: list[str], count: int, object_type: str, seed: int) -> list[str]:
    numeric = [int(object_id) for object_id in existing if id_key(object_id)[0] == 0]
    if numeric:
        start = max(numeric) + 1
        return [str(start + offset) for offset in range(count)]
    taken = set(existing)
    return [
        new_id
        for offset in range(count * 2)
        if (new_id := f"{object_type}-{seed}-{offset}") not in taken
    ][:count]


def _is_timestamp(value: str) -> bool:
    return len(value) >= 10 and value[4:5] == "-" and epoch_ms(value) is not None
