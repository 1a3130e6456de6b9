"""The scenario schema: every parameter a run reads, typed and range-checked.

Validation happens once, when a file is loaded, so that a typo fails with a
clear message instead of a KeyError deep inside a replication. Unknown keys are
errors (``extra="forbid"``); probabilities live in [0, 1]; durations and counts
are non-negative; names that other sections refer to must exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Count = Annotated[int, Field(ge=0)]
Positive = Annotated[float, Field(gt=0.0)]

SIDES = ("government", "insurgent")
Holder = Literal["government", "insurgent"]
AreaKind = Literal["sector", "village", "field", "destination", "other"]
LinkKind = Literal["crude_pipeline", "crude_road", "product_pipeline", "truck_road"]
CRUDE_KINDS = ("crude_pipeline", "crude_road")
ROAD_KINDS = ("crude_road", "truck_road")
REFINERY = "refinery"


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, values are re-validated on copy."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)


class Span(Strict):
    """A uniform range [low, high] from which a value is drawn."""

    low: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self


class Area(Strict):
    """A named piece of ground: a refinery sector, a village, an oil field, a destination."""

    name: str = Field(min_length=1)
    kind: AreaKind
    holder: Holder


class Link(Strict):
    """A pipeline or road between the refinery and a field or destination.

    It serves a side only while that side holds every area it passes through
    (endpoints included) and it is not cut by sabotage.
    """

    name: str = Field(min_length=1)
    kind: LinkKind
    source: str = Field(description="field area for crude; 'refinery' for outbound links")
    destination: str = Field(description="'refinery' for crude; a destination area otherwise")
    through: list[str] = Field(default_factory=list)
    capacity_kbbl_day: NonNegative = Field(
        0.0, description="pipeline throughput; for roads use trucks_per_day x bbl_per_truck"
    )
    trucks_per_day: NonNegative = 0.0
    bbl_per_truck: NonNegative = 200.0
    sabotage_rate_per_day: NonNegative = 0.0
    repair_days: Span = Span(low=3.0, high=10.0)

    @property
    def throughput_kbbl_day(self) -> float:
        """What the link can carry per day when open."""
        if self.kind in ROAD_KINDS:
            return self.trucks_per_day * self.bbl_per_truck / 1000.0
        return self.capacity_kbbl_day


class PerSide(Strict):
    government: NonNegative
    insurgent: NonNegative


class ProcessUnit(Strict):
    """One process train of the plant: it is damaged, repaired and restarted on its own."""

    name: str = Field(min_length=1)
    nameplate_kbbl_day: Positive


class Refinery(Strict):
    """What it takes to run the plant, and how it is repaired and brought back (docs/model.md)."""

    capacity_kbbl_day: NonNegative = 200.0
    units: list[ProcessUnit] = Field(default_factory=lambda: [
        ProcessUnit(name="train 1", nameplate_kbbl_day=150.0),
        ProcessUnit(name="train 2", nameplate_kbbl_day=70.0),
        ProcessUnit(name="train 3", nameplate_kbbl_day=70.0)], min_length=1)
    required_plant_share: Annotated[float, Field(gt=0.5, le=1.0)] = 1.0
    surroundings: list[str] = Field(default_factory=list)
    idle_since: dt.date | None = None
    restart_days: PerSide = PerSide(government=21.0, insurgent=60.0)
    long_idle_factor: Annotated[float, Field(ge=1.0)] = 6.0
    idle_scale_days: Positive = 180.0
    ramp_days: NonNegative = 14.0
    rebuild_days: Positive = 540.0
    repair_cv: NonNegative = 0.5
    repair_crews: PerSide = PerSide(government=2.0, insurgent=1.0)
    crude_storage_days: NonNegative = 7.0
    product_storage_days: NonNegative = 5.0
    initial_damage: Probability = 0.0


class Garrison(Strict):
    """The besieged defenders and their stock of supplies."""

    troops: Count = 300
    supplies_days: NonNegative = 20.0
    consumption_kg_per_troop_day: NonNegative = 6.0
    fighting_consumption_kg_per_troop_day: NonNegative = 12.0
    collapse_after_days: Positive = 14.0
    relief_troops: Count = 0


class Offensive(Strict):
    """A renewed insurgent offensive from a given day: more fighters, more assaults."""

    start_day: NonNegative
    fighters: Count = 0
    attack_rate_per_day: NonNegative = 0.0


class Besiegers(Strict):
    """The insurgent force around (and possibly inside) the plant."""

    strength: Count = 600
    reinforcement_per_day: NonNegative = 0.0
    max_strength: Count = 2000
    attack_rate_per_day: NonNegative = 0.12
    assault_share: Probability = 0.5
    clash_rate_per_day: NonNegative = 0.5
    clash_casualty_prob: Probability = 0.005
    offensive: Offensive | None = None

    @model_validator(mode="after")
    def _within_cap(self) -> Besiegers:
        if self.strength > self.max_strength:
            raise ValueError(f"strength ({self.strength}) exceeds max_strength "
                             f"({self.max_strength})")
        return self


class Engagement(Strict):
    """Force-ratio contest model of an assault (see docs/model.md)."""

    defender_advantage: Positive = 3.0
    decisiveness: Positive = 1.5
    casualty_rate: Probability = 0.1
    counterattack_rate_per_day: NonNegative = 0.05
    counterattack_min_ratio: NonNegative = 1.0


class Damage(Strict):
    """How fighting and sabotage damage the plant, and the wish of both sides to spare it."""

    fighting_damage_prob: Probability = 0.05
    damage_per_hit: Span = Span(low=0.02, high=0.08)
    aversion: Probability = 0.7
    sabotage_prob_when_losing: Probability = 0.1
    sabotage_damage: Span = Span(low=0.1, high=0.4)


class AirDefence(Strict):
    """Besiegers' anti-aircraft teams and their weapons."""

    teams: Count = 4
    engagement_per_team: NonNegative = 0.15
    hit_prob: Probability = 0.1
    improved_hit_prob: Probability = 0.35
    improved_from_day: NonNegative | None = None
    loss_given_hit: Probability = 0.6
    team_reinforcement_per_day: NonNegative = 0.0
    max_teams: Count = 20

    @model_validator(mode="after")
    def _within_cap(self) -> AirDefence:
        if self.teams > self.max_teams:
            raise ValueError(f"teams ({self.teams}) exceeds max_teams ({self.max_teams})")
        return self


class HaltPolicy(Strict):
    """Stop an operator's flights after `after_losses` losses within `within_days` days."""

    after_losses: Annotated[int, Field(ge=1)] = 2
    within_days: Positive = 30.0


class SupplyOperator(Strict):
    """One air bridge into the garrison: helicopters landing, or airdrops from altitude."""

    name: str = Field(min_length=1)
    kind: Literal["helicopter", "airdrop"]
    aircraft: Count = 1
    sorties_per_aircraft_day: NonNegative = 0.5
    payload_t: NonNegative = 3.0
    bundles: Count = 16
    bundle_t: NonNegative = 0.9
    accuracy: Probability = 0.97
    perimeter_exponent: NonNegative = 0.3
    start_day: NonNegative = 0.0
    end_day: NonNegative | None = None
    exposure: Probability = 1.0
    halt: HaltPolicy | None = None

    @property
    def cargo_t(self) -> float:
        """Tonnes carried by one sortie."""
        return self.bundles * self.bundle_t if self.kind == "airdrop" else self.payload_t


class Airstrikes(Strict):
    """Foreign strikes around the plant, with intelligence and coordination effects."""

    start_day: NonNegative = 0.0
    strikes_per_day: NonNegative = 0.0
    kills_per_strike: NonNegative = 2.0
    team_kill_prob: Probability = 0.1
    intelligence_factor: Positive = 1.0
    coordination_failure_prob: Probability = 0.3
    inside_plant_share: Probability = 0.2
    inside_plant: Literal["while_garrison_holds", "always", "never"] = "while_garrison_holds"
    plant_damage_prob: Probability = 0.05
    damage_per_hit: Span = Span(low=0.02, high=0.08)


class GroundCampaign(Strict):
    """Government forces retaking the road to the refinery, area by area."""

    start_day: NonNegative = 0.0
    route: list[str] = Field(default_factory=list)
    mean_days_per_area: Positive = 20.0
    duration_cv: NonNegative = 0.5
    coordination_factor: Annotated[float, Field(ge=1.0)] = 1.0
    success_prob: Probability = 0.7
    retry_days: NonNegative = 7.0
    insurgent_retake_rate_per_day: NonNegative = 0.0
    plant_assault_success_prob: Probability = 0.0


class AreaChange(Strict):
    """A change of hands fixed by the scenario (an offensive elsewhere), on a given day."""

    day: NonNegative
    area: str = Field(min_length=1)
    holder: Holder


class Provenance(Strict):
    """Where a parameter's value comes from: a fact id in seeds/ or a stated assumption.

    An assumption may name the planning factor it starts from (``basis``, an id in
    seeds/reference-ranges.yaml) and a plausible ``range`` for sensitivity analysis.
    """

    fact: str | None = None
    assumption: str | None = None
    basis: str | None = None
    range: list[float] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Provenance:
        if (self.fact is None) == (self.assumption is None):
            raise ValueError("give exactly one of 'fact' or 'assumption'")
        if self.basis is not None and self.assumption is None:
            raise ValueError("'basis' goes with an 'assumption'")
        if self.range is not None and (len(self.range) != 2 or self.range[1] < self.range[0]):
            raise ValueError("range must be [low, high] with low <= high")
        return self


class Scenario(Strict):
    """A complete, validated description of one situation to simulate."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    start_date: dt.date
    horizon_days: Annotated[int, Field(ge=1, le=3650)]
    areas: list[Area]
    links: list[Link] = Field(default_factory=list)
    refinery: Refinery = Refinery()
    garrison: Garrison = Garrison()
    besiegers: Besiegers = Besiegers()
    engagement: Engagement = Engagement()
    damage: Damage = Damage()
    air_defence: AirDefence = AirDefence()
    supply_operators: list[SupplyOperator] = Field(default_factory=list)
    airstrikes: Airstrikes = Airstrikes()
    ground_campaign: GroundCampaign = GroundCampaign()
    area_changes: list[AreaChange] = Field(default_factory=list)
    provenance: dict[str, Provenance] = Field(default_factory=dict)
    inactive: dict[str, str | None] = Field(
        default_factory=dict,
        description="parameter path prefixes (a mechanism such as 'airstrikes', or one link "
        "'links.NAME') that cannot act in this scenario, each with the reason; null in a "
        "variant makes an inherited entry active again")

    @property
    def inactive_reasons(self) -> dict[str, str]:
        """The declared-inactive prefixes and why (entries set to null are active again)."""
        return {k: v for k, v in self.inactive.items() if v is not None}

    @model_validator(mode="after")
    def _references_exist(self) -> Scenario:
        names = [a.name for a in self.areas]
        kinds = {a.name: a.kind for a in self.areas}
        _unique(names, "areas")
        _unique([link.name for link in self.links], "links")
        _unique([op.name for op in self.supply_operators], "supply_operators")
        if not any(k == "sector" for k in kinds.values()):
            raise ValueError("areas: at least one area of kind 'sector' (the plant) is required")
        if REFINERY in kinds:
            raise ValueError(f"areas: '{REFINERY}' is reserved for link endpoints")

        def check(ref: str, where: str, allowed: tuple[str, ...] | None = None) -> None:
            if ref not in kinds:
                raise ValueError(f"{where}: unknown area '{ref}'; known areas: {', '.join(names)}")
            if allowed and kinds[ref] not in allowed:
                raise ValueError(
                    f"{where}: area '{ref}' is a {kinds[ref]}; expected {' or '.join(allowed)}"
                )

        for i, link in enumerate(self.links):
            where = f"links[{i}] ({link.name})"
            if link.kind in CRUDE_KINDS:
                if link.destination != REFINERY:
                    raise ValueError(f"{where}.destination: a crude link ends at 'refinery'")
                check(link.source, f"{where}.source", ("field",))
            else:
                if link.source != REFINERY:
                    raise ValueError(f"{where}.source: an outbound link starts at 'refinery'")
                check(link.destination, f"{where}.destination", ("destination",))
            for j, area in enumerate(link.through):
                check(area, f"{where}.through[{j}]")
        for j, area in enumerate(self.refinery.surroundings):
            check(area, f"refinery.surroundings[{j}]")
        for j, change in enumerate(self.area_changes):
            check(change.area, f"area_changes[{j}].area")
            if kinds[change.area] == "sector":
                raise ValueError(f"area_changes[{j}].area: '{change.area}' is a plant sector; "
                                 "sectors change hands only by fighting")
        _unique([u.name for u in self.refinery.units], "refinery.units")
        gov_sectors = any(a.kind == "sector" and a.holder == "government" for a in self.areas)
        if gov_sectors and self.garrison.troops < 1:
            raise ValueError("garrison.troops: the government holds plant sectors, so it needs a "
                             "garrison of at least 1 (or give every sector to the insurgents)")
        if self.ground_campaign.plant_assault_success_prob > 0 and self.garrison.relief_troops < 1:
            raise ValueError("garrison.relief_troops: a plant retaken by assault needs a new "
                             "garrison; give at least 1 relief troop or set "
                             "ground_campaign.plant_assault_success_prob to 0")
        for j, area in enumerate(self.ground_campaign.route):
            check(area, f"ground_campaign.route[{j}]")
            if kinds[area] == "sector":
                raise ValueError(
                    f"ground_campaign.route[{j}]: '{area}' is a plant sector; the route "
                    "lists the areas on the way to the plant"
                )
        return self

    @property
    def sectors(self) -> list[Area]:
        return [a for a in self.areas if a.kind == "sector"]


def _unique(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{where}: the name '{name}' is used twice")
        seen.add(name)
