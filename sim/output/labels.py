"""How each per-replication metric is named on a figure, and its unit: one table for all."""

from __future__ import annotations

from sim.model.observations import OBSERVATIONS
from sim.model.recorder import METRICS

# metric -> (title, unit)
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "operable_days": ("Days the government could have operated", "days"),
    "operating_days": ("Days operated by the government", "days"),
    "refined_kbbl": ("Products refined under the government", "thousand bbl"),
    "insurgent_operating_days": ("Days operated by the insurgents", "days"),
    "first_operating_day": ("First day of operation", "day of the scenario"),
    "operating_at_horizon": ("Refinery operating at the horizon", "share of replications"),
    "garrison_held": ("A government garrison holds the plant at the horizon",
                      "share of replications"),
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
    "output_share": ("Government output over the horizon", "share of pre-closure output"),
    "output_share_at_horizon": ("Government output at the horizon",
                                "share of pre-closure output"),
    "refinery_ran": ("Refinery ran at all under the government", "share of replications"),
    "insurgent_refined_kbbl": ("Products refined under the insurgents", "thousand bbl"),
    "plant_retaken_day": ("Day a fallen plant is retaken", "day of the scenario"),
    "stopped_plant_days": ("Days stopped: not enough of the plant held", "days"),
    "stopped_surroundings_days": ("Days stopped: surroundings not held", "days"),
    "stopped_crude_days": ("Days stopped: no crude", "days"),
    "stopped_outlet_days": ("Days stopped: no outlet for products", "days"),
    "stopped_repair_days": ("Days stopped: every unit under repair", "days"),
    "stopped_restart_days": ("Days stopped: units being recommissioned", "days"),
    **{o.id: (f"Consistent with '{o.label}' ({o.date.isoformat()})", "share of replications")
       for o in OBSERVATIONS},
}
assert set(METRIC_LABELS) == set(METRICS), "every metric needs a label"


def panels(metrics: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(metric, title, unit) for each of ``metrics``: the panels of a figure."""
    return tuple((m, *METRIC_LABELS[m]) for m in metrics)


def unit(metric: str) -> str:
    return METRIC_LABELS[metric][1]
