"""Wheel build hook: the wheel carries the files the installed tracker reads at run time.

`dagster.yaml` and the dbt manifest (which dagster-dbt loads at import) go into
`orchestration/bundled/`, beside the dbt project. Only the standard wheel gets them: the
editable install of a checkout reads the repository's own files, and a fresh checkout has
no manifest before `dbt parse`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLED = "orchestration/bundled"
RUN_TIME_FILES = {
    "dagster.yaml": f"{BUNDLED}/dagster.yaml",
    "dbt_project/target/manifest.json": f"{BUNDLED}/dbt_project/target/manifest.json",
}


class BundleRunTimeFiles(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version != "standard":
            return
        for source, target in RUN_TIME_FILES.items():
            if not (Path(self.root) / source).is_file():
                raise FileNotFoundError(f"{source} is missing: build the wheel with `make wheel`")
            build_data["force_include"][source] = target
