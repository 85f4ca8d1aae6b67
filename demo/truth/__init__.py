"""The ground truth: the KPIs of kpis.md computed from the world's facts, never from exports.

The generator fills one truth per subject area (``ground_truth``, ``email``, ``payments``,
``pipeline``, ``targets``) as it streams companies and writes them to ``expected/*.csv``.
"""
