"""The installed wheel: `sales-tracker demo` runs from any folder and writes only there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings
from orchestration.warehouse import query

# uv from PATH, else the one pip installs for this Python, as the Makefile finds it.
UV = [found] if (found := shutil.which("uv")) else ["python3", "-m", "uv"]


def test_the_installed_wheel_runs_the_demo_in_the_working_directory(tmp_path: Path) -> None:
    venv = install_wheel(tmp_path)
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = venv / "lib" / python / "site-packages"
    installed = package_files(site_packages)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    completed = subprocess.run(
        [str(venv / "bin" / "sales-tracker"), "demo", "--scale", "xs", "--workers", "1"],
        cwd=elsewhere,
        env=user_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert package_files(site_packages) == installed, "the run wrote into site-packages"
    warehouse = elsewhere / "warehouse" / "sales.duckdb"
    assert f"daily_refresh into duckdb {warehouse} ..." in completed.stdout
    assert (elsewhere / ".dagster" / "dagster.yaml").is_file()
    assert list((elsewhere / "dbt_target").glob("*/run_results.json"))
    settings = Settings.from_env(env={}, warehouse_path=warehouse)
    marts = query(
        settings,
        "select table_name from information_schema.tables where table_schema = 'marts'",
    )["table_name"]
    assert len(marts) > 0
    empty = [m for m in marts if query(settings, f"select count(*) from marts.{m}").iat[0, 0] == 0]
    assert not empty, f"marts without rows: {empty}"


def install_wheel(tmp_path: Path) -> Path:
    """A scratch venv holding the wheel built from this checkout and the lock's versions of
    its dependencies (from the uv cache where it has them)."""
    dist = tmp_path / "dist"
    run([*UV, "build", "--wheel", "--quiet", "--out-dir", str(dist)])
    requirements = tmp_path / "requirements.txt"
    run(
        [
            *UV,
            *("export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet"),
            *("--output-file", str(requirements)),
        ]
    )
    venv = tmp_path / "venv"
    run([*UV, "venv", "--quiet", "--python", sys.executable, str(venv)])
    (wheel,) = dist.glob("*.whl")
    python = str(venv / "bin" / "python")
    run([*UV, "pip", "install", "--quiet", "--python", python, "-r", str(requirements), str(wheel)])
    return venv


def package_files(site_packages: Path) -> dict[str, tuple[int, int]]:
    """Every file under site-packages with its size and modification time, except Python's
    bytecode cache (pip writes it at install time, `uv pip install` at first import)."""
    return {
        str(path.relative_to(site_packages)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in site_packages.rglob("*")
        if "__pycache__" not in path.parts
    }


def user_env() -> dict[str, str]:
    """This environment as a user's shell would have it: no setting of the tracker, no
    Dagster home, no active virtualenv."""
    dropped = ("DAGSTER_HOME", "VIRTUAL_ENV", "PYTHONPATH")
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SALES_TRACKER_", "DBT_")) and name not in dropped
    }


def run(command: list[str]) -> str:
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, f"{command}: {completed.stderr[-3000:]}"
    return completed.stdout.strip()
