"""The two deal pipelines, as HubSpot defines them."""

from __future__ import annotations

from decimal import Decimal

from demo.formats.hubspot import Stage

# HubSpot's default pipeline, with readable stage ids.
NEW_BUSINESS_ID = "default"
NEW_BUSINESS = (
    Stage("appointmentscheduled", "Appointment Scheduled", Decimal("0.2")),
    Stage("qualifiedtobuy", "Qualified To Buy", Decimal("0.4")),
    Stage("presentationscheduled", "Presentation Scheduled", Decimal("0.6")),
    Stage("decisionmakerboughtin", "Decision Maker Bought-In", Decimal("0.8")),
    Stage("contractsent", "Contract Sent", Decimal("0.9")),
    Stage("closedwon", "Closed Won", Decimal("1.0"), is_closed=True),
    Stage("closedlost", "Closed Lost", Decimal("0.0"), is_closed=True),
)

# A custom pipeline: HubSpot gives its stages numeric ids.
RENEWAL_ID = "7812345"
RENEWAL = (
    Stage("7812346", "Renewal Due", Decimal("0.5")),
    Stage("7812347", "Proposal Sent", Decimal("0.7")),
    Stage("7812348", "Verbal Yes", Decimal("0.9")),
    Stage("7812349", "Renewed", Decimal("1.0"), is_closed=True),
    Stage("7812350", "Churned", Decimal("0.0"), is_closed=True),
)

PIPELINES = {
    NEW_BUSINESS_ID: ("Sales Pipeline", NEW_BUSINESS),
    RENEWAL_ID: ("Renewals & Upsell", RENEWAL),
}


def open_stages(pipeline_id: str) -> tuple[Stage, ...]:
    return tuple(stage for stage in PIPELINES[pipeline_id][1] if not stage.is_closed)


def won_stage(pipeline_id: str) -> Stage:
    return next(s for s in PIPELINES[pipeline_id][1] if s.is_closed and s.probability == 1)


def lost_stage(pipeline_id: str) -> Stage:
    return next(s for s in PIPELINES[pipeline_id][1] if s.is_closed and s.probability < 1)


def forecast_category(stage: Stage) -> str:
    """HubSpot's manual forecast categories, as a rep would set them by stage."""
    if stage.is_closed:
        return "CLOSED"
    if stage.probability >= Decimal("0.8"):
        return "COMMIT"
    if stage.probability >= Decimal("0.6"):
        return "BEST_CASE"
    return "PIPELINE"
