"""What the report calls the metrics and the parts of a scenario."""

from __future__ import annotations

from sim.model.metrics import REGISTRY

# metric -> (label, unit, definition as computed), from the one registry (sim.model.metrics)
METRIC_INFO = {name: (m.label, "share" if m.percent else "day" if m.kind == "event_day"
                      else m.unit, m.definition) for name, m in REGISTRY.items()}
# Metrics with their own section of the results, left out of the table of
# other outcomes.
OWN_SECTION = frozenset(m for m in REGISTRY if "stopped_" in m)
HEADLINE = ("operating_days", "operating_at_horizon", "garrison_held", "helicopters_lost",
            "supplies_delivered_t", "refined_kbbl")
OTHER_COLUMNS = 4  # outcome columns per part of the other outcomes
EVENT_ORDER = ("garrison_fall_day", "siege_lifted_day", "first_operating_day",
               "flights_halted_day")
# The top-level keys of a scenario, as parts of the model (the caveats' table of where
# the parameters come from).
SECTION_LABELS = {
    "start_date": "timing", "horizon_days": "timing", "areas": "areas and who holds them",
    "links": "pipelines and roads", "refinery": "refinery operation", "garrison": "garrison "
    "and supplies", "besiegers": "besiegers", "engagement": "engagements", "damage": "damage",
    "air_defence": "air defence", "supply_operators": "supply flights", "airstrikes":
    "airstrikes", "ground_campaign": "ground campaign",
}
