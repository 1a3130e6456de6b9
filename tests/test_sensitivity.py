"""Sensitivity analysis: parameter ranges, known-answer screening, CRN averaging, outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import scenario

from sim.analysis.sensitivity import (
    SensitivityResult,
    parse_range,
    run_sensitivity,
    sensitivity_summary,
    skipped_parameters,
    skipped_text,
    uncertain_parameters,
)
from sim.output.sensitivity_files import sensitivity_figure, write_sensitivity
from sim.runner.batch import run_batch
from sim.scenario.loading import load_scenario
from sim.scenario.provenance import find_provenance, scenario_leaves

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SUPPLIES = "garrison.supplies_days"
RELEVANT_RANGE = (400.0, 600.0)
IRRELEVANT = ("airstrikes.kills_per_strike", "ground_campaign.retry_days", "air_defence.teams")
QUIET_PROVENANCE: dict[str, Any] = {
    SUPPLIES: {"assumption": "stock", "range": list(RELEVANT_RANGE)},
    # Strikes are off, there is no campaign route and no flights: these cannot matter.
    "airstrikes.kills_per_strike": {"assumption": "claims", "range": [1.0, 3.0]},
    "ground_campaign.retry_days": {"assumption": "regroup", "range": [3.0, 21.0]},
    "air_defence.teams": {"assumption": "a few", "range": [1, 9]},
    # Not uncertain parameters, for different reasons:
    "garrison.troops": {"fact": "some.fact", "range": [100, 500]},  # a fact
    "garrison.collapse_after_days": {"assumption": "two weeks"},  # no range
    "links.crude.repair_days": {"assumption": "repairs", "range": [3, 60]},  # a span, by prefix
    "besiegers.strength": {"assumption": "fixed", "range": [600, 600]},  # lo == hi
}
# Troops eat at most two quiet days' ration a day (fighting): over the 100 days even 400 days
# of stock never runs out, so the lowest stock is the last day's, (supplies - eaten) days,
# linear in the supplies with slope 1.


def write_quiet(tmp_path: Path, name: str = "quiet-sa", **changes: Any) -> Path:
    """The quiet scenario with random perimeter clashes and the provenance above, as YAML."""
    changes = {"besiegers": {"clash_rate_per_day": 0.5, "clash_casualty_prob": 0.0}, **changes}
    s = scenario(name=name, provenance=QUIET_PROVENANCE, **changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(s.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    return path


def point_items(r: SensitivityResult, i: int) -> list[str]:
    """--set items for design point ``i``."""
    return [f"{n}={float(v)!r}" for n, v in zip(r.parameters, r.design[i], strict=True)]


@pytest.fixture
def quiet_file(tmp_path: Path) -> Path:
    return write_quiet(tmp_path)


@pytest.fixture(scope="module")
def morris_result(tmp_path_factory: pytest.TempPathFactory):
    path = write_quiet(tmp_path_factory.mktemp("morris"))
    return path, run_sensitivity(path, "min_supply_days", trajectories=4, replications=4,
                                 workers=1)


# -- parameters ------------------------------------------------------------------------
def test_baseline_uncertain_parameters_are_the_exact_assumption_ranges() -> None:
    s = load_scenario(BASELINE)
    params = uncertain_parameters(s, levers=True)  # a sensitivity screening varies levers too
    assert params["garrison.troops"] == (150.0, 400.0)
    assert params["air_defence.improved_hit_prob"] == (0.2, 0.5)
    assert params["supply_operators.government helicopters.payload_t"] == (2.0, 4.0)
    # A lever is a decision, not an unknown: parameter uncertainty leaves it out.
    unknowns = uncertain_parameters(s)
    assert "supply_operators.government helicopters.payload_t" not in unknowns
    assert set(params) - set(unknowns) == {p for p in s.levers if p in params}
    for path, (lo, hi) in params.items():
        key, entry = find_provenance(s.provenance, path)
        assert key == path and entry.assumption is not None
        assert entry.range == [lo, hi] and lo < hi
    for left_out in ("refinery.capacity_kbbl_day",  # a fact
                     "supply_operators.government helicopters.start_day",  # no range
                     "supply_operators.government helicopters.halt.after_losses",  # a fact
                     "links.Kirkuk crude pipeline.repair_days.low",  # range on the span
                     "horizon_days",  # the question asked, not an uncertainty
                     "start_date"):  # not a number
        assert left_out not in params
    # The paths are --set paths: setting every one to its upper bound loads and sticks.
    leaves = scenario_leaves(s)
    items = [f"{p}={int(hi) if isinstance(leaves[p], int) else hi}"
             for p, (_, hi) in params.items()]
    at_high = scenario_leaves(load_scenario(BASELINE, items))
    assert all(at_high[p] == hi for p, (_, hi) in params.items())


def test_explicit_ranges_override_add_and_remove() -> None:
    s = load_scenario(BASELINE)
    params = uncertain_parameters(s, {
        "garrison.troops": (200, 300),  # overrides the recorded range
        "links.tanker road north.repair_days.high": (2, 6),  # adds a span end
        "horizon_days": (120, 240),  # brought in explicitly
        "air_defence.hit_prob": (0.05, 0.05),  # lo == hi: fixed, left out
    })
    assert params["garrison.troops"] == (200.0, 300.0)
    assert params["links.tanker road north.repair_days.high"] == (2.0, 6.0)
    assert params["horizon_days"] == (120.0, 240.0)
    assert "air_defence.hit_prob" not in params
    assert len(params) == len(uncertain_parameters(s)) + 1
    with pytest.raises(ValueError, match=r"did you mean 'garrison\.troops'"):
        uncertain_parameters(s, {"garrison.troop": (1, 2)})
    with pytest.raises(ValueError, match="not a numeric parameter"):
        uncertain_parameters(s, {"links.tanker road north.repair_days": (1, 2)})


def test_quiet_file_parameters(quiet_file: Path) -> None:
    params = uncertain_parameters(load_scenario(quiet_file))
    assert list(params) == ["garrison.supplies_days", "air_defence.teams",
                            "airstrikes.kills_per_strike", "ground_campaign.retry_days"]


OFF = {"airstrikes": "strikes are off here", "ground_campaign": "no route to retake"}


def test_declared_inactive_parameters_are_skipped_unless_given_a_range(tmp_path: Path) -> None:
    s = load_scenario(write_quiet(tmp_path, inactive=OFF))
    assert list(uncertain_parameters(s)) == ["garrison.supplies_days", "air_defence.teams"]
    assert skipped_parameters(s) == {"airstrikes.kills_per_strike": "airstrikes",
                                     "ground_campaign.retry_days": "ground_campaign"}
    explicit = {"airstrikes.kills_per_strike": (1.0, 2.0)}
    assert "airstrikes.kills_per_strike" in uncertain_parameters(s, explicit)
    assert skipped_parameters(s, explicit) == {"ground_campaign.retry_days": "ground_campaign"}
    # One item of a section, and a variant's null making an inherited entry active again.
    s = load_scenario(write_quiet(tmp_path, inactive={"air_defence.teams": "no flights"}))
    assert skipped_parameters(s) == {"air_defence.teams": "air_defence.teams"}
    child = tmp_path / "child.yaml"
    child.write_text(yaml.safe_dump({"extends": "quiet-sa.yaml", "name": "child",
                                     "inactive": {"air_defence.teams": None}}), encoding="utf-8")
    assert skipped_parameters(load_scenario(child)) == {}


def test_the_result_says_what_was_skipped_and_why(tmp_path: Path) -> None:
    r = run_sensitivity(write_quiet(tmp_path, inactive=OFF), "min_supply_days", trajectories=2,
                        replications=1, workers=1)
    assert r.parameters == ["garrison.supplies_days", "air_defence.teams"]
    assert r.skipped == [
        {"parameter": "airstrikes.kills_per_strike", "inactive": "airstrikes",
         "reason": OFF["airstrikes"]},
        {"parameter": "ground_campaign.retry_days", "inactive": "ground_campaign",
         "reason": OFF["ground_campaign"]}]
    assert sensitivity_summary(r)["skipped_inactive"] == r.skipped
    assert skipped_text(r) == ("skipped 2 parameters of inactive mechanisms: airstrikes "
                               "(strikes are off here), ground_campaign (no route to retake)")
    everything_off = {**OFF, "garrison": "x", "air_defence": "y"}
    with pytest.raises(ValueError, match=r"no uncertain parameters \(skipped 4 parameters"):
        run_sensitivity(write_quiet(tmp_path, inactive=everything_off), workers=1)


def test_parse_range() -> None:
    assert parse_range("garrison.troops=150:400") == ("garrison.troops", (150.0, 400.0))
    assert parse_range("supply_operators.government helicopters.payload_t = 2:4.5") == (
        "supply_operators.government helicopters.payload_t", (2.0, 4.5))
    assert parse_range("a.b=-1e-3:2e-3") == ("a.b", (-0.001, 0.002))


@pytest.mark.parametrize(("text", "message"), [
    ("garrison.troops", "path.to.key=lo:hi"),
    ("=1:2", "path.to.key=lo:hi"),
    ("garrison.troops=150", "lo:hi"),
    ("garrison.troops=a:b", "numbers"),
    ("garrison.troops=1:inf", "finite"),
    ("garrison.troops=400:150", "above hi"),
])
def test_parse_range_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_range(text)


# -- known answers ---------------------------------------------------------------------
def test_morris_ranks_the_only_relevant_parameter_first(morris_result) -> None:
    _, r = morris_result
    first, *rest = r.indices
    assert first["parameter"] == SUPPLIES
    # The lowest stock (days) moves one for one with the starting stock (days): every
    # elementary effect is the whole range, whatever the (common) clashes did.
    expected = RELEVANT_RANGE[1] - RELEVANT_RANGE[0]
    assert first["mu_star"] == pytest.approx(expected)
    assert first["mu"] == pytest.approx(expected)
    assert first["sigma"] == pytest.approx(0.0, abs=1e-9)
    # Under common random numbers a parameter without effect moves nothing at all.
    assert {row["parameter"] for row in rest} == set(IRRELEVANT)
    for row in rest:
        assert row["mu_star"] == 0.0 and row["sigma"] == 0.0, row


def test_the_screening_outcome_is_noisy_so_zero_effects_need_common_random_numbers(
        morris_result) -> None:
    path, r = morris_result
    point = load_scenario(path, point_items(r, 0))
    values = run_batch([point], 4, seed=r.seed, workers=1).runs[0].column("min_supply_days")
    assert np.std(values) > 0.5  # clashes on random days: replications differ


def test_morris_design_and_averaged_outputs(morris_result) -> None:
    path, r = morris_result
    k = len(r.parameters)
    assert r.method == "morris" and r.metric == "min_supply_days"
    assert r.design.shape == (4 * (k + 1), k)
    assert len(r.outputs) == r.points == 4 * (k + 1)
    assert r.model_runs == r.points * r.replications == 20 * 4
    teams = r.design[:, r.parameters.index("air_defence.teams")]
    np.testing.assert_array_equal(teams, np.round(teams))  # an integer field
    lo, hi = r.bounds[r.parameters.index(SUPPLIES)]
    assert (lo, hi) == RELEVANT_RANGE
    # Each output is the mean over the point's replications, run with the batch's seeds.
    for i in (0, 7):
        runs = run_batch([load_scenario(path, point_items(r, i))], r.replications, seed=r.seed,
                         workers=1).runs[0]
        assert r.outputs[i] == pytest.approx(runs.column("min_supply_days").mean(), rel=1e-12)


def test_sobol_gives_the_relevant_parameter_all_the_variance(quiet_file: Path) -> None:
    r = run_sensitivity(quiet_file, "min_supply_days", "sobol", sobol_n=16, replications=2,
                        workers=1)
    k = len(r.parameters)
    assert r.points == 16 * (k + 2) and r.model_runs == r.points * 2
    assert r.indices[0]["parameter"] == SUPPLIES
    assert r.indices[0]["ST"] == pytest.approx(1.0, abs=0.15)
    assert r.indices[0]["S1"] == pytest.approx(1.0, abs=0.15)
    for row in r.indices[1:]:
        assert abs(row["ST"]) < 1e-12 and abs(row["S1"]) < 1e-12, row
    (ax,) = sensitivity_figure(r).axes
    assert len(ax.patches) == 2 * k  # ST and S1 for each parameter
    assert "Sobol" in ax.get_xlabel() and "variance" in ax.get_xlabel()


def test_event_day_metrics_count_no_event_as_the_horizon(tmp_path: Path) -> None:
    path = write_quiet(tmp_path, besiegers={"clash_rate_per_day": 0.0})
    done: list[tuple[int, int]] = []
    r = run_sensitivity(path, "garrison_fall_day", ranges={SUPPLIES: (5, 400)},
                        trajectories=3, replications=1, workers=2,
                        progress=lambda n, total: done.append((n, total)))
    assert sum(n for n, _ in done) == r.model_runs == 3 * (len(r.parameters) + 1)
    assert {total for _, total in done} == {r.model_runs}
    supplies = r.design[:, r.parameters.index(SUPPLIES)]
    assert r.indices[0]["parameter"] == SUPPLIES and r.indices[0]["mu"] > 0
    # 400 days of stock last the 100 days (the fall day counts as the horizon); 5 do not:
    # 5 days of stock and 10 days without supplies, at most 15 days in all.
    assert np.all(r.outputs[supplies == 400] == 100)
    assert np.all(r.outputs[supplies == 5] <= 15)
    assert np.all(r.outputs <= 100)


def test_design_points_keep_x_below_its_ceiling(quiet_file: Path) -> None:
    r = run_sensitivity(quiet_file, "garrison_held", ranges={"air_defence.teams": (1, 20)},
                        overrides=["air_defence.max_teams=10"], trajectories=2,
                        replications=1, workers=1)
    teams = r.design[:, r.parameters.index("air_defence.teams")]
    assert r.adjusted_points == int(np.sum(teams > 10)) > 0
    assert r.note  # garrison_held never changes here: all indices are zero, and it says so
    assert all(row["mu_star"] == 0.0 for row in r.indices)


# -- outputs ---------------------------------------------------------------------------
def test_write_sensitivity(morris_result, tmp_path: Path) -> None:
    _, r = morris_result
    paths = write_sensitivity(r, tmp_path / "out")
    assert {p.name for p in paths.values()} == {"sensitivity.csv", "sensitivity.json",
                                                "sensitivity.png"}
    with paths["csv"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["parameter"] for row in rows] == [i["parameter"] for i in r.indices]
    assert rows[0]["rank"] == "1" and float(rows[0]["low"]) == 400.0
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(rows[0])
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert doc["method"] == "morris" and doc["metric"] == "min_supply_days"
    assert doc["model_runs"] == r.model_runs and doc["replications"] == 4
    assert doc["seeds"] == {"replications": 1, "design": 1}
    assert doc["bounds"][SUPPLIES] == list(RELEVANT_RANGE)
    assert doc["indices"][0]["parameter"] == SUPPLIES
    assert paths["png"].read_bytes()[:8] == PNG_MAGIC


def test_morris_figure_has_one_bar_per_parameter_and_labelled_axes(morris_result) -> None:
    _, r = morris_result
    fig = sensitivity_figure(r)
    (ax,) = fig.axes
    assert len(ax.patches) == len(r.parameters)
    assert "μ*" in ax.get_xlabel() and "min_supply_days" in ax.get_xlabel()
    assert ax.get_ylabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == [i["parameter"] for i in r.indices]
    title = fig.get_suptitle()
    assert "Morris" in title and f"{r.model_runs} model runs" in title
    assert len(sensitivity_figure(r, top=2).axes[0].patches) == 2


# -- errors ----------------------------------------------------------------------------
def test_bad_metric_method_and_settings(quiet_file: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown metric 'garrison_hold'.*garrison_held"):
        run_sensitivity(quiet_file, "garrison_hold")
    with pytest.raises(ValueError, match="unknown method"):
        run_sensitivity(quiet_file, method="fast")
    with pytest.raises(ValueError, match="power of 2"):
        run_sensitivity(quiet_file, method="sobol", sobol_n=50)


def test_no_uncertain_parameters_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(scenario().model_dump(mode="json")), encoding="utf-8")
    with pytest.raises(ValueError, match=r"no uncertain parameters.*--range"):
        run_sensitivity(path, "min_supply_days", workers=1)


# -- resolution (issue 15) ---------------------------------------------------------------
def test_each_rank_says_whether_it_is_resolved() -> None:
    from sim.analysis.sensitivity import resolution_mark, resolve

    rows = [{"parameter": p, "mu_star": mu, "mu_star_conf": c} for p, mu, c in (
        ("a", 1.0, 0.1),   # clear of 0 and of b
        ("b", 0.5, 0.1),   # clear of 0 and of a, but not of c
        ("c", 0.35, 0.1),  # overlaps b
        ("d", 0.05, 0.1),  # reaches 0
        ("e", 0.0, 0.0))]  # moved nothing
    out = resolve(rows, "mu_star")
    assert [r["resolution"] for r in out] == [
        "resolved", "overlaps rank 3", "overlaps rank 2", "not distinguishable from 0",
        "no effect"]
    assert [r["resolved"] for r in out] == [True, False, False, False, False]
    assert [resolution_mark(r) for r in out] == ["yes", "≈#3", "≈#2", "≈0", "none"]
    assert out[0]["mu_star"] == 1.0  # the indices are kept


def _synthetic(trajectories: int, noise: float, tmp_path: Path) -> SensitivityResult:
    """Morris indices of a known model: the output rises by 10 across the stock's range,
    the other parameters do nothing, plus noise of standard deviation ``noise`` (the mean of
    a point's replications), drawn with a fixed seed."""
    from sim.analysis.sensitivity import _indices, sensitivity_design

    path = write_quiet(tmp_path)
    design = sensitivity_design(load_scenario(path), "min_supply_days", path=path,
                                trajectories=trajectories, design_seed=3)
    stock = design.design[:, design.names.index(SUPPLIES)]
    lo, hi = RELEVANT_RANGE
    y = 10 * (stock - lo) / (hi - lo) + np.random.default_rng(7).normal(0, noise, len(stock))
    return _indices(design, y, replications=10, seed=1)


def test_a_small_noisy_design_is_not_resolved_and_says_what_would_resolve_it(
        tmp_path: Path) -> None:
    from sim.analysis.sensitivity import resolution_summary, resolution_text

    r = _synthetic(4, noise=6.0, tmp_path=tmp_path)
    # the noise even puts a parameter without effect first; no rank is resolved
    assert [row["resolved"] for row in r.indices] == [False] * 4
    assert r.indices[0]["parameter"] != SUPPLIES
    assert r.indices[0]["mu_star_conf"] > 0.5 * r.indices[0]["mu_star"]  # wide intervals
    summary = resolution_summary(r)
    assert (summary["resolved"], summary["top"], summary["current"]) == (0, 4, 4)
    assert summary["to_order"] > 10 * 4  # an estimate: many more trajectories
    note = resolution_text(r)
    assert note.startswith("ranking: 0 of the top 4 ranks resolved")
    assert (f"Estimate, if the interval shrinks as 1/sqrt(trajectories) and the indices hold "
            f"(now --trajectories 4): --trajectories {summary['to_order']} to order them"
            ) in note


def test_a_large_design_resolves_the_parameter_that_matters(tmp_path: Path) -> None:
    from sim.analysis.sensitivity import resolution_summary, resolution_text

    r = _synthetic(60, noise=1.0, tmp_path=tmp_path)
    first, *rest = r.indices
    assert first["parameter"] == SUPPLIES and first["resolved"], first
    assert first["mu_star"] - first["mu_star_conf"] > 5  # the effect is 10, clearly not 0
    for row in rest:  # noise alone: they cannot be told from each other
        assert not row["resolved"], row
    summary = resolution_summary(r)
    assert summary["resolved_ranks"] == [1]
    assert resolution_text(r).startswith(f"ranking: 1 of the top {summary['top']} ranks")


def test_an_exact_effect_is_resolved_and_no_effect_is_not_a_lack_of_precision(
        morris_result, tmp_path: Path) -> None:
    """The real model, fixed seeds: the stock moves the lowest stock one for one (resolved
    at 4 trajectories), the other parameters move nothing at all."""
    from sim.analysis.sensitivity import resolution_text

    _, r = morris_result
    assert [row["resolution"] for row in r.indices] == ["resolved"] + ["no effect"] * 3
    assert resolution_text(r) == ("ranking: 1 of the top rank resolved (95% intervals clear "
                                  "of 0 and of the ranks next to them), 1 of 4 parameters "
                                  "distinguishable from 0.")
    paths = write_sensitivity(r, tmp_path)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert doc["indices"][0]["resolved"] is True and doc["resolution"]["resolved"] == 1
    assert doc["resolution_note"] == resolution_text(r)
    with paths["csv"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["resolution"] for row in rows] == ["resolved"] + ["no effect"] * 3
