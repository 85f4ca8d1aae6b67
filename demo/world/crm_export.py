"""Render the world's facts as HubSpot CRM v3 objects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from demo.formats.hubspot import (
    crm_object,
    hubspot_timestamp,
    owner_object,
    pipeline_object,
    property_text,
)
from demo.world.accounts import Company, Contact, Deal
from demo.world.activities import CALL_DISPOSITIONS, Activity
from demo.world.org import Org, Rep
from demo.world.pipelines import PIPELINES
from demo.world.scales import WORLD_END, WORLD_START

# The custom deal property that marks test deals (see SALES_TRACKER test-deal settings).
TEST_DEAL_PROPERTY = "test_deal"


def owners(org: Org) -> list[dict[str, Any]]:
    teams = {team.team_id: team.name for team in org.teams}
    return [_owner(rep, teams) for rep in org.reps]


def _owner(rep: Rep, teams: dict[str, str]) -> dict[str, Any]:
    last_day = rep.left_on or WORLD_END.date()
    team_id = rep.team_on(last_day)
    hired = datetime.combine(rep.hired_on, datetime.min.time(), UTC)
    obj = owner_object(
        rep.owner_id,
        rep.email,
        rep.first_name,
        rep.last_name,
        [(team_id, teams[team_id])],
        hired,
        archived=rep.left_on is not None,
    )
    if rep.left_on:
        obj["updatedAt"] = obj["archivedAt"] = f"{rep.left_on.isoformat()}T00:00:00.000Z"
    return obj


def pipelines() -> list[dict[str, Any]]:
    return [
        pipeline_object(pipeline_id, label, stages, WORLD_START)
        for pipeline_id, (label, stages) in PIPELINES.items()
    ]


def call_dispositions() -> list[dict[str, Any]]:
    return [{"id": key, "label": label} for key, label in CALL_DISPOSITIONS.items()]


def company(company: Company) -> dict[str, Any]:
    return crm_object(
        company.company_id,
        company.created_at,
        histories={"hubspot_owner_id": [(company.owner_id, company.created_at)]},
        properties={
            "name": company.name,
            "domain": company.domain,
            "country": company.country,
            "lead_source": company.lead_source,
        },
        associations={"contacts": [(c.contact_id, "company_to_contact") for c in company.contacts]},
    )


def contact(contact: Contact, company_id: str) -> dict[str, Any]:
    return crm_object(
        contact.contact_id,
        contact.created_at,
        histories={"lead_source": contact.lead_sources},
        properties={
            "firstname": contact.first_name,
            "lastname": contact.last_name,
            "email": contact.email,
            "hubspot_owner_id": contact.owner_id,
        },
        associations={"companies": [(company_id, "contact_to_company")]},
    )


def deal(deal: Deal, company_id: str) -> dict[str, Any]:
    return crm_object(
        deal.deal_id,
        deal.created_at,
        histories={
            "dealstage": deal.stages,
            "amount": deal.amounts,
            "closedate": deal.close_dates,
            "hubspot_owner_id": deal.owners,
            "hs_manual_forecast_category": deal.forecast,
            "deal_currency_code": [(deal.currency, deal.created_at)],
            "pipeline": [(deal.pipeline_id, deal.created_at)],
        },
        properties={
            "dealname": deal.name,
            "dealtype": deal.deal_type,
            "closed_lost_reason": deal.lost_reason,
            TEST_DEAL_PROPERTY: "true" if deal.is_test else None,
        },
        associations={
            "contacts": [(deal.primary_contact_id, "deal_to_contact")]
            if deal.primary_contact_id
            else [],
            "companies": [(company_id, "deal_to_company")],
        },
        archived_at=deal.archived_at,
    )


def activity(activity: Activity) -> dict[str, Any]:
    """``crm_object``'s shape for an activity (no history, created and last modified when it
    happened), built directly: activities are most of the CRM's objects."""
    stamp = hubspot_timestamp(activity.at)
    properties: dict[str, Any] = {"hs_timestamp": stamp, "hubspot_owner_id": activity.owner_id}
    for name, value in activity.properties.items():
        if value is None or type(value) is str:
            properties[name] = value
        elif isinstance(value, datetime) and value == activity.at:
            properties[name] = stamp  # a meeting starts when it is logged
        else:
            properties[name] = property_text(value)
    properties["createdate"] = properties["hs_lastmodifieddate"] = stamp
    properties["hs_object_id"] = activity.activity_id
    contact_type, company_type, deal_type = _ACTIVITY_ASSOCIATIONS[activity.kind]
    associations = {
        "contacts": {"results": [{"id": activity.contact_id, "type": contact_type}]},
        "companies": {"results": [{"id": activity.company_id, "type": company_type}]},
    }
    if activity.deal_id:
        associations["deals"] = {"results": [{"id": activity.deal_id, "type": deal_type}]}
    return {
        "id": activity.activity_id,
        "properties": properties,
        "propertiesWithHistory": {},
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
        "associations": associations,
    }


# Activity kind -> its association types to a contact, a company and a deal.
_ACTIVITY_ASSOCIATIONS = {
    kind: tuple(f"{kind[:-1]}_to_{other}" for other in ("contact", "company", "deal"))
    for kind in ("calls", "meetings", "notes", "tasks")
}
