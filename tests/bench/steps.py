"""One benchmark step per process: ``python -m tests.bench.steps STEP ARGS...``.

Each step prints one JSON line with its row count, its seconds (after the imports: the
libraries' start-up is a fixed cost, not throughput) and its own peak memory (this
process and its children, e.g. the generator's workers), so steps never see each
other's peaks.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any

import dlt  # noqa: F401  (imported before the clock starts)
import duckdb

from demo.sandbox import Knobs, start_sandbox
from demo.sandbox.mutate import mutate_world
from demo.world import generate_world
from demo.world.org import REP_EMAIL_DOMAIN
from demo.world.scales import WORLD_LAST_DAY
from ingest.crm import crm_source
from ingest.files import files_source
from ingest.mail import mail_source
from ingest.payments import payments_source
from ingest.pipeline import make_pipeline
from ingest.settings import DBT_PROJECT_DIR, ApiCredentials, Settings

TOKEN = "bench-token"
SOURCES = ("crm", "payments", "email", "files")
DBT_SCHEMAS = ("staging", "intermediate", "core", "marts")
MARTS_PATH = "models/marts"
MARTS_FLOOR_DIR = Path(__file__).with_name("marts_floor")
# The marts the transform stage times on their own, each beside its floor: the three
# heaviest by dbt's build time at scale s (daily pipeline, lead response, lead conversion).
FLOOR_MARTS = tuple(sorted(script.stem for script in MARTS_FLOOR_DIR.glob("*.sql")))
FLOOR_STAGING = "floor_staging"
# Open items are reported as of one fixed day, for the marts and their floors alike, so
# the figures do not move with the calendar: the day the 1% change is stamped (just after
# the world's end).
AS_OF_DATE = WORLD_LAST_DAY + timedelta(days=1)


def generate(scale: str, out: str) -> dict[str, Any]:
    world = generate_world(Path(out), scale, 7)
    return {"rows": world.rows, "deals": world.counts["deals"]}


def ingest(source: str, world: str, warehouse: str, mode: str) -> dict[str, Any]:
    """Load one source of the world with the project's own dlt source and pipeline."""
    folder = Path(world)
    settings = Settings.from_env(env={}, warehouse_path=Path(warehouse))
    if mode == "api":
        with start_sandbox(folder, token=TOKEN) as handle:
            api = ApiCredentials(handle.base_url, TOKEN, "SALES_TRACKER_BENCH_TOKEN")
            return _run(make_pipeline(settings, source), _source(source, folder, api))
    return _run(make_pipeline(settings, source), _source(source, folder, None))


# The sandbox under faults, as the issue measured it: a fifth of the requests fail (5xx,
# truncated bodies, answers held past the client's timeout) and 10 are admitted a second.
FAULT_RATE = 0.2
RATE_LIMIT_PER_SECOND = 10
# A short client timeout, the fault holding its answer just past it: the client's waits are
# measured, not a fixed 30 s per held answer.
FAULT_CLIENT_TIMEOUT_SECONDS = 2.0
FAULT_HOLD_SECONDS = 2.5
# At one failure in five, 6 tries of a request all fail once in 15,625: a pull of thousands
# of requests (scale s) would fail a third of the time. 10 tries: once in ~10 million.
FAULT_MAX_ATTEMPTS = 10


def api_faults(source: str, world: str, warehouse: str) -> dict[str, Any]:
    """Pull one source from the sandbox under faults and its rate limit (dlt's extract
    step, timed), then load it; report the requests made and their floor: the seconds the
    rate limit alone needs for them."""
    settings = Settings.from_env(env={}, warehouse_path=Path(warehouse))
    knobs = Knobs(
        rate_limit_per_second=RATE_LIMIT_PER_SECOND,
        fault_rate=FAULT_RATE,
        timeout_delay_seconds=FAULT_HOLD_SECONDS,
    )
    with start_sandbox(Path(world), token=TOKEN, knobs=knobs) as handle:
        api = ApiCredentials(
            handle.base_url,
            TOKEN,
            "SALES_TRACKER_BENCH_TOKEN",
            FAULT_CLIENT_TIMEOUT_SECONDS,
            FAULT_MAX_ATTEMPTS,
        )
        pipeline, dlt_source = make_pipeline(settings, source), _source(source, Path(world), api)
        started = time.monotonic()
        pipeline.extract(dlt_source)  # the pull; normalizing and loading call no API
        seconds = time.monotonic() - started
        requests = handle.state.stats.snapshot()["total"]
    pipeline.normalize()
    pipeline.load()
    return {
        "rows": requests,
        "timed_seconds": seconds,
        "floor_seconds": requests / RATE_LIMIT_PER_SECOND,
    }


def _source(name: str, world: Path, api: ApiCredentials | None) -> Any:
    if name == "crm":
        return crm_source(None, api) if api else crm_source(world / "crm")
    if name == "payments":
        return payments_source(None, api) if api else payments_source(world / "payments")
    if name == "email":
        return mail_source(world / "mail", None, (REP_EMAIL_DOMAIN,))
    return files_source(world / "files")


def _run(pipeline: Any, source: Any) -> dict[str, Any]:
    pipeline.run(source)
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {"rows": sum(n for table, n in counts.items() if not table.startswith("_dlt"))}


def load_all(world: str, warehouse: str) -> dict[str, Any]:
    """Every source's export into one warehouse, as a run of the job loads them."""
    settings = Settings.from_env(env={}, warehouse_path=Path(warehouse))
    rows = 0
    for source in SOURCES:
        rows += _run(make_pipeline(settings, source), _source(source, Path(world), None))["rows"]
    return {"rows": rows}


def mutate(world: str, fraction: str) -> dict[str, Any]:
    """Change ``fraction`` of the CRM and Stripe records, as a day of work would."""
    summary = mutate_world(Path(world), seed=99, fraction=float(fraction))
    systems = (summary.crm, summary.payments)
    changed = [ids for system in systems for kinds in system.values() for ids in kinds.values()]
    return {"rows": sum(len(ids) for ids in changed)}


def transform(warehouse: str, mode: str) -> dict[str, Any]:
    """``dbt build`` as the job runs it, in its own process: ``startup`` selects nothing
    (dbt's fixed cost: start, parse, connect), ``full`` rebuilds everything
    (``--full-refresh``), ``incremental`` builds what changed since the last build,
    ``marts`` rebuilds only the floored marts (FLOOR_MARTS) on the built warehouse."""
    arguments = ["--exclude-resource-type", "unit_test"]
    arguments += {
        "startup": ["--select", "path:no_such_model"],
        "full": ["--full-refresh"],
        "marts": ["--select", *FLOOR_MARTS, "--exclude-resource-type", "test"],
    }.get(mode, [])
    with tempfile.TemporaryDirectory() as scratch:
        _dbt(warehouse, "build", scratch, *arguments)
    if mode == "startup":
        return {"rows": 0}
    with duckdb.connect(warehouse, read_only=True) as connection:
        if mode == "marts":
            return {"rows": _rows(connection, [f"marts.{mart}" for mart in FLOOR_MARTS])}
        return {"rows": _rows(connection, _base_tables(connection, DBT_SCHEMAS))}


def marts_floor(warehouse: str) -> dict[str, Any]:
    """The floored marts by hand: each one's DuckDB script (tests/bench/marts_floor) over
    the staged rows, materialized as tables first (not timed), as a by-hand warehouse
    would keep them. The scripts read the as-of date from a DuckDB variable."""
    with duckdb.connect(warehouse) as connection:
        connection.execute(f"set variable as_of_date = date '{AS_OF_DATE.isoformat()}'")
        connection.execute(f"create or replace schema {FLOOR_STAGING}")
        for view in _staging_views(connection):
            connection.execute(
                f"create table {FLOOR_STAGING}.{view} as select * from staging.{view}"
            )
        scripts = {mart: (MARTS_FLOOR_DIR / f"{mart}.sql").read_text() for mart in FLOOR_MARTS}
        staged = {
            mart: sql.replace("staging.", f"{FLOOR_STAGING}.") for mart, sql in scripts.items()
        }
        figures = _create_tables(connection, "floor", staged)
        connection.execute(f"drop schema {FLOOR_STAGING} cascade")
    return figures


def marts_compiled(warehouse: str) -> dict[str, Any]:
    """The floored marts' own SQL as dbt compiles it, run straight on DuckDB over the
    built warehouse: beside ``transform marts``, what dbt adds to its SQL's work. The
    compile is not timed."""
    with tempfile.TemporaryDirectory() as scratch:
        _dbt(
            warehouse, "compile", scratch, "--select", *FLOOR_MARTS, "--indirect-selection", "empty"
        )
        compiled = Path(scratch, "compiled", "sales_tracker", MARTS_PATH)
        # The marts sit in folders by area (models/marts/<area>/).
        files = {path.stem: path for path in compiled.rglob("mart_*.sql")}
        queries = {mart: files[mart].read_text() for mart in FLOOR_MARTS}
    with duckdb.connect(warehouse) as connection:
        return _create_tables(connection, "compiled", queries)


def _dbt(warehouse: str, command: str, scratch: str, *arguments: str) -> None:
    """One dbt invocation with the bench's settings, its artifacts and logs in ``scratch``.
    Its output goes to stderr (shown if the step fails): stdout is the step's JSON line."""
    settings = Settings.from_env(env={}, warehouse_path=Path(warehouse), as_of_date=AS_OF_DATE)
    executable = str(Path(sys.executable).parent / "dbt")
    variables = json.dumps(settings.dbt_vars())
    options = ["--quiet", "--vars", variables, "--target-path", scratch, "--log-path", scratch]
    subprocess.run(
        [executable, command, *options, *arguments],
        cwd=DBT_PROJECT_DIR,
        check=True,
        stdout=sys.stderr,
    )


def _create_tables(
    connection: duckdb.DuckDBPyConnection, schema: str, queries: dict[str, str]
) -> dict[str, Any]:
    """Each query as a table of a fresh ``schema`` (dropped after), timed and counted."""
    connection.execute(f"create or replace schema {schema}")
    started = time.monotonic()
    for name, query in queries.items():
        connection.execute(f"create table {schema}.{name} as (\n{query.rstrip().rstrip(';')}\n)")
    seconds = time.monotonic() - started
    rows = _rows(connection, [f"{schema}.{name}" for name in queries])
    connection.execute(f"drop schema {schema} cascade")
    return {"rows": rows, "timed_seconds": seconds}


def _staging_views(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        view
        for (view,) in connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'staging' and table_type = 'VIEW'"
        ).fetchall()
    ]


def _base_tables(connection: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[str]:
    listed = ", ".join(f"'{schema}'" for schema in schemas)
    return [
        f'"{schema}"."{table}"'
        for schema, table in connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_type = 'BASE TABLE' and table_schema in ({listed})"
        ).fetchall()
    ]


def _rows(connection: duckdb.DuckDBPyConnection, tables: list[str]) -> int:
    return sum(
        connection.execute(f"select count(*) from {table}").fetchone()[0] for table in tables
    )


def floor(source: str, world: str) -> dict[str, Any]:
    """The same files read by the plainest tool: DuckDB's readers for JSON Lines and CSV,
    a bare loop of the standard library's header parser for mail."""
    folder = Path(world)
    if source == "email":
        return {"rows": _parse_mail_headers(folder / "mail")}
    connection = duckdb.connect(":memory:")
    subdir, pattern, reader = {
        "crm": ("crm", "*.jsonl", "read_json('{}', format = 'newline_delimited')"),
        "payments": ("payments", "*.jsonl", "read_json('{}', format = 'newline_delimited')"),
        "files": ("files", "*.csv", "read_csv('{}')"),
    }[source]
    rows = 0
    for number, path in enumerate(sorted((folder / subdir).glob(pattern))):
        connection.execute(f"create table t{number} as select * from {reader.format(path)}")
        rows += connection.execute(f"select count(*) from t{number}").fetchone()[0]
    return {"rows": rows}


def _parse_mail_headers(mail_dir: Path) -> int:
    parser = BytesHeaderParser(policy=compat32)
    count = 0
    for path in mail_dir.glob("maildir/*/*/*"):
        with path.open("rb") as handle:
            parser.parse(handle)
        count += 1
    for path in mail_dir.glob("mbox/*.mbox"):
        message: list[bytes] = []
        with path.open("rb") as handle:
            for line in handle:
                if line.startswith(b"From ") and message:
                    parser.parsebytes(b"".join(message))
                    count += 1
                    message = []
                elif not line.startswith(b"From "):
                    message.append(line)
        if message:
            parser.parsebytes(b"".join(message))
            count += 1
    return count


def main() -> None:
    step, *args = sys.argv[1:]
    started = time.monotonic()
    steps = {
        "generate": generate,
        "ingest": ingest,
        "api_faults": api_faults,
        "floor": floor,
        "load_all": load_all,
        "mutate": mutate,
        "transform": transform,
        "marts_floor": marts_floor,
        "marts_compiled": marts_compiled,
    }
    figures = steps[step](*args)
    # A step that prepares before its clock starts reports the timed part itself.
    figures["seconds"] = figures.pop("timed_seconds", time.monotonic() - started)
    peaks = [
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    ]
    figures["peak_mb"] = max(peaks) / 1024
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
