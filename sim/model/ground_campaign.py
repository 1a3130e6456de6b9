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
the campaign resumes; the garrison then keeps at most its establishment
(its starting strength, or the new garrison of a retaken plant): the relief
column's other men hold the road outside rather than share a besieged stock.
A garrison that has already fallen is not relieved; instead, once the whole
route and the refinery's surroundings are held, the government assaults the
plant itself (same duration law; success with ``plant_assault_success_prob``).
The fight may damage the plant (held back by the aversion); before they lose it
the insurgents may sabotage it; a success puts a new garrison of
``relief_troops`` in the whole plant. When the relief column reaches a plant the
insurgents hold part of, they too may sabotage it.

``area_changes`` hand areas over on fixed days (offensives elsewhere, such as
Tikrit retaken in spring 2015); losing a route area that way cuts the road too.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.model.assaults import Assaults
from sim.model.timer import Timer
from sim.model.world import GOV, HOLDER_CODE, INS, World
from sim.rng import Stream, Streams


class GroundCampaign:
    """The advance along the route and the insurgents' counter-moves."""

    def __init__(self, world: World, streams: Streams, assaults: Assaults) -> None:
        self.world = world
        self.assaults = assaults
        self.spec = spec = world.scenario.ground_campaign
        self.route = [world.area_index[name] for name in spec.route]
        self.surroundings = [world.area_index[n] for n in world.scenario.refinery.surroundings]
        self.start_holders = [world.holder[i] for i in self.route]
        self._ground_lost = world.env.event()  # fires when insurgents retake a route area
        self._waiting = False  # the advance waits at the end of the route
        self._relieved = False
        # The garrison the plant keeps when the road is cut again: the relief column's men
        # beyond it are not trapped inside (they hold the road with the campaign).
        self.establishment = world.scenario.garrison.troops
        if self.route:
            world.env.process(self._advance(streams("ground_campaign")))
            if spec.plant_assault_success_prob > 0.0:
                world.on_change(self._wake_on_fall)
            rate = spec.insurgent_retake_rate_per_day
            if rate > 0.0:
                gaps = streams.iid("ground_campaign.retakes", "exponential", 1.0 / rate,
                                   expected=rate * world.scenario.horizon_days)
                self._retakes(gaps)
        for change in world.scenario.area_changes:
            self._schedule_change(world.area_index[change.area], HOLDER_CODE[change.holder],
                                  change.day)

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
                if self._plant_to_retake():
                    yield from self._assault_plant(rng, shape, mean)
                    continue
                self._lift()
                self._waiting = True
                yield self._ground_lost
                self._waiting = False
                if self._ground_lost.triggered:
                    self._ground_lost = env.event()
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

    def _wake_on_fall(self) -> None:
        """The garrison fell while the advance waited at the plant: time to assault it."""
        if self._waiting and self._plant_to_retake() and not self._ground_lost.triggered:
            self._ground_lost.succeed()

    def _plant_to_retake(self) -> bool:
        """The garrison is gone, and the government holds the way in: assault the plant."""
        w = self.world
        return (not w.garrison_alive and self.spec.plant_assault_success_prob > 0.0
                and all(w.holder[i] == GOV for i in self.surroundings))

    def _assault_plant(self, rng: Stream, shape: float, mean: float):
        """One operation against the plant held by the insurgents."""
        world, spec = self.world, self.spec
        env = world.env
        duration = rng.gamma(shape, mean / shape) if shape else mean
        success = rng.random() < spec.plant_assault_success_prob
        yield env.timeout(duration)
        if self.front() is not None or not self._plant_to_retake():
            return
        rec = world.recorder
        self.assaults.fighting_damage()
        if success:
            self.assaults.sabotage("an assault from outside retakes the plant")
            self._relieved = True
            self.establishment = world.scenario.garrison.relief_troops
            world.garrison_returns(self.establishment,
                                   "an assault from outside retakes the plant")
            self.assaults.resume()
            self._lift()
        else:
            if rec.trace is not None:
                rec.note(env.now, "ground", "assault on the plant fails; regrouping")
            yield env.timeout(spec.retry_days)

    def _lift(self) -> None:
        world = self.world
        if world.siege_lifted or not world.garrison_alive:
            return
        if world.held[INS] > 0:
            self.assaults.sabotage("government forces reach the plant")
        world.siege_lifted = True
        world.recorder.siege_lifted(world.env.now)
        if not self._relieved:
            self._relieved = True
            world.troops += world.scenario.garrison.relief_troops
        world.changed()

    def _lose(self, area: int, why: str) -> None:
        """An area of the route passes to the insurgents: the road is cut again."""
        world = self.world
        env = world.env
        rec = world.recorder
        if rec.trace is not None:
            rec.note(env.now, "ground", f"insurgents take {world.area_names[area]} ({why})")
        world.set_holder(area, INS)
        if world.siege_lifted:
            world.siege_lifted = False
            if world.troops > self.establishment:
                world.troops = self.establishment
            if rec.trace is not None:
                rec.note(env.now, "ground", "road cut again: siege re-imposed; the garrison "
                         f"keeps {world.troops} men")
            world.changed()
        # Wake the advance if it was waiting at the end of the route.
        event, self._ground_lost = self._ground_lost, env.event()
        if not event.triggered:
            event.succeed()

    def _schedule_change(self, area: int, side: int, day: float) -> None:
        world = self.world

        def change(_: Timer) -> None:
            if world.holder[area] == side:
                return
            if side == INS and area in self.route:
                self._lose(area, "scheduled")
                return
            if world.recorder.trace is not None:
                world.recorder.note(world.env.now, "ground",
                                    f"{world.area_names[area]} passes to the "
                                    f"{'government' if side == GOV else 'insurgents'}")
            world.set_holder(area, side)

        Timer(world.env, change).after(day)

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
            self._lose(held[-1], "a counter-move")

        next_retake = Timer(env, retake).after
        next_retake(self.spec.start_day + gaps())
