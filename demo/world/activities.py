"""Calls, meetings, notes and tasks that reps log against contacts, companies and deals."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from demo.world.accounts import Company, Deal
from demo.world.scales import WORLD_END

# HubSpot's default call dispositions (id -> label).
CALL_DISPOSITIONS = {
    "f240bbac-87c9-4f6e-bf70-924b57d47db7": "Connected",
    "73a0d17f-1163-4015-bdd5-ec830791da20": "No answer",
    "b2cf5968-551e-4856-9783-52b3da59a7d0": "Left voicemail",
    "9d9162e7-6cf3-4944-bf63-4dff82258764": "Busy",
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff": "Left live message",
    "17b47fee-58de-441e-a44c-c6300d46f273": "Wrong number",
}
DISPOSITION_WEIGHTS = (45, 25, 15, 7, 5, 3)
MEETING_TYPES = ("In-person Visit", "Video Call", "Phone Meeting")
# ``rng.choices`` with cumulative weights draws exactly as with the weights, without
# summing them on every call.
_DISPOSITIONS = tuple(CALL_DISPOSITIONS)
_DISPOSITION_CUM_WEIGHTS = tuple(accumulate(DISPOSITION_WEIGHTS))
_MEETING_CUM_WEIGHTS = tuple(accumulate((30, 55, 15)))
_ID_OFFSETS = {"calls": 1, "meetings": 2, "notes": 3, "tasks": 4}


@dataclass
class Activity:
    kind: str  # calls, meetings, notes, tasks
    activity_id: str
    at: datetime
    owner_id: str
    contact_id: str
    company_id: str
    deal_id: str | None
    properties: dict[str, object]
    # Tasks: when the rep ticked it off (None while open).
    completed_at: datetime | None = None


def company_activities(seed: int, index: int, company: Company) -> Iterator[Activity]:
    rng = random.Random(f"{seed}:activities:{index}")
    counter = 0

    def next_id(kind: str) -> str:
        nonlocal counter
        counter += 1
        return str(_ID_OFFSETS[kind] * 10**10 + index * 100 + counter)

    contact = company.contacts[0]
    if not company.deals:  # a lead nobody turned into a deal still gets a call or two
        for _ in range(rng.randint(0, 3)):
            at = contact.created_at + timedelta(days=rng.uniform(0, 20))
            if at < WORLD_END:
                yield _activity("calls", rng, next_id("calls"), at, company.owner_id, company, None)
        return
    for deal in company.deals:
        end = deal.closed_at or WORLD_END
        span = (end - deal.created_at).total_seconds()
        for kind, mean in (("calls", 7), ("meetings", 2.5), ("notes", 3), ("tasks", 3.5)):
            for _ in range(_poisson(rng, mean)):
                at = deal.created_at + timedelta(seconds=rng.uniform(0, max(span, 3600)))
                if at >= WORLD_END:
                    continue
                yield _activity(kind, rng, next_id(kind), at, deal.owner_at(at), company, deal)


Properties = tuple[dict[str, object], datetime | None]


def _activity(
    kind: str,
    rng: random.Random,
    activity_id: str,
    at: datetime,
    owner: str,
    company: Company,
    deal: Deal | None,
) -> Activity:
    """An activity of ``kind``, logged against the company's main contact and the deal."""
    properties, completed_at = PROPERTIES[kind](rng, at, company)
    return Activity(
        kind,
        activity_id,
        at,
        owner,
        company.contacts[0].contact_id,
        company.company_id,
        deal.deal_id if deal else None,
        properties,
        completed_at,
    )


def _call_properties(rng: random.Random, at: datetime, company: Company) -> Properties:
    disposition = rng.choices(_DISPOSITIONS, cum_weights=_DISPOSITION_CUM_WEIGHTS)[0]
    connected = CALL_DISPOSITIONS[disposition] == "Connected"
    return {
        "hs_call_direction": rng.choice(("OUTBOUND", "OUTBOUND", "INBOUND")),
        "hs_call_disposition": disposition,
        "hs_call_duration": str(
            int(rng.uniform(60, 1800) * 1000) if connected else int(rng.uniform(5, 40) * 1000)
        ),
        "hs_call_status": "COMPLETED",
        "hs_call_title": f"Call with {company.name}",
    }, None


def _meeting_properties(rng: random.Random, at: datetime, company: Company) -> Properties:
    kind = rng.choices(MEETING_TYPES, cum_weights=_MEETING_CUM_WEIGHTS)[0]
    return {
        "hs_meeting_title": f"{kind} - {company.name}",
        "hs_activity_type": kind,
        "hs_meeting_location": "Client office" if kind == "In-person Visit" else "Online",
        "hs_meeting_start_time": at,
        "hs_meeting_end_time": at + timedelta(minutes=rng.choice((30, 45, 60))),
        "hs_meeting_outcome": "COMPLETED",
    }, None


def _note_properties(rng: random.Random, at: datetime, company: Company) -> Properties:
    bodies = ("Budget confirmed.", "Needs legal review.", "Champion identified.", "Sent pricing.")
    return {"hs_note_body": rng.choice(bodies)}, None


def _task_properties(rng: random.Random, at: datetime, company: Company) -> Properties:
    due_done = at + timedelta(hours=rng.uniform(1, 72))
    completed = due_done < WORLD_END and rng.random() < 0.8
    return {
        "hs_task_subject": f"Follow up with {company.name}",
        "hs_task_type": rng.choice(("CALL", "EMAIL", "TODO")),
        "hs_task_status": "COMPLETED" if completed else "NOT_STARTED",
        "hs_task_completion_date": due_done if completed else None,
    }, (due_done if completed else None)


PROPERTIES = {
    "calls": _call_properties,
    "meetings": _meeting_properties,
    "notes": _note_properties,
    "tasks": _task_properties,
}


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: small means only."""
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
