"""Emails the CRM logged: a subset of the reps' customer mail, once per message."""

from __future__ import annotations

import json
import random
from collections import Counter

from demo.formats.hubspot import hubspot_timestamp
from demo.world.accounts import build_company
from demo.world.crm_emails import logged_emails
from demo.world.fx import FxRates
from demo.world.mailboxes import company_mail
from demo.world.org import build_org
from demo.world.scales import SCALES

SEED = 7


def test_logged_emails_are_customer_messages_once_each() -> None:
    org = build_org(random.Random(f"{SEED}:org"), SCALES["xs"])
    fx = FxRates(random.Random(f"{SEED}:fx"))
    reps = {rep.email: rep.owner_id for rep in org.reps}
    logged = candidates = 0
    directions: Counter[str] = Counter()
    for index in range(120):
        company = build_company(SEED, index, org, fx)
        contacts = {contact.email: contact.contact_id for contact in company.contacts}
        mail = list(company_mail(SEED, index, company, org))
        customer_mail = {}  # (sent at, sender, subject) -> the message, once
        for _, message in mail:
            people = {message.sender[1], *(a for _, a in (*message.to, *message.cc))}
            if people & set(reps) and people & set(contacts) and not message.auto_submitted:
                key = (hubspot_timestamp(message.sent_at), message.sender[1], message.subject)
                customer_mail[key] = message
        candidates += len(customer_mail)
        emails = list(logged_emails(SEED, index, company, org, mail))
        assert len({email["id"] for email in emails}) == len(emails)
        for email in emails:
            props = email["properties"]
            headers = json.loads(props["hs_email_headers"])
            sender = headers["from"]["email"]
            message = customer_mail.pop((props["hs_timestamp"], sender, props["hs_email_subject"]))
            outbound = sender in reps
            directions[props["hs_email_direction"]] += 1
            assert props["hs_email_direction"] == ("EMAIL" if outbound else "INCOMING_EMAIL")
            rep_address = (
                sender if outbound else next(a for _, a in (*message.to, *message.cc) if a in reps)
            )
            assert props["hubspot_owner_id"] == reps[rep_address]
            [contact] = email["associations"]["contacts"]["results"]
            assert contact["id"] in contacts.values()
            logged += 1
    assert directions["EMAIL"] and directions["INCOMING_EMAIL"]
    assert 0.5 < logged / candidates < 0.7  # LOGGED_SHARE, the rest never reach the CRM
