"""The Dagster instance: the repo's dagster.yaml, with its storage under ``.dagster/``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster import DagsterInstance

from ingest.settings import PROJECT_ROOT

DAGSTER_YAML = PROJECT_ROOT / "dagster.yaml"
DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster"


def prepare_dagster_home() -> Path:
    """Point DAGSTER_HOME at ``.dagster/`` (unless set) holding the repo's dagster.yaml.

    Dagster reads dagster.yaml from DAGSTER_HOME and writes its run storage there, so the
    checked-in file is copied into a git-ignored folder rather than storing runs in the repo.
    """
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if home == DEFAULT_DAGSTER_HOME and (
        not target.exists() or target.read_bytes() != DAGSTER_YAML.read_bytes()
    ):
        shutil.copyfile(DAGSTER_YAML, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance() -> DagsterInstance:
    prepare_dagster_home()
    return DagsterInstance.get()
