"""Write exports the way the source systems do: one JSON object per line."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson


def write_jsonl(path: Path, objects: Iterable[dict[str, Any]]) -> int:
    """Write ``objects`` to ``path`` (parents created), returning how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for obj in objects:
            out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            count += 1
    return count


class JsonlWriters:
    """One open JSON Lines file per object type under ``folder``, written as objects stream by."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.counts: dict[str, int] = {}
        self._files: dict[str, Any] = {}

    def write(self, object_type: str, obj: dict[str, Any]) -> None:
        out = self._files.get(object_type)
        if out is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            out = self._files[object_type] = (self.folder / f"{object_type}.jsonl").open("wb")
        # orjson: the standard encoder was the largest cost of generating a world.
        out.write(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))
        self.counts[object_type] = self.counts.get(object_type, 0) + 1

    def close(self) -> None:
        for out in self._files.values():
            out.close()
        self._files.clear()

    def __enter__(self) -> JsonlWriters:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def write_csv(path: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` as CSV with a header; returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
