"""Stripe objects -> the Arrow rows of their raw tables, and their rejects.

Export lines and API objects go through the same parser and validators (exports.py's),
then ``finish`` gives the table its final types: unix seconds become UTC timestamps,
currency codes lower case, ``deleted`` false unless the object was deleted, and every
row says which snapshot of the object it is (``_state_rank``, ``_event_id``: see
``snapshots.py`` for how the newest one wins).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns
from dlt.extract.hints import TResourceHints

from ingest import exports
from ingest.exports import REJECTS_SCHEMA, REJECTS_TABLE
from ingest.limits import DEFAULT_LIMITS, RecordLimits
from ingest.payments.objects import DELETED, StripeType, is_deleted_stub

log = logging.getLogger(__name__)

TIMESTAMP = pa.timestamp("us", tz="UTC")
STATE_RANK = "_state_rank"
EVENT_ID = "_event_id"
# Rank of a row read from a list endpoint or an export: the object as the run found it,
# which beats any event snapshot of the same load (events have ranks in unix seconds).
LISTED_RANK = 2**62
# A deleted object's row beats every other snapshot of it: deletion is terminal (ids are
# never reused). Its rank is this plus the deletion event's ``created`` (plus 0 for an
# object listed with ``deleted: true``), far below the int64 limit.
DELETED_RANK = LISTED_RANK + 1
# Within one load, the merge keeps the row with the highest rank per id.
STATE_COLUMNS: dict[str, Any] = {
    STATE_RANK: {"data_type": "bigint", "nullable": False, "dedup_sort": "desc"},
    EVENT_ID: {"data_type": "text", "nullable": True},
}


def table_hints(kind: StripeType) -> TResourceHints:
    """The hints of an object table, for rows yielded by another resource (the events)."""
    return dlt.mark.make_hints(
        table_name=kind.table,
        primary_key="id",
        write_disposition="merge",
        columns=STATE_COLUMNS,
    )


def parse_object(
    obj: dict[str, Any], kind: StripeType, limits: RecordLimits = DEFAULT_LIMITS
) -> tuple[dict[str, Any], str | None]:
    """The row of one API object, or the reason it cannot be used.

    Exports and the API share one parser (exports.py's) and one reject payload format.
    """
    return exports.parse_object(collapse_expanded(obj, kind), kind.declaration, limits)


def collapse_expanded(obj: dict[str, Any], kind: StripeType) -> dict[str, Any]:
    """Stripe references (``customer``, ``latest_charge``, ...) are ids, or the whole object
    when expanded (older API versions and some servers expand by default): keep the id."""
    expanded = {
        name: value["id"]
        for name, dtype in kind.declaration.scalar_columns.items()
        if pa.types.is_string(dtype)
        and isinstance(value := obj.get(name), dict)
        and isinstance(value.get("id"), str)
    }
    return {**obj, **expanded} if expanded else obj


# API rejects reach dlt as dicts (see ``Batch``): their columns are typed here, so that a
# column without values in a load (line_number) is still created.
API_REJECTS_HINTS = dlt.mark.make_hints(
    table_name=REJECTS_TABLE,
    primary_key="reject_id",
    write_disposition="merge",
    columns=py_arrow_to_table_schema_columns(REJECTS_SCHEMA),
)


def api_reject(kind: StripeType, obj: Any, reason: str) -> dict[str, Any]:
    """A reject row for an object read from the API (no file: the endpoint stands in)."""
    return exports.api_reject(kind.table, f"GET {kind.path}", reason, obj)


def finish(
    table: pa.Table,
    kind: StripeType,
    ranks: list[int] | None = None,
    event_ids: list[str | None] | None = None,
) -> pa.Table:
    """Final column types, plus the snapshot columns (listed rows when not given)."""
    for name in kind.unix_columns:
        seconds = table[name]
        table = table.set_column(
            table.schema.get_field_index(name),
            pa.field(name, TIMESTAMP),
            pc.multiply_checked(seconds, 1_000_000).cast(TIMESTAMP),
        )
    for name in kind.float_columns:
        table = table.set_column(
            table.schema.get_field_index(name),
            pa.field(name, pa.float64()),
            table[name].cast(pa.float64()),
        )
    if "currency" in table.column_names:
        table = table.set_column(
            table.schema.get_field_index("currency"),
            pa.field("currency", pa.string()),
            pc.utf8_lower(table["currency"]),
        )
    rows = table.num_rows
    rank = pa.array(ranks if ranks is not None else [LISTED_RANK] * rows, pa.int64())
    if DELETED in table.column_names and pa.types.is_boolean(table[DELETED].type):
        deleted = pc.fill_null(table[DELETED], False)
        table = table.set_column(
            table.schema.get_field_index(DELETED), pa.field(DELETED, pa.bool_()), deleted
        )
        offset = rank if ranks is not None else pa.array([0] * rows, pa.int64())
        rank = pc.if_else(deleted, pc.add_checked(offset, DELETED_RANK), rank)
    event = pa.array(event_ids if event_ids is not None else [None] * rows, pa.string())
    table = table.append_column(pa.field(STATE_RANK, pa.int64(), nullable=False), rank)
    return table.append_column(pa.field(EVENT_ID, pa.string()), event)


def rows_table(rows: list[dict[str, Any]], kind: StripeType) -> pa.Table:
    """Parsed API rows as the Arrow table an export batch of them would be (exports.py's
    batching, so that both modes type undeclared fields alike)."""
    return exports.to_batch(rows, [], kind.declaration).rows


def empty_table(kind: StripeType) -> Any:
    """An object type without objects still gets its table: staging selects from it."""
    columns = py_arrow_to_table_schema_columns(
        finish(kind.declaration.schema.empty_table(), kind).schema
    )
    return dlt.mark.with_hints(
        dlt.mark.materialize_table_schema(),
        dlt.mark.make_hints(table_name=kind.table, columns=columns),
        create_table_variant=True,
    )


def with_table_hints(table: pa.Table, kind: StripeType) -> Any:
    """Rows with their table's hints (the snapshot columns' ``dedup_sort`` included), as
    a table variant: hints set on the resource itself would reach ``rejects`` too."""
    return dlt.mark.with_hints(table, table_hints(kind), create_table_variant=True)


class Batch:
    """Rows of one object type waiting to become an Arrow table, and their rejects."""

    def __init__(self, kind: StripeType, limits: RecordLimits = DEFAULT_LIMITS) -> None:
        self.kind = kind
        self.limits = limits
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
        row, reason = parse_object(obj, self.kind, self.limits)
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
            yield with_table_hints(table, self.kind)
            self.rows, self.ranks, self.event_ids = [], [], []


def log_stubs(kind: StripeType, count: int, where: str) -> None:
    if count:
        log.info(
            "%s: %d deleted %s objects without their last state left out (their %s "
            "event carries it)",
            where,
            count,
            kind.object_name,
            kind.deleted_event,
        )
