"""Payments resources read from the Stripe API, incremental on ``created``.

Each list is asked for ``created[gte]`` the last cursor (dlt's ``incremental`` keeps it,
and drops the rows of the cursor's second it already loaded; ``gte`` rather than ``gt`` so
that objects sharing that second with the last loaded one are not lost). Stripe never
moves ``created``, so an update to an older object (an invoice paid, a charge refunded) is
only seen in the events feed: the ``event_snapshots`` transformer (``snapshots.py``) takes
each new event (the ``events`` resource, itself incremental on ``created``) whose
``data.object`` is one of our types and upserts that snapshot into the object's table.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import dlt
from dlt.sources import DltResource

from ingest.api import ApiSession
from ingest.limits import RecordLimits
from ingest.payments.listing import complete_invoice_lines, walk
from ingest.payments.objects import INVOICES, StripeType
from ingest.payments.rows import Batch, empty_table, log_stubs
from ingest.settings import ApiCredentials

# Rows per Arrow table handed to dlt from the API (pages hold 100).
API_BATCH_ROWS = 5_000
SYSTEM = "Stripe"


def api_resource(
    kind: StripeType,
    api: ApiCredentials,
    listed_from: dict[str, int | None],
    limits: RecordLimits,
) -> DltResource:
    def read(
        # dlt binds the cursor through this default (its documented idiom).
        created: dlt.sources.incremental[Any] = dlt.sources.incremental(  # noqa: B008
            "created",
            # Rejects (dicts without `created`) pass through to their own table.
            on_cursor_value_missing="include",
        ),
    ) -> Iterator[Any]:
        session = ApiSession(SYSTEM, api)
        params: dict[str, Any] = {}
        start = None if created.start_value is None else _unix_seconds(created.start_value)
        if start is not None:
            params["created[gte]"] = start
        listed_from[kind.table] = start
        batch = Batch(kind, limits)
        for page in walk(session, kind.path, params):
            for obj in page:
                if kind is INVOICES and isinstance(obj, dict):
                    obj = complete_invoice_lines(session, obj)
                batch.add(obj)
            yield from batch.flush(API_BATCH_ROWS)
        yield from batch.flush(0)
        if created.start_value is None and not batch.loaded:
            yield empty_table(kind)
        log_stubs(kind, batch.stubs, f"GET {kind.path}")

    # Read in parallel with the other lists: their waits for the network and for retries
    # overlap, paced together by the API's one pacer (ingest/api_pacing.py).
    return dlt.resource(
        read, name=kind.table, primary_key="id", write_disposition="merge", parallelized=True
    )


def _unix_seconds(value: Any) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)
