"""dlt sources for the CRM, payments, mail and dropped files."""

import os

# dlt reports anonymous usage to its vendor unless told not to, and decides when the first
# source is built (before any pipeline exists): a warehouse tool makes no calls home by
# default. RUNTIME__DLTHUB_TELEMETRY=true allows them.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
