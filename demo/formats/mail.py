"""Write the reps' email as the mail stores the email connector reads: Maildir, mbox, .eml.

Every byte is a function of the messages alone (no clock, pid, hostname or random MIME
boundary), so the same world writes byte-identical stores; every writer streams, so a
large world never sits in memory. Messages are 7-bit clean RFC 5322 with LF line endings,
as Maildir and mbox hold them on Unix: non-ASCII subjects and display names become RFC 2047
encoded words, non-ASCII bodies quoted-printable UTF-8.
"""

from __future__ import annotations

import binascii
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.policy import default as _POLICY
from functools import lru_cache
from pathlib import Path

# The body's encoding depends on these, so an override would make the message unreadable.
_MIME_HEADERS = ("mime-version", "content-type", "content-transfer-encoding")
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext: printable ASCII except colon
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_MBOX_FROM = re.compile(rb"^(>*From )", re.MULTILINE)
_NOT_IN_ADDRESS = re.compile(r"[\s<>]")
_FOLD_POINT = re.compile(r" (?=[^ ])")
_FOLD_AT = 78  # RFC 5322's recommended line length; 998 is the hard limit
# RFC 2047 caps an encoded word at 75 characters: "=?utf-8?b?" + base64 + "?=" leaves 60
# base64 characters, 45 bytes; 42 keeps "Subject: " and its first word within _FOLD_AT.
_ENCODED_WORD_BYTES = 42
_MINUTE = timedelta(minutes=1)
_MAX_BODY_LINE = 998
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, kw_only=True)
class MailMessage:
    """One message as it sits in a rep's mailbox; dirty data is expressed through the fields.

    ``sender``, ``to`` and ``cc`` hold ``(display name, address)`` pairs ("" for no display
    name); an empty ``to`` writes no To header. ``sent_at`` is written to the second in its own
    UTC offset. ``extra_headers`` are written verbatim when ASCII (so a broken value stays
    broken) and replace a generated header of the same name, e.g. ``("Date", "not a date")``.
    ``body`` is stored line by line: line endings become LF and a missing final newline is
    added, as every mail store does. ``flags`` are Maildir info flags ("S" seen, "R" replied).
    """

    message_id: str | None
    sender: tuple[str, str]
    to: tuple[tuple[str, str], ...]
    cc: tuple[tuple[str, str], ...] = ()
    sent_at: datetime
    subject: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    body: str = ""
    auto_submitted: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()
    flags: str = ""

    def __post_init__(self) -> None:
        # Fail where the world builds a bad message, not deep inside a writer.
        offset = self.sent_at.utcoffset()
        if offset is None:
            raise ValueError(f"sent_at must be timezone-aware, got {self.sent_at!r}")
        if offset % _MINUTE:
            raise ValueError(f"a Date header offset is whole minutes, got {offset}")
        for name, address in (self.sender, *self.to, *self.cc):
            _check_value("display name", name)
            if not address.isascii() or not address or _NOT_IN_ADDRESS.search(address):
                raise ValueError(f"an address must be ASCII without spaces or <>: {address!r}")
        _check_value("subject", self.subject)
        ids = (self.message_id, self.in_reply_to, *self.references, self.auto_submitted)
        for value in ids:
            if value is not None:
                _check_value("header value", value, ascii_only=True)
        for name, value in self.extra_headers:
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"not a header name: {name!r}")
            if name.lower() in _MIME_HEADERS:
                raise ValueError(f"{name} is written by render_message and cannot be overridden")
            _check_value(name, value)
        if self.flags and not (self.flags.isascii() and self.flags.isalpha()):
            raise ValueError(f"Maildir flags are ASCII letters, got {self.flags!r}")


def render_message(message: MailMessage) -> bytes:
    """The message as RFC 5322 bytes: 7-bit, LF line endings, one text/plain UTF-8 part."""
    headers: list[tuple[str, str]] = [("date", _date_header(message.sent_at))]
    headers.append(("from", _address_header("From", [message.sender])))
    if message.to:
        headers.append(("to", _address_header("To", message.to)))
    if message.cc:
        headers.append(("cc", _address_header("Cc", message.cc)))
    headers.append(("subject", _subject_header(message.subject)))
    if message.message_id is not None:
        headers.append(("message-id", f"Message-ID: {message.message_id}\n"))
    if message.in_reply_to is not None:
        headers.append(("in-reply-to", f"In-Reply-To: {message.in_reply_to}\n"))
    if message.references:
        headers.append(("references", _fold("References", message.references, "")))
    if message.auto_submitted is not None:
        headers.append(("auto-submitted", f"Auto-Submitted: {message.auto_submitted}\n"))

    replaceable = {key for key, _ in headers}
    for name, value in message.extra_headers:
        line = _extra_header(name, value)
        key = name.lower()
        if key in replaceable:
            replaceable.discard(key)
            headers = [(k, line if k == key else text) for k, text in headers]
        else:
            headers.append((key, line))

    payload, encoding = _encode_body(message.body)
    mime = (
        "MIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="utf-8"\n'
        f"Content-Transfer-Encoding: {encoding}\n"
    )
    head = "".join(text for _, text in headers) + mime + "\n"
    return head.encode("ascii") + payload


def write_maildir(root: Path, messages: Iterable[MailMessage]) -> int:
    """Write ``messages`` as the Maildir ``root``, replacing the messages it held.

    Delivery goes through ``tmp/`` and a rename, as the Maildir protocol asks, so a reader
    never sees half a file. Names are ``<counter>.<hash>.demo``: sortable, unique and a
    function of the content, never of time, pid or hostname.
    """
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        _remove_files((root / sub).iterdir())
    count = 0
    for count, message in enumerate(messages, start=1):
        data = render_message(message)
        deliver_maildir(root, maildir_name(f"{count:08d}", data), message, data)
    return count


def maildir_name(prefix: str, rendered: bytes) -> str:
    """A Maildir base name ``<prefix>.<hash>.demo``: unique when ``prefix`` is, and a
    function of the content, never of time, pid or hostname."""
    return f"{prefix}.{hashlib.sha256(rendered).hexdigest()[:16]}.demo"


def deliver_maildir(
    root: Path, name: str, message: MailMessage, rendered: bytes | None = None
) -> Path:
    """Deliver one message into the Maildir ``root`` (its ``tmp/``, ``new/`` and ``cur/``
    must exist) under the base name ``name``, through ``tmp/`` and a rename.

    A message with flags goes to ``cur/<name>:2,<flags>``, one without to ``new/<name>``.
    ``rendered`` is ``render_message(message)`` when the caller has it already. Several
    processes may deliver into the same Maildir at once as long as their names differ.
    """
    data = render_message(message) if rendered is None else rendered
    return Path(_deliver(os.fspath(root), name, message.flags, data))


def _deliver(folder: str, name: str, flags: str, data: bytes) -> str:
    """``deliver_maildir`` on plain strings; returns the path it delivered to.

    os rather than pathlib: a world delivers ~10^6 files and pathlib's overhead showed.
    """
    staged = f"{folder}/tmp/{name}"
    flags = "".join(sorted(set(flags)))
    target = f"{folder}/cur/{name}:2,{flags}" if flags else f"{folder}/new/{name}"
    handle = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)
    os.replace(staged, target)
    return target


def write_mbox(path: Path, messages: Iterable[MailMessage]) -> int:
    """Write ``messages`` as the mboxrd file ``path`` (parents created), replacing it.

    Written by hand rather than with ``mailbox.mbox``, which keeps a table of contents in
    memory and stamps the From_ line with the current time. Lines matching ``>*From `` get
    one more ``>`` (mboxrd): mboxo readers, ``mailbox.mbox`` among them, still split the file
    right, and mboxrd readers restore the line exactly.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("wb") as out:
        for message in messages:
            out.write(mbox_entry(message))
            count += 1
    return count


def mbox_entry(message: MailMessage, rendered: bytes | None = None) -> bytes:
    """One mboxrd entry: the From_ line, the message with ``>*From `` lines escaped, and the
    blank line that ends it. An mbox file is its entries concatenated, so entries can be
    appended to an open file, or files of entries joined, and still make one mbox.
    ``rendered`` is ``render_message(message)`` when the caller has it already."""
    data = render_message(message) if rendered is None else rendered
    return _envelope_line(message) + _MBOX_FROM.sub(rb">\1", data) + b"\n"


def write_eml_folder(folder: Path, messages: Iterable[MailMessage]) -> int:
    """Write one ``<counter>.eml`` per message into ``folder``, replacing its ``.eml`` files."""
    folder.mkdir(parents=True, exist_ok=True)
    _remove_files(folder.glob("*.eml"))
    count = 0
    for count, message in enumerate(messages, start=1):
        (folder / f"{count:08d}.eml").write_bytes(render_message(message))
    return count


def _check_value(what: str, value: str, ascii_only: bool = False) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} must not contain a line break: {value!r}")
    if ascii_only and not value.isascii():
        raise ValueError(f"{what} must be ASCII: {value!r}")


def _address_header(name: str, mailboxes: Sequence[tuple[str, str]]) -> str:
    return _fold(name, [_mailbox(display, address) for display, address in mailboxes], ",")


@lru_cache(maxsize=4096)
def _mailbox(display_name: str, address: str) -> str:
    """One mailbox; a non-ASCII display name is one encoded word, however long.

    Splitting it into several encoded words is valid RFC 2047, but Python's address parser
    (3.11) then decodes a space between them, so the connector would read another name.
    """
    if not display_name:
        return address
    if display_name.isascii() and display_name.isprintable() and "=?" not in display_name:
        if _ATOM_PHRASE.fullmatch(display_name):
            phrase = display_name
        else:
            phrase = '"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        phrase = _encoded_word(display_name.encode("utf-8"))
    return f"{phrase} <{address}>"


@lru_cache(maxsize=4096)  # a thread repeats its subject
def _subject_header(subject: str) -> str:
    """The Subject field, written by hand: the email package's header registry cost more
    than the rest of a message.

    Printable ASCII is written as is, folded at spaces; anything else (non-ASCII, control
    characters, a leading blank a reader would strip, ASCII that looks like an encoded
    word and would be decoded) as UTF-8 encoded words, whole. Readers drop the folding
    whitespace between adjacent encoded words, so the words may split anywhere between
    characters.
    """
    if not subject:
        return "Subject:\n"
    if subject.isascii() and subject.isprintable() and "=?" not in subject and subject[0] != " ":
        folded = _fold_text("Subject", subject)
        if folded is not None:
            return folded
    data = subject.encode("utf-8")
    words, start = [], 0
    while start < len(data):
        end = min(start + _ENCODED_WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # not inside a character
            end -= 1
        words.append(_encoded_word(data[start:end]))
        start = end
    return "Subject: " + "\n ".join(words) + "\n"


def _encoded_word(data: bytes) -> str:
    """One RFC 2047 encoded word (UTF-8, base64) for ``data``, however long."""
    return f"=?utf-8?b?{binascii.b2a_base64(data, newline=False).decode('ascii')}?="


def _fold_text(name: str, text: str) -> str | None:
    """``name: text`` folded before spaces to keep lines short (unfolding restores the text
    exactly); ``None`` when a line would pass RFC 5322's 998-character limit."""
    line = f"{name}: {text}"
    if len(line) <= _FOLD_AT:
        return line + "\n"
    # Fold only before a space followed by a non-blank, so that no line is blank.
    cuts = [match.start() for match in _FOLD_POINT.finditer(line, len(name) + 2)]
    pieces, begin, previous = [], 0, 0
    for cut in (*cuts, len(line)):
        if cut - begin > _FOLD_AT and previous > begin:
            pieces.append(line[begin:previous])
            begin = previous
        previous = cut
    pieces.append(line[begin:])
    if max(len(piece) for piece in pieces) > _MAX_BODY_LINE:
        return None
    return "\n".join(pieces) + "\n"


def _extra_header(name: str, value: str) -> str:
    if value.isascii():
        return f"{name}: {value}\n" if value else f"{name}:\n"
    return _POLICY.header_factory(name, value).fold(policy=_POLICY)


def _fold(name: str, items: Sequence[str], separator: str) -> str:
    """``name: a, b, c`` folded between items (never inside one) to keep lines short."""
    text = f"{name}: {items[0]}"
    width = len(text)
    for item in items[1:]:
        if width + len(separator) + 1 + len(item) > _FOLD_AT:
            text += f"{separator}\n {item}"
            width = 1 + len(item)
        else:
            text += f"{separator} {item}"
            width += len(separator) + 1 + len(item)
    return text + "\n"


def _encode_body(body: str) -> tuple[bytes, str]:
    lines = body.encode("utf-8").splitlines()  # bytes split on CR and LF only
    data = b"\n".join(lines) + b"\n" if lines else b""
    if data.isascii() and b"\0" not in data and all(len(x) <= _MAX_BODY_LINE for x in lines):
        return data, "7bit"
    return binascii.b2a_qp(data), "quoted-printable"


def _date_header(moment: datetime) -> str:
    """``Date: Mon, 02 Mar 2026 21:03:00 -0500``, as ``email.utils.format_datetime`` writes it
    for an aware datetime, at a fraction of the cost (a world dates ~10^6 messages)."""
    offset = moment.utcoffset()
    assert offset is not None  # MailMessage checks it
    minutes = offset // _MINUTE
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return (
        f"Date: {_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
        f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} "
        f"{sign}{hours:02d}{minutes:02d}\n"
    )


def _envelope_line(message: MailMessage) -> bytes:
    """The mbox From_ line: envelope sender and the UTC send time in asctime form."""
    moment = message.sent_at.astimezone(UTC)
    stamp = (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:2d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {moment.year}"
    )
    return f"From {message.sender[1]} {stamp}\n".encode("ascii")


def _remove_files(paths: Iterable[Path]) -> None:
    for path in paths:
        if path.is_file() or path.is_symlink():
            path.unlink()
