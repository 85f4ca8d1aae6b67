"""HubSpot CRM v3 endpoints over the world's ``crm/`` folder.

Only what the CRM connector uses, with HubSpot's limits and shapes: owners, deal
pipelines, object lists and reads with ``properties`` / ``propertiesWithHistory`` /
``associations`` / ``archived``, the search endpoint for incremental loads, and the
call dispositions lookup (a legacy v1 endpoint, still the only one HubSpot has), and the
batch reads an incremental client needs after a search: objects by id (with histories)
and their associations (v3 ``associations/<from>/<to>/batch/read``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from demo.sandbox.responses import ApiError, ApiRequest, Response, hubspot_error
from demo.sandbox.search import parse_search, run_search
from demo.sandbox.store import Entry, ObjectIndex, World

OWNERS_DEFAULT_LIMIT = 100
OWNERS_MAX_LIMIT = 500
OBJECTS_DEFAULT_LIMIT = 10
OBJECTS_MAX_LIMIT = 100
HISTORY_MAX_LIMIT = 50
BATCH_MAX_INPUTS = 100
ASSOCIATIONS_BATCH_MAX_INPUTS = 1000
# HubSpot returns these with any `properties` selection.
ALWAYS_RETURNED = ("hs_object_id", "createdate", "hs_lastmodifieddate", "lastmodifieddate")
PIPELINE_FILES = {"deals": "deal_pipelines", "tickets": "ticket_pipelines"}
DISPOSITIONS_FILE = "call_dispositions"
NOT_OBJECT_TYPES = {"owners", DISPOSITIONS_FILE, *PIPELINE_FILES.values()}


def handle(world: World, request: ApiRequest) -> Response:
    parts = request.path.strip("/").split("/")
    if parts == ["calling", "v1", "dispositions"] and request.method == "GET":
        return call_dispositions(world)
    if parts[:2] != ["crm", "v3"] or len(parts) < 3:
        raise _not_found(f"No endpoint {request.method} {request.path}.")
    resource, rest = parts[2], parts[3:]
    if request.method == "POST" and resource == "objects" and rest[1:] == ["search"]:
        return search_objects(world, request, rest[0])
    if request.method == "POST" and resource == "objects" and rest[1:] == ["batch", "read"]:
        return batch_read_objects(world, request, rest[0])
    if request.method == "POST" and resource == "associations" and rest[2:] == ["batch", "read"]:
        return batch_read_associations(world, request, rest[0], rest[1])
    if request.method != "GET":
        raise ApiError(hubspot_error(405, f"{request.method} {request.path} is not supported."))
    if resource == "owners" and len(rest) <= 1:
        return get_owner(world, request, rest[0]) if rest else list_owners(world, request)
    if resource == "pipelines" and len(rest) in (1, 2):
        return pipelines(world, rest[0], rest[1] if len(rest) == 2 else None)
    if resource == "objects" and len(rest) == 1:
        return list_objects(world, request, rest[0])
    if resource == "objects" and len(rest) == 2:
        return get_object(world, request, rest[0], rest[1])
    raise _not_found(f"No endpoint {request.method} {request.path}.")


def list_owners(world: World, request: ApiRequest) -> Response:
    index = _index(world, "owners")
    limit = _limit(request, OWNERS_DEFAULT_LIMIT, OWNERS_MAX_LIMIT)
    archived = _archived(request)
    email = request.param("email")
    if email is not None:
        entries = [
            entry
            for entry in index.id_ordered(archived)[0]
            if index.read(entry).get("email") == email
        ]
        return Response(200, {"results": [index.read(entry) for entry in entries]})
    entries = index.page_after(archived, request.param("after") or None, limit)
    return _page(request, index, entries, limit, lambda obj: obj)


def get_owner(world: World, request: ApiRequest, owner_id: str) -> Response:
    index = _index(world, "owners")
    entry = index.by_id.get(owner_id)
    if entry is None or entry.archived != _archived(request):
        raise _not_found(f"Owner {owner_id} not found.")
    return Response(200, index.read(entry))


def pipelines(world: World, object_type: str, pipeline_id: str | None) -> Response:
    file_stem = PIPELINE_FILES.get(object_type)
    index = world.index("crm", file_stem) if file_stem else None
    if index is None:
        raise _not_found(f"This sandbox world has no pipelines for {object_type!r}.")
    if pipeline_id is None:
        return Response(200, {"results": [index.read(entry) for entry in index.live]})
    entry = index.by_id.get(pipeline_id)
    if entry is None or entry.archived:
        raise _not_found(f"Pipeline {pipeline_id} not found.")
    return Response(200, index.read(entry))


def call_dispositions(world: World) -> Response:
    """The call outcome labels: a bare JSON array, as this legacy v1 endpoint returns."""
    index = _index(world, DISPOSITIONS_FILE)
    entries = sorted(index.by_id.values(), key=lambda entry: entry.offset)
    return Response(200, [index.read(entry) for entry in entries])


def list_objects(world: World, request: ApiRequest, object_type: str) -> Response:
    index = _object_index(world, object_type)
    selection = _Selection.from_query(request)
    maximum = HISTORY_MAX_LIMIT if selection.history is not None else OBJECTS_MAX_LIMIT
    limit = _limit(request, OBJECTS_DEFAULT_LIMIT, maximum)
    entries = index.page_after(_archived(request), request.param("after") or None, limit)
    return _page(request, index, entries, limit, selection.shape)


def get_object(world: World, request: ApiRequest, object_type: str, object_id: str) -> Response:
    index = _object_index(world, object_type)
    entry = index.by_id.get(object_id)
    if entry is None or entry.archived != _archived(request):
        raise _not_found("Object not found.  objectId are usually numeric.")
    return Response(200, _Selection.from_query(request).shape(index.read(entry)))


def search_objects(world: World, request: ApiRequest, object_type: str) -> Response:
    index = _object_index(world, object_type)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ApiError(hubspot_error(400, "The request body is not valid JSON.")) from None
    query = parse_search(body)
    total, entries, next_offset = run_search(index, query)
    selection = _Selection(properties=query.properties, history=None, associations=None)
    results = []
    for entry in entries:
        shaped = selection.shape(index.read(entry))
        shaped.pop("associations", None)
        results.append(shaped)
    payload: dict[str, Any] = {"total": total, "results": results}
    if next_offset is not None:
        payload["paging"] = {"next": {"after": str(next_offset)}}
    return Response(200, payload)


def batch_read_objects(world: World, request: ApiRequest, object_type: str) -> Response:
    """``POST /crm/v3/objects/<type>/batch/read``: objects by id, with the ``properties`` and
    ``propertiesWithHistory`` asked (at most 100 ids, 50 with histories; no associations,
    as on HubSpot). Unknown ids make a 207 naming them, the others are still returned."""
    index = _object_index(world, object_type)
    body = _json_body(request)
    properties = _string_list(body, "properties")
    history = _string_list(body, "propertiesWithHistory")
    ids = _input_ids(body, HISTORY_MAX_LIMIT if history else BATCH_MAX_INPUTS)
    archived = _archived(request)
    selection = _Selection(properties=properties, history=history, associations=None)
    results, missing = [], []
    for object_id in dict.fromkeys(ids):  # HubSpot answers a repeated id once
        entry = index.by_id.get(object_id)
        if entry is None or entry.archived != archived:
            missing.append(object_id)
        else:
            results.append(selection.shape(index.read(entry)))
    errors = []
    if missing:
        errors.append(
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {object_type} objects, they may be deleted "
                "or not exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
        )
    return _batch_response(results, errors)


def batch_read_associations(
    world: World, request: ApiRequest, from_type: str, to_type: str
) -> Response:
    """``POST /crm/v3/associations/<from>/<to>/batch/read``: each input's associated ids
    of ``to_type`` with the association type, as the objects embed them. An id with no
    such association (or unknown) is named in a 207's errors, as HubSpot does."""
    index = _object_index(world, from_type)
    ids = _input_ids(_json_body(request), ASSOCIATIONS_BATCH_MAX_INPUTS)
    results, unassociated = [], []
    for object_id in dict.fromkeys(ids):
        entry = index.by_id.get(object_id)
        associations = (index.read(entry).get("associations") or {}) if entry else {}
        linked = (associations.get(to_type) or {}).get("results") or []
        if not linked:
            unassociated.append(object_id)
            continue
        results.append(
            {
                "from": {"id": object_id},
                "to": [{"id": str(item["id"]), "type": item.get("type")} for item in linked],
            }
        )
    errors = [
        {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
            "message": f"No {to_type} is associated with {from_type} {object_id}.",
            "context": {"fromObjectId": [object_id]},
        }
        for object_id in unassociated
    ]
    return _batch_response(results, errors)


def _batch_response(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> Response:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    payload: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": stamp,
        "completedAt": stamp,
    }
    if errors:
        payload.update(numErrors=len(errors), errors=errors)
        return Response(207, payload)
    return Response(200, payload)


def _json_body(request: ApiRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ApiError(hubspot_error(400, "The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise ApiError(hubspot_error(400, "The request body must be a JSON object."))
    return body


def _string_list(body: dict[str, Any], name: str) -> tuple[str, ...] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiError(hubspot_error(400, f"`{name}` must be a list of property names."))
    return tuple(value)


def _input_ids(body: dict[str, Any], maximum: int) -> list[str]:
    """The ``inputs`` of a batch request (``[{"id": ...}]``), within HubSpot's limit."""
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not all(
        isinstance(item, dict) and isinstance(item.get("id"), str | int) for item in inputs
    ):
        raise ApiError(hubspot_error(400, '`inputs` must be a list of {"id": ...} objects.'))
    if len(inputs) > maximum:
        raise ApiError(
            hubspot_error(400, f"Batch requests take at most {maximum} inputs, got {len(inputs)}.")
        )
    return [str(item["id"]) for item in inputs]


class _Selection:
    """What of an object to return: the ``properties``, histories and associations asked."""

    def __init__(
        self,
        properties: tuple[str, ...] | None,
        history: tuple[str, ...] | None,
        associations: tuple[str, ...] | None,
    ) -> None:
        self.properties = properties
        self.history = history
        self.associations = associations

    @classmethod
    def from_query(cls, request: ApiRequest) -> _Selection:
        return cls(
            properties=_names(request, "properties"),
            history=_names(request, "propertiesWithHistory"),
            associations=_names(request, "associations"),
        )

    def shape(self, obj: dict[str, Any]) -> dict[str, Any]:
        properties = obj.get("properties") or {}
        if self.properties is not None:
            chosen = {name: properties.get(name) for name in self.properties}
            chosen.update(
                {name: properties[name] for name in ALWAYS_RETURNED if name in properties}
            )
            properties = chosen
        shaped: dict[str, Any] = {"id": obj.get("id"), "properties": properties}
        if self.history is not None:
            histories = obj.get("propertiesWithHistory") or {}
            shaped["propertiesWithHistory"] = {
                name: histories[name] for name in self.history if name in histories
            }
        if self.associations is not None:
            associations = obj.get("associations") or {}
            chosen_associations = {
                name: associations[name] for name in self.associations if name in associations
            }
            if chosen_associations:
                shaped["associations"] = chosen_associations
        for name in ("createdAt", "updatedAt", "archived", "archivedAt"):
            if name in obj:
                shaped[name] = obj[name]
        return shaped


def _page(
    request: ApiRequest,
    index: ObjectIndex,
    entries: list[Entry],
    limit: int,
    shape: Any,
) -> Response:
    """HubSpot's cursor page: ``paging.next.after`` is the id the next page starts at."""
    payload: dict[str, Any] = {"results": [shape(index.read(entry)) for entry in entries[:limit]]}
    if len(entries) > limit:
        after = entries[limit].id
        query = {name: values[-1] for name, values in request.query.items()}
        query.update({"after": after, "limit": str(limit)})
        link = f"{request.base_url}{request.path}?{urlencode(query)}"
        payload["paging"] = {"next": {"after": after, "link": link}}
    return Response(200, payload)


def _object_index(world: World, object_type: str) -> ObjectIndex:
    if object_type in NOT_OBJECT_TYPES:
        raise _not_found(f"Unable to infer object type from: {object_type}")
    return _index(world, object_type)


def _index(world: World, file_stem: str) -> ObjectIndex:
    index = world.index("crm", file_stem)
    if index is None:
        raise _not_found(f"This sandbox world has no {file_stem!r} (no crm/{file_stem}.jsonl).")
    return index


def _names(request: ApiRequest, name: str) -> tuple[str, ...] | None:
    """A list parameter, given comma-separated or repeated, as HubSpot accepts both."""
    values = request.query.get(name)
    if values is None:
        return None
    return tuple(part for value in values for part in value.split(",") if part)


def _limit(request: ApiRequest, default: int, maximum: int) -> int:
    """HubSpot caps an oversized ``limit`` rather than refusing it."""
    raw = request.param("limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(hubspot_error(400, f"limit must be an integer, got {raw!r}.")) from None
    if limit < 1:
        raise ApiError(hubspot_error(400, f"limit must be at least 1, got {limit}."))
    return min(limit, maximum)


def _archived(request: ApiRequest) -> bool:
    raw = (request.param("archived") or "false").lower()
    if raw not in ("true", "false"):
        raise ApiError(hubspot_error(400, f"archived must be true or false, got {raw!r}."))
    return raw == "true"


def _not_found(message: str) -> ApiError:
    return ApiError(hubspot_error(404, message))
