"""World mutation, payments side: Stripe objects updated in place, one event each.

As on Stripe, an update does not move ``created``: a client loading incrementally on
``created`` misses it and must read the ``events`` feed, which gets an ``<object>.updated``
event carrying the new object and its ``previous_attributes``. Customers can also be
deleted: their line becomes what Stripe returns for a deleted customer (``id``, ``object``,
``deleted: true``; the sandbox lists leave it out) and a ``customer.deleted`` event carries
the customer's last state.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from demo.sandbox.worldfiles import Changes, keep, objects, rewrite, share_of, sorted_ids

STRIPE_UPDATABLE = ("customers", "products", "prices", "invoices", "charges")
STRIPE_API_VERSION = "2024-06-20"


def mutate_payments(
    payments_dir: Path, seed: int, fraction: float, deleted_customers: int = 0
) -> tuple[int | None, Changes]:
    """Update ``fraction`` of each updatable object type, then delete ``deleted_customers``
    live customers, appending one event per change; return the latest ``created`` before
    and the ids changed."""
    paths = sorted(payments_dir.glob("*.jsonl"))
    if not paths:
        return None, {}
    latest = 0
    ids: dict[str, dict[int, str]] = {}
    for path in paths:
        for number, obj in objects(path):
            if isinstance(obj.get("created"), int):
                latest = max(latest, obj["created"])
            if path.stem in STRIPE_UPDATABLE and obj.get("deleted") is not True:
                ids.setdefault(path.stem, {})[number] = str(obj["id"])
    clock = itertools.count(latest + 60)  # one second per change, after every `created`
    changes: Changes = {}
    events: list[dict[str, Any]] = []
    for object_type in STRIPE_UPDATABLE:
        lines = ids.get(object_type)
        if not lines:
            continue
        rng = random.Random(f"{seed}:payments:{object_type}")
        chosen = set(rng.sample(sorted(lines), share_of(fraction, len(lines))))
        if chosen:
            path = payments_dir / f"{object_type}.jsonl"
            _update_stripe_file(path, chosen, seed, clock, events)
            changes[object_type] = {"updated": sorted_ids(lines[number] for number in chosen)}
    customers = ids.get("customers", {})
    if deleted_customers > 0 and customers:
        rng = random.Random(f"{seed}:payments:customers:deleted")
        chosen = set(rng.sample(sorted(customers), min(deleted_customers, len(customers))))
        _delete_customers(payments_dir / "customers.jsonl", chosen, seed, clock, events)
        deleted = sorted_ids(customers[number] for number in chosen)
        changes.setdefault("customers", {})["deleted"] = deleted
    if events:
        rewrite(payments_dir / "events.jsonl", set(), keep, lambda: events)
        changes["events"] = {"created": tuple(event["id"] for event in events)}
    return latest, changes


def _update_stripe_file(
    path: Path,
    chosen: set[int],
    seed: int,
    clock: Iterator[int],
    events: list[dict[str, Any]],
) -> None:
    """Update the ``chosen`` lines of ``path``, adding an event per update to ``events``."""

    def transform(number: int, obj: dict[str, Any]) -> dict[str, Any]:
        moment = next(clock)
        previous = _update_stripe(obj, seed, moment)
        events.append(_event(obj, previous, seed, moment))
        return obj

    rewrite(path, chosen, transform, list)


def _delete_customers(
    path: Path,
    chosen: set[int],
    seed: int,
    clock: Iterator[int],
    events: list[dict[str, Any]],
) -> None:
    """Delete the customers on the ``chosen`` lines of ``path`` as Stripe does: a retrieve
    returns a stub, the event carries the customer's last state."""

    def transform(number: int, obj: dict[str, Any]) -> dict[str, Any]:
        events.append(_event(obj, None, seed, next(clock), "deleted"))
        return {"id": obj["id"], "object": obj.get("object", "customer"), "deleted": True}

    rewrite(path, chosen, transform, list)


def _update_stripe(obj: dict[str, Any], seed: int, moment: int) -> dict[str, Any]:
    """Change ``obj`` in place as Stripe would; return its ``previous_attributes``."""
    previous: dict[str, Any] = {}
    status = obj.get("status")
    if obj.get("object") == "invoice" and status in ("draft", "open"):
        transitions = dict(obj.get("status_transitions") or {})
        previous["status"] = status
        previous["status_transitions"] = obj.get("status_transitions")
        if status == "draft":
            obj["status"] = "open"
            transitions["finalized_at"] = moment
        else:
            obj["status"] = "paid"
            transitions["paid_at"] = moment
            for name, value in (
                ("amount_paid", obj.get("amount_due", 0)),
                ("amount_remaining", 0),
                ("paid", True),
            ):
                if name in obj:
                    previous[name] = obj[name]
                    obj[name] = value
        obj["status_transitions"] = transitions
    else:
        metadata = obj.get("metadata") or {}
        previous["metadata"] = metadata
        obj["metadata"] = {**metadata, "sandbox_revision": f"{seed}-{moment}"}
    if "updated" in obj:
        previous["updated"] = obj["updated"]
        obj["updated"] = moment
    return previous


def _event(
    obj: dict[str, Any],
    previous: dict[str, Any] | None,
    seed: int,
    moment: int,
    action: str = "updated",
) -> dict[str, Any]:
    digest = hashlib.sha256(f"{seed}:{obj['id']}:{moment}".encode()).hexdigest()
    data: dict[str, Any] = {"object": copy.deepcopy(obj)}
    if previous is not None:  # an update says what changed; a deletion does not
        data["previous_attributes"] = previous
    return {
        "id": f"evt_{digest[:24]}",
        "object": "event",
        "api_version": STRIPE_API_VERSION,
        "created": moment,
        "data": data,
        "livemode": bool(obj.get("livemode", False)),
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": f"{obj.get('object', 'object')}.{action}",
    }
