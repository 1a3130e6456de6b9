"""The dependence network: crude in from the fields, products out by pipeline or truck.

A link serves a side only while that side holds every area on it (its field or
destination included) and the link is not cut. Cuts arrive as a Poisson
process (sabotage) and each is repaired after a uniform random time.
"""

from __future__ import annotations

from sim.model.timer import Timer
from sim.model.world import World
from sim.rng import Stream, Streams
from sim.scenario.schema import CRUDE_KINDS, REFINERY, Link


class NetworkLink:
    """One link's state: which areas it needs, whether it is cut."""

    __slots__ = ("area_ids", "crude", "cut", "kbbl_day", "spec")

    def __init__(self, spec: Link, world: World) -> None:
        self.spec = spec
        endpoints = [spec.source, spec.destination]
        names = [n for n in endpoints if n != REFINERY] + list(spec.through)
        self.area_ids = tuple(world.area_index[n] for n in names)
        self.crude = spec.kind in CRUDE_KINDS
        self.kbbl_day = spec.throughput_kbbl_day
        self.cut = False

    def serves(self, holder: list[int], side: int) -> bool:
        if self.cut:
            return False
        for i in self.area_ids:  # noqa: SIM110 - all() over a generator costs twice as much
            if holder[i] != side:
                return False
        return True


class Network:
    """All links, and the capacity they give each side right now."""

    def __init__(self, world: World, streams: Streams) -> None:
        self.world = world
        self.links = [NetworkLink(spec, world) for spec in world.scenario.links]
        for link in self.links:
            rate = link.spec.sabotage_rate_per_day
            if rate > 0.0:
                rng = streams(f"network.{link.spec.name}")
                self._sabotage(link, rate, rng)

    def capacity(self, side: int) -> tuple[float, float]:
        """(crude in, products out) in kbbl/day over the links that serve ``side``."""
        holder = self.world.holder
        crude = out = 0.0
        for link in self.links:
            if link.serves(holder, side):
                if link.crude:
                    crude += link.kbbl_day
                else:
                    out += link.kbbl_day
        return crude, out

    def _sabotage(self, link: NetworkLink, rate: float, rng: Stream) -> None:
        """Cut ``link`` at Poisson times; each cut is repaired before the next can come."""
        env, world = self.world.env, self.world
        repair = link.spec.repair_days
        mean_gap = 1.0 / rate

        def cut_or_repair(_: Timer) -> None:
            rec = world.recorder
            if link.cut:
                link.cut = False
                if rec.trace is not None:
                    rec.note(env.now, "network", f"{link.spec.name} repaired")
                world.changed()
                after(rng.exponential(mean_gap))
            else:
                days = rng.uniform(repair.low, repair.high)
                link.cut = True
                if rec.trace is not None:
                    rec.note(env.now, "network",
                             f"{link.spec.name} cut; repair takes {days:.1f} days")
                world.changed()
                after(days)

        after = Timer(env, cut_or_repair).after
        after(rng.exponential(mean_gap))
