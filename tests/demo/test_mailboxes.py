"""The reps' mailboxes of the demo world and the ground truth of responsiveness.

The mail must be deterministic and byte-identical however chunks are scheduled, readable
with the standard library, threaded consistently, and never sent by an inactive rep or
after the world's end; the truth is held against cases worked out by hand.
"""

from __future__ import annotations

import csv
import email
import mailbox
import pickle
import random
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from email.policy import default as POLICY
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from demo.formats.mail import (
    MailMessage,
    deliver_maildir,
    maildir_name,
    mbox_entry,
    render_message,
    write_maildir,
    write_mbox,
)
from demo.truth.email import (
    EMAIL_DAILY_COLUMNS,
    LEAD_RESPONSE_COLUMNS,
    REPLY_RATE_COLUMNS,
    EmailTruth,
    add_business_minutes,
    business_minutes,
)
from demo.world.accounts import Company, Contact, build_company
from demo.world.activities import Activity, company_activities
from demo.world.fx import FxRates
from demo.world.mailboxes import (
    MailWriter,
    company_mail,
    finish_mail,
    mailbox_layout,
    reset_mail,
)
from demo.world.org import Org, Rep, Team, build_org
from demo.world.scales import SCALES, WORLD_END

SEED = 7
JAKARTA = ZoneInfo("Asia/Jakarta")
COMPANIES = 300  # enough for every kind of message, small enough to stay fast


@cache
def world() -> tuple[Org, list[Company]]:
    org = build_org(random.Random(f"{SEED}:org"), SCALES["s"])
    fx = FxRates(random.Random(f"{SEED}:fx"))
    return org, [build_company(SEED, index, org, fx) for index in range(COMPANIES)]


@cache
def generated() -> list[list[tuple[str, MailMessage]]]:
    org, companies = world()
    return [list(company_mail(SEED, index, c, org)) for index, c in enumerate(companies)]


def distinct(pairs: list[tuple[str, MailMessage]]) -> list[MailMessage]:
    return list(dict.fromkeys(message for _, message in pairs))


def jkt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JAKARTA)


# -- business_minutes ----------------------------------------------------------------------


# 2026-03-02 is a Monday; 2026-03-06 a Friday.
@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        # Friday 16:30 -> Monday 09:30: 30 on Friday, 30 on Monday, the weekend is closed.
        (jkt("2026-03-06 16:30"), jkt("2026-03-09 09:30"), 60),
        # Saturday to Sunday: nothing.
        (jkt("2026-03-07 10:00"), jkt("2026-03-08 15:00"), 0),
        # The same day inside hours.
        (jkt("2026-03-03 10:15"), jkt("2026-03-03 11:45"), 90),
        # Before opening to after closing: the whole day, 8 h.
        (jkt("2026-03-02 06:00"), jkt("2026-03-02 20:00"), 480),
        # Just over a night: 16:59 -> 17:00 and 09:00 -> 09:01.
        (jkt("2026-03-03 16:59"), jkt("2026-03-04 09:01"), 2),
        # A week: five days of 8 h, wherever it starts.
        (jkt("2026-03-02 09:00"), jkt("2026-03-09 09:00"), 2400),
        (jkt("2026-03-04 12:00"), jkt("2026-03-11 12:00"), 2400),
        # Thursday 16:00 -> next Tuesday 10:00: 60 + Friday 480 + Monday 480 + 60.
        (jkt("2026-03-05 16:00"), jkt("2026-03-10 10:00"), 1080),
        # Two weeks and a bit, from a Saturday: Mon-Fri twice, then Monday 09:00-09:30.
        (jkt("2026-03-07 13:00"), jkt("2026-03-23 09:30"), 4830),
        # Fractions of a minute: 30 s.
        (jkt("2026-03-02 09:00"), jkt("2026-03-02 09:00:30"), 0.5),
        # Not after the start: 0.
        (jkt("2026-03-03 11:00"), jkt("2026-03-03 10:00"), 0),
        # Other offsets are the same instants: Friday 16:30 Jakarta is 09:30 UTC and
        # 04:30 in New York; Monday 09:30 Jakarta is 02:30 UTC and 10:30 in Singapore.
        (datetime(2026, 3, 6, 9, 30, tzinfo=UTC), datetime(2026, 3, 9, 2, 30, tzinfo=UTC), 60),
        (
            datetime(2026, 3, 6, 4, 30, tzinfo=ZoneInfo("America/New_York")),
            datetime(2026, 3, 9, 10, 30, tzinfo=timezone(timedelta(hours=8))),
            60,
        ),
        # New Year's Eve 2025 (Wednesday) 16:00 to Friday 2 January 10:00: no holidays.
        (jkt("2025-12-31 16:00"), jkt("2026-01-02 10:00"), 60 + 480 + 60),
    ],
)
def test_business_minutes_worked_by_hand(start: datetime, end: datetime, minutes: float) -> None:
    assert business_minutes(start, end) == minutes


def test_business_minutes_agrees_with_counting_minute_by_minute() -> None:
    rng = random.Random(3)
    base = jkt("2026-02-27 00:00")  # a Friday
    for _ in range(25):
        start = base + timedelta(minutes=rng.randrange(0, 10 * 1440))
        end = start + timedelta(minutes=rng.randrange(0, 6 * 1440))
        counted = 0
        moment = start
        while moment < end:
            local = moment.astimezone(JAKARTA)
            counted += local.weekday() < 5 and 9 <= local.hour < 17
            moment += timedelta(minutes=1)
        assert business_minutes(start, end) == counted, (start, end)


def test_add_business_minutes_inverts_business_minutes() -> None:
    assert add_business_minutes(jkt("2026-03-06 16:30"), 60) == jkt("2026-03-09 09:30")
    assert add_business_minutes(jkt("2026-03-07 12:00"), 0) == jkt("2026-03-09 09:00")
    assert add_business_minutes(jkt("2026-03-03 10:00"), 30) == jkt("2026-03-03 10:30")
    rng = random.Random(5)
    for _ in range(50):
        start = jkt("2026-03-02 00:00") + timedelta(seconds=rng.randrange(0, 30 * 86400))
        minutes = rng.uniform(0, 5000)
        end = add_business_minutes(start, minutes)
        assert business_minutes(start, end) == pytest.approx(minutes, abs=1e-6)


def test_business_minutes_needs_aware_datetimes() -> None:
    with pytest.raises(ValueError):
        business_minutes(datetime(2026, 3, 2, 9), jkt("2026-03-02 10:00"))


# -- the lead-response truth, worked by hand ----------------------------------------------

ANA = Rep("100001", "Ana", "Lim", "ana.lim.1@demo-sales.example", date(2024, 1, 1), None)
BEN = Rep("100002", "Ben", "Tan", "ben.tan.2@demo-sales.example", date(2024, 1, 1), None)
HAND_ORG = Org(teams=[Team("7000", "Alpha")], reps=[ANA, BEN])
BERLIN = ZoneInfo("Europe/Berlin")


def hand_contact(number: int, owner: Rep) -> Contact:
    return Contact(
        contact_id=f"3000000{number}",
        first_name="Søren" if number == 1 else f"C{number}",
        last_name="Müller",
        email=f"c{number}@client.example",
        created_at=jkt("2026-03-01 09:00"),
        lead_sources=[("web", jkt("2026-03-01 09:00"))],
        owner_id=owner.owner_id,
    )


C1, C2, C3, C4 = (
    hand_contact(1, ANA),
    hand_contact(2, ANA),
    hand_contact(3, BEN),
    hand_contact(4, BEN),
)
HAND_COMPANY = Company(
    company_id="20000001",
    name="Rhein Works 1",
    domain="client.example",
    country="DE",
    currency="EUR",
    created_at=jkt("2026-03-01 09:00"),
    lead_source="web",
    owner_id=ANA.owner_id,
    contacts=[C1, C2, C3, C4],
)


def person(who: Rep | Contact) -> tuple[str, str]:
    return (f"{who.first_name} {who.last_name}", who.email)


def mail(
    number: int,
    sender: Rep | Contact,
    to: list[Rep | Contact],
    at: datetime,
    *,
    cc: tuple[Rep | Contact, ...] = (),
    parent: MailMessage | None = None,
    auto: bool = False,
    has_id: bool = True,
) -> MailMessage:
    return MailMessage(
        message_id=f"<m{number}@hand.example>" if has_id else None,
        sender=person(sender),
        to=tuple(person(x) for x in to),
        cc=tuple(person(x) for x in cc),
        sent_at=at,
        subject=f"Re: thread {number}" if parent else f"thread {number}",
        in_reply_to=parent.message_id if parent else None,
        references=(*parent.references, parent.message_id) if parent else (),
        auto_submitted="auto-replied" if auto else None,
    )


M1 = mail(1, ANA, [C2], jkt("2026-03-02 14:00"))  # outbound thread, Ana, March
M2 = mail(2, C2, [ANA], jkt("2026-03-03 10:00"), parent=M1)  # C2's first inbound; replies M1
M3 = mail(3, C2, [ANA], jkt("2026-03-03 10:20"))  # a second inbound: not the first
M4 = mail(4, BEN, [C2], jkt("2026-03-03 10:45"), cc=(ANA,), parent=M3)  # Ben answers for Ana
M5 = mail(5, C3, [BEN], jkt("2026-03-04 20:00"), has_id=False)  # never answered
M6 = mail(6, BEN, [C3], jkt("2026-03-04 20:00") + timedelta(seconds=40), auto=True)
# Friday 16:30 Jakarta, written from Berlin (10:30 +0100), to Ana with Ben in copy.
M7 = mail(7, C1, [ANA], datetime(2026, 3, 6, 10, 30, tzinfo=BERLIN), cc=(BEN,))
M8 = mail(8, ANA, [C1], jkt("2026-03-06 16:31"), parent=M7, auto=True)  # out of office
M9 = mail(9, ANA, [C1], jkt("2026-03-09 11:00"), parent=M7)  # after the call: not first
M10 = mail(10, BEN, [C4], datetime(2026, 3, 9, 17, 30, tzinfo=UTC))  # 10 Mar 00:30 Jakarta
M11 = mail(11, C4, [BEN], datetime(2026, 3, 9, 17, 31, tzinfo=UTC), parent=M10, auto=True)
M12 = mail(12, ANA, [BEN], jkt("2026-03-09 12:00"))  # internal
M13 = mail(13, ANA, [C2], datetime(2026, 3, 31, 17, 30, tzinfo=UTC))  # 1 Apr 00:30 Jakarta
M14 = mail(14, C2, [ANA], jkt("2026-04-02 09:00"), parent=M13)
HAND_MAIL = [M1, M2, M3, M4, M5, M6, M7, M8, M9, M10, M11, M12, M13, M14]


def activity(kind: str, number: int, contact: Contact, at: datetime, owner: Rep) -> Activity:
    return Activity(kind, str(number), at, owner.owner_id, contact.contact_id, "20000001", None, {})


HAND_ACTIVITIES = [
    activity("calls", 1, C1, jkt("2026-03-05 10:00"), ANA),  # before the inbound
    activity("notes", 2, C1, jkt("2026-03-06 16:45"), ANA),  # a note is no response
    # The call answers C1 first; the export keeps milliseconds, so .250999 s -> .250 s.
    activity("calls", 3, C1, jkt("2026-03-09 09:30:00.250999"), ANA),
    activity("meetings", 4, C2, jkt("2026-03-04 10:00"), BEN),  # after the email answer
]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def hand_truth_rows(truth: EmailTruth, folder: Path) -> dict[str, list[dict[str, str]]]:
    truth.write(folder)
    return {
        name: read_csv(folder / f"{name}.csv")
        for name in ("lead_response", "email_daily", "email_reply_rate_monthly")
    }


def test_email_truth_worked_by_hand(tmp_path: Path) -> None:
    truth = EmailTruth(HAND_ORG)
    # As company_mail yields them: a message once per mailbox holding it.
    pairs = [(address, m) for m in HAND_MAIL for address in sorted(mailboxes_of(m))]
    assert len(pairs) > len(HAND_MAIL)
    truth.add_company(HAND_COMPANY, pairs, HAND_ACTIVITIES)
    rows = hand_truth_rows(truth, tmp_path)

    lead = {row["contact_id"]: row for row in rows["lead_response"]}
    assert list(rows["lead_response"][0]) == LEAD_RESPONSE_COLUMNS
    assert list(lead) == [C1.contact_id, C2.contact_id, C3.contact_id]  # C4 never wrote
    # C1: Friday 16:30 Jakarta; the auto-reply does not count; the call on Monday 09:30:00.250
    # comes before Ana's email at 11:00. 2 days 17 h = 3900 min; business: 30 + 30 = 60.
    c1 = lead[C1.contact_id]
    assert c1["rep_id"] == ANA.owner_id
    assert c1["first_inbound_at"] == "2026-03-06T09:30:00.000Z"
    assert c1["first_response_at"] == "2026-03-09T02:30:00.250Z"
    assert float(c1["response_minutes"]) == pytest.approx(3900 + 0.25 / 60, abs=1e-9)
    assert float(c1["response_business_minutes"]) == pytest.approx(60 + 0.25 / 60, abs=1e-9)
    assert (c1["answered_within_1h"], c1["answered_within_24h"]) == ("false", "false")
    # C2: the first inbound is M2 (a reply to Ana's outbound, Tuesday 10:00); Ana's outbound
    # before it does not count; Ben answers at 10:45: 45 minutes, credited to Ana, the owner.
    c2 = lead[C2.contact_id]
    assert (c2["rep_id"], c2["first_inbound_at"]) == (ANA.owner_id, "2026-03-03T03:00:00.000Z")
    assert c2["first_response_at"] == "2026-03-03T03:45:00.000Z"
    assert (float(c2["response_minutes"]), float(c2["response_business_minutes"])) == (45, 45)
    assert (c2["answered_within_1h"], c2["answered_within_24h"]) == ("true", "true")
    # C3: no Message-ID, only Ben's auto-reply: unanswered, open after 7 days.
    c3 = lead[C3.contact_id]
    assert c3 == {
        "contact_id": C3.contact_id,
        "rep_id": BEN.owner_id,
        "first_inbound_at": "2026-03-04T13:00:00.000Z",
        "first_response_at": "",
        "response_minutes": "",
        "response_business_minutes": "",
        "answered_within_1h": "false",
        "answered_within_24h": "false",
    }
    assert truth.open_after_7d_count() == 1
    assert truth.open_after_7d_count(as_of=datetime(2026, 3, 10, tzinfo=UTC)) == 0

    # Days in Jakarta; auto-replies and internal mail count nowhere; a cc'd rep on a
    # colleague's outbound receives nothing; M7 to Ana with Ben in copy: one each.
    daily = {(r["rep_id"], r["activity_date"]): r for r in rows["email_daily"]}
    assert list(rows["email_daily"][0]) == EMAIL_DAILY_COLUMNS
    want = {
        (ANA.owner_id, "2026-03-02"): (1, 0),  # M1
        (ANA.owner_id, "2026-03-03"): (0, 2),  # M2, M3
        (BEN.owner_id, "2026-03-03"): (1, 0),  # M4
        (BEN.owner_id, "2026-03-04"): (0, 1),  # M5
        (ANA.owner_id, "2026-03-06"): (0, 1),  # M7
        (BEN.owner_id, "2026-03-06"): (0, 1),  # M7 (cc)
        (ANA.owner_id, "2026-03-09"): (1, 0),  # M9
        (BEN.owner_id, "2026-03-10"): (1, 0),  # M10, 00:30 in Jakarta
        (ANA.owner_id, "2026-04-01"): (1, 0),  # M13, 00:30 in Jakarta
        (ANA.owner_id, "2026-04-02"): (0, 1),  # M14
    }
    assert {k: (int(r["emails_sent"]), int(r["emails_received"])) for k, r in daily.items()} == (
        want
    )

    # Outbound threads: M1 (Ana, March, replied by M2), M10 (Ben, March: only an
    # auto-reply), M13 (Ana, April in Jakarta, replied). M4 and M9 answer inbound threads.
    monthly = [
        (r["rep_id"], r["month"], r["outbound_threads"], r["replied_threads"])
        for r in rows["email_reply_rate_monthly"]
    ]
    assert list(rows["email_reply_rate_monthly"][0]) == REPLY_RATE_COLUMNS
    assert monthly == [
        (ANA.owner_id, "2026-03-01", "1", "1"),
        (ANA.owner_id, "2026-04-01", "1", "1"),
        (BEN.owner_id, "2026-03-01", "1", "0"),
    ]
    rates = [float(r["email_reply_rate"]) for r in rows["email_reply_rate_monthly"]]
    assert rates == [1.0, 1.0, 0.0]


def test_email_truth_parts_are_picklable_and_merge_to_the_same_answer(tmp_path: Path) -> None:
    org, companies = world()
    whole = EmailTruth(org)
    merged = EmailTruth(org)
    for first in (0, 40):
        part = EmailTruth(org)
        for index in range(first, first + 40):
            activities = list(company_activities(SEED, index, companies[index]))
            part.add_company(companies[index], generated()[index], activities)
            whole.add_company(companies[index], generated()[index], activities)
        merged.merge(pickle.loads(pickle.dumps(part.part())))
    whole.write(tmp_path / "whole")
    merged.write(tmp_path / "merged")
    for name in ("lead_response", "email_daily", "email_reply_rate_monthly"):
        assert (tmp_path / "whole" / f"{name}.csv").read_bytes() == (
            tmp_path / "merged" / f"{name}.csv"
        ).read_bytes()


def mailboxes_of(message: MailMessage) -> set[str]:
    reps = {rep.email for rep in HAND_ORG.reps}
    everyone = (message.sender, *message.to, *message.cc)
    return {address for _, address in everyone if address in reps}


# -- the generated mail ------------------------------------------------------------------


def test_company_mail_is_deterministic_and_a_function_of_the_company_alone() -> None:
    org, companies = world()
    for index in (3, 57, 211):
        again = list(company_mail(SEED, index, companies[index], org))
        assert [(o, render_message(m)) for o, m in again] == [
            (o, render_message(m)) for o, m in generated()[index]
        ]
    other = list(company_mail(SEED + 1, 3, companies[3], org))
    assert [render_message(m) for _, m in other] != [render_message(m) for _, m in generated()[3]]


def test_volume_and_mix_of_messages() -> None:
    messages = [m for pairs in generated() for m in distinct(pairs)]
    assert 4.0 <= len(messages) / COMPANIES <= 5.5
    org, _ = world()
    reps = {rep.email for rep in org.reps}
    kinds: Counter[str] = Counter()
    for m in messages:
        from_rep = m.sender[1] in reps
        to_reps = all(address in reps for _, address in (*m.to, *m.cc))
        if m.auto_submitted:
            kinds["auto from rep" if from_rep else "auto from contact"] += 1
        elif from_rep:
            kinds["internal" if to_reps else "outbound"] += 1
        else:
            kinds["inbound"] += 1
        kinds["no id"] += m.message_id is None
        kinds["cc"] += bool(m.cc)
        kinds["non-ascii subject"] += not m.subject.isascii()
        kinds["non-ascii name"] += not all(n.isascii() for n, _ in (m.sender, *m.to, *m.cc))
        kinds["unread"] += m.flags == ""
    for kind in (
        "auto from rep",
        "auto from contact",
        "internal",
        "outbound",
        "inbound",
        "no id",
        "cc",
        "non-ascii subject",
        "non-ascii name",
    ):
        assert kinds[kind] > 0, kind
    assert kinds["inbound"] > 0.3 * len(messages)
    assert kinds["outbound"] > 0.3 * len(messages)
    assert kinds["no id"] < 0.05 * len(messages)


def test_nothing_after_the_end_and_no_mail_from_or_to_an_inactive_rep() -> None:
    org, _ = world()
    reps = {rep.email: rep for rep in org.reps}
    latest = datetime.min.replace(tzinfo=UTC)
    for pairs in generated():
        for owner, m in pairs:
            assert m.sent_at <= WORLD_END
            latest = max(latest, m.sent_at)
            day = m.sent_at.astimezone(JAKARTA).date()
            assert reps[owner].is_active(day)
            for _, address in (m.sender, *m.to, *m.cc):
                if address in reps:
                    assert reps[address].is_active(day), (address, day)
    assert latest > WORLD_END - timedelta(days=60)


def test_each_message_goes_to_every_rep_taking_part_and_only_them() -> None:
    org, _ = world()
    reps = {rep.email for rep in org.reps}
    for pairs in generated():
        owners: dict[MailMessage, list[str]] = defaultdict(list)
        for owner, m in pairs:
            owners[m].append(owner)
        for m, held_by in owners.items():
            taking_part = [a for _, a in (m.sender, *m.to, *m.cc) if a in reps]
            assert held_by == list(dict.fromkeys(taking_part))
        # By send time, copies together.
        times = [m.sent_at for _, m in pairs]
        assert times == sorted(times)


def test_threading_headers_are_consistent() -> None:
    ids: set[str] = set()
    replies = 0
    for pairs in generated():
        by_id = {}
        for m in distinct(pairs):
            if m.in_reply_to is not None:
                parent = by_id[m.in_reply_to]  # an earlier message of the same company
                assert parent.sent_at < m.sent_at
                assert m.references == (*parent.references, parent.message_id)
                assert m.subject.startswith("Re: ") or m.auto_submitted
                replies += 1
            else:
                assert m.references == ()
            if m.message_id is not None:
                assert m.message_id not in ids  # unique in the whole world
                ids.add(m.message_id)
                by_id[m.message_id] = m
        # Nobody answers a message without a Message-ID: every reply threads on an id.
        for m in distinct(pairs):
            if m.subject.startswith("Re: "):
                assert m.in_reply_to is not None, m
    assert replies > 300


OFFSETS = {
    "ID": {"+0700"},
    "SG": {"+0800"},
    "US": {"-0500", "-0400"},
    "DE": {"+0100", "+0200"},
    "FR": {"+0100", "+0200"},
    "JP": {"+0900"},
}


def test_date_headers_in_the_senders_time_zones() -> None:
    org, companies = world()
    reps = {rep.email for rep in org.reps}
    seen: dict[str, set[str]] = defaultdict(set)
    for company, pairs in zip(companies, generated(), strict=True):
        for m in distinct(pairs):
            data = render_message(m)
            header = re.search(rb"^Date: (.*)$", data, re.MULTILINE).group(1).decode()
            offset = header.rsplit(" ", 1)[1]
            assert parsedate_to_datetime(header) == m.sent_at
            who = "rep" if m.sender[1] in reps else company.country
            seen[who].add(offset)
    assert seen["rep"] == {"+0700"}
    for country, offsets in OFFSETS.items():
        assert seen[country] == offsets, country


# -- writing the stores ------------------------------------------------------------------

CHUNKS = (range(0, 40), range(40, 80), range(80, 120))


def write_chunks(mail_root: Path, order: tuple[int, ...]) -> dict[str, int]:
    org, _ = world()
    reset_mail(mail_root)
    for number in order:
        with MailWriter(mail_root, number, org) as writer:
            for index in CHUNKS[number]:
                for owner, message in generated()[index]:
                    writer.add(owner, message)
    return finish_mail(mail_root)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def stored_copies(mail_root: Path) -> dict[str, list[bytes]]:
    """Every mailbox's messages as bytes, in store order, mboxrd escaping undone."""
    org, _ = world()
    stored = {}
    for address, (store, name) in mailbox_layout(org).items():
        if store == "maildir" and (mail_root / "maildir" / name).is_dir():
            box = mailbox.Maildir(mail_root / "maildir" / name, create=False)
            stored[address] = [box.get_bytes(key) for key in sorted(box.keys())]
            assert (mail_root / "maildir" / name / "tmp").is_dir()
        elif store == "mbox" and (mail_root / "mbox" / f"{name}.mbox").is_file():
            box = mailbox.mbox(mail_root / "mbox" / f"{name}.mbox", create=False)
            keys = list(box.keys())  # iterating a mailbox yields messages, not keys
            stored[address] = [
                re.sub(rb"(?m)^>(>*From )", rb"\1", box.get_bytes(key)) for key in keys
            ]
    return stored


def test_stores_are_the_same_bytes_whatever_the_order_chunks_finish(tmp_path: Path) -> None:
    in_order = write_chunks(tmp_path / "a" / "mail", (0, 1, 2))
    shuffled = write_chunks(tmp_path / "b" / "mail", (1, 2, 0))
    first, second = tree(tmp_path / "a" / "mail"), tree(tmp_path / "b" / "mail")
    assert in_order == shuffled
    assert first == second
    assert not (tmp_path / "a" / "mail" / ".mbox-parts").exists()
    copies = sum(len(generated()[i]) for chunk in CHUNKS for i in chunk)
    assert in_order["maildir_messages"] + in_order["mbox_messages"] == copies
    assert in_order["maildir_mailboxes"] > 5 and in_order["mbox_mailboxes"] > 5
    names = [Path(name).name for name in first if name.startswith("maildir/")]
    assert all(re.fullmatch(r"\d{5}\.\d{6}\.[0-9a-f]{16}\.demo(:2,S)?", n) for n in names)
    # Writing again over a previous world gives the same tree.
    write_chunks(tmp_path / "a" / "mail", (2, 0, 1))
    assert tree(tmp_path / "a" / "mail") == first


def test_stores_read_back_with_the_standard_library(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    write_chunks(root, (0, 1, 2))
    org, _ = world()
    layout = mailbox_layout(org)
    assert {store for store, _ in layout.values()} == {"maildir", "mbox"}
    expected: dict[str, list[MailMessage]] = defaultdict(list)
    for chunk in CHUNKS:
        for index in chunk:
            for owner, message in generated()[index]:
                expected[owner].append(message)
    stored = stored_copies(root)
    assert set(stored) == set(expected)
    formats = Counter(layout[address][0] for address in stored)
    assert formats["maildir"] > 0 and formats["mbox"] > 0
    for address, messages in expected.items():
        assert stored[address] == [render_message(m) for m in messages], address
        for data, original in zip(stored[address], messages, strict=True):
            parsed = email.message_from_bytes(data, policy=POLICY)
            assert str(parsed["Subject"]) == original.subject
            assert parsed["Message-ID"] == original.message_id
            assert parsed["Auto-Submitted"] == original.auto_submitted
            assert parsed["From"].addresses[0].display_name == original.sender[0]
            assert parsedate_to_datetime(str(parsed["Date"])) == original.sent_at
            assert parsed.get_content().rstrip("\n") == original.body.rstrip("\n")


def test_a_message_in_two_mailboxes_is_the_same_bytes_in_both(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    write_chunks(root, (0, 1, 2))
    org, _ = world()
    layout = mailbox_layout(org)
    stored = stored_copies(root)
    position: dict[str, int] = Counter()
    copies: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
    for chunk in CHUNKS:
        for index in chunk:
            for owner, message in generated()[index]:
                copies[id(message)].append((layout[owner][0], stored[owner][position[owner]]))
                position[owner] += 1
    shared = [found for found in copies.values() if len(found) > 1]
    assert len(shared) > 20
    assert any({store for store, _ in found} == {"maildir", "mbox"} for found in shared)
    for found in shared:
        assert len({data for _, data in found}) == 1


def test_writer_refuses_an_address_that_is_not_a_rep(tmp_path: Path) -> None:
    org, _ = world()
    with pytest.raises(ValueError), MailWriter(tmp_path, 0, org) as writer:
        writer.add("someone@client.example", M1)


# -- the appending primitives in demo/formats/mail.py-----------------------------------


def test_mbox_entries_concatenate_to_the_mbox_file(tmp_path: Path) -> None:
    write_mbox(tmp_path / "whole.mbox", HAND_MAIL)
    joined = b"".join(mbox_entry(m) for m in HAND_MAIL)
    assert (tmp_path / "whole.mbox").read_bytes() == joined
    assert mbox_entry(M1, render_message(M1)) == mbox_entry(M1)
    assert len(mailbox.mbox(tmp_path / "whole.mbox", create=False)) == len(HAND_MAIL)


def test_deliver_maildir_under_a_given_name(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(parents=True)
    unread = MailMessage(**{**M2.__dict__, "flags": ""})
    seen = MailMessage(**{**M1.__dict__, "flags": "SR"})
    name = maildir_name("00001.000001", render_message(seen))
    assert re.fullmatch(r"00001\.000001\.[0-9a-f]{16}\.demo", name)
    assert deliver_maildir(root, name, seen) == root / "cur" / f"{name}:2,RS"
    assert deliver_maildir(root, "x.demo", unread) == root / "new" / "x.demo"
    assert list((root / "tmp").iterdir()) == []
    box = mailbox.Maildir(root, create=False)
    keys = list(box.keys())
    assert sorted(box.get_bytes(key) for key in keys) == sorted(
        [render_message(seen), render_message(unread)]
    )
    # write_maildir names its files the same way it always did.
    write_maildir(tmp_path / "w", [seen])
    assert (
        tmp_path / "w" / "cur" / f"{maildir_name('00000001', render_message(seen))}:2,RS"
    ).is_file()


# -- the truth from the generated world ----------------------------------------------------


def test_generated_responsiveness_looks_like_real_reps() -> None:
    org, companies = world()
    truth = EmailTruth(org)
    for index, company in enumerate(companies):
        activities = list(company_activities(SEED, index, company))
        truth.add_company(company, generated()[index], activities)
    rows = truth.lead_rows
    assert len(rows) > COMPANIES * 0.8
    answered = [row for row in rows if row["response_minutes"]]
    minutes = [float(row["response_minutes"]) for row in answered]
    for row in answered:
        assert row["first_response_at"] > row["first_inbound_at"]
        assert 0 <= float(row["response_business_minutes"]) <= float(row["response_minutes"])
    within_hour = sum(row["answered_within_1h"] == "true" for row in rows)
    assert 0.15 * len(rows) < within_hour < 0.6 * len(rows)
    assert sum(m > 24 * 60 for m in minutes) > 0.1 * len(rows)  # nights, weekends, days
    assert sum(m > 3 * 24 * 60 for m in minutes) > 0  # some after days
    assert 0 < truth.open_after_7d_count() < 0.2 * len(rows)  # some never answered
    rates = [int(r) / int(o) for (o, r) in truth.months.values() if int(o)]
    assert 0 < sum(rates) / len(rates) < 1
