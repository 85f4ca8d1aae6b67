"""The CRM connector, from an export folder and from the HubSpot API (the sandbox), into a
scratch DuckDB through real dlt pipelines.

The export load of the demo world is the reference: the API load must give the same
rows, with faults and rate limits too; later API runs load exactly what changed.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import pyarrow.parquet as pq
import pytest
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.pipeline.exceptions import PipelineStepFailed

from demo.formats.files import write_jsonl
from demo.formats.hubspot import hubspot_timestamp
from demo.sandbox import Knobs, SandboxHandle, mutate_world, start_sandbox
from demo.world import WorldSummary, generate_world
from ingest.crm import CRM_OBJECT_TYPES, api_source, crm_source
from ingest.crm.catalog import CRM_TYPES
from ingest.errors import SourceNotConfiguredError
from ingest.pipeline import make_pipeline
from ingest.settings import ApiCredentials, Settings
from orchestration.warehouse import query, table_exists
from tests.conftest import scratch_settings

TOKEN = "crm-connector-test-token"
TOKEN_VARIABLE = "SALES_TRACKER_HUBSPOT_TOKEN"
TYPE_NAMES = [object_type.name for object_type in CRM_OBJECT_TYPES]
# dlt names columns in snake case: propertiesWithHistory lands as properties_with_history.
column_name = NamingConvention().normalize_identifier
JSON_COLUMNS = {t.name: {column_name(c) for c in t.json_columns} for t in CRM_OBJECT_TYPES}

Rows = dict[str, dict[str, Any]]


# --- helpers ------------------------------------------------------------------------------


def credentials(sandbox: SandboxHandle, token: str = TOKEN) -> ApiCredentials:
    return ApiCredentials(sandbox.base_url, token, TOKEN_VARIABLE)


def run(settings: Settings, source: Any) -> tuple[dlt.Pipeline, str]:
    """Load ``source``; the pipeline and the load id of this run."""
    pipeline = make_pipeline(settings, "crm")
    info = pipeline.run(source)
    return pipeline, info.loads_ids[-1] if info.loads_ids else ""


def loaded_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {name: count for name, count in counts.items() if not name.startswith("_dlt")}


def table(settings: Settings, name: str) -> Rows:
    """The rows of ``raw_crm.<name>`` by id, JSON columns parsed, dlt's columns left out
    (so that key order inside the JSON text does not matter)."""
    rows: Rows = {}
    for record in query(settings, f"select * from raw_crm.{name}").to_dict("records"):
        row = {}
        for column, value in record.items():
            if column.startswith("_dlt"):
                continue
            if value is not None and value == value and column in JSON_COLUMNS[name]:
                value = json.loads(value)
            elif value != value:  # NaN / NaT from pandas
                value = None
            row[column] = value
        rows[row["id"]] = row
    return rows


def loaded_ids(pipeline: dlt.Pipeline, load_id: str, name: str) -> list[str]:
    """The ids one load wrote to ``raw_crm.<name>``, sorted, each as often as it was
    written; read from the package's files (Arrow rows carry no load id column)."""
    jobs = pipeline.get_load_package_info(load_id).jobs["completed_jobs"]
    ids: list[str] = []
    for job in jobs:
        if job.job_file_info.table_name == name and job.file_path.endswith(".parquet"):
            ids += pq.read_table(job.file_path, columns=["id"])["id"].to_pylist()
    return sorted(ids)


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error and every error it was raised from."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def snapshot(settings: Settings) -> dict[str, Rows]:
    return {name: table(settings, name) for name in TYPE_NAMES}


def file_ids(world: Path, name: str) -> set[str]:
    lines = (world / "crm" / f"{name}.jsonl").read_text().splitlines()
    return {str(json.loads(line)["id"]) for line in lines if line.strip()}


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xs_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_world(tmp_path_factory.mktemp("crm") / "world", "xs", 7, workers=1).folder


@pytest.fixture(scope="module")
def export_load(xs_world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rows]:
    settings = scratch_settings(tmp_path_factory.mktemp("export_load"))
    run(settings, crm_source(xs_world / "crm"))
    return snapshot(settings)


@pytest.fixture
def world_copy(xs_world: Path, tmp_path: Path) -> Path:
    """A private copy of the xs world, for tests that mutate it."""
    return Path(shutil.copytree(xs_world, tmp_path / "world"))


@pytest.fixture
def sandbox(world_copy: Path) -> Iterator[SandboxHandle]:
    with start_sandbox(world_copy, token=TOKEN) as handle:
        yield handle


def sandbox_stats(sandbox: SandboxHandle) -> dict[str, Any]:
    return sandbox.state.stats.snapshot()


# --- configuration ------------------------------------------------------------------------


def test_neither_export_nor_token_names_both_variables(tmp_path: Path) -> None:
    with pytest.raises(PipelineStepFailed) as failure:
        run(scratch_settings(tmp_path), crm_source())
    message = str(failure.value)
    assert "SALES_TRACKER_CRM_EXPORT" in message and TOKEN_VARIABLE in message
    assert any(isinstance(error, SourceNotConfiguredError) for error in causes(failure.value))


def test_export_wins_over_the_api(xs_world: Path, tmp_path: Path) -> None:
    # Nothing listens on port 9: reading the API would fail.
    api = ApiCredentials("http://127.0.0.1:9", TOKEN, TOKEN_VARIABLE)
    settings = scratch_settings(tmp_path)
    run(settings, crm_source(xs_world / "crm", api))
    assert set(table(settings, "deals")) == file_ids(xs_world, "deals")


# --- export -------------------------------------------------------------------------------


def test_every_object_type_lands_from_the_export(xs_world: Path, export_load) -> None:
    assert {path.stem for path in (xs_world / "crm").glob("*.jsonl")} == set(TYPE_NAMES)
    for name in TYPE_NAMES:
        assert set(export_load[name]) == file_ids(xs_world, name), name
        assert export_load[name], name
    deal = next(iter(export_load["deals"].values()))
    assert set(deal["properties_with_history"]) >= {
        "dealstage",
        "amount",
        "closedate",
        "hubspot_owner_id",
        "hs_manual_forecast_category",
        "deal_currency_code",
        "pipeline",
    }
    assert deal["associations"]["companies"]["results"]
    assert next(iter(export_load["owners"].values()))["teams"]
    assert next(iter(export_load["deal_pipelines"].values()))["stages"]
    assert next(iter(export_load["quotes"].values()))["associations"]["line_items"]


def test_an_optional_file_missing_gives_an_empty_table(xs_world: Path, tmp_path: Path) -> None:
    export = Path(shutil.copytree(xs_world / "crm", tmp_path / "crm"))
    (export / "quotes.jsonl").unlink()
    settings = scratch_settings(tmp_path)
    run(settings, crm_source(export))
    assert table_exists(settings, "raw_crm", "quotes")
    assert table(settings, "quotes") == {}
    (export / "deals.jsonl").unlink()
    with pytest.raises(PipelineStepFailed, match=r"deals\.jsonl is missing"):
        run(settings, crm_source(export))


def test_dirty_lines_land_in_rejects_with_their_reason(xs_world: Path, tmp_path: Path) -> None:
    dirty: WorldSummary = generate_world(tmp_path / "dirty", "xs", 7, dirty_rate=0.3, workers=1)
    assert dirty.dirty_counts  # the generator did write malformed copies
    settings = scratch_settings(tmp_path)
    run(settings, crm_source(dirty.folder / "crm"))
    rejects = query(settings, "select object_type, reason, payload from raw_crm.rejects")
    counts = rejects["object_type"].value_counts().to_dict()
    assert counts == {name: count for name, count in dirty.dirty_counts.items() if name in counts}
    assert set(counts) == {name for name in dirty.dirty_counts if name in TYPE_NAMES}
    expected_reasons = {
        "missing id",
        "properties.hs_lastmodifieddate: not an ISO 8601 timestamp: 'yesterday'",
        "properties.amount: not a number: 'n/a'",
        "properties.closedate: not an ISO 8601 timestamp: '31/12/2026'",
        "properties.quantity: not a number: 'two'",
        "properties.amount: not a number: '1.234,50'",
        "properties.hs_timestamp: not an ISO 8601 timestamp: 'not a date'",
    }
    assert set(rejects["reason"]) <= expected_reasons
    assert len(set(rejects["reason"])) >= 5
    # The good copies all landed, and nothing else did.
    for name in TYPE_NAMES:
        assert set(table(settings, name)) == file_ids(xs_world, name), name

    # Served by the API, a malformed copy hides its good twin (the last line of an id
    # wins in the sandbox): each is rejected, for the same reasons.
    api_settings = scratch_settings(tmp_path / "api")
    with start_sandbox(dirty.folder, token=TOKEN) as sandbox:
        run(api_settings, crm_source(api=credentials(sandbox)))
    api_rejects = query(api_settings, "select object_type, reason, payload from raw_crm.rejects")
    assert set(api_rejects["reason"]) <= expected_reasons - {"missing id"}
    for name in TYPE_NAMES:
        lines = (dirty.folder / "crm" / f"{name}.jsonl").read_text().splitlines()
        ids = Counter(json.loads(line).get("id") for line in lines)
        twins = {object_id for object_id, count in ids.items() if object_id and count > 1}
        rejected = api_rejects[api_rejects["object_type"] == name]["payload"]
        assert {json.loads(payload)["id"] for payload in rejected} == twins, name
        assert set(table(api_settings, name)) == file_ids(xs_world, name) - twins, name


# --- API ----------------------------------------------------------------------------------


def test_api_load_equals_the_export_load(sandbox: SandboxHandle, export_load, tmp_path: Path):
    settings = scratch_settings(tmp_path)
    run(settings, crm_source(api=credentials(sandbox)))
    assert snapshot(settings) == export_load
    # Histories are listed 50 deals a page, as HubSpot caps them.
    requests = sandbox_stats(sandbox)["requests"]
    assert requests["GET /crm/v3/objects/deals"] >= 2  # live, archived
    assert "POST /crm/v3/objects/deals/search" not in requests  # a first run lists

    # A second run finds nothing new and loads nothing.
    second, _ = run(settings, crm_source(api=credentials(sandbox)))
    assert sum(loaded_counts(second).values()) == 0
    assert snapshot(settings) == export_load
    assert "POST /crm/v3/objects/deals/search" in sandbox_stats(sandbox)["requests"]


def test_faults_and_rate_limits_give_the_same_data(
    world_copy: Path, export_load, tmp_path: Path
) -> None:
    knobs = Knobs(
        # Deterministic 429s: a wall-clock rate limit is not hit by a slow (loaded) client.
        fault_schedule=((2, "429"), (7, "429")),
        fault_rate=0.2,
        fault_seed=3,
        fault_kinds=("500", "502", "503", "truncate", "timeout"),
        timeout_delay_seconds=0.2,
    )
    settings = scratch_settings(tmp_path)
    with start_sandbox(world_copy, token=TOKEN, knobs=knobs) as sandbox:
        run(settings, crm_source(api=credentials(sandbox)))
        stats = sandbox_stats(sandbox)
    assert snapshot(settings) == export_load
    assert sum(stats["faults"].values()) >= 3, stats["faults"]
    assert {"429", "500"} <= set(stats["statuses"]), stats["statuses"]


def test_an_incremental_run_loads_exactly_the_changes(
    sandbox: SandboxHandle, world_copy: Path, tmp_path: Path
) -> None:
    settings = scratch_settings(tmp_path)
    run(settings, crm_source(api=credentials(sandbox)))
    summary = mutate_world(world_copy, seed=5, fraction=0.1)
    pipeline, load_id = run(settings, crm_source(api=credentials(sandbox)))

    for crm in CRM_TYPES:
        changed = loaded_ids(pipeline, load_id, crm.name)
        assert len(changed) == len(set(changed)), crm.name  # none twice
        kinds = {kind: summary.ids("crm", crm.name, kind) for kind in ("created", "updated")}
        archived = summary.ids("crm", crm.name, "archived")
        expected = {*kinds["created"], *kinds["updated"], *archived}
        assert set(changed) == expected, crm.name
        rows = table(settings, crm.name)
        for object_id in archived:
            assert rows[object_id]["archived"] is True
            assert rows[object_id]["archived_at"] is not None
    assert summary.ids("crm", "deals", "archived") and summary.ids("crm", "calls", "updated")

    # The warehouse now holds what a full export load of the mutated world holds.
    reference = scratch_settings(tmp_path / "reference")
    run(reference, crm_source(world_copy / "crm"))
    assert snapshot(settings) == snapshot(reference)
    # A run after that loads nothing.
    third, _ = run(settings, crm_source(api=credentials(sandbox)))
    assert sum(loaded_counts(third).values()) == 0


def test_a_crashed_run_is_rerun_safely(
    sandbox: SandboxHandle, world_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = scratch_settings(tmp_path)
    run(settings, crm_source(api=credentials(sandbox)))
    summary = mutate_world(world_copy, seed=9, fraction=0.1)
    # The run crashes while reading the changed calls, after other types were read...
    attach = api_source.hubspot.attach_associations

    def crash(session: Any, crm: Any, objects: Any) -> None:
        if crm.name == "calls":
            raise RuntimeError("the process died")
        attach(session, crm, objects)

    monkeypatch.setattr(api_source.hubspot, "attach_associations", crash)
    with pytest.raises(PipelineStepFailed, match="the process died"):
        run(settings, crm_source(api=credentials(sandbox)))
    monkeypatch.setattr(api_source.hubspot, "attach_associations", attach)
    # ...and the re-run picks up every change, none twice.
    pipeline, load_id = run(settings, crm_source(api=credentials(sandbox)))
    for name in ("calls", "deals"):
        changed = loaded_ids(pipeline, load_id, name)
        assert len(changed) == len(set(changed))
        expected = {
            *summary.ids("crm", name, "created"),
            *summary.ids("crm", name, "updated"),
            *summary.ids("crm", name, "archived"),
        }
        assert set(changed) == expected, name
    reference = scratch_settings(tmp_path / "reference")
    run(reference, crm_source(world_copy / "crm"))
    assert snapshot(settings) == snapshot(reference)


def test_a_refused_token_fails_fast_naming_the_variable(
    sandbox: SandboxHandle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-that-must-not-leak"
    started = time.monotonic()
    with pytest.raises(PipelineStepFailed) as failure:
        run(scratch_settings(tmp_path), crm_source(api=credentials(sandbox, wrong)))
    assert time.monotonic() - started < 10
    message = str(failure.value)
    assert TOKEN_VARIABLE in message and "401" in message
    for secret in (wrong, TOKEN):
        assert secret not in message
        assert secret not in caplog.text
        assert all(secret not in repr(error) for error in causes(failure.value))
    # No retry: the resources read in parallel may each have asked once before the first
    # refusal stopped the run, none twice.
    stats = sandbox_stats(sandbox)
    assert stats["statuses"] == {"401": stats["total"]}
    assert set(stats["requests"].values()) == {1}


# --- the search's 10,000-result cap ---------------------------------------------------------

BIG = 10_050
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def big_products(stamp_of: Any) -> list[dict[str, Any]]:
    products = []
    for number in range(1, BIG + 1):
        stamp = hubspot_timestamp(stamp_of(number))
        products.append(
            {
                "id": str(number),
                "properties": {
                    "name": f"Product {number}",
                    "price": "10.00",
                    "createdate": hubspot_timestamp(T0),
                    "hs_lastmodifieddate": stamp,
                    "hs_object_id": str(number),
                },
                "createdAt": hubspot_timestamp(T0),
                "updatedAt": stamp,
                "archived": False,
            }
        )
    return products


def test_the_search_cap_is_sliced_by_time_and_by_id(tmp_path: Path) -> None:
    world = tmp_path / "big"
    for crm in CRM_TYPES:  # every type served, all empty but products
        write_jsonl(world / "crm" / crm.object_type.file_name, [])
    products = world / "crm" / "products.jsonl"
    write_jsonl(products, big_products(lambda n: T0))
    settings = scratch_settings(tmp_path)
    all_ids = sorted(str(number) for number in range(1, BIG + 1))
    with start_sandbox(world, token=TOKEN) as sandbox:
        run(settings, crm_source(api=credentials(sandbox)))
        assert len(table(settings, "products")) == BIG

        # All modified later, two per millisecond: more than one search can return.
        write_jsonl(products, big_products(lambda n: T0 + timedelta(days=1, milliseconds=n // 2)))
        pipeline, load_id = run(settings, crm_source(api=credentials(sandbox)))
        assert loaded_ids(pipeline, load_id, "products") == all_ids

        # All modified in the same millisecond: no time window is narrow enough.
        write_jsonl(products, big_products(lambda n: T0 + timedelta(days=2)))
        pipeline, load_id = run(settings, crm_source(api=credentials(sandbox)))
        assert loaded_ids(pipeline, load_id, "products") == all_ids
        stats = sandbox_stats(sandbox)
    assert "400" not in stats["statuses"], stats["statuses"]
    assert stats["requests"]["POST /crm/v3/objects/products/search"] > 2 * (BIG // 200)
    stored = table(settings, "products")
    assert {row["updated_at"] for row in stored.values()} == {T0 + timedelta(days=2)}
