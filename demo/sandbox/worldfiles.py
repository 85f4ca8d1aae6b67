"""Streaming edits of a world's JSON Lines files, shared by the world mutations.

Files are read line by line and replaced atomically (temporary file + rename), so a
200k-deal world is never held in memory and a server reading the file never sees half
of it. Lines that are not changed keep their exact bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from demo.sandbox.values import id_key

Changes = dict[str, dict[str, tuple[str, ...]]]  # object type -> kind -> ids


def objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each parseable object line with an id."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and obj.get("id") not in (None, ""):
                yield number, obj


def rewrite(
    path: Path,
    wanted: set[int],
    transform: Callable[[int, dict[str, Any]], dict[str, Any] | None],
    appended: Callable[[], list[dict[str, Any]]],
) -> None:
    """Stream ``path`` into a temporary file beside it, passing the ``wanted`` lines through
    ``transform`` (``None`` keeps a line as it was), add ``appended()``, then rename."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            if path.exists():
                with path.open("rb") as lines:
                    for number, line in enumerate(lines):
                        replaced = None
                        if number in wanted:
                            replaced = transform(number, json.loads(line))
                        if replaced is not None:
                            out.write(_line(replaced))
                        else:
                            out.write(line if line.endswith(b"\n") else line + b"\n")
            for obj in appended():
                out.write(_line(obj))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def keep(number: int, obj: dict[str, Any]) -> None:
    """A ``transform`` that changes nothing (for a file that is only appended to)."""
    return None


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def share_of(fraction: float, population: int) -> int:
    """``fraction`` of ``population``, at least one when both are non-zero."""
    if fraction <= 0 or population == 0:
        return 0
    return min(population, max(1, round(fraction * population)))


def sorted_ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(ids, key=id_key))
