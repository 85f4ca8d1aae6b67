"""Read a folder of per-rep Maildirs: ``<root>/<mailbox>/{cur,new}`` plus Maildir++
sub-folders ``<root>/<mailbox>/.<Folder>/{cur,new}``.

Incremental, with a constant-size cursor per folder (``state``, see ``ChangeCursor``). A
Maildir file never changes, but its name does when its flags change or it moves from
``new/`` to ``cur/``, and a delivery is a rename from ``tmp/``: every one of these sets the
file's ctime, which user space cannot set back. So a run notes the time before it lists a
folder, and the next run opens only the files whose ctime is not older than that (a
renamed file is read again and its ``mailbox_messages`` row updated by the merge); the
others are skipped without being opened. ``tmp/`` holds deliveries in progress.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from ingest.limits import DEFAULT_LIMITS, RecordLimits
from ingest.mail.headers import Rejected
from ingest.mail.raw import RawMessage, no_body, read_message_file, refused

INBOX = "INBOX"
# Maildir info flags (the letters after ":2,") as IMAP names, as Dovecot maps them.
_FLAGS = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "P": "$Forwarded",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": "\\Deleted",
}
# Some systems write "!" or ";" for the ":" a file name cannot hold there.
_INFO = re.compile(r"[:!;]2,([A-Za-z]*)$")
# How far a file's ctime may lag the clock a cursor is taken from: the kernel stamps files
# from a coarse clock (a tick behind), a network file system from the server's clock.
CTIME_SLACK_NS = 2_000_000_000


def now_ns() -> int:
    """The clock cursors are taken from (tests replace it)."""
    return time.time_ns()


class ChangeCursor:
    """Which files of one folder changed since the last run, from a state of constant size.

    The state ``{"ctime_cursor_ns": t, "recent": {name: ctime_ns}}`` holds the time ``t``
    taken before the last run listed the folder, and the files that listing saw with a
    ctime within ``CTIME_SLACK_NS`` of ``t`` (those changed in the seconds before it: a
    handful, kept so that a run right after the last one reads nothing again). A file is
    skipped when its ctime is older than ``t - CTIME_SLACK_NS`` (it was there, under that
    name and unchanged, when the last listing ran, so that run read it or skipped it for the
    same reason), or when it is in ``recent`` with the same ctime; any other file is read.
    A file read again by mistake costs nothing but time: its rows merge on their keys. Any
    other state (none, or a format before this one) reads every file, and so does a cursor
    later than the clock (the clock was set back).
    """

    def __init__(self, state: Any) -> None:
        self.started_ns = now_ns()  # before the folder is listed
        self.since_ns: int | None = None
        self.seen: dict[str, int] = {}
        if isinstance(state, dict) and "ctime_cursor_ns" in state:
            if int(state["ctime_cursor_ns"]) <= self.started_ns:
                self.since_ns = int(state["ctime_cursor_ns"]) - CTIME_SLACK_NS
            self.seen = dict(state.get("recent") or {})
        self.recent: dict[str, int] = {}

    def changed(self, name: str, ctime_ns: int) -> bool:
        """Whether to read the file ``name`` (unique in the folder), whose ctime is
        ``ctime_ns``. Every file listed must be passed, read or not."""
        if ctime_ns >= self.started_ns - CTIME_SLACK_NS:
            self.recent[name] = ctime_ns
        if self.since_ns is not None and ctime_ns < self.since_ns:
            return False
        return self.seen.get(name) != ctime_ns

    def state(self) -> dict[str, Any]:
        """The state to keep for the next run, once every file listed has been read."""
        return {"ctime_cursor_ns": self.started_ns, "recent": self.recent}


def read_maildirs(
    root: Path,
    base: Path,
    state: MutableMapping[str, Any],
    limits: RecordLimits = DEFAULT_LIMITS,
) -> Iterator[RawMessage]:
    """Messages of every Maildir under ``root`` not read before; ``base`` makes locations
    relative. A symlinked mailbox, folder or message leading out of ``base`` is a reject.

    A folder's state from before the cursors (the list of the names read) is migrated: the
    files it names are skipped once more, as they were then, and a cursor is written back.
    """
    for mailbox_dir in sorted(path for path in root.iterdir() if path.is_dir()):
        if mailbox_dir.is_symlink() and (outside := refused("maildir", base, mailbox_dir)):
            yield outside
            continue
        for folder, folder_dir in _folders(mailbox_dir):
            if folder_dir.is_symlink() and (outside := refused("maildir", base, folder_dir)):
                yield outside
                continue
            key = f"{mailbox_dir.name}/{folder}"
            known = state.get(key)
            cursor = ChangeCursor(known)
            read_before = set(known) if isinstance(known, list) else set()
            for sub in ("new", "cur"):
                for name in _changed_names(folder_dir / sub, sub, cursor):
                    if name not in read_before:
                        yield from _read(
                            folder_dir / sub / name, mailbox_dir.name, folder, base, name, limits
                        )
            state[key] = cursor.state()


def flags_from_name(name: str) -> tuple[str, ...]:
    match = _INFO.search(name)
    if not match:
        return ()
    return tuple(sorted({_FLAGS[letter] for letter in match.group(1) if letter in _FLAGS}))


def _read(
    path: Path, mailbox: str, folder: str, base: Path, name: str, limits: RecordLimits
) -> Iterator[RawMessage]:
    if path.is_symlink() and (outside := refused("maildir", base, path)):
        yield outside
        return
    header, read_body, problem = b"", no_body, None
    try:
        header, read_body = read_message_file(path, limits)
    except FileNotFoundError:
        return  # renamed (flags changed) since listed: read under its new name next run
    except Rejected as reason:
        problem = str(reason)
    except OSError as error:
        problem = f"cannot read the file: {error.strerror or error}"
    yield RawMessage(
        store="maildir",
        mailbox=mailbox,
        folder=folder,
        location=path.relative_to(base).as_posix(),
        source=path.relative_to(base).as_posix(),
        header=header,
        read_body=read_body,
        flags=flags_from_name(name),
        problem=problem,
    )


def _folders(mailbox_dir: Path) -> Iterator[tuple[str, Path]]:
    if (mailbox_dir / "cur").is_dir() or (mailbox_dir / "new").is_dir():
        yield INBOX, mailbox_dir
    for sub in sorted(mailbox_dir.iterdir()):
        is_folder = sub.name.startswith(".") and sub.name not in (".", "..") and sub.is_dir()
        if is_folder and ((sub / "cur").is_dir() or (sub / "new").is_dir()):
            yield sub.name[1:], sub


def _changed_names(folder: Path, sub: str, cursor: ChangeCursor) -> list[str]:
    """The names of the files in ``folder`` (``new/`` or ``cur/``) that ``cursor`` says
    to read, sorted."""
    names = []
    try:
        # os.scandir, not pathlib: a Maildir may hold 10^5 files.
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if not entry.is_file():
                        continue
                    ctime_ns = entry.stat().st_ctime_ns
                except FileNotFoundError:
                    continue  # renamed since listed: its new name is listed or read next run
                if cursor.changed(f"{sub}/{entry.name}", ctime_ns):
                    names.append(entry.name)
    except FileNotFoundError:
        return []
    return sorted(names)
