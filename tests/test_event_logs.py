"""Whole event logs of small hand-built scenarios, asserted line by line (as SimPy's own tests
check the exact times at which processes run).

Each scenario is the quiet one of ``conftest`` with one mechanism switched on; the time of
every line is worked out by hand from the rules in the mechanism's docstring, and the log
must hold those lines and no others, in that order. Where a time is random, it is computed
from the stream's documented definition (``sim.rng``: the uniforms of stream ``name`` with
seed ``s`` are ``Generator(Philox(key=[s, crc32(name)])).random()``), not by running the
model's own code.
"""

from __future__ import annotations

import copy
import math
import zlib

import numpy as np
import pytest
from conftest import QUIET, scenario

from sim.model.replication import run_replication
from sim.scenario.schema import Scenario


def event_log(s: Scenario, seed: int = 1) -> list[tuple[float, str, str]]:
    trace = run_replication(s, seed, trace=True).trace
    assert trace is not None
    return [(e.time, e.kind, e.text) for e in trace]


def same_log(got: list[tuple[float, str, str]], expected: list[tuple[float, str, str]]
             ) -> None:
    """Equal line by line: the same kinds and texts, in order, at the same times."""
    assert [(k, t) for _, k, t in got] == [(k, t) for _, k, t in expected], got
    for (time, kind, text), (want, _, _) in zip(got, expected, strict=True):
        assert time == pytest.approx(want, rel=1e-12, abs=1e-12), (time, kind, text)


def uniforms(seed: int, name: str, count: int) -> np.ndarray:
    """The first ``count`` uniforms of stream ``name`` of the replication with ``seed``."""
    key = [seed, zlib.crc32(name.encode("utf-8"))]
    return np.random.Generator(np.random.Philox(key=key)).random(count)


def test_damaged_units_are_repaired_one_by_one_then_recommissioned() -> None:
    """Two units, both 10% damaged at the start, one repair crew, no repair noise.

    Each unit needs ``damage x rebuild_days = 0.1 x 500 = 50`` crew-days. The one crew takes
    the least work first (a tie keeps the order of the file): ``one`` is repaired on day 50,
    ``two`` on day 100. A repaired unit is recommissioned at once (crude and an outlet serve
    the government) in ``restart_days = 21`` days (``long_idle_factor = 1``: idle time adds
    nothing), so output comes back in two steps, on days 71 and 121. Unit sizes are the
    capacity shared by nameplate: 200 x 60/100 = 120 and 200 x 40/100 = 80 kbbl/day.
    Nothing else happens: no recommissioning at day 0, since no unit is ready then."""
    s = scenario(horizon_days=130, refinery={
        "units": [{"name": "one", "nameplate_kbbl_day": 60},
                  {"name": "two", "nameplate_kbbl_day": 40}],
        "initial_damage": 0.1, "rebuild_days": 500, "repair_cv": 0.0,
        "repair_crews": {"government": 1}, "restart_days": {"government": 21}})
    same_log(event_log(s), [
        (50.0, "refinery", "government: one repaired"),
        (50.0, "refinery", "government: one: recommissioning begun (21 days needed)"),
        (71.0, "refinery", "government: one running (120 kbbl/day at full rate)"),
        (100.0, "refinery", "government: two repaired"),
        (100.0, "refinery", "government: two: recommissioning begun (21 days needed)"),
        (121.0, "refinery", "government: two running (80 kbbl/day at full rate)"),
    ])


def test_two_crews_repair_both_units_at_once() -> None:
    """The same plant with two crews: both units are done on day 50 and both run on day 71
    (the units in the order of the file at each time)."""
    s = scenario(horizon_days=130, refinery={
        "units": [{"name": "one", "nameplate_kbbl_day": 60},
                  {"name": "two", "nameplate_kbbl_day": 40}],
        "initial_damage": 0.1, "rebuild_days": 500, "repair_cv": 0.0,
        "repair_crews": {"government": 2}, "restart_days": {"government": 21}})
    same_log(event_log(s), [
        (50.0, "refinery", "government: one repaired"),
        (50.0, "refinery", "government: two repaired"),
        (50.0, "refinery", "government: one: recommissioning begun (21 days needed)"),
        (50.0, "refinery", "government: two: recommissioning begun (21 days needed)"),
        (71.0, "refinery", "government: one running (120 kbbl/day at full rate)"),
        (71.0, "refinery", "government: two running (80 kbbl/day at full rate)"),
    ])


@pytest.mark.parametrize("seed", [3, 11])
def test_a_pipeline_cut_covered_by_the_tanks_then_repaired(seed: int) -> None:
    """The crude pipeline is sabotaged at Poisson times (rate 0.02/day, mean gap 50 days);
    each cut is repaired after a uniform time on [10, 10], i.e. 10 days; the crude tanks
    cover 5 days of a cut.

    Stream ``network.crude`` draws, in order: the first gap ``-50 log(1 - u0)``, the repair
    time ``10 + 0 x u1``, and the next gap ``-50 log(1 - u2)``. So: the plant starts its
    21-day recommissioning at 0; the pipeline is cut at ``t1``; the tanks run dry at
    ``t1 + 5`` and the units stop (no crude); the pipeline is repaired at ``t1 + 10`` and
    the recommissioning starts again from the beginning, to run at ``t1 + 31``. If ``t1``
    comes after day 21 the unit is already running when the cut comes; either way the
    same lines follow. The next cut, ``t1 + 10 + gap2``, comes after the horizon (checked)."""
    u = uniforms(seed, "network.crude", 3)
    t1 = -50.0 * math.log(1.0 - u[0])
    repair = 10.0 + (10.0 - 10.0) * u[1]
    t2 = t1 + repair + -50.0 * math.log(1.0 - u[2])
    horizon = math.ceil(t1 + repair + 21.0) + 5
    assert t1 + repair + 21.0 < horizon < t2, "this seed cuts the pipeline twice: pick another"
    links = copy.deepcopy(QUIET["links"])
    links[0].update(sabotage_rate_per_day=0.02, repair_days={"low": 10, "high": 10})
    s = scenario(horizon_days=horizon, links=links, refinery={"crude_storage_days": 5})
    expected = [(0.0, "refinery", "government: one: recommissioning begun (21 days needed)")]
    if t1 > 21.0:
        expected.append((21.0, "refinery", "government: one running (200 kbbl/day at full "
                                            "rate)"))
    expected += [
        (t1, "network", "crude cut; repair takes 10.0 days"),
        (t1 + 5.0, "refinery", "government: units stopped (no crude)"),
        (t1 + repair, "network", "crude repaired"),
        (t1 + repair, "refinery", "government: one: recommissioning begun (21 days needed)"),
        (t1 + repair + 21.0, "refinery", "government: one running (200 kbbl/day at full rate)"),
    ]
    same_log(event_log(s, seed), expected)


def test_a_garrison_without_resupply_collapses_on_the_computed_day() -> None:
    """300 troops eat 300 x 6 kg = 1.8 t a day and start with 10.5 days of it (18.9 t).
    The day clock settles each day at its end: days 1-10 are fully fed; day 11 is half
    fed (0.5 of a day without supplies); days 12, 13 and 14 add a whole day each, so the
    count reaches the ``collapse_after_days`` of 3 at the end of day 14 (0.5 + 3 x 1 =
    3.5 >= 3; at the end of day 13 it is 2.5). The garrison falls at t = 14, its sectors
    pass to the besiegers, and the government's recommissioning (begun at 0, 21 days
    needed) stops because control of the plant changed. The besiegers do not get a plant
    to run: the town, the plant's surroundings, is still the government's. On day 7 a
    renewed offensive brings 500 fighters (a fixed-time event; no attacks follow, since
    every attack rate is 0)."""
    s = scenario(horizon_days=40,
                 garrison={"troops": 300, "consumption_kg_per_troop_day": 6,
                           "supplies_days": 10.5, "collapse_after_days": 3},
                 besiegers={"offensive": {"start_day": 7, "fighters": 500}})
    same_log(event_log(s), [
        (0.0, "refinery", "government: one: recommissioning begun (21 days needed)"),
        (7.0, "ground", "insurgent offensive: 500 more fighters"),
        (14.0, "garrison", "garrison falls (collapsed without supplies)"),
        (14.0, "refinery", "government: units stopped (control of the plant changed)"),
    ])
    metrics = run_replication(s, 1).metrics
    assert metrics["garrison_fall_day"] == 14.0
    assert metrics["garrison_held"] == 0.0


def test_the_log_is_the_same_for_any_seed_when_nothing_is_drawn() -> None:
    """The scenarios above without a random mechanism give one log whatever the seed."""
    s = scenario(horizon_days=40, garrison={"supplies_days": 10.5, "collapse_after_days": 3})
    assert event_log(s, 1) == event_log(s, 987654321)
