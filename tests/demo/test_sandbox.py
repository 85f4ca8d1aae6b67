"""The sandbox HubSpot and Stripe APIs, over real HTTP on 127.0.0.1.

A small hand-made world (HubSpot builders plus hand-written Stripe objects) is served on
a free port; every endpoint family is walked to its last page, and auth, rate limits,
faults and world mutation are observed the way a connector would observe them.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from demo.formats.files import write_jsonl
from demo.formats.hubspot import (
    Stage,
    deal_object,
    hubspot_timestamp,
    owner_object,
    pipeline_object,
)
from demo.formats.stripe import OBJECT_TYPES as STRIPE_OBJECT_TYPES
from demo.sandbox import Knobs, KnobsError, SandboxHandle, mutate_world, start_sandbox
from demo.sandbox.hubspot_api import NOT_OBJECT_TYPES
from demo.sandbox.values import epoch_ms
from demo.world import generate_world

TOKEN = "sandbox-test-token"
T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
C0 = 1_767_225_600  # 2026-01-01 in unix seconds
STAGES = (
    Stage("appointmentscheduled", "Appointment Scheduled", Decimal("0.2")),
    Stage("qualifiedtobuy", "Qualified To Buy", Decimal("0.4")),
    Stage("closedwon", "Closed Won", Decimal("1.0"), is_closed=True),
    Stage("closedlost", "Closed Lost", Decimal("0.0"), is_closed=True),
)
BIG_WORLD_DEALS = 10_050
PROJECT_ROOT = Path(__file__).resolve().parents[2]


# --- the world --------------------------------------------------------------------------


def _deal(number: int) -> dict[str, Any]:
    # Deals 2k and 2k+1 share their modification time: the search must tie-break on id.
    start = T0 + timedelta(hours=number // 2)
    stages = [("appointmentscheduled", start)]
    if number % 5 == 0:
        stages.append(("closedwon", start + timedelta(days=3)))
    deal = deal_object(
        deal_id=str(number * 7),  # 7, 14, ..., 280: text order differs from number order
        name=f"Deal {number}",
        pipeline_id="default",
        stage_history=stages,
        owner_history=[("100", start)],
        amount=Decimal(1000 + number),
        currency="USD",
        created_at=start,
        close_at=start + timedelta(days=30),
        archived=number % 8 == 0,
    )
    deal["associations"] = {
        "contacts": {"results": [{"id": str(number % 3 + 1), "type": "deal_to_contact"}]},
        "companies": {"results": [{"id": "900", "type": "deal_to_company"}]},
    }
    return deal


def _contact(number: int) -> dict[str, Any]:
    stamp = hubspot_timestamp(T0 + timedelta(minutes=number))
    return {
        "id": str(number),
        "properties": {
            "firstname": f"Contact {number}",
            "lifecyclestage": "lead",
            "createdate": stamp,
            "lastmodifieddate": stamp,
            "hs_object_id": str(number),
        },
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
    }


def _customer(number: int) -> dict[str, Any]:
    # Three customers per `created` second: newest first must tie-break on id.
    return {
        "id": f"cus_{number:03d}",
        "object": "customer",
        "created": C0 + (number // 3) * 60,
        "email": f"buyer{number}@example.com",
        "metadata": {},
        "livemode": False,
    }


def _invoice(number: int, status: str) -> dict[str, Any]:
    amount = 10_000 + number * 100
    return {
        "id": f"in_{number:03d}",
        "object": "invoice",
        "created": C0 + number * 3600,
        "customer": f"cus_{number:03d}",
        "currency": "usd",
        "status": status,
        "amount_due": amount,
        "amount_paid": amount if status == "paid" else 0,
        "amount_remaining": 0 if status == "paid" else amount,
        "paid": status == "paid",
        "status_transitions": {"finalized_at": None, "paid_at": None},
        "lines": {
            "object": "list",
            "data": [{"id": f"il_{number:03d}", "object": "line_item", "amount": amount}],
            "has_more": False,
            "url": f"/v1/invoices/in_{number:03d}/lines",
        },
        "metadata": {},
    }


EVENTS = [
    ("evt_001", "customer.created", C0 + 10),
    ("evt_002", "invoice.created", C0 + 20),
    ("evt_003", "invoice.paid", C0 + 30),
    ("evt_004", "charge.succeeded", C0 + 40),
    ("evt_005", "invoice.updated", C0 + 50),
]


def build_world(root: Path) -> Path:
    crm, payments = root / "crm", root / "payments"
    owners = [
        owner_object(
            str(100 + number),
            f"rep{number}@demo.example",
            "Rep",
            str(number),
            [("7", "Jakarta")],
            T0 - timedelta(days=90),
            archived=number == 4,
        )
        for number in range(7)
    ]
    write_jsonl(crm / "owners.jsonl", owners)
    write_jsonl(crm / "deal_pipelines.jsonl", [pipeline_object("default", "Sales", STAGES, T0)])
    deals = [_deal(number) for number in range(1, 41)]
    random.Random(1).shuffle(deals)  # file order must not matter
    write_jsonl(crm / "deals.jsonl", deals)
    write_jsonl(crm / "contacts.jsonl", [_contact(number) for number in range(1, 13)])
    customers = [_customer(number) for number in range(25)]
    random.Random(2).shuffle(customers)
    write_jsonl(payments / "customers.jsonl", customers)
    statuses = ["draft", "open", "paid", "open", "paid", "draft"]
    write_jsonl(
        payments / "invoices.jsonl",
        [_invoice(number, status) for number, status in enumerate(statuses)],
    )
    write_jsonl(
        payments / "events.jsonl",
        [
            {"id": event_id, "object": "event", "type": kind, "created": created, "data": {}}
            for event_id, kind, created in EVENTS
        ],
    )
    return root


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def world(tmp_path: Path) -> Path:
    return build_world(tmp_path / "world")


@pytest.fixture
def sandbox(world: Path) -> Iterator[SandboxHandle]:
    with start_sandbox(world, token=TOKEN, knobs=Knobs(timeout_delay_seconds=0.5)) as handle:
        yield handle


@pytest.fixture
def client(sandbox: SandboxHandle) -> Iterator[Client]:
    with Client(sandbox) as client:
        yield client


class Client(requests.Session):
    """A session with the token, prefixing the sandbox URL to paths."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        super().__init__()
        self.base_url = sandbox.base_url
        self.headers["Authorization"] = f"Bearer {sandbox.token}"

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)

    def walk_hubspot(self, path: str, **params: Any) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        after = None
        while True:
            page = self.get(path, params={**params, "after": after}).json()
            results += page["results"]
            if "paging" not in page:
                return results
            after = page["paging"]["next"]["after"]

    def walk_search(self, path: str, body: dict[str, Any]) -> tuple[int, list[str]]:
        ids: list[str] = []
        after = None
        while True:
            response = self.post(path, json={**body, "after": after})
            assert response.status_code == 200, response.text
            page = response.json()
            ids += [result["id"] for result in page["results"]]
            if "paging" not in page:
                return page["total"], ids
            after = page["paging"]["next"]["after"]

    def walk_stripe(self, path: str, **params: Any) -> list[dict[str, Any]]:
        objects: list[dict[str, Any]] = []
        while True:
            page = self.get(path, params=params).json()
            objects += page["data"]
            if not page["has_more"]:
                return objects
            params["starting_after"] = page["data"][-1]["id"]


def numeric(ids: list[str]) -> list[int]:
    return [int(object_id) for object_id in ids]


def ms(stamp: str) -> int:
    millis = epoch_ms(stamp)
    assert millis is not None
    return millis


def modified_filter(operator: str, value: Any, name: str = "hs_lastmodifieddate") -> dict:
    return {
        "filterGroups": [
            {"filters": [{"propertyName": name, "operator": operator, "value": value}]}
        ]
    }


# --- server basics ------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", ""])
def test_refuses_to_bind_anything_but_loopback(world: Path, host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        start_sandbox(world, token=TOKEN, host=host)


def test_handle_repr_hides_the_token(sandbox: SandboxHandle) -> None:
    assert TOKEN not in repr(sandbox)
    assert sandbox.base_url.startswith("http://127.0.0.1:")


def test_loads_object_types_lazily_and_counts_requests(client: Client) -> None:
    assert client.get("/_sandbox/stats").json()["loaded"] == []
    client.get("/crm/v3/objects/deals")
    client.get("/crm/v3/objects/deals/7")
    client.get("/crm/v3/objects/deals/14")
    client.get("/v1/customers/cus_001")
    stats = client.get("/_sandbox/stats").json()
    assert stats["loaded"] == ["crm/deals", "payments/customers"]
    assert stats["requests"] == {
        "GET /crm/v3/objects/deals": 1,
        "GET /crm/v3/objects/deals/{id}": 2,
        "GET /v1/customers/{id}": 1,
    }
    assert stats["statuses"] == {"200": 4}


def interruptible() -> None:
    """In the child before it starts: SIGINT neither blocked nor ignored, as in a terminal
    (a signal mask is inherited, and a worker of the suite may have SIGINT blocked)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def signal_masks(pid: int) -> str:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return "no /proc"
    lines = status.read_text().splitlines()
    return ", ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def test_run_sandbox_prints_its_url_once_and_stops_on_interrupt(
    world: Path, tmp_path: Path
) -> None:
    script = (
        "import sys; from pathlib import Path; from demo.sandbox import run_sandbox; "
        "run_sandbox(Path(sys.argv[1]), 0, sys.argv[2])"
    )
    # Output to files, not pipes: the end of the run is its exit, whoever else holds a pipe.
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout_file, err.open("w") as stderr_file:
        process = subprocess.Popen(
            [sys.executable, "-c", script, str(world), TOKEN],
            cwd=PROJECT_ROOT,
            stdout=stdout_file,
            stderr=stderr_file,
            preexec_fn=interruptible,
        )
    try:
        line = first_line(out, process)
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        assert TOKEN not in line
        owners = requests.get(
            f"{url.group(0)}/crm/v3/owners",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
        assert owners.status_code == 200
    finally:
        masks = signal_masks(process.pid)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(f"still running 60 s after SIGINT; {masks}") from None
    stderr = err.read_text()
    assert process.returncode == 0, stderr
    assert out.read_text() == line  # one line only
    assert TOKEN not in stderr


def first_line(path: Path, process: subprocess.Popen) -> str:
    """The first whole line the process writes to ``path``, once written (or its exit)."""
    deadline = time.monotonic() + 60
    while "\n" not in (text := path.read_text()):
        assert process.poll() is None, f"exited {process.returncode}: {text}"
        assert time.monotonic() < deadline, "no line within 60 s"
        time.sleep(0.05)
    return text.split("\n", 1)[0] + "\n"


# --- HubSpot ------------------------------------------------------------------------------


def test_owners_walk_to_the_end_and_archived_apart(client: Client) -> None:
    owners = client.walk_hubspot("/crm/v3/owners", limit=2)
    assert [owner["id"] for owner in owners] == ["100", "101", "102", "103", "105", "106"]
    assert owners[0]["teams"] == [{"id": "7", "name": "Jakarta", "primary": True}]
    archived = client.walk_hubspot("/crm/v3/owners", archived="true")
    assert [owner["id"] for owner in archived] == ["104"]
    first = client.get("/crm/v3/owners", params={"limit": 4}).json()
    # The `link` is a usable URL for the next page.
    following = client.get(first["paging"]["next"]["link"].removeprefix(client.base_url)).json()
    assert [owner["id"] for owner in following["results"]] == ["105", "106"]
    assert client.get("/crm/v3/owners/102").json()["email"] == "rep2@demo.example"
    assert client.get("/crm/v3/owners/104").status_code == 404


def test_deal_pipelines(client: Client) -> None:
    pipelines = client.get("/crm/v3/pipelines/deals").json()
    [pipeline] = pipelines["results"]
    assert [stage["id"] for stage in pipeline["stages"]] == [stage.stage_id for stage in STAGES]
    assert "paging" not in pipelines
    assert client.get("/crm/v3/pipelines/deals/default").json()["label"] == "Sales"


def test_objects_walk_every_id_once_in_id_order(client: Client, world: Path) -> None:
    stored = jsonl(world / "crm" / "deals.jsonl")
    live = sorted(int(deal["id"]) for deal in stored if not deal["archived"])
    archived = sorted(int(deal["id"]) for deal in stored if deal["archived"])
    for limit in (1, 3, 100):
        deals = client.walk_hubspot("/crm/v3/objects/deals", limit=limit)
        assert numeric([deal["id"] for deal in deals]) == live
    assert len(client.get("/crm/v3/objects/deals").json()["results"]) == 10  # the default
    gone = client.walk_hubspot("/crm/v3/objects/deals", archived="true", limit=2)
    assert numeric([deal["id"] for deal in gone]) == archived
    assert all(deal["archived"] is True and "archivedAt" in deal for deal in gone)


def test_properties_histories_and_associations_are_returned_only_when_asked(
    client: Client,
) -> None:
    full = client.get("/crm/v3/objects/deals/35").json()
    assert full["properties"]["dealname"] == "Deal 5"
    assert "propertiesWithHistory" not in full and "associations" not in full

    chosen = client.get(
        "/crm/v3/objects/deals/35",
        params={
            "properties": "dealname,amount,no_such_property",
            "propertiesWithHistory": "dealstage",
            "associations": "contacts",
        },
    ).json()
    # HubSpot adds its three system properties to any selection, and nulls for unknowns.
    assert chosen["properties"] == {
        "dealname": "Deal 5",
        "amount": "1005",
        "no_such_property": None,
        "hs_object_id": "35",
        "createdate": full["properties"]["createdate"],
        "hs_lastmodifieddate": full["properties"]["hs_lastmodifieddate"],
    }
    assert list(chosen["propertiesWithHistory"]) == ["dealstage"]
    assert [entry["value"] for entry in chosen["propertiesWithHistory"]["dealstage"]] == [
        "closedwon",
        "appointmentscheduled",
    ]
    assert chosen["associations"] == {
        "contacts": {"results": [{"id": "3", "type": "deal_to_contact"}]}
    }
    # The same selection on the list endpoint, with repeated parameters this time.
    page = client.get(
        "/crm/v3/objects/deals",
        params={"properties": ["dealname", "amount"], "associations": ["companies", "tickets"]},
    ).json()
    for deal in page["results"]:
        assert set(deal["properties"]) == {
            "dealname",
            "amount",
            "hs_object_id",
            "createdate",
            "hs_lastmodifieddate",
        }
        assert list(deal["associations"]) == ["companies"]
        assert "propertiesWithHistory" not in deal


def test_archived_objects_are_read_only_with_archived_true(client: Client) -> None:
    not_found = client.get("/crm/v3/objects/deals/56")  # deal 8: archived
    assert not_found.status_code == 404
    body = not_found.json()
    assert body["status"] == "error" and body["category"] == "OBJECT_NOT_FOUND"
    assert "correlationId" in body
    archived = client.get("/crm/v3/objects/deals/56", params={"archived": "true"})
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert client.get("/crm/v3/objects/deals/99999").status_code == 404


def test_only_the_files_the_world_has_are_served(client: Client) -> None:
    quotes = client.get("/crm/v3/objects/quotes")
    assert quotes.status_code == 404 and quotes.json()["category"] == "OBJECT_NOT_FOUND"
    refunds = client.get("/v1/refunds")
    assert refunds.status_code == 404
    assert refunds.json()["error"]["type"] == "invalid_request_error"
    assert client.get("/crm/v3/objects/owners").status_code == 404
    assert client.get("/crm/v3/objects/..%2Fpayments%2Fcustomers").status_code == 404


def test_history_caps_the_page_at_50_and_lists_at_100(big_client: Client) -> None:
    capped = big_client.get("/crm/v3/objects/deals", params={"limit": 500}).json()
    assert len(capped["results"]) == 100
    with_history = big_client.get(
        "/crm/v3/objects/deals", params={"limit": 100, "propertiesWithHistory": "dealstage"}
    ).json()
    assert len(with_history["results"]) == 50
    assert with_history["paging"]["next"]["after"] == "51"  # the id the next page starts at


def test_search_filters_on_epoch_milliseconds_and_iso_strings_alike(
    client: Client, world: Path
) -> None:
    deals = [deal for deal in jsonl(world / "crm" / "deals.jsonl") if not deal["archived"]]
    stamps = {deal["id"]: ms(deal["properties"]["hs_lastmodifieddate"]) for deal in deals}
    threshold = sorted(stamps.values())[len(stamps) // 2]
    iso = datetime.fromtimestamp(threshold / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
    expected = sorted(
        (stamp, int(deal_id)) for deal_id, stamp in stamps.items() if stamp >= threshold
    )
    body = {
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["amount"],
        "limit": 3,
    }
    for value in (threshold, str(threshold), iso):
        total, ids = client.walk_search(
            "/crm/v3/objects/deals/search", {**body, **modified_filter("GTE", value)}
        )
        assert total == len(expected)
        assert numeric(ids) == [deal_id for _, deal_id in expected]  # ties broken by id

    def matching(operator: str, value: Any, high: Any = None) -> list[int]:
        search = modified_filter(operator, value)
        search["filterGroups"][0]["filters"][0]["highValue"] = high
        return sorted(numeric(client.walk_search("/crm/v3/objects/deals/search", search)[1]))

    def expect(keep: Any) -> list[int]:
        return sorted(int(deal_id) for deal_id, stamp in stamps.items() if keep(stamp))

    assert matching("GT", iso) == expect(lambda stamp: stamp > threshold)
    assert matching("LT", threshold) == expect(lambda stamp: stamp < threshold)
    assert matching("LTE", iso) == expect(lambda stamp: stamp <= threshold)
    assert matching("EQ", threshold) == expect(lambda stamp: stamp == threshold)
    low = sorted(stamps.values())[3]
    assert matching("BETWEEN", low, iso) == expect(lambda stamp: low <= stamp <= threshold)

    page = client.post(
        "/crm/v3/objects/deals/search", json={**body, **modified_filter("GTE", threshold)}
    ).json()
    assert set(page["results"][0]["properties"]) == {
        "amount",
        "hs_object_id",
        "createdate",
        "hs_lastmodifieddate",
    }
    assert "associations" not in page["results"][0]


def test_search_never_returns_archived_and_sorts_descending(client: Client, world: Path) -> None:
    deals = jsonl(world / "crm" / "deals.jsonl")
    total, ids = client.walk_search(
        "/crm/v3/objects/deals/search",
        {"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}], "limit": 7},
    )
    live = [deal for deal in deals if not deal["archived"]]
    assert total == len(live)
    assert ids == [
        deal["id"] for deal in sorted(live, key=lambda deal: -float(deal["properties"]["amount"]))
    ]


def test_search_refuses_to_page_past_10000_so_clients_slice_by_time(
    big_client: Client,
) -> None:
    body = {
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "limit": 200,
        **modified_filter("GTE", 0),
    }
    ids: list[str] = []
    after = None
    while True:
        response = big_client.post("/crm/v3/objects/deals/search", json={**body, "after": after})
        if response.status_code != 200:
            break
        page = response.json()
        assert page["total"] == BIG_WORLD_DEALS
        ids += [result["id"] for result in page["results"]]
        after = page["paging"]["next"]["after"]  # there are always more than we got
    assert response.status_code == 400
    error = response.json()
    assert error["status"] == "error" and error["category"] == "VALIDATION_ERROR"
    assert "10000" in error["message"]
    assert numeric(ids) == list(range(1, 10_001))

    # Sliced by time, each slice under the cap, the client gets every deal exactly once.
    middle = hubspot_timestamp(T0 + timedelta(minutes=BIG_WORLD_DEALS // 2))
    seen: list[str] = []
    for operator in ("LT", "GTE"):
        total, slice_ids = big_client.walk_search(
            "/crm/v3/objects/deals/search",
            {**body, **modified_filter(operator, middle)},
        )
        assert total == len(slice_ids) < 10_000
        seen += slice_ids
    assert sorted(numeric(seen)) == list(range(1, BIG_WORLD_DEALS + 1))


def test_search_validates_like_hubspot(client: Client) -> None:
    path = "/crm/v3/objects/deals/search"
    for body in ({"limit": 201}, modified_filter("LIKE", 1), {"after": "10000"}):
        response = client.post(path, json=body)
        assert response.status_code == 400, body
        assert response.json()["category"] == "VALIDATION_ERROR"
    assert client.post(path, data=b"{not json").status_code == 400


# --- Stripe -------------------------------------------------------------------------------


def test_stripe_lists_newest_first_and_pages_with_both_cursors(client: Client) -> None:
    expected = [
        customer["id"]
        for customer in sorted(
            (_customer(number) for number in range(25)),
            key=lambda customer: (customer["created"], customer["id"]),
            reverse=True,
        )
    ]
    for limit in (1, 4, 100):
        walked = client.walk_stripe("/v1/customers", limit=limit)
        assert [customer["id"] for customer in walked] == expected
    first = client.get("/v1/customers").json()
    assert first["object"] == "list" and first["url"] == "/v1/customers"
    assert len(first["data"]) == 10 and first["has_more"] is True

    # Backwards from the end with ending_before gives the same pages, newest first each.
    pages: list[list[str]] = []
    cursor = {"starting_after": expected[-5]}
    last = client.get("/v1/customers", params={"limit": 4, **cursor}).json()
    assert [customer["id"] for customer in last["data"]] == expected[-4:]
    assert last["has_more"] is False
    before = expected[-4]
    while True:
        page = client.get("/v1/customers", params={"limit": 4, "ending_before": before}).json()
        pages.insert(0, [customer["id"] for customer in page["data"]])
        if not page["has_more"]:
            break
        before = page["data"][0]["id"]
    assert [object_id for page in pages for object_id in page] == expected[:-4]
    assert pages[0] == expected[:1]  # 21 objects in pages of 4: the newest stands alone


def test_stripe_created_filters(client: Client) -> None:
    def ids(**params: Any) -> list[str]:
        return [customer["id"] for customer in client.walk_stripe("/v1/customers", **params)]

    every = {number: _customer(number)["created"] for number in range(25)}

    def expect(keep: Any) -> list[str]:
        chosen = [number for number, created in every.items() if keep(created)]
        return [f"cus_{number:03d}" for number in sorted(chosen, reverse=True)]

    pivot = C0 + 4 * 60  # customers 12, 13 and 14
    assert ids(**{"created[gte]": pivot}) == expect(lambda created: created >= pivot)
    assert ids(**{"created[gt]": pivot}) == expect(lambda created: created > pivot)
    assert ids(**{"created[lte]": pivot}) == expect(lambda created: created <= pivot)
    assert ids(**{"created[lt]": pivot}) == expect(lambda created: created < pivot)
    assert ids(created=pivot) == ["cus_014", "cus_013", "cus_012"]
    assert ids(**{"created[gte]": pivot, "created[lt]": pivot + 120, "limit": 2}) == expect(
        lambda created: pivot <= created < pivot + 120
    )
    # A cursor combines with the range.
    older = ids(**{"created[lte]": pivot, "starting_after": "cus_013"})
    assert older == ["cus_012", *expect(lambda created: created < pivot)]


def test_stripe_retrieve_events_and_errors(client: Client) -> None:
    invoice = client.get("/v1/invoices/in_002").json()
    assert invoice["object"] == "invoice" and invoice["lines"]["object"] == "list"
    missing = client.get("/v1/invoices/in_999")
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "type": "invalid_request_error",
        "message": "No such invoice: 'in_999'",
        "code": "resource_missing",
        "param": "id",
    }
    events = client.walk_stripe("/v1/events", type="invoice.paid")
    assert [event["id"] for event in events] == ["evt_003"]
    invoice_events = client.walk_stripe("/v1/events", type="invoice.*", limit=1)
    assert [event["id"] for event in invoice_events] == ["evt_005", "evt_003", "evt_002"]
    for params in ({"limit": 101}, {"limit": "ten"}, {"customer": "cus_001"}):
        response = client.get("/v1/invoices", params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["type"] == "invalid_request_error"
    both = client.get("/v1/customers", params={"starting_after": "a", "ending_before": "b"})
    assert both.status_code == 400
    assert client.get("/v1/customers", params={"starting_after": "cus_nope"}).status_code == 404


# --- auth, rate limits, faults ------------------------------------------------------------


def test_every_endpoint_wants_the_token_and_answers_401_in_its_own_shape(
    sandbox: SandboxHandle,
) -> None:
    url = sandbox.base_url
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token x"}):
        for path in ("/crm/v3/owners", "/crm/v3/objects/deals/7", "/_sandbox/stats"):
            response = requests.get(url + path, headers=headers, timeout=5)
            assert response.status_code == 401
            body = response.json()
            assert body["status"] == "error"
            assert body["category"] == "INVALID_AUTHENTICATION"
            assert body["correlationId"]
        search = requests.post(url + "/crm/v3/objects/deals/search", json={}, headers=headers)
        assert search.status_code == 401
        stripe = requests.get(url + "/v1/customers", headers=headers, timeout=5)
        assert stripe.status_code == 401
        assert stripe.json()["error"]["type"] == "invalid_request_error"
        assert TOKEN not in stripe.text
    # Stripe also takes the key as the basic-auth user name; HubSpot does not.
    assert requests.get(url + "/v1/customers", auth=(TOKEN, ""), timeout=5).status_code == 200
    assert requests.get(url + "/v1/customers", auth=("wrong", ""), timeout=5).status_code == 401
    assert requests.get(url + "/crm/v3/owners", auth=(TOKEN, ""), timeout=5).status_code == 401


def test_rate_limit_answers_429_with_retry_after(client: Client) -> None:
    knobs = client.post("/_sandbox/knobs", json={"rate_limit_per_second": 2})
    assert knobs.json()["rate_limit_per_second"] == 2
    responses = [client.get(path) for path in ("/crm/v3/owners", "/v1/customers") * 2]
    assert [response.status_code for response in responses] == [200, 200, 429, 429]
    hubspot, stripe = responses[2], responses[3]
    assert int(hubspot.headers["Retry-After"]) >= 1
    assert hubspot.json()["category"] == "RATE_LIMITS"
    assert int(stripe.headers["Retry-After"]) >= 1
    assert stripe.json()["error"]["code"] == "rate_limit"
    client.post("/_sandbox/knobs", json={"rate_limit_per_second": None})
    assert client.get("/crm/v3/owners").status_code == 200
    assert client.get("/_sandbox/stats").json()["statuses"]["429"] == 2


def test_each_scheduled_fault_is_observed_by_the_client(client: Client) -> None:
    client.post(
        "/_sandbox/knobs",
        json={
            "fault_schedule": [[1, "500"], [2, "502"], [3, "503"], [4, "timeout"], [5, "truncate"]],
            "timeout_delay_seconds": 0.5,
        },
    )
    assert client.get("/crm/v3/objects/deals").status_code == 500
    bad_gateway = client.get("/v1/customers")
    assert bad_gateway.status_code == 502
    assert bad_gateway.json()["error"]["type"] == "api_error"
    unavailable = client.get("/crm/v3/owners")
    assert unavailable.status_code == 503 and unavailable.json()["status"] == "error"
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.get("/crm/v3/objects/deals", timeout=(5, 0.1))
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        client.get("/v1/customers", params={"limit": 100})
    assert client.get("/v1/customers").status_code == 200
    stats = client.get("/_sandbox/stats").json()
    assert stats["faults"] == {"500": 1, "502": 1, "503": 1, "timeout": 1, "truncate": 1}
    assert [fault["request"] for fault in stats["fault_log"]] == [1, 2, 3, 4, 5]


def test_a_slow_answer_arrives_when_the_client_waits_long_enough(client: Client) -> None:
    client.post(
        "/_sandbox/knobs", json={"fault_schedule": [[1, "timeout"]], "timeout_delay_seconds": 0.2}
    )
    assert client.get("/v1/customers", timeout=5).status_code == 200


def test_seeded_faults_repeat_exactly(client: Client) -> None:
    knobs = {
        "fault_rate": 0.4,
        "fault_seed": 11,
        "fault_kinds": ["500", "503"],
        "fault_path_prefix": "/v1/",
    }
    runs = []
    for _ in range(2):
        client.post("/_sandbox/knobs", json=knobs)  # setting knobs restarts the count
        statuses = []
        for _ in range(12):
            statuses.append(client.get("/v1/customers", params={"limit": 1}).status_code)
            assert client.get("/crm/v3/owners").status_code == 200  # outside the prefix
        runs.append(statuses)
    assert runs[0] == runs[1]
    assert {200, 500, 503} <= set(runs[0])
    expected = Knobs(**{**knobs, "fault_kinds": ("500", "503")})  # type: ignore[arg-type]
    assert runs[0] == [int(expected.fault_for(n) or 200) for n in range(1, 13)]


def test_knobs_are_validated(client: Client) -> None:
    for change in ({"no_such_knob": 1}, {"fault_rate": 2}, {"fault_schedule": [[1, "418"]]}):
        response = client.post("/_sandbox/knobs", json=change)
        assert response.status_code == 400, change
    with pytest.raises(KnobsError):
        Knobs(rate_limit_per_second=0)
    assert Knobs().updated({"fault_schedule": {"3": "503"}}).fault_for(3) == "503"


# --- mutation -----------------------------------------------------------------------------


def test_mutation_is_exactly_what_an_incremental_client_picks_up(
    client: Client, world: Path
) -> None:
    before = {deal["id"]: deal for deal in jsonl(world / "crm" / "deals.jsonl")}
    newest = max(ms(deal["updatedAt"]) for deal in before.values())
    summary = client.post("/_sandbox/mutate", json={"seed": 5, "fraction": 0.2}).json()
    assert ms(summary["crm_watermark"]) >= newest

    deals = summary["crm"]["deals"]
    assert deals["created"] and deals["updated"] and deals["archived"]
    watermark = ms(summary["crm_watermark"])
    for value in (watermark, summary["crm_watermark"]):
        _, ids = client.walk_search(
            "/crm/v3/objects/deals/search", {**modified_filter("GT", value), "limit": 2}
        )
        assert sorted(numeric(ids)) == sorted(numeric(deals["created"] + deals["updated"]))
    contacts = summary["crm"]["contacts"]
    _, contact_ids = client.walk_search(
        "/crm/v3/objects/contacts/search", modified_filter("GT", watermark, "lastmodifieddate")
    )
    assert sorted(contact_ids) == sorted(contacts["created"] + contacts["updated"])

    archived = client.walk_hubspot("/crm/v3/objects/deals", archived="true")
    was_archived = [deal_id for deal_id, deal in before.items() if deal["archived"]]
    assert sorted(numeric([deal["id"] for deal in archived])) == sorted(
        numeric(was_archived + deals["archived"])
    )
    live = client.walk_hubspot("/crm/v3/objects/deals", propertiesWithHistory="dealstage")
    was_live = [deal_id for deal_id, deal in before.items() if not deal["archived"]]
    assert sorted(numeric([deal["id"] for deal in live])) == sorted(
        numeric([d for d in was_live if d not in deals["archived"]] + deals["created"])
    )
    for deal in live:
        if deal["id"] not in deals["updated"]:
            continue
        old = before[deal["id"]]["properties"]
        changed = {
            name
            for name, value in deal["properties"].items()
            if old.get(name) != value and name not in ("hs_lastmodifieddate", "closedate")
        }
        assert len(changed) == 1, changed
        assert deal["updatedAt"] == deal["properties"]["hs_lastmodifieddate"]
        if changed == {"dealstage"}:
            latest = deal["propertiesWithHistory"]["dealstage"][0]
            assert latest["value"] == deal["properties"]["dealstage"]
            assert latest["timestamp"] == deal["updatedAt"]

    # Stripe: updates do not move `created`; the events feed names them.
    events = client.walk_stripe("/v1/events", **{"created[gt]": summary["payments_watermark"]})
    assert sorted(event["id"] for event in events) == sorted(
        summary["payments"]["events"]["created"]
    )
    updated = (
        summary["payments"]["customers"]["updated"] + summary["payments"]["invoices"]["updated"]
    )
    assert sorted(event["data"]["object"]["id"] for event in events) == sorted(updated)
    for event in events:
        kind = event["data"]["object"]["object"]
        assert event["type"] == f"{kind}.updated"
        current = client.get(f"/v1/{kind}s/{event['data']['object']['id']}").json()
        assert current == event["data"]["object"]


def test_mutation_is_deterministic_and_atomic(tmp_path: Path, world: Path) -> None:
    copies = [tmp_path / name for name in ("a", "b", "c")]
    for copy in copies:
        shutil.copytree(world, copy)
    first = mutate_world(copies[0], seed=3, fraction=0.25)
    second = mutate_world(copies[1], seed=3, fraction=0.25)
    other = mutate_world(copies[2], seed=4, fraction=0.25)
    assert first == second
    assert first.crm != other.crm
    for path in sorted(copies[0].rglob("*.jsonl")):
        twin = copies[1] / path.relative_to(copies[0])
        assert path.read_bytes() == twin.read_bytes(), path
    assert not list(copies[0].rglob("*.tmp"))  # temporary files renamed into place

    deals_before = (world / "crm" / "deals.jsonl").read_text().splitlines()
    deals_after = (copies[0] / "crm" / "deals.jsonl").read_text().splitlines()
    touched = set(first.ids("crm", "deals", "updated") + first.ids("crm", "deals", "archived"))
    assert len(deals_after) == len(deals_before) + len(first.ids("crm", "deals", "created"))
    for old, new in zip(deals_before, deals_after, strict=False):
        assert (old == new) == (json.loads(old)["id"] not in touched)
    assert mutate_world(copies[0], seed=3, fraction=0).crm == {}


# --- the 10,050-deal world ----------------------------------------------------------------


@pytest.fixture(scope="module")
def big_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    root = tmp_path_factory.mktemp("big_world")
    lines = []
    for number in range(1, BIG_WORLD_DEALS + 1):
        stamp = hubspot_timestamp(T0 + timedelta(minutes=number))
        deal = {
            "id": str(number),
            "properties": {"hs_object_id": str(number), "hs_lastmodifieddate": stamp},
            "propertiesWithHistory": {"dealstage": []},
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
        }
        lines.append(json.dumps(deal, separators=(",", ":")))
    (root / "crm").mkdir()
    (root / "crm" / "deals.jsonl").write_text("\n".join(lines) + "\n")
    with start_sandbox(root, token=TOKEN) as handle, Client(handle) as client:
        yield client


# --- the generated demo world -------------------------------------------------------------


def test_serves_every_object_type_of_the_demo_world(tmp_path: Path) -> None:
    """Every CRM and Stripe file the generator writes is served to the last page."""
    world = generate_world(tmp_path / "world", "xs", 7, workers=1).folder
    crm_types = sorted(
        path.stem for path in (world / "crm").glob("*.jsonl") if path.stem not in NOT_OBJECT_TYPES
    )
    stripe_types = sorted(path.stem for path in (world / "payments").glob("*.jsonl"))
    assert {"products", "line_items", "quotes", "calls", "meetings", "notes", "tasks"} <= set(
        crm_types
    )
    assert set(stripe_types) == set(STRIPE_OBJECT_TYPES)
    with start_sandbox(world, token=TOKEN) as handle, Client(handle) as client:
        for object_type in crm_types:
            stored = jsonl(world / "crm" / f"{object_type}.jsonl")
            for archived in (False, True):
                expected = sorted(int(o["id"]) for o in stored if o["archived"] is archived)
                served = client.walk_hubspot(
                    f"/crm/v3/objects/{object_type}", limit=100, archived=str(archived).lower()
                )
                assert numeric([o["id"] for o in served]) == expected, object_type
        for object_type in stripe_types:
            stored = jsonl(world / "payments" / f"{object_type}.jsonl")
            served = client.walk_stripe(f"/v1/{object_type}", limit=100)
            assert sorted(o["id"] for o in served) == sorted(o["id"] for o in stored), object_type
