"""The besiegers' air defence: the chance that a low-flying sortie is lost.

Following the usual decomposition, loss = P(engaged) x P(hit | launch) x
P(loss | hit), with P(engaged) = 1 - exp(-e T) for T anti-aircraft teams, each
adding ``e`` to the engagement intensity. From ``improved_from_day`` the hit
probability rises to that of the more effective launchers. Airstrikes destroy
teams; new teams may arrive each day. A sortie's own ``exposure`` (1 for a
helicopter landing in the plant, about 0 for a drop from altitude) scales it.
"""

from __future__ import annotations

import math

from sim.model.world import World
from sim.rng import Streams


class AirDefence:
    """Keeps the current per-sortie loss probability, recomputed only when it changes."""

    def __init__(self, world: World, streams: Streams) -> None:
        self.world = world
        self.spec = spec = world.scenario.air_defence
        self.hit_prob = spec.hit_prob
        rate = spec.team_reinforcement_per_day
        # One Poisson draw a day whatever happens: numpy makes them all at once.
        self._arrivals = (streams.iid("air_defence.reinforcement", "poisson", rate,
                                      expected=world.scenario.horizon_days)
                          if rate > 0.0 else None)
        self.loss_prob = 0.0
        self._recompute()
        if spec.improved_from_day is not None:
            world.env.process(self._upgrade(spec.improved_from_day))

    def _recompute(self) -> None:
        s = self.spec
        engaged = 1.0 - math.exp(-s.engagement_per_team * self.world.aa_teams)
        self.loss_prob = engaged * self.hit_prob * s.loss_given_hit

    def _upgrade(self, day: float):
        yield self.world.env.timeout(day)
        self.hit_prob = self.spec.improved_hit_prob
        self._recompute()
        rec = self.world.recorder
        if rec.trace is not None:
            rec.note(self.world.env.now, "air defence",
                     f"more effective launchers arrive: loss per sortie now {self.loss_prob:.3f}")

    def destroy_team(self) -> None:
        w = self.world
        if w.aa_teams > 0:
            w.aa_teams -= 1
            self._recompute()

    def end_of_day(self) -> None:
        if self._arrivals is not None:
            arrived = self._arrivals()
            if arrived:
                w = self.world
                w.aa_teams = min(self.spec.max_teams, w.aa_teams + arrived)
                self._recompute()
