"""Parameter uncertainty (issue 17, part 1): draws from the provenance ranges, a nested
design, and the share of each outcome's variance that is the parameters'."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import sim.runner.batch
from sim.analysis.uncertainty import parameter_share, uncertainty_summary, variance_components
from sim.cli.app import app
from sim.runner.batch import run_batch
from sim.scenario.loading import load_scenario
from sim.scenario.provenance import scenario_leaves
from sim.scenario.uncertainty import (
    Uncertainty,
    draw_parameters,
    latin_hypercube,
    uncertain_parameters,
)

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.yaml"
AIRDROPS = REPO / "scenarios" / "us-airdrops.yaml"
runner = CliRunner()


def test_a_latin_hypercube_column_has_one_point_in_each_stratum() -> None:
    u = latin_hypercube(7, "garrison.supplies_days", 50)
    assert sorted(np.floor(u * 50).astype(int)) == list(range(50))
    assert np.array_equal(u, latin_hypercube(7, "garrison.supplies_days", 50))
    assert not np.array_equal(u, latin_hypercube(7, "besiegers.strength", 50))
    assert not np.array_equal(u, latin_hypercube(8, "garrison.supplies_days", 50))


def test_draws_stay_in_the_ranges_and_leave_facts_and_inactive_mechanisms_alone() -> None:
    scenario = load_scenario(BASELINE)
    ranges = uncertain_parameters(scenario)
    draws = draw_parameters(scenario, seed=3, replications=400, spec=Uncertainty(per_draw=4))
    assert draws.paths == list(ranges) and draws.values.shape == (100, len(ranges))
    leaves = scenario_leaves(scenario)
    for j, path in enumerate(draws.paths):
        lo, hi = ranges[path]
        column = draws.values[:, j]
        assert column.min() >= lo and column.max() <= hi, path
        if isinstance(leaves[path], int):
            assert np.all(column == np.round(column)), path
        else:  # a Latin hypercube: one value in each of the 100 strata
            assert len(set(np.floor((column - lo) / (hi - lo) * 100).clip(0, 99))) == 100
    for path, entry in scenario.provenance.items():
        if entry.fact is not None:
            assert path not in draws.paths  # facts stay fixed
    assert not [p for p in draws.paths if p.startswith("airstrikes.")]  # inactive here


def test_triangular_draws_centre_on_the_scenarios_value() -> None:
    scenario = load_scenario(BASELINE)
    draws = draw_parameters(scenario, seed=1, replications=4000,
                            spec=Uncertainty(per_draw=4, shape="triangular"))
    leaves, ranges = scenario_leaves(scenario), uncertain_parameters(scenario)
    for j, path in enumerate(draws.paths):
        if isinstance(leaves[path], int):
            continue
        lo, hi = ranges[path]
        mode = min(max(float(leaves[path]), lo), hi)
        # A Latin hypercube of 1,000 strata: the sample mean is within a stratum's width of
        # the distribution's, (lo + mode + hi) / 3.
        assert abs(draws.values[:, j].mean() - (lo + mode + hi) / 3) <= (hi - lo) / 1000


def test_the_variance_components_of_a_known_design() -> None:
    """Y = a_k + e_kj with Var(a) = 3 and Var(e) = 1: the parameters' share is 0.75."""
    rng = np.random.default_rng(11)
    k, m = 400, 4
    groups = rng.normal(0.0, np.sqrt(3.0), (k, 1)) + rng.normal(0.0, 1.0, (k, m))
    _, s2c = variance_components(groups)
    result = parameter_share(groups, seed=2)
    low, high = result["ci95"]
    assert low < 0.75 < high and low < result["share"] < high
    assert abs(s2c - 1.0) < 3 * np.sqrt(2 / (k * (m - 1)))  # MSW's standard error
    none = parameter_share(rng.normal(0.0, 1.0, (k, m)), seed=2)
    assert none["ci95"][0] == 0.0 and none["share"] < 0.1
    flat = parameter_share(np.zeros((k, m)))
    assert flat["share"] is None and "does not vary" in flat["note"]


def test_a_batch_with_uncertainty_is_reproducible_paired_and_grouped() -> None:
    scenarios = [load_scenario(BASELINE, ["horizon_days=60"]),
                 load_scenario(AIRDROPS, ["horizon_days=60"])]
    spec = Uncertainty(per_draw=4)
    one = run_batch(scenarios, 40, seed=5, workers=1, daily=False, uncertainty=spec)
    two = run_batch(scenarios, 40, seed=5, workers=2, chunk_size=7, daily=False,
                    uncertainty=spec)
    plain = run_batch(scenarios, 40, seed=5, workers=1, daily=False)
    for a, b in zip(one.runs, two.runs, strict=True):
        np.testing.assert_array_equal(a.metrics, b.metrics)  # whatever the workers
        assert a.parameters is not None and b.parameters is not None
        for path, values in a.parameters.items():
            np.testing.assert_array_equal(values, b.parameters[path])
            groups = values.reshape(10, 4)
            assert np.all(groups == groups[:, :1])  # a draw is shared by its group
            assert len(np.unique(groups[:, 0])) > 1 or "max_" in path  # and differs
    assert not np.array_equal(one.runs[0].metrics, plain.runs[0].metrics)
    # Common random numbers: a parameter both scenarios have, with the same range, has the
    # same draws in both.
    base, drops = one.runs
    shared = [p for p in base.parameters if p in drops.parameters and uncertain_parameters(
        scenarios[0])[p] == uncertain_parameters(scenarios[1])[p]]
    assert shared
    for path in shared:
        np.testing.assert_array_equal(base.parameters[path], drops.parameters[path])


def test_parameter_uncertainty_moves_the_campaigns_outcome() -> None:
    """In the full campaign the parameters' share of the garrison's fate is clearly above
    zero: the draws reach the model."""
    scenario = load_scenario(REPO / "scenarios" / "campaign-2014-15.yaml")
    batch = run_batch([scenario], 240, seed=1, workers=2, daily=False,
                      uncertainty=Uncertainty())
    entry = uncertainty_summary(batch)["scenarios"][scenario.name]["metrics"]["garrison_held"]
    assert entry["ci95"][0] > 0.0, entry
    assert entry["drivers"] and abs(entry["drivers"][0]["spearman_rho"]) > 0.2


def test_run_uncertainty_writes_the_draws_and_the_shares(tmp_path: Path) -> None:
    out = tmp_path / "u"
    args = ["run", str(BASELINE), "-n", "24", "--workers", "1", "--no-plots", "--uncertainty",
            "--set", "horizon_days=40"]
    done = runner.invoke(app, [*args, "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "Where the spread comes from" in done.stdout
    header = (out / "replications.csv").read_text().splitlines()[0].split(",")
    params = [h for h in header if h.startswith("param.")]
    ranges = uncertain_parameters(load_scenario(BASELINE, ["horizon_days=40"]))
    assert params == [f"param.{p}" for p in ranges]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["uncertainty"]["per_draw"] == 4
    assert set(summary["uncertainty"]["scenarios"]["baseline"]["metrics"]) >= {
        "garrison_held", "operating_days"}
    refused = runner.invoke(app, [*args, "--precision", "0.1", "--out", str(tmp_path / "p")])
    assert refused.exit_code == 2 and "cannot go with --precision" in refused.stderr


def test_a_stopped_run_with_uncertainty_resumes_to_the_same_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["run", str(BASELINE), "-n", "40", "--workers", "1", "--no-plots", "--uncertainty",
            "--per-draw", "5", "--set", "horizon_days=30"]
    whole = tmp_path / "whole"
    assert runner.invoke(app, [*args, "--out", str(whole)]).exit_code == 0
    original = sim.runner.batch.iter_chunk_results

    def stop_after_one(*a, **k):
        for result in original(*a, **k):
            yield result
            raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", stop_after_one)
    out = tmp_path / "stopped"
    assert runner.invoke(app, [*args, "--out", str(out)]).exit_code == 130
    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", original)
    again = runner.invoke(app, ["run", "--resume", str(out), "--per-draw", "3"])
    assert again.exit_code == 2 and "--per-draw" in again.stderr
    done = runner.invoke(app, ["run", "--resume", str(out)])
    assert done.exit_code == 0, done.output
    assert (out / "replications.csv").read_bytes() == (whole / "replications.csv").read_bytes()
