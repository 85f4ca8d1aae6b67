"""The payments source (Stripe object shapes), from an export folder or the Stripe API."""

from ingest.payments.source import PAYMENTS_TABLES, payments_source

__all__ = ["PAYMENTS_TABLES", "payments_source"]
