"""Every uncertain parameter and every lever of every shipped scenario can change some output.

A parameter with a plausible ``range`` in its provenance is one that ``baiji-sim
sensitivity`` varies; a lever (the scenario's ``levers``) is one that ``discover`` and the
explorer move over its own range (the lever's range wins where both exist). If no output
moves when it goes from the low end of its range to the high end, either its mechanism
cannot act in the scenario (then the scenario should say so in ``inactive``, with the
reason, and sensitivity skips it) or the model has lost a connection (a bug, or a value that
is overridden elsewhere). This test tells the two apart from a silent zero in a sensitivity
table.

How: for each shipped scenario and each parameter of
:func:`~sim.analysis.sensitivity.uncertain_parameters` (declared-inactive ones are already
left out), build the scenario at the low and at the high end the way sensitivity
builds its design points (integers rounded, a ceiling or a span's high end raised
when needed), run both with the same seeds (common random numbers) and compare
every metric (NaN equal to NaN) and every daily series. The first replication that
differs settles it, so an active parameter costs about two replications; a
parameter is inert after ``K`` replications without any difference.

The converse is checked too, more cheaply: a parameter under a declared-inactive
prefix must not change any metric in the first ``K_DECLARED`` replications, so a
declaration that has gone stale (a variant switching strikes on without
``airstrikes: null``, a model change that lets a mechanism act) does not keep
hiding an active parameter from sensitivity analysis. Only the metrics count here:
a declared-inactive air defence still moves the daily ``helicopter_loss_prob``
series, which describes it, while it brings down nothing.

Equal means equal to rounding (relative 1e-9): the plant's output is integrated
piecewise between changes of the world, so an event that changes nothing else (a
cut on a line nobody uses) still splits the sum and moves its last bits. No
effect of a parameter is that small.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.sensitivity import design_scenarios, skipped_parameters, uncertain_parameters
from sim.model.replication import ReplicationResult, run_replication
from sim.rng import replication_seeds
from sim.scenario.levers import scenario_levers
from sim.scenario.loading import load_scenario
from sim.scenario.provenance import scenario_leaves

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "scenarios").glob("*.yaml"))  # not scenarios/exercises
K = 200  # replications without a difference before a parameter is called inert (rare paths)
K_DECLARED = 5  # replications a declared-inactive parameter must leave every metric alone
SEED = 1
RTOL, ATOL = 1e-9, 1e-12  # rounding, not an effect (see the module docstring)


def changed_metrics(a: ReplicationResult, b: ReplicationResult) -> list[str]:
    """The metrics that differ beyond rounding (NaN equals NaN)."""
    return [name for name, x in a.metrics.items()
            if not (math.isclose(x, y := b.metrics[name], rel_tol=RTOL, abs_tol=ATOL)
                    or (math.isnan(x) and math.isnan(y)))]


def same(a: ReplicationResult, b: ReplicationResult) -> bool:
    """Every metric and every daily value equal to rounding (NaN equals NaN)."""
    return not changed_metrics(a, b) and a.daily.shape == b.daily.shape and np.allclose(
        a.daily, b.daily, rtol=RTOL, atol=ATOL, equal_nan=True)


Ends = tuple[str, str, ReplicationResult, ReplicationResult]


def at_both_ends(path: Path, params: dict[str, tuple[float, float]], seeds: list[int],
                 overrides: tuple[str, ...] = ()):
    """For each parameter, one (name, 'lo to hi', low-end result, high-end result) per seed,
    lazily: the caller stops when it has seen enough."""
    base = load_scenario(path, overrides)
    leaves = scenario_leaves(base)
    for name, (lo, hi) in params.items():
        integer = isinstance(leaves[name], int)
        design = np.array([[lo], [hi]])
        if integer:
            design = np.round(design)
        (low, high), _ = design_scenarios(base, path, [name], design, [integer])
        ends = f"{design[0, 0]:g} to {design[1, 0]:g}"
        yield name, ends, ((run_replication(low, s), run_replication(high, s)) for s in seeds)


def inert_parameters(path: Path, overrides: tuple[str, ...] = (),
                     only: tuple[str, ...] = ()) -> list[str]:
    """'scenario: parameter (lo to hi)' for each uncertain parameter (of ``only``, if given)
    that changes no output between the ends of its range in ``K`` replications."""
    base = load_scenario(path, overrides)
    ranges = {**uncertain_parameters(base, levers=True),
              **{lv.path: (lv.low, lv.high) for lv in scenario_levers(base)}}
    params = {p: r for p, r in ranges.items() if not only or p in only}
    return [f"{base.name}: {name} ({ends})"
            for name, ends, pairs in at_both_ends(path, params, replication_seeds(SEED, K),
                                                  overrides)
            if all(same(a, b) for a, b in pairs)]


def active_but_declared_inactive(path: Path, overrides: tuple[str, ...] = ()) -> list[str]:
    """'scenario: parameter (lo to hi) under PREFIX changes METRICS' for each parameter with a
    range, left out as declared inactive, that moves a metric in ``K_DECLARED`` replications."""
    base = load_scenario(path, overrides)
    skipped = skipped_parameters(base)
    everything = uncertain_parameters(base.model_copy(update={"inactive": {}}), levers=True)
    params = {p: r for p, r in everything.items() if p in skipped}
    found = []
    for name, ends, pairs in at_both_ends(path, params, replication_seeds(SEED, K_DECLARED),
                                          overrides):
        moved = next((m for a, b in pairs if (m := changed_metrics(a, b))), None)
        if moved:
            found.append(f"{base.name}: {name} ({ends}) under inactive '{skipped[name]}' "
                         f"changes {', '.join(moved)}")
    return found


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """Two processes for both checks: one scenario per task on both cores (the checks are
    the slowest file of the suite), started once for the two."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def test_every_uncertain_parameter_of_every_shipped_scenario_can_change_an_output(
        pool: ProcessPoolExecutor) -> None:
    inert = [line for lines in pool.map(inert_parameters, SHIPPED) for line in lines]
    if inert:
        pytest.fail(f"{len(inert)} uncertain parameters change no metric and no daily value "
                    f"between the ends of their range in {K} replications. Where the mechanism "
                    "cannot act in the scenario, declare it in the scenario's `inactive` with "
                    "the reason; otherwise look for a lost connection in the model or a range "
                    "that cannot matter:\n  " + "\n  ".join(inert), pytrace=False)


def test_no_declared_inactive_parameter_of_a_shipped_scenario_changes_a_metric(
        pool: ProcessPoolExecutor) -> None:
    found = [line for lines in pool.map(active_but_declared_inactive, SHIPPED)
             for line in lines]
    if found:
        pytest.fail(f"{len(found)} parameters declared inactive change a metric: set the entry "
                    "to null in the scenario where the mechanism acts, or fix its reason:\n  "
                    + "\n  ".join(found), pytrace=False)


def test_the_check_finds_a_parameter_that_cannot_act_and_passes_one_that_can() -> None:
    # Without its inactive declarations the baseline has no strikes, so their kill rate is
    # inert; the garrison's stock is not.
    path = REPO / "scenarios" / "baseline.yaml"
    checked = ("airstrikes.kills_per_strike", "garrison.supplies_days")
    found = inert_parameters(path, ("inactive={}",), checked)
    assert [line.split(" (")[0] for line in found] == ["baseline: airstrikes.kills_per_strike"]


def test_the_converse_check_finds_a_declaration_that_hides_an_active_parameter() -> None:
    # Strikes switched on in the baseline without making 'airstrikes' active again.
    path = REPO / "scenarios" / "baseline.yaml"
    found = active_but_declared_inactive(path, ("airstrikes.strikes_per_day=4",))
    assert any(line.startswith("baseline: airstrikes.kills_per_strike (1 to 2.7) under "
                               "inactive 'airstrikes' changes ") for line in found), found
