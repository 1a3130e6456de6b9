"""Foreign airstrikes around the plant.

Strikes arrive as a Poisson process at ``strikes_per_day`` from ``start_day``.
A share ``coordination_failure_prob`` is wasted (wrong target, no clearance).
The rest kill a Poisson number of besiegers with mean ``kills_per_strike x
intelligence_factor`` and destroy an anti-aircraft team with probability
``team_kill_prob x intelligence_factor`` (capped at 1). A strike lands inside the
plant with probability ``inside_plant_share x (insurgent share of the plant)``
and then damages one of its units with probability
``plant_damage_prob x (1 - aversion)``: the wish to spare the plant holds back
strikes as it holds back assaults. ``inside_plant`` states when strikes inside
the plant are allowed at all: ``while_garrison_holds`` (in support of the
garrison; none once it has fallen), ``always`` or ``never``.
"""

from __future__ import annotations

from math import log

from sim.model.air_defence import AirDefence
from sim.model.timer import Timer
from sim.model.world import INS, World
from sim.rng import Streams


class Airstrikes:
    """One Poisson process of strikes."""

    def __init__(self, world: World, streams: Streams, air_defence: AirDefence) -> None:
        self.world = world
        self.air = air_defence
        self.spec = spec = world.scenario.airstrikes
        if spec.strikes_per_day > 0.0:
            self.rng = streams("airstrikes")
            effective = spec.strikes_per_day * (1.0 - spec.coordination_failure_prob)
            self.kills = streams.iid("airstrikes.kills", "poisson",
                                     spec.kills_per_strike * spec.intelligence_factor,
                                     expected=effective * world.scenario.horizon_days)
            self._start()

    def _start(self) -> None:
        """Bind what a strike reads, once, and schedule the first strike.

        Strikes are the model's most frequent event: each is one firing of a
        :class:`~sim.model.timer.Timer`, and everything it reads is local.
        """
        spec, w, air = self.spec, self.world, self.air
        mean_gap = 1.0 / spec.strikes_per_day
        rnd, kills = self.rng.random, self.kills
        wasted, team_kill = spec.coordination_failure_prob, (
            spec.team_kill_prob * spec.intelligence_factor)
        inside = 0.0 if spec.inside_plant == "never" else spec.inside_plant_share
        only_with_garrison = spec.inside_plant == "while_garrison_holds"
        plant_damage = spec.plant_damage_prob * (1.0 - w.scenario.damage.aversion)
        low, high = spec.damage_per_hit.low, spec.damage_per_hit.high
        held, n_sectors = w.held, w.n_sectors

        def strike(_: Timer) -> None:
            # Every strike draws the same five numbers, whatever happens next.
            u_wasted, u_team, u_inside, u_damage = rnd(), rnd(), rnd(), rnd()
            size = low + (high - low) * rnd()  # Uniform(damage_per_hit)
            if u_wasted >= wasted:
                besiegers = w.besiegers - kills()
                w.besiegers = besiegers if besiegers > 0 else 0
                if u_team < team_kill:
                    air.destroy_team()
                if (u_damage < plant_damage and u_inside < inside * (held[INS] / n_sectors)
                        and (w.garrison_alive or not only_with_garrison)):
                    w.add_damage(size, "an airstrike damages the plant")
            next_strike(-mean_gap * log(1.0 - rnd()))  # Stream.exponential(mean_gap), inlined

        next_strike = Timer(w.env, strike).after
        next_strike(spec.start_day - mean_gap * log(1.0 - rnd()))
