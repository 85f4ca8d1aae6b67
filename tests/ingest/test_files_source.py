"""The files source: every dropped file against its declared schema, through real dlt loads."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from demo.world import generate_world
from ingest.errors import InvalidFileError
from ingest.files import FILE_TABLES, files_source
from ingest.files.commission_plan import read_commission_plans
from ingest.files.csv_files import read_csv_file
from ingest.files.source import QUOTAS
from ingest.pipeline import make_pipeline
from tests.conftest import scratch_settings


def load(tmp_path: Path, files_dir: Path) -> duckdb.DuckDBPyConnection:
    settings = scratch_settings(tmp_path)
    make_pipeline(settings, "files").run(files_source(files_dir))
    return duckdb.connect(str(settings.warehouse_path), read_only=True)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def counts(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        table: connection.execute(f"select count(*) from raw_files.{table}").fetchone()[0]
        for table in FILE_TABLES
    }


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("worlds")
    clean = generate_world(root / "clean", "xs", 5, workers=1)
    dirty = generate_world(root / "dirty", "xs", 5, dirty_rate=0.3, workers=1)
    return clean.files_dir, dirty.files_dir


def test_demo_files_load_whole_and_a_second_load_changes_nothing(
    tmp_path: Path, worlds: tuple[Path, Path]
) -> None:
    files_dir = worlds[0]
    settings = scratch_settings(tmp_path)
    pipeline = make_pipeline(settings, "files")
    pipeline.run(files_source(files_dir))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        first = counts(connection)
        quota_total = connection.execute(
            "select sum(cast(quota_amount as decimal(18, 2))) from raw_files.quotas"
        ).fetchone()[0]
        tiers = connection.execute(
            "select from_attainment, rate from raw_files.commission_plan_tiers order by tier_number"
        ).fetchall()
    for table in ("fx_rates", "quotas", "rep_roster", "survey_responses"):
        assert first[table] == len(csv_rows(files_dir / f"{table}.csv")), table
    assert quota_total == sum(
        float(row["quota_amount"]) for row in csv_rows(files_dir / "quotas.csv")
    )
    assert first["commission_plans"] == 1
    assert tiers == [("0.0", "0.05"), ("0.5", "0.08"), ("1.0", "0.12")]
    pipeline.run(files_source(files_dir))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        assert counts(connection) == first


def test_every_malformed_row_is_quarantined_with_its_reason(
    tmp_path: Path, worlds: tuple[Path, Path]
) -> None:
    clean_dir, dirty_dir = worlds
    with load(tmp_path / "clean", clean_dir) as connection:
        clean = counts(connection)
    with load(tmp_path / "dirty", dirty_dir) as connection:
        assert counts(connection) == clean  # the malformed copies never load
        rejects = connection.execute(
            "select object_type, reason, count(*) from raw_files.rejects group by all"
        ).fetchall()
    extra = {
        table: len(csv_rows(dirty_dir / f"{table}.csv")) - len(csv_rows(clean_dir / f"{table}.csv"))
        for table in ("fx_rates", "quotas", "rep_roster", "survey_responses")
    }
    quarantined: dict[str, int] = {}
    for object_type, reason, count in rejects:
        quarantined[object_type] = quarantined.get(object_type, 0) + count
        assert ":" in reason and reason.split(":")[0] in {
            "rep_email",
            "month",
            "quota_amount",
            "units_per_usd",
            "date",
            "score",
            "survey_date",
            "valid_from",
        }, reason
    assert quarantined == {table: count for table, count in extra.items() if count}


def test_a_duplicate_key_is_rejected_naming_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "quotas.csv"
    path.write_text(
        "rep_email,month,quota_amount,currency_code\n"
        "A@x.example,2026-01,1000,USD\n"
        "b@x.example,2026-01,2000,USD\n"
        "a@x.example,2026-01,1500,USD\n"
        "c@x.example,2026-02,-5,USD\n"
    )
    batch = read_csv_file(path, QUOTAS)
    assert batch.rows.column("rep_email").to_pylist() == ["a@x.example", "b@x.example"]
    reasons = dict(
        zip(
            batch.rejects.column("line_number").to_pylist(),
            batch.rejects.column("reason").to_pylist(),
            strict=True,
        )
    )
    assert reasons == {
        4: "duplicate key (rep_email, month) of line 2",
        5: "quota_amount: a negative amount: '-5'",
    }


def test_a_file_without_a_declared_column_fails_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "quotas.csv"
    path.write_text("rep_email,month,amount\na@x.example,2026-01,1000\n")
    with pytest.raises(InvalidFileError, match="missing column\\(s\\) quota_amount, currency_code"):
        read_csv_file(path, QUOTAS)


def test_a_bad_commission_plan_is_quarantined_whole_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "commission_plan.yaml"
    path.write_text(
        "plan: good\ncurrency: USD\ncommissionable_base: collected_cash\npayout_period: quarter\n"
        "method: flat\ntiers: [{from: 0, rate: 0.1}]\n"
        "---\n"
        "plan: bad\ncurrency: dollars\ncommissionable_base: margin\npayout_period: month\n"
        "method: marginal\ncap_amount: -1\n"
        "tiers: [{from: 0.2, rate: 0.1}, {from: 0.1, rate: 1.5}]\n"
    )
    batch = read_commission_plans(path)
    assert batch.plans.column("plan").to_pylist() == ["good"]
    assert batch.tiers.num_rows == 1
    [reason] = batch.rejects.column("reason").to_pylist()
    for problem in (
        "currency: expected an ISO 4217 code",
        "commissionable_base: expected one of bookings, collected_cash, got 'margin'",
        "cap_amount: expected a positive number",
        "tiers[1].from: the first tier must start at 0",
        "tiers[2].from: tiers must rise",
        "tiers[2].rate: expected a fraction from 0 to 1",
    ):
        assert problem in reason


def test_missing_files_leave_empty_tables(tmp_path: Path, worlds: tuple[Path, Path]) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(worlds[0] / "fx_rates.csv", partial)
    with load(tmp_path, partial) as connection:
        loaded = counts(connection)
    assert loaded["fx_rates"] > 0
    assert {table: n for table, n in loaded.items() if table != "fx_rates"} == dict.fromkeys(
        set(FILE_TABLES) - {"fx_rates"}, 0
    )
