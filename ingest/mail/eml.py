"""Read a folder of ``.eml`` files (one RFC 5322 message each), at any depth.

``<root>/<mailbox>/<folder...>/x.eml`` gives mailbox and folder; a file directly under
``<root>`` belongs to the mailbox ``eml``, folder ``INBOX``. Incremental: the size and mtime
of every file read are kept (``state``); an unchanged file is not opened again.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from ingest.mail.headers import Rejected
from ingest.mail.raw import RawMessage, no_body, read_message_file

INBOX = "INBOX"
ROOT_MAILBOX = "eml"


def read_eml_files(root: Path, base: Path, state: MutableMapping[str, Any]) -> Iterator[RawMessage]:
    for path in sorted(root.rglob("*.eml")):
        if not path.is_file():
            continue
        parts = path.relative_to(root).parts
        mailbox = parts[0] if len(parts) > 1 else ROOT_MAILBOX
        folder = "/".join(parts[1:-1]) or INBOX
        location = path.relative_to(base).as_posix()
        stat = path.stat()
        signature = [stat.st_size, stat.st_mtime_ns]
        if state.get(location) == signature:
            continue
        header, read_body, problem = b"", no_body, None
        try:
            header, read_body = read_message_file(path)
        except Rejected as reason:
            problem = str(reason)
        except OSError as error:
            problem = f"cannot read the file: {error.strerror or error}"
        yield RawMessage(
            store="eml",
            mailbox=mailbox,
            folder=folder,
            location=location,
            source=location,
            header=header,
            read_body=read_body,
            problem=problem,
        )
        state[location] = signature
