"""One replication: build the world, start every mechanism, run to the horizon.

The day clock is the only mechanism with a fixed step: at the end of each day it
settles the garrison's rations, reinforcements, and writes one sample of each
daily series. Everything else happens at the moments the mechanisms draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from sim.model.air_defence import AirDefence
from sim.model.airstrikes import Airstrikes
from sim.model.assaults import Assaults
from sim.model.garrison import GarrisonSupply
from sim.model.ground_campaign import GroundCampaign
from sim.model.network import Network
from sim.model.observations import observation_values
from sim.model.recorder import Recorder, TraceEntry
from sim.model.refinery import (
    OPERATING,
    R_CRUDE,
    R_OUTLET,
    R_PLANT,
    R_REPAIR,
    R_RESTART,
    R_SURROUNDINGS,
    REASONS,
    Refinery,
)
from sim.model.supply_flights import SupplyFlights
from sim.model.timer import Timer
from sim.model.world import GOV, INS, World
from sim.rng import Streams
from sim.scenario.schema import Scenario


@dataclass
class ReplicationResult:
    """The outcome of one replication: its metrics, its daily series, its trace."""

    seed: int
    metrics: dict[str, float]
    daily: np.ndarray  # (len(DAILY), horizon_days)
    trace: list[TraceEntry] | None = None


class Replication:
    """A replication ready to run; ``env`` is exposed so benchmarks can step it."""

    def __init__(self, scenario: Scenario, seed: int, trace: bool = False) -> None:
        self.scenario = scenario
        self.seed = seed
        self.env = env = simpy.Environment()
        self.recorder = Recorder(scenario.horizon_days, trace)
        self.world = world = World(env, scenario, self.recorder)
        streams = Streams(seed)
        network = Network(world, streams)
        self.refinery = Refinery(world, network, streams)
        self.garrison = GarrisonSupply(world)
        self.air_defence = AirDefence(world, streams)
        SupplyFlights(world, streams, self.air_defence)
        Airstrikes(world, streams, self.air_defence)
        self.assaults = Assaults(world, streams)
        self.campaign = GroundCampaign(world, streams, self.assaults)
        bes = scenario.besiegers
        self._cap = bes.max_strength
        if bes.offensive is not None and bes.offensive.fighters > 0:
            Timer(env, self._offensive_arrives).after(bes.offensive.start_day)
        # One Poisson draw a day whatever happens: numpy makes them all at once.
        self._reinforcements = (
            streams.iid("besiegers.reinforcement", "poisson", bes.reinforcement_per_day,
                        expected=scenario.horizon_days)
            if bes.reinforcement_per_day > 0.0 else None)
        world.changed()  # first look at operability, at t = 0
        # Succeeds once the last day is settled: env.run(until=clock) runs the whole horizon.
        self.clock = env.event()
        # The first tick is scheduled at t = 0 after every process has started, so that
        # fixed-time events the mechanisms set up come before the tick due at the same time.
        env.timeout(0.0).callbacks.append(self._day_clock())

    def _offensive_arrives(self, _: Timer) -> None:
        """The renewed offensive brings its fighters, above the usual ceiling."""
        fighters = self.scenario.besiegers.offensive.fighters  # type: ignore[union-attr]
        self.world.besiegers += fighters
        self._cap += fighters
        if self.recorder.trace is not None:
            self.recorder.note(self.env.now, "ground",
                               f"insurgent offensive: {fighters} more fighters")

    def _day_clock(self) -> Callable[[simpy.Event], None]:
        """The callback that starts the clock; each day then ends with a settlement.

        One :class:`~sim.model.timer.Timer`, not a process: the clock is most of a
        replication's events. Everything a tick reads is bound here, once.
        """
        w = self.world
        reinforcements = self._reinforcements
        plant, garrison, air = self.refinery, self.garrison, self.air_defence
        full_rate = self.scenario.refinery.capacity_kbbl_day or 1.0
        held, n_sectors = w.held, w.n_sectors
        rec = self.recorder
        sample = rec.samples.extend  # one day's values, in DAILY order
        clock = self.clock
        days_left = self.scenario.horizon_days

        def end_of_day(_: Timer) -> None:
            nonlocal days_left
            supply_days = garrison.end_of_day()
            air.end_of_day()
            if reinforcements is not None:
                cap = self._cap
                besiegers = w.besiegers + reinforcements()
                w.besiegers = besiegers if besiegers < cap else max(cap, w.besiegers)
            w.fighting_today = False
            now = w.env.now
            gov_rate = plant.government_rate(now)
            sample((held[GOV] / n_sectors, supply_days, w.troops, w.besiegers, plant.state(),
                    air.loss_prob, gov_rate / full_rate, rec.helicopters_lost))
            days_left -= 1
            if days_left:
                tomorrow(1.0)
            else:
                clock.succeed()

        tomorrow = Timer(self.env, end_of_day).after

        def first_day(_: simpy.Event) -> None:
            if days_left:
                tomorrow(1.0)
            else:
                clock.succeed()

        return first_day

    def run(self) -> ReplicationResult:
        self.env.run(until=self.clock)
        return self.result()

    def result(self) -> ReplicationResult:
        now = self.env.now
        plant = self.refinery
        plant.accrue(now)
        w, rec = self.world, self.recorder
        gov, ins = plant.books[GOV], plant.books[INS]
        min_supply = self.garrison.min_supply_days
        full = self.scenario.refinery.capacity_kbbl_day
        gov_rate = plant.government_rate(now)
        days = gov.reason_days
        metrics = {
            "operable_days": gov.operable_days,
            "operating_days": gov.operating_days,
            "refined_kbbl": gov.refined_kbbl,
            "insurgent_operating_days": ins.operating_days,
            "first_operating_day": gov.first_operating_day,
            "operating_at_horizon": float(plant.state() == OPERATING),
            "garrison_held": float(w.garrison_alive),
            "garrison_fall_day": rec.garrison_fall_day,
            "siege_lifted_day": rec.siege_lifted_day,
            "gov_control_final": w.plant_share(GOV),
            "helicopters_lost": float(rec.helicopters_lost),
            "sorties_flown": float(rec.sorties_flown),
            "flights_halted_day": rec.flights_halted_day,
            "supplies_delivered_t": rec.supplies_delivered_t,
            "supplies_lost_t": rec.supplies_lost_t,
            "min_supply_days": min_supply if not math.isinf(min_supply) else math.nan,
            "refinery_damage_final": plant.damage,
            "villages_retaken": float(self.campaign.villages_retaken()),
            "output_share": gov.refined_kbbl / (full * now) if full > 0.0 and now > 0.0 else 0.0,
            "output_share_at_horizon": gov_rate / full if full > 0.0 else 0.0,
            "refinery_ran": float(gov.operating_days > 0.0),
            "insurgent_refined_kbbl": ins.refined_kbbl,
            "plant_retaken_day": rec.plant_retaken_day,
            "stopped_plant_days": days[R_PLANT],
            "stopped_surroundings_days": days[R_SURROUNDINGS],
            "stopped_crude_days": days[R_CRUDE],
            "stopped_outlet_days": days[R_OUTLET],
            "stopped_repair_days": days[R_REPAIR],
            "stopped_restart_days": days[R_RESTART],
            **{f"insurgent_stopped_{REASONS[k]}_days": ins.reason_days[k]
               for k in range(1, len(REASONS))},
        }
        daily = rec.daily
        metrics.update(observation_values(self.scenario, daily, metrics))
        return ReplicationResult(self.seed, metrics, daily, rec.trace)


def run_replication(scenario: Scenario, seed: int, trace: bool = False) -> ReplicationResult:
    """Run one replication of ``scenario`` with ``seed``."""
    return Replication(scenario, seed, trace).run()
