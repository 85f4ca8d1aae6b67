"""Run a great-expectations suite over a frame and summarise the outcome.

GX's SQL datasource does not work on DuckDB, so every suite validates a pandas frame
that the caller read from the warehouse (see docs/decisions.md). The context is
ephemeral: nothing is written to a ``gx/`` folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.expectations import Expectation


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None
    unexpected_sample: list[Any] = field(default_factory=list)

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count else ""
        sample = f" (e.g. {self.unexpected_sample[:3]})" if self.unexpected_sample else ""
        return f"{self.expectation}{where}{count}{sample}"


@dataclass(frozen=True)
class SuiteResult:
    suite_name: str
    rows: int
    outcomes: list[ExpectationOutcome]

    @property
    def success(self) -> bool:
        return all(outcome.success for outcome in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]


def run_suite(name: str, frame: pd.DataFrame, expectations: Sequence[Expectation]) -> SuiteResult:
    # Imported here: great_expectations takes seconds to import, and definitions must load fast.
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas(name=f"{name}_source")
        .add_dataframe_asset(name=f"{name}_frame")
        .add_batch_definition_whole_dataframe(f"{name}_batch")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=list(expectations)))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}_validation", data=batch_definition, suite=suite)
    )
    result = validation.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
    return SuiteResult(
        suite_name=name,
        rows=len(frame),
        outcomes=[_outcome(item) for item in result.results],
    )


def _outcome(item: Any) -> ExpectationOutcome:
    config = item.expectation_config
    details = item.result or {}
    return ExpectationOutcome(
        expectation=config.type,
        column=config.kwargs.get("column"),
        success=bool(item.success),
        unexpected_count=details.get("unexpected_count"),
        unexpected_sample=list(details.get("partial_unexpected_list") or []),
    )
