"""The raw mail tables as Arrow: schemas, merge hints and a column-wise batch builder."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import dlt
import pyarrow as pa

from ingest.exports import TIMESTAMP

MESSAGES_TABLE = "messages"
MAILBOX_MESSAGES_TABLE = "mailbox_messages"
MESSAGES_PRIMARY_KEY = "message_key"
MAILBOX_MESSAGES_PRIMARY_KEY = ("mailbox", "folder", "message_key")
REJECT_OBJECT_TYPE = "messages"
# Rejects keep the header block only (bodies are never stored), cut to a readable size.
REJECT_PAYLOAD_BYTES = 8192

MESSAGES_SCHEMA = pa.schema(
    [
        pa.field("message_key", pa.string(), nullable=False),
        ("message_id", pa.string()),
        ("synthesized", pa.bool_()),
        ("sent_at", TIMESTAMP),
        ("date_header", pa.string()),
        ("date_problem", pa.string()),
        ("from_address", pa.string()),
        ("from_name", pa.string()),
        ("to_addresses", pa.string()),
        ("cc_addresses", pa.string()),
        ("subject", pa.string()),
        ("in_reply_to", pa.string()),
        ("references", pa.string()),
        ("auto_submitted", pa.string()),
        ("precedence", pa.string()),
        ("is_auto_reply", pa.bool_()),
        ("direction", pa.string()),
    ]
)

MAILBOX_MESSAGES_SCHEMA = pa.schema(
    [
        pa.field("mailbox", pa.string(), nullable=False),
        pa.field("folder", pa.string(), nullable=False),
        pa.field("message_key", pa.string(), nullable=False),
        ("store", pa.string()),
        ("location", pa.string()),
        ("flags", pa.string()),
        ("imap_uidvalidity", pa.int64()),
        ("imap_uid", pa.int64()),
    ]
)

# The resource itself writes `messages`; the other table is routed with these hints.
MAILBOX_MESSAGES_HINTS = dlt.mark.make_hints(
    table_name=MAILBOX_MESSAGES_TABLE,
    primary_key=list(MAILBOX_MESSAGES_PRIMARY_KEY),
    write_disposition="merge",
)


class Columns:
    """Rows gathered column by column (cheaper than a list of dicts) for one schema."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        self.rows = 0

    def add(self, row: dict[str, Any]) -> None:
        for name, values in self.columns.items():
            values.append(row.get(name))
        self.rows += 1

    def take(self) -> pa.Table:
        table = pa.Table.from_pydict(self.columns, schema=self.schema)
        self.columns = {name: [] for name in self.schema.names}
        self.rows = 0
        return table


def mailbox_row(
    mailbox: str,
    folder: str,
    message_key: str,
    store: str,
    location: str,
    flags: tuple[str, ...] | None,
    imap_uidvalidity: int | None,
    imap_uid: int | None,
) -> dict[str, Any]:
    return {
        "mailbox": mailbox,
        "folder": folder,
        "message_key": message_key,
        "store": store,
        "location": location,
        "flags": None if flags is None else json.dumps(list(flags)),
        "imap_uidvalidity": imap_uidvalidity,
        "imap_uid": imap_uid,
    }


def reject_row(source: str, line_number: int | None, reason: str, header: bytes) -> dict[str, Any]:
    """A row of ``rejects`` (``ingest.exports.REJECTS_SCHEMA``): a message that cannot be used.

    ``source`` is the file or IMAP folder, ``line_number`` the mbox line or IMAP UID. The id
    hashes both with the payload, so a re-read upserts.
    """
    payload = header[:REJECT_PAYLOAD_BYTES].decode("utf-8", "replace")
    if len(header) > REJECT_PAYLOAD_BYTES:
        payload += f"\n[... {len(header) - REJECT_PAYLOAD_BYTES} more header bytes]"
    digest = hashlib.sha256(
        f"{REJECT_OBJECT_TYPE}\0{source}\0{line_number}\0{payload}".encode("utf-8", "replace")
    )
    return {
        "reject_id": digest.hexdigest()[:32],
        "object_type": REJECT_OBJECT_TYPE,
        "source_file": source,
        "line_number": line_number,
        "reason": reason,
        "payload": payload,
    }
