"""Known answers for the refinery: recommissioning, repair, storage, output, both sides.

The quiet scenario (tests/conftest.py) has one unit of 200 kbbl/day, restart 21 days,
ramp 14 days, no storage, no idle at the start: every answer below is worked out by hand
in docs/verification.md.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import scenario

from sim.model.recorder import DAILY
from sim.model.refinery import capped_ramp_output, recommissioning_days
from sim.model.replication import run_replication
from sim.scenario.loading import ScenarioError, validate

ALL_INSURGENT = [{"name": n, "holder": "insurgent"} for n in
                 ("core", "north", "east", "south", "west", "town", "fields", "city")]


def numeric(t0: float, t1: float, starts: list[float], sizes: list[float], ramp: float,
            ceiling: float) -> float:
    t = np.linspace(t0, t1, 200_001)
    rate = sum(q * np.clip((t - s) / ramp, 0.0, 1.0) for s, q in zip(starts, sizes, strict=True))
    return float(np.trapezoid(np.minimum(rate, ceiling), t))


@pytest.mark.parametrize(("t0", "t1", "starts", "sizes", "ceiling"), [
    (0.0, 30.0, [0.0], [100.0], math.inf),
    (0.0, 30.0, [0.0], [100.0], 60.0),
    (5.0, 40.0, [0.0, 3.0, 10.0], [100.0, 50.0, 50.0], 120.0),
    (12.0, 13.0, [0.0, 3.0], [100.0, 50.0], 1000.0),
])
def test_capped_ramp_output_is_the_exact_integral(t0: float, t1: float, starts: list[float],
                                                  sizes: list[float], ceiling: float) -> None:
    exact = capped_ramp_output(t0, t1, [s for s in starts if s <= t0], sizes[:len(
        [s for s in starts if s <= t0])], 14.0, ceiling)
    assert exact == pytest.approx(numeric(t0, t1, [s for s in starts if s <= t0],
                                          sizes[:len([s for s in starts if s <= t0])], 14.0,
                                          ceiling), rel=1e-6)


def test_recommissioning_grows_with_idle_time_towards_the_long_idle_factor() -> None:
    assert recommissioning_days(21.0, 0.0, 6.0, 180.0) == 21.0
    assert recommissioning_days(21.0, 180.0, 6.0, 180.0) == pytest.approx(
        21.0 * (1 + 5 * (1 - math.exp(-1))))
    assert recommissioning_days(21.0, 1e6, 6.0, 180.0) == pytest.approx(126.0)
    days = [recommissioning_days(21.0, idle, 6.0, 180.0) for idle in (0, 30, 90, 365, 730)]
    assert days == sorted(days)


def test_an_intact_plant_restarts_then_ramps() -> None:
    m = run_replication(scenario(), seed=1).metrics
    assert m["first_operating_day"] == 21.0
    assert m["stopped_restart_days"] == 21.0
    assert m["operating_days"] == 79.0
    assert m["refined_kbbl"] == pytest.approx(200 * (79 - 7))  # the ramp costs half of 14 days
    assert m["output_share"] == pytest.approx(200 * 72 / (200 * 100))
    assert m["output_share_at_horizon"] == 1.0
    assert m["refinery_ran"] == 1.0


def test_a_plant_idle_for_months_takes_longer_to_recommission() -> None:
    s = scenario(refinery={"idle_since": "2014-06-15", "long_idle_factor": 6,
                           "idle_scale_days": 180})
    idle = 122.0  # 2014-06-15 to 2014-10-15
    expected = 21 * (1 + 5 * (1 - math.exp(-idle / 180)))
    assert run_replication(s, seed=1).metrics["first_operating_day"] == pytest.approx(expected)


def test_repair_time_grows_with_damage_and_comes_before_the_restart() -> None:
    for damage in (0.05, 0.1, 0.15):
        m = run_replication(scenario(refinery={"initial_damage": damage}), seed=1).metrics
        work = damage * 500  # rebuild_days x damage, repair_cv 0
        assert m["stopped_repair_days"] == pytest.approx(work)
        assert m["first_operating_day"] == pytest.approx(work + 21)
        assert m["refinery_damage_final"] == 0.0


def test_crews_work_in_parallel_and_units_come_back_one_by_one() -> None:
    units = [{"name": "one", "nameplate_kbbl_day": 150},
             {"name": "two", "nameplate_kbbl_day": 50}]
    one = run_replication(scenario(horizon_days=200, refinery={
        "units": units, "initial_damage": 0.1}), seed=1, trace=True)
    two = run_replication(scenario(horizon_days=200, refinery={
        "units": units, "initial_damage": 0.1, "repair_crews": {"government": 2}}), seed=1)
    # One crew: the first unit at 50 days, the second at 100; two crews: both at 50.
    repaired = [e.time for e in one.trace if e.text.endswith("repaired")]
    assert repaired == pytest.approx([50.0, 100.0])
    assert one.metrics["first_operating_day"] == pytest.approx(71.0)
    assert two.metrics["refined_kbbl"] > one.metrics["refined_kbbl"]
    # Output came back in two steps: 150 from day 71, 200 from day 121 (ramps aside).
    share = one.daily[DAILY.index("output_share")]
    assert share[90] == pytest.approx(0.75) and share[150] == pytest.approx(1.0)


def test_repairs_pause_while_the_surroundings_are_lost() -> None:
    s = scenario(refinery={"initial_damage": 0.1}, horizon_days=150,
                 areas=[{"name": "town", "holder": "insurgent"}],
                 area_changes=[{"day": 30, "area": "town", "holder": "government"}])
    m = run_replication(s, seed=1).metrics
    assert m["stopped_surroundings_days"] == 30.0
    assert m["stopped_repair_days"] == pytest.approx(50.0)
    assert m["first_operating_day"] == pytest.approx(30 + 50 + 21)


@pytest.mark.parametrize(("cut_days", "storage", "operating"), [
    (5, 7, 79.0),               # storage rides out the cut
    (10, 7, 19 + 7 + 29),       # stops after 7 days on storage, restarts 21 days after the cut
    (5, 0, 19 + 0 + 34),        # no storage: stops at once
])
def test_storage_rides_out_short_cuts(cut_days: int, storage: float, operating: float) -> None:
    s = scenario(refinery={"crude_storage_days": storage},
                 area_changes=[{"day": 40, "area": "fields", "holder": "insurgent"},
                               {"day": 40 + cut_days, "area": "fields", "holder": "government"}])
    m = run_replication(s, seed=1).metrics
    assert m["operating_days"] == pytest.approx(operating)
    assert m["stopped_crude_days"] == pytest.approx(max(0.0, cut_days - storage))


def test_every_day_has_one_reason() -> None:
    s = scenario(refinery={"initial_damage": 0.1}, horizon_days=150,
                 areas=[{"name": "town", "holder": "insurgent"}],
                 area_changes=[{"day": 30, "area": "town", "holder": "government"}])
    m = run_replication(s, seed=1).metrics
    stopped = sum(m[k] for k in m if k.startswith("stopped_"))
    assert stopped + m["operating_days"] == pytest.approx(150.0)


def test_the_insurgents_run_a_plant_they_hold_with_their_own_crude_and_outlet() -> None:
    s = scenario(areas=ALL_INSURGENT, garrison={"troops": 0})
    m = run_replication(s, seed=1).metrics
    assert m["insurgent_operating_days"] == 100 - 30
    assert m["insurgent_refined_kbbl"] == pytest.approx(200 * (70 - 7))
    assert m["operating_days"] == 0.0 and m["stopped_plant_days"] == 100.0


def test_a_garrison_needs_troops() -> None:
    with pytest.raises(ScenarioError, match=r"garrison\.troops"):
        validate({**scenario().model_dump(mode="json"), "garrison": {"troops": 0}}, "x.yaml")


def test_a_fallen_plant_is_retaken_by_an_assault_from_outside() -> None:
    s = scenario(areas=[{"name": n, "holder": "insurgent"} for n in
                        ("core", "north", "east", "south", "west")],
                 garrison={"troops": 0, "relief_troops": 400},
                 ground_campaign={"route": ["town"], "mean_days_per_area": 10,
                                  "duration_cv": 0, "plant_assault_success_prob": 1.0})
    r = run_replication(s, seed=1)
    assert r.metrics["plant_retaken_day"] == 10.0
    assert r.metrics["garrison_held"] == 1.0
    assert r.metrics["gov_control_final"] == 1.0
    assert r.daily[2][-1] == 400  # the new garrison
    assert r.metrics["first_operating_day"] == pytest.approx(10 + 21)


@pytest.mark.parametrize(("rule", "damaged"), [("never", False), ("always", True),
                                               ("while_garrison_holds", False)])
def test_strikes_inside_the_plant_follow_the_scenario_rule(rule: str, damaged: bool) -> None:
    s = scenario(areas=[{"name": n, "holder": "insurgent"} for n in
                        ("core", "north", "east", "south", "west")],
                 garrison={"troops": 0}, damage={"aversion": 0.0},
                 airstrikes={"strikes_per_day": 5, "inside_plant_share": 1.0,
                             "plant_damage_prob": 1.0, "coordination_failure_prob": 0.0,
                             "inside_plant": rule})
    m = run_replication(s, seed=1).metrics
    assert (m["refinery_damage_final"] > 0.0) == damaged


def test_the_aversion_holds_back_strikes_too() -> None:
    def damage(aversion: float) -> float:
        s = scenario(areas=[{"name": "west", "holder": "insurgent"}], damage={"aversion": aversion},
                     refinery={"rebuild_days": 1e9},
                     airstrikes={"strikes_per_day": 2, "inside_plant_share": 1.0,
                                 "plant_damage_prob": 0.5, "coordination_failure_prob": 0.0})
        return float(np.mean([run_replication(s, seed).metrics["refinery_damage_final"]
                              for seed in range(10)]))
    assert damage(0.0) > damage(0.9) > 0.0
