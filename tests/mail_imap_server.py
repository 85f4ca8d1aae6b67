"""A throwaway IMAP server for tests: pymap's maildir backend on a free loopback port.

Each user's INBOX is a Maildir under the server's base folder (Maildir++ layout), so a
test hands it a copy of a demo rep's Maildir and delivers into it while the server runs.
pymap keeps UIDs in ``dovecot-uidlist`` beside the Maildir: deleting that file with the
server stopped makes the next start renumber the mailbox under a new UIDVALIDITY, which
is what a rebuilt mailbox looks like to a client.
"""

from __future__ import annotations

import imaplib
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pysasl.hashing import BuiltinHash

from ingest.settings import ImapCredentials

HOST = "127.0.0.1"
UIDLIST = "dovecot-uidlist"


@dataclass
class MailImapServer:
    base: Path
    user: str
    password: str = field(repr=False)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def maildir(self) -> Path:
        return self.base / self.user

    def credentials(self, folders: tuple[str, ...] = ("INBOX",)) -> ImapCredentials:
        return ImapCredentials(
            host=HOST,
            port=self.port,
            user=self.user,
            password=self.password,
            use_tls=False,
            folders=folders,
        )

    def start(self) -> None:
        self.port = self.port or _free_port()
        pymap = Path(sys.executable).parent / "pymap"
        log = (self.base.parent / "pymap.log").open("ab")
        command = [str(pymap), "--host", HOST, "--port", str(self.port), "--no-tls"]
        self.process = subprocess.Popen(
            [*command, "maildir", str(self.base)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pymap exited with {self.process.returncode}: see {log.name}")
            try:
                with imaplib.IMAP4(HOST, self.port, timeout=2) as probe:
                    probe.login(self.user, self.password)
                return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"pymap did not accept a login on {HOST}:{self.port} within 30 s")

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


def mail_imap_server(base: Path, user: str, password: str, maildir: Path) -> MailImapServer:
    """A server (not yet started) whose only user ``user`` has a copy of ``maildir`` as INBOX."""
    base.mkdir(parents=True)
    shutil.copytree(maildir, base / user, ignore=shutil.ignore_patterns(UIDLIST))
    # pymap's passwd/shadow files (name:password:uid:gid:comment:home:shell, name:hash:...);
    # few hash rounds: a login costs no CPU worth mentioning.
    (base / "pymap-etc-passwd").write_text(f"{user}:::::{user}:\n")
    (base / "pymap-etc-shadow").write_text(
        f"{user}:{BuiltinHash(rounds=1000).hash(password)}:::::::\n"
    )
    return MailImapServer(base=base, user=user, password=password)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]
