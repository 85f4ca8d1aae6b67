"""dlt source for Stripe payments: from a JSON Lines export folder or from the live API.

One resource per object type, merged on ``id``, rows handed to dlt as Arrow tables (read
by ``export_source.py`` or ``api_source.py``), and the ``event_snapshots`` transformer
over the events, which upserts the objects' later states and deletions
(``snapshots.py``, where the rules for which snapshot of an object wins are).
"""

from __future__ import annotations

from pathlib import Path

import dlt
from dlt.sources import DltResource

from ingest.limits import DEFAULT_LIMITS, RecordLimits
from ingest.payments.api_source import api_resource
from ingest.payments.export_source import export_resource
from ingest.payments.objects import STRIPE_TYPES
from ingest.payments.snapshots import snapshot_reader
from ingest.settings import ApiCredentials

PAYMENTS_TABLES: tuple[str, ...] = tuple(kind.table for kind in STRIPE_TYPES)


@dlt.source(name="payments", max_table_nesting=0)
def payments_source(
    export_dir: Path | None = None,
    api: ApiCredentials | None = None,
    limits: RecordLimits = DEFAULT_LIMITS,
) -> list[DltResource]:
    """The export folder when given, else the API; checked when data is read, so that the
    resources can be described (Dagster's asset graph) before anything is configured."""
    # Per table, the `created` from which this run lists objects (None: all of them).
    listed_from: dict[str, int | None] = {}
    if export_dir is None and api is not None:
        resources = [api_resource(kind, api, listed_from, limits) for kind in STRIPE_TYPES]
    else:
        resources = [export_resource(kind, export_dir, limits) for kind in STRIPE_TYPES]
    events = resources[-1]
    live = api if export_dir is None else None
    snapshots = dlt.transformer(
        snapshot_reader(live, listed_from, limits),
        data_from=events,
        name="event_snapshots",
    )
    return [*resources, snapshots]
