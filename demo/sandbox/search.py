"""HubSpot's CRM search: filter groups, sorts and its offset paging capped at 10,000.

The cap is the point of this module: a client that walks the search endpoint to the end
breaks on a big portal exactly as it would on HubSpot, and must slice by time instead.
Filters on indexed timestamp properties read only the index; others read the objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from demo.sandbox.responses import ApiError, hubspot_error
from demo.sandbox.store import INDEXED_PROPERTIES, Entry, ObjectIndex
from demo.sandbox.values import Typed, id_key, typed_value

SEARCH_RESULT_CAP = 10_000
SEARCH_MAX_LIMIT = 200
OPERATORS = {
    "EQ",
    "NEQ",
    "GT",
    "GTE",
    "LT",
    "LTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
}

Lookup = Callable[[Entry, str], Typed | None]


@dataclass(frozen=True)
class Filter:
    property_name: str
    operator: str
    value: Typed | None
    high_value: Typed | None
    values: tuple[Typed | None, ...]

    def matches(self, actual: Typed | None) -> bool:
        if self.operator == "HAS_PROPERTY":
            return actual is not None
        if self.operator == "NOT_HAS_PROPERTY":
            return actual is None
        if self.operator == "NEQ":
            return actual != self.value
        if self.operator == "NOT_IN":
            return actual not in self.values
        if actual is None:
            return False
        if self.operator == "IN":
            return actual in self.values
        if self.operator == "EQ":
            return actual == self.value
        if self.operator == "BETWEEN":
            if self.value is None or self.high_value is None:
                return False
            return _same_kind(actual, self.value, self.high_value) and (
                self.value <= actual <= self.high_value
            )
        if self.value is None or not _same_kind(actual, self.value):
            return False
        return {
            "GT": actual > self.value,
            "GTE": actual >= self.value,
            "LT": actual < self.value,
            "LTE": actual <= self.value,
        }[self.operator]


@dataclass(frozen=True)
class SearchQuery:
    groups: tuple[tuple[Filter, ...], ...]
    sorts: tuple[tuple[str, bool], ...]  # (property, descending)
    properties: tuple[str, ...] | None
    limit: int
    offset: int


def parse_search(body: Any) -> SearchQuery:
    """Validate a search request body as HubSpot does (400 on what it would refuse)."""
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.")
    if body.get("query"):
        raise _invalid("Free-text `query` is not supported by the sandbox: use filterGroups.")
    groups = tuple(
        tuple(_filter(raw) for raw in _list(group, "filters", "a filter group"))
        for group in _list(body, "filterGroups", "the body")
    )
    sorts = tuple(_sort(raw) for raw in _list(body, "sorts", "the body"))
    properties = body.get("properties")
    if properties is not None and not (
        isinstance(properties, list) and all(isinstance(name, str) for name in properties)
    ):
        raise _invalid("`properties` must be a list of property names.")
    limit = _integer(body.get("limit", 10), "limit")
    if not 1 <= limit <= SEARCH_MAX_LIMIT:
        raise _invalid(f"`limit` must be between 1 and {SEARCH_MAX_LIMIT}, got {limit}.")
    offset = _integer(body.get("after") or 0, "after")
    if offset < 0:
        raise _invalid("`after` must not be negative.")
    if offset >= SEARCH_RESULT_CAP:
        raise _invalid(
            f"The search endpoint cannot page past {SEARCH_RESULT_CAP} results "
            f"(after={offset}): narrow the filters, e.g. slice by hs_lastmodifieddate."
        )
    return SearchQuery(
        groups=groups,
        sorts=sorts,
        properties=tuple(properties) if properties is not None else None,
        limit=limit,
        offset=offset,
    )


def run_search(index: ObjectIndex, query: SearchQuery) -> tuple[int, list[Entry], int | None]:
    """Total matches, this page's entries and the next offset (``None`` on the last page).

    Archived objects are never searched. The page stops at the 10,000th match even when
    ``total`` is larger, and the next offset then points at the cap, which is refused.
    The sorted matches are memoized per index (a changed file gets a new index), so that
    paging through one search costs one scan, not one per page.
    """
    matches = index.memo(("search", query.groups, query.sorts), lambda: _matching(index, query))
    end = min(query.offset + query.limit, SEARCH_RESULT_CAP, len(matches))
    page = matches[query.offset : end]
    next_offset = end if end < len(matches) else None
    return len(matches), page, next_offset


def _matching(index: ObjectIndex, query: SearchQuery) -> list[Entry]:
    """Every live entry the filters match, in the order of the sorts.

    Properties outside the index are read from the file, once per object, and kept only
    for the matches (the sort needs them).
    """
    names = {item.property_name for group in query.groups for item in group}
    names |= {name for name, _ in query.sorts}
    unindexed = sorted(names - {*INDEXED_PROPERTIES, "hs_object_id", "id"})
    values: dict[str, dict[str, Typed | None]] = {}

    def lookup(entry: Entry, name: str) -> Typed | None:
        if name in ("hs_object_id", "id"):
            return typed_value(entry.id)
        if name in INDEXED_PROPERTIES:
            return entry.indexed[INDEXED_PROPERTIES.index(name)]
        return values[entry.id][name]

    matches = []
    for entry in index.live:
        if unindexed:
            properties = index.read(entry).get("properties") or {}
            values[entry.id] = {name: typed_value(properties.get(name)) for name in unindexed}
        if _matches(entry, query.groups, lookup):
            matches.append(entry)
        elif unindexed:
            del values[entry.id]
    return _sorted(matches, query.sorts, lookup)


def _matches(entry: Entry, groups: tuple[tuple[Filter, ...], ...], lookup: Lookup) -> bool:
    """Groups are ORed, the filters of a group ANDed; no groups match everything."""
    if not groups:
        return True
    return any(
        all(item.matches(lookup(entry, item.property_name)) for item in group) for group in groups
    )


def _sorted(entries: list[Entry], sorts: tuple[tuple[str, bool], ...], lookup: Lookup):
    """Stable sorts from the last key to the first, ties broken by id; missing values last."""
    entries = sorted(entries, key=lambda entry: id_key(entry.id))
    for name, descending in reversed(sorts):

        def key(entry: Entry, name: str = name, descending: bool = descending) -> tuple:
            value = lookup(entry, name)
            present = value is not None
            return (present if descending else not present, value or (0, 0.0))

        entries.sort(key=key, reverse=descending)
    return entries


def _same_kind(*values: Typed) -> bool:
    return len({value[0] for value in values}) == 1


def _filter(raw: Any) -> Filter:
    if not isinstance(raw, dict) or not isinstance(raw.get("propertyName"), str):
        raise _invalid("Each filter needs a propertyName.")
    operator = raw.get("operator", "EQ")
    if operator not in OPERATORS:
        raise _invalid(f"Unsupported filter operator {operator!r}.")
    values = raw.get("values") or []
    if not isinstance(values, list):
        raise _invalid("A filter's `values` must be a list.")
    return Filter(
        property_name=raw["propertyName"],
        operator=operator,
        value=typed_value(raw.get("value")),
        high_value=typed_value(raw.get("highValue")),
        values=tuple(typed_value(value) for value in values),
    )


def _sort(raw: Any) -> tuple[str, bool]:
    if isinstance(raw, str):  # the older form: "-hs_lastmodifieddate"
        return raw.lstrip("-"), raw.startswith("-")
    if not isinstance(raw, dict) or not isinstance(raw.get("propertyName"), str):
        raise _invalid("Each sort needs a propertyName.")
    direction = raw.get("direction", "ASCENDING")
    if direction not in ("ASCENDING", "DESCENDING"):
        raise _invalid(f"Sort direction must be ASCENDING or DESCENDING, got {direction!r}.")
    return raw["propertyName"], direction == "DESCENDING"


def _list(container: dict[str, Any], name: str, where: str) -> list[Any]:
    value = container.get(name) if isinstance(container, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(f"`{name}` in {where} must be a list.")
    return value


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _invalid(f"`{name}` must be an integer.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(f"`{name}` must be an integer, got {value!r}.") from None


def _invalid(message: str) -> ApiError:
    return ApiError(hubspot_error(400, message))
