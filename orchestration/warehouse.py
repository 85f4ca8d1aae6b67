"""Short-lived reads of the warehouse for checks and summaries.

DuckDB lets one process hold the file: connections are opened per query and closed at
once, and never while a writer (dlt, dbt) runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd

from ingest.settings import Settings


@contextmanager
def connect(settings: Settings) -> Iterator[Any]:
    """A DB-API connection to the configured warehouse, read-only where the engine allows."""
    if settings.target == "postgres":
        import psycopg2

        assert settings.postgres is not None
        pg = settings.postgres
        connection = psycopg2.connect(
            host=pg.host, port=pg.port, user=pg.user, password=pg.password, dbname=pg.database
        )
        connection.set_session(readonly=True, autocommit=True)
    else:
        import duckdb

        connection = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        yield connection
    finally:
        connection.close()


def query(settings: Settings, sql: str, parameters: Sequence[Any] = ()) -> pd.DataFrame:
    """Run one query and return its rows as a frame (parameters use ``%s`` placeholders)."""
    with connect(settings) as connection:
        cursor = connection.cursor()
        if settings.target != "postgres":
            sql = sql.replace("%s", "?")
        cursor.execute(sql, list(parameters))
        columns = [description[0] for description in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def table_exists(settings: Settings, schema: str, table: str) -> bool:
    found = query(
        settings,
        "select count(*) as found from information_schema.tables "
        "where table_schema = %s and table_name = %s",
        [schema, table],
    )
    return bool(found["found"].iloc[0])
