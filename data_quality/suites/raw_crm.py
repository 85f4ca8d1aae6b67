"""Expectations on the CRM deals as they land, before any transformation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

RAW_DEALS_SUITE = "raw_crm_deals"


def pipeline_stage_key(pipeline_id: str | None, stage_id: str | None) -> str:
    """Stage ids are only unique inside their pipeline, so a stage is named with both."""
    return f"{pipeline_id}/{stage_id}"


def raw_deals_expectations(known_pipeline_stages: Iterable[str]) -> Sequence[Expectation]:
    """Ids unique and present, amounts not negative, every deal in a stage of its pipeline.

    The validated frame has the columns ``id``, ``amount`` (numeric) and
    ``pipeline_stage`` (see :func:`pipeline_stage_key`).
    """
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(column="id"),
        gxe.ExpectColumnValuesToBeUnique(column="id"),
        gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
        gxe.ExpectColumnValuesToBeInSet(
            column="pipeline_stage", value_set=sorted(set(known_pipeline_stages))
        ),
    ]
