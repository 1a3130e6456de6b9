"""No lever works in the wrong direction under common random numbers (issue 12, item 4).

For every lever a decision-maker controls (the ``levers`` a scenario file declares), the
scenario runs at the free end and the other end of the lever's range with the same seeds.
More of the lever must never lower the chance that the garrison holds, nor the chance that
the refinery runs at all, beyond the test's noise: the paired difference (more minus less)
of each 0/1 outcome must not be negative beyond its one-sided 99% bound, ``mean(d) >=
-z_0.99 x sd(d) / sqrt(n)``. With common random numbers most pairs are equal, so a lever
that truly hurts shows up fast. """

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.runner.batch import run_batch
from sim.scenario.levers import scenario_levers
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
N = 200
Z99 = 2.326  # one-sided 99% normal quantile
OUTCOMES = ("garrison_held", "refinery_ran")

# Every declared lever of these scenarios, from its free end (less) to the other (more):
# the campaign declares all thirteen, the baseline its helicopters and storage.
DECLARED = ("baseline", "campaign-2014-15")
# The same levers again where the situation differs most (the siege lifted, the plant lost).
ALSO = [
    ("coordinated", "garrison.relief_troops"),
    ("coordinated", "refinery.repair_crews.government"),
    ("may-2015", "airstrikes.strikes_per_day"),
    ("may-2015", "refinery.repair_crews.government"),
    ("may-2015", "refinery.crude_storage_days"),
]


def _ends(name: str, path: str | None = None) -> list[tuple[str, str, float, float]]:
    """(scenario, path, value with less of the lever, value with more of it)."""
    levers = scenario_levers(load_scenario(REPO / "scenarios" / f"{name}.yaml"))
    return [(name, lv.path, *(int(v) if lv.integer else v for v in (
                lv.free_end, lv.high if lv.free_end == lv.low else lv.low)))
            for lv in levers if path is None or lv.path == path]


LEVERS = [case for name in DECLARED for case in _ends(name)] + [
    case for name, path in ALSO for case in _ends(name, path)]


def _run(name: str, path: str, values: tuple[float, float]) -> list[dict[str, np.ndarray]]:
    """Both ends in one batch: replication i of each gets the same seed."""
    file = REPO / "scenarios" / f"{name}.yaml"
    ends = [load_scenario(file, [f"{path}={v}", f"name={name}-{k}"])
            for k, v in enumerate(values)]
    batch = run_batch(ends, N, seed=12, workers=2)
    return [{o: runs.column(o) for o in OUTCOMES} for runs in batch.runs]


@pytest.mark.parametrize(("name", "path", "less", "more"), LEVERS,
                         ids=[f"{n}:{'.'.join(p.split('.')[-2:])}" for n, p, _, _ in LEVERS])
def test_more_of_a_lever_never_lowers_the_chances(name: str, path: str, less: float,
                                                  more: float) -> None:
    low, high = _run(name, path, (less, more))
    problems = []
    for outcome in OUTCOMES:
        d = high[outcome] - low[outcome]
        bound = -Z99 * d.std(ddof=1) / math.sqrt(len(d)) if d.any() else 0.0
        if d.mean() < bound:
            problems.append(f"{outcome}: {low[outcome].mean():.3f} with {path}={less}, "
                            f"{high[outcome].mean():.3f} with {more} (paired difference "
                            f"{d.mean():+.3f}, allowed down to {bound:+.3f}; "
                            f"{int((d < 0).sum())} pairs worse, {int((d > 0).sum())} better)")
    assert not problems, f"{name}: more {path} does harm: " + "; ".join(problems)
