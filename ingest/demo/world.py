"""A small deterministic sales company, written as a HubSpot CRM export.

This is the walking skeleton's world: teams, reps, one pipeline and a year of deals
with stage and owner history. Same seed, same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ingest.demo.files import write_jsonl
from ingest.demo.hubspot import Stage, deal_object, owner_object, pipeline_object

WORLD_START = datetime(2025, 11, 1, tzinfo=UTC)
WORLD_END = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)

SALES_PIPELINE = (
    Stage("appointmentscheduled", "Appointment Scheduled", Decimal("0.2")),
    Stage("qualifiedtobuy", "Qualified To Buy", Decimal("0.4")),
    Stage("presentationscheduled", "Presentation Scheduled", Decimal("0.6")),
    Stage("decisionmakerboughtin", "Decision Maker Bought-In", Decimal("0.8")),
    Stage("contractsent", "Contract Sent", Decimal("0.9")),
    Stage("closedwon", "Closed Won", Decimal("1.0"), is_closed=True),
    Stage("closedlost", "Closed Lost", Decimal("0.0"), is_closed=True),
)
TEAMS = (("101", "Jakarta Enterprise"), ("102", "Singapore Mid-Market"), ("103", "Inbound"))
FIRST_NAMES = (
    "Ayu",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fajar",
    "Gita",
    "Hadi",
    "Indah",
    "Joko",
    "Kartika",
    "Lukas",
    "Maya",
    "Nadia",
    "Oscar",
    "Putri",
)
LAST_NAMES = ("Santoso", "Wijaya", "Tan", "Lim", "Pratama", "Halim", "Gunawan", "Kusuma")


@dataclass(frozen=True)
class WorldSize:
    reps: int
    deals: int


SIZES = {"demo": WorldSize(reps=12, deals=1_500), "tiny": WorldSize(reps=3, deals=20)}


def write_demo_world(out_dir: Path, seed: int = 7, size: str = "demo") -> Path:
    """Write the CRM export of the world under ``out_dir/crm`` and return that folder."""
    scale = SIZES[size]
    rng = random.Random(seed)
    crm_dir = out_dir / "crm"
    owner_ids = [str(1000 + index) for index in range(scale.reps)]

    write_jsonl(
        crm_dir / "deal_pipelines.jsonl",
        [
            pipeline_object("default", "Sales Pipeline", SALES_PIPELINE, WORLD_START),
        ],
    )
    write_jsonl(
        crm_dir / "owners.jsonl",
        (
            owner_object(
                owner_id,
                email=f"rep{owner_id}@demo-sales.example",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                teams=[TEAMS[index % len(TEAMS)]],
                created_at=WORLD_START - timedelta(days=90),
            )
            for index, owner_id in enumerate(owner_ids)
        ),
    )
    write_jsonl(
        crm_dir / "deals.jsonl",
        (_deal(rng, deal_number, owner_ids) for deal_number in range(scale.deals)),
    )
    return crm_dir


def _deal(rng: random.Random, deal_number: int, owner_ids: list[str]) -> dict:
    span_days = (WORLD_END - WORLD_START).days
    created_at = WORLD_START + timedelta(days=rng.uniform(0, span_days - 30))
    open_stages = SALES_PIPELINE[:5]
    reached = rng.randint(1, len(open_stages))
    moment = created_at
    stage_history: list[tuple[str, datetime]] = []
    for stage in open_stages[:reached]:
        stage_history.append((stage.stage_id, moment))
        moment += timedelta(days=rng.uniform(1, 20), hours=rng.uniform(0, 23))
    outcome = rng.random()
    close_at = moment
    if close_at <= WORLD_END and outcome < 0.75:
        won = outcome < 0.35 + 0.08 * reached
        stage_history.append(("closedwon" if won else "closedlost", close_at))
    owner_history = [(rng.choice(owner_ids), created_at)]
    if rng.random() < 0.1:  # reassigned after the close: credit must stay with the first owner
        owner_history.append((rng.choice(owner_ids), close_at + timedelta(days=rng.uniform(1, 30))))
    amount = Decimal(rng.randrange(1_000, 80_000)) + Decimal(rng.randrange(0, 100)) / 100
    return deal_object(
        deal_id=str(500_000 + deal_number),
        name=f"Deal {deal_number:05d}",
        pipeline_id="default",
        stage_history=stage_history,
        owner_history=owner_history,
        amount=amount,
        currency="USD",
        created_at=created_at,
        close_at=close_at,
        archived=rng.random() < 0.01,
    )
