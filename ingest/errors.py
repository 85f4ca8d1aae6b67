"""The errors a user sees: each names what is wrong (the setting, file, object type or field)
and says what to do about it.

Every one is a ``SalesTrackerError``. The CLI prints it as its message alone; in a Dagster
run it is the innermost cause of the failed step (too many rejects: the failed check's
description), the line the run's failure report shows.
Each takes its finished message, like any exception (so it pickles and prints as is);
where several places report the same kind of problem, a class method builds the message
so that they all word it, and name the fix, alike.

Internal signals are not here: they never reach a user, and stay beside the code that
raises and catches them. ``ingest.mail.headers.Rejected`` quarantines one message, and the
``ValueError`` of the CSV value parsers (``ingest.files.csv_files``) becomes a row's
reject reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SalesTrackerError(Exception):
    """A problem the user can fix; the message says which setting or file and how."""


@dataclass(frozen=True)
class FolderSetting:
    """The setting that points a source at its folder, named as the fix in messages."""

    variable: str
    flag: str
    holds: str

    def advice(self) -> str:
        return f"set {self.variable} (or pass {self.flag}) to {self.holds}"


CRM_EXPORT = FolderSetting(
    "SALES_TRACKER_CRM_EXPORT", "--crm-export", "a folder of HubSpot JSON Lines files"
)
PAYMENTS_EXPORT = FolderSetting(
    "SALES_TRACKER_PAYMENTS_EXPORT", "--payments-export", "a folder of Stripe JSON Lines files"
)
EMAIL_DIR = FolderSetting(
    "SALES_TRACKER_EMAIL_DIR", "--email", "a folder holding maildir/, mbox/ and/or eml/"
)
FILES_DIR = FolderSetting(
    "SALES_TRACKER_FILES_DIR", "--files", "a folder of dropped files (fx_rates.csv, ...)"
)


class SettingsError(SalesTrackerError):
    """A setting is missing or malformed; the message names the variable to fix."""

    @classmethod
    def malformed(cls, variable: str, expected: str, raw: str) -> SettingsError:
        return cls(f"{variable} must be {expected}, got {raw!r}: fix or unset it")

    @classmethod
    def missing(cls, needed_by: str, variables: list[str], why: str = "") -> SettingsError:
        because = f" ({why})" if why else ""
        return cls(f"{needed_by} needs {', '.join(variables)} to be set{because}")


class SourceNotConfiguredError(SalesTrackerError):
    """A source was asked for data but has neither its folder nor its live system."""

    @classmethod
    def neither(cls, source: str, folder: FolderSetting, live: str) -> SourceNotConfiguredError:
        """``live`` names the variable of the live system and what it reads."""
        return cls(f"The {source} source is not configured: {folder.advice()}, or {live}")


class ExportNotFoundError(SalesTrackerError):
    """The configured export folder, or a file it must hold, is missing."""

    @classmethod
    def no_folder(cls, source: str, path: Path, folder: FolderSetting) -> ExportNotFoundError:
        return cls(f"{source} folder {path} does not exist: {folder.advice()}")

    @classmethod
    def no_file(
        cls, source: str, path: Path, object_type: str, folder: FolderSetting
    ) -> ExportNotFoundError:
        return cls(
            f"{source} file {path} is missing ({object_type} are read from it, one JSON Lines "
            f"file per object type): add it to the export, or {folder.advice()}"
        )


class ApiError(SalesTrackerError):
    """A live API answered with an error that retrying will not fix; the message names the
    system and the endpoint, and quotes what the API said."""


class ApiAuthError(ApiError):
    """The API refused the credentials; the message names the variable holding them."""

    @classmethod
    def refused(cls, system: str, status: int, where: str, secret_variable: str) -> ApiAuthError:
        return cls(
            f"The {system} API refused the credentials (HTTP {status} at {where}): check "
            f"{secret_variable}"
        )


class ImapError(SalesTrackerError):
    """The IMAP server refused something; the message names the server, the folder and the
    variable to check, never a secret."""


class InvalidFileError(SalesTrackerError):
    """A dropped file cannot be read as a whole (a bad row is only quarantined); the message
    names the file and what to fix in it."""


class TooManyRejectsError(SalesTrackerError):
    """A source quarantined more of an object type's records than the configured share.

    The blocking quarantine check reports it as the description of its failed result
    (a failed check stops the run before dbt; raising would fail the step instead)."""

    @classmethod
    def share(
        cls, table: str, rejects_table: str, rejected: int, total: int, max_rate: float
    ) -> TooManyRejectsError:
        return cls(
            f"{rejected:,} of {total:,} {table} records ({rejected / total:.1%}) were "
            f"quarantined, above SALES_TRACKER_MAX_REJECT_RATE ({max_rate:.1%}): fix the "
            f"records {rejects_table} lists (reason, file, line) in the source, or raise "
            "SALES_TRACKER_MAX_REJECT_RATE"
        )


class RunWaitTimeoutError(SalesTrackerError):
    """A live run held the warehouse pool beyond SALES_TRACKER_RUN_WAIT_SECONDS; the message
    names the run and its process, and the ways out."""
