"""Whether, and how much, each side can run the refinery.

A side can operate only while ALL of these hold: it holds at least the required
share of the plant's sectors, it holds every surrounding area, at least one
crude link and one outbound link serve it, and damage is below the threshold.
Once they have held continuously for the side's restart delay, production
starts and ramps linearly over ``ramp_days`` towards capacity x (1 - damage),
capped by the crude inflow and the outbound capacity. Losing any condition
shuts the plant down; a new restart is then needed.

The state machine is event-driven: :meth:`Operation.update` runs whenever the
world changes, and output is integrated exactly between changes.
"""

from __future__ import annotations

import math

import simpy

from sim.network import Network
from sim.world import GOV, SIDE_NAME, World

DOWN, RESTARTING, OPERATING = 0, 1, 2
STATE_NAME = ("down", "restarting", "operating")


def ramp_output(elapsed0: float, elapsed1: float, slope: float, ceiling: float) -> float:
    """Integral of min(slope * x, ceiling) dx from elapsed0 to elapsed1 (x: days since start).

    With ``slope = inf`` (no ramp) this is ``ceiling x (elapsed1 - elapsed0)``.
    """
    if elapsed1 <= elapsed0 or ceiling <= 0.0:
        return 0.0
    if math.isinf(slope):
        return ceiling * (elapsed1 - elapsed0)
    knee = ceiling / slope  # when the ramp reaches the ceiling
    total = 0.0
    if elapsed0 < knee:
        upper = min(elapsed1, knee)
        total += 0.5 * slope * (upper * upper - elapsed0 * elapsed0)
    if elapsed1 > knee:
        total += ceiling * (elapsed1 - max(elapsed0, knee))
    return total


class Operation:
    """One side's attempt to run the refinery."""

    def __init__(self, world: World, network: Network, side: int) -> None:
        self.world = world
        self.network = network
        self.side = side
        spec = world.scenario.refinery
        self.required_sectors = math.ceil(spec.required_plant_share * world.n_sectors - 1e-9)
        self.surroundings = tuple(world.area_index[n] for n in spec.surroundings)
        self.restart_days = spec.restart_days.government if side == GOV else (
            spec.restart_days.insurgent)
        self.capacity = spec.capacity_kbbl_day
        self.ramp_days = spec.ramp_days
        self.damage_threshold = spec.damage_threshold
        self.state = DOWN
        self._token = 0  # bumps on every shutdown: a stale restart timer then does nothing
        self._last = 0.0  # time up to which the totals below are integrated
        self._started = 0.0  # when production last started
        self._ceiling = 0.0  # output ceiling in force since the last update, kbbl/day
        self._slope = math.inf  # ramp-up rate in force since the last update, kbbl/day per day
        self.operable_days = 0.0
        self.operating_days = 0.0
        self.refined_kbbl = 0.0
        self.first_operating_day = math.nan
        world.on_change(self.update)

    def conditions_hold(self) -> bool:
        w = self.world
        if w.damage >= self.damage_threshold:
            return False
        if w.sectors_held(self.side) < self.required_sectors:
            return False
        holder, side = w.holder, self.side
        for i in self.surroundings:  # a loop: any() over a generator costs twice as much here
            if holder[i] != side:
                return False
        crude, out = self.network.capacity(side)
        if crude <= 0.0 or out <= 0.0:
            return False
        full = self.capacity * (1.0 - w.damage)
        self._ceiling = min(full, crude, out)
        self._slope = full / self.ramp_days if self.ramp_days > 0.0 else math.inf
        return True

    def accrue(self, now: float) -> None:
        """Integrate operable time, operating time and output up to ``now``."""
        dt = now - self._last
        if dt <= 0.0:
            return
        if self.state != DOWN:
            self.operable_days += dt
        if self.state == OPERATING:
            self.operating_days += dt
            self.refined_kbbl += ramp_output(
                self._last - self._started, now - self._started, self._slope, self._ceiling
            )
        self._last = now

    def update(self) -> None:
        """Re-evaluate after any change in the world."""
        env = self.world.env
        now = env.now
        self.accrue(now)
        ok = self.conditions_hold()
        if ok and self.state == DOWN:
            self.state = RESTARTING
            self._note(now, f"restart begun ({self.restart_days:g} days needed)")
            if self.restart_days > 0.0:
                timer = env.timeout(self.restart_days, self._token)
                timer.callbacks.append(self._restart_done)
            else:
                self._start(now)
        elif not ok and self.state != DOWN:
            was = self.state
            self.state = DOWN
            self._token += 1
            self._note(now, "shut down" if was == OPERATING else "restart abandoned")

    def _restart_done(self, event: simpy.Event) -> None:
        if event.value == self._token and self.state == RESTARTING:
            self.accrue(self.world.env.now)
            self._start(self.world.env.now)

    def _start(self, now: float) -> None:
        self.state = OPERATING
        self._started = now
        if math.isnan(self.first_operating_day):
            self.first_operating_day = now
        self._note(now, f"operating (ceiling {self._ceiling:.0f} kbbl/day)")

    def _note(self, now: float, text: str) -> None:
        rec = self.world.recorder
        if rec.trace is not None:
            rec.note(now, "refinery", f"{SIDE_NAME[self.side]}: {text}")
