"""``sales-tracker``: run the pipeline from a terminal, through the same Dagster definitions."""

from __future__ import annotations

import argparse
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

    args = parser.parse_args(argv)
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


def refresh(settings: Settings) -> int:
    """Run the ``daily_refresh`` job in-process and print the KPI summary."""
    # Imported late: loading the code location takes seconds, not needed for --help.
    from orchestration.definitions import build_definitions
    from orchestration.instance import get_instance
    from orchestration.summary import kpi_summary

    print(f"Running daily_refresh into {settings.describe()} ...", flush=True)
    started = time.monotonic()
    job = build_definitions(settings).resolve_job_def("daily_refresh")
    result = job.execute_in_process(instance=get_instance(), raise_on_error=False)
    elapsed = time.monotonic() - started
    failed_checks = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity.value == "ERROR"
    ]
    if not result.success:
        print(f"\ndaily_refresh failed after {elapsed:.1f} s:", file=sys.stderr)
        for event in result.get_step_failure_events():
            error = event.step_failure_data.error
            message = error.message.strip() if error else "unknown error"
            print(f"- step {event.step_key}: {message}", file=sys.stderr)
        for evaluation in failed_checks:
            print(
                f"- check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} failed",
                file=sys.stderr,
            )
        return 1
    print(f"daily_refresh succeeded in {elapsed:.1f} s (run {result.run_id}).\n")
    print(kpi_summary(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
