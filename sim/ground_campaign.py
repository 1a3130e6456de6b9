"""Government forces retaking the road to the refinery, one area at a time.

The route is an ordered list of areas ending next to the plant. Each operation
against the first area not yet held takes a gamma-distributed time with mean
``mean_days_per_area x coordination_factor`` (coordination problems stretch
every operation) and coefficient of variation ``duration_cv``; it succeeds with
``success_prob``, otherwise the force regroups for ``retry_days`` and tries
again. From ``start_day``, insurgents retake the government's most advanced
route area as a Poisson process at ``insurgent_retake_rate_per_day``. When the
whole route is held the siege is lifted: the road supplies the garrison and
``relief_troops`` join it (once). If an area is lost again the road is cut and
the campaign resumes.
A garrison that has already fallen is not relieved.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.rng import Stream, Streams
from sim.timer import Timer
from sim.world import GOV, INS, World


class GroundCampaign:
    """The advance along the route and the insurgents' counter-moves."""

    def __init__(self, world: World, streams: Streams) -> None:
        self.world = world
        self.spec = spec = world.scenario.ground_campaign
        self.route = [world.area_index[name] for name in spec.route]
        self.start_holders = [world.holder[i] for i in self.route]
        self._ground_lost = world.env.event()  # fires when insurgents retake a route area
        self._relieved = False
        if self.route:
            world.env.process(self._advance(streams("ground_campaign")))
            rate = spec.insurgent_retake_rate_per_day
            if rate > 0.0:
                gaps = streams.iid("ground_campaign.retakes", "exponential", 1.0 / rate,
                                   expected=rate * world.scenario.horizon_days)
                self._retakes(gaps)

    def front(self) -> int | None:
        """Position in the route of the first area the government does not hold."""
        holder = self.world.holder
        for pos, area in enumerate(self.route):
            if holder[area] != GOV:
                return pos
        return None

    def villages_retaken(self) -> int:
        """Route areas held now that the government did not hold at the start."""
        holder = self.world.holder
        return sum(1 for area, was in zip(self.route, self.start_holders, strict=True)
                   if holder[area] == GOV and was != GOV)

    def _advance(self, rng: Stream):
        spec, world = self.spec, self.world
        env = world.env
        mean = spec.mean_days_per_area * spec.coordination_factor
        shape = 1.0 / spec.duration_cv**2 if spec.duration_cv > 0.0 else 0.0
        if spec.start_day > 0.0:
            yield env.timeout(spec.start_day)
        while True:
            if self.front() is None:
                self._lift()
                yield self._ground_lost
                continue
            duration = rng.gamma(shape, mean / shape) if shape else mean
            success = rng.random() < spec.success_prob
            yield env.timeout(duration)
            pos = self.front()
            if pos is None:
                continue
            area = self.route[pos]
            rec = world.recorder
            if success:
                if rec.trace is not None:
                    rec.note(env.now, "ground", f"government retakes {world.area_names[area]}")
                world.set_holder(area, GOV)
            else:
                if rec.trace is not None:
                    rec.note(env.now, "ground",
                             f"operation against {world.area_names[area]} fails; regrouping")
                yield env.timeout(spec.retry_days)

    def _lift(self) -> None:
        world = self.world
        if world.siege_lifted or not world.garrison_alive:
            return
        world.siege_lifted = True
        world.recorder.siege_lifted(world.env.now)
        if not self._relieved:
            self._relieved = True
            world.troops += world.scenario.garrison.relief_troops
        world.changed()

    def _retakes(self, gaps: Callable[[], float]) -> None:
        """From ``start_day``, insurgents retake route areas at Poisson times."""
        world = self.world
        env = world.env
        holder = world.holder

        def retake(_: Timer) -> None:
            next_retake(gaps())
            held = [a for a in self.route if holder[a] == GOV]
            if not held:
                return
            area = held[-1]
            rec = world.recorder
            if rec.trace is not None:
                rec.note(env.now, "ground", f"insurgents retake {world.area_names[area]}")
            world.set_holder(area, INS)
            if world.siege_lifted:
                world.siege_lifted = False
                if rec.trace is not None:
                    rec.note(env.now, "ground", "road cut again: siege re-imposed")
                world.changed()
            # Wake the advance if it was waiting at the end of the route.
            event, self._ground_lost = self._ground_lost, env.event()
            event.succeed()

        next_retake = Timer(env, retake).after
        next_retake(self.spec.start_day + gaps())
