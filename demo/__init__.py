"""The demo world: a deterministic sales company written in each source's export format."""
