"""dlt source for the CRM: HubSpot CRM v3 objects, from an export folder or the live API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.sources import DltResource

from ingest.api import ApiSession
from ingest.crm.api_source import SessionFactory, read_api
from ingest.crm.catalog import CRM_OBJECT_TYPES, CRM_TYPES, CrmType
from ingest.crm.export_source import empty_table, read_export_file
from ingest.errors import CRM_EXPORT, SourceNotConfiguredError
from ingest.limits import DEFAULT_LIMITS, RecordLimits
from ingest.settings import ApiCredentials

__all__ = ["CRM_OBJECT_TYPES", "crm_source"]


@dlt.source(name="crm", max_table_nesting=0)
def crm_source(
    export_dir: Path | None = None,
    api: ApiCredentials | None = None,
    limits: RecordLimits = DEFAULT_LIMITS,
) -> list[DltResource]:
    """One resource per CRM object type, each merged on the object id.

    The export folder wins when both are given (a backfill or an offline run). Nothing is
    checked or requested here, only when data is read, so that the resources can be
    described (for Dagster's asset graph) before any export or token exists.
    """
    # A session per resource: the API resources are read in parallel threads (their waits
    # for the network and for retries overlap), sharing only the API's pacer.
    session = (lambda: ApiSession("HubSpot", api)) if api is not None else None
    return [_resource(crm, export_dir, session, limits) for crm in CRM_TYPES]


def _resource(
    crm: CrmType,
    export_dir: Path | None,
    session: SessionFactory | None,
    limits: RecordLimits,
) -> DltResource:
    def read() -> Iterator[Any]:
        if export_dir is not None:
            items = read_export_file(crm, export_dir, limits)
        elif session is not None:
            items = read_api(crm, session, limits)
        else:
            raise SourceNotConfiguredError.neither(
                "CRM", CRM_EXPORT, "SALES_TRACKER_HUBSPOT_TOKEN to read the HubSpot API"
            )
        loaded = False
        for item in items:
            loaded = True
            yield item
        if not loaded:
            yield empty_table(crm)

    return dlt.resource(
        read,
        name=crm.name,
        primary_key="id",
        write_disposition="merge",
        parallelized=export_dir is None and session is not None,
    )
