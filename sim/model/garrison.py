"""The garrison's supplies: daily consumption, starvation and collapse.

Each day the garrison eats ``troops x consumption`` (the fighting rate on a day
with any fighting). If the stock cannot cover a day, the shortfall fraction of
that day counts as a day without supplies; effective strength then falls
linearly (see :meth:`World.effective_defenders`) and the garrison collapses once
``collapse_after_days`` such days have accumulated, handing the plant to the
besiegers. A full day's ration resets the count. Stocks are counted per head:
the garrison starts with ``supplies_days`` of supply at the quiet rate, and while
the siege is lifted the road keeps the stock at ``supplies_days`` for the troops
there now, relief column included.
"""

from __future__ import annotations

import math

from sim.model.world import World


class GarrisonSupply:
    """Consumption and starvation, settled once a day by the day clock."""

    def __init__(self, world: World) -> None:
        self.world = world
        spec = world.scenario.garrison
        self.quiet_t = spec.consumption_kg_per_troop_day / 1000.0
        self.fighting_t = spec.fighting_consumption_kg_per_troop_day / 1000.0
        self.collapse_after = spec.collapse_after_days
        self.stock_days = spec.supplies_days
        self.min_supply_days = self.supply_days()  # lowest seen while the garrison held

    def supply_days(self) -> float:
        """Days the stock lasts at the quiet rate (0 once the garrison is gone)."""
        w = self.world
        if not w.garrison_alive or w.troops <= 0:
            return 0.0
        need = w.troops * self.quiet_t
        return w.supplies_t / need if need > 0.0 else math.inf

    def end_of_day(self) -> float:
        """Settle the day's rations; return the supply days left (the day clock's sample).

        Runs every day of every replication: the world is read into locals once and the
        supply days are worked out here rather than by another call.
        """
        w = self.world
        if not w.garrison_alive:
            return 0.0
        troops, stock = w.troops, w.supplies_t
        if w.siege_lifted:
            full = troops * self.quiet_t * self.stock_days
            if stock < full:
                stock = w.supplies_t = full
            w.starving_days = 0.0
        else:
            need = troops * (self.fighting_t if w.fighting_today else self.quiet_t)
            if stock >= need:
                stock = w.supplies_t = stock - need
                w.starving_days = 0.0
            else:
                shortfall = 1.0 - stock / need
                stock = w.supplies_t = 0.0
                w.starving_days += shortfall
                if w.starving_days >= self.collapse_after - 1e-9:
                    w.garrison_falls("collapsed without supplies")
                    return 0.0
        if troops <= 0:
            return 0.0
        need = troops * self.quiet_t
        days = stock / need if need > 0.0 else math.inf
        if days < self.min_supply_days:
            self.min_supply_days = days
        return days
