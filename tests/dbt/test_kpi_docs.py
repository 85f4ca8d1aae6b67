"""docs/kpis.md is what `make docs` writes from the KPI doc blocks."""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

import pytest

from ingest.settings import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("dbt_manifest")

PAGE = PROJECT_ROOT / "docs" / "kpis.md"


def test_the_committed_page_is_the_rendered_blocks(
    manifest: dict[str, Any], kpi_page: ModuleType
) -> None:
    assert PAGE.read_text() == kpi_page.render(manifest), "docs/kpis.md is stale: run make docs"


def test_a_changed_definition_changes_the_page(
    manifest: dict[str, Any], kpi_page: ModuleType
) -> None:
    changed = copy.deepcopy(manifest)
    changed["docs"]["doc.sales_tracker.kpi__win_rate"]["block_contents"] = "Win rate: won / all."
    page = kpi_page.render(changed)
    assert page != PAGE.read_text()
    assert "| `kpi__win_rate` | Win rate: won / all. | `mart_rep_performance_monthly" in page


def test_the_page_has_every_section_and_says_what_is_planned(
    manifest: dict[str, Any], kpi_page: ModuleType
) -> None:
    sections = kpi_page.sections(manifest)
    assert [section.title for section in sections] == [
        "Conventions",
        "Funnel and deals",
        "Activity and responsiveness",
        "Targets, commissions and people",
        "Pipeline change, hygiene and win/loss",
        "Money after the deal",
        "Forecast",
    ]
    by_block = {d.block: d for section in sections for d in section.definitions}
    enps = by_block["kpi__enps"]
    assert enps.planned_in == "mart_enps_by_team"
    assert enps.text.startswith("eNPS: per team and survey")
    assert "| `kpi__enps` | eNPS: per team" in kpi_page.render(manifest)
    assert "planned (mart_enps_by_team)" in kpi_page.render(manifest)
    bookings = by_block["kpi__bookings"]
    assert bookings.planned_in is None
    assert "mart_team_performance_monthly.bookings_amount" in bookings.used_by
