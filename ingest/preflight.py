"""The configured sources, checked before a run creates anything.

A run creates the Dagster home, the warehouse and dlt's state before its first step reads
a source, and a source's own checks (when it reads) come only after the steps before it
ran. So the folders and files the settings point at are checked here first, and every
problem is reported at once, each naming its setting, the path and what was expected.

A source is checked when its folder is set; its live system (an API, IMAP) is asked only
by the run itself. The sources keep their own checks, for a run started elsewhere (the
Dagster UI, a schedule) and for a file that disappears meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ingest.crm.catalog import CRM_TYPES
from ingest.errors import (
    CRM_EXPORT,
    EMAIL_DIR,
    FILES_DIR,
    PAYMENTS_EXPORT,
    FolderSetting,
    SettingsError,
)
from ingest.files.source import COMMISSION_PLAN_FILE, CSV_FILES
from ingest.mail.source import STORES
from ingest.payments.objects import STRIPE_TYPES
from ingest.settings import Settings

CRM_REQUIRED = tuple(crm.object_type.file_name for crm in CRM_TYPES if crm.required)
CRM_FILES = tuple(crm.object_type.file_name for crm in CRM_TYPES)
PAYMENTS_FILES = tuple(kind.declaration.file_name for kind in STRIPE_TYPES)
MAIL_STORES = tuple(f"{store}/" for store in STORES)
DROPPED_FILES = (*(spec.file_name for spec in CSV_FILES), COMMISSION_PLAN_FILE)


def check_sources(settings: Settings) -> None:
    """Raise one ``SettingsError`` listing every problem of the configured sources."""
    problems = source_problems(settings)
    if problems:
        raise SettingsError(
            "The configuration cannot be run (nothing was created or loaded):\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )


def source_problems(settings: Settings) -> list[str]:
    return [
        *_export_problems(settings.crm_export_dir, CRM_EXPORT, CRM_REQUIRED, CRM_FILES),
        *_export_problems(
            settings.payments_export_dir, PAYMENTS_EXPORT, PAYMENTS_FILES, PAYMENTS_FILES
        ),
        *_any_of_problems(settings.email_dir, EMAIL_DIR, MAIL_STORES),
        *_any_of_problems(settings.files_dir, FILES_DIR, DROPPED_FILES),
        *_mail_problems(settings),
        *_warehouse_problems(settings),
    ]


def _folder_problem(folder: Path, setting: FolderSetting) -> str | None:
    if not folder.exists():
        return f"{_named(setting)}: {folder} does not exist; expected {setting.holds}"
    if not folder.is_dir():
        return f"{_named(setting)}: {folder} is not a folder; expected {setting.holds}"
    return None


def _export_problems(
    folder: Path | None, setting: FolderSetting, required: Iterable[str], known: Iterable[str]
) -> Iterator[str]:
    """An export needs every ``required`` file: the source fails without them."""
    problems = list(_any_of_problems(folder, setting, known))
    if folder is None or problems:
        yield from problems
        return
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        yield (
            f"{_named(setting)}: {folder} lacks {', '.join(missing)}, which the source "
            "reads: add them to the export"
        )


def _any_of_problems(
    folder: Path | None, setting: FolderSetting, known: Iterable[str]
) -> Iterator[str]:
    """A folder whose entries are each optional must hold at least one of them: an empty or
    wrong folder is a mistake, not a source without data."""
    if folder is None:
        return
    problem = _folder_problem(folder, setting)
    if problem:
        yield problem
        return
    names = tuple(known)
    if not any(_present(folder, name) for name in names):
        yield (
            f"{_named(setting)}: {folder} has none of {', '.join(names)}; expected {setting.holds}"
        )


def _present(folder: Path, name: str) -> bool:
    """``name`` is a file, or a folder when it ends with a slash."""
    if name.endswith("/"):
        return (folder / name.rstrip("/")).is_dir()
    return (folder / name).is_file()


def _mail_problems(settings: Settings) -> Iterator[str]:
    if (settings.email_dir or settings.imap) and not settings.company_email_domains:
        yield (
            "SALES_TRACKER_COMPANY_EMAIL_DOMAINS is not set: the mail source needs the "
            "company's email domains to tell outbound from inbound mail (comma-separated, "
            "e.g. example.com)"
        )
    ca_file = settings.imap.ca_file if settings.imap else None
    if ca_file is not None and not ca_file.is_file():
        state = "is not a file" if ca_file.exists() else "does not exist"
        yield (
            f"SALES_TRACKER_IMAP_CA_FILE: {ca_file} {state}; expected the PEM bundle of the "
            "certificate authorities the IMAP server's certificate chains to"
        )


def _warehouse_problems(settings: Settings) -> Iterator[str]:
    path = settings.warehouse_path
    if settings.target == "duckdb" and path.is_dir():
        yield (
            f"SALES_TRACKER_WAREHOUSE (--warehouse): {path} is a folder; expected the path "
            "of the DuckDB file (e.g. warehouse/sales.duckdb)"
        )


def _named(setting: FolderSetting) -> str:
    return f"{setting.variable} ({setting.flag})"
