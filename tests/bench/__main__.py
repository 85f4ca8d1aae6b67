"""`make bench`: print throughput and peak memory of each stage at named scales.

Each step runs in a fresh process (``tests/bench/steps.py``) that reports its own rows
and peak memory. Stages: generating the demo world; loading each source with the
project's dlt sources, from the exports and (CRM, payments) from the sandbox APIs, beside
the floor for the same files (DuckDB's own readers; the stdlib header parser for mail),
and the APIs again under 20% injected faults and 10 requests/s, beside the floor of the
requests they made at that rate (on those lines, rows are requests; scales xs and s).
Stage transform: dbt's fixed start-up, a full ``dbt build`` and an incremental one after
a 1% change to the sources; then the three heaviest marts alone (``dbt build`` of those
marts on the built warehouse) beside their floor, hand-written DuckDB SQL over the staged
rows (tests/bench/marts_floor), and beside their own compiled SQL run on DuckDB without
dbt (what is left is dbt's overhead, the start-up row its fixed part).
Usage: ``python -m tests.bench [--scales s,m] [--stages generate,ingest,transform] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SOURCES = ("crm", "payments", "email", "files")
API_SOURCES = ("crm", "payments")
# Scales whose API pull under faults is timed: at 10 requests/s, m's floor alone is minutes.
FAULT_SCALES = ("xs", "s")
# name, alignment and width, number format; "x floor" is seconds over the floor's seconds,
# "x sql" over those of the same marts' compiled SQL run on DuckDB without dbt
COLUMNS = (
    ("stage", "<10", ""),
    ("source", "<10", ""),
    ("mode", "<8", ""),
    ("scale", "<6", ""),
    ("rows", ">12", ","),
    ("seconds", ">9", ".1f"),
    ("rows/s", ">10", ",.0f"),
    ("peak MB", ">9", ",.0f"),
    ("x floor", ">8", ""),
    ("x sql", ">6", ""),
)


def step(*args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "tests.bench.steps", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(args)}\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def show(
    stage: str,
    source: str,
    mode: str,
    scale: str,
    figures: dict[str, Any],
    floor: dict[str, Any] | None = None,
    sql: dict[str, Any] | None = None,
) -> None:
    values = {
        "stage": stage,
        "source": source,
        "mode": mode,
        "scale": scale,
        "rows": figures["rows"],
        "seconds": figures["seconds"],
        "rows/s": figures["rows"] / figures["seconds"] if figures["seconds"] else 0,
        "peak MB": figures["peak_mb"],
        "x floor": _ratio(figures, floor),
        "x sql": _ratio(figures, sql),
    }
    print("".join(f"{values[name]:{width}{number}}" for name, width, number in COLUMNS), flush=True)


def _ratio(figures: dict[str, Any], baseline: dict[str, Any] | None) -> str:
    return f"{figures['seconds'] / baseline['seconds']:.1f}" if baseline else ""


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--scales", default="s,m", help="comma-separated scales (xs, s, m, l)")
    parser.add_argument(
        "--stages", default="generate,ingest,transform", help="generate, ingest, transform"
    )
    parser.add_argument("--out", type=Path, help="where worlds are written (default: a temp dir)")
    args = parser.parse_args()
    stages = args.stages.split(",")
    root = args.out or Path(tempfile.mkdtemp(prefix="sales-tracker-bench-"))
    print("".join(f"{name:{width}}" for name, width, _ in COLUMNS))
    try:
        for scale in args.scales.split(","):
            world = root / scale
            generated = step("generate", scale, str(world))
            if "generate" in stages:
                show("generate", "all", "-", scale, generated)
            if "ingest" in stages:
                bench_ingest(root, world, scale)
                if scale in FAULT_SCALES:
                    bench_api_faults(root, world, scale)
            if "transform" in stages:
                bench_transform(root, world, scale)
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def bench_ingest(root: Path, world: Path, scale: str) -> None:
    """Each source from its export (and API), beside the floor for the same files."""
    for source in SOURCES:
        floor = step("floor", source, str(world))
        show("floor", source, "duckdb" if source != "email" else "stdlib", scale, floor)
        for mode in ("export", "api") if source in API_SOURCES else ("export",):
            warehouse = root / f"{scale}-{source}-{mode}" / "bench.duckdb"
            loaded = step("ingest", source, str(world), str(warehouse), mode)
            show("ingest", source, mode, scale, loaded, floor)


def bench_api_faults(root: Path, world: Path, scale: str) -> None:
    """Each API pulled under 20% faults and 10 requests/s, beside its floor: the requests it
    made over the allowed rate (rows are requests on these lines)."""
    for source in API_SOURCES:
        warehouse = root / f"{scale}-{source}-faults" / "bench.duckdb"
        pulled = step("api_faults", source, str(world), str(warehouse))
        floor = {"rows": pulled["rows"], "seconds": pulled["floor_seconds"], "peak_mb": 0}
        show("floor", source, "10 rq/s", scale, floor)
        show("ingest", source, "api 20%", scale, pulled, floor)


def bench_transform(root: Path, world: Path, scale: str) -> None:
    """dbt's fixed start-up, a full build, and an incremental build after a 1% change to
    the sources (on a copy of the world: the ingest stage reads the unchanged one)."""
    changed_world = root / f"{scale}-changed-world"
    shutil.copytree(world, changed_world)
    warehouse = str(root / f"{scale}-transform" / "bench.duckdb")
    step("load_all", str(changed_world), warehouse)
    show("transform", "dbt", "startup", scale, step("transform", warehouse, "startup"))
    show("transform", "dbt", "full", scale, step("transform", warehouse, "full"))
    step("mutate", str(changed_world), "0.01")
    step("load_all", str(changed_world), warehouse)
    show("transform", "dbt", "incr 1%", scale, step("transform", warehouse, "incremental"))
    floor = step("marts_floor", warehouse)
    show("floor", "marts", "duckdb", scale, floor)
    sql = step("marts_compiled", warehouse)
    show("compiled", "marts", "duckdb", scale, sql, floor)
    show("transform", "marts", "dbt", scale, step("transform", warehouse, "marts"), floor, sql)


if __name__ == "__main__":
    sys.exit(main())
