"""The smallest effort that works: the selection's guarantee on cases with a known answer.

No simulation: each candidate's confirmation runs are Bernoulli draws with a known P(goal).
The guarantee (sim/analysis/discovery_selection.py) is that the probability of declaring
*any* candidate that does not meet the goal is at most alpha (Holm's family-wise error). It is
checked where it is hardest to keep, every candidate exactly on the threshold (the least
favourable case), over many repetitions: the share of repetitions with a false declaration
must not exceed alpha beyond the binomial noise of the repetitions (a one-sided 99.9% bound).
With a clear best, the cheapest candidate that meets the goal is the one chosen.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.comparison import holm
from sim.analysis.discovery_goal import parse_goal
from sim.analysis.discovery_selection import (
    Candidate,
    group_units,
    one_sided_p,
    screen,
    select,
)

GOAL = parse_goal("refinery_ran >= 0.5")
Z999 = 3.09  # one-sided 99.9% normal quantile


def _candidates(efforts: list[float]) -> list[Candidate]:
    return [Candidate(i, {"x": float(e)}, float(e), 0.6) for i, e in enumerate(efforts)]


def _runs(rng: np.random.Generator, p: list[float], n: int) -> np.ndarray:
    """Paired 0/1 runs: one uniform per replication shared by every candidate (common
    random numbers), so a candidate with a higher P(goal) succeeds wherever a lower one does."""
    u = rng.random(n)
    return np.array([(u < q).astype(float) for q in p])


def test_no_false_declaration_beyond_alpha_on_the_threshold() -> None:
    rng = np.random.default_rng(2024)
    repetitions, n = 400, 200
    p = [0.5, 0.5, 0.5, 0.5]  # every candidate on the threshold: none meets it strictly
    false = 0
    for _ in range(repetitions):
        s = select(_candidates([1, 2, 3, 4]), _runs(rng, p, n), GOAL, replications=n)
        false += any(c.meets for c in s.candidates)
    alpha = 0.05
    bound = alpha + Z999 * math.sqrt(alpha * (1 - alpha) / repetitions)
    assert false / repetitions <= bound, (false, repetitions)


def test_unpaired_candidates_on_the_threshold_keep_the_guarantee_too() -> None:
    rng = np.random.default_rng(7)
    repetitions, n = 400, 150
    false = 0
    for _ in range(repetitions):
        runs = (rng.random((5, n)) < 0.5).astype(float)
        s = select(_candidates([1, 2, 3, 4, 5]), runs, GOAL, replications=n)
        false += any(c.meets for c in s.candidates)
    bound = 0.05 + Z999 * math.sqrt(0.05 * 0.95 / repetitions)
    assert false / repetitions <= bound


def test_the_known_best_is_chosen() -> None:
    """Efforts 1-4 with P(goal) 0.3, 0.45, 0.8, 0.95: the cheapest that meets the goal is the
    third (effort 3), far enough above 0.5 to be confirmed by 200 runs nearly always."""
    rng = np.random.default_rng(11)
    chosen = [select(_candidates([1, 2, 3, 4]), _runs(rng, [0.3, 0.45, 0.8, 0.95], 200),
                     GOAL, replications=200).chosen for _ in range(100)]
    assert chosen.count(2) >= 95, chosen
    s = select(_candidates([1, 2, 3, 4]), _runs(rng, [0.3, 0.45, 0.8, 0.95], 200), GOAL,
               replications=200)
    assert s.test == "binomial"
    # The paired differences against the cheaper ones: positive, with intervals.
    assert [d["candidate"] for d in s.paired] == [0, 1]
    assert all(d["low"] > 0 for d in s.paired)


def test_nothing_confirmed_when_none_meets_the_goal() -> None:
    rng = np.random.default_rng(3)
    s = select(_candidates([1, 2]), _runs(rng, [0.2, 0.35], 200), GOAL, replications=200)
    assert s.chosen is None and s.best is None and not any(c.meets for c in s.candidates)


def test_holm_adjusts_as_the_textbook_does() -> None:
    # Holm (1979): sorted p 0.01, 0.02, 0.03 -> 0.03, 0.04, 0.04 (monotone).
    assert holm([0.03, 0.01, 0.02])[0] == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.9]) == ([1.0, 1.0], [False, False])


def test_one_sided_tests_and_draw_groups() -> None:
    # 15 of 20 against 0.5: the exact binomial tail P(X >= 15 | 20, 0.5) = 0.0207.
    x = np.array([1.0] * 15 + [0.0] * 5)
    assert one_sided_p(x, GOAL) == (pytest.approx(0.020695, abs=1e-6), "binomial")
    low = parse_goal("helicopters_lost <= 1")
    p, test = one_sided_p(np.array([0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]), low)
    assert test == "t" and p < 0.05  # mean 0.25, clearly below 1
    units = np.array([[1.0, 0.0, 1.0, 1.0, np.nan, np.nan]])
    assert group_units(units, 2).tolist()[0][:2] == [0.5, 1.0]
    assert math.isnan(group_units(units, 2)[0, 2])  # an all-empty group is left out


def test_screening_takes_the_cheapest_points_that_met_the_goal() -> None:
    outcomes = np.array([0.6, 0.2, 0.9, 0.55, 0.7])
    efforts = np.array([3.0, 0.5, 5.0, 1.0, 1.0])
    assert screen(outcomes, efforts, GOAL, 3) == [4, 3, 0]  # equal effort: the better first
