"""What the fast paths rely on: counters kept in step, samples where they belong, no costly set-up.

Speed itself is measured by ``benchmarks/bench_replication.py``, not here; these tests
check that the shortcuts taken for speed give exactly what the slow way would.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import scenario

from sim.model.recorder import DAILY
from sim.model.replication import Replication, run_replication
from sim.model.world import GOV, INS
from sim.rng import replication_seeds
from sim.scenario.loading import load_scenario

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


def recount(world) -> list[int]:
    return [sum(1 for i in world.sector_ids if world.holder[i] == side)
            for side in (GOV, INS)]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_sector_counters_match_a_recount_after_every_event(path: Path) -> None:
    s = load_scenario(path)
    for seed in replication_seeds(3, 15):
        rep = Replication(s, seed)
        w, env = rep.world, rep.env
        assert w.held == recount(w)
        while not rep.clock.processed:
            env.step()
            assert w.held == recount(w)
            assert w.plant_share(GOV) == recount(w)[GOV] / w.n_sectors


def test_counters_follow_direct_hand_overs_and_the_fall() -> None:
    rep = Replication(scenario(areas=[{"name": "west", "holder": "insurgent"}]), seed=1)
    w = rep.world
    assert w.held == [4, 1]
    w.set_holder(w.area_index["north"], INS)
    w.set_holder(w.area_index["west"], GOV)
    w.set_holder(w.area_index["town"], INS)  # not a sector
    assert w.held == recount(w) == [4, 1]
    w.garrison_falls("test")
    assert w.held == recount(w) == [0, 5]


def test_no_garrison_at_the_start_counts_the_sectors_as_the_besiegers() -> None:
    w = Replication(scenario(garrison={"troops": 0}, areas=[
        {"name": n, "holder": "insurgent"} for n in ("core", "north", "east", "south", "west")]),
        seed=1).world
    assert w.held == recount(w) == [0, 5]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_column_d_is_the_state_when_the_day_clock_ends_day_d(path: Path) -> None:
    """The flat list of samples becomes (series, day) in the right order."""
    s = load_scenario(path)
    rep = Replication(s, replication_seeds(5, 1)[0])
    w, env, rec = rep.world, rep.env, rep.recorder
    seen = []
    while not rep.clock.processed:
        before = len(rec.samples)
        env.step()
        if len(rec.samples) > before:  # the clock has just settled and sampled a day
            assert env.now == len(seen) + 1
            seen.append((w.plant_share(GOV), rep.garrison.supply_days(),
                         w.troops, w.besiegers, rep.refinery.state(),
                         rep.air_defence.loss_prob,
                         (rep.refinery.rate(env.now) if rep.refinery.operator == GOV else 0.0)
                         / s.refinery.capacity_kbbl_day, rec.helicopters_lost))
    daily = rep.result().daily
    assert daily.shape == (len(DAILY), s.horizon_days)
    np.testing.assert_array_equal(daily, np.array(seen, dtype=float).T)


def test_a_replication_builds_no_numpy_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams share one bit generator: building one per stream cost ~10 µs each."""
    scenarios = [load_scenario(path) for path in SCENARIOS]

    def refuse(*args, **kwargs):
        raise AssertionError("a numpy generator or seed sequence was built")

    for name in ("SeedSequence", "Philox", "PCG64", "Generator", "default_rng"):
        monkeypatch.setattr(np.random, name, refuse)
    for s in scenarios:
        run_replication(s, 99)
