"""Known answer for the calibration (issue 17): observations made by the model itself at known
parameter values, then weighed as calibrate weighs the articles' (sim/analysis/calibration.py).

A small scenario (60 days, two uncertain parameters): the garrison runs out of supplies after
``garrison.supplies_days`` (range 10-40), sooner with fighting (random clashes), and falls;
``refinery.ramp_days`` (range 5-30) has nothing to do with it. The synthetic observation is
the 5-day window in which the garrison fell (or that it held). For each of S truths theta*
drawn from the prior (simulation-based calibration, Cook, Gelman & Rubin 2006): the design's
draws are weighted by the share of their replications that fell in the same window, and the
posterior 90% interval should hold theta*. If the weights are the posterior, each truth is
covered with probability 0.9, so the number covered is Binomial(S, 0.9): the test accepts
anything above its 0.1% quantile. The ramp, which the observation cannot inform, keeps its
prior: its interval's shrinkage is 0 within 3.29 standard errors, the standard error of the
shrinkage of a uniform's 90% interval estimated from ESS draws being sqrt(0.09 / ESS)
(the delta method on the 5% and 95% order statistics).
"""

from __future__ import annotations

import math

import numpy as np
from conftest import scenario
from scipy import stats

from sim.analysis.calibration import by_draw, draw_values, parameter_posterior
from sim.runner.batch import run_batch
from sim.scenario.uncertainty import Uncertainty

DRAWS, PER_DRAW, TRUTHS, WINDOW = 300, 2, 40, 5.0
RANGES = {"garrison.supplies_days": [10.0, 40.0], "refinery.ramp_days": [5.0, 30.0]}


def _window(fall_day: np.ndarray) -> np.ndarray:
    """The observation: the 5-day window of the fall; -1 for a garrison that held."""
    return np.where(np.isnan(fall_day), -1.0, np.floor(fall_day / WINDOW))


def test_the_posterior_covers_known_values_and_leaves_an_uninformed_one_alone() -> None:
    spec = scenario(
        horizon_days=60, garrison={"supplies_days": 25.0, "collapse_after_days": 5},
        besiegers={"clash_rate_per_day": 1.0},
        provenance={p: {"assumption": "test range", "range": r} for p, r in RANGES.items()})
    design = run_batch([spec], DRAWS * PER_DRAW, seed=11, workers=1, daily=False,
                       uncertainty=Uncertainty(PER_DRAW)).runs[0]
    truth = run_batch([spec], TRUTHS * 2, seed=12, workers=1, daily=False,
                      uncertainty=Uncertainty(2)).runs[0]
    first = np.arange(0, TRUTHS * 2, 2)  # one replication of each true parameter set
    observed = _window(truth.column("garrison_fall_day"))[first]
    simulated = _window(design.column("garrison_fall_day"))
    values = draw_values(design, PER_DRAW)
    assert truth.parameters is not None
    covered = dict.fromkeys(RANGES, 0)
    shrink, variance = [], []
    for i, y in enumerate(observed):
        w = by_draw(design, (simulated == y).astype(float), PER_DRAW)
        assert w.sum() > 0  # the design reaches every observed window
        for path in RANGES:
            post = parameter_posterior(values[path], w)["posterior"]
            covered[path] += post[0] <= truth.parameters[path][first[i]] <= post[2]
        ess = w.sum() ** 2 / np.sum(w ** 2)
        shrink.append(parameter_posterior(values["refinery.ramp_days"], w)["shrinkage"])
        variance.append(0.09 / ess)
    least = stats.binom.ppf(0.001, TRUTHS, 0.9)
    assert all(c >= least for c in covered.values()), (covered, least)
    # The observation pins the supplies down (a window of 5 days in a range of 30)...
    informed = np.mean([parameter_posterior(values["garrison.supplies_days"],
                                            by_draw(design, (simulated == y).astype(float),
                                                    PER_DRAW))["shrinkage"]
                        for y in observed])
    assert informed > 0.5
    # ...and says nothing about the ramp.
    tolerance = 3.29 * math.sqrt(float(np.mean(variance)))
    assert abs(float(np.mean(shrink))) <= tolerance, (np.mean(shrink), tolerance)


class _Runs:
    """The two things held_out_weights reads of a batch's runs: the replication numbers
    and the observation columns (one tested here, the others NaN)."""

    def __init__(self, agrees: list[float]) -> None:
        from sim.analysis.calibration import OBSERVATIONS

        self.replication = np.arange(len(agrees))
        self._columns = {m: np.full(len(agrees), np.nan) for m in OBSERVATIONS}
        self._columns[OBSERVATIONS[0]] = np.asarray(agrees, dtype=float)

    def column(self, name: str) -> np.ndarray:
        return self._columns[name]


def test_held_out_weights_use_the_other_replications_of_the_draw() -> None:
    """Draws of 4: a replication's weight is the share of the other three that agree, so
    its own dice never weigh its own outcome; a lone replication (a last, incomplete draw)
    has no others and weighs 0."""
    from sim.analysis.calibration import held_out_weights

    runs = _Runs([1, 0, 0, 0, 1, 1, 0, 0, 1])
    w = held_out_weights(runs, 4)  # type: ignore[arg-type]
    assert np.allclose(w, [0, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 0])
