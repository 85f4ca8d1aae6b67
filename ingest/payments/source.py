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

Export mode reads the files as the current state: no cursor, no events applied.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns
from dlt.sources import DltResource

from ingest.api import ApiSession
from ingest.crm.source import ExportNotFoundError, SourceNotConfiguredError
from ingest.exports import as_rejects, read_export
from ingest.payments.listing import complete_invoice_lines, walk
from ingest.payments.objects import BY_OBJECT_NAME, INVOICES, STRIPE_TYPES, StripeType
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
        for batch in read_export(path, kind.declaration):
            if batch.rows.num_rows:
                loaded = True
                yield _with_table_hints(finish(batch.rows, kind), kind)
            if batch.rejects.num_rows:
                yield as_rejects(batch.rejects)
        if not loaded:
            yield _empty_table(kind)

    return dlt.resource(read, name=kind.table, primary_key="id", write_disposition="merge")


def _export_file(export_dir: Path | None, kind: StripeType) -> Path:
    if export_dir is None:
        raise SourceNotConfiguredError(
            "The payments source is not configured: set SALES_TRACKER_PAYMENTS_EXPORT to a "
            "folder of Stripe JSON Lines files, or SALES_TRACKER_STRIPE_KEY for the API"
        )
    if not Path(export_dir).is_dir():
        raise ExportNotFoundError(
            f"Payments export folder {export_dir} does not exist: set "
            "SALES_TRACKER_PAYMENTS_EXPORT to a folder of Stripe JSON Lines files"
        )
    path = Path(export_dir) / kind.declaration.file_name
    if not path.is_file():
        raise ExportNotFoundError(
            f"Payments export file {path} is missing (expected one JSON Lines file per "
            "Stripe object type)"
        )
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

    def add(self, obj: Any, rank: int | None = None, event_id: str | None = None) -> None:
        if not isinstance(obj, dict):
            self.rejects.append(api_reject(self.kind, obj, "expected a JSON object"))
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
        """Upsert the object each new event carries into the object's table."""
        # An export already holds every object's latest state; and only event rows count
        # (the events resource also yields its rejects and empty-table markers).
        if api is None or not isinstance(events, pa.Table) or "data" not in events.column_names:
            return
        session = ApiSession(SYSTEM, api, timeout_seconds=timeout_seconds)
        batches: dict[str, _Batch] = {}
        created = pc.divide(events["created"].cast(pa.int64()), 1_000_000).to_pylist()
        for event_id, kind_name, moment, data in zip(
            events["id"].to_pylist(),
            events["type"].to_pylist(),
            created,
            events["data"].to_pylist(),
            strict=True,
        ):
            snapshot = json.loads(data).get("object")
            kind = BY_OBJECT_NAME.get(snapshot.get("object"))
            # A deleted object's last snapshot would resurrect it: deletions are left out.
            if kind is None or (kind_name or "").endswith(".deleted"):
                continue
            if _listed_this_run(snapshot, listed_from.get(kind.table, -1)):
                continue
            if kind is INVOICES:
                snapshot = complete_invoice_lines(session, snapshot)
            batch = batches.setdefault(kind.table, _Batch(kind))
            batch.add(snapshot, rank=moment, event_id=event_id)
        for batch in batches.values():
            yield from batch.flush(0)

    return snapshots


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
