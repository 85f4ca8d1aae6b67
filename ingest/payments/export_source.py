"""Payments resources read from a folder of Stripe's JSON Lines export (one file per type).

The files are the current state: no cursor, and of the events only the deletions are
applied (see ``snapshots.py``: a deleted object is missing from its file, or a stub).
The folder is a boundary (``ingest.folders``): a file leading out of it is a reject.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources import DltResource

from ingest.errors import PAYMENTS_EXPORT, ExportNotFoundError, SourceNotConfiguredError
from ingest.exports import as_rejects, read_export
from ingest.folders import as_reject_table, outside_reject, unknown_names
from ingest.limits import RecordLimits
from ingest.payments.objects import DELETED, STRIPE_TYPES, StripeType
from ingest.payments.rows import empty_table, finish, log_stubs, with_table_hints


def export_resource(kind: StripeType, export_dir: Path | None, limits: RecordLimits) -> DltResource:
    def read() -> Iterator[Any]:
        path = _export_file(export_dir, kind)
        refused = outside_reject(kind.table, Path(path.parent), path)
        if refused is not None:
            yield as_rejects(as_reject_table([refused]))
            yield empty_table(kind)
            return
        loaded = False
        stubs = 0
        for batch in read_export(path, kind.declaration, limits=limits):
            rows, skipped = _without_deleted_stubs(batch.rows, kind)
            stubs += skipped
            if rows.num_rows:
                loaded = True
                yield with_table_hints(finish(rows, kind), kind)
            if batch.rejects.num_rows:
                yield as_rejects(batch.rejects)
        if not loaded:
            yield empty_table(kind)
        log_stubs(kind, stubs, path.name)

    return dlt.resource(read, name=kind.table, primary_key="id", write_disposition="merge")


def _without_deleted_stubs(rows: pa.Table, kind: StripeType) -> tuple[pa.Table, int]:
    """The rows without deleted stubs (see ``objects.is_deleted_stub``), and their count."""
    if not kind.deletable or not rows.num_rows:
        return rows, 0
    stub = pc.and_(pc.fill_null(rows[DELETED], False), pc.is_null(rows["created"]))
    count = pc.sum(stub.cast(pa.int64())).as_py() or 0
    return (rows.filter(pc.invert(stub)), count) if count else (rows, 0)


def _export_file(export_dir: Path | None, kind: StripeType) -> Path:
    if export_dir is None:
        raise SourceNotConfiguredError.neither(
            "payments", PAYMENTS_EXPORT, "SALES_TRACKER_STRIPE_KEY to read the Stripe API"
        )
    if not Path(export_dir).is_dir():
        raise ExportNotFoundError.no_folder("Payments export", export_dir, PAYMENTS_EXPORT)
    path = Path(export_dir) / kind.declaration.file_name
    if not path.is_file() and not path.is_symlink():
        raise ExportNotFoundError.no_file("Payments export", path, kind.table, PAYMENTS_EXPORT)
    return path


def unknown_export_files(export_dir: Path | None) -> list[str]:
    """The names in the export folder that no Stripe object type reads."""
    return unknown_names(export_dir, (kind.declaration.file_name for kind in STRIPE_TYPES))
