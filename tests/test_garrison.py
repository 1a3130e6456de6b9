"""Garrison supplies: deterministic exhaustion, starvation, collapse, road resupply."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import scenario

from sim.model.replication import Replication, run_replication


def exhaustion(stock: float, troops: int, kg: float, collapse_after: float) -> tuple[int, float]:
    """Day the stock first falls short, and the time of collapse, computed by hand."""
    need = troops * kg / 1000
    full_days = math.floor(stock / need)  # days 0..full_days-1 are fully fed
    shortfall = 1 - (stock - full_days * need) / need  # the first short day's missing share
    extra = math.ceil(collapse_after - shortfall - 1e-9)  # further days fully without
    return full_days, full_days + extra + 1  # collapse at the end of that day


@pytest.mark.parametrize(("stock", "troops", "kg", "collapse"), [
    (30.0, 300, 6.0, 10), (10.0, 250, 4.0, 5), (0.0, 100, 6.0, 3), (18.0, 300, 6.0, 7),
])
def test_without_resupply_the_garrison_collapses_on_a_computable_day(
        stock: float, troops: int, kg: float, collapse: float) -> None:
    s = scenario(garrison={"supplies_days": stock / (troops * kg / 1000), "troops": troops,
                           "consumption_kg_per_troop_day": kg, "collapse_after_days": collapse})
    r = run_replication(s, seed=1)
    short_day, fall_time = exhaustion(stock, troops, kg, collapse)
    assert r.metrics["garrison_fall_day"] == pytest.approx(fall_time)
    assert r.metrics["garrison_held"] == 0.0
    # The plant passes to the besiegers when the garrison collapses.
    assert r.metrics["gov_control_final"] == 0.0
    need = troops * kg / 1000
    days = np.arange(int(fall_time))
    expected_days = np.maximum(0.0, stock - (days + 1) * need) / need
    np.testing.assert_allclose(r.daily[1][: len(days) - 1], expected_days[:-1], atol=1e-9)
    assert r.daily[1][short_day] == 0.0


def test_min_supply_days_is_the_lowest_end_of_day_stock() -> None:
    s = scenario(garrison={"supplies_days": 15.0, "troops": 300})  # 1.8 t/day: 15 days
    m = run_replication(s, seed=1).metrics
    assert m["min_supply_days"] == 0.0
    s = scenario(garrison={"supplies_days": 1000 / 1.8, "troops": 300}, horizon_days=50)
    m = run_replication(s, seed=1).metrics
    assert m["min_supply_days"] == pytest.approx((1000 - 50 * 1.8) / 1.8)


def test_fighting_days_use_the_higher_rate() -> None:
    rep = Replication(scenario(garrison={"supplies_days": 100 / 0.6, "troops": 100}), seed=1)
    w = rep.world
    w.fighting_today = True
    rep.garrison.end_of_day()
    assert w.supplies_t == pytest.approx(100 - 100 * 12 / 1000)
    rep.garrison.end_of_day()  # the day clock resets the flag; here it is still set
    w.fighting_today = False
    rep.garrison.end_of_day()
    assert w.supplies_t == pytest.approx(100 - 2 * 1.2 - 0.6)


def test_hunger_weakens_the_garrison_linearly() -> None:
    rep = Replication(scenario(garrison={"supplies_days": 0.0, "troops": 200,
                                         "collapse_after_days": 4}), seed=1)
    w = rep.world
    strengths = []
    for _ in range(4):
        rep.garrison.end_of_day()
        strengths.append(w.effective_defenders())
    assert strengths == pytest.approx([150, 100, 50, 0])
    assert not w.garrison_alive


def test_a_full_ration_resets_hunger() -> None:
    rep = Replication(scenario(garrison={"supplies_days": 0.0, "troops": 100}), seed=1)
    w = rep.world
    rep.garrison.end_of_day()
    assert w.starving_days == 1.0
    w.supplies_t = 10.0
    rep.garrison.end_of_day()
    assert w.starving_days == 0.0


def test_lifting_the_siege_keeps_the_stock_topped_up() -> None:
    rep = Replication(scenario(garrison={"supplies_days": 20.0, "troops": 300}), seed=1)
    w = rep.world
    w.siege_lifted = True
    for _ in range(30):
        rep.garrison.end_of_day()
    assert w.supplies_t == pytest.approx(20.0 * 300 * 6 / 1000)
    w.troops += 200  # a relief column: the road brings stock for them too
    rep.garrison.end_of_day()
    assert w.supplies_t == pytest.approx(20.0 * 500 * 6 / 1000)
    assert w.garrison_alive


def test_no_garrison_at_the_start_means_the_plant_is_the_insurgents() -> None:
    sectors = [{"name": n, "holder": "insurgent"} for n in ("core", "north", "east", "south",
                                                            "west")]
    m = run_replication(scenario(garrison={"troops": 0}, areas=sectors), seed=1).metrics
    assert m["garrison_fall_day"] == 0.0
    assert m["gov_control_final"] == 0.0
    assert m["operating_days"] == 0.0
