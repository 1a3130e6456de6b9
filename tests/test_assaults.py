"""Assaults, counter-attacks and damage to the plant."""

from __future__ import annotations

import pytest
from conftest import scenario

import sim.model.assaults
from sim.model.engagement import Outcome
from sim.model.replication import Replication, run_replication
from sim.model.world import GOV, INS


def forced(won: bool, att_loss: int = 0, def_loss: int = 0):
    return lambda *args, **kwargs: Outcome(won, att_loss, def_loss)


def test_an_overwhelming_defence_never_loses_a_sector() -> None:
    s = scenario(besiegers={"attack_rate_per_day": 1.0},
                 engagement={"defender_advantage": 1000, "decisiveness": 5})
    for seed in range(20):
        m = run_replication(s, seed).metrics
        assert m["gov_control_final"] == 1.0
        assert m["garrison_held"] == 1.0


def test_successful_assaults_take_sectors_from_the_edge_inwards_then_overrun(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rep = Replication(scenario(), seed=1)
    monkeypatch.setattr(sim.model.assaults, "fight", forced(True))
    w = rep.world
    lost = []
    for _ in range(5):
        rep.assaults.assault()
        lost.append([w.area_names[i] for i in w.sector_ids if w.holder[i] == INS])
    assert lost[0] == ["west"]
    assert lost[3] == ["north", "east", "south", "west"]
    assert not w.garrison_alive
    assert w.plant_share(GOV) == 0.0


def test_counterattacks_retake_the_innermost_insurgent_sector(
        monkeypatch: pytest.MonkeyPatch) -> None:
    s = scenario(areas=[{"name": n, "holder": "insurgent"} for n in ("east", "south", "west")],
                 besiegers={"strength": 100}, engagement={"counterattack_min_ratio": 1.0})
    rep = Replication(s, seed=1)
    monkeypatch.setattr(sim.model.assaults, "fight", forced(True, 3, 2))
    rep.assaults.counterattack()
    w = rep.world
    assert w.holder[w.area_index["east"]] == GOV
    assert w.holder[w.area_index["south"]] == INS
    assert (w.troops, w.besiegers) == (300 - 3, 100 - 2)


def test_no_counterattack_when_outnumbered(monkeypatch: pytest.MonkeyPatch) -> None:
    s = scenario(areas=[{"name": "west", "holder": "insurgent"}],
                 besiegers={"strength": 5000, "assault_share": 0.5},
                 engagement={"counterattack_min_ratio": 1.0})
    rep = Replication(s, seed=1)
    monkeypatch.setattr(sim.model.assaults, "fight", forced(True))
    rep.assaults.counterattack()  # 300 troops against 5000 x 0.5 x 20% = 500: stays put
    assert rep.world.holder[rep.world.area_index["west"]] == INS


@pytest.mark.parametrize(("aversion", "expect_damage"), [(1.0, False), (0.0, True)])
def test_aversion_spares_the_plant(aversion: float, expect_damage: bool) -> None:
    s = scenario(besiegers={"attack_rate_per_day": 2.0},
                 engagement={"defender_advantage": 1000},
                 damage={"fighting_damage_prob": 1.0, "aversion": aversion})
    m = run_replication(s, seed=4).metrics
    assert (m["refinery_damage_final"] > 0) == expect_damage


def test_retreating_insurgents_may_sabotage(monkeypatch: pytest.MonkeyPatch) -> None:
    s = scenario(areas=[{"name": "west", "holder": "insurgent"}], besiegers={"strength": 10},
                 damage={"sabotage_prob_when_losing": 1.0,
                         "sabotage_damage": {"low": 0.3, "high": 0.3}})
    rep = Replication(s, seed=1)
    monkeypatch.setattr(sim.model.assaults, "fight", forced(True))
    rep.assaults.counterattack()
    assert rep.refinery.damage == pytest.approx(0.3)


def test_damage_stops_the_unit_until_it_is_repaired(monkeypatch: pytest.MonkeyPatch) -> None:
    rep = Replication(scenario(), seed=1)

    def script():
        yield rep.env.timeout(50)
        rep.world.add_damage(0.6, "a test")

    rep.env.process(script())
    m = rep.run().metrics
    assert m["operating_days"] == pytest.approx(50 - 21)
    assert m["operating_at_horizon"] == 0.0
