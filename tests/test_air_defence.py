"""Air defence: the per-sortie loss probability and what changes it."""

from __future__ import annotations

import math

import pytest
from conftest import scenario

from sim.model.replication import Replication


def expected(teams: int, per_team: float, hit: float, lgh: float) -> float:
    return (1 - math.exp(-per_team * teams)) * hit * lgh


def test_loss_probability_is_engaged_times_hit_times_loss_given_hit() -> None:
    rep = Replication(scenario(air_defence={"teams": 6, "engagement_per_team": 0.1,
                                            "hit_prob": 0.2, "loss_given_hit": 0.6}), 1)
    assert rep.air_defence.loss_prob == pytest.approx(expected(6, 0.1, 0.2, 0.6))


def test_better_launchers_raise_it_on_their_day() -> None:
    s = scenario(air_defence={"teams": 4, "hit_prob": 0.05, "improved_hit_prob": 0.35,
                              "improved_from_day": 20})
    r = Replication(s, 1).run()
    daily = r.daily[5]
    assert daily[18] == pytest.approx(expected(4, 0.05, 0.05, 0.5))
    assert daily[20] == pytest.approx(expected(4, 0.05, 0.35, 0.5))


def test_destroyed_teams_lower_it_and_none_means_no_risk() -> None:
    rep = Replication(scenario(air_defence={"teams": 2}), 1)
    before = rep.air_defence.loss_prob
    rep.air_defence.destroy_team()
    assert rep.air_defence.loss_prob < before
    rep.air_defence.destroy_team()
    rep.air_defence.destroy_team()  # nothing left to destroy
    assert rep.world.aa_teams == 0
    assert rep.air_defence.loss_prob == 0.0


def test_new_teams_arrive_up_to_the_cap() -> None:
    s = scenario(air_defence={"teams": 0, "team_reinforcement_per_day": 0.5, "max_teams": 3})
    r = Replication(s, 7).run()
    assert r.daily[5][-1] == pytest.approx(expected(3, 0.05, 0.1, 0.5))


@pytest.mark.parametrize("day", [1, 20])
def test_an_upgrade_due_at_the_end_of_a_day_shows_in_that_days_sample(day: int) -> None:
    """Fixed-time events set up before the clock's tick come first (docs/model.md, section 3)."""
    s = scenario(air_defence={"teams": 4, "hit_prob": 0.05, "improved_hit_prob": 0.35,
                              "improved_from_day": day})
    daily = Replication(s, 1).run().daily[5]
    assert daily[day - 1] == pytest.approx(expected(4, 0.05, 0.35, 0.5))
    if day > 1:
        assert daily[day - 2] == pytest.approx(expected(4, 0.05, 0.05, 0.5))
