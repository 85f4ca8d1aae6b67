"""The mail source on real dlt pipelines into a scratch DuckDB: the demo world's mailboxes,
hand-made messages with broken headers, and a real IMAP server (pymap) on 127.0.0.1."""

from __future__ import annotations

import email
import json
import mailbox
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from demo.formats.mail import (
    MailMessage,
    deliver_maildir,
    mbox_entry,
    render_message,
    write_maildir,
    write_mbox,
)
from demo.world import generate_world
from ingest.limits import RecordLimits
from ingest.mail import MAIL_TABLES, mail_source
from ingest.mail import eml as eml_module
from ingest.mail import maildir as maildir_module
from ingest.mail import source as mail_source_module
from ingest.pipeline import make_pipeline
from ingest.settings import ImapCredentials, Settings
from tests.conftest import scratch_settings
from tests.support.mail_imap_server import (
    HOST,
    MailImapServer,
    exception_chain,
    mail_imap_server,
    self_signed_certificate,
    stored_bytes,
)

DOMAINS = ("demo-sales.example",)


class Loader:
    """One pipeline (and warehouse) under ``tmp_path``, run as often as a test needs."""

    def __init__(self, tmp_path: Path) -> None:
        self.settings = scratch_settings(tmp_path)
        self.pipeline = make_pipeline(self.settings, "email")

    def run(
        self,
        email_dir: Path | None = None,
        imap: ImapCredentials | None = None,
        domains: tuple[str, ...] = DOMAINS,
    ) -> dict[str, int]:
        """Rows written per table by this run."""
        self.pipeline.run(mail_source(email_dir, imap, domains))
        counts = self.pipeline.last_trace.last_normalize_info.row_counts
        return {table: counts.get(table, 0) for table in (*MAIL_TABLES, "rejects")}

    def rows(self, sql: str) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as con:
            cursor = con.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def count(self, table: str) -> int:
        return self.rows(f"select count(*) as n from raw_email.{table}")[0]["n"]


# -- the demo world ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_mail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, "xs", 7)
    return folder / "mail"


def _stdlib_copies(mail_dir: Path) -> list[tuple[str, EmailMessage]]:
    """Every (mailbox, message) of the demo stores, read independently with the stdlib."""
    copies = []
    for folder in sorted((mail_dir / "maildir").iterdir()):
        box = mailbox.Maildir(folder, create=False)
        copies += [(folder.name, _parse(box.get_bytes(key))) for key in box.iterkeys()]
    for path in sorted((mail_dir / "mbox").glob("*.mbox")):
        box = mailbox.mbox(path, create=False)
        copies += [(path.stem, _parse(box.get_bytes(key))) for key in box.iterkeys()]
    return copies


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def _identity(message: EmailMessage) -> tuple[str, ...]:
    if message["Message-ID"]:
        return ("id", str(message["Message-ID"]).strip())
    return ("no id", str(message["From"]), str(message["Date"]), str(message["Subject"]))


def _expected_direction(message: EmailMessage) -> str:
    def ours(address: str) -> bool:
        return address.lower().endswith("@demo-sales.example")

    sender = message["From"].addresses[0].addr_spec
    others = [
        a.addr_spec for name in ("To", "Cc") if message[name] for a in message[name].addresses
    ]
    if not ours(sender):
        return "inbound"
    return "internal" if all(ours(address) for address in others) else "outbound"


def test_demo_world_mail_loads_every_message_once(
    world_mail: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail_source_module, "BATCH_ROWS", 100)  # several batches per table
    copies = _stdlib_copies(world_mail)
    distinct = {_identity(message): message for _, message in copies}
    assert len(distinct) < len(copies), "the demo world should hold shared messages"

    loader = Loader(tmp_path)
    written = loader.run(world_mail)
    assert written["rejects"] == 0
    assert loader.count("messages") == len(distinct)
    assert loader.count("mailbox_messages") == len(copies)
    per_mailbox = loader.rows(
        "select mailbox, count(*) as n from raw_email.mailbox_messages group by mailbox"
    )
    assert {row["mailbox"]: row["n"] for row in per_mailbox} == Counter(box for box, _ in copies)

    rows = loader.rows("select * from raw_email.messages")
    by_identity = {}
    for row in rows:
        if row["synthesized"]:
            assert row["message_id"] is None
            by_identity[("no id", row["from_address"], row["date_header"])] = row
        else:
            by_identity[("id", row["message_id"])] = row
    for identity, message in distinct.items():
        if identity[0] == "id":
            row = by_identity[identity]
        else:
            sender = message["From"].addresses[0].addr_spec.lower()
            row = by_identity[("no id", sender, str(message["Date"]))]
        assert row["direction"] == _expected_direction(message), identity
        assert row["sent_at"] == parsedate_to_datetime(str(message["Date"]))
        assert row["subject"] == str(message["Subject"])
        assert row["is_auto_reply"] == (message["Auto-Submitted"] is not None)
    assert {row["direction"] for row in rows} == {"inbound", "outbound", "internal"}
    assert any(row["synthesized"] for row in rows), "the demo world has messages without id"

    # A second run reads nothing new and changes nothing.
    assert loader.run(world_mail) == {"messages": 0, "mailbox_messages": 0, "rejects": 0}
    assert loader.count("messages") == len(distinct)
    assert loader.count("mailbox_messages") == len(copies)


# -- hand-made messages ------------------------------------------------------------------

ALICE = ("Alice Rep", "alice@demo-sales.example")
BOB = ("Bob Rep", "bob@demo-sales.example")
CAROL = ("Carol Rep", "carol@demo-sales.example")
CUSTOMER = ("Siti Ümit", "siti@customer.example")
SHARED = MailMessage(
    message_id="<shared.1@Customer.EXAMPLE>",
    sender=CUSTOMER,
    to=(ALICE,),
    cc=(BOB,),
    sent_at=datetime(2026, 3, 2, 9, 15, 42, tzinfo=UTC),
    subject="Penawaran harga — Q3 ☕",
    body="Halo,\n\nbisa kirim penawaran?\n",
    flags="S",
)
# No Message-ID, a body long enough to be cut for the hash, and a line that mboxrd escapes.
NO_ID = MailMessage(
    message_id=None,
    sender=("O'Brien, Pat", "pat@prospect.example"),
    to=(ALICE, BOB),
    sent_at=datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC),
    subject="quick question about pricing",
    body="From the desk of Pat: can you send the deck?\n" + "x" * 3000 + "\n",
)
# Same sender, date and subject, another body: another message.
NO_ID_OTHER = MailMessage(
    message_id=None,
    sender=NO_ID.sender,
    to=(ALICE,),
    sent_at=NO_ID.sent_at,
    subject=NO_ID.subject,
    body="A different question.\n",
)


def _shared_stores(email_dir: Path) -> None:
    write_maildir(email_dir / "maildir" / "alice", [SHARED, NO_ID, NO_ID_OTHER])
    write_mbox(email_dir / "mbox" / "bob.mbox", [SHARED, NO_ID])
    # Carol's copy as a .eml with CRLF line endings, as a Windows client saves it.
    sent = email_dir / "eml" / "carol" / "Sent"
    sent.mkdir(parents=True)
    (sent / "no-id.eml").write_bytes(render_message(NO_ID).replace(b"\n", b"\r\n"))


def test_a_message_in_several_mailboxes_is_one_message(tmp_path: Path) -> None:
    email_dir = tmp_path / "mail"
    _shared_stores(email_dir)
    loader = Loader(tmp_path)
    loader.run(email_dir)

    messages = loader.rows("select * from raw_email.messages order by message_key")
    assert len(messages) == 3
    shared = next(row for row in messages if not row["synthesized"])
    assert shared["message_key"] == "shared.1@customer.example"
    assert shared["message_id"] == "<shared.1@Customer.EXAMPLE>"
    assert shared["from_name"] == "Siti Ümit"
    assert shared["subject"] == "Penawaran harga — Q3 ☕"
    assert json.loads(shared["to_addresses"]) == ["alice@demo-sales.example"]
    assert json.loads(shared["cc_addresses"]) == ["bob@demo-sales.example"]
    assert shared["direction"] == "inbound"

    copies = loader.rows("select * from raw_email.mailbox_messages order by mailbox, folder")
    by_key: dict[str, list[dict[str, Any]]] = {}
    for copy in copies:
        by_key.setdefault(copy["message_key"], []).append(copy)
    assert [(c["mailbox"], c["store"]) for c in by_key[shared["message_key"]]] == [
        ("alice", "maildir"),
        ("bob", "mbox"),
    ]
    assert json.loads(by_key[shared["message_key"]][0]["flags"]) == ["\\Seen"]
    assert by_key[shared["message_key"]][1]["flags"] is None  # mbox without Status header

    synthesized = [row for row in messages if row["synthesized"]]
    assert len(synthesized) == 2  # same sender, date and subject, different bodies
    keys = {row["message_key"] for row in synthesized}
    no_id_key = next(k for k in keys if len(by_key[k]) == 3)
    assert [(c["mailbox"], c["folder"]) for c in by_key[no_id_key]] == [
        ("alice", "INBOX"),
        ("bob", "INBOX"),
        ("carol", "Sent"),
    ]
    assert all(row["message_id"] is None for row in synthesized)


def _eml(email_dir: Path, name: str, data: bytes) -> None:
    folder = email_dir / "eml"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def test_broken_headers_are_read_as_far_as_they_go(tmp_path: Path) -> None:
    email_dir = tmp_path / "mail"
    _eml(
        email_dir,
        "broken-date.eml",
        b"Date: not a date\nFrom: Kartika <kartika@demo-sales.example>\n"
        b"To: ab@prospect.example\nSubject: Follow-up\nMessage-ID: <broken-date.5@x.example>\n"
        b"\nbody\n",
    )
    _eml(
        email_dir,
        "no-date-no-zone.eml",
        b"From: a@prospect.example\nTo: kartika@demo-sales.example\n"
        b"Message-ID: <no-date@x.example>\nSubject: no date\n\nbody\n",
    )
    _eml(
        email_dir,
        "encoded.eml",
        b"Date: Mon, 02 Mar 2026 21:03:00\n"
        b"From: =?utf-8?b?w5xtaXQgw5Z6ZGVtaXI=?= <Umit@Prospect.Example>\n"
        b"To: Kartika <kartika@demo-sales.example>,\n"
        b"  =?iso-8859-1?q?Andr=E9?= <andre@demo-sales.example>\n"
        b"Subject: =?iso-8859-1?q?Caf=E9_cr=E8me?=\n"
        b" =?utf-8?q?_und_Gr=C3=BC=C3=9Fe?= =?x-unknown?q?abc?=\n"
        b"Message-ID:\n <  folded.1@X.Example >\n"
        b"In-Reply-To: <parent@x.example>\n"
        b"References: <root@x.example>\n <parent@x.example>\n"
        b"Auto-Submitted: auto-replied\n\nbody\n",
    )
    _eml(
        email_dir,
        "latin1.eml",
        b"Date: Tue, 03 Mar 2026 08:00:01 +0900\nFrom: \xc9lise <elise@prospect.example>\n"
        b"To: kartika@demo-sales.example\nSubject: Gr\xfc\xdfe aus K\xf6ln\n"
        b"Message-ID: <latin1@x.example>\n\nbody\n",
    )
    loader = Loader(tmp_path)
    assert loader.run(email_dir)["rejects"] == 0
    rows = {row["message_key"]: row for row in loader.rows("select * from raw_email.messages")}

    broken = rows["broken-date.5@x.example"]
    assert (broken["sent_at"], broken["date_header"]) == (None, "not a date")
    assert broken["date_problem"] == "unparseable"
    assert broken["direction"] == "outbound"

    missing = rows["no-date@x.example"]
    assert (missing["sent_at"], missing["date_header"], missing["date_problem"]) == (
        None,
        None,
        "missing",
    )

    encoded = rows["folded.1@x.example"]
    assert encoded["message_id"] == "<  folded.1@X.Example >"
    assert encoded["subject"].startswith("Café crème und Grüße")
    assert (encoded["from_name"], encoded["from_address"]) == (
        "Ümit Özdemir",
        "umit@prospect.example",
    )
    assert json.loads(encoded["to_addresses"]) == [
        "kartika@demo-sales.example",
        "andre@demo-sales.example",
    ]
    assert encoded["sent_at"] == datetime(2026, 3, 2, 21, 3, tzinfo=UTC)
    assert encoded["date_problem"] == "no known time zone, read as UTC"
    assert encoded["in_reply_to"] == "parent@x.example"
    assert json.loads(encoded["references"]) == ["root@x.example", "parent@x.example"]
    assert encoded["auto_submitted"] == "auto-replied" and encoded["is_auto_reply"]

    latin1 = rows["latin1@x.example"]
    assert latin1["subject"] == "Grüße aus Köln"
    assert latin1["from_name"] == "Élise"
    assert latin1["sent_at"] == datetime(2026, 3, 2, 23, 0, 1, tzinfo=UTC)
    assert latin1["date_problem"] is None


def test_malformed_messages_land_in_rejects(tmp_path: Path) -> None:
    email_dir = tmp_path / "mail"
    _eml(email_dir, "garbage.eml", b"\x00\x01 this is not mail\n\nat all\n")
    _eml(email_dir, "no-from.eml", b"To: a@b.example\nSubject: who sent this?\n\nbody\n")
    _eml(email_dir, "no-address.eml", b"From: undisclosed\nSubject: hi\n\nbody\n")
    _eml(email_dir, "good.eml", render_message(SHARED))
    mbox = email_dir / "mbox"
    mbox.mkdir()
    (mbox / "broken.mbox").write_bytes(b"not an mbox\n" + b"From x Mon Mar  2 00:00:00 2026\n")

    loader = Loader(tmp_path)
    written = loader.run(email_dir)
    assert written["messages"] == 1
    rejects = {
        (row["source_file"], row["line_number"]): row
        for row in loader.rows("select * from raw_email.rejects")
    }
    assert rejects["eml/garbage.eml", None]["reason"] == "no RFC 5322 header fields"
    assert rejects["eml/no-from.eml", None]["reason"] == "missing From header"
    assert rejects["eml/no-from.eml", None]["payload"] == "To: a@b.example\nSubject: who sent this?"
    assert rejects["eml/no-address.eml", None]["reason"].startswith(
        "From header has no email address"
    )
    assert rejects["mbox/broken.mbox", 1]["reason"].startswith("text before the first From line")
    assert rejects["mbox/broken.mbox", 2]["reason"] == "no RFC 5322 header fields"
    assert all(row["object_type"] == "messages" for row in rejects.values())

    # Reading again upserts the same rejects.
    shutil.copy(email_dir / "eml" / "garbage.eml", email_dir / "eml" / "garbage-copy.eml")
    loader.run(email_dir)
    assert loader.count("rejects") == len(rejects) + 1


def test_new_and_changed_files_are_read_incrementally(tmp_path: Path) -> None:
    email_dir = tmp_path / "mail"
    write_maildir(email_dir / "maildir" / "alice", [SHARED])
    write_mbox(email_dir / "mbox" / "bob.mbox", [SHARED])
    loader = Loader(tmp_path)
    assert loader.run(email_dir)["mailbox_messages"] == 2

    # Appended to the mbox, delivered to the Maildir, a flag change (rename) in the Maildir.
    with (email_dir / "mbox" / "bob.mbox").open("ab") as mbox_file:
        mbox_file.write(mbox_entry(NO_ID))
    new = email_dir / "maildir" / "alice" / "new"
    (new / "later.demo").write_bytes(render_message(NO_ID_OTHER))
    cur = next((email_dir / "maildir" / "alice" / "cur").iterdir())
    cur.rename(cur.with_name(cur.name + "R"))
    written = loader.run(email_dir)
    # The mbox's last message is re-read as a guard against a half-written append.
    assert written["mailbox_messages"] == 4
    assert loader.count("mailbox_messages") == 4
    flags = loader.rows(
        "select flags from raw_email.mailbox_messages where mailbox = 'alice' "
        "and message_key = 'shared.1@customer.example'"
    )
    assert [json.loads(row["flags"]) for row in flags] == [["\\Answered", "\\Seen"]]
    assert loader.run(email_dir) == {"messages": 0, "mailbox_messages": 0, "rejects": 0}


# -- memory that does not grow with the mail -----------------------------------------------


def _table(loader: Loader, table: str) -> list[tuple[Any, ...]]:
    """A table's rows without dlt's own columns, sorted."""
    rows = loader.rows(f"select * from raw_email.{table}")
    return sorted(
        tuple(value for name, value in row.items() if not name.startswith("_dlt")) for row in rows
    )


def test_forgetful_memos_keep_the_tables_identical(
    world_mail: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail_source_module, "BATCH_ROWS", 100)
    remembering = Loader(tmp_path / "remembering")
    remembering.run(world_mail)

    # Memos of one entry: every copy of a shared message is parsed and written again.
    monkeypatch.setattr(mail_source_module, "MEMO_ENTRIES", 1)
    forgetful = Loader(tmp_path / "forgetful")
    written = forgetful.run(world_mail)
    assert written["messages"] > forgetful.count("messages"), "no message row written twice"
    for table in ("messages", "mailbox_messages"):
        assert _table(forgetful, table) == _table(remembering, table), table


def _maildir_state(loader: Loader) -> dict[str, Any]:
    resources = loader.pipeline.state["sources"]["email"]["resources"]
    return dict(resources["messages"]["maildir"])


def _clock_past_ctimes(folder: Path, ctime_ns: int) -> None:
    """Wait (a clock tick, milliseconds) until a file changed now gets a ctime later than
    ``ctime_ns``: the file system stamps files from a coarse clock."""
    probe = folder / "clock-probe"
    deadline = time.monotonic() + 5
    while True:
        probe.write_bytes(b"")
        if probe.stat().st_ctime_ns > ctime_ns:
            break
        assert time.monotonic() < deadline, "the file system clock does not advance"
        time.sleep(0.001)
    probe.unlink()


def _clock_from(monkeypatch: pytest.MonkeyPatch, start_ns: int) -> None:
    """Make the clock the cursors are taken from read ``start_ns`` until it passes it."""
    monkeypatch.setattr(maildir_module, "now_ns", lambda: max(time.time_ns(), start_ns))


def test_maildir_state_is_a_cursor_of_constant_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def a_minute_later() -> int:  # listings long after the files changed: no slack window
        return time.time_ns() + 60 * 10**9

    monkeypatch.setattr(maildir_module, "now_ns", a_minute_later, raising=False)
    sizes = []
    for count in (3, 300):
        email_dir = tmp_path / f"mail-{count}"
        messages = [
            MailMessage(
                message_id=f"<m{number}@customer.example>",
                sender=CUSTOMER,
                to=(ALICE,),
                sent_at=SHARED.sent_at,
                subject=f"message {number}",
                flags="S" if number % 2 else "",
            )
            for number in range(count)
        ]
        write_maildir(email_dir / "maildir" / "alice", messages)
        loader = Loader(tmp_path / f"warehouse-{count}")
        assert loader.run(email_dir)["mailbox_messages"] == count
        state = _maildir_state(loader)
        assert list(state) == ["alice/INBOX"]
        assert set(state["alice/INBOX"]) == {"ctime_cursor_ns", "recent"}
        assert state["alice/INBOX"]["recent"] == {}
        sizes.append(len(json.dumps(state)))
    assert sizes[0] == sizes[1]


def test_maildir_reads_only_the_files_renamed_since_the_last_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "mail" / "maildir" / "alice"
    unflagged = MailMessage(
        message_id="<unflagged@customer.example>",
        sender=CUSTOMER,
        to=(ALICE,),
        sent_at=SHARED.sent_at,
        subject="not read yet",
    )
    write_maildir(inbox, [SHARED, NO_ID, unflagged])
    files = [path for sub in ("new", "cur") for path in (inbox / sub).iterdir()]
    newest_ctime = max(path.stat().st_ctime_ns for path in files)
    read: list[str] = []

    def counting_read(path: Path, limits: RecordLimits) -> Any:
        read.append(path.relative_to(inbox).as_posix())
        return read_message_file(path, limits)

    read_message_file = maildir_module.read_message_file
    monkeypatch.setattr(maildir_module, "read_message_file", counting_read)
    # The listings seem to start no sooner than the slack past the newest file's ctime, so
    # that the files are old to the second run, and the changes after the wait below new.
    _clock_from(monkeypatch, newest_ctime + maildir_module.CTIME_SLACK_NS + 1)
    loader = Loader(tmp_path)
    assert loader.run(tmp_path / "mail")["mailbox_messages"] == 3
    assert len(read) == 3

    _clock_past_ctimes(inbox / "tmp", newest_ctime)
    read.clear()
    later = MailMessage(
        message_id="<later@customer.example>",
        sender=CUSTOMER,
        to=(ALICE,),
        sent_at=SHARED.sent_at,
        subject="delivered after the run",
    )
    delivered = deliver_maildir(inbox, "later.demo", later)  # tmp/ -> new/
    seen = next((inbox / "cur").iterdir())  # SHARED, flagged "S"
    os.rename(seen, seen.with_name(seen.name + "R"))  # replied to: a flag change
    unread = next(path for path in (inbox / "new").iterdir() if b"pat@" in path.read_bytes())
    moved = inbox / "cur" / (unread.name + ":2,S")  # NO_ID, read by the rep: new/ -> cur/
    os.rename(unread, moved)
    written = loader.run(tmp_path / "mail")
    assert sorted(read) == sorted(
        path.relative_to(inbox).as_posix()
        for path in (delivered, seen.with_name(seen.name + "R"), moved)
    )
    assert written == {"messages": 3, "mailbox_messages": 3, "rejects": 0}
    flags = loader.rows("select message_key, flags from raw_email.mailbox_messages")
    assert sorted(json.loads(row["flags"]) for row in flags) == [
        [],
        [],
        ["\\Answered", "\\Seen"],
        ["\\Seen"],
    ]

    # Right after: nothing read, though every change is within the slack of the cursor.
    read.clear()
    assert loader.run(tmp_path / "mail") == {"messages": 0, "mailbox_messages": 0, "rejects": 0}
    assert read == []


def test_change_cursor_reads_what_changed_since_the_last_listing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slack = maildir_module.CTIME_SLACK_NS
    t = 1_800_000_000 * 10**9
    monkeypatch.setattr(maildir_module, "now_ns", lambda: t + 3600 * 10**9)
    cursor = maildir_module.ChangeCursor(
        {"ctime_cursor_ns": t, "recent": {"cur/seen": t - 1, "cur/again": t - 1}}
    )
    assert not cursor.changed("cur/old", t - slack - 1)  # there, unchanged, last time
    assert cursor.changed("cur/late", t - slack)  # may have changed after that listing
    assert not cursor.changed("cur/seen", t - 1)  # seen by that listing as it is
    assert cursor.changed("cur/again", t + 5)  # changed again since
    assert cursor.changed("new/after", t + 10)
    assert cursor.state() == {"ctime_cursor_ns": t + 3600 * 10**9, "recent": {}}

    # No state, one of another format, or a cursor ahead of the clock: every file is read.
    future = {"ctime_cursor_ns": t + 7200 * 10**9, "recent": {}}
    for state in (None, ["cur/old"], {"unknown": 1}, future):
        assert maildir_module.ChangeCursor(state).changed("cur/old", 0)


def test_state_before_the_cursors_is_migrated(tmp_path: Path) -> None:
    email_dir = tmp_path / "mail"
    write_maildir(email_dir / "maildir" / "alice", [SHARED, NO_ID])
    read_before = next((email_dir / "maildir" / "alice" / "cur").iterdir())
    state: dict[str, Any] = {"alice/INBOX": [read_before.name]}
    messages = list(maildir_module.read_maildirs(email_dir / "maildir", email_dir, state))
    assert [message.location for message in messages] == [
        path.relative_to(email_dir).as_posix()
        for path in (email_dir / "maildir" / "alice" / "new").iterdir()
    ]
    assert set(state["alice/INBOX"]) == {"ctime_cursor_ns", "recent"}

    _eml(email_dir, "known.eml", render_message(SHARED))
    _eml(email_dir, "changed.eml", render_message(NO_ID))
    known, changed = (email_dir / "eml" / name for name in ("known.eml", "changed.eml"))
    state = {
        "eml/known.eml": [known.stat().st_size, known.stat().st_mtime_ns],
        "eml/changed.eml": [1, changed.stat().st_mtime_ns],
    }
    messages = list(eml_module.read_eml_files(email_dir / "eml", email_dir, state))
    assert [message.location for message in messages] == ["eml/changed.eml"]
    assert list(state) == ["eml"]
    assert set(state["eml"]) == {"ctime_cursor_ns", "recent"}


def test_eml_files_are_read_again_when_written_or_copied_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    email_dir = tmp_path / "mail"
    _eml(email_dir, "untouched.eml", render_message(SHARED))
    _eml(email_dir, "rewritten.eml", render_message(NO_ID))
    sent = email_dir / "eml" / "carol" / "Sent"
    sent.mkdir(parents=True)
    (sent / "sent.eml").write_bytes(render_message(NO_ID_OTHER))
    paths = list((email_dir / "eml").rglob("*.eml"))
    newest_ctime = max(path.stat().st_ctime_ns for path in paths)
    _clock_from(monkeypatch, newest_ctime + maildir_module.CTIME_SLACK_NS + 1)
    state: dict[str, Any] = {}
    first = list(eml_module.read_eml_files(email_dir / "eml", email_dir, state))
    assert sorted(message.location for message in first) == [
        "eml/carol/Sent/sent.eml",
        "eml/rewritten.eml",
        "eml/untouched.eml",
    ]
    assert {(m.mailbox, m.folder) for m in first} == {("carol", "Sent"), ("eml", "INBOX")}
    assert sorted(state) == ["eml", "eml/carol/Sent"]

    _clock_past_ctimes(tmp_path, newest_ctime)
    rewritten = email_dir / "eml" / "rewritten.eml"
    rewritten.write_bytes(rewritten.read_bytes())  # same bytes, a new ctime
    # Copied in with its old mtime kept (cp -p, rsync -a): the ctime is new all the same.
    shutil.copy2(email_dir / "eml" / "untouched.eml", sent / "copy.eml")
    second = list(eml_module.read_eml_files(email_dir / "eml", email_dir, state))
    assert sorted(message.location for message in second) == [
        "eml/carol/Sent/copy.eml",
        "eml/rewritten.eml",
    ]
    assert list(eml_module.read_eml_files(email_dir / "eml", email_dir, state)) == []


def test_configuration_errors_name_the_variable(tmp_path: Path) -> None:
    source = mail_source()  # described without any configuration (Dagster's asset graph)
    assert list(source.resources) == ["messages"]
    email_dir = tmp_path / "mail"
    write_maildir(email_dir / "maildir" / "alice", [SHARED])
    loader = Loader(tmp_path)
    with pytest.raises(PipelineStepFailed, match="SALES_TRACKER_COMPANY_EMAIL_DOMAINS"):
        loader.run(email_dir, domains=())
    with pytest.raises(PipelineStepFailed, match="SALES_TRACKER_EMAIL_DIR"):
        loader.run()
    with pytest.raises(PipelineStepFailed, match="none of maildir/, mbox/ or eml/"):
        loader.run(tmp_path)


# -- IMAP ---------------------------------------------------------------------------------


def _without_id(maildir: Path) -> int:
    return sum(b"\nMessage-ID:" not in path.read_bytes() for path in maildir.glob("*/*"))


@pytest.fixture
def imap_server(world_mail: Path, tmp_path: Path) -> Iterator[tuple[MailImapServer, str]]:
    """pymap serving a copy of the demo Maildir with the most messages without Message-ID
    (to hold synthesized ids against the files), and that Maildir's name."""
    chosen = max(sorted((world_mail / "maildir").iterdir()), key=_without_id)
    server = mail_imap_server(tmp_path / "imap", "rep", "s3cret-pass", chosen)
    server.start()
    try:
        yield server, chosen.name
    finally:
        server.stop()


def test_imap_reads_incrementally_and_survives_a_rebuilt_mailbox(
    imap_server: tuple[MailImapServer, str], world_mail: Path, tmp_path: Path
) -> None:
    imap_server, source_name = imap_server
    maildir = imap_server.maildir
    files = sorted(path for path in maildir.glob("*/*") if path.parent.name in ("cur", "new"))
    loader = Loader(tmp_path)
    written = loader.run(imap=imap_server.credentials())
    assert written["mailbox_messages"] == len(files)
    assert written["rejects"] == 0
    copies = loader.rows("select * from raw_email.mailbox_messages")
    assert {row["store"] for row in copies} == {"imap"}
    assert {row["imap_uid"] for row in copies} == set(range(1, len(files) + 1))
    (uidvalidity,) = {row["imap_uidvalidity"] for row in copies}

    # The same messages read from the Maildir files get the same keys, synthesized ones too.
    local = Loader(tmp_path / "local")
    local.run(world_mail)
    local_keys = {
        row["message_key"]
        for row in local.rows(
            f"select message_key from raw_email.mailbox_messages where mailbox = '{source_name}'"
        )
    }
    imap_keys = {row["message_key"] for row in copies}
    assert imap_keys == local_keys
    assert any(key.startswith("synthesized:") for key in imap_keys)

    # Nothing new: nothing read. Two deliveries: exactly those two read.
    assert loader.run(imap=imap_server.credentials()) == {
        "messages": 0,
        "mailbox_messages": 0,
        "rejects": 0,
    }
    for name, message in (("n1.demo", NO_ID_OTHER), ("n2.demo", SHARED)):
        (maildir / "new" / name).write_bytes(render_message(message))
    written = loader.run(imap=imap_server.credentials())
    assert written["mailbox_messages"] == 2
    assert written["messages"] == 2
    total = len(files) + 2
    assert loader.count("mailbox_messages") == total

    # The mailbox is rebuilt: new UIDVALIDITY, UIDs renumbered. Read again, no duplicates.
    imap_server.rebuild()
    written = loader.run(imap=imap_server.credentials())
    assert written["mailbox_messages"] == total
    assert loader.count("mailbox_messages") == total
    assert loader.count("messages") == len(imap_keys) + 2
    validities = loader.rows(
        "select distinct imap_uidvalidity as v from raw_email.mailbox_messages"
    )
    assert [row["v"] for row in validities] != [uidvalidity]
    assert len(validities) == 1


# -- IMAP over TLS --------------------------------------------------------------------------


def _maildir_files(maildir: Path) -> list[Path]:
    return sorted(path for path in maildir.glob("*/*") if path.parent.name in ("cur", "new"))


@pytest.fixture
def imap_tls_server(world_mail: Path, tmp_path: Path) -> Iterator[MailImapServer]:
    """pymap speaking implicit TLS (IMAPS) with a throwaway self-signed certificate for
    127.0.0.1, serving a copy of a demo Maildir."""
    certificate = self_signed_certificate(tmp_path / "tls")
    maildir = sorted((world_mail / "maildir").iterdir())[0]
    server = mail_imap_server(tmp_path / "imaps", "rep", "tls-pass", maildir, tls=certificate)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_imap_over_tls_reads_the_mailbox(imap_tls_server: MailImapServer, tmp_path: Path) -> None:
    credentials = imap_tls_server.credentials()
    assert credentials.use_tls and credentials.ca_file is not None
    loader = Loader(tmp_path / "warehouse")
    written = loader.run(imap=credentials)
    files = _maildir_files(imap_tls_server.maildir)
    assert written["mailbox_messages"] == len(files) > 0
    assert written["rejects"] == 0
    assert {row["store"] for row in loader.rows("select * from raw_email.mailbox_messages")} == {
        "imap"
    }
    assert loader.run(imap=credentials) == {"messages": 0, "mailbox_messages": 0, "rejects": 0}


def _tls(server: MailImapServer, host: str, ca_file: Path | None) -> ImapCredentials:
    return ImapCredentials(
        host=host,
        port=server.port,
        user=server.user,
        password=server.password,
        use_tls=True,
        ca_file=ca_file,
    )


def test_imap_refuses_a_certificate_it_cannot_trust_naming_the_host(
    imap_tls_server: MailImapServer, tmp_path: Path
) -> None:
    assert imap_tls_server.tls is not None
    stranger = self_signed_certificate(tmp_path / "stranger")
    cases = {
        "the system's trust store": _tls(imap_tls_server, HOST, None),
        "another certificate": _tls(imap_tls_server, HOST, stranger.cert),
        # The right certificate, asked for under a name it is not for.
        "Hostname mismatch": _tls(imap_tls_server, "localhost", imap_tls_server.tls.cert),
    }
    for number, (expected, credentials) in enumerate(cases.items()):
        loader = Loader(tmp_path / f"warehouse-{number}")
        with pytest.raises(PipelineStepFailed) as failure:
            loader.run(imap=credentials)
        message = str(failure.value)
        assert f"TLS certificate of IMAP server {credentials.host}:{credentials.port}" in message
        assert "SALES_TRACKER_IMAP_CA_FILE" in message
        if expected == "Hostname mismatch":
            assert expected in message
        elif credentials.ca_file is None:
            assert "not trusted" in message and expected in message
        else:
            assert f"the CA bundle {stranger.cert}" in message
        # Refused at the handshake: no login was sent, in plaintext or otherwise.
        chain = exception_chain(failure.value)
        assert any(type(error).__name__ == "SSLCertVerificationError" for error in chain)


def test_imap_tls_against_a_plaintext_server_fails_naming_the_host(
    imap_server: tuple[MailImapServer, str], tmp_path: Path
) -> None:
    server, _ = imap_server
    with pytest.raises(
        PipelineStepFailed,
        match=rf"TLS handshake with IMAP server {HOST}:{server.port} failed",
    ):
        Loader(tmp_path).run(imap=_tls(server, HOST, None))


def test_imap_ca_file_errors_name_the_variable(tmp_path: Path) -> None:
    env = {
        "SALES_TRACKER_IMAP_HOST": HOST,
        "SALES_TRACKER_IMAP_USER": "rep",
        "SALES_TRACKER_IMAP_PASSWORD": "pass",
        "SALES_TRACKER_IMAP_CA_FILE": str(tmp_path / "ca.pem"),
    }
    imap = Settings.from_env(env).imap
    assert imap is not None and imap.ca_file == (tmp_path / "ca.pem").resolve()
    unset = Settings.from_env({**env, "SALES_TRACKER_IMAP_CA_FILE": ""}).imap
    assert unset is not None and unset.ca_file is None
    loader = Loader(tmp_path)
    with pytest.raises(PipelineStepFailed, match=r"cannot read the CA bundle .*_IMAP_CA_FILE"):
        loader.run(imap=imap)  # no such file
    (tmp_path / "ca.pem").write_text("not a certificate\n")
    with pytest.raises(PipelineStepFailed, match=r"cannot read the CA bundle .*_IMAP_CA_FILE"):
        loader.run(imap=imap)
    # A CA file with TLS off would read the mail in plaintext: refused.
    plaintext = Settings.from_env({**env, "SALES_TRACKER_IMAP_TLS": "false"}).imap
    with pytest.raises(PipelineStepFailed, match="_IMAP_CA_FILE is set but SALES_TRACKER_IMAP_TLS"):
        loader.run(imap=plaintext)


# -- the IMAP password is a secret ---------------------------------------------------------


def test_the_imap_password_never_reaches_logs_trace_state_or_warehouse(
    world_mail: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    password = "imap-Pw-q7Zr91-never-logged"
    wrong = "imap-Pw-x3Kd55-wrong-one"
    maildir = sorted((world_mail / "maildir").iterdir())[0]
    server = mail_imap_server(tmp_path / "imap", "rep", password, maildir)
    caplog.set_level("DEBUG")
    server.start()
    try:
        loader = Loader(tmp_path / "warehouse")
        assert loader.run(imap=server.credentials())["mailbox_messages"] > 0
        loaded = loader.pipeline.last_trace
        refused = ImapCredentials(HOST, server.port, server.user, wrong, use_tls=False)
        with pytest.raises(PipelineStepFailed) as failure:
            loader.run(imap=refused)
        failed = loader.pipeline.last_trace
    finally:
        server.stop()

    # The refused login names the variables to fix, never the password.
    message = str(failure.value)
    assert "SALES_TRACKER_IMAP_USER" in message and "SALES_TRACKER_IMAP_PASSWORD" in message
    chain = exception_chain(failure.value)
    assert any(type(error).__name__ == "ImapError" for error in chain)

    captured = capfd.readouterr()
    texts = {
        "the error": message,
        "its causes": "\n".join(f"{error!s} {error!r}" for error in chain),
        # Each frame's line (the long style would quote this test's own source).
        "its traceback": str(failure.getrepr(style="short", chain=True)),
        "the logs": caplog.text,
        "stdout": captured.out,
        "stderr": captured.err,
        "the traces": "\n".join(
            f"{trace!s} {json.dumps(trace.asdict(), default=str)}" for trace in (loaded, failed)
        ),
        "the state": json.dumps(loader.pipeline.state, default=str),
    }
    assert len(caplog.records) > 0 and "imap" in texts["the state"]
    for name, text in texts.items():
        for secret in (password, wrong):
            assert secret not in text, name
    # Nor in any file of the pipeline's folder (state, trace, load packages)...
    for path, data in stored_bytes(loader.settings.state_dir):
        for secret in (password, wrong):
            assert secret.encode() not in data, path
    # ...nor in any text column of the warehouse.
    columns = loader.rows(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR'"
    )
    assert columns
    for column in columns:
        table = f'"{column["table_schema"]}"."{column["table_name"]}"'
        for secret in (password, wrong):
            found = loader.rows(
                f'select count(*) as n from {table} where "{column["column_name"]}" '
                f"like '%{secret}%'"
            )
            assert found == [{"n": 0}], column
