"""The refinery as process units: damage, repair, recommissioning, storage, output.

Who can run the plant. The *operator* is the side that holds at least
``required_plant_share`` of the sectors and every surrounding area (with a
required share above one half, at most one side can). Only the operator's crews
repair, and only the operator can recommission and run units.

Units. Each process unit ``i`` carries its share of the pre-closure output,
``q_i = capacity x nameplate_i / sum(nameplate)``, and its own damage ``d_i``.
A hit of size ``a`` lands on one unit, drawn with probability proportional to
its nameplate, raises ``d_i`` (capped at 1) and adds repair work
``a x rebuild_days x G`` crew-days, with ``G ~ Gamma(mean 1, cv = repair_cv)``:
repair time grows linearly with damage, with no cliff. A damaged unit stops and
cannot run until its work is done; then ``d_i = 0``.

Repair. The operator's ``repair_crews`` each work one damaged unit at a time,
least remaining work first (output comes back soonest), at one crew-day per day.
Work pauses whenever the operator loses the plant or its surroundings.

Recommissioning. A repaired unit that is not running is recommissioned once
crude and an outlet serve the operator; it takes
``R(idle) = restart_days[side] x (1 + (long_idle_factor - 1)(1 - exp(-idle / idle_scale_days)))``
where ``idle`` is the time since the unit last ran (``idle_since`` gives the
plant's idle time when the scenario starts): a unit shut down yesterday restarts
in ``restart_days``; one idle for years takes ``long_idle_factor`` times that
(inspection, corrosion, looting). Losing a condition abandons the recommissioning.
Units come back one by one, so output returns in steps.

Storage. Crude tanks cover ``crude_storage_days`` and product tanks
``product_storage_days`` of a cut that starts while the link was serving the
operator: a condition counts as lost only once it has stayed lost that long.
Tanks are taken as full whenever the link flows (refill time neglected).

Output. A running unit ramps linearly to ``q_i`` over ``ramp_days``; the plant
makes ``min(sum of ramped unit outputs, crude in, products out)`` (a link cut
that storage covers does not cap it), integrated exactly between events.

Why it stops. Every moment each side is in exactly one state, counted in days:
``plant`` (not enough of the plant), ``surroundings``, ``crude``, ``outlet``,
``repair`` (every unit under repair), ``restart`` (units being recommissioned,
none running) or ``operating``.
"""

from __future__ import annotations

import math

from sim.model.network import Network
from sim.model.world import GOV, INS, SIDE_NAME, World
from sim.rng import Streams

DOWN, RESTARTING, OPERATING = 0, 1, 2  # the government's state in the daily series
STATE_NAME = ("down", "restarting", "operating")
# Why a side is not producing; index 0 is producing.
REASONS = ("operating", "plant", "surroundings", "crude", "outlet", "repair", "restart")
R_OPERATING, R_PLANT, R_SURROUNDINGS, R_CRUDE, R_OUTLET, R_REPAIR, R_RESTART = range(7)
# Phases of a unit.
DAMAGED, READY, COMMISSIONING, RUNNING = 0, 1, 2, 3
EPS = 1e-9


def recommissioning_days(base: float, idle: float, long_idle_factor: float,
                         idle_scale: float) -> float:
    """R(idle): days to bring a repaired unit back after ``idle`` days without running."""
    growth = 1.0 - math.exp(-max(idle, 0.0) / idle_scale)
    return base * (1.0 + (long_idle_factor - 1.0) * growth)


def capped_ramp_output(t0: float, t1: float, starts: list[float], sizes: list[float],
                       ramp: float, ceiling: float) -> float:
    """Integral over [t0, t1] of min(sum_i sizes_i x min(1, (t - starts_i) / ramp), ceiling).

    Units started at or before ``t0``. The sum is piecewise linear with a knee where
    each unit reaches full rate, so each piece is integrated exactly against the ceiling.
    """
    if t1 <= t0 or ceiling <= 0.0 or not sizes:
        return 0.0
    if ramp <= 0.0:
        return min(sum(sizes), ceiling) * (t1 - t0)

    def rate(t: float) -> float:
        return sum(q * min(1.0, (t - s) / ramp) for s, q in zip(starts, sizes, strict=True))

    knees = sorted(s + ramp for s in starts if t0 < s + ramp < t1)
    total, a = 0.0, t0
    for b in (*knees, t1):
        ua, ub = rate(a), rate(b)
        width = b - a
        if ua >= ceiling and ub >= ceiling:
            total += ceiling * width
        elif ua <= ceiling and ub <= ceiling:
            total += 0.5 * (ua + ub) * width
        else:  # crosses the ceiling once (the sum only rises between knees)
            x = width * (ceiling - ua) / (ub - ua)
            low, high = (ua, ceiling) if ua < ceiling else (ceiling, ub)
            if ua < ceiling:
                total += 0.5 * (low + high) * x + ceiling * (width - x)
            else:
                total += ceiling * x + 0.5 * (ceiling + ub) * (width - x)
        a = b
    return total


class Unit:
    """One process unit's state."""

    __slots__ = ("damage", "idle_from", "name", "phase", "q", "started", "token", "work")

    def __init__(self, name: str, q: float, idle_from: float) -> None:
        self.name = name
        self.q = q  # kbbl/day at full rate
        self.damage = 0.0
        self.work = 0.0  # crew-days of repair left
        self.phase = READY
        self.started = 0.0  # when it last started running
        self.idle_from = idle_from  # when it last stopped running
        self.token = 0  # bumps when a pending recommissioning is abandoned


class Tanks:
    """Storage on one side of the plant: it covers a cut that starts while the link flows."""

    __slots__ = ("days", "flowing", "until")

    def __init__(self, days: float) -> None:
        self.days = days
        self.flowing = False  # a link served the operator at the last look
        self.until = -math.inf  # when the tanks run dry after a cut

    def reset(self) -> None:
        """A new operator: its tanks are not taken as full until its links flow."""
        self.flowing, self.until = False, -math.inf

    def ok(self, capacity: float, now: float) -> bool:
        """Whether the condition holds now: the link flows, or the tanks still cover the cut."""
        if capacity > 0.0:
            self.flowing, self.until = True, -math.inf
            return True
        if self.flowing:  # the flow stops now: the tanks take over
            self.flowing = False
            self.until = now + self.days
        return now < self.until - EPS


class SideBook:
    """One side's totals: days in each state and products refined."""

    __slots__ = ("first_operating_day", "reason", "reason_days", "refined_kbbl")

    def __init__(self) -> None:
        self.reason = R_PLANT
        self.reason_days = [0.0] * len(REASONS)
        self.refined_kbbl = 0.0
        self.first_operating_day = math.nan

    @property
    def operating_days(self) -> float:
        return self.reason_days[R_OPERATING]

    @property
    def operable_days(self) -> float:
        """Days the side had every condition: producing, repairing or recommissioning."""
        d = self.reason_days
        return d[R_OPERATING] + d[R_REPAIR] + d[R_RESTART]


class Refinery:
    """The plant's units and both sides' attempts to run them."""

    def __init__(self, world: World, network: Network, streams: Streams) -> None:
        self.world = world
        self.network = network
        s = world.scenario
        spec = self.spec = s.refinery
        self.required = math.ceil(spec.required_plant_share * world.n_sectors - 1e-9)
        self.surroundings = tuple(world.area_index[n] for n in spec.surroundings)
        self.capacity = spec.capacity_kbbl_day
        idle0 = float((s.start_date - spec.idle_since).days) if spec.idle_since else 0.0
        total = sum(u.nameplate_kbbl_day for u in spec.units)
        self.units = [Unit(u.name, self.capacity * u.nameplate_kbbl_day / total, -idle0)
                      for u in spec.units]
        self._weights = [u.nameplate_kbbl_day / total for u in spec.units]
        self._repair_rng = streams("refinery.repairs")
        self._target_rng = streams("refinery.damage")
        shape = 1.0 / spec.repair_cv**2 if spec.repair_cv > 0.0 else 0.0
        self._noise_shape = shape
        self.books = (SideBook(), SideBook())
        self.operator: int | None = None
        self._last = 0.0
        self._working: list[Unit] = []
        self._repair_token = 0
        self._crude = Tanks(spec.crude_storage_days)
        self._products = Tanks(spec.product_storage_days)
        self._ceiling = 0.0
        self.ok = False  # the operator has crude and an outlet (storage included)
        self._crude_ok = False
        if spec.initial_damage > 0.0:
            for unit in self.units:
                self._hit(unit, spec.initial_damage, 0.0)
        world.plant = self
        world.on_change(self.update)

    # -- damage and repair -----------------------------------------------------------------
    @property
    def damage(self) -> float:
        """Damage of the plant: the output-weighted mean of its units' damage (0..1)."""
        return sum(u.damage * w for u, w in zip(self.units, self._weights, strict=True))

    def add_damage(self, amount: float) -> str:
        """A hit of ``amount`` on one unit, drawn by nameplate; return the unit's name."""
        u = self._target_rng.random()
        unit = self.units[-1]
        for candidate, w in zip(self.units, self._weights, strict=True):
            u -= w
            if u < 0.0:
                unit = candidate
                break
        now = self.world.env.now
        self.accrue(now)
        self._hit(unit, amount, now)
        return unit.name

    def _hit(self, unit: Unit, amount: float, now: float) -> None:
        noise = (self._repair_rng.gamma(self._noise_shape, 1.0 / self._noise_shape)
                 if self._noise_shape else 1.0)
        unit.damage = min(1.0, unit.damage + amount)
        unit.work += amount * self.spec.rebuild_days * noise
        if unit.phase == RUNNING:
            unit.idle_from = now
        if unit.phase == COMMISSIONING:
            unit.token += 1
        unit.phase = DAMAGED

    # -- the state machine -----------------------------------------------------------------
    def _operator_now(self) -> int | None:
        w = self.world
        holder = w.holder
        for side in (GOV, INS):
            if w.held[side] >= self.required:
                for i in self.surroundings:
                    if holder[i] != side:
                        return None
                return side
        return None

    def update(self) -> None:
        """Re-evaluate after any change in the world (or a timer of this plant)."""
        w = self.world
        env = w.env
        now = env.now
        self.accrue(now)
        for unit in self.units:
            if unit.phase == DAMAGED and unit.work <= EPS:
                unit.work, unit.damage, unit.phase = 0.0, 0.0, READY
                self._note(now, f"{unit.name} repaired")
        op = self._operator_now()
        if op != self.operator:
            self._stop_units(now, "control of the plant changed")
            self.operator = op
            self._crude.reset()
            self._products.reset()
        if op is None:
            self.ok = False
            self._working = []
            self._repair_token += 1
            self._set_reasons(None)
            return
        crude, out = self.network.capacity(op)
        crude_ok = self._look(self._crude, crude, now)
        out_ok = self._look(self._products, out, now)
        self._crude_ok = crude_ok
        self.ok = crude_ok and out_ok
        if self.ok:  # a link covered by storage does not cap the output
            self._ceiling = min(crude if crude > 0.0 else math.inf,
                                out if out > 0.0 else math.inf)
            restart = self.spec.restart_days.government if op == GOV else (
                self.spec.restart_days.insurgent)
            for unit in self.units:
                if unit.phase == READY:
                    self._commission(unit, restart, now)
        else:
            self._stop_units(now, "no crude" if not crude_ok else "no outlet")
        self._plan_repairs(op)
        self._set_reasons(op)

    def _look(self, tanks: Tanks, capacity: float, now: float) -> bool:
        """Ask ``tanks`` whether the condition holds; when a cut has just started, look
        again the moment the tanks run dry."""
        was_flowing = tanks.flowing
        ok = tanks.ok(capacity, now)
        if was_flowing and not tanks.flowing and tanks.days > 0.0:
            self.world.env.timeout(tanks.days).callbacks.append(lambda _: self.update())
        return ok

    def _commission(self, unit: Unit, base: float, now: float) -> None:
        spec = self.spec
        days = recommissioning_days(base, now - unit.idle_from, spec.long_idle_factor,
                                    spec.idle_scale_days)
        unit.phase = COMMISSIONING
        unit.token += 1
        self._note(now, f"{unit.name}: recommissioning begun ({days:.0f} days needed)")
        if days <= 0.0:
            self._start(unit, now)
            return
        token = unit.token
        timer = self.world.env.timeout(days)
        timer.callbacks.append(lambda _: self._commissioned(unit, token))

    def _commissioned(self, unit: Unit, token: int) -> None:
        if unit.token != token or unit.phase != COMMISSIONING:
            return
        now = self.world.env.now
        self.accrue(now)
        self._start(unit, now)
        self._set_reasons(self.operator)

    def _start(self, unit: Unit, now: float) -> None:
        unit.phase = RUNNING
        unit.started = now
        book = self.books[self.operator if self.operator is not None else GOV]
        if math.isnan(book.first_operating_day):
            book.first_operating_day = now
        self._note(now, f"{unit.name} running ({unit.q:.0f} kbbl/day at full rate)")

    def _stop_units(self, now: float, why: str) -> None:
        stopped = False
        for unit in self.units:
            if unit.phase == RUNNING:
                unit.idle_from = now
                unit.phase = READY
                stopped = True
            elif unit.phase == COMMISSIONING:
                unit.token += 1
                unit.phase = READY
                stopped = True
        if stopped:
            self._note(now, f"units stopped ({why})")

    def _plan_repairs(self, op: int) -> None:
        """The operator's crews take the damaged units with the least work left."""
        crews = int(self.spec.repair_crews.government if op == GOV else
                    self.spec.repair_crews.insurgent)
        damaged = [u for u in self.units if u.phase == DAMAGED]
        damaged.sort(key=lambda u: u.work)
        self._working = damaged[:crews]
        self._repair_token += 1
        if self._working:
            token = self._repair_token
            timer = self.world.env.timeout(self._working[0].work)
            timer.callbacks.append(lambda _: self._repair_due(token))

    def _repair_due(self, token: int) -> None:
        if token == self._repair_token:
            self.update()

    def _set_reasons(self, op: int | None) -> None:
        w = self.world
        for side in (GOV, INS):
            book = self.books[side]
            if side != op:
                book.reason = R_PLANT if w.held[side] < self.required else R_SURROUNDINGS
            elif not self.ok:
                book.reason = R_CRUDE if not self._crude_ok else R_OUTLET
            else:
                phases = [u.phase for u in self.units]
                book.reason = (R_OPERATING if RUNNING in phases else
                               R_RESTART if COMMISSIONING in phases else R_REPAIR)

    # -- accounting ------------------------------------------------------------------------
    def rate(self, now: float) -> float:
        """The operator's output now, kbbl/day."""
        if self.operator is None or not self.ok:
            return 0.0
        ramp = self.spec.ramp_days
        total = 0.0
        for u in self.units:
            if u.phase == RUNNING:
                total += u.q if ramp <= 0.0 else u.q * min(1.0, (now - u.started) / ramp)
        return min(total, self._ceiling)

    def government_rate(self, now: float) -> float:
        """The government's output now, kbbl/day (0 when it is not the operator)."""
        return self.rate(now) if self.operator == GOV else 0.0

    def accrue(self, now: float) -> None:
        """Integrate each side's days by state, output and repair work up to ``now``."""
        dt = now - self._last
        if dt <= 0.0:
            return
        t0 = self._last
        self._last = now
        for book in self.books:
            book.reason_days[book.reason] += dt
        for unit in self._working:
            unit.work -= dt
        if self.operator is not None and self.ok:
            running = [u for u in self.units if u.phase == RUNNING]
            if running:
                self.books[self.operator].refined_kbbl += capped_ramp_output(
                    t0, now, [u.started for u in running], [u.q for u in running],
                    self.spec.ramp_days, self._ceiling)

    def state(self) -> int:
        """The government's state for the daily series: down, restarting or operating."""
        reason = self.books[GOV].reason
        if reason == R_OPERATING:
            return OPERATING
        return RESTARTING if reason in (R_REPAIR, R_RESTART) else DOWN

    def _note(self, now: float, text: str) -> None:
        rec = self.world.recorder
        if rec.trace is not None:
            side = SIDE_NAME[self.operator] if self.operator is not None else "nobody"
            rec.note(now, "refinery", f"{side}: {text}")
