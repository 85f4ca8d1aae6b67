"""One message as a store hands it over: where it sits, its header bytes, its body on demand."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingest.mail.headers import BODY_READ_BYTES, Rejected

# A header block larger than this is not a mail header (a binary file, a lost separator).
MAX_HEADER_BYTES = 256 * 1024
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


def split_header(stream: BinaryIO) -> tuple[bytes, bytes, bool]:
    """Read ``stream`` up to the blank line that ends the header block.

    Returns the header bytes, the body bytes read past it, and whether the stream ended.
    A header block with no body (no blank line before the end) is valid.
    """
    buffer = b""
    while True:
        if buffer.startswith((b"\n", b"\r\n")):  # a blank first line: no header fields
            return b"", buffer.split(b"\n", 1)[1], False
        match = _HEADER_END.search(buffer)
        if match:
            return buffer[: match.start()], buffer[match.end() :], False
        if len(buffer) > MAX_HEADER_BYTES:
            raise Rejected(f"no end of the header block within {MAX_HEADER_BYTES} bytes")
        block = stream.read(_BLOCK)
        if not block:
            return buffer, b"", True
        buffer += block


def read_message_file(path: Path) -> tuple[bytes, Callable[[], bytes]]:
    """The header of a one-message file (Maildir, .eml), reading only the blocks it needs;
    the body prefix is read on demand from the bytes already read, or from the file."""
    with path.open("rb", buffering=0) as stream:
        header, rest, ended = split_header(stream)
    if ended or len(rest) >= BODY_READ_BYTES:
        prefix = rest[:BODY_READ_BYTES]
        return header, lambda: prefix

    return header, lambda: _body_prefix(path)


def _body_prefix(path: Path) -> bytes:
    with path.open("rb") as stream:
        _, rest, _ = split_header(stream)
        return (rest + stream.read(max(0, BODY_READ_BYTES - len(rest))))[:BODY_READ_BYTES]
