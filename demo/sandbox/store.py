"""Serve a world folder's JSON Lines files without holding their objects in memory.

A world of 200k deals is ~150 MB of JSON and several GB as Python dicts, so each file is
indexed once, on its first request: per object its id, byte offset and length, plus the
few fields that ordering and filtering need. A page then reads its objects back with
``os.pread``. An index keeps the file descriptor it was built from, so a file replaced
atomically (see ``mutate``) never mixes old offsets with new bytes; a changed file is
re-indexed on the next request.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import weakref
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from demo.sandbox.values import IdKey, Typed, id_key, typed_value

logger = logging.getLogger(__name__)

System = Literal["crm", "payments"]

# CRM properties kept in the index, so that incremental search needs no file reads.
INDEXED_PROPERTIES = ("hs_lastmodifieddate", "lastmodifieddate", "createdate")

_OBJECT_TYPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
MEMO_SIZE = 16
T = TypeVar("T")


@dataclass(slots=True)
class Entry:
    """Where one object lives in its file, and what ordering and filters need of it."""

    id: str
    offset: int
    length: int
    archived: bool  # CRM: archived; Stripe: deleted (retrieved, never listed)
    created: int  # Stripe's `created` (unix seconds); 0 for CRM objects
    tag: str | None  # Stripe event `type`
    indexed: tuple[Typed | None, ...]  # typed values of INDEXED_PROPERTIES (CRM)


class ObjectIndex:
    """One object type of one system: lookup by id and the orders its API pages in."""

    def __init__(self, path: Path, system: System) -> None:
        self.path = path
        fd = os.open(path, os.O_RDONLY)
        self._fd = fd
        weakref.finalize(self, os.close, fd)
        status = os.fstat(fd)
        self.signature = (status.st_ino, status.st_mtime_ns, status.st_size)
        self.by_id: dict[str, Entry] = {}
        self._memo: OrderedDict[Hashable, Any] = OrderedDict()
        self._memo_lock = threading.Lock()
        with open(fd, "rb", closefd=False) as lines:
            offset = 0
            for line in lines:
                entry = _entry(line, offset, system)
                if entry is not None:
                    self.by_id[entry.id] = entry  # a repeated id: the last line wins
                offset += len(line)
        entries = sorted(self.by_id.values(), key=lambda entry: id_key(entry.id))
        # CRM order: by id, live and archived apart (HubSpot lists one or the other).
        self.live = [entry for entry in entries if not entry.archived]
        self.archived = [entry for entry in entries if entry.archived]
        self.live_keys = [id_key(entry.id) for entry in self.live]
        self.archived_keys = [id_key(entry.id) for entry in self.archived]
        # Stripe order: ascending (created, id); lists are served from the end backwards.
        self.by_created: list[Entry] = []
        self.created_keys: list[tuple[int, str]] = []
        if system == "payments":
            self.by_created = sorted(entries, key=lambda entry: (entry.created, entry.id))
            self.created_keys = [(entry.created, entry.id) for entry in self.by_created]

    def read(self, entry: Entry) -> dict[str, Any]:
        """The object as stored in the file."""
        return json.loads(os.pread(self._fd, entry.length, entry.offset))

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, kept for the next calls with ``key`` (the last few keys only):
        a client paging through a search asks the same question once per page."""
        with self._memo_lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = compute()
        with self._memo_lock:
            self._memo[key] = value
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return value

    def id_ordered(self, archived: bool) -> tuple[list[Entry], list[IdKey]]:
        return (self.archived, self.archived_keys) if archived else (self.live, self.live_keys)

    def page_after(self, archived: bool, after: str | None, limit: int) -> list[Entry]:
        """Up to ``limit + 1`` entries in id order, starting at the cursor ``after``."""
        entries, keys = self.id_ordered(archived)
        start = 0 if after is None else bisect_left(keys, id_key(after))
        return entries[start : start + limit + 1]


class World:
    """A world folder: ``crm/<type>.jsonl`` and ``payments/<type>.jsonl``, indexed lazily."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._indexes: dict[tuple[System, str], ObjectIndex] = {}
        self._locks: dict[tuple[System, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def index(self, system: System, object_type: str) -> ObjectIndex | None:
        """The index of one file, built on first use and rebuilt when the file changed;
        ``None`` when the world has no such file."""
        if not _OBJECT_TYPE.fullmatch(object_type):
            return None
        path = self.root / system / f"{object_type}.jsonl"
        try:
            status = path.stat()
        except OSError:
            return None
        signature = (status.st_ino, status.st_mtime_ns, status.st_size)
        key = (system, object_type)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one loader per file; other files keep serving meanwhile
            current = self._indexes.get(key)
            if current is None or current.signature != signature:
                logger.debug("indexing %s", path)
                current = ObjectIndex(path, system)
                self._indexes[key] = current
            return current

    def loaded(self) -> list[str]:
        """The files indexed so far, as ``system/type`` (to show that loading is lazy)."""
        with self._guard:
            return sorted(f"{system}/{object_type}" for system, object_type in self._indexes)

    def reload(self) -> None:
        """Forget every index; the next request re-reads its file."""
        with self._guard:
            self._indexes.clear()


def _entry(line: bytes, offset: int, system: System) -> Entry | None:
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None  # an API never returns a broken object: the sandbox skips the line
    if not isinstance(obj, dict) or obj.get("id") in (None, ""):
        return None
    if system == "payments":
        created = obj.get("created")
        event_type = obj.get("type") if obj.get("object") == "event" else None
        return Entry(
            id=str(obj["id"]),
            offset=offset,
            length=len(line),
            archived=obj.get("deleted") is True,  # a deleted Stripe object's stub
            created=created if isinstance(created, int) else 0,
            tag=event_type if isinstance(event_type, str) else None,
            indexed=(),
        )
    properties = obj.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    return Entry(
        id=str(obj["id"]),
        offset=offset,
        length=len(line),
        archived=obj.get("archived") is True,
        created=0,
        tag=None,
        indexed=tuple(typed_value(properties.get(name)) for name in INDEXED_PROPERTIES),
    )
