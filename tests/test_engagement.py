"""The force-ratio engagement model against its closed forms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import assert_mean_within, z_quantile

from sim.model.engagement import attacker_win_prob, expected_losses, fight


def test_equal_effective_forces_are_a_coin_toss() -> None:
    assert attacker_win_prob(300, 100, 3.0, 1.5) == pytest.approx(0.5)
    assert attacker_win_prob(400, 100, 4.0, 0.7) == pytest.approx(0.5)


def test_closed_form_and_limits() -> None:
    assert attacker_win_prob(300, 300, 3.0, 1.0) == pytest.approx(1 / (1 + 3))
    assert attacker_win_prob(300, 300, 3.0, 2.0) == pytest.approx(1 / (1 + 9))
    assert attacker_win_prob(0, 300, 3.0, 2.0) == 0.0
    assert attacker_win_prob(10, 0, 3.0, 2.0) == 1.0


def test_odds_rise_with_attackers_and_fall_with_advantage() -> None:
    ps = [attacker_win_prob(a, 200, 3.0, 1.5) for a in (100, 300, 600, 1200, 2400)]
    assert all(x < y for x, y in itertools.pairwise(ps))
    qs = [attacker_win_prob(600, 200, adv, 1.5) for adv in (1, 2, 3, 5, 8)]
    assert all(x > y for x, y in itertools.pairwise(qs))


def test_higher_decisiveness_favours_the_stronger_side_more() -> None:
    assert attacker_win_prob(900, 100, 3.0, 3.0) > attacker_win_prob(900, 100, 3.0, 1.0)
    assert attacker_win_prob(100, 100, 3.0, 3.0) < attacker_win_prob(100, 100, 3.0, 1.0)


def test_drawn_outcomes_match_the_win_probability_and_mean_losses() -> None:
    rng = np.random.default_rng(2024)
    a, d, adv, k, c = 300, 200, 2.0, 1.5, 0.1
    n = 20000
    draws = [fight(rng, a, d, 1.0, adv, k, c) for _ in range(n)]
    p = attacker_win_prob(a, d, adv, k)
    wins = np.mean([o.attacker_won for o in draws])
    assert abs(wins - p) <= z_quantile(0.999) * np.sqrt(p * (1 - p) / n)
    ea, ed = expected_losses(a, d, adv, c)
    assert_mean_within([o.attacker_losses for o in draws], ea)
    assert_mean_within([o.defender_losses for o in draws], ed)


def test_weakened_defenders_fight_at_their_effective_strength() -> None:
    rng1, rng2 = np.random.default_rng(5), np.random.default_rng(5)
    n = 5000
    half_fit = np.mean([fight(rng1, 300, 200, 0.5, 2.0, 1.5, 0.1).attacker_won for _ in range(n)])
    half_men = np.mean([fight(rng2, 300, 100, 1.0, 2.0, 1.5, 0.1).attacker_won for _ in range(n)])
    p = attacker_win_prob(300, 100, 2.0, 1.5)
    tol = z_quantile(0.999) * np.sqrt(p * (1 - p) / n)
    assert abs(half_fit - p) <= tol
    assert abs(half_men - p) <= tol
