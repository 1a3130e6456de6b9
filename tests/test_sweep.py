"""Parameter sweeps: value specs, the grid, common random numbers, thresholds, outputs."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import scenario

from sim.analysis.sweep import (
    SWEEP_METRICS,
    SweepResult,
    find_threshold,
    parse_values,
    run_sweep,
    threshold_summary,
    threshold_text,
)
from sim.model.metrics import METRICS
from sim.model.recorder import DAILY
from sim.output.sweep_files import (
    CSV_COLUMNS,
    MAIN_METRICS,
    colour_range,
    sweep_figure,
    write_sweep,
)
from sim.runner.batch import BatchResult, ScenarioRuns, run_batch
from sim.scenario.loading import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write_scenario(folder: Path, **changes) -> Path:
    """The quiet scenario (see conftest) with ``changes``, as a file run_sweep can read."""
    path = folder / "quiet.yaml"
    path.write_text(yaml.safe_dump(scenario(**changes).model_dump(mode="json")),
                    encoding="utf-8")
    return path


@pytest.fixture
def quiet_file(tmp_path: Path) -> Path:
    return write_scenario(tmp_path, horizon_days=30)


# -- parse_values ---------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "expected"), [
    ("0,0.01,0.02", [0.0, 0.01, 0.02]),
    (" 1, 2 ,3 ", [1, 2, 3]),
    ("-5,5", [-5, 5]),
    ("1.0,2.0", [1.0, 2.0]),
    ("0:1:5", [0.0, 0.25, 0.5, 0.75, 1.0]),
    ("0:0.3:4", [0.0, 0.1, 0.2, 0.3]),  # rounded: not 0.30000000000000004
    ("100:300:3", [100, 200, 300]),
    ("1:0:3", [1.0, 0.5, 0.0]),
    ("1e-3,2e-3", [0.001, 0.002]),
])
def test_parse_values(spec: str, expected: list[float]) -> None:
    values = parse_values(spec)
    assert values == expected
    assert [type(v) for v in values] == [type(v) for v in expected]


def test_integral_values_are_ints_only_without_a_decimal_point() -> None:
    assert all(isinstance(v, int) for v in parse_values("0:10:3"))  # 0, 5, 10
    assert all(isinstance(v, float) for v in parse_values("0:10.0:3"))
    assert all(isinstance(v, float) for v in parse_values("0:10:4"))  # 3.33...


@pytest.mark.parametrize(("spec", "message"), [
    ("", "no values"),
    ("  ", "no values"),
    ("a,b", "'a' is not a number"),
    ("0,,1", "empty value"),
    ("0,1,", "empty value"),
    ("0:1", "three parts"),
    ("0:1:2:3", "three parts"),
    ("0:1:1", "at least 2"),
    ("0:1:x", "whole number"),
    ("0:1:2.5", "whole number"),
    ("x:1:3", "'x' is not a number"),
    ("0:0:3", "equal"),
    ("1,2,1", "repeated"),
    ("0,nan", "finite"),
    ("inf:1:3", "finite"),
])
def test_parse_values_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_values(spec)


# -- the grid -------------------------------------------------------------------------------


def test_one_scenario_per_point_with_the_values_and_a_unique_name(quiet_file: Path) -> None:
    result = run_sweep(quiet_file, [("garrison.troops", parse_values("200,300")),
                                    ("garrison.supplies_days", [10, 20.5, 1e-05])],
                       replications=2, workers=1)
    assert result.params == ["garrison.troops", "garrison.supplies_days"]
    assert result.grid == [(200, 10), (200, 20.5), (200, 1e-05),
                           (300, 10), (300, 20.5), (300, 1e-05)]
    assert result.axes == [[200, 300], [10, 20.5, 1e-05]]
    assert len(result.batch.runs) == 6
    names = [p.scenario for p in result.points]
    assert len(set(names)) == 6
    assert names[1] == "quiet [garrison.troops=200, garrison.supplies_days=20.5]"
    assert names[2] == "quiet [garrison.troops=200, garrison.supplies_days=1e-05]"
    for values, runs in zip(result.grid, result.batch.runs, strict=True):
        g = runs.scenario.garrison
        assert (g.troops, g.supplies_days) == values
        assert isinstance(g.troops, int)
        assert len(runs.seed) == 2
    assert result.runs((300, 10)).scenario.garrison.troops == 300
    rows = result.table()
    assert len(rows) == 6 * len(SWEEP_METRICS)
    assert set(rows[0]) == {"garrison.troops", "garrison.supplies_days", *CSV_COLUMNS}


def test_overrides_apply_to_every_point_and_the_name_survives_yaml_syntax(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, name="odd: name #1", horizon_days=5)
    result = run_sweep(path, [("garrison.supplies_days", [1, 2])], replications=1, workers=1,
                       overrides=["horizon_days=7", "name=also: odd #2"])
    assert [p.scenario for p in result.points] == [
        "also: odd #2 [garrison.supplies_days=1]", "also: odd #2 [garrison.supplies_days=2]"]
    assert all(r.scenario.horizon_days == 7 for r in result.batch.runs)


@pytest.mark.parametrize(("param", "values", "field"), [
    ("air_defence.improved_hit_prob", [0.5, 1.5], "air_defence.improved_hit_prob"),
    ("garrison.troops", [100, -1], "garrison.troops"),
    ("garrison.troopz", [100], "garrison.troopz"),
])
def test_a_value_the_schema_refuses_names_the_field_and_the_point(
        quiet_file: Path, param: str, values: list[float], field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        run_sweep(quiet_file, [(param, values)], replications=1, workers=1)
    assert info.value.field == field
    assert f"sweep point {param}={values[-1]}" in str(info.value)


@pytest.mark.parametrize(("params", "message"), [
    ([], "one or two"),
    ([("garrison.troops", [1]), ("garrison.supplies_days", [1]), ("besiegers.strength", [1])],
     "one or two"),
    ([("garrison.troops", [1]), ("garrison.troops", [2])], "given twice"),
    ([("garrison.troops", [])], "no values"),
    ([("garrison.troops", [1, 2, 1])], "repeated"),
    ([("garrison.troops", ["many"])], "must be numbers"),
    ([("garrison.troops", [True])], "must be numbers"),
    ([("garrison.troops=3", [1])], "parameter path"),
])
def test_bad_sweep_designs_are_refused(quiet_file: Path, params: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_sweep(quiet_file, params, replications=1, workers=1)


# -- common random numbers and effects ------------------------------------------------------


def test_the_point_at_the_base_value_repeats_a_plain_batch_row_for_row() -> None:
    n, seed, overrides = 12, 7, ["horizon_days=60"]
    result = run_sweep(BASELINE, [("air_defence.improved_hit_prob", [0.1, 0.35])], n,
                       seed=seed, workers=2, overrides=overrides)
    plain = run_batch([load_scenario(BASELINE, overrides)], n, seed=seed, workers=1).runs[0]
    at_base = result.runs((0.35,))
    np.testing.assert_array_equal(at_base.seed, plain.seed)
    np.testing.assert_array_equal(at_base.replication, plain.replication)
    np.testing.assert_array_equal(at_base.metrics, plain.metrics)  # NaNs compare equal
    assert not at_base.has_daily  # a sweep reads only the metrics: no series are kept
    # Every point uses the same replication seeds.
    np.testing.assert_array_equal(result.runs((0.1,)).seed, plain.seed)


def test_more_effective_missiles_cost_more_helicopters_and_deliver_less() -> None:
    # Below 0.1 the halt rule (2 losses in 30 days) does not yet cap the losses.
    result = run_sweep(BASELINE, [("air_defence.improved_hit_prob", [0.0, 0.05, 0.1])], 40,
                       workers=1)
    lost = [r["mean"] for r in result.table() if r["metric"] == "helicopters_lost"]
    delivered = [r["mean"] for r in result.table() if r["metric"] == "supplies_delivered_t"]
    assert lost[0] == 0.0
    assert lost[0] < lost[1] < lost[2]
    assert delivered[0] > delivered[1] > delivered[2]


# -- thresholds -----------------------------------------------------------------------------


def synthetic(params: list[str], grid: list[tuple], held: list[list[float]]) -> SweepResult:
    """A SweepResult whose garrison_held replications are given point by point."""
    base = scenario(horizon_days=1)
    runs = []
    for values in held:
        n = len(values)
        metrics = np.zeros((n, len(METRICS)))
        metrics[:, METRICS.index("garrison_held")] = values
        runs.append(ScenarioRuns(base, np.arange(n), np.arange(n, dtype=np.uint64), metrics,
                                 np.zeros((n, len(DAILY), 1), np.float32)))
    return SweepResult(params, grid, BatchResult(runs, 1, 4), seed=1, replications=4)


def shares(*means: float) -> list[list[float]]:
    """Four replications per point with these shares (multiples of 1/4); NaN = no runs."""
    return [[] if math.isnan(m) else [1.0] * round(4 * m) + [0.0] * (4 - round(4 * m))
            for m in means]


def one_d(*means: float, xs: list[float] | None = None) -> SweepResult:
    xs = xs if xs is not None else [0.1 * i for i in range(len(means))]
    return synthetic(["p"], [(x,) for x in xs], shares(*means))


@pytest.mark.parametrize(("means", "level", "expected"), [
    ((1.0, 0.75, 0.25, 0.0), 0.5, 0.15),  # between 0.1 and 0.2, halfway
    ((1.0, 0.75, 0.25, 0.0), 0.7, 0.11),  # a fifth of the way from 0.1 to 0.2
    ((0.0, 0.25, 1.0), 0.5, 0.1 + 0.1 / 3),  # upwards
    ((1.0, 0.5, 0.25), 0.5, 0.1),  # exactly on the level, then past it
    ((1.0, 0.5, 0.5, 0.0), 0.5, 0.1),  # on the level for a while
    ((1.0, 0.75, 1.0), 0.5, None),  # never reaches it
    ((1.0, 0.5, 1.0), 0.5, None),  # touches and turns back: no crossing
    ((0.5, 0.25, 0.0), 0.5, None),  # starts on it and moves away
    ((1.0, 1.0, 0.0, 1.0), 0.5, 0.15),  # the first crossing counts
    ((1.0, math.nan, 0.0), 0.5, 0.1),  # a point without runs is skipped
])
def test_find_threshold_interpolates_the_first_crossing(
        means: tuple[float, ...], level: float, expected: float | None) -> None:
    found = find_threshold(one_d(*means), "garrison_held", level)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected)


def test_find_threshold_follows_the_given_order_of_values() -> None:
    result = one_d(0.0, 0.25, 1.0, xs=[30, 20, 10])  # swept from high to low
    assert find_threshold(result, "garrison_held", 0.5) == pytest.approx(20 - 10 / 3)


def test_find_threshold_2d_gives_one_crossing_per_first_value() -> None:
    grid = [(a, b) for a in (1, 2) for b in (0.0, 1.0, 2.0)]
    result = synthetic(["a", "b"], grid, shares(1.0, 0.75, 0.25, 1.0, 1.0, 1.0))
    assert find_threshold(result, "garrison_held", 0.5) == {1: pytest.approx(1.5), 2: None}
    summary = threshold_summary(result, "garrison_held", 0.5)
    assert summary["along"] == "b"
    assert [entry["a"] for entry in summary["by"]] == [1, 2]
    assert summary["by"][0]["value"] == pytest.approx(1.5)


def test_find_threshold_refuses_unknown_and_event_day_metrics() -> None:
    with pytest.raises(ValueError, match="unknown sweep metric"):
        find_threshold(one_d(1.0, 0.0), "garrison_holds", 0.5)
    with pytest.raises(ValueError, match="unknown sweep metric"):
        find_threshold(one_d(1.0, 0.0), "garrison_fall_day", 10)


def test_threshold_of_stock_matches_the_supply_arithmetic(tmp_path: Path) -> None:
    # No resupply, no fighting: the garrison gives up after 10 days without supplies, so it
    # holds through day 30 only with more than 30 - 10 days of stock.
    horizon, collapse = 30, 10
    exact = horizon - collapse
    path = write_scenario(tmp_path, horizon_days=horizon,
                          garrison={"troops": 300, "consumption_kg_per_troop_day": 6,
                                    "collapse_after_days": collapse})
    values = parse_values("5:65:7")
    result = run_sweep(path, [("garrison.supplies_days", values)], replications=3, workers=1)
    held = [r["mean"] for r in result.table() if r["metric"] == "garrison_held"]
    assert held == [float(v > exact) for v in values]
    threshold = find_threshold(result, "garrison_held", 0.5)
    assert threshold is not None
    assert abs(threshold - exact) <= values[1] - values[0]
    assert threshold == pytest.approx(20.0)  # midway between 15 (falls) and 25 (holds)


# -- outputs --------------------------------------------------------------------------------


def labelled_axes(fig) -> list:
    return [ax for ax in fig.axes if ax.get_xlabel()]


def test_line_figure_has_a_panel_per_main_metric_with_units_and_a_band() -> None:
    result = one_d(1.0, 0.75, 0.25, 0.0)
    fig = sweep_figure(result)
    axes = labelled_axes(fig)
    assert len(axes) == len(MAIN_METRICS)
    for ax, (metric, _, unit) in zip(axes, MAIN_METRICS, strict=True):
        assert ax.get_xlabel() == "p"
        assert ax.get_ylabel() == f"{metric} ({unit})"
        assert ax.collections, "no 95% band"
    held = axes[1]
    line = held.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), [1.0, 0.75, 0.25, 0.0])


def test_threshold_is_drawn_and_an_extra_metric_gets_its_own_panel() -> None:
    result = one_d(1.0, 0.75, 0.25, 0.0)
    held = labelled_axes(sweep_figure(result, ("garrison_held", 0.5)))[1]
    verticals = [ln for ln in held.get_lines() if "crosses" in str(ln.get_label())]
    assert len(verticals) == 1
    assert verticals[0].get_xdata()[0] == pytest.approx(0.15)
    axes = labelled_axes(sweep_figure(result, ("min_supply_days", 1.0)))
    assert len(axes) == len(MAIN_METRICS) + 1
    assert axes[-1].get_ylabel() == "min_supply_days (days of supply)"


def test_heatmap_figure_of_a_2d_sweep() -> None:
    grid = [(a, b) for a in (1, 2) for b in (0.0, 1.0, 2.0)]
    result = synthetic(["garrison.troops", "garrison.supplies_days"], grid,
                       shares(1.0, 0.75, 0.25, 1.0, 1.0, 1.0))
    fig = sweep_figure(result, ("garrison_held", 0.5))
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == len(MAIN_METRICS)
    held = axes[1]
    assert held.get_xlabel() == "garrison.supplies_days"
    assert held.get_ylabel() == "garrison.troops"
    z = held.images[0].get_array()
    assert z.shape == (2, 3)  # first parameter down, second across
    np.testing.assert_allclose(z[0], [1.0, 0.75, 0.25])
    assert [t.get_text() for t in held.get_xticklabels()] == ["0.0", "1.0", "2.0"]
    assert [t.get_text() for t in held.get_yticklabels()] == ["1", "2"]
    colourbars = [ax.get_ylabel() for ax in fig.axes if not ax.images and ax.get_ylabel()]
    assert "mean garrison_held (share of replications)" in colourbars
    marks = [ln for ln in held.get_lines() if "crosses" in str(ln.get_label())]
    np.testing.assert_allclose(marks[0].get_xydata(), [[1.5, 0.0]])  # row 0, between cells


def test_heatmaps_use_the_metric_s_natural_range() -> None:
    """An all-zero panel gets 0..1, not -0.5..0.5; shares always 0..1 (issue 15)."""
    grid = [(a, b) for a in (1, 2) for b in (0.0, 1.0, 2.0)]
    result = synthetic(["garrison.troops", "garrison.supplies_days"], grid,
                       shares(1.0, 0.75, 0.25, 1.0, 1.0, 1.0))
    fig = sweep_figure(result)
    axes = [ax for ax in fig.axes if ax.images]
    for ax, (metric, _, _) in zip(axes, MAIN_METRICS, strict=True):
        low, high = ax.images[0].get_clim()
        assert low >= 0.0, metric
        z = np.asarray(ax.images[0].get_array(), dtype=float)
        if np.all(z == 0.0):
            assert (low, high) == (0.0, 1.0), metric
    held = axes[[m for m, _, _ in MAIN_METRICS].index("garrison_held")]
    assert held.images[0].get_clim() == (0.0, 1.0)
    assert colour_range("gov_control_final", np.array([[0.2, 0.3]])) == (0.0, 1.0)
    assert colour_range("operating_days", np.array([[0.0, 0.0]])) == (0.0, 1.0)
    assert colour_range("operating_days", np.array([[3.0, 3.0]])) == (2.5, 3.5)
    assert colour_range("operating_days", np.array([[3.0, 9.0]])) == (3.0, 9.0)


def test_write_sweep_writes_csv_png_and_json(tmp_path: Path, quiet_file: Path) -> None:
    result = run_sweep(quiet_file, [("garrison.supplies_days", [0, 60])], replications=3,
                       workers=1)
    out = tmp_path / "out"
    summary = write_sweep(result, out, threshold=("garrison_held", 0.5))
    assert sorted(p.name for p in out.iterdir()) == ["sweep.csv", "sweep.json", "sweep.png"]
    assert (out / "sweep.png").read_bytes()[:8] == PNG_MAGIC
    with (out / "sweep.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["garrison.supplies_days", *CSV_COLUMNS]
    assert len(rows) == 2 * len(SWEEP_METRICS)
    assert {r["metric"] for r in rows} == set(SWEEP_METRICS)
    held = [r for r in rows if r["metric"] == "garrison_held"]
    assert [(r["garrison.supplies_days"], r["mean"], r["n"], r["ci_method"]) for r in held] == [
        ("0", "0", "3", "wilson"), ("60", "1", "3", "wilson")]
    assert 0.0 < float(held[0]["ci_high"]) < 1.0  # Wilson: a real interval at 0 of 3
    days = [r for r in rows if r["metric"] == "operating_days"]
    assert days[0]["ci_method"] == "student-t"
    on_disk = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert on_disk == summary
    assert summary["params"] == ["garrison.supplies_days"]
    assert summary["grid"] == [[0], [60]]
    assert (summary["seed"], summary["replications"]) == (1, 3)
    assert summary["threshold"]["metric"] == "garrison_held"
    assert summary["threshold"]["value"] == pytest.approx(30.0)
    assert write_sweep(result, tmp_path / "plain")["threshold"] is None


def test_points_without_runs_still_plot_and_write(tmp_path: Path) -> None:
    # An interrupted batch can leave points with no finished replication.
    result = one_d(math.nan, math.nan)
    summary = write_sweep(result, tmp_path / "a", threshold=("garrison_held", 0.5))
    assert summary["threshold"]["value"] is None
    held = labelled_axes(sweep_figure(result, ("garrison_held", 0.5)))[1]
    assert any("not crossed" in str(ln.get_label()) for ln in held.get_lines())
    grid = [(a, b) for a in (1, 2) for b in (0.0, 1.0)]
    result = synthetic(["a", "b"], grid, shares(1.0, math.nan, math.nan, math.nan))
    write_sweep(result, tmp_path / "b", threshold=("garrison_held", 0.5))
    held = [ax for ax in sweep_figure(result, ("garrison_held", 0.5)).axes if ax.images][1]
    assert "never crosses 0.5" in held.get_title()
    with (tmp_path / "b" / "sweep.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["metric"] == "garrison_held"]
    assert [(r["mean"], r["n"]) for r in rows] == [("1", "4"), ("", "0"), ("", "0"), ("", "0")]


def test_the_threshold_line_rounds_and_gives_the_band_range() -> None:
    found = {"metric": "garrison_held", "level": 0.5, "along": "p",
             "value": 0.1784313725490196, "band_crossings": {"ci_low": 0.21, "ci_high": 0.152}}
    text = threshold_text(found)
    assert text.startswith("garrison_held crosses 0.5 along p at 0.1784 (")
    assert "edges cross at 0.152 and 0.21: a rough range" in text
    assert "0.178431" not in text
    found["band_crossings"]["ci_low"] = None
    assert "not pinned down" in threshold_text(found)
    two_d = {"metric": "garrison_held", "level": 0.5, "along": "p", "by": [
        {"q": 1.0, "value": None, "band_crossings": {"ci_low": None, "ci_high": None}},
        {"q": 2.0, "value": 0.25, "band_crossings": {"ci_low": 0.2, "ci_high": 0.3}}]}
    text = threshold_text(two_d)
    assert "q = 1: never within the values swept; q = 2: 0.25 (" in text


def test_intervals_stay_within_the_metric_s_bounds_and_say_when_clipped(
        tmp_path: Path) -> None:
    """Issue 15: a sweep gave `0.075 [-0.073, 0.224]` helicopters lost. The Student-t interval
    of a non-negative amount is clipped at 0 (and of a share of a whole at 1), marked in
    sweep.csv and sweep.json; where it stays within the bounds nothing changes."""
    from sim.analysis.estimates import bounded_interval, mean_interval

    n = 40
    lost = np.array([0.0] * 37 + [1.0] * 3)  # mean 0.075, rare losses
    sectors = np.array([1.0] * 39 + [0.6])  # a share of the plant, nearly always all of it
    metrics = np.zeros((n, len(METRICS)))
    metrics[:, METRICS.index("helicopters_lost")] = lost
    metrics[:, METRICS.index("gov_control_final")] = sectors
    metrics[:, METRICS.index("operating_days")] = np.linspace(10, 50, n)  # well away from 0
    runs = [ScenarioRuns(scenario(horizon_days=1), np.arange(n), np.arange(n, dtype=np.uint64),
                         metrics, np.zeros((n, len(DAILY), 1), np.float32))]
    result = SweepResult(["p"], [(1.0,)], BatchResult(runs, 1, 4), seed=1, replications=n)
    raw = mean_interval(lost)
    assert raw[1] < 0  # the plain Student-t interval reaches below zero
    rows = {r["metric"]: r for r in result.table()}
    lost_row, sector_row = rows["helicopters_lost"], rows["gov_control_final"]
    assert (lost_row["ci_low"], lost_row["ci_high"]) == (0.0, pytest.approx(raw[2]))
    assert lost_row["ci_clipped"] and lost_row["mean"] == pytest.approx(0.075)
    assert sector_row["ci_high"] == 1.0 and sector_row["ci_clipped"]
    days = rows["operating_days"]
    assert not days["ci_clipped"] and days["ci_low"] > 0
    assert not rows["garrison_held"]["ci_clipped"]  # Wilson: always within [0, 1]
    assert bounded_interval("not-a-metric", [-1.0, 1.0]) == (-1.0, 1.0, False)
    assert bounded_interval("helicopters_lost", [None, None]) == (None, None, False)
    for r in rows.values():
        assert r["ci_low"] is None or r["ci_low"] >= 0
    summary = write_sweep(result, tmp_path)
    with (tmp_path / "sweep.csv").open(newline="", encoding="utf-8") as fh:
        written = {r["metric"]: r for r in csv.DictReader(fh)}
    assert written["helicopters_lost"]["ci_low"] == "0"
    assert written["helicopters_lost"]["ci_clipped"] == "yes"
    assert written["operating_days"]["ci_clipped"] == ""
    clipped = {c["metric"]: c["point"] for c in summary["intervals"]["clipped"]}
    assert clipped["helicopters_lost"] == clipped["gov_control_final"] == [1.0]
    assert "operating_days" not in clipped
    assert "clipped" in summary["intervals"]["method"]
