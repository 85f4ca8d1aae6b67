"""The bench's floors compute their marts: each hand-written DuckDB query over staging
(tests/bench/marts_floor) returns exactly its mart's rows on the xs world, so the bench
compares equal work. Only the heaviest marts keep a floor, a performance anchor: the
marts' correctness is proved against the demo world's ground truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from demo.world.scales import WORLD_LAST_DAY
from ingest.settings import DBT_PROJECT_DIR
from tests.bench.steps import MARTS_FLOOR_DIR, MARTS_PATH
from tests.conftest import DemoWarehouses

FLOORS = sorted(MARTS_FLOOR_DIR.glob("*.sql"))
MOST_FLOORS = 3
SHOWN = 3


def test_a_few_marts_have_a_floor() -> None:
    marts = {path.stem for path in (DBT_PROJECT_DIR / MARTS_PATH).rglob("mart_*.sql")}
    assert {path.stem for path in FLOORS} <= marts
    assert 0 < len(FLOORS) <= MOST_FLOORS


@pytest.mark.parametrize("script", FLOORS, ids=lambda path: path.stem)
def test_the_floor_returns_its_marts_rows(demo_warehouses: DemoWarehouses, script: Path) -> None:
    floor_sql, mart = script.read_text(), f"marts.{script.stem}"
    warehouse = str(demo_warehouses.duckdb.warehouse_path)
    with duckdb.connect(warehouse, read_only=True) as connection:
        connection.execute(f"set variable as_of_date = date '{WORLD_LAST_DAY.isoformat()}'")
        assert connection.sql(floor_sql).columns == connection.sql(f"from {mart}").columns
        only_in_floor = connection.sql(f"({floor_sql}\n) except all from {mart}").fetchall()
        only_in_mart = connection.sql(f"from {mart} except all ({floor_sql}\n)").fetchall()
        rows = connection.execute(f"select count(*) from {mart}").fetchone()[0]
    assert not only_in_floor and not only_in_mart, (
        f"{script.stem} ({rows} rows): {len(only_in_floor)} rows only in the floor, "
        f"e.g. {only_in_floor[:SHOWN]}; {len(only_in_mart)} only in the mart, "
        f"e.g. {only_in_mart[:SHOWN]}"
    )
