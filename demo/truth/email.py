"""The ground truth of email activity and responsiveness, from the generated mail's facts.

Computed from the ``MailMessage`` objects the generator built (senders, recipients, send
instants, threading ids, the Auto-Submitted field) and the calls and meetings it logged,
never by reading mail stores back. Definitions (kpis.md "Activity and responsiveness"),
with every choice kpis.md leaves open:

Addresses and kinds of message
- A *rep address* is the email of a rep of the org; every other address is *external*.
  Addresses compare case-insensitively.
- An *auto-reply* is a message whose ``Auto-Submitted`` is set to anything but ``no``
  (RFC 3834: out-of-office replies from contacts and from reps). Auto-replies count
  nowhere: they are neither inbound lead email, nor a response, nor a reply to a thread,
  nor an email sent or received.
- *Internal* mail has a rep sender and only rep recipients; it counts nowhere.
- *Outbound*: a rep sender, at least one external address in To or Cc, not an auto-reply.
- *Inbound*: an external sender, at least one rep address in To or Cc, not an auto-reply.
- A message held in several mailboxes (sender and recipients, a cc'd colleague) is one
  message: it is counted once (the generator hands the same object for each mailbox).
- Messages without a Message-ID count like any other.

``lead_response.csv`` (mirrors ``mart_lead_response``; one row per contact with at least
one inbound email, ordered by contact_id)
- ``first_inbound_at``: the send instant (Date header) of the contact's earliest inbound
  message, i.e. one sent from the contact's address to any rep address, whatever the
  thread (a reply to a rep's follow-up counts too).
- ``first_response_at``: the earliest of, strictly after ``first_inbound_at``, an outbound
  message from any rep with the contact's address in To or Cc, or a call or a meeting
  logged by any rep with that ``contact_id``. Call and meeting instants are taken at the
  millisecond precision the CRM export writes (``hs_timestamp``).
- ``rep_id``: the contact's owner (``Contact.owner_id``; contacts have no owner history in
  the demo world, so the owner at the inbound is the owner), even when another rep
  answered for a rep who had left.
- ``response_minutes``: calendar minutes from first inbound to first response, a float
  (seconds / 60); ``response_business_minutes``: the part of that interval inside
  business hours, Mon-Fri 09:00-17:00 Asia/Jakarta wall clock, no holidays
  (``business_minutes``).
- ``answered_within_1h`` / ``answered_within_24h``: ``true`` when calendar
  ``response_minutes`` <= 60 / <= 1440, ``false`` otherwise, unanswered included (the SLA
  shares are over all first inbound emails).
- Unanswered (no response by the end of the world): ``first_response_at``,
  ``response_minutes`` and ``response_business_minutes`` are empty, both flags ``false``.
  "Never answered (still open after 7 days)" = rows with an empty ``first_response_at``
  and ``first_inbound_at`` at least 7 days before the world's end (``WORLD_END``);
  ``open_after_7d_count`` gives that count.
- Timestamps are written in UTC as HubSpot writes them: ``2026-03-02T02:15:00.000Z``.

``email_daily.csv``: rep_id, activity_date, emails_sent, emails_received; one row per rep
and day with at least one of them, the day cut in Asia/Jakarta from the send instant.
- ``emails_sent``: outbound messages the rep sent.
- ``emails_received``: inbound messages with the rep in To or Cc (one inbound to two reps
  counts once for each of them, once each however many mailboxes hold it).

``email_reply_rate_monthly.csv``: rep_id, month, outbound_threads, replied_threads,
email_reply_rate; one row per rep and month with an outbound thread started.
- A thread is keyed by its root: the first ``References`` id, else ``In-Reply-To``, else
  the message's own Message-ID (a message with none of them is a thread of its own), as
  a reader of the headers would group them.
- An *outbound thread* starts with an outbound message that has neither ``References``
  nor ``In-Reply-To`` (its root); it is credited to the root's sender, in the month
  (Asia/Jakarta; written as its first day, ISO) of the root's send instant.
- It is *replied* when the thread holds an inbound message sent after the root.
- ``email_reply_rate`` = replied_threads / outbound_threads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from demo.formats.files import write_csv
from demo.formats.hubspot import hubspot_timestamp, to_hubspot_precision
from demo.formats.mail import MailMessage
from demo.world.accounts import Company
from demo.world.activities import Activity
from demo.world.org import Org
from demo.world.scales import COMPANY_TIMEZONE, WORLD_END

LEAD_RESPONSE_COLUMNS = [
    "contact_id",
    "rep_id",
    "first_inbound_at",
    "first_response_at",
    "response_minutes",
    "response_business_minutes",
    "answered_within_1h",
    "answered_within_24h",
]
EMAIL_DAILY_COLUMNS = ["rep_id", "activity_date", "emails_sent", "emails_received"]
REPLY_RATE_COLUMNS = [
    "rep_id",
    "month",
    "outbound_threads",
    "replied_threads",
    "email_reply_rate",
]
RESPONSE_ACTIVITY_KINDS = ("calls", "meetings")
NEVER_ANSWERED_AFTER = timedelta(days=7)

_ZONE = ZoneInfo(COMPANY_TIMEZONE)
_OPENS, _CLOSES = time(9), time(17)
_EPOCH = date(2000, 1, 3)  # a Monday
_US_PER_MINUTE = 60_000_000
_DAY_US = (_CLOSES.hour - _OPENS.hour) * 60 * _US_PER_MINUTE  # business microseconds a day
_WEEK_US = 5 * _DAY_US


def business_minutes(start: datetime, end: datetime) -> float:
    """Minutes of ``[start, end)`` inside business hours: Monday to Friday, 09:00-17:00 on
    the Asia/Jakarta wall clock, no holidays. 0 when ``end`` is not after ``start``.

    Exact to the microsecond: both ends are placed on a count of business time since a
    fixed Monday and subtracted, so partial days, nights and weekends need no loop.
    """
    elapsed = _business_us(end) - _business_us(start)  # both checked to be aware first
    return elapsed / _US_PER_MINUTE if end > start else 0.0


def add_business_minutes(start: datetime, minutes: float) -> datetime:
    """The instant (UTC) at which ``minutes`` of business time have passed since ``start``.

    From outside business hours the count starts when the office next opens, so
    ``add_business_minutes(saturday_noon, 0)`` is Monday 09:00 in Jakarta.
    """
    total = _business_us(start) + round(minutes * _US_PER_MINUTE)
    weeks, rest = divmod(total, _WEEK_US)
    weekday, into = divmod(rest, _DAY_US)
    day = _EPOCH + timedelta(days=weeks * 7 + weekday)
    local = datetime.combine(day, _OPENS, _ZONE) + timedelta(microseconds=into)
    return local.astimezone(UTC)


def _business_us(moment: datetime) -> int:
    """Business microseconds between the epoch Monday 00:00 (Jakarta) and ``moment``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"business time needs an aware datetime, got {moment!r}")
    local = moment.astimezone(_ZONE)
    weeks, weekday = divmod((local.date() - _EPOCH).days, 7)
    total = weeks * _WEEK_US + min(weekday, 5) * _DAY_US
    if weekday < 5:
        since_open = (
            ((local.hour - _OPENS.hour) * 60 + local.minute) * 60 + local.second
        ) * 1_000_000 + local.microsecond
        total += min(max(since_open, 0), _DAY_US)
    return total


@dataclass
class EmailTruthPart:
    """A worker's share of the email truth: picklable, merged by ``EmailTruth.merge``."""

    lead_rows: list[dict[str, str]] = field(default_factory=list)
    # (rep_id, day) -> [emails_sent, emails_received]
    days: dict[tuple[str, date], list[int]] = field(default_factory=dict)
    # (rep_id, month) -> [outbound_threads, replied_threads]
    months: dict[tuple[str, date], list[int]] = field(default_factory=dict)


class EmailTruth:
    """Email KPIs of kpis.md from the generator's facts; see the module docstring.

    ``org`` maps rep addresses to rep ids (only the reps' emails and ids are read).
    """

    def __init__(self, org: Org) -> None:
        self.reps = {rep.email.lower(): rep.owner_id for rep in org.reps}
        self.lead_rows: list[dict[str, str]] = []
        self.days: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
        self.months: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])

    def add_company(
        self,
        company: Company,
        messages: Iterable[tuple[str, MailMessage] | MailMessage],
        activities: Iterable[Activity],
    ) -> None:
        """Add one company's mail (``company_mail``'s ``(mailbox, message)`` pairs, or bare
        messages; copies of one message are counted once) and its logged activities."""
        unique = dict.fromkeys(item[1] if isinstance(item, tuple) else item for item in messages)
        facts = [self._classify(message) for message in unique]
        self._lead_response(company, facts, activities)
        for fact in facts:
            if fact.kind == "outbound":
                self.days[(fact.sender_rep, _local_date(fact.at))][0] += 1
            elif fact.kind == "inbound":
                for rep_id in fact.recipient_reps:
                    self.days[(rep_id, _local_date(fact.at))][1] += 1
        self._reply_rate(facts)

    def part(self) -> EmailTruthPart:
        return EmailTruthPart(
            list(self.lead_rows),
            {key: list(value) for key, value in self.days.items()},
            {key: list(value) for key, value in self.months.items()},
        )

    def merge(self, part: EmailTruthPart) -> None:
        self.lead_rows.extend(part.lead_rows)
        for key, (sent, received) in part.days.items():
            mine = self.days[key]
            mine[0] += sent
            mine[1] += received
        for key, (outbound, replied) in part.months.items():
            mine = self.months[key]
            mine[0] += outbound
            mine[1] += replied

    def open_after_7d_count(self, as_of: datetime = WORLD_END) -> int:
        """First inbound emails never answered and still open 7 days after they came."""
        return sum(
            1
            for row in self.lead_rows
            if not row["first_response_at"]
            and _parse(row["first_inbound_at"]) + NEVER_ANSWERED_AFTER <= as_of
        )

    def write(self, expected_dir: Path) -> dict[str, int]:
        """Write the three CSVs; returns their row counts by file name."""
        counts = {}
        counts["lead_response.csv"] = write_csv(
            expected_dir / "lead_response.csv",
            LEAD_RESPONSE_COLUMNS,
            sorted(self.lead_rows, key=lambda row: (int(row["contact_id"]), row["contact_id"])),
        )
        counts["email_daily.csv"] = write_csv(
            expected_dir / "email_daily.csv",
            EMAIL_DAILY_COLUMNS,
            (
                {
                    "rep_id": rep_id,
                    "activity_date": day.isoformat(),
                    "emails_sent": sent,
                    "emails_received": received,
                }
                for (rep_id, day), (sent, received) in sorted(self.days.items())
                if sent or received
            ),
        )
        counts["email_reply_rate_monthly.csv"] = write_csv(
            expected_dir / "email_reply_rate_monthly.csv",
            REPLY_RATE_COLUMNS,
            (
                {
                    "rep_id": rep_id,
                    "month": month.isoformat(),
                    "outbound_threads": outbound,
                    "replied_threads": replied,
                    "email_reply_rate": repr(replied / outbound),
                }
                for (rep_id, month), (outbound, replied) in sorted(self.months.items())
                if outbound
            ),
        )
        return counts

    def _classify(self, message: MailMessage) -> _Fact:
        sender = message.sender[1].lower()
        recipients = list(dict.fromkeys(a.lower() for _, a in (*message.to, *message.cc)))
        sender_rep = self.reps.get(sender)
        recipient_reps = [self.reps[a] for a in recipients if a in self.reps]
        external = [a for a in recipients if a not in self.reps]
        auto = message.auto_submitted is not None and message.auto_submitted.lower() != "no"
        if auto:
            kind = "auto"
        elif sender_rep is not None:
            kind = "outbound" if external else "internal"
        else:
            kind = "inbound" if recipient_reps else "other"
        if message.references:
            root = message.references[0]
        else:
            root = message.in_reply_to or message.message_id
        return _Fact(
            message=message,
            kind=kind,
            at=message.sent_at.astimezone(UTC),
            sender=sender,
            sender_rep=sender_rep,
            recipient_reps=list(dict.fromkeys(recipient_reps)),
            external=external,
            root=root,
        )

    def _lead_response(
        self, company: Company, facts: list[_Fact], activities: Iterable[Activity]
    ) -> None:
        first_inbound: dict[str, datetime] = {}
        outbound_to: dict[str, list[datetime]] = defaultdict(list)
        for fact in facts:
            if fact.kind == "inbound":
                known = first_inbound.get(fact.sender)
                if known is None or fact.at < known:
                    first_inbound[fact.sender] = fact.at
            elif fact.kind == "outbound":
                for address in fact.external:
                    outbound_to[address].append(fact.at)
        logged: dict[str, list[datetime]] = defaultdict(list)
        for activity in activities:
            if activity.kind in RESPONSE_ACTIVITY_KINDS:
                logged[activity.contact_id].append(to_hubspot_precision(activity.at))
        for contact in company.contacts:
            address = contact.email.lower()
            inbound_at = first_inbound.get(address)
            if inbound_at is None:
                continue
            later = [
                moment
                for moment in (*outbound_to.get(address, ()), *logged.get(contact.contact_id, ()))
                if moment > inbound_at
            ]
            row = {
                "contact_id": contact.contact_id,
                "rep_id": contact.owner_id,
                "first_inbound_at": hubspot_timestamp(inbound_at),
                "first_response_at": "",
                "response_minutes": "",
                "response_business_minutes": "",
                "answered_within_1h": "false",
                "answered_within_24h": "false",
            }
            if later:
                response_at = min(later)
                minutes = (response_at - inbound_at) / timedelta(minutes=1)
                row |= {
                    "first_response_at": hubspot_timestamp(response_at),
                    "response_minutes": repr(minutes),
                    "response_business_minutes": repr(business_minutes(inbound_at, response_at)),
                    "answered_within_1h": "true" if minutes <= 60 else "false",
                    "answered_within_24h": "true" if minutes <= 24 * 60 else "false",
                }
            self.lead_rows.append(row)

    def _reply_rate(self, facts: list[_Fact]) -> None:
        inbound_by_root: dict[str, list[datetime]] = defaultdict(list)
        for fact in facts:
            if fact.kind == "inbound" and fact.root is not None:
                inbound_by_root[fact.root].append(fact.at)
        for fact in facts:
            message = fact.message
            if fact.kind != "outbound" or message.references or message.in_reply_to:
                continue  # not outbound, or not the first message of its thread
            bucket = self.months[(fact.sender_rep, _local_date(fact.at).replace(day=1))]
            bucket[0] += 1
            if fact.root is not None:
                bucket[1] += any(at > fact.at for at in inbound_by_root.get(fact.root, ()))


@dataclass
class _Fact:
    message: MailMessage
    kind: str  # inbound, outbound, internal, auto, other
    at: datetime
    sender: str
    sender_rep: str | None
    recipient_reps: list[str]
    external: list[str]
    root: str | None


def _local_date(moment: datetime) -> date:
    return moment.astimezone(_ZONE).date()


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
