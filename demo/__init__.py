"""The demo world: a deterministic sales company, its ground truth and sandbox APIs.

``world`` models the company and streams it to disk, ``formats`` writes each source
system's native format, ``truth`` computes the expected KPIs from the world's facts and
``sandbox`` serves a world over HubSpot- and Stripe-shaped HTTP APIs. Nothing in
``ingest`` imports it: the connectors read only what the real systems write.
"""
