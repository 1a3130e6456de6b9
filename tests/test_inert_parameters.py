"""Every uncertain parameter of every shipped scenario can change some output.

A parameter with a plausible ``range`` in its provenance is one that
``baiji-sim sensitivity`` varies. If no output moves when it goes from the low end
of its range to the high end, either its mechanism cannot act in the scenario
(then the scenario should say so in ``inactive``, with the reason, and
sensitivity skips it) or the model has lost a connection (a bug, or a value that
is overridden elsewhere). This test tells the two apart from a silent zero in a
sensitivity table.

How: for each shipped scenario and each parameter of
:func:`~sim.sensitivity.uncertain_parameters` (declared-inactive ones are already
left out), build the scenario at the low and at the high end the way sensitivity
builds its design points (integers rounded, a ceiling or a span's high end raised
when needed), run both with the same seeds (common random numbers) and compare
every metric (NaN equal to NaN) and every daily series. The first replication that
differs settles it, so an active parameter costs about two replications; a
parameter is inert after ``K`` replications without any difference.

Equal means equal to rounding (relative 1e-9): the plant's output is integrated
piecewise between changes of the world, so an event that changes nothing else (a
cut on a line nobody uses) still splits the sum and moves its last bits. No
effect of a parameter is that small.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.loading import load_scenario
from sim.provenance import scenario_leaves
from sim.replication import ReplicationResult, run_replication
from sim.rng import replication_seeds
from sim.sensitivity import design_scenarios, uncertain_parameters

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "scenarios").glob("*.yaml"))  # not scenarios/exercises
K = 40  # replications without a difference before a parameter is called inert
SEED = 1
RTOL, ATOL = 1e-9, 1e-12  # rounding, not an effect (see the module docstring)


def same(a: ReplicationResult, b: ReplicationResult) -> bool:
    """Every metric and every daily value equal to rounding (NaN equals NaN)."""
    for name, x in a.metrics.items():
        y = b.metrics[name]
        if not (math.isclose(x, y, rel_tol=RTOL, abs_tol=ATOL)
                or (math.isnan(x) and math.isnan(y))):
            return False
    return a.daily.shape == b.daily.shape and np.allclose(a.daily, b.daily, rtol=RTOL,
                                                          atol=ATOL, equal_nan=True)


def inert_parameters(path: Path, overrides: tuple[str, ...] = (),
                     only: tuple[str, ...] = ()) -> list[str]:
    """'scenario: parameter (lo to hi)' for each uncertain parameter (of ``only``, if given)
    that changes no output between the ends of its range in ``K`` replications."""
    base = load_scenario(path, overrides)
    leaves = scenario_leaves(base)
    seeds = replication_seeds(SEED, K)
    inert = []
    for name, (lo, hi) in uncertain_parameters(base).items():
        if only and name not in only:
            continue
        integer = isinstance(leaves[name], int)
        design = np.array([[lo], [hi]])
        if integer:
            design = np.round(design)
        (low, high), _ = design_scenarios(base, path, [name], design, [integer])
        if not any(not same(run_replication(low, s), run_replication(high, s)) for s in seeds):
            inert.append(f"{base.name}: {name} ({design[0, 0]:g} to {design[1, 0]:g})")
    return inert


def test_every_uncertain_parameter_of_every_shipped_scenario_can_change_an_output() -> None:
    inert = [line for path in SHIPPED for line in inert_parameters(path)]
    assert not inert, (
        f"{len(inert)} uncertain parameters change no metric and no daily value between the "
        f"ends of their range in {K} replications. Where the mechanism cannot act in the "
        "scenario, declare it in the scenario's `inactive` with the reason; otherwise look for "
        "a lost connection in the model or a range that cannot matter:\n  "
        + "\n  ".join(inert))


def test_the_check_finds_a_parameter_that_cannot_act_and_passes_one_that_can() -> None:
    # Without its inactive declarations the baseline has no strikes, so their kill rate is
    # inert; the garrison's stock is not.
    path = REPO / "scenarios" / "baseline.yaml"
    checked = ("airstrikes.kills_per_strike", "garrison.supplies_t")
    found = inert_parameters(path, ("inactive={}",), checked)
    assert [line.split(" (")[0] for line in found] == ["baseline: airstrikes.kills_per_strike"]
