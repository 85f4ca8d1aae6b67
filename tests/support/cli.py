"""Running the `sales-tracker` command as a user would, isolated from this shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from demo.world import WorldSummary
from ingest.settings import DAGSTER_YAML

CLI = Path(sys.executable).with_name("sales-tracker")


def cli_env(dagster_home: Path, **settings: str) -> dict[str, str]:
    """This environment without any SALES_TRACKER_ variable, plus ``settings`` (given
    without the prefix) and a Dagster home of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALES_TRACKER_")}
    dagster_home.mkdir(parents=True, exist_ok=True)
    env["DAGSTER_HOME"] = str(dagster_home)
    env.update({f"SALES_TRACKER_{name.upper()}": value for name, value in settings.items()})
    return env


def home_with_pools(folder: Path) -> Path:
    """A Dagster home in ``folder`` holding the project's dagster.yaml, so the warehouse
    pool has one slot, as in a checkout."""
    home = folder / "dagster_home"
    home.mkdir(parents=True)
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    return home


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )


def world_sources(world: WorldSummary, warehouse: Path) -> list[str]:
    """The flags that point every source of a generated world, and the warehouse."""
    return [
        *("--crm-export", str(world.crm_dir)),
        *("--payments-export", str(world.payments_dir)),
        *("--email", str(world.mail_dir)),
        *("--files", str(world.files_dir)),
        *("--warehouse", str(warehouse)),
    ]
