"""Ground campaign: deterministic advance, geometric retries, coordination, relief."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_mean_within, scenario

from sim.model.replication import run_replication

HOSTILE = [{"name": "town", "holder": "insurgent"}, {"name": "hamlet", "holder": "insurgent"}]


def campaign(**kw) -> dict:
    base = {"route": ["hamlet", "town"], "start_day": 5, "mean_days_per_area": 10,
            "duration_cv": 0.0, "coordination_factor": 1.0, "success_prob": 1.0,
            "retry_days": 5}
    return {**base, **kw}


def test_a_certain_advance_lifts_the_siege_on_a_computable_day() -> None:
    s = scenario(areas=HOSTILE, ground_campaign=campaign(coordination_factor=1.5),
                 garrison={"relief_troops": 200})
    r = run_replication(s, seed=1)
    m = r.metrics
    assert m["siege_lifted_day"] == pytest.approx(5 + 2 * 10 * 1.5)
    assert m["villages_retaken"] == 2
    assert r.daily[2][-1] == 300 + 200  # relief troops joined the garrison
    # With the town back, the refinery can restart: 21 days after the lift.
    assert m["first_operating_day"] == pytest.approx(35 + 21)


def test_failed_operations_are_retried_geometrically() -> None:
    p, mean, retry = 0.4, 10.0, 5.0
    s = scenario(horizon_days=2000, areas=HOSTILE,
                 ground_campaign=campaign(route=["town"], start_day=0, success_prob=p,
                                          mean_days_per_area=mean, retry_days=retry))
    days = [run_replication(s, seed).metrics["siege_lifted_day"] for seed in range(400)]
    assert not any(math.isnan(d) for d in days)
    # Each failure costs an operation and a regrouping: E = mean + (1-p)/p x (mean + retry).
    assert_mean_within(days, mean + (1 - p) / p * (mean + retry))


def test_gamma_durations_have_the_stated_mean() -> None:
    s = scenario(horizon_days=1000, areas=HOSTILE,
                 ground_campaign=campaign(route=["town"], start_day=0, duration_cv=0.6,
                                          coordination_factor=2.0))
    days = [run_replication(s, seed).metrics["siege_lifted_day"] for seed in range(400)]
    assert_mean_within(days, 10 * 2.0)


def test_coordination_problems_delay_relief_under_common_random_numbers() -> None:
    def lift_days(factor: float) -> np.ndarray:
        s = scenario(horizon_days=500, areas=HOSTILE,
                     ground_campaign=campaign(duration_cv=0.5, success_prob=0.7,
                                              coordination_factor=factor))
        return np.array([run_replication(s, seed).metrics["siege_lifted_day"]
                         for seed in range(100)])

    smooth, stretched = lift_days(1.0), lift_days(2.0)
    assert np.all(stretched >= smooth)  # same draws, longer operations


def test_insurgent_retakes_cut_the_road_again() -> None:
    s = scenario(horizon_days=400, areas=HOSTILE,
                 ground_campaign=campaign(insurgent_retake_rate_per_day=0.2))
    runs = [run_replication(s, seed).metrics for seed in range(50)]
    assert any(m["villages_retaken"] < 2 for m in runs)
    calm = scenario(horizon_days=400, areas=HOSTILE, ground_campaign=campaign())
    assert run_replication(calm, 0).metrics["villages_retaken"] == 2


def test_a_fallen_garrison_is_not_relieved() -> None:
    s = scenario(areas=HOSTILE, garrison={"supplies_days": 0.0, "collapse_after_days": 3},
                 ground_campaign=campaign())
    m = run_replication(s, seed=1).metrics
    assert m["garrison_held"] == 0.0
    assert math.isnan(m["siege_lifted_day"])
    assert m["villages_retaken"] == 2
