"""The scenario schema: every parameter a run reads, typed and range-checked.

Validation happens once, when a file is loaded, so that a typo fails with a
clear message instead of a KeyError deep inside a replication. Unknown keys are
errors (``extra="forbid"``); probabilities live in [0, 1]; durations and counts
are non-negative; names that other sections refer to must exist.

Every value is also bounded above, so that whatever validates runs in reasonable
time and memory: numbers are finite and never true/false, names are short and
printable, lists are short, and the expected number of random arrivals in one
replication is capped (:data:`MAX_EVENTS`). Each bound, and why, is in
docs/model.md, section 4.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

# Upper bounds (docs/model.md, section 4): generously above anything plausible, low enough
# that one replication runs in seconds and a run's memory stays bounded.
MAX_DAYS = 1e9  # any duration or day: far beyond the longest horizon, so it means "never"
MAX_RATE = 1000.0  # arrivals a day of one Poisson process (strikes, assaults, clashes...)
MAX_HEADS = 1_000_000  # troops, fighters: more than every army in the region together
MAX_TEAMS = 10_000  # anti-aircraft teams
MAX_AIRCRAFT = 1000  # aircraft of one supply operator
MAX_SORTIES = 24.0  # sorties a day per aircraft: one an hour, day and night
MAX_KBBL_DAY = 100_000.0  # thousand barrels a day: the whole world's crude output
MAX_FACTOR = 1000.0  # multipliers and ratios (advantage, idle factor, coordination...)
MAX_CV = 10.0  # coefficients of variation of gamma durations
MAX_DECISIVENESS = 20.0  # the exponent of the force-ratio contest (already all-or-nothing)
MAX_EXPONENT = 100.0  # perimeter exponent of airdrops
MAX_NAME = 100  # characters of an area, link, unit or operator name
MAX_SCENARIO_NAME = 200  # characters and UTF-8 bytes: it names files of a results folder
MAX_TEXT = 20_000  # characters of a description, a provenance text, a reason
MAX_ITEMS = 1000  # areas, links, route areas, area changes... in one list
MAX_UNITS = 100  # process units of the plant, supply operators
MAX_EVENTS = 2_000_000  # expected random arrivals in one replication (1-2 µs each: seconds)
MAX_POSTERIOR_VALUES = 40_000  # numbers of a posterior's draws (the loader reads 50,000 values)
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2200, 12, 31)


def _number(value: Any) -> Any:
    """A number is a number: YAML's true/false would otherwise pass as 1 and 0."""
    if isinstance(value, bool):
        raise ValueError(f"a number is needed here, not {str(value).lower()}")
    return value


def _printable(value: Any) -> Any:
    """Names are written to files, tables and terminals: no control or invisible
    formatting characters (line breaks, NUL, escape sequences, bidirectional overrides)."""
    if isinstance(value, str):
        bad = next((c for c in value if not c.isprintable()), None)
        if bad is not None:
            raise ValueError(f"the character U+{ord(bad):04X} is not allowed in a name "
                             "(no control or invisible formatting characters)")
    return value


IsNumber = BeforeValidator(_number)
Probability = Annotated[float, IsNumber, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, IsNumber, Field(ge=0.0, le=MAX_DAYS)]
Days = NonNegative  # a duration or a day of the run, in days
PositiveDays = Annotated[float, IsNumber, Field(gt=0.0, le=MAX_DAYS)]
Rate = Annotated[float, IsNumber, Field(ge=0.0, le=MAX_RATE)]
Heads = Annotated[int, IsNumber, Field(ge=0, le=MAX_HEADS)]
Factor = Annotated[float, IsNumber, Field(ge=1.0, le=MAX_FACTOR)]
Cv = Annotated[float, IsNumber, Field(ge=0.0, le=MAX_CV)]
Kbbl = Annotated[float, IsNumber, Field(ge=0.0, le=MAX_KBBL_DAY)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), BeforeValidator(_printable)]
AreaRef = Annotated[str, Field(max_length=MAX_NAME)]  # must name an area (checked below)
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Date = Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]

SIDES = ("government", "insurgent")
Holder = Literal["government", "insurgent"]
AreaKind = Literal["sector", "village", "field", "destination", "other"]
LinkKind = Literal["crude_pipeline", "crude_road", "product_pipeline", "truck_road"]
CRUDE_KINDS = ("crude_pipeline", "crude_road")
ROAD_KINDS = ("crude_road", "truck_road")
REFINERY = "refinery"


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, values are re-validated on copy."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True,
                              allow_inf_nan=False)


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

    name: Name
    kind: AreaKind
    holder: Holder


class Link(Strict):
    """A pipeline or road between the refinery and a field or destination.

    It serves a side only while that side holds every area it passes through
    (endpoints included) and it is not cut by sabotage.
    """

    name: Name
    kind: LinkKind
    source: AreaRef = Field(description="field area for crude; 'refinery' for outbound links")
    destination: AreaRef = Field(
        description="'refinery' for crude; a destination area otherwise")
    through: list[AreaRef] = Field(default_factory=list, max_length=MAX_ITEMS)
    capacity_kbbl_day: Kbbl = Field(
        0.0, description="pipeline throughput; for roads use trucks_per_day x bbl_per_truck"
    )
    trucks_per_day: Annotated[float, IsNumber, Field(ge=0.0, le=100_000.0)] = 0.0
    bbl_per_truck: Annotated[float, IsNumber, Field(ge=0.0, le=10_000.0)] = 200.0
    sabotage_rate_per_day: Rate = 0.0
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

    name: Name
    nameplate_kbbl_day: Annotated[float, IsNumber, Field(gt=0.0, le=MAX_KBBL_DAY)]


class Refinery(Strict):
    """What it takes to run the plant, and how it is repaired and brought back (docs/model.md)."""

    capacity_kbbl_day: Kbbl = 200.0
    units: list[ProcessUnit] = Field(default_factory=lambda: [
        ProcessUnit(name="train 1", nameplate_kbbl_day=150.0),
        ProcessUnit(name="train 2", nameplate_kbbl_day=70.0),
        ProcessUnit(name="train 3", nameplate_kbbl_day=70.0)], min_length=1,
        max_length=MAX_UNITS)
    required_plant_share: Annotated[float, IsNumber, Field(gt=0.5, le=1.0)] = 1.0
    surroundings: list[AreaRef] = Field(default_factory=list, max_length=MAX_ITEMS)
    idle_since: Date | None = None
    restart_days: PerSide = PerSide(government=21.0, insurgent=60.0)
    long_idle_factor: Factor = 6.0
    idle_scale_days: PositiveDays = 180.0
    ramp_days: Days = 14.0
    rebuild_days: PositiveDays = 540.0
    repair_cv: Cv = 0.5
    repair_crews: PerSide = PerSide(government=2.0, insurgent=1.0)
    crude_storage_days: NonNegative = 7.0
    product_storage_days: NonNegative = 5.0
    initial_damage: Probability = 0.0


class Garrison(Strict):
    """The besieged defenders and their stock of supplies."""

    troops: Heads = 300
    supplies_days: Days = 20.0
    consumption_kg_per_troop_day: Annotated[float, IsNumber, Field(ge=0.0, le=1000.0)] = 6.0
    fighting_consumption_kg_per_troop_day: Annotated[
        float, IsNumber, Field(ge=0.0, le=1000.0)] = 12.0
    collapse_after_days: PositiveDays = 14.0
    relief_troops: Heads = 0


class Offensive(Strict):
    """A renewed insurgent offensive from a given day: more fighters, more assaults."""

    start_day: Days
    fighters: Heads = 0
    attack_rate_per_day: Rate = 0.0


class Besiegers(Strict):
    """The insurgent force around (and possibly inside) the plant."""

    strength: Heads = 600
    reinforcement_per_day: Annotated[float, IsNumber, Field(ge=0.0, le=MAX_HEADS)] = 0.0
    max_strength: Heads = 2000
    attack_rate_per_day: Rate = 0.12
    assault_share: Probability = 0.5
    clash_rate_per_day: Rate = 0.5
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

    defender_advantage: Annotated[float, IsNumber, Field(gt=0.0, le=MAX_FACTOR)] = 3.0
    decisiveness: Annotated[float, IsNumber, Field(gt=0.0, le=MAX_DECISIVENESS)] = 1.5
    casualty_rate: Probability = 0.1
    counterattack_rate_per_day: Rate = 0.05
    counterattack_min_ratio: Annotated[float, IsNumber, Field(ge=0.0, le=MAX_FACTOR)] = 1.0


class Damage(Strict):
    """How fighting and sabotage damage the plant, and the wish of both sides to spare it."""

    fighting_damage_prob: Probability = 0.05
    damage_per_hit: Span = Span(low=0.02, high=0.08)
    aversion: Probability = 0.7
    sabotage_prob_when_losing: Probability = 0.1
    sabotage_damage: Span = Span(low=0.1, high=0.4)


class AirDefence(Strict):
    """Besiegers' anti-aircraft teams and their weapons."""

    teams: Annotated[int, IsNumber, Field(ge=0, le=MAX_TEAMS)] = 4
    engagement_per_team: Annotated[float, IsNumber, Field(ge=0.0, le=MAX_FACTOR)] = 0.15
    hit_prob: Probability = 0.1
    improved_hit_prob: Probability = 0.35
    improved_from_day: Days | None = None
    loss_given_hit: Probability = 0.6
    team_reinforcement_per_day: Annotated[float, IsNumber, Field(ge=0.0, le=MAX_TEAMS)] = 0.0
    max_teams: Annotated[int, IsNumber, Field(ge=0, le=MAX_TEAMS)] = 20

    @model_validator(mode="after")
    def _within_cap(self) -> AirDefence:
        if self.teams > self.max_teams:
            raise ValueError(f"teams ({self.teams}) exceeds max_teams ({self.max_teams})")
        return self


class HaltPolicy(Strict):
    """Stop an operator's flights after `after_losses` losses within `within_days` days."""

    after_losses: Annotated[int, IsNumber, Field(ge=1, le=MAX_AIRCRAFT)] = 2
    within_days: PositiveDays = 30.0


class SupplyOperator(Strict):
    """One air bridge into the garrison: helicopters landing, or airdrops from altitude."""

    name: Name
    kind: Literal["helicopter", "airdrop"]
    aircraft: Annotated[int, IsNumber, Field(ge=0, le=MAX_AIRCRAFT)] = 1
    sorties_per_aircraft_day: Annotated[float, IsNumber, Field(ge=0.0, le=MAX_SORTIES)] = 0.5
    payload_t: Annotated[float, IsNumber, Field(ge=0.0, le=1000.0)] = 3.0
    bundles: Annotated[int, IsNumber, Field(ge=0, le=1000)] = 16
    bundle_t: Annotated[float, IsNumber, Field(ge=0.0, le=100.0)] = 0.9
    accuracy: Probability = 0.97
    perimeter_exponent: Annotated[float, IsNumber, Field(ge=0.0, le=MAX_EXPONENT)] = 0.3
    start_day: Days = 0.0
    end_day: Days | None = None
    exposure: Probability = 1.0
    halt: HaltPolicy | None = None

    @property
    def cargo_t(self) -> float:
        """Tonnes carried by one sortie."""
        return self.bundles * self.bundle_t if self.kind == "airdrop" else self.payload_t


class Airstrikes(Strict):
    """Foreign strikes around the plant, with intelligence and coordination effects."""

    start_day: Days = 0.0
    strikes_per_day: Rate = 0.0
    kills_per_strike: Annotated[float, IsNumber, Field(ge=0.0, le=1000.0)] = 2.0
    team_kill_prob: Probability = 0.1
    intelligence_factor: Annotated[float, IsNumber, Field(gt=0.0, le=100.0)] = 1.0
    coordination_failure_prob: Probability = 0.3
    inside_plant_share: Probability = 0.2
    inside_plant: Literal["while_garrison_holds", "always", "never"] = "while_garrison_holds"
    plant_damage_prob: Probability = 0.05
    damage_per_hit: Span = Span(low=0.02, high=0.08)


class GroundCampaign(Strict):
    """Government forces retaking the road to the refinery, area by area."""

    start_day: Days = 0.0
    route: list[AreaRef] = Field(default_factory=list, max_length=MAX_ITEMS)
    mean_days_per_area: Annotated[float, IsNumber, Field(ge=0.01, le=MAX_DAYS)] = 20.0
    duration_cv: Cv = 0.5
    coordination_factor: Factor = 1.0
    success_prob: Probability = 0.7
    retry_days: Days = 7.0
    insurgent_retake_rate_per_day: Rate = 0.0
    plant_assault_success_prob: Probability = 0.0


class AreaChange(Strict):
    """A change of hands fixed by the scenario (an offensive elsewhere), on a given day."""

    day: Days
    area: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    holder: Holder


# ``set_in`` of a value given by ``--set`` (the loader writes it; see Provenance).
COMMAND_LINE = "--set"


class Provenance(Strict):
    """Where a parameter's value comes from: a fact id in seeds/ or a stated assumption.

    An assumption may name the planning factor it starts from (``basis``, an id in
    seeds/reference-ranges.yaml) and a plausible ``range`` for sensitivity analysis.
    ``set_in`` records the opposite, written by the loader: the value was set in this
    file (or on the command line, :data:`COMMAND_LINE`) and no entry of that file, or of
    a file extending it, gives its source; a parent's entry describes the parent's value.
    """

    fact: Text | None = None
    assumption: Text | None = None
    basis: Text | None = None
    range: list[Annotated[float, IsNumber]] | None = None
    set_in: Text | None = None

    @model_serializer(mode="wrap")
    def _without_unset_in(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """``set_in`` is left out of a dump when unset: resolved copies of sourced entries
        stay as they were."""
        data = handler(self)
        if self.set_in is None:
            data.pop("set_in", None)
        return data

    @property
    def unsourced_text(self) -> str | None:
        """"set in FILE, no source given" for a ``set_in`` entry, else None."""
        if self.set_in is None:
            return None
        where = "on the command line" if self.set_in == COMMAND_LINE else f"in {self.set_in}"
        return f"set {where}, no source given"

    @model_validator(mode="after")
    def _one_kind(self) -> Provenance:
        if self.set_in is not None:
            if any(v is not None for v in (self.fact, self.assumption, self.basis, self.range)):
                raise ValueError("'set_in' (a value set without a source) goes alone: give "
                                 "'fact' or 'assumption' instead")
            return self
        if (self.fact is None) == (self.assumption is None):
            raise ValueError("give exactly one of 'fact' or 'assumption'")
        if self.basis is not None and self.assumption is None:
            raise ValueError("'basis' goes with an 'assumption'")
        if self.range is not None and (len(self.range) != 2 or self.range[1] < self.range[0]):
            raise ValueError("range must be [low, high] with low <= high")
        return self


class PosteriorSource(Strict):
    """Where a posterior's draws come from (written by ``baiji-sim calibrate``)."""

    folder: Text  # the calibration's results folder, as given to calibrate
    scenario: Text  # the file calibrated
    seed: Annotated[int, IsNumber, Field(ge=0)]
    replications: Annotated[int, IsNumber, Field(ge=1)]
    per_draw: Annotated[int, IsNumber, Field(ge=1)]
    prior_draws: Annotated[int, IsNumber, Field(ge=1)]
    ess: Annotated[float, IsNumber, Field(ge=0.0)]
    observations: dict[Annotated[str, Field(max_length=MAX_NAME)], Date] = Field(
        max_length=MAX_ITEMS)  # each observation weighed by, with its date
    made: Text  # when the calibration was written (UTC, ISO 8601)


class Posterior(Strict):
    """A calibrated scenario's parameters as weighted draws (``run --uncertainty`` draws
    from them instead of the provenance ranges; sim/scenario/uncertainty.py).

    ``draws`` is a table: one row per draw, one column per path of ``parameters``;
    ``weights`` (one per row, default all equal) need not sum to 1. That the paths are
    uncertain parameters of the scenario and the values lie in their ranges is checked by
    the loader, which knows the resolved scenario.
    """

    parameters: list[Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]] = Field(
        min_length=1, max_length=MAX_ITEMS)
    draws: list[list[Annotated[float, IsNumber]]] = Field(min_length=1)
    weights: list[Annotated[float, IsNumber, Field(ge=0.0)]] | None = None
    source: PosteriorSource

    @model_validator(mode="after")
    def _rectangular(self) -> Posterior:
        _unique(self.parameters, "posterior.parameters")
        width = len(self.parameters)
        if len(self.draws) * width > MAX_POSTERIOR_VALUES:
            raise ValueError(f"draws: {len(self.draws):,} rows of {width} values; at most "
                             f"{MAX_POSTERIOR_VALUES:,} values in all")
        for i, row in enumerate(self.draws):
            if len(row) != width:
                raise ValueError(f"draws[{i}]: {len(row)} values; every row has one value "
                                 f"per parameter ({width})")
        if self.weights is not None:
            if len(self.weights) != len(self.draws):
                raise ValueError(f"weights: {len(self.weights)} of them for "
                                 f"{len(self.draws)} draws; give one per draw")
            if sum(self.weights) <= 0.0:
                raise ValueError("weights: at least one must be above 0")
        return self


class Lever(Strict):
    """A parameter a decision-maker controls, with what moving it costs.

    Levers are kept apart from the uncertainties (assumptions with provenance ranges):
    a run with parameter uncertainty never draws them, and ``discover`` and the explorer
    set them. ``effort`` is in effort points per unit of the parameter moved away from
    ``free_end``, the end of ``range`` that costs nothing; the points are the scenario's
    own relative weights (docs/model.md, section "Levers").
    """

    label: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    unit: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    range: Annotated[list[Annotated[float, IsNumber]], Field(min_length=2, max_length=2)]
    effort: Annotated[float, IsNumber, Field(ge=0, le=1e6)] = 1.0
    free_end: Literal["low", "high"] = "low"
    description: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Lever:
        if not self.range[0] < self.range[1]:
            raise ValueError("range must be [low, high] with low < high")
        return self


class Scenario(Strict):
    """A complete, validated description of one situation to simulate."""

    name: Annotated[str, Field(min_length=1, max_length=MAX_SCENARIO_NAME),
                    BeforeValidator(_printable)]
    description: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    start_date: Date
    horizon_days: Annotated[int, IsNumber, Field(ge=1, le=3650)]
    areas: list[Area] = Field(max_length=MAX_ITEMS)
    links: list[Link] = Field(default_factory=list, max_length=MAX_ITEMS)
    refinery: Refinery = Refinery()
    garrison: Garrison = Garrison()
    besiegers: Besiegers = Besiegers()
    engagement: Engagement = Engagement()
    damage: Damage = Damage()
    air_defence: AirDefence = AirDefence()
    supply_operators: list[SupplyOperator] = Field(default_factory=list, max_length=MAX_UNITS)
    airstrikes: Airstrikes = Airstrikes()
    ground_campaign: GroundCampaign = GroundCampaign()
    area_changes: list[AreaChange] = Field(default_factory=list, max_length=MAX_ITEMS)
    provenance: dict[Annotated[str, Field(max_length=MAX_TEXT)], Provenance] = Field(
        default_factory=dict)
    inactive: dict[Annotated[str, Field(max_length=MAX_TEXT)], Text | None] = Field(
        default_factory=dict,
        description="parameter path prefixes (a mechanism such as 'airstrikes', or one link "
        "'links.NAME') that cannot act in this scenario, each with the reason; null in a "
        "variant makes an inherited entry active again")
    posterior: Posterior | None = Field(
        default=None, description="a calibrated scenario's parameter draws (written by "
        "baiji-sim calibrate); run --uncertainty draws from them")
    levers: dict[Annotated[str, Field(max_length=MAX_TEXT)], Lever | None] = Field(
        default_factory=dict,
        description="parameter paths a decision-maker controls, each with its range, unit "
        "and effort; null in a variant drops an inherited lever")

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
                near = difflib.get_close_matches(ref, names, n=1)
                known = f"; did you mean '{near[0]}'? Known" if near else "; known"
                raise ValueError(f"{where}: unknown area '{ref}'{known} areas: {', '.join(names)}")
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

    @model_validator(mode="after")
    def _runs_in_bounded_time(self) -> Scenario:
        """The scenario's name fits in a file name, and one replication draws at most
        :data:`MAX_EVENTS` random arrivals, whatever the combination of rates."""
        if len(self.name.encode("utf-8")) > MAX_SCENARIO_NAME:
            raise ValueError(f"name: at most {MAX_SCENARIO_NAME} bytes in UTF-8 (it names "
                             "the scenario's files in a results folder)")
        rates = arrival_rates(self)
        total = 1.0 + sum(rates.values())  # the day clock ticks once a day
        expected = self.horizon_days * total
        if expected > MAX_EVENTS:
            field, rate = max(rates.items(), key=lambda kv: kv[1])
            raise ValueError(
                f"{field}: one replication would draw about {expected:,.0f} random arrivals "
                f"(horizon_days {self.horizon_days} x {total:,.1f} a day, {rate:,.1f} of "
                f"them from here); at most {MAX_EVENTS:,} are allowed, so that a replication "
                "runs in seconds: lower the rates or horizon_days")
        return self

    @property
    def sectors(self) -> list[Area]:
        return [a for a in self.areas if a.kind == "sector"]


def arrival_rates(scenario: Scenario) -> dict[str, float]:
    """Expected random arrivals a day of each Poisson process (and of the ground
    campaign's operations), by the field that sets it: what :data:`MAX_EVENTS` bounds."""
    s = scenario
    rates = {
        "airstrikes.strikes_per_day": s.airstrikes.strikes_per_day,
        "besiegers.attack_rate_per_day": s.besiegers.attack_rate_per_day,
        "besiegers.clash_rate_per_day": s.besiegers.clash_rate_per_day,
        "engagement.counterattack_rate_per_day": s.engagement.counterattack_rate_per_day,
        "ground_campaign.insurgent_retake_rate_per_day":
            s.ground_campaign.insurgent_retake_rate_per_day,
    }
    if s.besiegers.offensive is not None:
        rates["besiegers.offensive.attack_rate_per_day"] = (
            s.besiegers.offensive.attack_rate_per_day)
    if s.ground_campaign.route:
        g = s.ground_campaign
        rates["ground_campaign.mean_days_per_area"] = 1.0 / (
            g.mean_days_per_area * g.coordination_factor)
    for i, op in enumerate(s.supply_operators):
        rates[f"supply_operators[{i}] ({op.name}).sorties_per_aircraft_day"] = (
            op.aircraft * op.sorties_per_aircraft_day)
    for i, link in enumerate(s.links):
        rates[f"links[{i}] ({link.name}).sabotage_rate_per_day"] = link.sabotage_rate_per_day
    return rates


def _unique(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{where}: the name '{name}' is used twice")
        seen.add(name)
