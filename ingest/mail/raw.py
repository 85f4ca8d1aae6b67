"""One message as a store hands it over: where it sits, its header bytes, its body on demand."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingest.folders import outside_reason
from ingest.limits import RecordLimits
from ingest.mail.headers import BODY_READ_BYTES, Rejected

# A header block larger than ``RecordLimits.header_bytes`` is not a mail header (a binary
# file, a lost separator): the message is a reject, and no more of it is read.
_BLOCK = 4096
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A message read from a store, before parsing.

    ``mailbox`` is whose mail it is (a Maildir folder, an mbox file, an IMAP login),
    ``folder`` the folder inside it; ``source`` is the file or IMAP folder it was read from
    and ``location`` the message's exact place in it (with the mbox line or IMAP UID);
    ``flags`` are IMAP-style names, ``None`` when the store does not record any.
    ``read_body`` returns the first ``BODY_READ_BYTES`` of the body and is only called
    when an id must be synthesized. ``problem`` says why the store could not read
    the message (it becomes a reject).
    """

    store: str
    mailbox: str
    folder: str
    location: str
    source: str
    header: bytes
    read_body: Callable[[], bytes]
    flags: tuple[str, ...] | None = None
    line_number: int | None = None
    imap_uidvalidity: int | None = None
    imap_uid: int | None = None
    problem: str | None = None


def no_body() -> bytes:
    return b""


def split_header(stream: BinaryIO, limits: RecordLimits) -> tuple[bytes, bytes, bool]:
    """Read ``stream`` up to the blank line that ends the header block, and no further
    than the header limit (``Rejected`` beyond it).

    Returns the header bytes, the body bytes read past it, and whether the stream ended.
    A header block with no body (no blank line before the end) is valid.
    """
    buffer = bytearray()
    searched = 0  # the end blank line is not before this offset
    while True:
        if buffer.startswith((b"\n", b"\r\n")):  # a blank first line: no header fields
            return b"", bytes(buffer.split(b"\n", 1)[1]), False
        # Only the new bytes (and the 3 before them) can hold the end: a large block is
        # searched once, not once per block read.
        match = _HEADER_END.search(buffer, max(0, searched - 3))
        if match:
            return bytes(buffer[: match.start()]), bytes(buffer[match.end() :]), False
        if len(buffer) > limits.header_bytes:
            raise Rejected(limits.header_problem())
        searched = len(buffer)
        block = stream.read(_BLOCK)
        if not block:
            return bytes(buffer), b"", True
        buffer += block


def read_message_file(path: Path, limits: RecordLimits) -> tuple[bytes, Callable[[], bytes]]:
    """The header of a one-message file (Maildir, .eml), reading only the blocks it needs;
    the body prefix is read on demand from the bytes already read, or from the file."""
    with path.open("rb", buffering=0) as stream:
        header, rest, ended = split_header(stream, limits)
    if ended or len(rest) >= BODY_READ_BYTES:
        prefix = rest[:BODY_READ_BYTES]
        return header, lambda: prefix

    return header, lambda: _body_prefix(path, limits)


def refused(store: str, base: Path, path: Path) -> RawMessage | None:
    """A message standing for a file or directory that leads outside the mail folder
    ``base`` (which is not read: see ``ingest.folders``), or None when it stays inside."""
    reason = outside_reason(base, path)
    if reason is None:
        return None
    location = path.relative_to(base).as_posix()
    return RawMessage(
        store=store,
        mailbox=path.name,
        folder="",
        location=location,
        source=location,
        header=b"",
        read_body=no_body,
        problem=reason,
    )


def _body_prefix(path: Path, limits: RecordLimits) -> bytes:
    with path.open("rb") as stream:
        _, rest, _ = split_header(stream, limits)
        return (rest + stream.read(max(0, BODY_READ_BYTES - len(rest))))[:BODY_READ_BYTES]
