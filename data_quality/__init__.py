"""Data-quality suites (great-expectations 1.x, defined in code) and the runner for them."""
