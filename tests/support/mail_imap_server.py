"""A throwaway IMAP server for tests: pymap's maildir backend on a free loopback port.

Each user's INBOX is a Maildir under the server's base folder (Maildir++ layout), so a
test hands it a copy of a demo rep's Maildir and delivers into it while the server runs.
pymap keeps UIDs in ``dovecot-uidlist`` beside the Maildir: deleting that file with the
server stopped makes the next start renumber the mailbox under a new UIDVALIDITY, which
is what a rebuilt mailbox looks like to a client.

With ``tls`` (a throwaway self-signed certificate, ``self_signed_certificate``) the server
speaks implicit TLS (IMAPS), as the connector does: pymap itself only offers STARTTLS, so
its listening socket is wrapped in TLS by the small launcher below.
"""

from __future__ import annotations

import gzip
import imaplib
import ipaddress
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pysasl.hashing import BuiltinHash

from ingest.settings import ImapCredentials
from tests.support.ports import free_port

HOST = "127.0.0.1"
UIDLIST = "dovecot-uidlist"
# pymap with every listening socket wrapped in TLS: argv is the certificate, its key, then
# pymap's own arguments.
_PYMAP_IMPLICIT_TLS = (
    "import asyncio, functools, ssl, sys; from pymap.main import main; "
    "context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH); "
    "context.load_cert_chain(sys.argv[1], sys.argv[2]); "
    "asyncio.start_server = functools.partial(asyncio.start_server, ssl=context); "
    "sys.argv = ['pymap', *sys.argv[3:]]; main()"
)


@dataclass(frozen=True)
class TlsFiles:
    """A PEM certificate (also the CA bundle that trusts it: it signs itself) and its key."""

    cert: Path
    key: Path


def self_signed_certificate(folder: Path, name: str = HOST) -> TlsFiles:
    """A throwaway self-signed certificate for ``name`` (an IP address or a host name),
    valid for a day: with ``cryptography`` when installed, else with ``openssl``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "cert.pem", folder / "key.pem")
    try:
        _certificate_with_cryptography(files, name)
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("needs the cryptography package or the openssl command")
        try:
            ipaddress.ip_address(name)
            alt_name = f"IP:{name}"
        except ValueError:
            alt_name = f"DNS:{name}"
        command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1"
        subprocess.run(
            [
                *command.split(),
                *("-subj", f"/CN={name}", "-addext", f"subjectAltName={alt_name}"),
                *("-keyout", str(files.key), "-out", str(files.cert)),
            ],
            check=True,
            capture_output=True,
        )
    return files


def _certificate_with_cryptography(files: TlsFiles, name: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    try:
        alt_name: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        alt_name = x509.DNSName(name)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alt_name]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@dataclass
class MailImapServer:
    base: Path
    user: str
    password: str = field(repr=False)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    tls: TlsFiles | None = None  # implicit TLS with this certificate

    @property
    def maildir(self) -> Path:
        return self.base / self.user

    def credentials(self, folders: tuple[str, ...] = ("INBOX",)) -> ImapCredentials:
        return ImapCredentials(
            host=HOST,
            port=self.port,
            user=self.user,
            password=self.password,
            use_tls=self.tls is not None,
            folders=folders,
            ca_file=None if self.tls is None else self.tls.cert,
        )

    def start(self) -> None:
        self.port = self.port or free_port()
        log = (self.base.parent / "pymap.log").open("ab")
        # pymap's own TLS is STARTTLS only: --no-tls, the socket is TLS already when wrapped.
        arguments = ["--host", HOST, "--port", str(self.port), "--no-tls", "maildir"]
        if self.tls is None:
            command = [str(Path(sys.executable).parent / "pymap"), *arguments]
        else:
            command = [sys.executable, "-c", _PYMAP_IMPLICIT_TLS]
            command += [str(self.tls.cert), str(self.tls.key), *arguments]
        self.process = subprocess.Popen(
            [*command, str(self.base)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pymap exited with {self.process.returncode}: see {log.name}")
            try:
                with self._probe() as probe:
                    probe.login(self.user, self.password)
                return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"pymap did not accept a login on {HOST}:{self.port} within 30 s")

    def _probe(self) -> imaplib.IMAP4:
        if self.tls is None:
            return imaplib.IMAP4(HOST, self.port, timeout=2)
        context = ssl.create_default_context(cafile=str(self.tls.cert))
        return imaplib.IMAP4_SSL(HOST, self.port, ssl_context=context, timeout=2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def rebuild(self) -> None:
        """Stop, forget every UID (a new UIDVALIDITY on the next start), start again."""
        self.stop()
        (self.maildir / UIDLIST).unlink(missing_ok=True)
        self.start()


def mail_imap_server(
    base: Path, user: str, password: str, maildir: Path, tls: TlsFiles | None = None
) -> MailImapServer:
    """A server (not yet started) whose only user ``user`` has a copy of ``maildir`` as
    INBOX; speaking implicit TLS with ``tls``."""
    base.mkdir(parents=True)
    shutil.copytree(maildir, base / user, ignore=shutil.ignore_patterns(UIDLIST))
    # pymap's passwd/shadow files (name:password:uid:gid:comment:home:shell, name:hash:...);
    # few hash rounds: a login costs no CPU worth mentioning.
    (base / "pymap-etc-passwd").write_text(f"{user}:::::{user}:\n")
    (base / "pymap-etc-shadow").write_text(
        f"{user}:{BuiltinHash(rounds=1000).hash(password)}:::::::\n"
    )
    return MailImapServer(base=base, user=user, password=password, tls=tls)


def stored_bytes(folder: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file under ``folder`` (a pipeline's working folder: state, trace, load
    packages) with its bytes, gzip-compressed ones decompressed."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            yield path, gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def exception_chain(error: BaseException | None) -> list[BaseException]:
    """``error`` and its causes and contexts, each once."""
    chain: list[BaseException] = []
    while error is not None and all(error is not seen for seen in chain):
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain
