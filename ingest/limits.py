"""Per-record size limits: how large a record of any source may be before it is quarantined.

A record over a limit becomes a reject row naming the limit and its setting, never a row:
a 5 MB line is a broken export or a hostile file, not a deal. The defaults sit far above
what the real systems produce (see each field), so they only ever catch broken input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

KIB = 1024
MIB = 1024 * KIB
# How much of an oversized record its reject row keeps: the rejects table stays small, and
# the prefix is enough to find the record in its source.
REJECT_PAYLOAD_CHARS = 1024
CUT_NOTE = f"payload cut to its first {REJECT_PAYLOAD_CHARS:,} characters"


@dataclass(frozen=True)
class RecordLimits:
    # A JSON Lines line, a CSV row, an API object (as compact JSON), the commission plan
    # file. The largest real records (a Stripe event carrying an invoice with all its
    # lines, a HubSpot contact with its property histories) stay well under 1 MiB.
    record_bytes: int = 8 * MIB
    # Any one text of a record, at any depth (a deal's name, a note's body). HubSpot caps a
    # property value at 65,536 characters and Stripe's longest texts are a few thousand:
    # 1 Mi characters is 16 times the largest legitimate value.
    field_chars: int = 1 * MIB
    # A message's header block: RFC 5322 lines stay under 1,000 bytes, and a real block,
    # Received, DKIM and ARC lines and a long To included, under 64 KiB.
    header_bytes: int = 256 * KIB

    def record_problem(self, size: int) -> str | None:
        """Why a record of ``size`` bytes is refused unread, if it is."""
        if size <= self.record_bytes:
            return None
        return (
            f"record of {size:,} bytes, over SALES_TRACKER_MAX_RECORD_BYTES "
            f"({self.record_bytes:,}); {CUT_NOTE}"
        )

    def problem(self, record: Any, size: int) -> str | None:
        """Why a decoded record of ``size`` bytes (as text) is refused, if it is: too large
        a record, or a text in it (at any depth) longer than the field limit. A record no
        larger than the field limit cannot hold such a text, so only larger ones are
        walked: a normal record costs two comparisons."""
        problem = self.record_problem(size)
        if problem or size <= self.field_chars:
            return problem
        path, longest = max(_texts(record, ""), key=lambda found: found[1], default=("", 0))
        if longest <= self.field_chars:
            return None
        return (
            f"{path or 'value'}: a text of {longest:,} characters, over "
            f"SALES_TRACKER_MAX_FIELD_CHARS ({self.field_chars:,}); {CUT_NOTE}"
        )

    def header_problem(self) -> str:
        return (
            f"header block over {self.header_bytes:,} bytes, SALES_TRACKER_MAX_HEADER_BYTES "
            "(or no blank line ending it: not a message); not read further"
        )


DEFAULT_LIMITS = RecordLimits()


def cut(payload: str, problem: str) -> str:
    """The payload a reject row stores: cut when a size limit refused the record."""
    return payload[:REJECT_PAYLOAD_CHARS] if CUT_NOTE in problem else payload


def _texts(value: Any, path: str) -> Iterator[tuple[str, int]]:
    """Each text inside ``value`` (keys included) with its dotted path and length."""
    if isinstance(value, str):
        yield path, len(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            yield where, len(str(key))
            yield from _texts(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")
