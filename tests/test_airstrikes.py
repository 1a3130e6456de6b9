"""Airstrikes: kills as a compound Poisson total, and their effect on the garrison's odds."""

from __future__ import annotations

import math

import numpy as np
from conftest import assert_mean_within, scenario, z_quantile

from sim.model.replication import Replication, run_replication
from sim.scenario.loading import load_scenario


def besiegers_left(s, seed: int) -> float:
    return float(run_replication(s, seed).daily[3][-1])


def test_strikes_kill_the_expected_number_of_besiegers() -> None:
    rate, kills, intel, wasted, days = 2.0, 2.0, 1.5, 0.3, 100
    s = scenario(besiegers={"strength": 100000},
                 airstrikes={"strikes_per_day": rate, "kills_per_strike": kills,
                             "intelligence_factor": intel, "coordination_failure_prob": wasted,
                             "team_kill_prob": 0.0})
    killed = [100000 - besiegers_left(s, seed) for seed in range(300)]
    assert_mean_within(killed, rate * days * (1 - wasted) * kills * intel)


def test_intelligence_makes_each_strike_destroy_more_teams() -> None:
    def teams_left(intel: float, seed: int) -> int:
        rep = Replication(scenario(air_defence={"teams": 1000},
                                   airstrikes={"strikes_per_day": 1.0, "team_kill_prob": 0.2,
                                               "intelligence_factor": intel,
                                               "coordination_failure_prob": 0.0}), seed)
        rep.run()
        return rep.world.aa_teams

    base = np.mean([1000 - teams_left(1.0, s) for s in range(100)])
    better = np.mean([1000 - teams_left(2.0, s) for s in range(100)])
    assert abs(base - 100 * 0.2) < 4 * math.sqrt(100 * 0.2)
    assert better > base


def test_more_airstrikes_never_lower_the_chance_the_garrison_holds() -> None:
    """Monotonicity under common random numbers, on the shipped baseline."""
    base = load_scenario("scenarios/baseline.yaml")
    seeds = range(300)
    held = {}
    for rate in (0.0, 1.0, 4.0):
        s = base.model_copy(update={"airstrikes": base.airstrikes.model_copy(
            update={"strikes_per_day": rate})})
        held[rate] = np.array([run_replication(s, seed).metrics["garrison_held"]
                               for seed in seeds])
    for lo, hi in ((0.0, 1.0), (1.0, 4.0)):
        diff = held[hi] - held[lo]  # paired, replication by replication
        se = diff.std(ddof=1) / math.sqrt(len(diff)) if diff.std() > 0 else 0.0
        assert diff.mean() >= -z_quantile(0.99) * se, (lo, hi, diff.mean(), se)
    assert held[4.0].mean() > held[0.0].mean()
