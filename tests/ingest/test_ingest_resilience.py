"""A load killed mid-run (SIGKILL) and run again leaves the raw data of one clean run."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import duckdb

from demo.world import generate_world
from tests.support.cli import CLI, cli_env, run_cli, world_sources

DATASETS = ("raw_crm", "raw_payments", "raw_email", "raw_files")


def raw_data(warehouse: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows, without dlt's own load bookkeeping, sorted."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {DATASETS} and table_name not like '_dlt%'"
        ).fetchall()
        data = {}
        for schema, table in tables:
            columns = [
                name
                for (name,) in connection.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if not name.startswith("_dlt")
            ]
            select = ", ".join(f'"{name}"' for name in columns)
            rows = connection.execute(f"select {select} from {schema}.{table}").fetchall()
            data[f"{schema}.{table}"] = sorted(rows, key=repr)
    return data


def environment(folder: Path) -> dict[str, str]:
    return cli_env(folder / "dagster_home", company_email_domains="demo-sales.example")


def test_a_killed_load_run_again_equals_one_clean_run(tmp_path: Path) -> None:
    world = generate_world(tmp_path / "world", "xs", 7, workers=1)
    clean_warehouse = tmp_path / "clean" / "sales.duckdb"
    started = time.monotonic()
    clean_env = environment(tmp_path / "clean")
    clean = run_cli(["ingest", *world_sources(world, clean_warehouse)], clean_env)
    took = time.monotonic() - started
    assert clean.returncode == 0, clean.stderr[-3000:]

    warehouse = tmp_path / "killed" / "sales.duckdb"
    env = environment(tmp_path / "killed")
    # Killed halfway through a clean run's time: inside the loads whatever the machine's
    # speed. Wherever it lands, the re-run must give the same raw data.
    killed = subprocess.Popen(
        [str(CLI), "ingest", *world_sources(world, warehouse)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(took / 2)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    rerun = run_cli(["ingest", *world_sources(world, warehouse)], env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    expected, actual = raw_data(clean_warehouse), raw_data(warehouse)
    assert set(actual) == set(expected)
    assert {"raw_crm.deals", "raw_payments.invoices", "raw_email.messages"} <= set(actual)
    for table, rows in expected.items():
        assert actual[table] == rows, table
