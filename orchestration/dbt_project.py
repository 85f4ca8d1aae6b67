"""The dbt project as Dagster sees it.

Its manifest is prepared by the build (`make`) and shipped in the wheel (`make wheel`): it is
read at import, never written at run time, when runs write their artifacts elsewhere
(``Settings.dbt_target_dir``).
"""

from __future__ import annotations

from dagster_dbt import DbtProject

from ingest.settings import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
