"""Stripe list and retrieve endpoints over the world's ``payments/`` folder.

Lists run newest first (``created`` descending, ties by id descending) with Stripe's
cursor paging (``starting_after`` / ``ending_before`` name an object, ``has_more``) and
``created`` range filters, the two mechanisms a Stripe incremental load relies on.
Unknown parameters are refused, as Stripe does, rather than silently ignored. A deleted
object (a ``deleted: true`` stub in its file) is retrieved as that stub and never listed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from demo.formats.stripe import OBJECT_TYPES
from demo.sandbox.responses import ApiError, ApiRequest, Response, stripe_error
from demo.sandbox.store import Entry, ObjectIndex, World

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
CREATED_BOUNDS = ("created[gte]", "created[gt]", "created[lte]", "created[lt]", "created")


def handle(world: World, request: ApiRequest) -> Response:
    parts = request.path.strip("/").split("/")
    if request.method != "GET" or len(parts) not in (2, 3) or parts[1] not in OBJECT_TYPES:
        raise _unrecognized(request)
    index = world.index("payments", parts[1])
    if index is None:
        raise _unrecognized(request)
    if len(parts) == 3:
        return retrieve(index, parts[1], parts[2])
    return list_objects(index, request, parts[1])


def retrieve(index: ObjectIndex, object_type: str, object_id: str) -> Response:
    entry = index.by_id.get(object_id)
    if entry is None:
        noun = object_type.removesuffix("s").replace("_", " ")
        raise ApiError(
            stripe_error(404, f"No such {noun}: '{object_id}'", code="resource_missing", param="id")
        )
    return Response(200, index.read(entry))


def list_objects(index: ObjectIndex, request: ApiRequest, object_type: str) -> Response:
    allowed = {"limit", "starting_after", "ending_before", *CREATED_BOUNDS}
    if object_type == "events":
        allowed.add("type")
    for name in request.query:
        if name not in allowed:
            raise ApiError(stripe_error(400, f"Received unknown parameter: {name}", param=name))
    limit = _integer(request, "limit", DEFAULT_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            stripe_error(
                400,
                f"Invalid limit: must be between 1 and {MAX_LIMIT}",
                code="parameter_invalid_integer",
                param="limit",
            )
        )
    starting_after = request.param("starting_after")
    ending_before = request.param("ending_before")
    if starting_after and ending_before:
        raise ApiError(
            stripe_error(
                400,
                "You may only specify one of these parameters: ending_before, starting_after.",
            )
        )
    low, high = _created_range(index, request)
    event_type = request.param("type")

    def wanted(entry: Entry) -> bool:
        if entry.archived:  # deleted
            return False
        return event_type is None or _type_matches(entry.tag, event_type)

    if ending_before:
        cursor = _cursor(index, ending_before, "ending_before")
        low = max(low, bisect_right(index.created_keys, cursor))
        # The objects just newer than the cursor, still served newest first.
        found = _collect(index.by_created, range(low, high), wanted, limit + 1)
        page = list(reversed(found[:limit]))
    else:
        if starting_after:
            cursor = _cursor(index, starting_after, "starting_after")
            high = min(high, bisect_left(index.created_keys, cursor))
        found = _collect(index.by_created, range(high - 1, low - 1, -1), wanted, limit + 1)
        page = found[:limit]
    return Response(
        200,
        {
            "object": "list",
            "data": [index.read(entry) for entry in page],
            "has_more": len(found) > limit,
            "url": f"/v1/{object_type}",
        },
    )


def _collect(entries: list[Entry], positions: range, wanted: Any, count: int) -> list[Entry]:
    found: list[Entry] = []
    for position in positions:
        entry = entries[position]
        if wanted(entry):
            found.append(entry)
            if len(found) == count:
                break
    return found


def _created_range(index: ObjectIndex, request: ApiRequest) -> tuple[int, int]:
    """Positions ``[low, high)`` of the ascending (created, id) order within the filters."""
    keys = index.created_keys
    low, high = 0, len(keys)
    bounds = {name: _integer(request, name, None) for name in CREATED_BOUNDS}
    if bounds["created"] is not None:
        bounds["created[gte]"] = bounds["created[lte]"] = bounds["created"]
    if bounds["created[gte]"] is not None:
        low = max(low, bisect_left(keys, (bounds["created[gte]"], "")))
    if bounds["created[gt]"] is not None:
        low = max(low, bisect_left(keys, (bounds["created[gt]"] + 1, "")))
    if bounds["created[lte]"] is not None:
        high = min(high, bisect_left(keys, (bounds["created[lte]"] + 1, "")))
    if bounds["created[lt]"] is not None:
        high = min(high, bisect_left(keys, (bounds["created[lt]"], "")))
    return low, max(low, high)


def _cursor(index: ObjectIndex, object_id: str, param: str) -> tuple[int, str]:
    entry = index.by_id.get(object_id)
    if entry is None:
        raise ApiError(
            stripe_error(
                404,
                f"No such object: '{object_id}'",
                code="resource_missing",
                param=param,
            )
        )
    return (entry.created, entry.id)


def _type_matches(actual: str | None, wanted: str) -> bool:
    """Stripe's event type filter, with its trailing ``*`` wildcard (``invoice.*``)."""
    if actual is None:
        return False
    if wanted.endswith("*"):
        return actual.startswith(wanted[:-1])
    return actual == wanted


def _integer(request: ApiRequest, name: str, default: int | None) -> int | None:
    raw = request.param(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(
            stripe_error(
                400,
                f"Invalid integer: {raw}",
                code="parameter_invalid_integer",
                param=name,
            )
        ) from None


def _unrecognized(request: ApiRequest) -> ApiError:
    return ApiError(
        stripe_error(
            404,
            f"Unrecognized request URL ({request.method}: {request.path}). This sandbox world "
            "serves only the object types it has files for.",
        )
    )
