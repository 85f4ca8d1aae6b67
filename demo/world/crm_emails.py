"""Emails the CRM logged: HubSpot email engagements for part of the reps' customer mail.

HubSpot logs a message when the rep's inbox is connected or the rep BCCs the CRM, so the
CRM holds a subset of what the mail stores hold, with its own ids and no Message-ID.
The email KPIs are counted from the mail stores (the complete record); these objects are
there so the connector and the warehouse meet the engagement type as it really comes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from demo.formats.hubspot import crm_object
from demo.formats.mail import MailMessage
from demo.world.accounts import Company
from demo.world.org import Org

LOGGED_SHARE = 0.6  # of a rep's customer messages; the rest never reach the CRM
ID_OFFSET = 5 * 10**10  # calls, meetings, notes and tasks use 1-4 x 10**10


def logged_emails(
    seed: int, index: int, company: Company, org: Org, mail: list[tuple[str, MailMessage]]
) -> Iterator[dict[str, Any]]:
    """The company's logged emails, in the mail's order; ``mail`` as ``company_mail`` yields
    it (a message once per mailbox it sits in: the CRM logs it once)."""
    rng = random.Random(f"{seed}:crm_emails:{index}")
    reps = {rep.email: rep for rep in org.reps}
    contacts = {contact.email: contact for contact in company.contacts}
    seen: set[int] = set()
    counter = 0
    for _, message in mail:
        if id(message) in seen:
            continue
        seen.add(id(message))
        sender = message.sender[1]
        recipients = [address for _, address in (*message.to, *message.cc)]
        rep_address = sender if sender in reps else next((a for a in recipients if a in reps), None)
        contact_address = next((a for a in (sender, *recipients) if a in contacts), None)
        if rep_address is None or contact_address is None or message.auto_submitted:
            continue  # internal mail and auto-replies are not logged
        if rng.random() >= LOGGED_SHARE:
            continue
        counter += 1
        yield crm_object(
            str(ID_OFFSET + index * 10_000 + counter),
            message.sent_at,
            histories={},
            properties={
                "hs_timestamp": message.sent_at,
                "hubspot_owner_id": reps[rep_address].owner_id,
                "hs_email_direction": "EMAIL" if sender in reps else "INCOMING_EMAIL",
                "hs_email_status": "SENT",
                "hs_email_subject": message.subject,
                "hs_email_headers": _headers(message),
            },
            associations={
                "contacts": [(contacts[contact_address].contact_id, "email_to_contact")],
                "companies": [(company.company_id, "email_to_company")],
            },
        )


def _headers(message: MailMessage) -> str:
    """``hs_email_headers``: a JSON string of the participants, as HubSpot stores it."""

    def person(pair: tuple[str, str]) -> dict[str, str]:
        name, address = pair
        first, _, last = name.partition(" ")
        return {"email": address, "firstName": first, "lastName": last}

    return json.dumps(
        {
            "from": person(message.sender),
            "to": [person(pair) for pair in message.to],
            "cc": [person(pair) for pair in message.cc],
            "bcc": [],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
