"""Read a folder of per-rep Maildirs: ``<root>/<mailbox>/{cur,new}`` plus Maildir++
sub-folders ``<root>/<mailbox>/.<Folder>/{cur,new}``.

Incremental: the names of the files read are kept per folder (``state``). A Maildir file
never changes, but its name does when its flags change or it moves from ``new/`` to
``cur/``: a new name is read again (and its ``mailbox_messages`` row updated by the merge),
a known name is skipped without being opened. ``tmp/`` holds deliveries in progress.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from ingest.mail.headers import Rejected
from ingest.mail.raw import RawMessage, no_body, read_message_file

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


def read_maildirs(root: Path, base: Path, state: MutableMapping[str, Any]) -> Iterator[RawMessage]:
    """Messages of every Maildir under ``root`` not read before; ``base`` makes locations
    relative."""
    for mailbox_dir in sorted(path for path in root.iterdir() if path.is_dir()):
        for folder, folder_dir in _folders(mailbox_dir):
            key = f"{mailbox_dir.name}/{folder}"
            seen = set(state.get(key, ()))
            names: list[str] = []
            for sub in ("new", "cur"):
                for name in _file_names(folder_dir / sub):
                    names.append(name)
                    if name in seen:
                        continue
                    path = folder_dir / sub / name
                    yield from _read(path, mailbox_dir.name, folder, base, name)
            state[key] = names


def flags_from_name(name: str) -> tuple[str, ...]:
    match = _INFO.search(name)
    if not match:
        return ()
    return tuple(sorted({_FLAGS[letter] for letter in match.group(1) if letter in _FLAGS}))


def _read(path: Path, mailbox: str, folder: str, base: Path, name: str) -> Iterator[RawMessage]:
    header, read_body, problem = b"", no_body, None
    try:
        header, read_body = read_message_file(path)
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


def _file_names(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            # os.scandir, not pathlib: a Maildir may hold 10^5 files.
            return sorted(entry.name for entry in entries if entry.is_file())
    except FileNotFoundError:
        return []
