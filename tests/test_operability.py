"""Operability: the restart delay, the ramp, the caps, and shutdown on any lost condition."""

from __future__ import annotations

import math

import pytest
from conftest import scenario

from sim.operability import DOWN, OPERATING, ramp_output
from sim.replication import Replication, run_replication
from sim.world import GOV, INS


def test_ramp_output_matches_the_integral_of_a_clipped_line() -> None:
    slope, ceiling = 10.0, 50.0  # reaches the ceiling after 5 days
    assert ramp_output(0, 5, slope, ceiling) == pytest.approx(0.5 * 10 * 25)
    assert ramp_output(5, 9, slope, ceiling) == pytest.approx(200)
    assert ramp_output(0, 9, slope, ceiling) == pytest.approx(125 + 200)
    assert ramp_output(2, 7, slope, ceiling) == pytest.approx(0.5 * 10 * (25 - 4) + 100)
    assert ramp_output(0, 3, math.inf, ceiling) == pytest.approx(150)
    assert ramp_output(3, 3, slope, ceiling) == 0.0
    # Splitting an interval never changes the total (what accrue() relies on).
    assert ramp_output(0, 3.3, slope, ceiling) + ramp_output(3.3, 9, slope, ceiling) == (
        pytest.approx(ramp_output(0, 9, slope, ceiling)))


def test_all_conditions_held_gives_restart_then_ramp_to_capacity() -> None:
    m = run_replication(scenario(), seed=1).metrics
    horizon, restart, ramp, cap = 100, 21, 14, 200
    assert m["operable_days"] == pytest.approx(horizon)
    assert m["first_operating_day"] == pytest.approx(restart)
    assert m["operating_days"] == pytest.approx(horizon - restart)
    # Linear ramp over 14 days: the first 14 days give half of full output.
    assert m["refined_kbbl"] == pytest.approx(cap * (horizon - restart - ramp / 2))
    assert m["operating_at_horizon"] == 1.0


def test_output_is_capped_by_outbound_capacity_and_damage() -> None:
    s = scenario(links=[{"name": "products", "capacity_kbbl_day": 60}],
                 refinery={"initial_damage": 0.2})
    m = run_replication(s, seed=1).metrics
    full = 200 * (1 - 0.2)  # 160: the ramp aims at capacity x (1 - damage)
    slope, ceiling = full / 14, 60.0
    assert m["refined_kbbl"] == pytest.approx(ramp_output(0, 79, slope, ceiling))
    assert m["refined_kbbl"] < 60 * 79


def test_trucks_per_day_times_barrels_is_the_road_capacity() -> None:
    s = scenario(links=[
        {"name": "products", "capacity_kbbl_day": 0},
        {"name": "road", "kind": "truck_road", "source": "refinery", "destination": "city",
         "through": ["hamlet"], "trucks_per_day": 100, "bbl_per_truck": 200}])
    m = run_replication(s, seed=1).metrics
    assert m["operating_days"] == pytest.approx(79)
    assert m["refined_kbbl"] == pytest.approx(ramp_output(0, 79, 200 / 14, 20.0))


@pytest.mark.parametrize("change", [
    {"areas": [{"name": "town", "holder": "insurgent"}]},  # surroundings (and both links)
    {"areas": [{"name": "fields", "holder": "insurgent"}]},  # no crude
    {"areas": [{"name": "city", "holder": "contested"}]},  # no outbound route
    {"areas": [{"name": "west", "holder": "insurgent"}]},  # 80% of the plant < 100% required
    {"refinery": {"initial_damage": 0.5}},  # damage at the threshold
])
def test_any_missing_condition_prevents_operation(change: dict) -> None:
    m = run_replication(scenario(**change), seed=1).metrics
    assert m["operable_days"] == 0.0
    assert m["operating_days"] == 0.0
    assert math.isnan(m["first_operating_day"])


def test_required_share_makes_partial_control_enough() -> None:
    partial = {"areas": [{"name": "west", "holder": "insurgent"}]}
    assert run_replication(scenario(**partial), 1).metrics["operating_days"] == 0.0
    m = run_replication(scenario(**partial, refinery={"required_plant_share": 0.8}), 1).metrics
    assert m["operating_days"] == pytest.approx(79)


def test_insurgents_operate_by_the_same_rules_with_their_own_restart_delay() -> None:
    s = scenario(areas=[{"name": n, "holder": "insurgent"} for n in
                        ("core", "north", "east", "south", "west", "town", "fields", "city")],
                 garrison={"troops": 0})
    m = run_replication(s, seed=1).metrics
    assert m["operating_days"] == 0.0
    assert m["insurgent_operating_days"] == pytest.approx(100 - 30)


def test_losing_a_condition_shuts_down_and_needs_a_new_restart() -> None:
    rep = Replication(scenario(), seed=1)
    town = rep.world.area_index["town"]
    states = {}

    def script():
        yield rep.env.timeout(30)
        states["before"] = rep.government.state
        rep.world.set_holder(town, INS)  # cut at day 30 ...
        states["cut"] = rep.government.state
        yield rep.env.timeout(5)
        rep.world.set_holder(town, GOV)  # ... restored at day 35: restart again, 21 days

    rep.env.process(script())
    m = rep.run().metrics
    assert states == {"before": OPERATING, "cut": DOWN}
    assert m["first_operating_day"] == pytest.approx(21)
    assert m["operable_days"] == pytest.approx(100 - 5)
    assert m["operating_days"] == pytest.approx((30 - 21) + (100 - 56))
    expected = 200 * ((30 - 21) ** 2 / 2 / 14) + ramp_output(0, 44, 200 / 14, 200)
    assert m["refined_kbbl"] == pytest.approx(expected)


def test_a_condition_lost_during_restart_abandons_it() -> None:
    rep = Replication(scenario(), seed=1)
    town = rep.world.area_index["town"]

    def script():
        yield rep.env.timeout(10)
        rep.world.set_holder(town, INS)
        yield rep.env.timeout(1)
        rep.world.set_holder(town, GOV)  # the old timer (due day 21) must not start production

    rep.env.process(script())
    m = rep.run().metrics
    assert m["first_operating_day"] == pytest.approx(11 + 21)


def test_daily_refinery_state_follows_the_state_machine() -> None:
    r = run_replication(scenario(), seed=1)
    state = r.daily[4]
    assert list(state[:20]) == [1.0] * 20  # days 0..19 end while restarting
    assert list(state[21:]) == [2.0] * 79
