"""Read the reps' mail from an IMAP server, incrementally by UIDVALIDITY + UID per folder.

Per folder the state holds the UIDVALIDITY and the last UID read. A run asks for the UIDs
above it (``UID SEARCH``: ``n:*`` alone would also match the last message when no newer
one exists) and fetches headers and flags in chunks, ``BODY.PEEK`` so that nothing is
marked read. When the UIDVALIDITY differs (the mailbox was rebuilt and its UIDs
renumbered) the folder is read again from the start; the merge on the message key and on
(mailbox, folder, message key) keeps the tables free of duplicates. Body bytes are only
fetched (a prefix, in bulk) for messages without a Message-ID.

With TLS (implicit TLS, IMAPS, port 993) the server's certificate is verified, host name
included, against the system's trust store or the CA bundle ``ca_file``
(``SALES_TRACKER_IMAP_CA_FILE``); a failed verification or handshake fails the run naming
the host, and nothing ever falls back to plaintext. (imaplib alone verifies nothing.)
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Iterator, MutableMapping
from typing import Any

from ingest.errors import ImapError
from ingest.mail.headers import BODY_READ_BYTES, has_message_id
from ingest.mail.raw import RawMessage
from ingest.settings import ImapCredentials

log = logging.getLogger(__name__)

FETCH_CHUNK = 500
TIMEOUT_SECONDS = 60.0
_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_FETCH_START = re.compile(rb"^\d+ \(")


def read_imap(
    credentials: ImapCredentials, state: MutableMapping[str, Any]
) -> Iterator[RawMessage]:
    connection = _connect(credentials)
    try:
        for folder in credentials.folders:
            key = f"{credentials.user}@{credentials.host}:{credentials.port}/{folder}"
            yield from _read_folder(connection, credentials, folder, state.setdefault(key, {}))
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            connection.logout()


def _connect(credentials: ImapCredentials) -> imaplib.IMAP4:
    where = f"IMAP server {credentials.host}:{credentials.port}"
    try:
        if credentials.use_tls:
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                credentials.host,
                credentials.port,
                ssl_context=_tls_context(credentials),
                timeout=TIMEOUT_SECONDS,
            )
        elif credentials.ca_file is not None:
            raise ImapError(
                f"SALES_TRACKER_IMAP_CA_FILE is set but SALES_TRACKER_IMAP_TLS is off: {where} "
                "would be read in plaintext; turn TLS on or unset the CA file"
            )
        else:
            connection = imaplib.IMAP4(credentials.host, credentials.port, timeout=TIMEOUT_SECONDS)
    except ssl.SSLCertVerificationError as error:
        trusted = (
            f"the CA bundle {credentials.ca_file}"
            if credentials.ca_file is not None
            else "the system's trust store"
        )
        raise ImapError(
            f"the TLS certificate of {where} is not trusted ({error.verify_message}) by "
            f"{trusted}: set SALES_TRACKER_IMAP_CA_FILE to the CA bundle that signed it, and "
            "SALES_TRACKER_IMAP_HOST to a name the certificate is for"
        ) from error
    except ssl.SSLError as error:
        raise ImapError(
            f"TLS handshake with {where} failed ({error.reason or error}): is it the server's "
            "IMAP over TLS port (993)? check SALES_TRACKER_IMAP_PORT and _TLS"
        ) from error
    except OSError as error:
        raise ImapError(
            f"cannot connect to {where}: {error}; check SALES_TRACKER_IMAP_HOST, _PORT and _TLS"
        ) from error
    try:
        connection.login(credentials.user, credentials.password)
    except imaplib.IMAP4.error as error:
        raise ImapError(
            f"{where} refused the login of {credentials.user!r}: check SALES_TRACKER_IMAP_USER "
            "and SALES_TRACKER_IMAP_PASSWORD"
        ) from error
    return connection


def _tls_context(credentials: ImapCredentials) -> ssl.SSLContext:
    """Certificate and host name verified (imaplib's own default context checks neither)."""
    ca_file = credentials.ca_file
    try:
        return ssl.create_default_context(cafile=None if ca_file is None else str(ca_file))
    except (OSError, ssl.SSLError) as error:
        raise ImapError(
            f"cannot read the CA bundle {ca_file} ({error}): set SALES_TRACKER_IMAP_CA_FILE to "
            "a PEM file of the certificates that sign the IMAP server's"
        ) from error


def _read_folder(
    connection: imaplib.IMAP4,
    credentials: ImapCredentials,
    folder: str,
    state: MutableMapping[str, Any],
) -> Iterator[RawMessage]:
    status, data = connection.select(_quote(folder), readonly=True)
    if status != "OK":
        raise ImapError(
            f"IMAP folder {folder!r} on {credentials.host} cannot be opened ({_text(data)}): "
            "check SALES_TRACKER_IMAP_FOLDERS"
        )
    _, validity = connection.response("UIDVALIDITY")
    if not validity or validity[0] is None:
        raise ImapError(f"IMAP folder {folder!r} on {credentials.host} sent no UIDVALIDITY")
    uidvalidity = int(validity[0])
    if state.get("uidvalidity") != uidvalidity:
        # First run, or the mailbox was rebuilt: old UIDs mean nothing any more.
        state.clear()
        state.update(uidvalidity=uidvalidity, last_uid=0)
    last_uid = int(state["last_uid"])
    status, data = connection.uid("SEARCH", None, f"UID {last_uid + 1}:*")
    if status != "OK":
        raise ImapError(f"UID SEARCH failed in {folder!r} on {credentials.host}: {_text(data)}")
    uids = sorted(int(n) for n in b" ".join(d or b"" for d in data).split())
    uids = [uid for uid in uids if uid > last_uid]
    location = f"imap://{credentials.user}@{credentials.host}/{folder};UIDVALIDITY={uidvalidity}"
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[start : start + FETCH_CHUNK]
        fetched = _fetch(connection, chunk, "(UID FLAGS BODY.PEEK[HEADER])", folder)
        without_id = [uid for uid, (_, header) in fetched.items() if not has_message_id(header)]
        bodies = {}
        if without_id:
            bodies = _fetch(
                connection, without_id, f"(UID BODY.PEEK[TEXT]<0.{BODY_READ_BYTES}>)", folder
            )
        gone = [uid for uid in chunk if uid not in fetched]
        if gone:  # expunged between SEARCH and FETCH: nothing left to read
            log.warning(
                "IMAP folder %r: %d messages vanished before their fetch", folder, len(gone)
            )
        for uid, (meta, header) in sorted(fetched.items()):
            body = bodies[uid][1] if uid in bodies else b""
            yield RawMessage(
                store="imap",
                mailbox=credentials.user,
                folder=folder,
                location=f"{location}/;UID={uid}",
                source=location,
                header=header,
                read_body=lambda body=body: body,
                flags=_flags(meta),
                line_number=uid,
                imap_uidvalidity=uidvalidity,
                imap_uid=uid,
            )
        state["last_uid"] = chunk[-1]


def _fetch(
    connection: imaplib.IMAP4, uids: list[int], items: str, folder: str
) -> dict[int, tuple[bytes, bytes]]:
    """UID -> (response metadata, literal) for ``uids``; unsolicited responses are dropped."""
    wanted = set(uids)
    uid_set = ",".join(_ranges(uids))
    status, data = connection.uid("FETCH", uid_set, items)
    if status != "OK":
        raise ImapError(f"UID FETCH failed in {folder!r}: {_text(data)}")
    result: dict[int, tuple[bytes, bytes]] = {}
    parts: list[list[Any]] = []  # [metadata, literal]
    for part in data:
        if isinstance(part, tuple):
            parts.append([part[0], part[1]])
        elif isinstance(part, bytes):
            if parts and not _FETCH_START.match(part):
                parts[-1][0] += b" " + part  # the rest of the response after a literal
            else:
                parts.append([part, None])
    for meta, literal in parts:
        match = _UID.search(meta)
        if match and int(match.group(1)) in wanted and literal is not None:
            result[int(match.group(1))] = (meta, literal)
    return result


def _ranges(uids: list[int]) -> Iterator[str]:
    """A sorted UID list as an IMAP sequence set: ``1:3,7,9:10``."""
    start = previous = uids[0]
    for uid in uids[1:]:
        if uid != previous + 1:
            yield f"{start}:{previous}" if previous != start else str(start)
            start = uid
        previous = uid
    yield f"{start}:{previous}" if previous != start else str(start)


def _flags(meta: bytes) -> tuple[str, ...] | None:
    match = _FLAGS.search(meta)
    if match is None:
        return None
    flags = (flag.decode("ascii", "replace") for flag in match.group(1).split())
    return tuple(sorted(flag for flag in flags if flag.lower() != "\\recent"))  # per session


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: Any) -> str:
    if isinstance(data, list):
        return " ".join(_text(item) for item in data)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)
