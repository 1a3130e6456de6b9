"""Foreign airstrikes around the plant.

Strikes arrive as a Poisson process at ``strikes_per_day`` from ``start_day``.
A share ``coordination_failure_prob`` is wasted (wrong target, no clearance).
The rest kill a Poisson number of besiegers with mean ``kills_per_strike x
intelligence_factor`` and destroy an anti-aircraft team with probability
``team_kill_prob x intelligence_factor`` (capped at 1). A strike lands inside the
plant with probability ``inside_plant_share x (insurgent share of the plant)``
and then damages it with probability ``plant_damage_prob``.
"""

from __future__ import annotations

from sim.air_defence import AirDefence
from sim.rng import Streams
from sim.world import INS, World


class Airstrikes:
    """One Poisson process of strikes."""

    def __init__(self, world: World, streams: Streams, air_defence: AirDefence) -> None:
        self.world = world
        self.air = air_defence
        self.spec = spec = world.scenario.airstrikes
        if spec.strikes_per_day > 0.0:
            self.rng = streams("airstrikes")
            self.kills_rng = streams("airstrikes.kills")
            world.env.process(self._strikes())

    def _strikes(self):
        spec, world = self.spec, self.world
        timeout = world.env.timeout
        if spec.start_day > 0.0:
            yield timeout(spec.start_day)
        mean_gap = 1.0 / spec.strikes_per_day
        rng = self.rng
        while True:
            yield timeout(rng.exponential(mean_gap))
            self.strike()

    def strike(self) -> None:
        spec, w, rng = self.spec, self.world, self.rng
        u_wasted, u_team, u_inside, u_damage = rng.random(), rng.random(), rng.random(), (
            rng.random())
        size = rng.uniform(spec.damage_per_hit.low, spec.damage_per_hit.high)
        if u_wasted < spec.coordination_failure_prob:
            return
        kills = int(self.kills_rng.poisson(spec.kills_per_strike * spec.intelligence_factor))
        w.besiegers = max(0, w.besiegers - kills)
        if u_team < spec.team_kill_prob * spec.intelligence_factor:
            self.air.destroy_team()
        if u_inside < spec.inside_plant_share * w.plant_share(INS) and (
                u_damage < spec.plant_damage_prob):
            if w.recorder.trace is not None:
                w.recorder.note(w.env.now, "damage", f"airstrike damages the plant (+{size:.2f})")
            w.add_damage(size)
