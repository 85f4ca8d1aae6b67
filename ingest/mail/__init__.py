"""The mail source: the reps' mailboxes (Maildir, mbox, .eml, IMAP) as message headers."""

from ingest.mail.source import mail_source
from ingest.mail.tables import MAILBOX_MESSAGES_TABLE, MESSAGES_TABLE

# The tables the source writes, besides `rejects` (both come from the `messages` resource).
MAIL_TABLES: tuple[str, ...] = (MESSAGES_TABLE, MAILBOX_MESSAGES_TABLE)

__all__ = ["MAIL_TABLES", "mail_source"]
