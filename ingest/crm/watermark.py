"""The incremental cursor: the latest modification seen, and the ids seen at that instant.

Searches filter with GTE on the cursor (a later change in the same millisecond must not
be missed), so the ids already loaded at exactly that millisecond are kept and skipped
next time: a second run with nothing changed loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MODIFIED_PROPERTY = "hs_lastmodifieddate"


def epoch_ms(value: Any) -> int | None:
    """Epoch milliseconds of an ISO 8601 timestamp (naive means UTC); ``None`` if not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def modified_ms(obj: dict[str, Any]) -> int | None:
    properties = obj.get("properties")
    if not isinstance(properties, dict):
        return None
    return epoch_ms(properties.get(MODIFIED_PROPERTY))


def archived_ms(obj: dict[str, Any]) -> int | None:
    """When an archived object was archived (``updatedAt`` when the API omits it)."""
    return epoch_ms(obj.get("archivedAt")) or epoch_ms(obj.get("updatedAt"))


@dataclass
class Watermark:
    ms: int = -1
    ids: set[str] = field(default_factory=set)

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> Watermark:
        if not state:
            return cls()
        return cls(int(state["ms"]), set(state["ids"]))

    def to_state(self) -> dict[str, Any]:
        return {"ms": self.ms, "ids": sorted(self.ids)}

    def is_new(self, object_id: str, ms: int | None) -> bool:
        """Not loaded yet: later than the cursor, or at it but not among its ids. An object
        without a usable stamp is always new (it will land in rejects, once per run)."""
        if ms is None:
            return True
        return ms > self.ms or (ms == self.ms and object_id not in self.ids)

    def advance(self, object_id: str, ms: int | None) -> None:
        if ms is None or ms < self.ms:
            return
        if ms > self.ms:
            self.ms, self.ids = ms, set()
        self.ids.add(object_id)
