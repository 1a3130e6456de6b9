"""Supply flights: Poisson sorties, losses, the halt rule (negative binomial), airdrop thinning."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_mean_within, scenario, z_quantile

from sim.model.replication import Replication, run_replication

HELI = {"name": "helis", "kind": "helicopter", "aircraft": 4, "sorties_per_aircraft_day": 0.5,
        "payload_t": 3.0, "exposure": 1.0}
DROP = {"name": "drops", "kind": "airdrop", "aircraft": 1, "sorties_per_aircraft_day": 0.5,
        "bundles": 16, "bundle_t": 0.9, "accuracy": 0.9, "perimeter_exponent": 0.5,
        "exposure": 0.0}
SEEDS = range(400)


def loss_prob(rep: Replication) -> float:
    return rep.air_defence.loss_prob


def test_safe_sorties_arrive_as_a_poisson_process_and_deliver_full_loads() -> None:
    s = scenario(air_defence={"teams": 0}, supply_operators=[{**HELI, "start_day": 10,
                                                              "end_day": 60}])
    runs = [run_replication(s, seed).metrics for seed in SEEDS]
    sorties = [m["sorties_flown"] for m in runs]
    assert_mean_within(sorties, 4 * 0.5 * 50)  # rate x open window
    assert all(m["supplies_delivered_t"] == 3.0 * m["sorties_flown"] for m in runs)
    assert all(m["helicopters_lost"] == 0 for m in runs)


def test_halt_after_k_losses_is_negative_binomial_in_sorties() -> None:
    # Many aircraft and a long window: sorties flown up to the halt = k + NegBin(k, p) failures.
    k = 2
    s = scenario(supply_operators=[{**HELI, "aircraft": 200, "sorties_per_aircraft_day": 1.0,
                                    "halt": {"after_losses": k, "within_days": 1e6}}])
    p = loss_prob(Replication(s, 0))
    runs = [run_replication(s, seed).metrics for seed in range(600)]
    assert all(not math.isnan(m["flights_halted_day"]) for m in runs)
    assert all(m["helicopters_lost"] == k for m in runs)
    flown = np.array([m["sorties_flown"] for m in runs])
    mean, var = k / p, k * (1 - p) / p**2  # negative binomial (trials to the k-th loss)
    assert abs(flown.mean() - mean) <= z_quantile(0.999) * math.sqrt(var / len(flown))
    assert flown.min() >= k


def test_losses_outside_the_window_do_not_halt() -> None:
    s = scenario(horizon_days=60, supply_operators=[
        {**HELI, "aircraft": 50, "halt": {"after_losses": 2, "within_days": 1e-6}}])
    runs = [run_replication(s, seed).metrics for seed in range(50)]
    assert any(m["helicopters_lost"] >= 2 for m in runs)
    assert all(math.isnan(m["flights_halted_day"]) for m in runs)


def test_lost_helicopters_take_their_cargo_and_shrink_the_fleet() -> None:
    s = scenario(air_defence={"teams": 50, "hit_prob": 1.0, "loss_given_hit": 1.0,
                              "engagement_per_team": 1.0}, supply_operators=[HELI])
    m = run_replication(s, seed=3).metrics  # every sortie is lost
    assert m["helicopters_lost"] == 4
    assert m["sorties_flown"] == 4
    assert m["supplies_lost_t"] == 12.0
    assert m["supplies_delivered_t"] == 0.0


def test_no_exposure_means_no_losses_whatever_the_threat() -> None:
    s = scenario(air_defence={"teams": 50, "hit_prob": 1.0, "loss_given_hit": 1.0},
                 supply_operators=[{**HELI, "exposure": 0.0}])
    assert run_replication(s, seed=3).metrics["helicopters_lost"] == 0


@pytest.mark.parametrize("insurgent_sectors", [0, 2, 4])
def test_airdrop_bundles_inside_the_perimeter_are_a_binomial_thinning(
        insurgent_sectors: int) -> None:
    lost = [{"name": n, "holder": "insurgent"} for n in ("west", "south", "east", "north")]
    changes = {"areas": lost[:insurgent_sectors]} if insurgent_sectors else {}
    s = scenario(**changes, supply_operators=[DROP])
    runs = [run_replication(s, seed).metrics for seed in range(200)]
    share = (5 - insurgent_sectors) / 5
    p_in = 0.9 * share**0.5
    bundles = sum(m["sorties_flown"] for m in runs) * 16
    landed = sum(m["supplies_delivered_t"] for m in runs) / 0.9
    tol = z_quantile(0.999) * math.sqrt(p_in * (1 - p_in) / bundles)
    assert abs(landed / bundles - p_in) <= tol
    total = sum(m["supplies_delivered_t"] + m["supplies_lost_t"] for m in runs)
    assert total == pytest.approx(sum(m["sorties_flown"] for m in runs) * 16 * 0.9)


def test_flights_stop_when_the_garrison_falls() -> None:
    s = scenario(garrison={"supplies_days": 0.0, "collapse_after_days": 2},
                 supply_operators=[{**HELI, "start_day": 50}])
    m = run_replication(s, seed=1).metrics
    assert m["garrison_fall_day"] == pytest.approx(2.0)
    assert m["sorties_flown"] == 0
