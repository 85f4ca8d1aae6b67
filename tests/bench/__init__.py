"""Benchmarks (`make bench`): figures printed at named scales, never asserted by tests."""
