"""Paired comparisons, Holm's correction, subset selection and sequential stopping."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import scenario, z_quantile

from sim.analysis.analyse import analyse
from sim.analysis.comparison import compare_to_baseline, holm, paired_difference, select_best
from sim.analysis.sequential import run_until_precise
from sim.output.results import write_results
from sim.runner.batch import run_batch
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent


def test_holm_matches_a_hand_computed_example() -> None:
    adjusted, rejected = holm([0.01, 0.04, 0.03, 0.005], alpha=0.05)
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert rejected == [True, False, False, True]


def test_identical_scenarios_differ_by_exactly_nothing() -> None:
    s = scenario(besiegers={"attack_rate_per_day": 0.3}, garrison={"supplies_days": 30.0 / 1.8})
    twin = s.model_copy(update={"name": "twin"})
    batch = run_batch([s, twin], 50, seed=3, workers=1)
    row = next(r for r in compare_to_baseline(batch, "quiet")["comparisons"]
               if r["metric"] == "garrison_fall_day")
    assert row["mean_difference"] == 0.0
    assert row["ci95"] == [0.0, 0.0]
    assert not row["significant"]


def test_common_random_numbers_reduce_the_variance_of_a_close_pair() -> None:
    """Scenarios that share most mechanisms: pairing must beat independent sampling."""
    pair = [load_scenario(REPO / "scenarios" / f) for f in ("ground-campaign.yaml",
                                                           "coordinated.yaml")]
    batch = run_batch(pair, 200, seed=8, workers=1)
    rows = {r["metric"]: r for r in compare_to_baseline(batch, "ground-campaign")["comparisons"]}
    row = rows["operating_days"]
    assert row["variance_reduction"] > 1.0
    # Reduction > 1 is the same as a positive correlation: its Fisher-z lower bound > 0.
    x = batch.by_name("coordinated").column("operating_days")
    y = batch.by_name("ground-campaign").column("operating_days")
    r = np.corrcoef(x, y)[0, 1]
    lower = math.tanh(math.atanh(r) - z_quantile(0.99) / math.sqrt(len(x) - 3))
    assert lower > 0
    assert row["significant"] and row["mean_difference"] > 0


def test_paired_difference_interval_and_reduction() -> None:
    rng = np.random.default_rng(1)
    common = rng.normal(0, 10, 500)
    x, y = common + rng.normal(1.0, 1, 500), common + rng.normal(0, 1, 500)
    out = paired_difference(x, y)
    assert out["ci95"][0] < 1.0 < out["ci95"][1]
    assert out["variance_reduction"] > 50  # independent: ~200 vs paired: ~2


def test_selection_keeps_only_the_clearly_best() -> None:
    base = scenario(garrison={"supplies_days": 10.0 / 1.8, "collapse_after_days": 3})
    better = scenario(name="better",
                      garrison={"supplies_days": 60.0 / 1.8, "collapse_after_days": 3})
    best = scenario(name="best", garrison={"supplies_days": 600.0 / 1.8, "collapse_after_days": 3})
    batch = run_batch([base, better, best], 30, seed=1, workers=1)
    out = select_best(batch, "min_supply_days", maximize=True)
    assert out["subset"] == ["best"]
    # Both smaller stocks run out within the horizon (minimum 0): a tie, both kept.
    out = select_best(batch, "min_supply_days", maximize=False)
    assert out["subset"] == ["quiet", "better"]


def test_selection_keeps_ties() -> None:
    s = scenario(besiegers={"attack_rate_per_day": 0.3})
    batch = run_batch([s, s.model_copy(update={"name": "twin"})], 40, seed=2, workers=1)
    assert sorted(select_best(batch, "gov_control_final")["subset"]) == ["quiet", "twin"]


def test_sequential_stopping_is_reproducible_and_stops_for_a_reason() -> None:
    scenarios = [load_scenario(REPO / "scenarios" / f) for f in ("baseline.yaml",
                                                                "us-airdrops.yaml")]
    kw = dict(abs_precision=0.05, initial=50, seed=4, workers=1)
    batch, report = run_until_precise(scenarios, ["garrison_held", "supplies_delivered_t"],
                                      0.05, 800, **kw)
    again, report2 = run_until_precise(scenarios, ["garrison_held", "supplies_delivered_t"],
                                       0.05, 800, **kw)
    assert report.to_dict() == report2.to_dict()
    for a, b in zip(batch.runs, again.runs, strict=True):
        np.testing.assert_array_equal(a.metrics, b.metrics)
    for name, entry in report.scenarios.items():
        runs = batch.by_name(name)
        assert entry["replications"] == len(runs.seed)
        assert list(runs.replication) == list(range(len(runs.seed)))
        widths = entry["half_widths"]
        if entry["stopped"] == "precise enough":
            assert widths["garrison_held"]["half_width"] <= 0.05
            s = widths["supplies_delivered_t"]
            assert s["half_width"] <= 0.05 * abs(s["mean"])
        else:
            assert entry["stopped"] == "max replications reached"
            assert entry["replications"] == 800
    # A tighter target needs at least as many replications.
    _, tight = run_until_precise(scenarios, ["garrison_held", "supplies_delivered_t"],
                                 0.02, 800, **kw)
    for name in report.scenarios:
        assert tight.scenarios[name]["replications"] >= report.scenarios[name]["replications"]


def test_a_scenario_with_no_finished_replications_is_neither_compared_nor_selected(
        tmp_path: Path) -> None:
    """An interrupted run may stop before a scenario's first chunk: say so, draw no
    conclusion, keep the other comparisons' Holm family as it was, and write strict JSON."""
    quiet = scenario(besiegers={"attack_rate_per_day": 0.3})
    busy = quiet.model_copy(update={"name": "busy"})
    idle = quiet.model_copy(update={"name": "idle"})
    full = run_batch([quiet, busy, idle], 30, seed=3, workers=1)
    empty = full.runs[2]
    empty = dataclasses.replace(empty, replication=empty.replication[:0], seed=empty.seed[:0],
                                metrics=empty.metrics[:0], daily=empty.daily[:0])
    batch = dataclasses.replace(full, runs=[*full.runs[:2], empty], interrupted=True)

    compared = compare_to_baseline(batch, "quiet")
    rows = {(r["scenario"], r["metric"]): r for r in compared["comparisons"]}
    idle_row = rows["idle", "garrison_held"]
    assert idle_row["n"] == 0 and idle_row["mean_difference"] is None
    assert idle_row["p_holm"] is None and idle_row["significant"] is False
    alone = compare_to_baseline(dataclasses.replace(batch, runs=full.runs[:2]), "quiet")
    assert [r["p_holm"] for r in alone["comparisons"]] == [
        rows["busy", r["metric"]]["p_holm"] for r in alone["comparisons"]]

    selection = select_best(batch, "garrison_held")
    assert selection["subset"] == [] and "no selection" in selection["note"]
    assert selection["means"]["idle"] is None

    summary = analyse(batch, baseline="quiet", select="garrison_held")
    assert summary["comparisons"] == compared and summary["selection"] == selection
    write_results(batch, tmp_path, summary, plots=False)

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    written = json.loads((tmp_path / "summary.json").read_text(), parse_constant=refuse)
    assert written["selection"]["note"] == selection["note"]


def test_the_reference_is_the_one_asked_for_else_baseline_else_none() -> None:
    """Issue 15: without --baseline the first file never becomes the reference by accident."""
    from sim.analysis.analyse import reference_scenario

    assert reference_scenario(["airdrops", "baseline", "coordinated"]) == "baseline"
    assert reference_scenario(["airdrops", "coordinated"]) is None
    assert reference_scenario(["baseline"]) is None  # nothing to compare it with
    assert reference_scenario(["airdrops", "baseline"], "airdrops") == "airdrops"
    with pytest.raises(ValueError, match="'nope' is not one of the scenarios"):
        reference_scenario(["airdrops", "baseline"], "nope")


def test_analyse_gives_a_notebook_what_summary_json_holds() -> None:
    quiet = scenario()
    other = quiet.model_copy(update={"name": "other"})
    base = quiet.model_copy(update={"name": "baseline"})
    batch = run_batch([other, base], 20, seed=2, workers=1)
    summary = analyse(batch)
    assert summary["reference"] == "baseline"
    assert summary["comparisons"]["baseline"] == "baseline"
    assert {r["scenario"] for r in summary["comparisons"]["comparisons"]} == {"other"}
    assert summary["selection"]["metric"] == "operating_days"
    assert set(summary["scenarios"]) == {"other", "baseline"}
    alone = analyse(run_batch([other], 5, seed=2, workers=1))
    assert alone["reference"] is None
    assert "comparisons" not in alone and "selection" not in alone
