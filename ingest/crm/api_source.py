"""CRM resources read from the HubSpot API: a full load first, then only what changed.

Objects: the first run lists every live and archived object; later runs search for
objects modified since the cursor (``hs_lastmodifieddate``), read them whole by id, and
list the archived ones to pick those archived since. Archived objects are loaded as they
are (``archived`` true, ``archivedAt``): soft deletes, never removed from the table.
Owners, pipelines and call dispositions are small lookups read whole each run, and
loaded only when their content changed.

The cursors live in dlt's resource state, saved with the load package: a run that fails
before its load completes leaves them where they were, and the re-run reloads the same
objects, which the merge on ``id`` makes harmless. The resources are read in parallel
threads, where dlt cannot tell which resource asks for its state: each names itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import dlt

from ingest.api import ApiSession
from ingest.crm import hubspot
from ingest.crm.catalog import CrmType
from ingest.crm.watermark import Watermark, archived_ms, modified_ms
from ingest.exports import ExportBatch, api_batch, as_rejects
from ingest.limits import RecordLimits

log = logging.getLogger(__name__)

SessionFactory = Callable[[], ApiSession]
LOOKUP_PATHS = {
    "owners": "/crm/v3/owners",
    "pipelines": "/crm/v3/pipelines/deals",
    "dispositions": "/calling/v1/dispositions",
}


def read_api(crm: CrmType, session: SessionFactory, limits: RecordLimits) -> Iterator[Any]:
    """The items of one resource: Arrow rows, rejects, or nothing when nothing changed."""
    if crm.endpoint == "objects":
        return _objects(crm, session(), limits)
    return _lookup(crm, session(), limits)


def _objects(crm: CrmType, session: ApiSession, limits: RecordLimits) -> Iterator[Any]:
    state = dlt.current.resource_state(crm.name)
    live = Watermark.from_state(state.get("live"))
    archived = Watermark.from_state(state.get("archived"))
    first_run = "live" not in state
    if first_run:
        for page in hubspot.list_objects(session, crm, archived=False):
            _advance(live, page, modified_ms)
            yield from _items(page, crm, limits)
    else:
        for page in hubspot.search_modified(session, crm, live):
            # The search returns properties only: histories and associations are read by id.
            if crm.history:
                objects = hubspot.read_objects(session, crm, [str(o["id"]) for o in page])
            else:
                objects = page
                hubspot.attach_associations(session, crm, objects)
            _advance(live, page, modified_ms)
            yield from _items(objects, crm, limits)
    yield from _archived(crm, session, archived, first_run, limits)
    state["live"], state["archived"] = live.to_state(), archived.to_state()


def _archived(
    crm: CrmType, session: ApiSession, seen: Watermark, first_run: bool, limits: RecordLimits
) -> Iterator[Any]:
    """Archived objects, whole on the first run; later, those archived since (the search
    never returns archived objects), found by a light list and then read whole."""
    for page in hubspot.list_objects(session, crm, archived=True, complete=first_run):
        if first_run:
            _advance(seen, page, archived_ms)
            yield from _items(page, crm, limits)
            continue
        fresh = [obj for obj in page if seen.is_new(str(obj["id"]), archived_ms(obj))]
        if not fresh:
            continue
        ids = [str(obj["id"]) for obj in fresh]
        objects = hubspot.read_objects(session, crm, ids, archived=True)
        _advance(seen, fresh, archived_ms)
        yield from _items(objects, crm, limits)


def _lookup(crm: CrmType, session: ApiSession, limits: RecordLimits) -> Iterator[Any]:
    """Owners (live and archived), deal pipelines or call dispositions, whole."""
    path = LOOKUP_PATHS[crm.endpoint]
    if crm.endpoint == "owners":
        objects = [
            owner
            for archived in ("false", "true")
            for page in hubspot.walk(session, path, {"limit": 500, "archived": archived})
            for owner in page
        ]
    elif crm.endpoint == "pipelines":
        objects = session.get_json(path).get("results") or []
    else:
        objects = list(session.get_json(path))  # a bare JSON array (legacy v1 endpoint)
    state = dlt.current.resource_state(crm.name)
    digest = hashlib.sha256(json.dumps(objects, sort_keys=True).encode()).hexdigest()
    if state.get("digest") == digest:
        log.info("%s: unchanged since the last run", crm.name)
        return
    yield from _items(objects, crm, limits)
    state["digest"] = digest


def _advance(watermark: Watermark, objects: list[dict[str, Any]], stamp: Callable) -> None:
    for obj in objects:
        watermark.advance(str(obj.get("id")), stamp(obj))


def _items(objects: list[dict[str, Any]], crm: CrmType, limits: RecordLimits) -> Iterator[Any]:
    if not objects:
        return
    if crm.endpoint == "objects" and not crm.history:
        # No history is asked for this type, and none is loaded: the empty history the
        # export writes for it, so that both paths load the same rows.
        for obj in objects:
            obj.setdefault("propertiesWithHistory", {})
    batch: ExportBatch = api_batch(objects, crm.object_type, f"hubspot-api:{crm.name}", limits)
    if batch.rows.num_rows:
        yield batch.rows
    if batch.rejects.num_rows:
        yield as_rejects(batch.rejects)
