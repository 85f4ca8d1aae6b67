"""dlt source for the CRM, read from a folder holding the CRM's JSON Lines export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.sources import DltResource

from ingest.crm.objects import DEAL_PIPELINES, DEALS, OWNERS
from ingest.exports import REJECTS_HINTS, ObjectType, read_export

CRM_OBJECT_TYPES: tuple[ObjectType, ...] = (OWNERS, DEALS, DEAL_PIPELINES)


class ExportNotFoundError(FileNotFoundError):
    """The configured export folder or one of its files is missing."""


class SourceNotConfiguredError(RuntimeError):
    """The source was asked to run but has neither an export folder nor credentials."""


@dlt.source(name="crm", max_table_nesting=0)
def crm_source(export_dir: Path | None) -> list[DltResource]:
    """One resource per CRM object type, each merged on the object id.

    The folder is checked when data is read, not here, so that the resources can be
    described (for Dagster's asset graph) before any export exists.
    """
    return [_export_resource(export_dir, object_type) for object_type in CRM_OBJECT_TYPES]


def _export_resource(export_dir: Path | None, object_type: ObjectType) -> DltResource:
    def read() -> Iterator[Any]:
        if export_dir is None:
            raise SourceNotConfiguredError(
                "The CRM source is not configured: set SALES_TRACKER_CRM_EXPORT (or pass "
                "--crm-export) to a folder of HubSpot JSON Lines files"
            )
        if not Path(export_dir).is_dir():
            raise ExportNotFoundError(
                f"CRM export folder {export_dir} does not exist: set SALES_TRACKER_CRM_EXPORT "
                "(or --crm-export) to a folder of HubSpot JSON Lines files"
            )
        path = Path(export_dir) / object_type.file_name
        if not path.is_file():
            raise ExportNotFoundError(
                f"CRM export file {path} is missing (expected one JSON Lines file per object type)"
            )
        for batch in read_export(path, object_type):
            if batch.rows.num_rows:
                yield batch.rows
            if batch.rejects.num_rows:
                yield dlt.mark.with_hints(batch.rejects, REJECTS_HINTS)

    return dlt.resource(
        read,
        name=object_type.name,
        primary_key="id",
        write_disposition="merge",
    )
