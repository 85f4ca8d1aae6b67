"""``sales-tracker``: run the pipeline from a terminal, through the same Dagster definitions."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings, SettingsError

DEFAULT_DEMO_DIR = PROJECT_ROOT / "warehouse" / "demo_export"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sales-tracker",
        description="Sales performance tracker: load sources, build the warehouse, report KPIs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="write the demo world, run daily_refresh on it, print KPIs"
    )
    demo.add_argument(
        "--out", type=Path, default=DEFAULT_DEMO_DIR, help="where to write the demo export"
    )
    demo.add_argument("--seed", type=int, default=7, help="seed of the demo world")
    demo.add_argument(
        "--warehouse", type=Path, help="DuckDB file (default: SALES_TRACKER_WAREHOUSE)"
    )

    run = commands.add_parser("run", help="run daily_refresh on the configured sources, print KPIs")
    run.add_argument("--crm-export", type=Path, help="folder of HubSpot JSON Lines files")
    run.add_argument(
        "--warehouse", type=Path, help="DuckDB file (default: SALES_TRACKER_WAREHOUSE)"
    )

    dev = commands.add_parser("dev", help="open the Dagster UI on this project's definitions")
    dev.add_argument("--port", type=int, default=3000, help="port of the UI on 127.0.0.1")

    args = parser.parse_args(argv)
    if args.command == "dev":
        return open_ui(args.port)
    try:
        if args.command == "demo":
            from ingest.demo.world import write_demo_world

            print(f"Writing the demo world (seed {args.seed}) to {args.out} ...", flush=True)
            crm_export = write_demo_world(args.out, seed=args.seed)
            settings = Settings.from_env(crm_export_dir=crm_export, warehouse_path=args.warehouse)
        else:
            settings = Settings.from_env(
                crm_export_dir=args.crm_export, warehouse_path=args.warehouse
            )
    except SettingsError as error:
        print(f"sales-tracker: {error}", file=sys.stderr)
        return 2
    return refresh(settings)


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
    # From DAGSTER_HOME, so that Dagster does not warn about the repo's dagster.yaml template.
    return subprocess.call(command, cwd=home)


def refresh(settings: Settings) -> int:
    """Run the ``daily_refresh`` job in-process and print the KPI summary."""
    # Imported late: loading the code location takes seconds, not needed for --help.
    from orchestration.instance import get_instance
    from orchestration.runner import failure_report, run_daily_refresh
    from orchestration.summary import kpi_summary

    print(f"Running daily_refresh into {settings.describe()} ...", flush=True)
    started = time.monotonic()
    result = run_daily_refresh(settings, get_instance())
    elapsed = time.monotonic() - started
    if not result.success:
        print(f"\ndaily_refresh failed after {elapsed:.1f} s:", file=sys.stderr)
        for line in failure_report(result):
            print(f"- {line}", file=sys.stderr)
        return 1
    print(f"\ndaily_refresh succeeded in {elapsed:.1f} s (run {result.run_id}).\n")
    print(kpi_summary(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
