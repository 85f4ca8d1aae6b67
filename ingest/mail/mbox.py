"""Read mbox files (mboxrd, as the demo and most tools write them), streaming.

Written by hand rather than with ``mailbox.mbox``: that reader builds a table of contents
of the whole file in memory, returns whole messages, and does not undo mboxrd's
``>From `` escaping (docs/decisions.md). Any line starting with ``From `` begins a
message (body lines that do are escaped by the writer); only the header block and the
first ``BODY_READ_BYTES`` of each body are kept.

Incremental: per file, the size and mtime seen, and the offset and line of the last
message's ``From`` line with a hash of the 4 KB before it (``state``). An unchanged file is
skipped; a file that only grew (the usual way an mbox changes: appended deliveries) is
read from its last message on (re-read in case it was still being written); any other
change re-reads the whole file. The merge on the message key keeps re-reads harmless.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ingest.limits import DEFAULT_LIMITS, RecordLimits
from ingest.mail.headers import BODY_READ_BYTES
from ingest.mail.raw import RawMessage, refused

INBOX = "INBOX"
_TAIL_BYTES = 4096
_ESCAPED_FROM = re.compile(rb"^>(>*From )")
_STATUS = re.compile(rb"^(X-)?Status:[ \t]*([A-Za-z]*)", re.IGNORECASE | re.MULTILINE)
# mbox keeps flags in Status (R read, O old) and X-Status (A answered, F flagged, T draft,
# D deleted) headers, as mutt and Thunderbird write them.
_STATUS_FLAGS = {b"R": "\\Seen"}
_X_STATUS_FLAGS = {b"A": "\\Answered", b"F": "\\Flagged", b"T": "\\Draft", b"D": "\\Deleted"}


@dataclass
class _Entry:
    offset: int
    line_number: int
    header: list[bytes] = field(default_factory=list)
    header_bytes: int = 0
    in_header: bool = True
    body: list[bytes] = field(default_factory=list)
    body_bytes: int = 0
    problem: str | None = None


def read_mbox_files(
    root: Path,
    base: Path,
    state: MutableMapping[str, Any],
    limits: RecordLimits = DEFAULT_LIMITS,
) -> Iterator[RawMessage]:
    """Messages of every ``*.mbox`` file under ``root`` that changed since last run; a
    symlinked one leading out of ``base`` is a reject."""
    for path in sorted(root.glob("*.mbox")):
        if path.is_symlink() and (outside := refused("mbox", base, path)):
            yield outside
            continue
        key = path.relative_to(base).as_posix()
        stat = path.stat()
        known = state.get(key)
        if known and known["size"] == stat.st_size and known["mtime_ns"] == stat.st_mtime_ns:
            continue
        with path.open("rb") as stream:
            offset, line_number = _resume_point(stream, known)
            last = None
            for message, entry in _read(stream, path, key, offset, line_number, limits):
                last = entry
                yield message
            if last is not None:
                offset, line_number = last.offset, last.line_number
            state[key] = {
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "offset": offset,
                "line_number": line_number,
                "tail": _tail_hash(stream, offset),
            }


def _resume_point(stream: BinaryIO, known: dict[str, Any] | None) -> tuple[int, int]:
    """Where to start: the last message read before, when the file only grew since."""
    if not known:
        return 0, 1
    offset = known["offset"]
    if known.get("tail") != _tail_hash(stream, offset):
        return 0, 1
    stream.seek(offset)
    if stream.read(5) != b"From ":
        return 0, 1
    return offset, known["line_number"]


def _tail_hash(stream: BinaryIO, offset: int) -> str:
    start = max(0, offset - _TAIL_BYTES)
    stream.seek(start)
    return hashlib.sha256(stream.read(offset - start)).hexdigest()


def _read(
    stream: BinaryIO,
    path: Path,
    location: str,
    offset: int,
    line_number: int,
    limits: RecordLimits,
) -> Iterator[tuple[RawMessage, _Entry]]:
    stream.seek(offset)
    mailbox = path.stem
    entry: _Entry | None = None
    stray = 0  # bytes before the first From line: not an mbox, or a damaged one
    for line in stream:
        if line.startswith(b"From "):
            if entry is not None:
                yield _message(entry, mailbox, location), entry
            elif stray:
                yield _stray(mailbox, location), _Entry(offset, line_number)
            entry = _Entry(offset, line_number)
        elif entry is None:
            stray += len(line.strip())
        elif entry.in_header:
            if line in (b"\n", b"\r\n"):
                entry.in_header = False
            elif entry.header_bytes <= limits.header_bytes:
                entry.header.append(line)
                entry.header_bytes += len(line)
            elif entry.problem is None:
                entry.problem = limits.header_problem()
        elif entry.body_bytes < BODY_READ_BYTES:
            unescaped = _ESCAPED_FROM.sub(rb"\1", line)  # mboxrd: undo one level of escaping
            entry.body.append(unescaped)
            entry.body_bytes += len(unescaped)
        offset += len(line)
        line_number += 1
    if entry is not None:
        yield _message(entry, mailbox, location), entry
    elif stray:
        yield _stray(mailbox, location), _Entry(offset, line_number)


def _message(entry: _Entry, mailbox: str, location: str) -> RawMessage:
    header = b"".join(entry.header)
    body = b"".join(entry.body)[:BODY_READ_BYTES]
    return RawMessage(
        store="mbox",
        mailbox=mailbox,
        folder=INBOX,
        location=f"{location}:{entry.line_number}",
        source=location,
        header=header,
        read_body=lambda: body,
        flags=_flags(header),
        line_number=entry.line_number,
        problem=entry.problem,
    )


def _stray(mailbox: str, location: str) -> RawMessage:
    return RawMessage(
        store="mbox",
        mailbox=mailbox,
        folder=INBOX,
        location=f"{location}:1",
        source=location,
        header=b"",
        read_body=lambda: b"",
        line_number=1,
        problem="text before the first From line: not an mbox file, or a damaged one",
    )


def _flags(header: bytes) -> tuple[str, ...] | None:
    """Flags from Status/X-Status; ``None`` when the file records none (unknown, not unset)."""
    if b"tatus:" not in header and b"TATUS:" not in header:
        return None
    flags: set[str] = set()
    found = False
    for match in _STATUS.finditer(header):
        found = True
        table = _X_STATUS_FLAGS if match.group(1) else _STATUS_FLAGS
        flags.update(table[bytes([c])] for c in match.group(2).upper() if bytes([c]) in table)
    return tuple(sorted(flags)) if found else None
