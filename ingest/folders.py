"""A source folder is a boundary: nothing outside it is read through it.

A file whose real path is not inside the folder's real path (a symlink to a file
elsewhere, or a name inside a symlinked directory) is not opened: it becomes a reject
row naming the file and where it leads, without any of the target's content. A symlink
that stays inside the folder (``quotas.csv`` -> ``archive/quotas-2026.csv``) is read: it
exposes nothing the folder does not already hold.

Names a folder holds that no resource reads (``quota.csv`` for ``quotas.csv``) are listed
by ``unknown_names``, for the log and the run summary: a mistyped file is otherwise
ignored without a word.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.exports import REJECTS_SCHEMA, reject_row

log = logging.getLogger(__name__)

# Files operating systems leave in any folder, never meant as data.
JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".directory"})


def leads_outside(folder: Path, path: Path) -> Path | None:
    """Where ``path`` really leads when that is outside ``folder``; None when inside."""
    target = Path(os.path.realpath(path))
    return None if target.is_relative_to(os.path.realpath(folder)) else target


def outside_reason(folder: Path, path: Path) -> str | None:
    """Why ``path`` is not read, when it leads outside ``folder``; None when inside."""
    target = leads_outside(folder, path)
    if target is None:
        return None
    relative = path.relative_to(folder).as_posix()
    reason = (
        f"{relative} leads outside the folder {folder} (to {target}): not read; copy the "
        "file into the folder instead of linking to it"
    )
    log.warning("%s", reason)
    return reason


def outside_reject(object_type: str, folder: Path, path: Path) -> dict[str, Any] | None:
    """The reject row of a file that leads outside ``folder``, or None when it is inside.
    The payload says where it leads (the same link gives the same reject id on re-runs)."""
    reason = outside_reason(folder, path)
    if reason is None:
        return None
    relative = path.relative_to(folder).as_posix()
    row = reject_row(object_type, Path(relative), 0, reason, f"-> {os.path.realpath(path)}")
    return {**row, "source_file": relative, "line_number": None}


def as_reject_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=REJECTS_SCHEMA)


def unknown_names(folder: Path | None, known: Iterable[str]) -> list[str]:
    """The names in ``folder`` that are not in ``known`` (nor operating-system junk),
    sorted; directories end with ``/``. Dotted names count: ``..evil.csv`` is reported."""
    if folder is None or not Path(folder).is_dir():
        return []
    expected = set(known) | JUNK_NAMES
    return sorted(
        entry.name + ("/" if entry.is_dir() else "")
        for entry in os.scandir(folder)
        if entry.name not in expected
    )


def warn_unknown(source: str, folder: Path | None, known: Iterable[str]) -> list[str]:
    """``unknown_names``, logged as one warning."""
    names = unknown_names(folder, known)
    if names:
        log.warning(
            "%s folder %s holds files no resource reads, ignored: %s (a misspelt name?)",
            source,
            folder,
            ", ".join(names),
        )
    return names
