"""Events -> object snapshots: the ``event_snapshots`` transformer over the events.

Which snapshot wins: every row carries ``_state_rank`` (``LISTED_RANK`` for a row read
from a list or an export, the event's ``created`` for an event snapshot) and the merge
keeps the highest rank per id within a load (dlt's ``dedup_sort``). So within a run a
listed object beats its event snapshots (it is the state when the run read it), and among
events the newest wins; across runs the later load wins, which is right because the
events cursor only moves forward: an event seen in a later run was created after (or in
the same second as) everything the earlier run read. Known gap: two events of one object
in the same second are ordered arbitrarily. Snapshots of objects this run listed anyway (all of
them on a first, full run) are skipped before parsing, since they would lose the merge.

Deletions (customers, products, prices, draft invoices: see ``objects.py``) are soft: an
``<object>.deleted`` event upserts the last state it carries with ``deleted`` true, and
the row is never removed. Deletion is terminal (Stripe never reuses an id), so the
deleted row outranks every other snapshot of the object in a load (``DELETED_RANK``, even
a listed row: the list may have been read just before the deletion), whatever the order
of events sharing a second. Across runs, no event of a deleted object comes after its
deletion, but the next run reads the events of the cursor's second again (``gte``), where
an update Stripe had not served yet could still come: the transformer's state remembers
the objects deleted in the newest second read, whose later snapshots are skipped. A
deleted object as Stripe returns it (``id``, ``object``, ``deleted: true``) carries no
state, and a row of it would null the object's last state: it is left out (counted in
the log), never rejected. A deletion event's invoice keeps the lines it carries (the
invoice's lines cannot be listed any more).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from ingest.api import ApiSession
from ingest.limits import RecordLimits
from ingest.payments.api_source import SYSTEM
from ingest.payments.listing import complete_invoice_lines
from ingest.payments.objects import BY_OBJECT_NAME, DELETED, INVOICES, StripeType
from ingest.payments.rows import Batch, log_stubs
from ingest.settings import ApiCredentials


def snapshot_reader(
    api: ApiCredentials | None, listed_from: dict[str, int | None], limits: RecordLimits
) -> Any:
    def snapshots(events: Any) -> Iterator[Any]:
        """Upsert the object each new event carries into the object's table (from an
        export, only the deletions: the files hold every live object's latest state)."""
        # Only event rows count (the events resource also yields its rejects and
        # empty-table markers).
        if not isinstance(events, pa.Table) or "data" not in events.column_names:
            return
        if api is None:  # only deletions: the other events' payloads are not even parsed
            events = events.filter(pc.fill_null(pc.ends_with(events["type"], ".deleted"), False))
        session = None if api is None else ApiSession(SYSTEM, api)
        recent = None if api is None else RecentDeletions(dlt.current.resource_state())
        batches: dict[str, Batch] = {}
        created = pc.divide(events["created"].cast(pa.int64()), 1_000_000).to_pylist()
        for event_id, event_type, moment, data in zip(
            events["id"].to_pylist(),
            events["type"].to_pylist(),
            created,
            events["data"].to_pylist(),
            strict=True,
        ):
            snapshot = json.loads(data).get("object")
            kind = BY_OBJECT_NAME.get(snapshot.get("object"))
            if kind is None:
                continue
            if kind.deletable and event_type == kind.deleted_event:
                # The object's last state, marked deleted: it outranks every other snapshot.
                snapshot = {**snapshot, DELETED: True}
                if recent is not None:
                    recent.add(kind, snapshot.get("id"), moment)
            elif (
                session is None
                # Another `.deleted` about one of our objects is no update of it.
                or (event_type or "").endswith(".deleted")
                or (recent is not None and recent.holds(kind, snapshot.get("id")))
                or _listed_this_run(snapshot, listed_from.get(kind.table, -1))
            ):
                continue
            elif kind is INVOICES:
                snapshot = complete_invoice_lines(session, snapshot)
            batch = batches.setdefault(kind.table, Batch(kind, limits))
            batch.add(snapshot, rank=moment, event_id=event_id)
        if recent is not None and created:
            recent.forget_before(max(created))
        for batch in batches.values():
            yield from batch.flush(0)
            log_stubs(batch.kind, batch.stubs, "GET /v1/events")

    return snapshots


class RecentDeletions:
    """The objects deleted in the newest second of the events read so far, kept in the
    transformer's state (``{"deleted": {table: {id: second}}, "newest_event": second}``,
    only while there are such objects): the next run reads that second again, and a
    snapshot of one of them coming then (an update sharing the deletion's second, served
    late) must not replace the deleted row. Older deletions need no memory: no event of a
    deleted object is created after its deletion."""

    def __init__(self, state: MutableMapping[str, Any]) -> None:
        self.state = state

    def add(self, kind: StripeType, object_id: Any, second: int) -> None:
        if isinstance(object_id, str):
            self.state.setdefault("deleted", {}).setdefault(kind.table, {})[object_id] = second

    def holds(self, kind: StripeType, object_id: Any) -> bool:
        return object_id in self.state.get("deleted", {}).get(kind.table, {})

    def forget_before(self, second: int) -> None:
        """Forget the deletions older than ``second`` (or than the newest event before)."""
        if not self.state.get("deleted"):
            return
        newest = max(int(self.state.get("newest_event", 0)), second)
        kept = {
            table: recent
            for table, ids in self.state["deleted"].items()
            if (recent := {key: at for key, at in ids.items() if at >= newest})
        }
        if kept:
            self.state.update(deleted=kept, newest_event=newest)
        else:
            self.state.pop("deleted", None)
            self.state.pop("newest_event", None)


def _listed_this_run(snapshot: dict[str, Any], start: int | None) -> bool:
    """Whether this run's list surely loaded the object (its row then beats any snapshot of
    the same load, see the ranks above), so that parsing its snapshots is wasted: a full
    first run skips the whole history. Not at the cursor's own second: dlt drops the rows
    of that second it had already loaded, so their updates must come from the events.
    ``start`` is -1 when the table is not listed (yet) in this run."""
    if start is None:
        return True
    created = snapshot.get("created")
    return start >= 0 and isinstance(created, int) and created > start
