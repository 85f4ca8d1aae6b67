"""dlt source for Stripe payments: from a JSON Lines export folder or from the live API.

One resource per object type, merged on ``id``, rows handed to dlt as Arrow tables.

API mode, incremental on ``created``: each list is asked for ``created[gte]`` the last
cursor (dlt's ``incremental`` keeps it, and drops the rows of the cursor's second it
already loaded; ``gte`` rather than ``gt`` so that objects sharing that second with the
last loaded one are not lost). Stripe never moves ``created``, so an update to an older
object (an invoice paid, a charge refunded) is only seen in the events feed: the
``event_snapshots`` transformer takes each new event (the ``events`` resource, itself
incremental on ``created``) whose ``data.object`` is one of our types and upserts that
snapshot into the object's table.

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

Export mode reads the files as the current state: no cursor, and of the events only the
deletions are applied (a deleted object is missing from its file, or a stub).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, MutableMapping
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns
from dlt.sources import DltResource

from ingest.api import ApiSession
from ingest.errors import PAYMENTS_EXPORT, ExportNotFoundError, SourceNotConfiguredError
from ingest.exports import as_rejects, read_export
from ingest.payments.listing import complete_invoice_lines, walk
from ingest.payments.objects import (
    BY_OBJECT_NAME,
    DELETED,
    INVOICES,
    STRIPE_TYPES,
    StripeType,
    is_deleted_stub,
)
from ingest.payments.rows import (
    API_REJECTS_HINTS,
    api_reject,
    finish,
    parse_object,
    rows_table,
    table_hints,
)
from ingest.settings import ApiCredentials

PAYMENTS_TABLES: tuple[str, ...] = tuple(kind.table for kind in STRIPE_TYPES)
# Rows per Arrow table handed to dlt from the API (pages hold 100).
API_BATCH_ROWS = 5_000
SYSTEM = "Stripe"

log = logging.getLogger(__name__)


@dlt.source(name="payments", max_table_nesting=0)
def payments_source(
    export_dir: Path | None = None,
    api: ApiCredentials | None = None,
    timeout_seconds: float = 30.0,
) -> list[DltResource]:
    """The export folder when given, else the API; checked when data is read, so that the
    resources can be described (Dagster's asset graph) before anything is configured."""
    # Per table, the `created` from which this run lists objects (None: all of them).
    listed_from: dict[str, int | None] = {}
    if export_dir is None and api is not None:
        resources = [
            _api_resource(kind, api, timeout_seconds, listed_from) for kind in STRIPE_TYPES
        ]
    else:
        resources = [_export_resource(kind, export_dir) for kind in STRIPE_TYPES]
    events = resources[-1]
    live = api if export_dir is None else None
    snapshots = dlt.transformer(
        _snapshot_reader(live, timeout_seconds, listed_from),
        data_from=events,
        name="event_snapshots",
    )
    return [*resources, snapshots]


# --- export -------------------------------------------------------------------------------


def _export_resource(kind: StripeType, export_dir: Path | None) -> DltResource:
    def read() -> Iterator[Any]:
        path = _export_file(export_dir, kind)
        loaded = False
        stubs = 0
        for batch in read_export(path, kind.declaration):
            rows, skipped = _without_deleted_stubs(batch.rows, kind)
            stubs += skipped
            if rows.num_rows:
                loaded = True
                yield _with_table_hints(finish(rows, kind), kind)
            if batch.rejects.num_rows:
                yield as_rejects(batch.rejects)
        if not loaded:
            yield _empty_table(kind)
        _log_stubs(kind, stubs, path.name)

    return dlt.resource(read, name=kind.table, primary_key="id", write_disposition="merge")


def _without_deleted_stubs(rows: pa.Table, kind: StripeType) -> tuple[pa.Table, int]:
    """The rows without deleted stubs (see ``objects.is_deleted_stub``), and their count."""
    if not kind.deletable or not rows.num_rows:
        return rows, 0
    stub = pc.and_(pc.fill_null(rows[DELETED], False), pc.is_null(rows["created"]))
    count = pc.sum(stub.cast(pa.int64())).as_py() or 0
    return (rows.filter(pc.invert(stub)), count) if count else (rows, 0)


def _log_stubs(kind: StripeType, count: int, where: str) -> None:
    if count:
        log.info(
            "%s: %d deleted %s objects without their last state left out (their %s "
            "event carries it)",
            where,
            count,
            kind.object_name,
            kind.deleted_event,
        )


def _export_file(export_dir: Path | None, kind: StripeType) -> Path:
    if export_dir is None:
        raise SourceNotConfiguredError.neither(
            "payments", PAYMENTS_EXPORT, "SALES_TRACKER_STRIPE_KEY to read the Stripe API"
        )
    if not Path(export_dir).is_dir():
        raise ExportNotFoundError.no_folder("Payments export", export_dir, PAYMENTS_EXPORT)
    path = Path(export_dir) / kind.declaration.file_name
    if not path.is_file():
        raise ExportNotFoundError.no_file("Payments export", path, kind.table, PAYMENTS_EXPORT)
    return path


# --- API ----------------------------------------------------------------------------------


def _api_resource(
    kind: StripeType,
    api: ApiCredentials,
    timeout_seconds: float,
    listed_from: dict[str, int | None],
) -> DltResource:
    def read(
        # dlt binds the cursor through this default (its documented idiom).
        created: dlt.sources.incremental[Any] = dlt.sources.incremental(  # noqa: B008
            "created",
            # Rejects (dicts without `created`) pass through to their own table.
            on_cursor_value_missing="include",
        ),
    ) -> Iterator[Any]:
        session = ApiSession(SYSTEM, api, timeout_seconds=timeout_seconds)
        params: dict[str, Any] = {}
        start = None if created.start_value is None else _unix_seconds(created.start_value)
        if start is not None:
            params["created[gte]"] = start
        listed_from[kind.table] = start
        batch = _Batch(kind)
        for page in walk(session, kind.path, params):
            for obj in page:
                if kind is INVOICES and isinstance(obj, dict):
                    obj = complete_invoice_lines(session, obj)
                batch.add(obj)
            yield from batch.flush(API_BATCH_ROWS)
        yield from batch.flush(0)
        if created.start_value is None and not batch.loaded:
            yield _empty_table(kind)
        _log_stubs(kind, batch.stubs, f"GET {kind.path}")

    return dlt.resource(read, name=kind.table, primary_key="id", write_disposition="merge")


def _empty_table(kind: StripeType) -> Any:
    """An object type without objects still gets its table: staging selects from it."""
    columns = py_arrow_to_table_schema_columns(
        finish(kind.declaration.schema.empty_table(), kind).schema
    )
    return dlt.mark.with_hints(
        dlt.mark.materialize_table_schema(),
        dlt.mark.make_hints(table_name=kind.table, columns=columns),
        create_table_variant=True,
    )


def _with_table_hints(table: pa.Table, kind: StripeType) -> Any:
    """Rows with their table's hints (the snapshot columns' ``dedup_sort`` included), as
    a table variant: hints set on the resource itself would reach ``rejects`` too."""
    return dlt.mark.with_hints(table, table_hints(kind), create_table_variant=True)


class _Batch:
    """Rows of one object type waiting to become an Arrow table, and their rejects."""

    def __init__(self, kind: StripeType) -> None:
        self.kind = kind
        self.rows: list[dict[str, Any]] = []
        self.ranks: list[int] = []
        self.event_ids: list[str | None] = []
        self.rejects: list[dict[str, Any]] = []
        self.loaded = False
        self.stubs = 0  # deleted stubs left out

    def add(self, obj: Any, rank: int | None = None, event_id: str | None = None) -> None:
        if not isinstance(obj, dict):
            self.rejects.append(api_reject(self.kind, obj, "expected a JSON object"))
            return
        if self.kind.deletable and is_deleted_stub(obj):
            self.stubs += 1
            return
        row, reason = parse_object(obj, self.kind)
        if reason is not None:
            self.rejects.append(api_reject(self.kind, obj, reason))
            return
        self.rows.append(row)
        if rank is not None:
            self.ranks.append(rank)
            self.event_ids.append(event_id)

    def flush(self, at_least: int) -> Iterator[Any]:
        """The rows as one finished table once there are ``at_least`` of them; rejects as
        dicts (they have no ``created``, which the incremental lets through as dicts)."""
        if self.rejects:
            yield dlt.mark.with_hints(self.rejects, API_REJECTS_HINTS, create_table_variant=True)
            self.rejects = []
        if self.rows and len(self.rows) >= at_least:
            ranks = self.ranks if self.ranks else None
            events = self.event_ids if self.ranks else None
            table = finish(rows_table(self.rows, self.kind), self.kind, ranks, events)
            self.loaded = True
            yield _with_table_hints(table, self.kind)
            self.rows, self.ranks, self.event_ids = [], [], []


def _unix_seconds(value: Any) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)


# --- events -> object snapshots -----------------------------------------------------------


def _snapshot_reader(
    api: ApiCredentials | None, timeout_seconds: float, listed_from: dict[str, int | None]
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
        session = None if api is None else ApiSession(SYSTEM, api, timeout_seconds=timeout_seconds)
        recent = None if api is None else _RecentDeletions(dlt.current.resource_state())
        batches: dict[str, _Batch] = {}
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
            batch = batches.setdefault(kind.table, _Batch(kind))
            batch.add(snapshot, rank=moment, event_id=event_id)
        if recent is not None and created:
            recent.forget_before(max(created))
        for batch in batches.values():
            yield from batch.flush(0)
            _log_stubs(batch.kind, batch.stubs, "GET /v1/events")

    return snapshots


class _RecentDeletions:
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
