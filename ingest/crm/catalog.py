"""What the connector reads of each CRM object type, from an export or from the API.

An export file holds whole objects; the API returns only what is asked: the
``properties``, the ``propertiesWithHistory`` and the associated object types listed
here (HubSpot returns a few default properties otherwise). The lists mirror the export's
objects, so that both paths load the same rows; a portal's custom properties are added
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ingest.crm import objects
from ingest.exports import ObjectType

Endpoint = Literal["objects", "owners", "pipelines", "dispositions"]
_STAMPS = ("createdate", "hs_lastmodifieddate", "hs_object_id")
_ACTIVITY_LINKS = ("contacts", "companies", "deals")


@dataclass(frozen=True)
class CrmType:
    object_type: ObjectType
    endpoint: Endpoint = "objects"
    properties: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    associations: tuple[str, ...] = ()
    # Staging reads these tables: an export without their file is an error, not a gap.
    required: bool = False

    @property
    def name(self) -> str:
        return self.object_type.name


DEAL_HISTORY = (
    "dealstage",
    "amount",
    "closedate",
    "hubspot_owner_id",
    "hs_manual_forecast_category",
    "deal_currency_code",
    "pipeline",
)

CRM_TYPES: tuple[CrmType, ...] = (
    CrmType(objects.OWNERS, endpoint="owners", required=True),
    CrmType(
        objects.DEALS,
        properties=(
            "dealname",
            "dealtype",
            "closed_lost_reason",
            "test_deal",
            *DEAL_HISTORY,
            *_STAMPS,
        ),
        history=DEAL_HISTORY,
        associations=("contacts", "companies"),
        required=True,
    ),
    CrmType(objects.DEAL_PIPELINES, endpoint="pipelines", required=True),
    CrmType(
        objects.CONTACTS,
        properties=("firstname", "lastname", "email", "hubspot_owner_id", "lead_source", *_STAMPS),
        history=("lead_source",),
        associations=("companies",),
    ),
    CrmType(
        objects.COMPANIES,
        properties=("name", "domain", "country", "lead_source", "hubspot_owner_id", *_STAMPS),
        history=("hubspot_owner_id",),
        associations=("contacts",),
    ),
    CrmType(
        objects.CALLS,
        properties=(
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_call_direction",
            "hs_call_disposition",
            "hs_call_duration",
            "hs_call_status",
            "hs_call_title",
            *_STAMPS,
        ),
        associations=_ACTIVITY_LINKS,
    ),
    CrmType(
        objects.MEETINGS,
        properties=(
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_meeting_title",
            "hs_activity_type",
            "hs_meeting_location",
            "hs_meeting_start_time",
            "hs_meeting_end_time",
            "hs_meeting_outcome",
            *_STAMPS,
        ),
        associations=_ACTIVITY_LINKS,
    ),
    CrmType(
        objects.NOTES,
        properties=("hs_timestamp", "hubspot_owner_id", "hs_note_body", *_STAMPS),
        associations=_ACTIVITY_LINKS,
    ),
    CrmType(
        objects.TASKS,
        properties=(
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_task_subject",
            "hs_task_type",
            "hs_task_status",
            "hs_task_completion_date",
            *_STAMPS,
        ),
        associations=_ACTIVITY_LINKS,
    ),
    CrmType(
        objects.EMAILS,
        properties=(
            "hs_timestamp",
            "hubspot_owner_id",
            "hs_email_direction",
            "hs_email_status",
            "hs_email_subject",
            "hs_email_headers",
            *_STAMPS,
        ),
        associations=("contacts", "companies"),
    ),
    CrmType(
        objects.PRODUCTS,
        properties=(
            "name",
            "hs_sku",
            "description",
            "price",
            "hs_price_usd",
            "hs_price_idr",
            "hs_price_sgd",
            "hs_price_eur",
            "hs_price_jpy",
            "hs_recurring_billing_period",
            *_STAMPS,
        ),
    ),
    CrmType(
        objects.LINE_ITEMS,
        properties=(
            "name",
            "hs_product_id",
            "hs_sku",
            "quantity",
            "price",
            "amount",
            "hs_total_discount",
            "hs_line_item_currency_code",
            "hs_recurring_billing_period",
            *_STAMPS,
        ),
        associations=("deals",),
    ),
    CrmType(
        objects.QUOTES,
        properties=(
            "hs_title",
            "hs_status",
            "hs_currency",
            "hs_quote_amount",
            "hs_expiration_date",
            "hubspot_owner_id",
            "price_list",
            *_STAMPS,
        ),
        associations=("deals", "line_items"),
    ),
    CrmType(objects.CALL_DISPOSITIONS, endpoint="dispositions"),
)

CRM_OBJECT_TYPES: tuple[ObjectType, ...] = tuple(crm.object_type for crm in CRM_TYPES)
