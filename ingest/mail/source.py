"""dlt source for the reps' mail: Maildir, mbox and .eml folders and a live IMAP server.

One resource, ``messages``, reads every configured store once and writes three tables:
``messages`` (one row per message, merged on the message key, so a message held in
several mailboxes is one row), ``mailbox_messages`` (which mailbox and folder hold it,
with flags) and ``rejects``. Rows reach dlt as Arrow tables in batches (stack notes).
Incremental state per store lives in the resource state (see each store's module).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import dlt
from dlt.sources import DltResource

from ingest.errors import EMAIL_DIR, ExportNotFoundError, SettingsError, SourceNotConfiguredError
from ingest.exports import REJECTS_SCHEMA, as_rejects
from ingest.limits import DEFAULT_LIMITS, RecordLimits
from ingest.mail.eml import read_eml_files
from ingest.mail.headers import Rejected, message_row
from ingest.mail.imap import read_imap
from ingest.mail.maildir import read_maildirs
from ingest.mail.mbox import read_mbox_files
from ingest.mail.raw import RawMessage, refused
from ingest.mail.tables import (
    MAILBOX_MESSAGES_HINTS,
    MAILBOX_MESSAGES_SCHEMA,
    MESSAGES_PRIMARY_KEY,
    MESSAGES_SCHEMA,
    MESSAGES_TABLE,
    Columns,
    mailbox_row,
    reject_row,
)
from ingest.settings import ImapCredentials

log = logging.getLogger(__name__)

BATCH_ROWS = 20_000
# How many message keys (and header digests) a run remembers, to write each message once and
# parse the copies of a message once: about 50 MB for both at most. A message whose key has
# been forgotten is parsed and written again, and the merge (which deduplicates the staged
# rows on the primary key) keeps it one row: the bound costs time, never correctness.
MEMO_ENTRIES = 200_000
STORES = ("maildir", "mbox", "eml")


@dlt.source(name="email", max_table_nesting=0)
def mail_source(
    email_dir: Path | None = None,
    imap: ImapCredentials | None = None,
    company_domains: tuple[str, ...] = (),
    limits: RecordLimits = DEFAULT_LIMITS,
) -> DltResource:
    """The configuration is checked when data is read, not here, so that the resource can
    be described (for Dagster's asset graph) before any mail store exists."""

    def read() -> Iterator[Any]:
        domains = _check(email_dir, imap, company_domains)
        state = dlt.current.resource_state()
        yield from _load(_messages(email_dir, imap, state, limits), domains, limits)

    return dlt.resource(
        read,
        name=MESSAGES_TABLE,
        primary_key=MESSAGES_PRIMARY_KEY,
        write_disposition="merge",
    )


def _check(
    email_dir: Path | None, imap: ImapCredentials | None, company_domains: tuple[str, ...]
) -> tuple[str, ...]:
    if email_dir is None and imap is None:
        raise SourceNotConfiguredError.neither(
            "mail",
            EMAIL_DIR,
            "SALES_TRACKER_IMAP_HOST (with _USER and _PASSWORD) for an IMAP server",
        )
    if email_dir is not None:
        if not Path(email_dir).is_dir():
            raise ExportNotFoundError.no_folder("Mail", email_dir, EMAIL_DIR)
        if not any((Path(email_dir) / store).is_dir() for store in STORES):
            raise ExportNotFoundError(
                f"Mail folder {email_dir} holds none of maildir/, mbox/ or eml/: "
                f"{EMAIL_DIR.advice()}"
            )
    domains = tuple(d.strip().lower().lstrip("@") for d in company_domains if d.strip())
    if not domains:
        raise SettingsError(
            "The mail source needs the company's email domains to tell outbound from inbound "
            "mail: set SALES_TRACKER_COMPANY_EMAIL_DOMAINS (comma-separated, e.g. example.com)"
        )
    return domains


def _messages(
    email_dir: Path | None,
    imap: ImapCredentials | None,
    state: MutableMapping[str, Any],
    limits: RecordLimits,
) -> Iterator[RawMessage]:
    if email_dir is not None:
        base = Path(email_dir)
        readers = {"maildir": read_maildirs, "mbox": read_mbox_files, "eml": read_eml_files}
        for store, read_store in readers.items():
            if (base / store).is_symlink() and (outside := refused(store, base, base / store)):
                yield outside
            elif (base / store).is_dir():
                yield from read_store(base / store, base, state.setdefault(store, {}), limits)
    if imap is not None:
        yield from read_imap(imap, state.setdefault("imap", {}))


def _load(
    messages: Iterator[RawMessage], domains: tuple[str, ...], limits: RecordLimits
) -> Iterator[Any]:
    tables = _Tables(domains, limits)
    for raw in messages:
        tables.add(raw)
        if tables.rows >= BATCH_ROWS:
            yield from tables.flush()
    yield from tables.flush()
    log.info(
        "mail source: %d message rows written, %d mailbox copies, %d rejected",
        tables.messages_written,
        tables.copies_read,
        tables.rejects_read,
    )


class _Memo:
    """A dict of the entries used last: at most ``MEMO_ENTRIES``, and at least the last
    ``MEMO_ENTRIES // 2``. Two generations of plain dicts (half the memory of an
    ``OrderedDict``): when the young one is full, the old one is dropped whole."""

    def __init__(self) -> None:
        self.young: dict[bytes | str, str] = {}
        self.old: dict[bytes | str, str] = {}

    def get(self, key: bytes | str) -> str | None:
        value = self.young.get(key)
        if value is None:
            value = self.old.get(key)
            if value is not None:
                self.put(key, value)
        return value

    def put(self, key: bytes | str, value: str) -> None:
        self.young[key] = value
        if len(self.young) >= max(1, MEMO_ENTRIES // 2):
            self.old, self.young = self.young, {}


class _Tables:
    """Rows of the three tables: each copy, each reject, and each message once per run, as
    far as the memos of recent messages reach (the merge makes the rest one row too)."""

    def __init__(self, domains: tuple[str, ...], limits: RecordLimits) -> None:
        self.domains = domains
        self.limits = limits
        self.messages = Columns(MESSAGES_SCHEMA)
        self.copies = Columns(MAILBOX_MESSAGES_SCHEMA)
        self.rejects = Columns(REJECTS_SCHEMA)
        self.written_keys = _Memo()  # the keys of the message rows written
        # Copies of a message have the same header bytes: parse them once. Only keys read
        # from a Message-ID are remembered (a synthesized one depends on the body too).
        self.keys_by_header = _Memo()
        self.messages_written = self.copies_read = self.rejects_read = 0

    @property
    def rows(self) -> int:
        return self.messages.rows + self.copies.rows + self.rejects.rows

    def add(self, raw: RawMessage) -> None:
        try:
            key = self._message_key(raw)
        except Rejected as reason:
            self.rejects.add(reject_row(raw.source, raw.line_number, str(reason), raw.header))
            self.rejects_read += 1
            return
        self.copies.add(
            mailbox_row(
                raw.mailbox,
                raw.folder,
                key,
                raw.store,
                raw.location,
                raw.flags,
                raw.imap_uidvalidity,
                raw.imap_uid,
            )
        )
        self.copies_read += 1

    def flush(self) -> Iterator[Any]:
        if self.messages.rows:
            yield self.messages.take()
        # A table variant: plain with_hints would re-point the resource itself at that
        # table, and the next batch of messages would land there.
        if self.copies.rows:
            hints = MAILBOX_MESSAGES_HINTS
            yield dlt.mark.with_hints(self.copies.take(), hints, create_table_variant=True)
        if self.rejects.rows:
            yield as_rejects(self.rejects.take())

    def _message_key(self, raw: RawMessage) -> str:
        if raw.problem:
            raise Rejected(raw.problem)
        # The stores stop reading a block about this size; IMAP sends the block whole.
        if len(raw.header) > self.limits.header_bytes:
            raise Rejected(self.limits.header_problem())
        digest = hashlib.blake2b(raw.header, digest_size=16).digest()
        key = self.keys_by_header.get(digest)
        if key is not None:
            return key
        try:
            row = message_row(raw.header, self.domains, raw.read_body)
        except OSError as error:  # the body prefix could not be read
            raise Rejected(f"cannot read the body: {error}") from error
        key = row["message_key"]
        if not row["synthesized"]:
            self.keys_by_header.put(digest, key)
        if self.written_keys.get(key) is None:
            self.written_keys.put(key, key)
            self.messages.add(row)
            self.messages_written += 1
        return key
