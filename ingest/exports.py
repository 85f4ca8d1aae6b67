"""Read a system's own JSON Lines export into Arrow batches, quarantining bad lines.

Each line is one object exactly as the system's API returns it. Top-level scalars
become typed columns; nested objects and arrays stay JSON text, parsed by dbt staging
(bulk rows must reach dlt as Arrow: row-wise dicts are ~50x slower, see stack notes).
A line that cannot be used becomes a reject row carrying its reason and raw payload,
so nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import dlt
import orjson
import pyarrow as pa

from ingest.limits import DEFAULT_LIMITS, RecordLimits, cut

Validator = Callable[[dict[str, Any]], str | None]
# Types one present (non-null) value: the value, or None and the reason it is unusable.
Coercer = Callable[[Any], tuple[Any, str | None]]

TIMESTAMP = pa.timestamp("us", tz="UTC")
REJECTS_TABLE = "rejects"
REJECTS_SCHEMA = pa.schema(
    [
        pa.field("reject_id", pa.string(), nullable=False),
        ("object_type", pa.string()),
        ("source_file", pa.string()),
        ("line_number", pa.int64()),
        ("reason", pa.string()),
        ("payload", pa.string()),
    ]
)

# Every source writes its quarantined records to `rejects`, upserted on the reject id.
REJECTS_HINTS = dlt.mark.make_hints(
    table_name=REJECTS_TABLE, primary_key="reject_id", write_disposition="merge"
)


def as_rejects(rejects: pa.Table) -> Any:
    """Route a batch of rejects to the ``rejects`` table from any resource.

    A table variant: plain ``with_hints`` would re-point the resource itself at
    ``rejects``, and its next batch of good rows would land there too.
    """
    return dlt.mark.with_hints(rejects, REJECTS_HINTS, create_table_variant=True)


@dataclass(frozen=True)
class ObjectType:
    """How one object type of an export maps to a raw table."""

    name: str
    file_name: str
    scalar_columns: dict[str, pa.DataType]
    json_columns: tuple[str, ...] = ()
    validators: tuple[Validator, ...] = field(default=())

    @cached_property
    def declared(self) -> frozenset[str]:
        return frozenset({"id", *self.scalar_columns, *self.json_columns})

    @cached_property
    def coercers(self) -> tuple[tuple[str, Coercer], ...]:
        """Each scalar column with the function that types its values (chosen once: this
        runs for every field of every record)."""
        return tuple((name, _coercer(dtype)) for name, dtype in self.scalar_columns.items())

    @property
    def schema(self) -> pa.Schema:
        fields = [pa.field("id", pa.string(), nullable=False)]
        fields += [pa.field(name, dtype) for name, dtype in self.scalar_columns.items()]
        fields += [pa.field(name, pa.string()) for name in self.json_columns]
        return pa.schema(fields)


@dataclass
class ExportBatch:
    """One slice of an export: good rows as an Arrow table, and the rejects beside them."""

    rows: pa.Table
    rejects: pa.Table


def read_export(
    path: Path,
    object_type: ObjectType,
    batch_size: int = 50_000,
    batch_bytes: int = 32 * 1024 * 1024,
    limits: RecordLimits = DEFAULT_LIMITS,
) -> Iterator[ExportBatch]:
    """Yield the objects of one JSON Lines export file in batches of at most ``batch_size``
    lines or about ``batch_bytes`` of text, whichever comes first: large objects (events
    carrying whole snapshots) would otherwise make memory grow with the line count. A line
    over ``limits`` is a reject; one over the record limit is never held whole."""
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    seen = Counter[str]()
    pending_bytes = 0
    with path.open("rb") as stream:
        for line_number, (raw, size) in enumerate(_lines(stream, limits.record_bytes), 1):
            line = raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
            if not line.strip():
                continue
            reason = limits.record_problem(size)
            row: dict[str, Any] = {}
            if reason is None:
                row, reason = _parse_line(line, object_type, limits, size)
            if reason is None:
                rows.append(row)
            else:
                payload = cut(line, reason)
                occurrence = seen[payload]
                seen[payload] += 1
                rejects.append(
                    reject_row(object_type.name, path, line_number, reason, payload, occurrence)
                )
            pending_bytes += len(line)
            if len(rows) + len(rejects) >= batch_size or pending_bytes >= batch_bytes:
                yield to_batch(rows, rejects, object_type)
                rows, rejects, pending_bytes = [], [], 0
    if rows or rejects:
        yield to_batch(rows, rejects, object_type)


def _lines(stream: BinaryIO, max_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Each line with its size in bytes (without its line end). A line over ``max_bytes``
    comes cut: the rest of it is skipped a block at a time, never held whole."""
    while line := stream.readline(max_bytes + 2):
        ended = line.endswith(b"\n")
        size = len(line) - ended
        while not ended and size > max_bytes:
            rest = stream.readline(1024 * 1024)
            ended = not rest or rest.endswith(b"\n")
            size += len(rest) - rest.endswith(b"\n")
        yield line, size


def _parse_line(
    line: str, object_type: ObjectType, limits: RecordLimits, size: int
) -> tuple[dict[str, Any], str | None]:
    try:
        obj = orjson.loads(line)
    except json.JSONDecodeError as error:
        return {}, f"not valid JSON: {error.msg} at column {error.colno}"
    return parse_object(obj, object_type, limits, size)


def parse_object(
    obj: Any,
    object_type: ObjectType,
    limits: RecordLimits = DEFAULT_LIMITS,
    size: int | None = None,
) -> tuple[dict[str, Any], str | None]:
    """The row of one decoded object (an export line or an API result), or the reason it
    cannot be used: one parser, so both paths type, validate, size and reject alike.
    ``size`` is the object's size as text (its line), measured here when not given."""
    too_large = limits.problem(obj, record_size(obj) if size is None else size)
    if too_large:
        return {}, too_large
    if not isinstance(obj, dict):
        return {}, f"expected a JSON object, got {type(obj).__name__}"
    object_id = obj.get("id")
    if isinstance(object_id, int) and not isinstance(object_id, bool):
        object_id = str(object_id)
    if not isinstance(object_id, str) or not object_id.strip():
        return {}, "missing id"
    row: dict[str, Any] = {"id": object_id.strip()}
    for name, coerce in object_type.coercers:
        value = obj.get(name)
        if value is not None:
            value, reason = coerce(value)
            if reason:
                return {}, f"{name}: {reason}"
        row[name] = value
    for name in object_type.json_columns:
        value = obj.get(name)
        row[name] = None if value is None else _json_text(value)
    for validate in object_type.validators:
        reason = validate(obj)
        if reason:
            return {}, reason
    # Fields the declaration does not know yet still land, as new columns (see _batch).
    for name in obj.keys() - object_type.declared:
        row[name] = obj[name]
    return row, None


def record_size(obj: Any) -> int:
    """An API object's size: the bytes of its compact JSON."""
    try:
        return len(orjson.dumps(obj))
    except TypeError:  # orjson refuses integers beyond 64 bits, which JSON allows
        return len(json.dumps(obj, separators=(",", ":")).encode())


def _coercer(dtype: pa.DataType) -> Coercer:
    if pa.types.is_timestamp(dtype):
        return _timestamp
    if pa.types.is_boolean(dtype):
        return _boolean
    if pa.types.is_integer(dtype):
        return _integer
    return _text


def _timestamp(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"expected an ISO 8601 timestamp, got {value!r}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None, f"expected an ISO 8601 timestamp, got {value!r}"
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), None


def _boolean(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, None
    return None, f"expected true or false, got {value!r}"


def _integer(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, None
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value), None
    return None, f"expected an integer, got {value!r}"


def _text(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, dict | list):
        return None, f"expected a scalar, got {type(value).__name__}"
    return str(value), None


def reject_row(
    object_type: str,
    path: Path,
    line_number: int,
    reason: str,
    line: str,
    occurrence: int = 0,
) -> dict[str, Any]:
    """A quarantined record. Same object type, file and payload -> same id, so a re-run
    upserts instead of duplicating; ``occurrence`` (the how-many-th time this payload
    appears in the file, from 0) keeps identical bad lines apart, so none is lost."""
    payload = line.rstrip("\n")
    key = f"{object_type}\0{path.name}\0{payload}"
    if occurrence:
        key += f"\0{occurrence}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape"))
    return {
        "reject_id": digest.hexdigest()[:32],
        "object_type": object_type,
        "source_file": path.name,
        "line_number": line_number,
        "reason": reason,
        "payload": payload.encode("utf-8", "replace").decode("utf-8"),
    }


def api_batch(
    objects: Iterable[dict[str, Any]],
    object_type: ObjectType,
    endpoint: str,
    limits: RecordLimits = DEFAULT_LIMITS,
) -> ExportBatch:
    """Rows and rejects of objects an API endpoint returned (``endpoint``, e.g.
    ``GET /v1/invoices``, stands in for the file; there is no line number)."""
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    for obj in objects:
        row, reason = parse_object(obj, object_type, limits)
        if reason is None:
            rows.append(row)
        else:
            rejects.append(api_reject(object_type.name, endpoint, reason, obj))
    return to_batch(rows, rejects, object_type)


def api_reject(object_type: str, endpoint: str, reason: str, obj: Any) -> dict[str, Any]:
    """A reject for an API object: the same payload gets the same id on every run."""
    payload = cut(json.dumps(obj, ensure_ascii=False), reason)
    row = reject_row(object_type, Path(endpoint), 0, reason, payload)
    return {**row, "source_file": endpoint, "line_number": None}


def to_batch(
    rows: list[dict[str, Any]], rejects: list[dict[str, Any]], object_type: ObjectType
) -> ExportBatch:
    """Parsed rows and rejects as Arrow tables; undeclared fields become typed columns."""
    schema = object_type.schema
    undeclared = sorted({name for row in rows for name in row} - object_type.declared)
    for name in undeclared:
        values = [row.get(name) for row in rows]
        if all(value is None for value in values):
            # No type to tell yet: a later batch with values brings the column.
            for row in rows:
                row.pop(name, None)
            continue
        dtype = _inferred_type(values)
        if dtype == pa.string():
            for row, value in zip(rows, values, strict=True):
                row[name] = _as_text(value)
        schema = schema.append(pa.field(name, dtype))
    return ExportBatch(
        rows=pa.Table.from_pylist(rows, schema=schema),
        rejects=pa.Table.from_pylist(rejects, schema=REJECTS_SCHEMA),
    )


def _inferred_type(values: list[Any]) -> pa.DataType:
    """The Arrow type of an undeclared field: its values' one scalar type, else text (JSON
    for nested values). A type that differs from an earlier load's fails that load under
    the pipeline's schema contract: a change is reported, never coerced."""
    kinds = {type(value) for value in values if value is not None}
    if kinds == {bool}:
        return pa.bool_()
    if kinds == {int}:
        return pa.int64()
    if kinds <= {int, float}:
        return pa.float64()
    return pa.string()


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return _json_text(value)


def _json_text(value: Any) -> str:
    """Nested values as compact JSON text (orjson: the parse and the dump of nested
    payloads were most of an export's load time)."""
    return orjson.dumps(value).decode()
