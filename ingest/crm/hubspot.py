"""HubSpot CRM v3 reads: object lists, the search for changes, batch reads by id.

Every call goes through ``ApiSession`` (retries, backoff, Retry-After, auth errors).
Limits are HubSpot's: lists page at 100 objects (50 with property histories), search
at 200 and never past its 10,000th result, batch reads take 100 ids (50 with
histories).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ingest.api import ApiSession
from ingest.crm.catalog import CrmType
from ingest.crm.watermark import MODIFIED_PROPERTY, Watermark, modified_ms

LIST_LIMIT = 100
HISTORY_LIST_LIMIT = 50
SEARCH_LIMIT = 200
SEARCH_CAP = 10_000
BATCH_LIMIT = 100
HISTORY_BATCH_LIMIT = 50

Page = list[dict[str, Any]]


def walk(session: ApiSession, path: str, params: dict[str, Any]) -> Iterator[Page]:
    """Each page of a v3 list, following ``paging.next.after`` to the end."""
    after = None
    while True:
        page = session.get_json(path, {**params, "after": after} if after else params)
        yield page.get("results") or []
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return


def list_objects(
    session: ApiSession, crm: CrmType, archived: bool, complete: bool = True
) -> Iterator[Page]:
    """Every live (or archived) object of a type; ``complete=False`` asks only for ids and
    stamps, to find what changed before reading it whole."""
    params: dict[str, Any] = {"archived": str(archived).lower(), "limit": LIST_LIMIT}
    if not complete:
        params["properties"] = MODIFIED_PROPERTY
        return walk(session, f"/crm/v3/objects/{crm.name}", params)
    params["properties"] = ",".join(crm.properties)
    if crm.history:
        params["propertiesWithHistory"] = ",".join(crm.history)
        params["limit"] = HISTORY_LIST_LIMIT
    if crm.associations:
        params["associations"] = ",".join(crm.associations)
    return walk(session, f"/crm/v3/objects/{crm.name}", params)


def read_objects(
    session: ApiSession, crm: CrmType, ids: Sequence[str], archived: bool = False
) -> Page:
    """The objects with these ids, whole: properties, histories and associations.

    An id the API no longer has (deleted, or archived since it was found) is left out;
    archived ones come back through the archived list.
    """
    size = HISTORY_BATCH_LIMIT if crm.history else BATCH_LIMIT
    objects: Page = []
    for start in range(0, len(ids), size):
        body: dict[str, Any] = {
            "inputs": [{"id": object_id} for object_id in ids[start : start + size]],
            "properties": list(crm.properties),
        }
        if crm.history:
            body["propertiesWithHistory"] = list(crm.history)
        path = f"/crm/v3/objects/{crm.name}/batch/read?archived={str(archived).lower()}"
        objects += session.post_json(path, body).get("results") or []
    attach_associations(session, crm, objects)
    return objects


def attach_associations(session: ApiSession, crm: CrmType, objects: Page) -> None:
    """Embed each object's associations as the list endpoint does with ``associations=``:
    ``{type: {"results": [{"id", "type"}]}}``, only the types it has."""
    if not crm.associations or not objects:
        return
    ids = [str(obj["id"]) for obj in objects]
    linked: dict[str, dict[str, Any]] = {object_id: {} for object_id in ids}
    for target in crm.associations:
        path = f"/crm/v3/associations/{crm.name}/{target}/batch/read"
        for start in range(0, len(ids), BATCH_LIMIT):
            inputs = [{"id": object_id} for object_id in ids[start : start + BATCH_LIMIT]]
            for result in session.post_json(path, {"inputs": inputs}).get("results") or []:
                others = [{"id": str(o["id"]), "type": o.get("type")} for o in result["to"]]
                linked[str(result["from"]["id"])][target] = {"results": others}
    for obj in objects:
        obj.pop("associations", None)
        if linked[str(obj["id"])]:
            obj["associations"] = linked[str(obj["id"])]


def search_modified(session: ApiSession, crm: CrmType, since: Watermark) -> Iterator[Page]:
    """Live objects modified at or after ``since`` and not already loaded, oldest first.

    The search stops at 10,000 results per query, so the time window is sliced: when a
    query is cut off, the next one starts at the last modification it returned (the ids
    seen at that instant are skipped). More than 10,000 changes in one millisecond are
    walked by id instead.
    """
    seen = Watermark(since.ms, set(since.ids))
    while True:
        start = seen.ms
        capped = yield from _fresh(_search(session, crm, _at_or_after(start)), seen)
        if not capped:
            return
        if seen.ms == start:  # the cap was reached inside one millisecond
            yield from _walk_instant(session, crm, seen)
            seen.ms, seen.ids = start + 1, set()


def _walk_instant(session: ApiSession, crm: CrmType, seen: Watermark) -> Iterator[Page]:
    instant, last_id = seen.ms, "0"
    while True:
        filters = [
            {"propertyName": MODIFIED_PROPERTY, "operator": "EQ", "value": str(instant)},
            {"propertyName": "hs_object_id", "operator": "GT", "value": last_id},
        ]
        pages = _search(session, crm, filters, sort="hs_object_id")
        capped = False
        while True:
            try:
                page = next(pages)
            except StopIteration as stop:
                capped = stop.value
                break
            if page:
                last_id = str(page[-1]["id"])
            fresh = [obj for obj in page if seen.is_new(str(obj["id"]), instant)]
            if fresh:
                yield fresh
        if not capped:
            return


def _fresh(pages: Iterator[Page], seen: Watermark):  # -> Generator[Page, None, bool]
    """Pass on the objects not loaded yet, moving ``seen``; return whether the query was
    cut off by the cap."""
    while True:
        try:
            page = next(pages)
        except StopIteration as stop:
            return bool(stop.value)
        fresh = []
        for obj in page:
            object_id, ms = str(obj["id"]), modified_ms(obj)
            if seen.is_new(object_id, ms):
                fresh.append(obj)
                seen.advance(object_id, ms)
        if fresh:
            yield fresh


def _at_or_after(ms: int) -> list[dict[str, Any]]:
    return [{"propertyName": MODIFIED_PROPERTY, "operator": "GTE", "value": str(max(ms, 0))}]


def _search(
    session: ApiSession,
    crm: CrmType,
    filters: list[dict[str, Any]],
    sort: str = MODIFIED_PROPERTY,
):  # -> Generator[Page, None, bool]
    """Each page of one search, ascending by ``sort``; returns True when the cap cut it."""
    body: dict[str, Any] = {
        "filterGroups": [{"filters": filters}],
        "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
        "properties": list(crm.properties),
        "limit": SEARCH_LIMIT,
    }
    after = 0
    while True:
        page = session.post_json(f"/crm/v3/objects/{crm.name}/search", {**body, "after": after})
        yield page.get("results") or []
        following = ((page.get("paging") or {}).get("next") or {}).get("after")
        if following is None:
            return False
        after = int(following)
        if after >= SEARCH_CAP:
            return True
