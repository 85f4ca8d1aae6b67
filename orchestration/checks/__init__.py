"""Asset checks beyond dbt's tests: great-expectations suites and quarantine thresholds."""
