"""Reading a JSON Lines export: typed rows, and a reject with its reason for each bad line."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.crm.objects import DEALS, EMAILS, OWNERS
from ingest.exports import read_export


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def read_all(path: Path, object_type=DEALS, batch_size: int = 50_000):
    batches = list(read_export(path, object_type, batch_size=batch_size))
    rows = [row for batch in batches for row in batch.rows.to_pylist()]
    rejects = [row for batch in batches for row in batch.rejects.to_pylist()]
    return rows, rejects


def test_good_deal_keeps_scalars_typed_and_nested_payloads_as_json(tmp_path: Path) -> None:
    deal = {
        "id": 42,
        "properties": {"amount": "12.50", "dealname": "Café ☕"},
        "propertiesWithHistory": {
            "dealstage": [{"value": "1", "timestamp": "2026-01-01T00:00:00Z"}]
        },
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-02T00:00:00Z",
        "archived": False,
    }
    rows, rejects = read_all(write_lines(tmp_path / "deals.jsonl", [json.dumps(deal)]))
    assert rejects == []
    [row] = rows
    assert row["id"] == "42"
    assert row["createdAt"].isoformat() == "2026-01-01T00:00:00+00:00"
    assert row["archived"] is False
    assert json.loads(row["properties"]) == deal["properties"]
    assert json.loads(row["propertiesWithHistory"]) == deal["propertiesWithHistory"]
    assert row["associations"] is None


def test_each_bad_line_becomes_a_reject_with_its_reason(tmp_path: Path) -> None:
    lines = [
        '{"id": "1", "properties": {"amount": "5"}}',
        '{"properties": {"amount": "5"}}',
        '{"id": "2", "properties": {"amount": "abc"}}',
        '{"id": "3", "properties": {"closedate": "next tuesday"}}',
        '{"id": "4", "createdAt": 1700000000}',
        '{"id": "5", "properties": {}, "propertiesWithHistory": {"amount": [{"value": "1"}]}}',
        "[1, 2]",
        "{not json",
    ]
    rows, rejects = read_all(write_lines(tmp_path / "deals.jsonl", lines))
    assert [row["id"] for row in rows] == ["1"]
    reasons = {reject["line_number"]: reject["reason"] for reject in rejects}
    assert reasons == {
        2: "missing id",
        3: "properties.amount: not a number: 'abc'",
        4: "properties.closedate: not an ISO 8601 timestamp: 'next tuesday'",
        5: "createdAt: expected an ISO 8601 timestamp, got 1700000000",
        6: "propertiesWithHistory.amount: entry without an ISO 8601 timestamp",
        7: "expected a JSON object, got list",
        8: "not valid JSON: unexpected character, expected a string key at column 2",
    }
    assert {reject["payload"] for reject in rejects} == set(lines[1:])
    assert all(
        reject["object_type"] == "deals" and reject["source_file"] == "deals.jsonl"
        for reject in rejects
    )


def test_reject_ids_are_stable_across_reads_and_batches(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "owners.jsonl",
        ['{"email": "x@example.com"}']
        + [json.dumps({"id": str(n), "email": f"rep{n}@example.com"}) for n in range(5)],
    )
    first_rows, first_rejects = read_all(path, OWNERS)
    again_rows, again_rejects = read_all(path, OWNERS, batch_size=2)
    assert len(first_rows) == len(again_rows) == 5
    assert [r["reject_id"] for r in first_rejects] == [r["reject_id"] for r in again_rejects]


def test_a_crm_email_with_malformed_headers_is_quarantined(tmp_path: Path) -> None:
    """Staging parses `hs_email_headers` (a JSON document kept as text): a record whose
    document is broken is rejected with its reason instead of failing the build."""
    good = {"from": {"email": "a@example.com"}, "to": [{"email": "b@example.com"}]}
    lines = [
        {"id": "1", "properties": {"hs_email_headers": json.dumps(good)}},
        {"id": "2", "properties": {"hs_email_headers": json.dumps(good) + " (updated)"}},
        {"id": "3", "properties": {}},
    ]
    path = tmp_path / "emails.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    (batch,) = read_export(path, EMAILS)
    assert batch.rows.column("id").to_pylist() == ["1", "3"]
    assert batch.rejects.column("reason").to_pylist() == [
        "properties.hs_email_headers: not a JSON object: " + repr(json.dumps(good) + " (updated)")
    ]
