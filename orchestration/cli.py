"""``sales-tracker``: run the pipeline from a terminal, through the same Dagster definitions."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import SalesTrackerError
from ingest.settings import IN_CHECKOUT, Settings, default_demo_dir

if TYPE_CHECKING:
    from dagster import ExecuteInProcessResult

    from demo.world import WorldSummary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sales-tracker",
        description="Sales performance tracker: load sources, build the warehouse, report KPIs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="generate the demo world, run daily_refresh on it, print KPIs"
    )
    _world_arguments(demo, default_scale="s")
    demo.add_argument(
        "--warehouse", type=Path, help="DuckDB file (default: SALES_TRACKER_WAREHOUSE)"
    )

    generate = commands.add_parser(
        "generate", help="write a demo world: exports, files and its ground-truth KPIs"
    )
    _world_arguments(generate, default_scale="s")
    generate.add_argument(
        "--dirty-rate",
        type=float,
        default=0.0,
        help="share of extra malformed records beside the good ones (CRM, Stripe, files)",
    )

    run = commands.add_parser("run", help="run daily_refresh on the configured sources, print KPIs")
    _source_arguments(run)
    _source_arguments(
        commands.add_parser(
            "ingest", help="load the configured sources into the raw datasets, nothing else"
        )
    )

    sql = commands.add_parser(
        "sql",
        help="query the warehouse, read-only: an SQL prompt, -c statements, or statements on stdin",
        description="Query the configured warehouse (SALES_TRACKER_TARGET), read-only: an "
        "interactive prompt, or the statements of -c or of stdin (exit 1 if one fails). "
        "Each statement opens the warehouse and closes it again, so a run is never kept "
        "waiting. Commands: .tables, .schema NAME, .help, .quit.",
    )
    sql.add_argument(
        "-c",
        "--command",
        dest="statements",
        metavar="SQL",
        help="run these statements (and dot commands such as .tables), print the results, exit",
    )
    sql.add_argument(
        "--max-rows",
        type=_row_count,
        default=50,
        help="rows shown of each result, the rest counted (default 50; 0: all)",
    )
    sql.add_argument(
        "--warehouse", type=Path, help="DuckDB file (default: SALES_TRACKER_WAREHOUSE)"
    )

    sandbox = commands.add_parser(
        "sandbox", help="serve a world as HubSpot- and Stripe-compatible APIs on 127.0.0.1"
    )
    sandbox.add_argument("--world", type=Path, default=default_demo_dir(), help="world folder")
    sandbox.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1")
    sandbox.add_argument("--rate-limit", type=int, help="requests per second before a 429")
    sandbox.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="share of requests answered with an injected fault",
    )
    sandbox.add_argument("--fault-seed", type=int, default=0, help="seed of injected faults")

    dev = commands.add_parser("dev", help="open the Dagster UI on this project's definitions")
    dev.add_argument("--port", type=int, default=3000, help="port of the UI on 127.0.0.1")

    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except SalesTrackerError as error:
        # The message names what to fix; a traceback would only bury it.
        print(f"sales-tracker: {error}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "dev":
        return open_ui(args.port)
    if args.command == "sandbox":
        return serve_sandbox(
            args.world, args.port, args.rate_limit, args.fault_rate, args.fault_seed
        )
    if args.command == "sql":
        from orchestration.sql_shell import run_sql_shell

        return run_sql_shell(
            Settings.from_env(warehouse_path=args.warehouse), args.statements, args.max_rows
        )
    if args.command == "generate":
        generate_demo_world(args.out, args.scale, args.seed, args.workers, args.dirty_rate)
        return 0
    if args.command == "demo":
        from demo.world.org import REP_EMAIL_DOMAIN
        from demo.world.scales import WORLD_LAST_DAY

        world = generate_demo_world(args.out, args.scale, args.seed, args.workers)
        settings = Settings.from_env(
            crm_export_dir=world.crm_dir,
            payments_export_dir=world.payments_dir,
            email_dir=world.mail_dir,
            files_dir=world.files_dir,
            company_email_domains=(REP_EMAIL_DOMAIN,),
            warehouse_path=args.warehouse,
            # The demo world stops at its last day: report open items as of it.
            as_of_date=WORLD_LAST_DAY,
        )
    else:
        settings = Settings.from_env(
            crm_export_dir=args.crm_export,
            payments_export_dir=args.payments_export,
            email_dir=args.email,
            files_dir=args.files,
            warehouse_path=args.warehouse,
        )
    if args.command == "ingest":
        return ingest(settings)
    return refresh(settings)


def _source_arguments(parser: argparse.ArgumentParser) -> None:
    """Export folders; a source without one is read from its live API when configured."""
    parser.add_argument(
        "--crm-export", type=Path, help="folder of HubSpot JSON Lines files (else the API)"
    )
    parser.add_argument(
        "--payments-export", type=Path, help="folder of Stripe JSON Lines files (else the API)"
    )
    parser.add_argument(
        "--email", type=Path, help="folder of mail: maildir/, mbox/, eml/ (else IMAP, if set)"
    )
    parser.add_argument("--files", type=Path, help="folder of dropped files (fx_rates.csv, ...)")
    parser.add_argument(
        "--warehouse", type=Path, help="DuckDB file (default: SALES_TRACKER_WAREHOUSE)"
    )


def _row_count(raw: str) -> int:
    try:
        count = int(raw)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"a number of rows, 0 or more, got {raw!r}")
    return count


def _world_arguments(parser: argparse.ArgumentParser, default_scale: str) -> None:
    parser.add_argument(
        "--scale",
        choices=["xs", "s", "m", "l"],
        default=default_scale,
        help=f"size of the world (default {default_scale}: ~20k deals)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed: same seed, same bytes")
    parser.add_argument("--out", type=Path, default=default_demo_dir(), help="where to write it")
    parser.add_argument("--workers", type=int, help="processes generating (default: all cores)")


def generate_demo_world(
    out: Path, scale: str, seed: int, workers: int | None, dirty_rate: float = 0.0
) -> WorldSummary:
    from demo.world import generate_world

    print(f"Generating the demo world (scale {scale}, seed {seed}) in {out} ...", flush=True)
    world = generate_world(out, scale, seed, dirty_rate=dirty_rate, workers=workers, progress=True)
    rate = world.rows / world.seconds if world.seconds else 0
    print(
        f"Wrote {world.rows:,} records in {world.seconds:.1f} s ({rate:,.0f} records/s): "
        + ", ".join(f"{count:,} {name}" for name, count in sorted(world.counts.items()))
    )
    if world.dirty_records:
        print(
            f"Injected {world.dirty_records:,} malformed records: "
            + ", ".join(f"{count:,} {name}" for name, count in sorted(world.dirty_counts.items()))
        )
    return world


def serve_sandbox(
    world: Path, port: int, rate_limit: int | None, fault_rate: float, fault_seed: int
) -> int:
    """Serve ``world`` until Ctrl-C; the bearer token comes from SALES_TRACKER_SANDBOX_TOKEN."""
    from demo.sandbox import Knobs, run_sandbox

    if not world.is_dir():
        print(
            f"sales-tracker: no world at {world}: run `sales-tracker generate` first",
            file=sys.stderr,
        )
        return 2
    token = os.environ.get("SALES_TRACKER_SANDBOX_TOKEN")
    if not token:
        token = secrets.token_urlsafe(24)
        # A throwaway token for a loopback sandbox; a configured one is never printed.
        print(f"No SALES_TRACKER_SANDBOX_TOKEN set; this session's token: {token}")
    knobs = Knobs(rate_limit_per_second=rate_limit, fault_rate=fault_rate, fault_seed=fault_seed)
    run_sandbox(world, port, token, knobs)
    return 0


def open_ui(port: int) -> int:
    """Start ``dagster dev`` with this project's instance, bound to loopback."""
    from orchestration.instance import prepare_dagster_home

    home = prepare_dagster_home()
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster),
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    print(f"Dagster UI on http://127.0.0.1:{port} (DAGSTER_HOME={home})", flush=True)
    # In a checkout from DAGSTER_HOME, so that Dagster does not warn about the repo's
    # dagster.yaml template; installed, from here, where the defaults of the settings lie.
    return subprocess.call(command, cwd=home if IN_CHECKOUT else None)


def refresh(settings: Settings) -> int:
    """Run the ``daily_refresh`` job in-process and print the KPI summary."""
    from orchestration.summary import kpi_summary

    return _run(settings, "daily_refresh", lambda: kpi_summary(settings, _source_names(settings)))


def ingest(settings: Settings) -> int:
    """Run the ``ingest`` job in-process and print the rows each raw table now holds."""
    from orchestration.assets.ingestion import raw_tables_by_source
    from orchestration.summary import quarantine_summary, raw_table_counts

    def summary() -> str:
        tables = raw_tables_by_source(settings)
        return (
            f"{raw_table_counts(settings, tables)}\n\n{quarantine_summary(settings, list(tables))}"
        )

    return _run(settings, "ingest", summary)


def _run(settings: Settings, job_name: str, summary: Callable[[], str]) -> int:
    """Run a job in-process with progress on the console, then print ``summary()`` (exit 0)
    or say why it failed (exit 1); the summary is read while the run still holds the
    warehouse."""
    # Imported late: loading the code location takes seconds, not needed for --help.
    from ingest.preflight import check_sources

    # Before the instance, which creates the Dagster home, and before loading Dagster (run_job
    # checks again, cheaply): a misconfigured run is refused in a second or two.
    check_sources(settings)
    from orchestration.instance import get_instance
    from orchestration.runner import failure_report, run_job

    print(f"Running {job_name} into {settings.describe()} ...", flush=True)
    started = time.monotonic()

    def report(result: ExecuteInProcessResult) -> None:
        elapsed = time.monotonic() - started
        if not result.success:
            print(f"\n{job_name} failed after {elapsed:.1f} s:", file=sys.stderr)
            for line in failure_report(result):
                print(f"- {line}", file=sys.stderr)
            return
        print(f"\n{job_name} succeeded in {elapsed:.1f} s (run {result.run_id}).\n")
        print(summary())

    result = run_job(settings, job_name, get_instance(), after_run=report)
    return 0 if result.success else 1


def _source_names(settings: Settings) -> list[str]:
    from orchestration.assets.ingestion import raw_tables_by_source

    return list(raw_tables_by_source(settings))


if __name__ == "__main__":
    sys.exit(main())
