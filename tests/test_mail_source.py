"""The mail source on real dlt pipelines into a scratch DuckDB: the demo world's mailboxes,
hand-made messages with broken headers, and a real IMAP server (pymap) on 127.0.0.1."""

from __future__ import annotations

import email
import json
import mailbox
import shutil
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

from ingest.demo.mail import MailMessage, mbox_entry, render_message, write_maildir, write_mbox
from ingest.demo.world import generate_world
from ingest.mail import MAIL_TABLES, mail_source
from ingest.mail import source as mail_source_module
from ingest.pipeline import make_pipeline
from ingest.settings import ImapCredentials
from tests.conftest import scratch_settings
from tests.mail_imap_server import MailImapServer, mail_imap_server

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
