"""Helpers for the payments connector tests: runs, table reads, a localstripe server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import requests

from ingest.payments import PAYMENTS_TABLES, payments_source
from ingest.pipeline import make_pipeline
from ingest.settings import ApiCredentials, Settings
from tests.support.ports import free_port

STRIPE_KEY_VARIABLE = "SALES_TRACKER_STRIPE_KEY"
# Columns that tell which snapshot a row is: they differ between an export and an API
# load of the same objects by design (see ingest/payments/snapshots.py).
SNAPSHOT_COLUMNS = ("_state_rank", "_event_id")
# Per table, the fields a test holds against the export files (`created` as unix seconds).
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "customers": ("created", "email", "currency", "name"),
    "products": ("created", "name", "active"),
    "prices": ("created", "product", "currency", "unit_amount"),
    "invoices": ("created", "customer", "currency", "amount_due", "amount_paid", "status"),
    "charges": ("created", "customer", "currency", "amount", "amount_refunded", "status"),
    "refunds": ("created", "charge", "currency", "amount"),
    "payment_intents": ("created", "customer", "currency", "amount", "status"),
    "balance_transactions": ("created", "currency", "amount", "fee", "net", "type"),
    "events": ("created", "type"),
}


def credentials(base_url: str, secret: str) -> ApiCredentials:
    return ApiCredentials(base_url, secret, STRIPE_KEY_VARIABLE)


def run(settings: Settings, source: Any) -> dict[str, int]:
    """Load ``source`` into the payments pipeline; the rows normalized per table (tables
    that only had their schema written, e.g. an object type without objects, left out)."""
    pipeline = make_pipeline(settings, "payments")
    pipeline.run(source)
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {table: rows for table, rows in counts.items() if rows and not table.startswith("_dlt")}


def run_api(settings: Settings, api: ApiCredentials) -> dict[str, int]:
    return run(settings, payments_source(api=api))


def run_export(settings: Settings, export_dir: Path) -> dict[str, int]:
    return run(settings, payments_source(export_dir))


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def key_rows(settings: Settings, table: str) -> dict[str, tuple[Any, ...]]:
    """id -> the table's key fields, ``created`` back in unix seconds."""
    fields = ", ".join(
        "epoch(created)::bigint" if name == "created" else name for name in KEY_FIELDS[table]
    )
    rows = query(settings, f"select id, {fields} from raw_payments.{table}")
    return {row[0]: tuple(row[1:]) for row in rows}


def file_key_rows(export_dir: Path, table: str) -> dict[str, tuple[Any, ...]]:
    return {
        obj["id"]: tuple(obj.get(name) for name in KEY_FIELDS[table])
        for obj in jsonl(export_dir / f"{table}.jsonl")
    }


def table_contents(settings: Settings, table: str, exclude: tuple[str, ...] = ()) -> set[tuple]:
    """Every row of a raw table, as comparable tuples (dlt's own columns left out)."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        columns = sorted(
            row[0]
            for row in con.execute(f"describe raw_payments.{table}").fetchall()
            if not row[0].startswith("_dlt") and row[0] not in exclude
        )
        listed = ", ".join(f'"{name}"' for name in columns)
        rows = con.execute(f"select {listed} from raw_payments.{table}").fetchall()
    return {tuple(zip(columns, row, strict=True)) for row in rows}


def all_contents(settings: Settings, exclude: tuple[str, ...] = ()) -> dict[str, set[tuple]]:
    return {table: table_contents(settings, table, exclude) for table in PAYMENTS_TABLES}


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def append_jsonl(path: Path, objects: list[dict[str, Any]]) -> None:
    with path.open("a", encoding="utf-8") as out:
        for obj in objects:
            out.write(json.dumps(obj) + "\n")


def replace_jsonl(path: Path, objects: list[dict[str, Any]]) -> None:
    """Rewrite a world file atomically, as the sandbox expects of a changed file."""
    staged = path.with_suffix(".tmp")
    staged.write_text("".join(json.dumps(obj) + "\n" for obj in objects))
    os.replace(staged, path)


def stripe_event(
    event_id: str, event_type: str, created: int, obj: dict[str, Any]
) -> dict[str, Any]:
    """An event as Stripe's feed serves it, carrying ``obj`` (for a ``.deleted`` event, the
    object's last state)."""
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def deleted_stub(obj: dict[str, Any]) -> dict[str, Any]:
    """What Stripe returns for a deleted object."""
    return {"id": obj["id"], "object": obj["object"], "deleted": True}


def row(settings: Settings, table: str, object_id: str) -> dict[str, Any]:
    """One object's row of a raw table, column -> value."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        cursor = con.execute(f"select * from raw_payments.{table} where id = ?", [object_id])
        names = [column[0] for column in cursor.description]
        [values] = cursor.fetchall()
    return dict(zip(names, values, strict=True))


# localstripe's own entry point binds every interface; its aiohttp app is served here on
# loopback only.
_LOCALSTRIPE = (
    "import sys; from aiohttp import web; from localstripe.server import app; "
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)


@contextmanager
def localstripe() -> Iterator[str]:
    """A localstripe server on a free loopback port (empty store); yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _LOCALSTRIPE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base_url}/v1/customers", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"localstripe did not start: {process.stderr.read().decode()[-2000:]}"  # type: ignore[union-attr]
                    ) from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


class StripeClient:
    """Creates objects on a Stripe-compatible server (form-encoded, as Stripe takes)."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def post(self, path: str, **data: Any) -> dict[str, Any]:
        response = self.session.post(self.base_url + path, data=data, timeout=10)
        assert response.status_code == 200, f"POST {path}: {response.text}"
        return response.json()

    def list_all(self, path: str) -> list[dict[str, Any]]:
        response = self.session.get(self.base_url + path, params={"limit": 100}, timeout=10)
        assert response.status_code == 200, response.text
        page = response.json()
        assert not page["has_more"]
        return page["data"]

    def close(self) -> None:
        self.session.close()
