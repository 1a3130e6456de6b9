"""PRIM and CART find the box of a synthetic model whose true box is known (no simulation).

The "model" is a function of the inputs: the goal is met exactly inside the box
``a >= 0.6 and b <= 3`` (``b`` a whole number), whatever the other dimensions. Over a Latin
hypercube of 300 points, PRIM must restrict ``a`` and ``b`` near the true limits, leave the
noise dimensions alone, and reach high coverage and density; so must CART's best leaf. The
tolerance on a limit is one peel (5% of the points remaining): PRIM cannot place a limit
closer than the points it peels.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.discovery_design import Dimension, unit_design
from sim.analysis.discovery_rules import cart_boxes, find_rules, heatmap, prim_boxes

DIMS = [Dimension("a", "lever", 0.0, 1.0, False, "a"),
        Dimension("b", "lever", 1.0, 5.0, True, "b"),
        *(Dimension(f"noise{k}", "uncertainty", 0.0, 1.0, False, f"noise{k}")
          for k in range(6))]


def _design(points: int = 300, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    u = unit_design(points, len(DIMS), seed)
    values = np.column_stack([d.scale(u[:, j]) for j, d in enumerate(DIMS)])
    met = (values[:, 0] >= 0.6) & (values[:, 1] <= 3)
    return values, met


def test_prim_finds_the_true_box_and_leaves_the_noise_alone() -> None:
    values, met = _design()
    boxes, trajectories = prim_boxes(values, met, DIMS)
    box = boxes[0]
    limits = {r.path: r for r in box.restrictions}
    assert set(limits) == {"a", "b"}, [r.words() for r in box.restrictions]
    assert limits["a"].low == pytest.approx(0.6, abs=0.05)  # one peel of 300 points
    assert limits["a"].high == 1.0  # not restricted on that side
    assert limits["b"].words() == "b <= 3"
    assert box.coverage >= 0.9 and box.density >= 0.9
    assert box.hits == round(box.coverage * met.sum())
    # Every limit that is kept matters (quasi-p values from ema-workbench).
    assert limits["a"].qp_low is not None and limits["a"].qp_low < 1e-6
    assert limits["b"].qp_high is not None and limits["b"].qp_high < 1e-6
    # The trajectory starts from the whole design and gains density as it peels.
    first = trajectories[0][0]
    assert first["coverage"] == 1.0 and first["density"] == pytest.approx(met.mean())


def test_cart_finds_the_same_box() -> None:
    values, met = _design()
    boxes, importance = cart_boxes(values, met, DIMS)
    best = boxes[0]
    limits = {r.path: r for r in best.restrictions}
    assert {"a", "b"} <= set(limits)
    assert limits["a"].low == pytest.approx(0.6, abs=0.05)
    assert limits["b"].words() == "b <= 3"
    assert best.density >= 0.9 and best.coverage >= 0.9
    assert importance[:2].sum() > 0.9  # the noise explains nothing


def test_the_pair_that_matters_most_and_its_heatmap() -> None:
    values, met = _design()
    outcomes = met.astype(float)
    rules = find_rules(values, met, DIMS, outcomes=outcomes)
    assert rules.pair == (0, 1)
    counted = np.full(len(met), 10)
    h = heatmap(values, outcomes, DIMS, rules.pair, counted=counted)
    assert h.points.sum() == len(met)
    assert len(h.y_edges) == 6  # b takes 5 whole values: a row each
    # The cell a in the top quarter, b = 1 lies inside the true box: all met.
    assert h.mean[0, -1] == 1.0 and h.high[0, -1] == 1.0 and h.low[0, -1] < 1.0
    # b = 5 lies outside: nothing met, and the interval still says how many runs it rests on.
    assert np.all(h.mean[-1] == 0.0) and np.all(h.high[-1] > 0.0)


def test_nothing_met_and_everything_met_give_no_box() -> None:
    values, met = _design(60)
    for flat in (np.zeros_like(met), np.ones_like(met)):
        assert prim_boxes(values, flat, DIMS) == ([], [])
        assert cart_boxes(values, flat, DIMS)[0] == []
