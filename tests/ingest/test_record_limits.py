"""Per-record size limits: a record over a limit is a reject naming the limit and its
setting (payload cut), the other records load; the limits are settings. Real dlt loads
into a scratch DuckDB from hand-made inputs, and the sandbox's HubSpot API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from demo.sandbox import start_sandbox
from demo.world import generate_world
from ingest.crm import crm_source
from ingest.errors import SettingsError
from ingest.exports import read_export
from ingest.files import files_source
from ingest.limits import REJECT_PAYLOAD_CHARS, RecordLimits
from ingest.mail import mail_source
from ingest.payments.objects import CUSTOMERS
from ingest.pipeline import make_pipeline
from ingest.settings import ApiCredentials, Settings
from tests.conftest import scratch_settings

TOKEN = "record-limits-test-token"
CUSTOMER = {"id": "cus_1", "object": "customer", "created": 1700000000, "email": "a@b.example"}


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def xs_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("limits") / "world", "xs", 3, workers=1).folder


def huge_deal(template: str) -> str:
    """A deal line of about 5 MB: its name is 5 million characters."""
    deal = json.loads(template)
    deal["id"] = "999999999"
    deal["properties"]["dealname"] = "x" * 5_000_000
    return json.dumps(deal)


def test_a_5_mb_json_line_is_a_reject_naming_the_limit_and_the_other_lines_load(
    xs_world: Path, tmp_path: Path
) -> None:
    crm = Path(shutil.copytree(xs_world / "crm", tmp_path / "crm"))
    lines = (crm / "deals.jsonl").read_text().splitlines()
    (crm / "deals.jsonl").write_text("\n".join([lines[0], huge_deal(lines[0]), *lines[1:]]) + "\n")
    settings = scratch_settings(tmp_path)
    make_pipeline(settings, "crm").run(crm_source(crm))

    assert rows(settings, "select count(*) from raw_crm.deals") == [(len(lines),)]
    ((line_number, reason, payload),) = rows(
        settings,
        "select line_number, reason, payload from raw_crm.rejects where object_type = 'deals'",
    )
    assert line_number == 2
    assert reason.startswith(
        "properties.dealname: a text of 5,000,000 characters, over SALES_TRACKER_MAX_FIELD_CHARS"
    )
    assert len(payload) == REJECT_PAYLOAD_CHARS and huge_deal(lines[0]).startswith(payload)


def test_a_line_over_the_record_limit_is_never_held_whole(tmp_path: Path) -> None:
    path = tmp_path / "customers.jsonl"
    big = {**CUSTOMER, "id": "cus_2", "description": "y" * 3_000}
    path.write_text(f"{json.dumps(CUSTOMER)}\n{json.dumps(big)}\n{json.dumps(CUSTOMER)}\n")
    settings = Settings.from_env(env={"SALES_TRACKER_MAX_RECORD_BYTES": "1000"})
    (batch,) = read_export(path, CUSTOMERS.declaration, limits=settings.record_limits)
    assert batch.rows.num_rows == 2  # the lines around it load
    ((reject),) = batch.rejects.to_pylist()
    size = len(json.dumps(big))
    assert reject["reason"] == (
        f"record of {size:,} bytes, over SALES_TRACKER_MAX_RECORD_BYTES (1,000); payload cut "
        f"to its first {REJECT_PAYLOAD_CHARS:,} characters"
    )
    # Read no further than the limit (and two bytes): the rest was skipped unread.
    assert reject["payload"] == json.dumps(big)[:1002]


@pytest.mark.parametrize(
    ("variable", "raw"),
    [("SALES_TRACKER_MAX_RECORD_BYTES", "8MB"), ("SALES_TRACKER_MAX_FIELD_CHARS", "0")],
)
def test_a_malformed_limit_names_its_setting(variable: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=f"^{variable} must be a whole number above 0"):
        Settings.from_env(env={variable: raw})


def test_csv_fields_over_the_field_limit_are_rejects_and_long_legit_fields_load(
    tmp_path: Path,
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    long_team = "T" * 200_000  # beyond the csv module's own 128 KiB cap, under the limit
    (files / "rep_roster.csv").write_text(
        "rep_email,rep_id,team_name,valid_from,valid_to\n"
        f"ana@demo-sales.example,1,{long_team},2026-01-01,\n"
        f"bob@demo-sales.example,2,{'U' * 60},2026-01-01,\n"
        "carl@demo-sales.example,3,East,2026-01-01,\n"
    )
    settings = scratch_settings(tmp_path)
    make_pipeline(settings, "files").run(files_source(files))
    assert rows(settings, "select count(*) from raw_files.rep_roster") == [(3,)]

    small = RecordLimits(field_chars=50)
    make_pipeline(scratch_settings(tmp_path / "small"), "files").run(files_source(files, small))
    settings = scratch_settings(tmp_path / "small")
    loaded = rows(settings, "select rep_email from raw_files.rep_roster")
    assert loaded == [("carl@demo-sales.example",)]
    rejects = rows(settings, "select line_number, reason from raw_files.rejects order by 1")
    assert [line for line, _ in rejects] == [2, 3]
    assert rejects[1][1].startswith(
        "team_name: a text of 60 characters, over SALES_TRACKER_MAX_FIELD_CHARS (50)"
    )


def test_a_plan_file_over_the_record_limit_is_a_reject(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "commission_plan.yaml").write_text("plan: big\n# " + "z" * 5_000 + "\n")
    settings = scratch_settings(tmp_path)
    make_pipeline(settings, "files").run(files_source(files, RecordLimits(record_bytes=4_096)))
    ((reason, payload),) = rows(
        settings, "select reason, payload from raw_files.rejects where source_file like 'comm%'"
    )
    assert reason.startswith("the file: record of 5,013 bytes, over SALES_TRACKER_MAX_RECORD")
    assert len(payload) == REJECT_PAYLOAD_CHARS
    assert rows(settings, "select count(*) from raw_files.commission_plans") == [(0,)]


def message(number: int, extra_headers: str = "") -> bytes:
    return (
        f"From: lead{number}@customer.example\r\nTo: ana@demo-sales.example\r\n"
        f"Subject: hello {number}\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
        f"Message-ID: <m{number}@customer.example>\r\n{extra_headers}\r\nbody\r\n"
    ).encode()


def test_a_mail_header_block_over_the_limit_is_a_reject(tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    cur = mail / "maildir" / "ana" / "cur"
    cur.mkdir(parents=True)
    (cur / "1.host:2,S").write_bytes(message(1))
    padding = "".join(f"X-Pad-{n}: {'p' * 900}\r\n" for n in range(320))  # ~ 290 KiB
    (cur / "2.host:2,S").write_bytes(message(2, padding))
    (mail / "mbox").mkdir()
    (mail / "mbox" / "bob.mbox").write_bytes(
        b"From x Mon Dec  7 10:00:00 2026\n" + message(3, padding).replace(b"\r\n", b"\n")
    )
    settings = scratch_settings(tmp_path)
    make_pipeline(settings, "email").run(mail_source(mail, None, ("demo-sales.example",)))
    assert rows(settings, "select subject from raw_email.messages") == [("hello 1",)]
    rejects = rows(settings, "select source_file, reason from raw_email.rejects order by 1")
    assert [source for source, _ in rejects] == ["maildir/ana/cur/2.host:2,S", "mbox/bob.mbox"]
    for _, reason in rejects:
        assert reason.startswith("header block over 262,144 bytes, SALES_TRACKER_MAX_HEADER_BYTES")

    # Configurable: a small limit refuses the normal message too.
    small = scratch_settings(tmp_path / "small")
    limits = Settings.from_env(env={"SALES_TRACKER_MAX_HEADER_BYTES": "100"}).record_limits
    make_pipeline(small, "email").run(mail_source(mail, None, ("demo-sales.example",), limits))
    assert rows(small, "select count(*) from raw_email.rejects") == [(3,)]


def test_an_api_record_over_the_limit_is_a_reject_and_the_others_load(
    xs_world: Path, tmp_path: Path
) -> None:
    world = Path(shutil.copytree(xs_world, tmp_path / "world"))
    notes = (world / "crm" / "notes.jsonl").read_text().splitlines()
    note = json.loads(notes[0])
    note["id"] = "888888888"
    note["properties"]["hs_note_body"] = "n" * 2_000_000
    (world / "crm" / "notes.jsonl").write_text("\n".join([*notes, json.dumps(note)]) + "\n")
    settings = scratch_settings(tmp_path)
    with start_sandbox(world, token=TOKEN) as sandbox:
        api = ApiCredentials(sandbox.base_url, TOKEN, "SALES_TRACKER_HUBSPOT_TOKEN")
        make_pipeline(settings, "crm").run(crm_source(api=api))
    assert rows(settings, "select count(*) from raw_crm.notes") == [(len(notes),)]
    ((source, reason, payload),) = rows(
        settings,
        "select source_file, reason, payload from raw_crm.rejects where object_type = 'notes'",
    )
    assert source == "hubspot-api:notes"
    assert reason.startswith(
        "properties.hs_note_body: a text of 2,000,000 characters, over "
        "SALES_TRACKER_MAX_FIELD_CHARS (1,048,576)"
    )
    assert len(payload) == REJECT_PAYLOAD_CHARS
