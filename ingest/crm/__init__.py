"""The CRM source (HubSpot CRM v3 object shapes), from an export folder or the API."""

from ingest.crm.source import CRM_OBJECT_TYPES, crm_source

__all__ = ["CRM_OBJECT_TYPES", "crm_source"]
