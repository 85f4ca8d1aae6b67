"""The PostgreSQL target, chosen from the environment as a deployment sets it, on the xs
demo world: every dbt relation equals DuckDB's (tests/dbt/test_cross_target_parity.py) and
the same malformed records are quarantined, none lost."""

from __future__ import annotations

import pytest

from ingest.exports import REJECTS_TABLE
from ingest.pipeline import raw_dataset
from ingest.settings import Settings
from orchestration.warehouse import query, table_exists
from tests.conftest import DemoWarehouses

pytestmark = pytest.mark.postgres

SOURCES = ("crm", "payments", "email", "files")


def rejects_by_object_type(settings: Settings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for source in SOURCES:
        dataset = raw_dataset(source)
        if table_exists(settings, dataset, REJECTS_TABLE):
            frame = query(
                settings,
                f"select object_type, count(*) as n from {dataset}.{REJECTS_TABLE} "
                "group by object_type",
            )
            counts.update({kind: int(n) for kind, n in frame.itertuples(index=False)})
    return counts


def test_postgres_quarantines_every_malformed_record_as_duckdb_does(
    demo_warehouses: DemoWarehouses,
) -> None:
    postgres = demo_warehouses.postgres
    assert postgres.target == "postgres"
    assert demo_warehouses.world.dirty_counts, "the world has malformed records to catch"
    on_postgres = rejects_by_object_type(postgres)
    assert on_postgres == demo_warehouses.world.dirty_counts
    assert rejects_by_object_type(demo_warehouses.duckdb) == on_postgres
    # Nothing was written to the DuckDB file the settings would default to.
    assert not postgres.warehouse_path.exists()
