"""The sandbox's batch reads: objects by id and their associations, in HubSpot's shapes.

An incremental CRM client searches for what changed, then reads those objects' histories
and associations in batches; these are the two endpoints it uses for that.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.sandbox import Knobs, start_sandbox
from tests.demo.test_sandbox import TOKEN, Client, build_world, jsonl

DEALS_READ = "/crm/v3/objects/deals/batch/read"


@pytest.fixture
def world(tmp_path: Path) -> Path:
    return build_world(tmp_path / "world")


@pytest.fixture
def client(world: Path) -> Iterator[Client]:
    with start_sandbox(world, token=TOKEN, knobs=Knobs()) as handle, Client(handle) as client:
        yield client


def inputs(*ids: str) -> list[dict[str, str]]:
    return [{"id": object_id} for object_id in ids]


def test_batch_read_returns_the_selection_of_each_id(client: Client, world: Path) -> None:
    stored = {deal["id"]: deal for deal in jsonl(world / "crm" / "deals.jsonl")}
    response = client.post(
        DEALS_READ,
        json={
            "inputs": inputs("35", "7", "35"),
            "properties": ["dealname", "amount"],
            "propertiesWithHistory": ["dealstage"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "COMPLETE" and body["startedAt"] and body["completedAt"]
    assert [deal["id"] for deal in body["results"]] == ["35", "7"]  # a repeated id once
    deal = body["results"][0]
    assert deal["properties"] == {
        "dealname": "Deal 5",
        "amount": "1005",
        "hs_object_id": "35",
        "createdate": stored["35"]["properties"]["createdate"],
        "hs_lastmodifieddate": stored["35"]["properties"]["hs_lastmodifieddate"],
    }
    assert deal["propertiesWithHistory"] == {
        "dealstage": stored["35"]["propertiesWithHistory"]["dealstage"]
    }
    assert "associations" not in deal  # HubSpot's batch read has no associations
    assert deal["updatedAt"] == stored["35"]["updatedAt"] and deal["archived"] is False


def test_batch_read_names_missing_ids_in_a_207_and_reads_archived_apart(client: Client) -> None:
    # Deal 56 (number 8) is archived: not found unless archived=true, as on HubSpot.
    partial = client.post(DEALS_READ, json={"inputs": inputs("7", "56", "99999")})
    assert partial.status_code == 207
    body = partial.json()
    assert [deal["id"] for deal in body["results"]] == ["7"]
    assert body["numErrors"] == 1
    [error] = body["errors"]
    assert error["category"] == "OBJECT_NOT_FOUND"
    assert error["context"] == {"ids": ["56", "99999"]}
    archived = client.post(
        DEALS_READ, params={"archived": "true"}, json={"inputs": inputs("56")}
    ).json()
    assert [(deal["id"], deal["archived"]) for deal in archived["results"]] == [("56", True)]
    assert archived["results"][0]["archivedAt"]


def test_batch_read_limits_like_hubspot(client: Client) -> None:
    ids = [str(7 * n) for n in range(1, 41)] * 3  # 120 inputs
    too_many = client.post(DEALS_READ, json={"inputs": inputs(*ids[:101])})
    assert too_many.status_code == 400
    assert too_many.json()["category"] == "VALIDATION_ERROR"
    assert client.post(DEALS_READ, json={"inputs": inputs(*ids[:100])}).status_code in (200, 207)
    with_history = {"inputs": inputs(*ids[:51]), "propertiesWithHistory": ["dealstage"]}
    assert client.post(DEALS_READ, json=with_history).status_code == 400
    for bad in ({"inputs": "7"}, {"inputs": [{"nope": 1}]}, {"inputs": [], "properties": "x"}):
        assert client.post(DEALS_READ, json=bad).status_code == 400, bad
    assert client.post(DEALS_READ, data=b"{not json").status_code == 400
    assert client.post("/crm/v3/objects/owners/batch/read", json={"inputs": []}).status_code == 404


def test_association_batch_read(client: Client) -> None:
    response = client.post(
        "/crm/v3/associations/deals/contacts/batch/read", json={"inputs": inputs("7", "14")}
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [
        {"from": {"id": "7"}, "to": [{"id": "2", "type": "deal_to_contact"}]},
        {"from": {"id": "14"}, "to": [{"id": "3", "type": "deal_to_contact"}]},
    ]
    # No tickets anywhere, and an unknown deal: each named in a 207.
    none = client.post(
        "/crm/v3/associations/deals/tickets/batch/read", json={"inputs": inputs("7", "99999")}
    )
    assert none.status_code == 207
    body = none.json()
    assert body["results"] == [] and body["numErrors"] == 2
    assert [error["context"]["fromObjectId"] for error in body["errors"]] == [["7"], ["99999"]]
    too_many = {"inputs": inputs(*[str(n) for n in range(1001)])}
    associations = "/crm/v3/associations/deals/contacts/batch/read"
    assert client.post(associations, json=too_many).status_code == 400
