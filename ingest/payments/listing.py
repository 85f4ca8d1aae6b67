"""Walk Stripe list endpoints: ``limit``/``starting_after`` cursor paging until ``has_more``
is false.

Nothing here assumes an order inside a page or across pages (Stripe serves newest first,
Stripe-compatible servers sometimes oldest first): the cursor is always the last object
of the page just read, and callers compute their high-water marks over all rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ingest.api import ApiSession
from ingest.errors import ApiError

PAGE_SIZE = 100


def walk(
    session: ApiSession, path: str, params: dict[str, Any] | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Yield the ``data`` of every page of the list at ``path``."""
    query: dict[str, Any] = {**(params or {}), "limit": PAGE_SIZE}
    seen_cursors: set[str] = set()
    while True:
        page = session.get_json(path, params=query)
        data = page.get("data")
        if not isinstance(data, list):
            raise ApiError(f"The Stripe API sent a list without data at GET {path}")
        if data:
            yield data
        if not page.get("has_more") or not data:
            return
        cursor = data[-1].get("id") if isinstance(data[-1], dict) else None
        # A server that ignores the cursor would page forever: fail instead.
        if not isinstance(cursor, str) or cursor in seen_cursors:
            raise ApiError(
                f"The Stripe API did not advance its cursor at GET {path} "
                f"(starting_after={cursor!r} again)"
            )
        seen_cursors.add(cursor)
        query["starting_after"] = cursor


def complete_invoice_lines(session: ApiSession, invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice with all its lines: a list embeds only the first ones (``has_more``)."""
    lines = invoice.get("lines")
    if not isinstance(lines, dict) or not lines.get("has_more") or not invoice.get("id"):
        return invoice
    data = [line for page in walk(session, f"/v1/invoices/{invoice['id']}/lines") for line in page]
    return {**invoice, "lines": {**lines, "data": data, "has_more": False}}
