"""What stopped the refinery: the government's days split by the reason it was not operating.

Each replication counts, for the government, the days it operated and the days it was stopped
for each reason; the seven add up to the horizon. Over replications each becomes a share of
the horizon's days: the mean of ``days / horizon`` is the mean days over the horizon, and its
Student-t interval is the days' interval over the horizon. :func:`stopped_refinery` builds
the ``stopped_refinery`` section of summary.json from a summary's entries; the terminal table
(:func:`sim.output.tables.stopped_table`), the figure
(:func:`sim.output.plots.what_stopped`) and the report read that section. Everything here
does nothing (an empty section) when a summary lacks any of the metrics, as folders from
versions without them do.
"""

from __future__ import annotations

from typing import Any

from sim.model.metrics import REGISTRY

# (metric, plain words for a legend or a column), in the order of the stacked bar.
REASONS = (
    ("operating_days", "operating"),
    ("stopped_plant_days", "not enough of the plant held"),
    ("stopped_surroundings_days", "plant held, surroundings not"),
    ("stopped_crude_days", "no crude (storage used up)"),
    ("stopped_outlet_days", "no route out for products"),
    ("stopped_repair_days", "every unit under repair"),
    ("stopped_restart_days", "restarting, no unit running yet"),
)
STOP_METRICS = tuple(m for m, _ in REASONS)
# The same reasons for the insurgents (their own days; sim.model.metrics).
INSURGENT_REASONS = (("insurgent_operating_days", "operating"),
                     *((f"insurgent_{m}", label) for m, label in REASONS[1:]))
SIDES = {"government": REASONS, "insurgents": INSURGENT_REASONS}
LABELS = dict(REASONS)
# metric -> what it counts (for the report's definitions), from the registry
DEFINITIONS = {m: REGISTRY[m].definition for m in STOP_METRICS[1:]}


def _scaled(x: Any, horizon: float) -> float | None:
    return x / horizon if isinstance(x, int | float) and not isinstance(x, bool) else None


def _share(x: float | None) -> float | None:
    """A share of days lies in [0, 1]: the Student-t bounds are cut there (a mean of 0 with
    a rounding-sized spread would otherwise print as -0.0)."""
    return None if x is None else min(1.0, max(0.0, x))


def stopped_refinery(summary: dict[str, Any], side: str = "government") -> dict[str, Any]:
    """The ``stopped_refinery`` section (``stopped_refinery_insurgents`` for the insurgents):
    per scenario, the mean share of the horizon's days for each reason (operating included)
    with its Student-t interval; {} without the metrics."""
    reasons = SIDES[side]
    scenarios = {}
    for name, entry in (summary.get("scenarios") or {}).items():
        metrics = (entry or {}).get("metrics") or {}
        horizon = (entry or {}).get("horizon_days")
        if not horizon or any(not isinstance(metrics.get(m), dict) for m, _ in reasons):
            continue
        shares = {}
        for metric, label in reasons:
            e = metrics[metric]
            lo, hi = [*(e.get("ci95") or []), None, None][:2]
            shares[metric] = {"label": label, "mean": _scaled(e.get("mean"), horizon),
                              "ci95": [_share(_scaled(lo, horizon)), _share(_scaled(hi, horizon))],
                              "ci_method": "student-t", "n": e.get("n")}
        means = [s["mean"] for s in shares.values()]
        scenarios[name] = {"horizon_days": horizon, "shares": shares,
                           "sum_of_means": sum(means) if None not in means else None}
    if not scenarios:
        return {}
    return {"side": side, "unit": "share of the horizon's days",
            "reasons": [{"metric": m, "label": label} for m, label in reasons],
            "scenarios": scenarios}
