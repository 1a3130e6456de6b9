"""Insurgent attacks on the plant, perimeter clashes, and the garrison's counter-attacks.

Major assaults arrive as a Poisson process; an assault throws a share of the
besiegers at the garrison (see :mod:`sim.model.engagement`) and, if it succeeds,
takes the government's outermost sector. When the garrison holds no sector it
is overrun. Counter-attacks, also a Poisson process, go in only when the
garrison's effective strength is at least ``counterattack_min_ratio`` times the
besiegers facing it (``assault_share`` of them, times the insurgents' share of
the plant: only those holding ground inside defend it), and retake the
insurgents' innermost sector. Minor clashes
cost a few men on each side and make the day a day of fighting.

Fighting inside the plant damages it with probability
``fighting_damage_prob x (1 - aversion)``: neither side wants to wreck the
prize. Sabotage is the holder's decision when it is about to lose ground: the
insurgents wreck part of the plant with ``sabotage_prob_when_losing`` when a
counter-attack takes a sector from them, when government forces reach a plant
they hold part of, and when an assault from outside retakes a plant they hold
(the last two in :mod:`sim.model.ground_campaign`). The government does not wreck
the plant it wants to run.

When the garrison falls the attacks stop; if the government retakes the plant
with a new garrison (:meth:`Assaults.resume`), they start again.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.model.engagement import fight
from sim.model.timer import Timer
from sim.model.world import GOV, INS, World
from sim.rng import Stream, Streams
from sim.scenario.schema import Span


class Assaults:
    """Attacks, clashes and counter-attacks around and inside the plant."""

    def __init__(self, world: World, streams: Streams) -> None:
        self.world = world
        s = world.scenario
        self.eng = s.engagement
        self.dmg = s.damage
        self.bes = s.besiegers
        # Each kind of fight draws from its own stream, so changing one rate leaves the
        # others' numbers alone (common random numbers across scenarios).
        self.outcomes = streams("assaults.outcomes")
        self.counter_outcomes = streams("counterattacks.outcomes")
        self.clash_outcomes = streams("clashes.outcomes")
        self.damage_rng = streams("assaults.damage")
        self._stopped: list[Callable[[], None]] = []  # restarts of processes the fall ended
        processes: tuple[tuple[float, str, Callable[[], None], float], ...] = (
            (self.bes.attack_rate_per_day, "assaults.arrivals", self.assault, 0.0),
            (self.bes.clash_rate_per_day, "clashes", self.clash, 0.0),
            (self.eng.counterattack_rate_per_day, "counterattacks", self.counterattack, 0.0))
        off = self.bes.offensive
        if off is not None and off.attack_rate_per_day > 0.0:
            processes += ((off.attack_rate_per_day, "offensive.arrivals", self.assault,
                           off.start_day),)
        for rate, name, action, start in processes:
            if rate > 0.0:
                gaps = streams.iid(name, "exponential", 1.0 / rate,
                                   expected=rate * s.horizon_days)
                self._arrivals(gaps, action, start)

    def _arrivals(self, gaps: Callable[[], float], action: Callable[[], None],
                  start: float) -> None:
        """Call ``action`` at the arrivals of a Poisson process from ``start``, while a
        garrison holds; a process the fall ended waits for :meth:`resume`."""
        world = self.world
        # Declared before the closure that uses it: mypyc otherwise fails to bind a name
        # that a lambda inside a nested function reads and that is assigned after it.
        next_arrival: Callable[[float], None]

        def arrive(_: Timer) -> None:
            if world.garrison_alive:
                action()
            if world.garrison_alive:
                next_arrival(gaps())
            else:
                self._stopped.append(lambda: next_arrival(gaps()))

        next_arrival = Timer(world.env, arrive).after
        next_arrival(start + gaps())

    def resume(self) -> None:
        """A new garrison holds the plant: the attacks on it start again."""
        stopped, self._stopped = self._stopped, []
        for restart in stopped:
            restart()

    def assault(self) -> None:
        """A major insurgent attack on the garrison."""
        w = self.world
        attackers = int(w.besiegers * self.bes.assault_share)
        if attackers <= 0:
            return
        fitness = w.effective_defenders() / w.troops if w.troops else 0.0
        won = self._battle(self.outcomes, attackers, w.troops, fitness, by_insurgents=True)
        rec = w.recorder
        if won:
            sector = w.outermost_sector(GOV)
            if sector is not None:
                if rec.trace is not None:
                    rec.note(w.env.now, "control", f"sector {w.area_names[sector]} lost")
                w.set_holder(sector, INS)
        if w.troops <= 0 or w.sectors_held(GOV) == 0:
            w.garrison_falls("overrun")

    def counterattack(self) -> None:
        """The garrison tries to retake a sector the insurgents hold."""
        w = self.world
        sector = w.innermost_sector(INS)
        if sector is None:
            return
        # Only the insurgents holding ground inside the plant defend it.
        facing = int(w.besiegers * self.bes.assault_share * w.plant_share(INS) + 1e-9)
        strength = w.effective_defenders()
        if facing > 0 and strength < self.eng.counterattack_min_ratio * facing:
            return
        won = self._battle(self.counter_outcomes, int(strength), facing, 1.0,
                           by_insurgents=False)
        rec = w.recorder
        if won:
            if rec.trace is not None:
                rec.note(w.env.now, "control", f"sector {w.area_names[sector]} retaken")
            self.sabotage("a counter-attack takes a sector from them")
            w.set_holder(sector, GOV)
        if w.troops <= 0:
            w.garrison_falls("destroyed in a counter-attack")

    def _battle(self, outcomes: Stream, attackers: int, defenders: int,
                fitness: float, by_insurgents: bool) -> bool:
        """One fight (:func:`~sim.model.engagement.fight`) of an assault or a counter-attack:
        both sides' losses, the event log, and the damage a fight may do to the plant.
        Returns whether the attackers won."""
        w = self.world
        w.fighting_today = True
        won, att_loss, def_loss = fight(outcomes, attackers, defenders, fitness,
                                        self.eng.defender_advantage, self.eng.decisiveness,
                                        self.eng.casualty_rate)
        insurgent_loss, troop_loss = (att_loss, def_loss) if by_insurgents else (def_loss,
                                                                                att_loss)
        w.besiegers -= insurgent_loss
        w.troops -= troop_loss
        if w.recorder.trace is not None:
            what = (f"assault by {attackers} {'succeeds' if won else 'repelled'}"
                    if by_insurgents else
                    f"counter-attack by {attackers} {'succeeds' if won else 'fails'}")
            first = (f"{insurgent_loss} insurgents, {troop_loss} troops" if by_insurgents
                     else f"{troop_loss} troops, {insurgent_loss} insurgents")
            w.recorder.note(w.env.now, "assault", f"{what}; losses: {first}")
        self.fighting_damage()
        return won

    def clash(self) -> None:
        """A minor clash at the perimeter: a few losses on each side."""
        w = self.world
        w.fighting_today = True
        p = self.bes.clash_casualty_prob
        rng = self.clash_outcomes
        w.troops -= rng.binomial(w.troops, p)
        w.besiegers -= rng.binomial(w.besiegers, p)
        if w.troops <= 0:
            w.garrison_falls("worn down")

    def fighting_damage(self) -> None:
        """A fight aimed at the plant may damage it, held back by the aversion."""
        d = self.dmg
        self._maybe_damage(d.fighting_damage_prob * (1.0 - d.aversion), d.damage_per_hit,
                           "fighting damages the plant")

    def sabotage(self, why: str) -> None:
        """The insurgents, about to lose ground in the plant, may wreck part of it."""
        d = self.dmg
        self._maybe_damage(d.sabotage_prob_when_losing, d.sabotage_damage,
                           f"insurgents sabotage the plant ({why})")

    def _maybe_damage(self, prob: float, size_range: Span, what: str) -> None:
        """Damage the plant with probability ``prob`` by a uniform amount in ``size_range``.

        Both numbers are drawn every time, so the stream stays in step whatever happens.
        """
        rng = self.damage_rng
        u, size = rng.random(), rng.uniform(size_range.low, size_range.high)
        if u < prob:
            self.world.add_damage(size, what)
