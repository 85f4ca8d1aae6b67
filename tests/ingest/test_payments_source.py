"""The payments (Stripe) connector: real dlt pipelines into a scratch DuckDB, from the
demo world's export, from the sandbox's Stripe API (faults, rate limits, mutation between
runs, a bad key) and from localstripe."""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from dlt.pipeline.exceptions import PipelineStepFailed

from demo.sandbox import Knobs, mutate_world, start_sandbox
from demo.world import generate_world
from demo.world.scales import SCALES, Scale
from ingest.errors import ApiAuthError
from ingest.payments import PAYMENTS_TABLES, api_source, payments_source
from ingest.payments.rows import log as payments_rows_log
from ingest.pipeline import make_pipeline
from ingest.settings import Settings
from tests.conftest import scratch_settings
from tests.support.payments import (
    SNAPSHOT_COLUMNS,
    STRIPE_KEY_VARIABLE,
    StripeClient,
    all_contents,
    append_jsonl,
    credentials,
    deleted_stub,
    file_key_rows,
    jsonl,
    key_rows,
    localstripe,
    query,
    replace_jsonl,
    row,
    run,
    run_api,
    run_export,
    stripe_event,
    table_contents,
)

TOKEN = "sk_test_sandbox_payments_0123"


@pytest.fixture(scope="module")
def xs_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small world, large enough (300 companies) to hold every object type, refunds and
    yen charges included, whatever the seed."""
    world = tmp_path_factory.mktemp("payments_world")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(SCALES, "payments", Scale("payments", reps=6, companies=300))
        generate_world(world, "payments", 7, workers=1)
    return world


@pytest.fixture(scope="module")
def export_load(xs_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = scratch_settings(tmp_path_factory.mktemp("payments_export"))
    run_export(settings, xs_world / "payments")
    return settings


@pytest.fixture
def world_copy(xs_world: Path, tmp_path: Path) -> Path:
    """A world this test may change."""
    return Path(shutil.copytree(xs_world, tmp_path / "world"))


def test_tables_are_the_object_types() -> None:
    assert PAYMENTS_TABLES == (
        "customers",
        "products",
        "prices",
        "invoices",
        "charges",
        "refunds",
        "payment_intents",
        "balance_transactions",
        "events",
    )


# --- export -------------------------------------------------------------------------------


def test_export_load_equals_the_files(xs_world: Path, export_load: Settings) -> None:
    for table in PAYMENTS_TABLES:
        assert key_rows(export_load, table) == file_key_rows(xs_world / "payments", table), table
    assert query(export_load, "select count(*) from raw_payments.events")[0][0] > 0
    # Zero-decimal currencies stay in their minor units, which are whole yen.
    yen = dict(
        query(export_load, "select id, amount from raw_payments.charges where currency = 'jpy'")
    )
    files = {c["id"]: c["amount"] for c in jsonl(xs_world / "payments" / "charges.jsonl")}
    assert yen and all(files[charge_id] == amount for charge_id, amount in yen.items())
    types = dict(
        query(
            export_load,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_payments' and table_name = 'invoices'",
        )
    )
    assert types["created"] == "TIMESTAMP WITH TIME ZONE"
    assert types["amount_due"] == "BIGINT"
    assert types["lines"] == "VARCHAR"  # JSON text, parsed by staging
    assert not query(
        export_load,
        "select 1 from information_schema.tables where table_schema = 'raw_payments' "
        "and table_name in ('rejects', 'event_snapshots')",
    )


def test_malformed_export_lines_land_in_rejects(xs_world: Path, tmp_path: Path) -> None:
    export = Path(shutil.copytree(xs_world / "payments", tmp_path / "payments"))
    [invoice, *_] = jsonl(export / "invoices.jsonl")
    [charge, *_] = jsonl(export / "charges.jsonl")
    bad_line = {**invoice["lines"]["data"][0], "amount": "12.50"}
    with (export / "invoices.jsonl").open("a") as out:
        out.write('{"id": "in_broken", "amount_due": \n')
    append_jsonl(
        export / "invoices.jsonl",
        [
            {**invoice, "id": "in_float", "amount_due": 1250.5},
            {**invoice, "id": "in_lines", "lines": {**invoice["lines"], "data": [bad_line]}},
            {**invoice, "id": "in_when", "created": "yesterday"},
        ],
    )
    append_jsonl(
        export / "charges.jsonl",
        [
            {**charge, "id": "ch_currency", "currency": "US dollars"},
            {key: value for key, value in charge.items() if key != "id"},
            {**charge, "id": "ch_no_created", "created": None},
        ],
    )
    (export / "refunds.jsonl").write_text("")  # a type without objects
    settings = scratch_settings(tmp_path)
    run_export(settings, export)
    # ...still gets its typed table, which staging selects from.
    columns = {name: dtype for name, dtype, *_ in query(settings, "describe raw_payments.refunds")}
    assert columns["created"] == "TIMESTAMP WITH TIME ZONE"
    assert columns["amount"] == "BIGINT"
    assert query(settings, "select count(*) from raw_payments.refunds") == [(0,)]
    rejects = query(
        settings,
        "select object_type, source_file, line_number, reason, payload from "
        "raw_payments.rejects order by object_type, line_number",
    )
    reasons = [(object_type, reason) for object_type, _, _, reason, _ in rejects]
    assert [object_type for object_type, _ in reasons] == ["charges"] * 3 + ["invoices"] * 4
    text = "\n".join(reason for _, reason in reasons)
    for expected in (
        "currency: not a three-letter code",
        "missing id",
        "created: missing",
        "not valid JSON",
        "amount_due: expected an integer",
        "lines.data[0].amount: not an integer",
        "created: expected an integer",
    ):
        assert expected in text
    assert all(payload and file.endswith(".jsonl") for _, file, _, _, payload in rejects)
    # The good lines are all there.
    assert key_rows(settings, "invoices") == file_key_rows(xs_world / "payments", "invoices")
    # A re-run upserts the same rejects.
    run_export(settings, export)
    assert query(settings, "select count(*) from raw_payments.rejects")[0][0] == 7


# --- sandbox API --------------------------------------------------------------------------


def test_api_load_equals_the_export_load_and_a_second_run_adds_nothing(
    xs_world: Path, export_load: Settings, tmp_path: Path
) -> None:
    settings = scratch_settings(tmp_path)
    with start_sandbox(xs_world, token=TOKEN) as sandbox:
        api = credentials(sandbox.base_url, TOKEN)
        first = run_api(settings, api)
        assert set(first) == set(PAYMENTS_TABLES)
        assert all_contents(settings) == all_contents(export_load)
        second = run_api(settings, api)
    assert second == {}
    assert all_contents(settings) == all_contents(export_load)


def test_api_load_survives_faults_and_a_rate_limit(
    xs_world: Path, export_load: Settings, tmp_path: Path
) -> None:
    knobs = Knobs(
        # Deterministic 429s: a wall-clock rate limit is not hit by a slow (loaded) client.
        fault_schedule=((2, "429"), (5, "429")),
        fault_rate=0.2,
        fault_seed=11,
        fault_path_prefix="/v1/",
        timeout_delay_seconds=1.0,
    )
    settings = scratch_settings(tmp_path)
    with start_sandbox(xs_world, token=TOKEN, knobs=knobs) as sandbox:
        api = replace(credentials(sandbox.base_url, TOKEN), timeout_seconds=0.5)
        run_api(settings, api)
        stats = requests.get(
            f"{sandbox.base_url}/_sandbox/stats",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        ).json()
    assert all_contents(settings) == all_contents(export_load)
    statuses = stats["statuses"]
    assert statuses.get("429", 0) > 0, statuses  # the rate limit was hit...
    assert any(code.startswith("5") for code in statuses), statuses  # ...and faults injected


def test_incremental_run_picks_up_exactly_the_changes(world_copy: Path, tmp_path: Path) -> None:
    payments = world_copy / "payments"
    settings = scratch_settings(tmp_path / "api")
    with start_sandbox(world_copy, token=TOKEN) as sandbox:
        api = credentials(sandbox.base_url, TOKEN)
        run_api(settings, api)

        summary = mutate_world(world_copy, seed=5, fraction=0.3)
        # New objects too: created after everything loaded (mutation does not move `created`).
        assert summary.payments_watermark is not None
        later = summary.payments_watermark + 10_000
        [customer, *_] = jsonl(payments / "customers.jsonl")
        [charge, *_] = jsonl(payments / "charges.jsonl")
        append_jsonl(
            payments / "customers.jsonl", [{**customer, "id": "cus_new", "created": later}]
        )
        # Same second as the customer in another table, and two charges sharing a second.
        new_charges = [
            {**charge, "id": "ch_new_a", "created": later, "currency": "jpy", "amount": 98765},
            {**charge, "id": "ch_new_b", "created": later},
        ]
        append_jsonl(payments / "charges.jsonl", new_charges)

        loaded = run_api(settings, api)
        assert run_api(settings, api) == {}  # and nothing more after that

    updated = {
        table: set(kinds.get("updated", ()))
        for table, kinds in summary.payments.items()
        if table != "events"
    }
    assert updated.get("invoices"), summary.payments  # an invoice finalized or paid later
    new = {"customers": {"cus_new"}, "charges": {"ch_new_a", "ch_new_b"}}
    expected = {
        table: len(updated.get(table, set()) | new.get(table, set()))
        for table in PAYMENTS_TABLES
        if table != "events"
    }
    expected["events"] = len(summary.ids("payments", "events", "created"))
    assert loaded == {table: rows for table, rows in expected.items() if rows}

    # The result is the mutated world, as a full export load of it sees it...
    fresh = scratch_settings(tmp_path / "export")
    run_export(fresh, payments)
    assert all_contents(settings, SNAPSHOT_COLUMNS) == all_contents(fresh, SNAPSHOT_COLUMNS)
    # ...with the updates taken from their events.
    events = set(summary.ids("payments", "events", "created"))
    for table, ids in updated.items():
        rows = dict(query(settings, f"select id, _event_id from raw_payments.{table}"))
        assert {rows[object_id] for object_id in ids} <= events, table
    assert query(settings, "select amount from raw_payments.charges where id = 'ch_new_a'") == [
        (98765,)
    ]


def test_an_update_to_the_object_at_the_cursor_comes_from_its_event(
    world_copy: Path, tmp_path: Path
) -> None:
    """The newest customer is re-listed by `created[gte]` and dropped by dlt as already
    loaded: its later update must still arrive, through the events feed."""
    payments = world_copy / "payments"
    settings = scratch_settings(tmp_path)
    with start_sandbox(world_copy, token=TOKEN) as sandbox:
        api = credentials(sandbox.base_url, TOKEN)
        run_api(settings, api)
        customers = jsonl(payments / "customers.jsonl")
        newest = max(customers, key=lambda customer: (customer["created"], customer["id"]))
        changed = {**newest, "metadata": {**newest["metadata"], "segment": "enterprise"}}
        replace_jsonl(
            payments / "customers.jsonl",
            [changed if c["id"] == newest["id"] else c for c in customers],
        )
        latest = max(event["created"] for event in jsonl(payments / "events.jsonl"))
        event = {
            "id": "evt_cursor_update",
            "object": "event",
            "type": "customer.updated",
            "created": latest + 60,
            "data": {"object": changed, "previous_attributes": {"metadata": newest["metadata"]}},
        }
        append_jsonl(payments / "events.jsonl", [event])
        loaded = run_api(settings, api)
    assert loaded == {"customers": 1, "events": 1}
    [(metadata, event_id)] = query(
        settings,
        f"select metadata, _event_id from raw_payments.customers where id = '{newest['id']}'",
    )
    assert json.loads(metadata)["segment"] == "enterprise"
    assert event_id == "evt_cursor_update"


def test_newest_event_snapshot_wins(world_copy: Path, tmp_path: Path) -> None:
    """Two updates of one object in one run: the later event's state is kept."""
    settings = scratch_settings(tmp_path)
    with start_sandbox(world_copy, token=TOKEN) as sandbox:
        api = credentials(sandbox.base_url, TOKEN)
        run_api(settings, api)
        first = mutate_world(world_copy, seed=1, fraction=1.0)
        second = mutate_world(world_copy, seed=2, fraction=1.0)
        run_api(settings, api)
    newest = dict(
        query(settings, "select id, metadata from raw_payments.customers where id is not null")
    )
    customer_ids = first.ids("payments", "customers", "updated")
    assert customer_ids == second.ids("payments", "customers", "updated")
    for customer_id in customer_ids:
        assert json.loads(newest[customer_id])["sandbox_revision"].startswith("2-")
    statuses = dict(query(settings, "select id, status from raw_payments.invoices"))
    files = {i["id"]: i["status"] for i in jsonl(world_copy / "payments" / "invoices.jsonl")}
    assert statuses == files


# --- deletions ----------------------------------------------------------------------------


def _stubs_listed_too(ids: tuple[str, ...]) -> Any:
    """``walk`` as a Stripe-compatible server that lists deleted customers as stubs would."""
    real = api_source.walk

    def walk(session: Any, path: str, params: Any = None) -> Iterator[list[dict[str, Any]]]:
        pages = real(session, path, params)
        if path == "/v1/customers":
            stubs = [{"id": object_id, "object": "customer", "deleted": True} for object_id in ids]
            yield [*next(pages, []), *stubs]
        yield from pages

    return walk


def _list_all_pages(stripe: StripeClient, path: str) -> set[str]:
    ids: set[str] = set()
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = stripe.session.get(stripe.base_url + path, params=params, timeout=10).json()
        ids |= {obj["id"] for obj in page["data"]}
        if not page["has_more"]:
            return ids
        params["starting_after"] = page["data"][-1]["id"]


def test_a_deleted_customer_keeps_its_last_state_flagged_deleted(
    world_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payments = world_copy / "payments"
    before = {customer["id"]: customer for customer in jsonl(payments / "customers.jsonl")}
    settings = scratch_settings(tmp_path / "api")
    with start_sandbox(world_copy, token=TOKEN) as sandbox:
        api = credentials(sandbox.base_url, TOKEN)
        run_api(settings, api)
        assert query(settings, "select distinct deleted from raw_payments.customers") == [(False,)]

        summary = mutate_world(world_copy, seed=5, fraction=0.1, deleted_customers=3)
        deleted = summary.ids("payments", "customers", "deleted")
        assert len(deleted) == 3
        # As on Stripe: a deleted customer is retrieved as a stub, and no longer listed.
        stripe = StripeClient(sandbox.base_url, TOKEN)
        try:
            customer_url = f"{sandbox.base_url}/v1/customers/{deleted[0]}"
            stub = stripe.session.get(customer_url, timeout=10).json()
            listed = _list_all_pages(stripe, "/v1/customers")
        finally:
            stripe.close()
        assert stub == {"id": deleted[0], "object": "customer", "deleted": True}
        assert listed == set(before) - set(deleted)
        # A server that lists them as stubs anyway changes nothing either.
        monkeypatch.setattr(api_source, "walk", _stubs_listed_too(deleted))
        caplog.set_level(logging.INFO, logger=payments_rows_log.name)
        loaded = run_api(settings, api)
        assert "3 deleted customer objects without their last state left out" in caplog.text
        contents = all_contents(settings)
        assert run_api(settings, api) == {}  # and a re-run changes nothing
        assert all_contents(settings) == contents

    deletions = {
        event["data"]["object"]["id"]: event
        for event in jsonl(payments / "events.jsonl")
        if event["type"] == "customer.deleted"
    }
    assert set(deletions) == set(deleted)
    updated = set(summary.ids("payments", "customers", "updated"))
    assert loaded["customers"] == len(updated | set(deleted))
    for customer_id in deleted:
        kept = row(settings, "customers", customer_id)
        last = deletions[customer_id]["data"]["object"]
        assert kept["deleted"] is True
        assert kept["_event_id"] == deletions[customer_id]["id"]
        # Every column keeps the customer's last state (an update of this run included).
        assert int(kept["created"].timestamp()) == before[customer_id]["created"]
        for name in ("name", "email", "currency", "livemode"):
            assert kept[name] == before[customer_id][name], name
        assert json.loads(kept["metadata"]) == last["metadata"]
    live = query(settings, "select count(*) from raw_payments.customers where not deleted")
    assert live == [(len(before) - len(deleted),)]
    # An export of the same world (deleted stubs in customers.jsonl, the deletion events in
    # events.jsonl) loads the same rows, and rejects none of the stubs.
    fresh = scratch_settings(tmp_path / "export")
    run_export(fresh, payments)
    assert all_contents(fresh, SNAPSHOT_COLUMNS) == all_contents(settings, SNAPSHOT_COLUMNS)
    assert not query(
        fresh,
        "select 1 from information_schema.tables where table_schema = 'raw_payments' "
        "and table_name = 'rejects'",
    )


def test_a_deletion_outranks_the_list_and_every_update_of_its_second(
    world_copy: Path, tmp_path: Path
) -> None:
    payments = world_copy / "payments"
    events_file = payments / "events.jsonl"
    customers = jsonl(payments / "customers.jsonl")
    [invoice, *_] = jsonl(payments / "invoices.jsonl")
    first, second, third = customers[:3]
    latest = max(
        obj["created"]
        for path in payments.glob("*.jsonl")
        for obj in jsonl(path)
        if "created" in obj
    )
    settings = scratch_settings(tmp_path)
    with start_sandbox(world_copy, token=TOKEN) as sandbox:
        api = credentials(sandbox.base_url, TOKEN)
        # The list still holds `first` (as when it is read just before the deletion).
        append_jsonl(
            events_file,
            [stripe_event("evt_first_deleted", "customer.deleted", latest + 60, first)],
        )
        run_api(settings, api)
        assert row(settings, "customers", first["id"])["deleted"] is True

        # Same second: the update is served as the newer event, the deletion still wins. A
        # deleted draft invoice keeps the lines its event carries (they cannot be listed:
        # the sandbox, like Stripe, answers 404).
        moment = latest + 120
        draft = {
            **invoice,
            "status": "draft",
            "lines": {**invoice["lines"], "has_more": True},
        }
        append_jsonl(
            events_file,
            [
                stripe_event("evt_b_deleted", "customer.deleted", moment, second),
                stripe_event(
                    "evt_c_updated", "customer.updated", moment, {**second, "name": "Renamed"}
                ),
                stripe_event("evt_a_deleted", "invoice.deleted", moment, draft),
            ],
        )
        assert run_api(settings, api)["events"] == 3
        kept = row(settings, "customers", second["id"])
        assert (kept["deleted"], kept["name"], kept["_event_id"]) == (
            True,
            second["name"],
            "evt_b_deleted",
        )
        deleted_invoice = row(settings, "invoices", invoice["id"])
        assert (deleted_invoice["deleted"], deleted_invoice["status"]) == (True, "draft")
        assert json.loads(deleted_invoice["lines"])["data"] == invoice["lines"]["data"]

        # Another update of that second, served only now: the next run reads the second
        # again, and the deleted row stays.
        late = stripe_event(
            "evt_d_updated", "customer.updated", moment, {**second, "name": "Late rename"}
        )
        append_jsonl(events_file, [late])
        assert run_api(settings, api) == {"events": 1}
        assert row(settings, "customers", second["id"]) == kept
        pipeline = make_pipeline(settings, "payments")
        memory = pipeline.state["sources"]["payments"]["resources"]["event_snapshots"]
        assert memory["deleted"] == {
            "customers": {second["id"]: moment},
            "invoices": {invoice["id"]: moment},
        }

        # A newer second: those deletions are forgotten (no event can follow them).
        append_jsonl(
            events_file,
            [
                stripe_event(
                    "evt_e_updated", "customer.updated", moment + 1, {**third, "name": "New"}
                )
            ],
        )
        assert run_api(settings, api) == {"customers": 1, "events": 1}
        pipeline = make_pipeline(settings, "payments")
        memory = pipeline.state["sources"]["payments"]["resources"]["event_snapshots"]
        assert "deleted" not in memory
        assert run_api(settings, api) == {}
    assert row(settings, "customers", second["id"]) == kept
    assert row(settings, "customers", third["id"])["deleted"] is False
    deleted = query(settings, "select id from raw_payments.customers where deleted order by id")
    assert deleted == sorted([(first["id"],), (second["id"],)])


def test_a_deleted_stub_without_its_event_wipes_nothing(xs_world: Path, tmp_path: Path) -> None:
    """A deleted object's stub carries no state: with no deletion event to tell its last
    state, the row stays as it was, and the stub is no reject."""
    export = Path(shutil.copytree(xs_world / "payments", tmp_path / "payments"))
    settings = scratch_settings(tmp_path)
    run_export(settings, export)
    before = table_contents(settings, "customers")
    customers = jsonl(export / "customers.jsonl")
    replace_jsonl(export / "customers.jsonl", [deleted_stub(customers[0]), *customers[1:]])
    run_export(settings, export)
    assert table_contents(settings, "customers") == before
    assert not query(
        settings,
        "select 1 from information_schema.tables where table_schema = 'raw_payments' "
        "and table_name = 'rejects'",
    )


def test_a_refused_key_fails_fast_naming_the_variable(
    xs_world: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk_live_do_not_print_me_42"
    settings = scratch_settings(tmp_path)
    caplog.set_level(logging.DEBUG)
    with start_sandbox(xs_world, token=TOKEN) as sandbox:
        started = time.monotonic()
        with pytest.raises(PipelineStepFailed) as failure:
            run_api(settings, credentials(sandbox.base_url, secret))
        elapsed = time.monotonic() - started
        stats = requests.get(
            f"{sandbox.base_url}/_sandbox/stats",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        ).json()
    assert elapsed < 10
    # No retry of a refused key: the lists read in parallel may each have asked once
    # before the first refusal stopped the run, none twice.
    assert stats["statuses"] == {"401": stats["total"]}
    assert set(stats["requests"].values()) == {1}
    message = str(failure.value)
    assert STRIPE_KEY_VARIABLE in message
    assert secret not in message
    assert secret not in caplog.text
    cause: BaseException | None = failure.value
    while cause is not None and not isinstance(cause, ApiAuthError):
        cause = cause.__cause__ or cause.__context__
    assert isinstance(cause, ApiAuthError)


def test_source_not_configured_names_the_variables(tmp_path: Path) -> None:
    with pytest.raises(PipelineStepFailed, match="SALES_TRACKER_PAYMENTS_EXPORT"):
        run(scratch_settings(tmp_path), payments_source())


# --- localstripe --------------------------------------------------------------------------


def test_localstripe_objects_load(tmp_path: Path) -> None:
    key = "sk_test_localstripe"
    with localstripe() as base_url:
        stripe = StripeClient(base_url, key)
        try:
            acme = stripe.post("/v1/customers", name="Acme", email="ap@acme.example")
            tokyo = stripe.post("/v1/customers", name="Tokyo KK", email="ap@tokyo.example")
            card = stripe.post(
                "/v1/payment_methods",
                type="card",
                **{
                    "card[number]": "4242424242424242",
                    "card[exp_month]": "12",
                    "card[exp_year]": "2030",
                    "card[cvc]": "123",
                },
            )
            stripe.post(f"/v1/payment_methods/{card['id']}/attach", customer=acme["id"])
            stripe.post(
                f"/v1/customers/{acme['id']}",
                **{"invoice_settings[default_payment_method]": card["id"]},
            )
            product = stripe.post("/v1/products", name="Seat", type="service")
            paid = stripe.post(
                "/v1/charges", amount=5000, currency="usd", customer=acme["id"], source=card["id"]
            )
            stripe.post(
                "/v1/charges", amount=12000, currency="jpy", customer=acme["id"], source=card["id"]
            )
            stripe.post("/v1/refunds", charge=paid["id"], amount=1000)
            stripe.post("/v1/payment_intents", amount=7000, currency="jpy", customer=tokyo["id"])
            # localstripe bills through subscriptions only: a plan and a subscription give an
            # invoice (with its line), a payment intent and a charge.
            stripe.post(
                "/v1/plans",
                id="seat-monthly",
                product=product["id"],
                amount=2500,
                currency="usd",
                interval="month",
            )
            stripe.post(
                "/v1/subscriptions", customer=acme["id"], **{"items[0][plan]": "seat-monthly"}
            )
            # localstripe has no prices endpoint: that resource is left out.
            tables = [table for table in PAYMENTS_TABLES if table != "prices"]
            expected = {table: stripe.list_all(f"/v1/{table}") for table in tables}
            settings = scratch_settings(tmp_path)
            source = payments_source(api=credentials(base_url, key))
            loaded = run(settings, source.with_resources(*tables, "event_snapshots"))
        finally:
            stripe.close()
    assert set(loaded) == set(tables)
    for table in tables:
        ids = {row[0] for row in query(settings, f"select id from raw_payments.{table}")}
        assert ids == {obj["id"] for obj in expected[table]}, table
        assert ids, table
    charges = dict(query(settings, "select currency, amount from raw_payments.charges"))
    assert charges["jpy"] == 12000  # zero-decimal: minor units are yen
    [(lines,)] = query(settings, "select lines from raw_payments.invoices")
    assert [line["amount"] for line in json.loads(lines)["data"]] == [2500]


def test_localstripe_deleted_customer_is_kept_flagged_deleted(tmp_path: Path) -> None:
    key = "sk_test_localstripe"
    with localstripe() as base_url:
        stripe = StripeClient(base_url, key)
        try:
            kept = stripe.post("/v1/customers", name="Acme", email="ap@acme.example")
            gone = stripe.post("/v1/customers", name="Gone Ltd", email="ap@gone.example")
            response = stripe.session.delete(f"{base_url}/v1/customers/{gone['id']}", timeout=10)
            assert response.json() == {"id": gone["id"], "object": "customer", "deleted": True}
            settings = scratch_settings(tmp_path)
            source = payments_source(api=credentials(base_url, key))
            run(settings, source.with_resources("customers", "events", "event_snapshots"))
        finally:
            stripe.close()
    rows = {
        customer_id: (name, email, deleted)
        for customer_id, name, email, deleted in query(
            settings, "select id, name, email, deleted from raw_payments.customers"
        )
    }
    assert rows == {
        kept["id"]: ("Acme", "ap@acme.example", False),
        gone["id"]: ("Gone Ltd", "ap@gone.example", True),
    }
