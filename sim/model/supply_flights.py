"""Supply flights into the garrison: helicopters that land, and airdrops from altitude.

Each operator flies sorties as a Poisson process at ``aircraft x
sorties_per_aircraft_day`` between its start and end days. A sortie is lost
with the air-defence loss probability times the operator's exposure; a lost
helicopter takes its cargo with it and the fleet shrinks. An airdrop's bundles
land inside the perimeter independently with probability
``accuracy x (government share of the plant) ^ perimeter_exponent``: the smaller
the perimeter, the more bundles fall to the besiegers. An operator with a halt
policy stops for good once ``after_losses`` losses fall within ``within_days``.
Flights pause while the siege is lifted (the road supplies the garrison) and
end when the garrison falls.
"""

from __future__ import annotations

import math
from collections import deque

from sim.model.air_defence import AirDefence
from sim.model.timer import Timer
from sim.model.world import GOV, World
from sim.rng import Stream, Streams
from sim.scenario.schema import SupplyOperator


class SupplyFlights:
    """One :class:`~sim.model.timer.Timer` per operator, firing once per sortie."""

    def __init__(self, world: World, streams: Streams, air_defence: AirDefence) -> None:
        self.world = world
        self.air = air_defence
        for op in world.scenario.supply_operators:
            if op.aircraft > 0 and op.sorties_per_aircraft_day > 0.0:
                self._fly(op, streams(f"flights.{op.name}"),
                          streams(f"flights.{op.name}.bundles"))

    def _fly(self, op: SupplyOperator, rng: Stream, bundle_rng: Stream) -> None:
        """Bind what a sortie reads, once, and schedule the operator's first sortie."""
        world, env, rec, air = self.world, self.world.env, self.world.recorder, self.air
        helicopter = op.kind == "helicopter"
        cargo, exposure = op.cargo_t, op.exposure
        end = math.inf if op.end_day is None else op.end_day
        halt = op.halt
        recent_losses: deque[float] = deque()
        aircraft, per_aircraft = op.aircraft, op.sorties_per_aircraft_day
        rnd = rng.random
        u_loss = 0.0  # drawn with the sortie's time, as the stream's order requires

        def next_sortie(wait: float = 0.0) -> None:
            nonlocal u_loss
            gap = -math.log(1.0 - rnd()) / (aircraft * per_aircraft)  # Exp(1) / fleet rate
            u_loss = rnd()
            after(wait + gap)

        def sortie(_: Timer) -> None:
            nonlocal aircraft
            now = env.now
            if now >= end or not world.garrison_alive:
                return
            if not world.siege_lifted:  # while it is lifted, the road supplies the garrison
                rec.sorties_flown += 1
                if u_loss < air.loss_prob * exposure:
                    aircraft -= 1
                    rec.supplies_lost_t += cargo
                    if helicopter:
                        rec.helicopters_lost += 1
                    if rec.trace is not None:
                        rec.note(now, "flights", f"{op.name}: aircraft shot down with "
                                 f"{cargo:g} t ({aircraft} left)")
                    if halt is not None:
                        recent_losses.append(now)
                        while recent_losses[0] < now - halt.within_days:
                            recent_losses.popleft()
                        if len(recent_losses) >= halt.after_losses:
                            rec.flights_halted(now, op.name, len(recent_losses))
                            return
                else:
                    if helicopter:
                        delivered = cargo
                    else:
                        p_in = op.accuracy * world.plant_share(GOV) ** op.perimeter_exponent
                        delivered = bundle_rng.binomial(op.bundles, p_in) * op.bundle_t
                    world.supplies_t += delivered
                    rec.supplies_delivered_t += delivered
                    rec.supplies_lost_t += cargo - delivered
                    if rec.trace is not None:
                        rec.note(now, "flights",
                                 f"{op.name}: {delivered:g} of {cargo:g} t delivered")
            if aircraft > 0 and world.garrison_alive:
                next_sortie()
            elif aircraft == 0 and rec.trace is not None:
                rec.note(now, "flights", f"{op.name}: no aircraft left")

        after = Timer(env, sortie).after
        if world.garrison_alive:
            next_sortie(op.start_day)
