"""Change a world between two runs, so that incremental loads have something to find.

The CRM gets new records, updated records (one property changed, its history appended,
``hs_lastmodifieddate`` and ``updatedAt`` moved) and archived ones; Stripe objects get
updated in place (their ``created`` does not move, as on Stripe) with an ``*.updated``
event each. Every change is stamped after the latest timestamp already in the world, so
a client holding the previous high-water mark finds exactly these changes, and the
returned summary says which ids to expect. Same world and seed, same bytes.
Files are streamed (a 200k-deal world is not loaded whole) and replaced atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo.sandbox.mutate_crm import mutate_crm
from demo.sandbox.mutate_payments import mutate_payments
from demo.sandbox.worldfiles import Changes


@dataclass(frozen=True)
class MutationSummary:
    """What ``mutate_world`` changed: ids per system, object type and kind.

    CRM kinds are ``created``, ``updated`` and ``archived``; payments kinds ``updated``
    (and ``deleted`` for customers), plus ``events`` -> ``created``. The watermarks are
    the latest CRM modification (HubSpot timestamp) and Stripe ``created`` before the
    change: every change is later.
    """

    seed: int
    fraction: float
    crm_watermark: str | None
    payments_watermark: int | None
    crm: Changes = field(default_factory=dict)
    payments: Changes = field(default_factory=dict)

    def ids(self, system: str, object_type: str, kind: str) -> tuple[str, ...]:
        changes = self.crm if system == "crm" else self.payments
        return changes.get(object_type, {}).get(kind, ())

    def to_dict(self) -> dict[str, Any]:
        def plain(changes: Changes) -> dict[str, dict[str, list[str]]]:
            return {
                object_type: {kind: list(ids) for kind, ids in kinds.items()}
                for object_type, kinds in changes.items()
            }

        return {
            "seed": self.seed,
            "fraction": self.fraction,
            "crm_watermark": self.crm_watermark,
            "payments_watermark": self.payments_watermark,
            "crm": plain(self.crm),
            "payments": plain(self.payments),
        }


def mutate_world(
    world_dir: Path, seed: int, fraction: float, deleted_customers: int = 0
) -> MutationSummary:
    """Create, update and archive about ``fraction`` of each CRM object type's live records
    (archiving half as many), update ``fraction`` of the Stripe objects and delete
    ``deleted_customers`` Stripe customers, with an event each."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    world_dir = Path(world_dir)
    crm_watermark, crm = mutate_crm(world_dir / "crm", seed, fraction)
    payments_watermark, payments = mutate_payments(
        world_dir / "payments", seed, fraction, deleted_customers
    )
    return MutationSummary(
        seed=seed,
        fraction=fraction,
        crm_watermark=crm_watermark,
        payments_watermark=payments_watermark,
        crm=crm,
        payments=payments,
    )
