"""Turn one message's raw header block into a ``messages`` row, or a reason to reject it.

Headers are parsed with the standard library (``BytesHeaderParser``), but through a policy
that hands back each value as raw text, so this module decides how to unfold, how to read
bytes that are not UTF-8 and how to decode RFC 2047 encoded words: the stock policies
either return ``Header`` objects for 8-bit values (compat32) or are several times slower
and raise on some broken values (default).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

SYNTHESIZED_PREFIX = "synthesized:"
# Bytes of the (normalised) body that go into a synthesized id: enough to tell apart two
# messages with the same sender, date and subject, small enough to read cheaply.
BODY_PREFIX_BYTES = 1024
# Raw bytes to read for that prefix: CRLF line endings and mboxrd escapes shrink it.
BODY_READ_BYTES = 2 * BODY_PREFIX_BYTES

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_SPACES = re.compile(r"\s+")
_ANGLE_ID = re.compile(r"<([^<>]*)>")
_NOT_SIMPLE = re.compile(r'["()\\;:\[\]]')
_SIMPLE_ADDRESS = re.compile(
    r"\s*(?:([^<>@,]*?)\s*<([^<>\s@,]+@[^<>\s@,]+)>|([^<>\s@,]+@[^<>\s@,]+))\s*"
)
_UTC_ZONE = re.compile(r"(?:[-+]0000|\b(?:UT|UTC|GMT|Z))\s*(?:\(.*\))?\s*$", re.IGNORECASE)


class _RawValues(Compat32):
    """compat32 parsing, but values come back as the raw (folded, surrogate-escaped) text."""

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        return value


_PARSER = BytesHeaderParser(policy=_RawValues())


class Rejected(ValueError):
    """The message cannot be used; the text says why."""


Fields = dict[str, list[str]]


def parse_headers(header: bytes) -> Fields:
    """Lower-cased field name -> raw values in order (one scan; ``Message.get`` scans the
    whole header list on every call)."""
    fields: Fields = {}
    for name, value in _PARSER.parsebytes(header).items():
        fields.setdefault(name.lower(), []).append(value)
    return fields


def has_message_id(header: bytes) -> bool:
    """Whether ``message_row`` will need the body: lets IMAP fetch body prefixes in bulk."""
    return normalize_id(_first(parse_headers(header), "message-id")) is not None


def message_row(
    header: bytes, company_domains: tuple[str, ...], read_body: Callable[[], bytes]
) -> dict[str, Any]:
    """The ``messages`` row of a message; raises ``Rejected`` when it cannot be used.

    ``read_body`` returns the first raw body bytes (``BODY_READ_BYTES`` when the body is
    longer); it is called only for a message without a usable Message-ID.
    """
    message = parse_headers(header)
    if not message:
        raise Rejected("no RFC 5322 header fields")
    raw_from = _first(message, "from")
    if raw_from is None:
        raise Rejected("missing From header")
    senders = _addresses([raw_from])
    if not senders:
        raise Rejected(f"From header has no email address: {_text(raw_from)!r}")
    from_name, from_address = senders[0]
    to = _addresses(message.get("to", []))
    cc = _addresses(message.get("cc", []))

    date_header = _first(message, "date")
    date_text = _clean(date_header) if date_header is not None else None
    sent_at, date_problem = parse_date(date_text)
    subject_raw = _first(message, "subject")
    subject = decode_words(_clean(subject_raw)) if subject_raw is not None else None

    raw_id = _first(message, "message-id")
    message_id = (_clean(raw_id) or None) if raw_id is not None else None
    key = normalize_id(message_id)
    synthesized = key is None
    if key is None:
        key = synthesized_key(from_address, date_text, subject, read_body())

    in_reply_to = _ids(_first(message, "in-reply-to"))
    auto_submitted = _optional(message, "auto-submitted")
    precedence = _optional(message, "precedence")
    autoreply_flag = _optional(message, "x-autoreply") or _optional(message, "x-autorespond")
    return {
        "message_key": key,
        "message_id": message_id,
        "synthesized": synthesized,
        "sent_at": sent_at,
        "date_header": date_text,
        "date_problem": date_problem,
        "from_address": from_address,
        "from_name": from_name or None,
        "to_addresses": _json([address for _, address in to]),
        "cc_addresses": _json([address for _, address in cc]),
        "subject": subject,
        "in_reply_to": in_reply_to[0] if in_reply_to else None,
        "references": _json(_ids(_joined(message, "references"))),
        "auto_submitted": auto_submitted,
        "precedence": precedence,
        "is_auto_reply": _is_auto_reply(auto_submitted, precedence, autoreply_flag),
        "direction": direction(from_address, [a for _, a in (*to, *cc)], company_domains),
    }


def synthesized_key(
    from_address: str, date_text: str | None, subject: str | None, body_prefix: bytes
) -> str:
    """A stable id for a message without Message-ID, equal for every copy of it.

    Copies differ in line endings (CRLF over IMAP, LF in files) and in mboxrd ``>From``
    escapes (undone by the mbox reader) and an mbox entry ends with an extra blank line:
    normalising those and trailing whitespace makes every store hash the same bytes.
    """
    body = body_prefix.replace(b"\r\n", b"\n")[:BODY_PREFIX_BYTES].rstrip()
    digest = hashlib.sha256()
    for part in (from_address, _SPACES.sub(" ", date_text or ""), subject or ""):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(body)
    return SYNTHESIZED_PREFIX + digest.hexdigest()[:32]


def normalize_id(value: str | None) -> str | None:
    """``<Local@Example.COM>`` -> ``Local@example.com``: brackets, folding whitespace and
    the domain's case do not make another id (the local part's case might)."""
    if value is None:
        return None
    match = _ANGLE_ID.search(value)
    text = _SPACES.sub("", match.group(1) if match else value)
    if not text:
        return None
    local, at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}" if at else text


def parse_date(text: str | None) -> tuple[datetime | None, str | None]:
    """The instant in UTC and, when it is not trustworthy, what is wrong with it."""
    if not text:
        return None, "missing"
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        moment = None
    if moment is None:
        try:  # some tools write ISO 8601
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None, "unparseable"
    problem = None
    if moment.tzinfo is None:
        # RFC 5322: -0000 means UTC with the sender's zone unknown; anything else is a guess.
        if not _UTC_ZONE.search(text):
            problem = "no known time zone, read as UTC"
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC), problem


def direction(sender: str, recipients: list[str], company_domains: tuple[str, ...]) -> str:
    """``internal`` when every participant is the company's, ``outbound`` when the sender
    is, else ``inbound``."""
    if not _is_company(sender, company_domains):
        return "inbound"
    if all(_is_company(address, company_domains) for address in recipients):
        return "internal"
    return "outbound"


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; unknown charsets and bad encodings never raise."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeError, AssertionError):
        pass
    try:
        parts = decode_header(value)
    except (ValueError, UnicodeError, AssertionError):
        return value
    text = []
    for data, charset in parts:
        if isinstance(data, str):
            text.append(data)
            continue
        try:
            text.append(data.decode(charset or "ascii", "replace"))
        except LookupError:
            text.append(data.decode("utf-8", "replace"))
    return "".join(text)


def _json(values: list[str]) -> str:
    return json.dumps(values, ensure_ascii=False)


def _is_company(address: str, company_domains: tuple[str, ...]) -> bool:
    domain = address.rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in company_domains)


def _is_auto_reply(auto_submitted: str | None, precedence: str | None, flag: str | None) -> bool:
    if auto_submitted is not None and auto_submitted.lower() != "no":
        return True
    if precedence is not None and precedence.lower() == "auto_reply":
        return True
    return flag is not None and flag.lower() in ("yes", "true", "1")


def _first(message: Fields, name: str) -> str | None:
    values = message.get(name)
    return values[0] if values else None


def _joined(message: Fields, name: str) -> str | None:
    values = message.get(name)
    return " ".join(values) if values else None


def _optional(message: Fields, name: str) -> str | None:
    value = _first(message, name)
    if value is None:
        return None
    return _clean(value) or None


def _ids(value: str | None) -> list[str]:
    """Every id in an In-Reply-To or References value, normalised like message keys."""
    if not value:
        return []
    tokens = _ANGLE_ID.findall(value) or _clean(value).split()
    return [key for key in (normalize_id(token) for token in tokens) if key is not None]


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """``(display name, lower-cased address)`` pairs; parts without an address are dropped."""
    texts = [_clean(value) for value in values]
    pairs = []
    for name, address in _simple_addresses(texts) or getaddresses(texts):
        address = address.strip().lower()
        if "@" in address:
            pairs.append((decode_words(name).strip(), address))
    return pairs


def _simple_addresses(texts: list[str]) -> list[tuple[str, str]] | None:
    """The common shapes (``Name <a@b>``, ``<a@b>``, ``a@b``, comma-separated) without the
    stdlib's address parser, which took ~40% of the parse time; ``None`` for anything with
    quotes, comments, groups or escapes, which only that parser gets right."""
    pairs = []
    for text in texts:
        if _NOT_SIMPLE.search(text):
            return None
        for part in text.split(","):
            match = _SIMPLE_ADDRESS.fullmatch(part)
            if match is None:
                if part.strip():
                    return None
                continue
            name, bracketed, bare = match.groups()
            pairs.append((_SPACES.sub(" ", name or "").strip(), bracketed or bare))
    return pairs


def _clean(value: str) -> str:
    """Unfolded, stripped text; bytes that were not ASCII read as UTF-8, else cp1252."""
    return _text(_FOLD.sub("", value)).strip()


def _text(value: str) -> str:
    if value.isascii():
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")
