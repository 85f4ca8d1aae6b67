"""The demo mail stores read back with the stdlib exactly as they were meant, byte-stable."""

from __future__ import annotations

import email
import mailbox
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from demo.formats.mail import (
    MailMessage,
    render_message,
    write_eml_folder,
    write_maildir,
    write_mbox,
)


def tz(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


JAKARTA, NEW_YORK, KOLKATA, TOKYO, UTC0 = tz(7), tz(-5), tz(5, 30), tz(9), tz(0)
KARTIKA = ("Kartika Tan", "kartika.tan@demo-sales.example")
SITI = ("Siti Nurhaliza Ümit", "siti@pelanggan.example.co.id")
TARO = ("田中 太郎", "taro.tanaka@kaisha.example.jp")
LONG_NAME = ("株式会社サンプル 営業部 田中 太郎 (東京本社) Ümit Özdemir-Çelik", "long@example.jp")

MESSAGES = (
    MailMessage(
        message_id="<q3-offer.1@demo-sales.example>",
        sender=KARTIKA,
        to=(SITI, TARO),
        cc=(("Budi Santoso", "budi@demo-sales.example"),),
        sent_at=datetime(2026, 3, 2, 9, 15, 42, tzinfo=JAKARTA),
        subject="Penawaran harga — Q3 ☕ café für 田中",
        body="Halo Bu Siti,\n\nTerlampir penawaran: Rp 1.250.000 — diskon 10%.\nSalam,\nKartika\n",
        flags="S",
    ),
    MailMessage(
        message_id="<reply.2@pelanggan.example.co.id>",
        sender=SITI,
        to=(KARTIKA,),
        sent_at=datetime(2026, 3, 2, 21, 3, 0, tzinfo=NEW_YORK),
        subject="Re: Penawaran harga — Q3 ☕ café für 田中",
        in_reply_to="<q3-offer.1@demo-sales.example>",
        references=("<intro.0@demo-sales.example>", "<q3-offer.1@demo-sales.example>"),
        body=(
            "Terima kasih!\n"
            "From the desk of Siti: this line starts with From.\n"
            ">From an older quote, already escaped once.\n"
            "\n"
            "> On Mon, Kartika wrote:\n"
            ">> Terlampir penawaran.\n"
        ),
        flags="SR",
    ),
    MailMessage(
        message_id="<ooo.3@kaisha.example.jp>",
        sender=TARO,
        to=(KARTIKA,),
        sent_at=datetime(2026, 3, 3, 8, 0, 1, tzinfo=TOKYO),
        subject="自動応答: 不在のお知らせ",
        in_reply_to="<q3-offer.1@demo-sales.example>",
        references=("<q3-offer.1@demo-sales.example>",),
        body="ただいま出張中です。3月10日に戻ります。\n",
        auto_submitted="auto-replied",
        extra_headers=(("X-Autoreply", "yes"), ("Precedence", "auto_reply")),
    ),
    MailMessage(
        message_id=None,
        sender=("O'Brien, Pat", "pat.obrien@prospect.example"),
        to=(('Lee "The Closer" Park', "lee@demo-sales.example"), ("", "bare@demo-sales.example")),
        sent_at=datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC0),
        subject="quick question about pricing",
        body="Can you send the deck?",
        flags="S",
    ),
    MailMessage(
        message_id="<broken-date.5@demo-sales.example>",
        sender=KARTIKA,
        to=(("Dr. A. B. Cé", "ab@prospect.example"),),
        sent_at=datetime(2026, 3, 5, 14, 30, 0, tzinfo=KOLKATA),
        subject="Follow-up",
        body="Windows line endings\r\nin a pasted body\r\n",
        extra_headers=(("Date", "not a date"), ("X-Mailer", "Demo Mailer 1.0")),
    ),
    MailMessage(
        message_id="<long.6@demo-sales.example>",
        sender=LONG_NAME,
        to=(KARTIKA, SITI, TARO, ("Budi Santoso", "budi@demo-sales.example")),
        sent_at=datetime(2026, 3, 6, 7, 0, 0, tzinfo=JAKARTA),
        subject="=?utf-8?q?not_an_encoded_word?= and a long Ünïcödé subject " * 2,
        references=tuple(f"<thread.{n}.with-a-longish-id@demo-sales.example>" for n in range(6)),
        body="ü" * 200 + " = trailing blanks   \nline two\tends in a tab\t\n",
    ),
    MailMessage(
        message_id="<empty.7@demo-sales.example>",
        sender=KARTIKA,
        to=(),
        cc=(SITI,),
        sent_at=datetime(2026, 3, 7, 0, 0, 0, tzinfo=tz(-9, -30)),
        subject="",
        body="",
        flags="T",
    ),
)


def expected_body(body: str) -> str:
    body = body.replace("\r\n", "\n")
    return body if not body or body.endswith("\n") else body + "\n"


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def mailboxes(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    header = message[name]
    if header is None:
        return []
    return [(address.display_name, address.addr_spec) for address in header.addresses]


def assert_round_trip(read: EmailMessage, original: MailMessage) -> None:
    extras = dict(original.extra_headers)
    assert mailboxes(read, "From") == [original.sender]
    assert mailboxes(read, "To") == list(original.to)
    assert mailboxes(read, "Cc") == list(original.cc)
    assert str(read["Subject"]) == original.subject
    if "Date" in extras:
        assert read.get_all("Date") == [extras["Date"]]
    else:
        sent = parsedate_to_datetime(str(read["Date"]))
        assert sent == original.sent_at
        assert sent.utcoffset() == original.sent_at.utcoffset()
        assert read.defects == []
        assert all(not read[name].defects for name in read)
    assert read.get("Message-ID") == original.message_id
    assert read.get("In-Reply-To") == original.in_reply_to
    assert str(read.get("References", "")).split() == list(original.references)
    assert read.get("Auto-Submitted") == original.auto_submitted
    for name, value in original.extra_headers:
        assert read.get_all(name) == [value]
    assert read.get_content_type() == "text/plain"
    assert read.get_content() == expected_body(original.body)


def test_rendered_messages_are_7bit_short_lined_and_stable() -> None:
    for message in MESSAGES:
        data = render_message(message)
        assert data.isascii()
        assert data == render_message(message)
        assert max(len(line) for line in data.split(b"\n")) <= 998
        assert_round_trip(parse(data), message)
    assert b"Date: Mon, 02 Mar 2026 21:03:00 -0500\n" in render_message(MESSAGES[1])
    assert b"Date: Sat, 07 Mar 2026 00:00:00 -0930\n" in render_message(MESSAGES[6])


def test_eml_folder_round_trip(tmp_path: Path) -> None:
    assert write_eml_folder(tmp_path, iter(MESSAGES)) == len(MESSAGES)
    files = sorted(tmp_path.iterdir())
    assert [path.name for path in files] == [f"{n:08d}.eml" for n in range(1, len(MESSAGES) + 1)]
    for path, original in zip(files, MESSAGES, strict=True):
        assert_round_trip(parse(path.read_bytes()), original)


def test_maildir_round_trip_with_flags_in_cur_and_unread_in_new(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    assert write_maildir(root, iter(MESSAGES)) == len(MESSAGES)
    assert list((root / "tmp").iterdir()) == []
    store = mailbox.Maildir(root, create=False)
    keys = sorted(store.keys())
    assert len(keys) == len(MESSAGES)
    for key, original in zip(keys, MESSAGES, strict=True):
        stored = store.get_message(key)
        assert stored.get_subdir() == ("cur" if original.flags else "new")
        assert stored.get_flags() == "".join(sorted(original.flags))
        assert_round_trip(parse(store.get_bytes(key)), original)
    names = sorted(path.name for path in (root / "cur").iterdir())
    assert re.fullmatch(r"00000002\.[0-9a-f]{16}\.demo:2,RS", names[1])


def test_mbox_round_trip_with_from_lines_escaped(tmp_path: Path) -> None:
    path = tmp_path / "mail" / "kartika.mbox"
    assert write_mbox(path, iter(MESSAGES)) == len(MESSAGES)
    store = mailbox.mbox(path, create=False)
    keys = list(store.keys())
    assert len(keys) == len(MESSAGES)
    for key, original in zip(keys, MESSAGES, strict=True):
        stamp = original.sent_at.astimezone(UTC).strftime("%a %b %e %H:%M:%S %Y")
        assert store.get_message(key).get_from() == f"{original.sender[1]} {stamp}"
        data = store.get_bytes(key)
        unescaped = re.sub(rb"(?m)^>(>*From )", rb"\1", data)  # mboxrd: drop one ">"
        assert_round_trip(parse(unescaped), original)
    reply = store.get_bytes(keys[1])
    assert b"\n>From the desk of Siti" in reply
    assert b"\n>>From an older quote" in reply


def test_same_messages_write_byte_identical_stores(tmp_path: Path) -> None:
    def tree(root: Path) -> dict[str, bytes]:
        return {
            str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }

    for run in ("a", "b"):
        write_maildir(tmp_path / run / "Maildir", MESSAGES)
        write_mbox(tmp_path / run / "all.mbox", MESSAGES)
        write_eml_folder(tmp_path / run / "eml", MESSAGES)
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert len(first) == 2 * len(MESSAGES) + 1
    assert first == second


def test_writing_again_replaces_the_previous_messages(tmp_path: Path) -> None:
    write_maildir(tmp_path / "Maildir", MESSAGES)
    write_eml_folder(tmp_path / "eml", MESSAGES)
    (tmp_path / "eml" / "notes.txt").write_text("kept")
    assert write_maildir(tmp_path / "Maildir", MESSAGES[:2]) == 2
    assert write_eml_folder(tmp_path / "eml", MESSAGES[:2]) == 2
    assert len(mailbox.Maildir(tmp_path / "Maildir", create=False)) == 2
    assert sorted(path.name for path in (tmp_path / "eml").iterdir()) == [
        "00000001.eml",
        "00000002.eml",
        "notes.txt",
    ]


def test_writers_stream_a_generator(tmp_path: Path) -> None:
    produced = 0

    def many() -> Iterator[MailMessage]:
        nonlocal produced
        start = datetime(2026, 1, 1, tzinfo=JAKARTA)
        for n in range(20_000):
            produced += 1
            yield MailMessage(
                message_id=f"<bulk.{n}@demo-sales.example>",
                sender=KARTIKA,
                to=(SITI,),
                sent_at=start + timedelta(minutes=n),
                subject=f"Follow-up {n}",
                body="From here on, short.\n",
            )

    path = tmp_path / "bulk.mbox"
    assert write_mbox(path, many()) == 20_000
    assert produced == 20_000
    assert path.read_bytes().count(b"\nFrom kartika.tan@demo-sales.example ") == 19_999
    assert write_eml_folder(tmp_path / "eml", (m for m in MESSAGES)) == len(MESSAGES)


@pytest.mark.parametrize(
    "changes",
    [
        {"sent_at": datetime(2026, 3, 2, 9, 0)},
        {"sent_at": datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(seconds=30)))},
        {"subject": "two\nlines"},
        {"sender": ("Kartika", "not an address")},
        {"message_id": "<ü@example>"},
        {"extra_headers": (("Content-Type", "text/html"),)},
        {"extra_headers": (("Bad Name", "x"),)},
        {"flags": "S!"},
    ],
)
def test_a_message_that_cannot_be_written_fails_when_built(changes: dict[str, object]) -> None:
    fields = {"message_id": None, "sender": KARTIKA, "to": (SITI,), "subject": "Hi"}
    fields |= {"sent_at": datetime(2026, 3, 2, 9, 0, tzinfo=JAKARTA)} | changes
    with pytest.raises(ValueError):
        MailMessage(**fields)  # type: ignore[arg-type]
