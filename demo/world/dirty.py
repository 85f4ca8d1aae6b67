"""Dirty mode: malformed records beside (never instead of) the good ones.

Each variant breaks one thing a connector must catch and quarantine with a reason: a
missing key, a number that is not one, a date that is not one. The good record is always
written too, so the ground truth holds and the quarantine can be counted exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from demo.formats.files import JsonlWriters

Obj = dict[str, Any]
Variant = Callable[[Obj], Obj]


def _without(key: str) -> Variant:
    return lambda obj: {name: value for name, value in obj.items() if name != key}


def _property(name: str, value: str) -> Variant:
    return lambda obj: {**obj, "properties": {**obj["properties"], name: value}}


def _field(name: str, value: Any) -> Variant:
    return lambda obj: {**obj, name: value}


_CRM_ANY = (_without("id"), _property("hs_lastmodifieddate", "yesterday"))
CRM_VARIANTS: dict[str, tuple[Variant, ...]] = {
    "deals": (*_CRM_ANY, _property("amount", "n/a"), _property("closedate", "31/12/2026")),
    "line_items": (*_CRM_ANY, _property("quantity", "two"), _property("amount", "1.234,50")),
    "calls": (*_CRM_ANY, _property("hs_timestamp", "not a date")),
    "meetings": (*_CRM_ANY, _property("hs_timestamp", "not a date")),
}
_STRIPE_ANY = (_without("id"), _field("created", "2026-01-01T00:00:00Z"))
STRIPE_VARIANTS: dict[str, tuple[Variant, ...]] = {
    "invoices": (*_STRIPE_ANY, _field("amount_due", "12.50"), _field("currency", None)),
    "charges": (*_STRIPE_ANY, _field("amount", "12.50")),
    "refunds": (*_STRIPE_ANY, _field("amount", -100)),
}
# CSV files: (column, bad value) pairs, one chosen per malformed row.
FILE_VARIANTS: dict[str, tuple[tuple[str, str], ...]] = {
    "quotas": (("quota_amount", "TBD"), ("month", "2026-13"), ("rep_email", "")),
    "fx_rates": (("units_per_usd", "n/a"), ("date", "31/12/2026"), ("units_per_usd", "-1")),
    "survey_responses": (("score", "11"), ("score", "ten"), ("survey_date", "someday")),
    "rep_roster": (("valid_from", "someday"), ("rep_email", "")),
}


class DirtyWriters:
    """``JsonlWriters`` that also write, beside some objects, a malformed copy of them.

    Object types without variants are written as they are; ``counts`` counts the
    malformed copies by object type (the writers' own counts include them)."""

    def __init__(
        self,
        writers: JsonlWriters,
        variants: dict[str, tuple[Variant, ...]],
        rate: float,
        rng: random.Random,
    ) -> None:
        self.writers, self.variants, self.rate, self.rng = writers, variants, rate, rng
        self.counts: dict[str, int] = {}

    def write(self, object_type: str, obj: Obj) -> None:
        self.writers.write(object_type, obj)
        variants = self.variants.get(object_type)
        if variants and self.rate and self.rng.random() < self.rate:
            self.writers.write(object_type, self.rng.choice(variants)(obj))
            self.counts[object_type] = self.counts.get(object_type, 0) + 1


def dirty_rows(
    file_stem: str, rows: Iterable[dict[str, str]], rate: float, rng: random.Random
) -> Iterator[tuple[dict[str, str], bool]]:
    """Each row as ``(row, False)``, and beside some a malformed copy as ``(row, True)``."""
    variants = FILE_VARIANTS.get(file_stem, ())
    for row in rows:
        yield row, False
        if variants and rate and rng.random() < rate:
            column, value = rng.choice(variants)
            yield {**row, column: value}, True


def merge_counts(total: dict[str, int], part: dict[str, int]) -> None:
    for name, count in part.items():
        total[name] = total.get(name, 0) + count
