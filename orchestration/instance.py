"""The Dagster instance: the project's dagster.yaml, with its storage under ``.dagster/``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster import DagsterInstance

from ingest.settings import DAGSTER_YAML, default_dagster_home


def prepare_dagster_home() -> Path:
    """Point DAGSTER_HOME at ``.dagster/`` (unless set) holding the project's dagster.yaml.

    Dagster reads dagster.yaml from DAGSTER_HOME and writes its run storage there, so the
    shipped file is copied into a folder of its own (git-ignored in a checkout) rather than
    storing runs beside it.
    """
    default_home = default_dagster_home()
    home = Path(os.environ.get("DAGSTER_HOME") or default_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if home == default_home and (
        not target.exists() or target.read_bytes() != DAGSTER_YAML.read_bytes()
    ):
        shutil.copyfile(DAGSTER_YAML, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance() -> DagsterInstance:
    prepare_dagster_home()
    return DagsterInstance.get()
