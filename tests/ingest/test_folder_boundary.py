"""Source folders are a boundary: a link leading out of one is a reject naming the file, never
read; a link that stays inside is read; names no resource reads are reported. Real dlt
loads into a scratch DuckDB, from hand-made folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from demo.world import generate_world
from ingest.crm import crm_source
from ingest.files import files_source, unknown_files
from ingest.mail import mail_source
from ingest.payments import payments_source
from ingest.pipeline import make_pipeline
from ingest.settings import Settings
from orchestration.summary import quarantine_summary
from tests.conftest import scratch_settings

SECRET = "root:x:0:0:the target's content must never reach the warehouse"
QUOTAS = "rep_email,month,quota_amount,currency_code\nana@demo-sales.example,2026-01,1000,USD\n"
ROSTER = (
    "rep_email,rep_id,team_name,valid_from,valid_to\nana@demo-sales.example,1,East,2026-01-01,\n"
)
DOMAINS = ("demo-sales.example",)


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def everything(settings: Settings, dataset: str) -> str:
    """All text of every table of ``dataset``, to show a secret is nowhere in it."""
    tables = rows(
        settings,
        "select table_name from information_schema.tables "
        f"where table_schema = '{dataset}' and table_name not like '_dlt%'",
    )
    return "\n".join(str(rows(settings, f"select * from {dataset}.{name}")) for (name,) in tables)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the source folders, holding what a link must not expose."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "passwd").write_text(SECRET + "\n")
    (folder / "quotas.csv").write_text(QUOTAS)
    return folder


@pytest.fixture(scope="module")
def xs_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("boundary") / "world", "xs", 3, workers=1).folder


def test_a_file_linked_out_of_the_files_folder_is_a_reject_and_a_link_inside_is_read(
    tmp_path: Path, outside: Path
) -> None:
    files = tmp_path / "files"
    (files / "archive").mkdir(parents=True)
    (files / "quotas.csv").symlink_to(outside / "quotas.csv")
    (files / "survey_responses.csv").symlink_to(outside / "passwd")
    (files / "archive" / "roster-2026.csv").write_text(ROSTER)
    (files / "rep_roster.csv").symlink_to(Path("archive") / "roster-2026.csv")
    settings = scratch_settings(tmp_path)
    make_pipeline(settings, "files").run(files_source(files))

    assert rows(settings, "select count(*) from raw_files.quotas") == [(0,)]
    assert rows(settings, "select count(*) from raw_files.survey_responses") == [(0,)]
    assert rows(settings, "select rep_email, team_name from raw_files.rep_roster") == [
        ("ana@demo-sales.example", "East")
    ]
    rejects = rows(
        settings,
        "select object_type, source_file, reason from raw_files.rejects order by object_type",
    )
    assert [(kind, name) for kind, name, _ in rejects] == [
        ("quotas", "quotas.csv"),
        ("survey_responses", "survey_responses.csv"),
    ]
    for _, name, reason in rejects:
        assert reason.startswith(f"{name} leads outside the folder {files} (to {outside}/")
    assert SECRET not in everything(settings, "raw_files")


def test_files_no_resource_reads_are_reported_in_the_summary(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "quotas.csv").write_text(QUOTAS)
    for unknown in ("..evil.csv", "quota.csv", ".DS_Store"):
        (files / unknown).write_text(QUOTAS)
    (files / "old").mkdir()
    assert unknown_files(files) == ["..evil.csv", "old/", "quota.csv"]

    settings = scratch_settings(tmp_path, files_dir=files)
    make_pipeline(settings, "files").run(files_source(files))
    summary = quarantine_summary(settings, ["files"])
    assert summary.splitlines()[-1] == (
        f"Ignored in the files folder {files} (SALES_TRACKER_FILES_DIR), read by no source: "
        "..evil.csv, old/, quota.csv."
    )


def test_export_files_linked_out_of_their_folders_are_rejects(
    xs_world: Path, tmp_path: Path, outside: Path
) -> None:
    crm = Path(shutil.copytree(xs_world / "crm", tmp_path / "crm"))
    payments = Path(shutil.copytree(xs_world / "payments", tmp_path / "payments"))
    for linked in (crm / "deals.jsonl", payments / "invoices.jsonl"):
        shutil.move(linked, outside / linked.name)
        linked.symlink_to(outside / linked.name)
    settings = scratch_settings(tmp_path)
    make_pipeline(settings, "crm").run(crm_source(crm))
    make_pipeline(settings, "payments").run(payments_source(payments))

    for dataset, table, name in (
        ("crm", "deals", "deals.jsonl"),
        ("payments", "invoices", "invoices.jsonl"),
    ):
        assert rows(settings, f"select count(*) from raw_{dataset}.{table}") == [(0,)]
        ((source_file, reason, payload),) = rows(
            settings,
            f"select source_file, reason, payload from raw_{dataset}.rejects "
            f"where object_type = '{table}'",
        )
        assert source_file == name
        assert reason.startswith(f"{name} leads outside the folder")
        assert payload == f"-> {outside / name}"
    # The other files still load: only the link is refused.
    assert rows(settings, "select count(*) > 0 from raw_crm.contacts") == [(True,)]
    assert rows(settings, "select count(*) > 0 from raw_payments.customers") == [(True,)]


def message(number: int) -> bytes:
    return (
        f"From: lead{number}@customer.example\r\nTo: ana@demo-sales.example\r\n"
        f"Subject: hello {number}\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
        f"Message-ID: <m{number}@customer.example>\r\n\r\nbody {number}\r\n"
    ).encode()


def test_mail_linked_out_of_the_mail_folder_is_a_reject_and_a_link_inside_is_read(
    tmp_path: Path, outside: Path
) -> None:
    mail = tmp_path / "mail"
    inbox = mail / "maildir" / "ana"
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True)
    (inbox / "cur" / "1.host:2,S").write_bytes(message(1))
    (outside / "2.eml").write_bytes(message(2))
    (inbox / "cur" / "2.host:2,S").symlink_to(outside / "2.eml")
    # A whole mailbox linked in from elsewhere.
    stolen = outside / "bob"
    for sub in ("cur", "new", "tmp"):
        (stolen / sub).mkdir(parents=True)
    (stolen / "cur" / "3.host:2,").write_bytes(message(3))
    (mail / "maildir" / "bob").symlink_to(stolen)
    (mail / "mbox").mkdir()
    (outside / "carl.mbox").write_bytes(b"From x Mon Dec  7 10:00:00 2026\n" + message(4))
    (mail / "mbox" / "carl.mbox").symlink_to(outside / "carl.mbox")
    (mail / "eml" / "kept").mkdir(parents=True)
    (mail / "eml" / "kept" / "5.eml").write_bytes(message(5))
    (mail / "eml" / "inside.eml").symlink_to(Path("kept") / "5.eml")
    (mail / "eml" / "elsewhere").symlink_to(outside)

    settings = scratch_settings(tmp_path)
    make_pipeline(settings, "email").run(mail_source(mail, None, DOMAINS))

    subjects = rows(settings, "select subject from raw_email.messages order by subject")
    assert subjects == [("hello 1",), ("hello 5",)]
    copies = rows(settings, "select location from raw_email.mailbox_messages order by 1")
    assert copies == [("eml/inside.eml",), ("eml/kept/5.eml",), ("maildir/ana/cur/1.host:2,S",)]
    rejects = rows(settings, "select source_file, reason from raw_email.rejects order by 1")
    assert [source for source, _ in rejects] == [
        "eml/elsewhere",
        "maildir/ana/cur/2.host:2,S",
        "maildir/bob",
        "mbox/carl.mbox",
    ]
    for source, reason in rejects:
        assert reason.startswith(f"{source} leads outside the folder {mail} (to {outside}")
    assert "lead2@" not in everything(settings, "raw_email")
