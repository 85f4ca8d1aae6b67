"""Every mart, built by the real pipeline from the demo world, held against its ground truth.

The ground truth is computed by the generator from its own facts (demo/truth/), never
from the exports or through SQL. Scale xs runs every source through
the daily_refresh job; scale s is the warehouse `sales-tracker demo` builds.
"""

from __future__ import annotations

import pytest

from tests.conftest import CliDemo, DemoWarehouses
from tests.support.marts import MARTS, MartTruth, mismatches

SHOWN = 20


def assert_equals_the_truth(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:SHOWN])


@pytest.mark.parametrize("spec", MARTS, ids=lambda spec: spec.mart)
def test_mart_equals_the_truth_at_xs(demo_warehouses: DemoWarehouses, spec: MartTruth) -> None:
    assert_equals_the_truth(
        mismatches(demo_warehouses.duckdb, spec, demo_warehouses.world.folder / "expected")
    )


@pytest.mark.parametrize("spec", MARTS, ids=lambda spec: spec.mart)
def test_mart_equals_the_truth_at_s(cli_demo: CliDemo, spec: MartTruth) -> None:
    assert_equals_the_truth(mismatches(cli_demo.settings, spec, cli_demo.world / "expected"))


def test_the_truth_is_not_trivial(cli_demo: CliDemo) -> None:
    """Each truth has rows at s, so no mart passes by both sides being empty."""
    for spec in MARTS:
        assert spec.truth(cli_demo.world / "expected"), spec.mart
