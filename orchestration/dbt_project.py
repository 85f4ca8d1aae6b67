"""The dbt project as Dagster sees it. Its manifest is prepared by the build (`make`)."""

from __future__ import annotations

from dagster_dbt import DbtProject

from ingest.settings import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
