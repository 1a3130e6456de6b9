"""Every per-replication metric, once: its name, how it is titled and labelled, its unit, its
kind, which way is better, and what it counts.

Tables, figures, the report, comparisons and summaries read this registry instead of keeping
their own lists (issue 13). The order of ``METRICS`` is the column order of
``replications.csv`` and of the arrays a batch holds: a public contract, so new metrics go at
the end of the model's list; the dated observations of the articles
(:mod:`sim.model.observations`) follow, one 0/1 column each.

Kinds: ``share`` is 0 or 1 per replication (its mean is a share of replications, with a Wilson
interval); ``fraction`` lies in [0, 1] per replication (shown as a percentage, Student-t
interval); ``event_day`` is the day of an event, empty when it did not happen (censored at the
horizon); ``amount`` is anything else (days, tonnes, counts), with a Student-t interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sim.model.observations import OBSERVATIONS

Kind = Literal["share", "fraction", "event_day", "amount"]


@dataclass(frozen=True)
class Metric:
    """One column of every replication."""

    name: str
    title: str  # a figure's panel title
    label: str  # a short column head
    unit: str
    kind: Kind
    higher_is_better: bool | None  # None: neither (sorties flown)
    definition: str  # what it counts, as computed

    @property
    def percent(self) -> bool:
        """Shown as a percentage (shares of replications and fractions)."""
        return self.kind in ("share", "fraction")

    @property
    def bounds(self) -> tuple[float, float | None]:
        """The values the metric can take: every metric is a count, an amount, a day or a
        share, so none is negative; shares, fractions and shares of a whole (sectors,
        capacity) end at 1. A colour scale or an axis starts from these."""
        if self.percent or self.unit.startswith("share of"):
            return 0.0, 1.0
        return 0.0, None


_MODEL = (
    Metric("operable_days", "Days the government could have operated",
           "days operable", "days", "amount", True,
           "time the government had every operating condition (repairing, recommissioning or "
           "operating)"),
    Metric("operating_days", "Days operated by the government",
           "days operating", "days", "amount", True,
           "time the government was producing"),
    Metric("refined_kbbl", "Products refined under the government",
           "products refined", "thousand bbl", "amount", True,
           "products refined under the government (the integral of its output)"),
    Metric("insurgent_operating_days", "Days operated by the insurgents",
           "insurgent operating days", "days", "amount", False,
           "time the insurgents were producing"),
    Metric("first_operating_day", "First day of operation",
           "refinery first runs", "day of the scenario", "event_day", False,
           "first time government production started; empty if never"),
    Metric("operating_at_horizon", "Refinery operating at the horizon",
           "operating at the horizon", "share of replications", "share", True,
           "1 if the government is producing at the horizon"),
    Metric("garrison_held", "A government garrison holds the plant at the horizon",
           "garrison holds", "share of replications", "share", True,
           "1 if a government garrison (the first, or a new one after retaking the plant) holds at"
           " the horizon"),
    Metric("garrison_fall_day", "Day the garrison falls",
           "garrison falls", "day of the scenario", "event_day", True,
           "time the garrison fell (whole days for a collapse, continuous otherwise); 0 if there"
           " was no garrison at t = 0; empty if it held"),
    Metric("siege_lifted_day", "Day the siege is lifted",
           "siege lifted", "day of the scenario", "event_day", False,
           "first time the siege was lifted; empty if never"),
    Metric("gov_control_final", "Government share of the plant at the horizon",
           "government share of the plant", "share of sectors", "amount", True,
           "government share of the plant's sectors at the horizon"),
    Metric("helicopters_lost", "Helicopters lost",
           "helicopters lost", "aircraft", "amount", False,
           "aircraft lost by helicopter operators"),
    Metric("sorties_flown", "Supply sorties flown",
           "sorties flown", "sorties", "amount", None,
           "sorties of all operators, lost ones included, skipped ones (siege lifted) excluded"),
    Metric("flights_halted_day", "Day flights are halted after losses",
           "flights halted after losses", "day of the scenario", "event_day", True,
           "earliest time an operator stopped under its halt policy (losses close together); empty"
           " if none, also where flights never flew"),
    Metric("supplies_delivered_t", "Supplies delivered by air",
           "supplies delivered", "tonnes", "amount", True,
           "tonnes delivered by air"),
    Metric("supplies_lost_t", "Supplies lost in the air",
           "supplies lost", "tonnes", "amount", False,
           "cargo of lost aircraft plus airdrop bundles landing outside the perimeter"),
    Metric("min_supply_days", "Lowest garrison stock",
           "lowest stock", "days of supply", "amount", True,
           "lowest garrison stock in days at the quiet consumption rate, over t = 0 and every "
           "end-of-day settlement while the garrison held; empty if consumption is 0"),
    Metric("refinery_damage_final", "Damage to the plant at the horizon",
           "plant damage", "share of capacity", "amount", False,
           "damage to the plant at the horizon (0 intact, 1 destroyed)"),
    Metric("villages_retaken", "Route areas retaken and held",
           "villages retaken", "areas", "amount", True,
           "route areas the government holds at the horizon that it did not hold at the start"),
    Metric("output_share", "Government output over the horizon",
           "output share", "share of pre-closure output", "fraction", True,
           "government products over the horizon as a share of the pre-closure output (200 "
           "kbbl/day) over the same days"),
    Metric("output_share_at_horizon", "Government output at the horizon",
           "output share at the horizon", "share of pre-closure output", "fraction", True,
           "the government's output rate at the horizon over the pre-closure output"),
    Metric("refinery_ran", "Refinery ran at all under the government",
           "refinery ran", "share of replications", "share", True,
           "1 if the government produced at all"),
    Metric("insurgent_refined_kbbl", "Products refined under the insurgents",
           "products refined by insurgents", "thousand bbl", "amount", False,
           "products refined under the insurgents"),
    Metric("plant_retaken_day", "Day a fallen plant is retaken",
           "plant retaken", "day of the scenario", "event_day", False,
           "first time a new garrison retook a fallen plant; empty if never"),
    Metric("stopped_plant_days", "Days stopped: not enough of the plant held",
           "days stopped: not enough of the plant held", "days", "amount", False,
           "days the government did not hold enough of the plant to operate"),
    Metric("stopped_surroundings_days", "Days stopped: surroundings not held",
           "days stopped: plant held, surroundings not", "days", "amount", False,
           "days it held the plant but not every surrounding area"),
    Metric("stopped_crude_days", "Days stopped: no crude",
           "days stopped: no crude (storage used up)", "days", "amount", False,
           "days no crude link served it beyond what storage covered"),
    Metric("stopped_outlet_days", "Days stopped: no outlet for products",
           "days stopped: no route out for products", "days", "amount", False,
           "days no outbound link served it"),
    Metric("stopped_repair_days", "Days stopped: every unit under repair",
           "days stopped: every unit under repair", "days", "amount", False,
           "days every process unit was under repair"),
    Metric("stopped_restart_days", "Days stopped: units being recommissioned",
           "days stopped: restarting, no unit running yet", "days", "amount", False,
           "days units were being recommissioned and none was running yet"),
    *(Metric(f"insurgent_stopped_{reason}_days", f"Insurgents' days stopped: {why}",
             f"insurgents stopped: {reason}", "days", "amount", None,
             f"days the insurgents were not producing because {why} (as for the government)")
      for reason, why in (
          ("plant", "they held too little of the plant"),
          ("surroundings", "they held the plant but not every surrounding area"),
          ("crude", "no crude link served them beyond storage"),
          ("outlet", "no outbound link served them beyond storage"),
          ("repair", "every unit was under repair"),
          ("restart", "units were being recommissioned and none ran"))),
)
_OBSERVED = tuple(
    Metric(o.id, f"Consistent with '{o.label}' ({o.date.isoformat()})", f"consistent: {o.label}",
           "share of replications", "share", True,
           f"1 if the replication meets the condition of this observation on "
           f"{o.date.isoformat()} ({o.condition_text()}); empty where the scenario does not "
           "test it")
    for o in OBSERVATIONS)

REGISTRY: dict[str, Metric] = {m.name: m for m in (*_MODEL, *_OBSERVED)}
METRICS = tuple(REGISTRY)
EVENT_DAY_METRICS = tuple(n for n, m in REGISTRY.items() if m.kind == "event_day")
BINARY_METRICS = tuple(n for n, m in REGISTRY.items() if m.kind == "share")
