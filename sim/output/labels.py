"""How each metric is titled on a figure, and its unit: read from the one registry."""

from __future__ import annotations

from sim.model.metrics import REGISTRY

# metric -> (title, unit)
METRIC_LABELS: dict[str, tuple[str, str]] = {
    name: (m.title, m.unit) for name, m in REGISTRY.items()}


def panels(metrics: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(metric, title, unit) for each of ``metrics``: the panels of a figure."""
    return tuple((m, *METRIC_LABELS[m]) for m in metrics)


def unit(metric: str) -> str:
    return METRIC_LABELS[metric][1]
