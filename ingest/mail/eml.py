"""Read a folder of ``.eml`` files (one RFC 5322 message each), at any depth.

``<root>/<mailbox>/<folder...>/x.eml`` gives mailbox and folder; a file directly under
``<root>`` belongs to the mailbox ``eml``, folder ``INBOX``. Incremental: a cursor of
constant size per directory (``state``, keyed by the directory's location; see
``maildir.ChangeCursor``). Writing a file, or copying, moving or restoring one into the
folder, sets its ctime (unlike its mtime, which ``cp -p``, ``rsync -a`` and unzip keep),
so a new or changed file is read and an unchanged one is not opened again.

The directories are walked one at a time (``os.scandir``), never listed whole, so memory
does not grow with the number of files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from ingest.limits import DEFAULT_LIMITS, RecordLimits
from ingest.mail.headers import Rejected
from ingest.mail.maildir import ChangeCursor
from ingest.mail.raw import RawMessage, no_body, read_message_file, refused

INBOX = "INBOX"
ROOT_MAILBOX = "eml"


def read_eml_files(
    root: Path,
    base: Path,
    state: MutableMapping[str, Any],
    limits: RecordLimits = DEFAULT_LIMITS,
) -> Iterator[RawMessage]:
    """Messages of the ``.eml`` files under ``root`` that are new or changed. Symlinked
    directories are not walked (no loops); one leading out of ``base`` is a reject, and so
    is a symlinked file leading out.

    The state before the cursors (per file location, its size and mtime) is migrated: a
    file it holds with the same size and mtime is skipped once more, and the entries are
    replaced by the cursors.
    """
    signatures = {key: state.pop(key) for key in list(state) if isinstance(state[key], list)}
    yield from _read_directory(root, root, base, state, signatures, limits)


def _read_directory(
    directory: Path,
    root: Path,
    base: Path,
    state: MutableMapping[str, Any],
    signatures: dict[str, list[int]],
    limits: RecordLimits,
) -> Iterator[RawMessage]:
    key = directory.relative_to(base).as_posix()
    cursor = ChangeCursor(state.get(key))
    files, directories, holds_eml = [], [], False
    outside: list[RawMessage] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    if entry.is_symlink() and (link := refused("eml", base, Path(entry.path))):
                        outside.append(link)
                    elif entry.is_dir(follow_symlinks=False):
                        directories.append(entry.name)
                    elif entry.name.endswith(".eml") and entry.is_file():
                        holds_eml = True
                        stat = entry.stat()
                        if cursor.changed(entry.name, stat.st_ctime_ns):
                            files.append((entry.name, [stat.st_size, stat.st_mtime_ns]))
                except FileNotFoundError:
                    continue  # moved away since listed
    except FileNotFoundError:
        return
    yield from sorted(outside, key=lambda message: message.location)
    for name, signature in sorted(files):
        location = (directory / name).relative_to(base).as_posix()
        if signatures.get(location) != signature:
            yield _read(directory / name, root, location, limits)
    if holds_eml:
        state[key] = cursor.state()
    for name in sorted(directories):
        yield from _read_directory(directory / name, root, base, state, signatures, limits)


def _read(path: Path, root: Path, location: str, limits: RecordLimits) -> RawMessage:
    parts = path.relative_to(root).parts
    mailbox = parts[0] if len(parts) > 1 else ROOT_MAILBOX
    folder = "/".join(parts[1:-1]) or INBOX
    header, read_body, problem = b"", no_body, None
    try:
        header, read_body = read_message_file(path, limits)
    except Rejected as reason:
        problem = str(reason)
    except OSError as error:
        problem = f"cannot read the file: {error.strerror or error}"
    return RawMessage(
        store="eml",
        mailbox=mailbox,
        folder=folder,
        location=location,
        source=location,
        header=header,
        read_body=read_body,
        problem=problem,
    )
