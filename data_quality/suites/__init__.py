"""One module per dataset; each builds its expectations from reference data."""
