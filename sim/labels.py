"""How each per-replication metric is named on a figure, and its unit: one table for all."""

from __future__ import annotations

from sim.observations import OBSERVATIONS
from sim.recorder import METRICS
from sim.stopped import LABELS as STOP_LABELS

# metric -> (title, unit)
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "operable_days": ("Days the government could have operated", "days"),
    "operating_days": ("Days operated by the government", "days"),
    "refined_kbbl": ("Products refined under the government", "thousand bbl"),
    "insurgent_operating_days": ("Days operated by the insurgents", "days"),
    "first_operating_day": ("First day of operation", "day of the scenario"),
    "operating_at_horizon": ("Refinery operating at the horizon", "share of replications"),
    "garrison_held": ("Garrison holds to the horizon", "share of replications"),
    "garrison_fall_day": ("Day the garrison falls", "day of the scenario"),
    "siege_lifted_day": ("Day the siege is lifted", "day of the scenario"),
    "gov_control_final": ("Government share of the plant at the horizon", "share of sectors"),
    "helicopters_lost": ("Helicopters lost", "aircraft"),
    "sorties_flown": ("Supply sorties flown", "sorties"),
    "flights_halted_day": ("Day flights are halted after losses", "day of the scenario"),
    "supplies_delivered_t": ("Supplies delivered by air", "tonnes"),
    "supplies_lost_t": ("Supplies lost in the air", "tonnes"),
    "min_supply_days": ("Lowest garrison stock", "days of supply"),
    "refinery_damage_final": ("Damage to the plant at the horizon", "share of capacity"),
    "villages_retaken": ("Route areas retaken and held", "areas"),
    **{o.id: (f"Consistent with '{o.label}' ({o.date.isoformat()})", "share of replications")
       for o in OBSERVATIONS},
    # The reasons the refinery was stopped, once the model records them.
    **{m: (f"Days: {label}", "days") for m, label in STOP_LABELS.items()
       if m in METRICS and m != "operating_days"},
}
assert set(METRIC_LABELS) == set(METRICS), "every metric needs a label"


def panels(metrics: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(metric, title, unit) for each of ``metrics``: the panels of a figure."""
    return tuple((m, *METRIC_LABELS[m]) for m in metrics)


def unit(metric: str) -> str:
    return METRIC_LABELS[metric][1]
