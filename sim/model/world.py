"""The shared state of one replication, and who holds which area.

Every mechanism reads and writes this one object. State that several mechanisms
touch lives here as plain attributes (integers and floats in ``__slots__``: the
hot path reads them millions of times). Whenever something that decides whether
the refinery can run changes (an area's holder, a link, damage, the garrison),
the mechanism calls :meth:`World.changed`, and the refinery's operators
re-evaluate at once instead of polling.

Areas change hands only through :meth:`World.set_holder` and
:meth:`World.garrison_falls`, which keep a count of the sectors each side holds:
the shares of the plant are read on many events and never need a sum.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import simpy

from sim.model.recorder import Recorder
from sim.scenario.schema import Scenario

GOV, INS = 0, 1
HOLDER_CODE = {"government": GOV, "insurgent": INS}
SIDE_NAME = ("government", "insurgent")


class Plant(Protocol):
    """What the world needs of the refinery (``sim.model.refinery.Refinery``): a damage sink."""

    def add_damage(self, amount: float) -> str: ...


class World:
    """State shared by the mechanisms of one replication."""

    __slots__ = (
        "_listeners",
        "aa_teams",
        "area_index",
        "area_names",
        "besiegers",
        "env",
        "fighting_today",
        "garrison_alive",
        "held",
        "holder",
        "is_sector",
        "n_sectors",
        "plant",
        "recorder",
        "scenario",
        "sector_ids",
        "siege_lifted",
        "starving_days",
        "supplies_t",
        "troops",
    )

    def __init__(self, env: simpy.Environment, scenario: Scenario, recorder: Recorder) -> None:
        self.env = env
        self.scenario = scenario
        self.recorder = recorder
        self.area_names = [a.name for a in scenario.areas]
        self.area_index = {name: i for i, name in enumerate(self.area_names)}
        self.holder = [HOLDER_CODE[a.holder] for a in scenario.areas]
        # Sectors are listed from the garrison's last stand (first) to the outer edge (last).
        self.sector_ids = [i for i, a in enumerate(scenario.areas) if a.kind == "sector"]
        self.is_sector = [a.kind == "sector" for a in scenario.areas]
        self.n_sectors = len(self.sector_ids)
        # Sectors held by each side (indexed GOV, INS).
        self.held = [0, 0]
        for i in self.sector_ids:
            self.held[self.holder[i]] += 1
        self.troops = scenario.garrison.troops
        g = scenario.garrison
        self.supplies_t = g.troops * g.consumption_kg_per_troop_day / 1000.0 * g.supplies_days
        self.starving_days = 0.0
        self.garrison_alive = self.troops > 0 and self.held[GOV] > 0
        if not self.garrison_alive:  # no garrison from the start: nobody holds for the government
            recorder.garrison_fall_day = 0.0
            self.troops = 0
            self._sectors_to_besiegers()
        self.besiegers = scenario.besiegers.strength
        self.aa_teams = scenario.air_defence.teams
        self.plant: Plant | None = None  # set by the refinery when it is built
        self.siege_lifted = False
        self.fighting_today = False
        self._listeners: list[Callable[[], None]] = []

    # -- notifications -----------------------------------------------------------------
    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever a condition of operability may have changed."""
        self._listeners.append(listener)

    def changed(self) -> None:
        for listener in self._listeners:
            listener()

    # -- control of the plant ----------------------------------------------------------
    def sectors_held(self, side: int) -> int:
        return self.held[side]

    def plant_share(self, side: int) -> float:
        """Share of the plant's sectors that ``side`` holds (0..1)."""
        return self.held[side] / self.n_sectors

    def outermost_sector(self, side: int) -> int | None:
        """The sector of ``side`` nearest the edge: the next one an attacker takes."""
        holder = self.holder
        for i in reversed(self.sector_ids):
            if holder[i] == side:
                return i
        return None

    def innermost_sector(self, side: int) -> int | None:
        """The sector of ``side`` nearest the garrison's core: the next one retaken."""
        holder = self.holder
        for i in self.sector_ids:
            if holder[i] == side:
                return i
        return None

    def set_holder(self, area: int, side: int) -> None:
        """Hand an area to ``side`` and tell the operators."""
        was = self.holder[area]
        if was != side:
            self.holder[area] = side
            if self.is_sector[area]:
                self.held[was] -= 1
                self.held[side] += 1
            self.changed()

    def add_damage(self, amount: float, what: str) -> None:
        """A hit of ``amount`` on one of the plant's units; tell the operators."""
        if amount > 0.0 and self.plant is not None:
            unit = self.plant.add_damage(amount)
            if self.recorder.trace is not None:
                self.recorder.note(self.env.now, "damage", f"{what}: {unit} (+{amount:.2f})")
            self.changed()

    def garrison_falls(self, cause: str) -> None:
        """The garrison is gone: every sector it held passes to the besiegers."""
        if not self.garrison_alive:
            return
        self.garrison_alive = False
        self.siege_lifted = False  # nobody left to relieve
        self.troops = 0  # killed, captured or withdrawn: no longer a garrison
        self.recorder.garrison_fell(self.env.now, cause)
        self._sectors_to_besiegers()
        self.changed()

    def garrison_returns(self, troops: int, cause: str) -> None:
        """A new garrison takes the whole plant (after an assault on it from outside)."""
        if self.garrison_alive or troops <= 0:
            return
        self.garrison_alive = True
        self.troops = troops
        g = self.scenario.garrison
        self.supplies_t = troops * g.consumption_kg_per_troop_day / 1000.0 * g.supplies_days
        self.starving_days = 0.0
        holder = self.holder
        for i in self.sector_ids:
            holder[i] = GOV
        self.held[GOV], self.held[INS] = self.n_sectors, 0
        self.recorder.plant_retaken(self.env.now, cause)
        self.changed()

    def _sectors_to_besiegers(self) -> None:
        holder = self.holder
        for i in self.sector_ids:
            if holder[i] == GOV:
                holder[i] = INS
        self.held[INS] += self.held[GOV]
        self.held[GOV] = 0

    def effective_defenders(self) -> float:
        """Garrison combat strength: troops weakened linearly by days without supplies."""
        if not self.garrison_alive:
            return 0.0
        fitness = 1.0 - self.starving_days / self.scenario.garrison.collapse_after_days
        return self.troops * max(0.0, fitness)
