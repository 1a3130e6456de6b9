"""The figures: right axes, units and series, drawn from a results folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.container import ErrorbarContainer
from typer.testing import CliRunner

from sim.analysis.stopped import STOP_METRICS
from sim.cli.app import app
from sim.output.plots import (
    DRAWING_ORDER,
    EVENTS,
    FANS,
    FIGURES,
    FOREST,
    OUTCOMES,
    REFINERY_STATES,
    SUPPLY_DAYS_CAP,
    fan_charts,
    forest,
    helicopter_losses,
    outcome_distributions,
    refinery_state_shares,
    survival_curves,
    timeline,
    write_plots,
)
from sim.output.results_folder import ResultsData, ResultsFolderError, load_results
from sim.runner.daily_bands import bins_for, exact_bands
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
NAMES = ["baseline", "flights-halted", "ground-campaign"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("results")
    files = [REPO / "scenarios" / f"{n}.yaml" for n in NAMES]
    r = CliRunner().invoke(app, ["run", *map(str, files), "-n", "40", "--workers", "1",
                                 "--baseline", "baseline", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def data(folder: Path) -> ResultsData:
    return load_results(folder)


def drawn(data: ResultsData) -> set[str]:
    """Every figure; what_stopped only once the model records why the refinery stopped,
    uncertainty only for a run with --uncertainty."""
    optional = {"what_stopped": "stopped_refinery", "uncertainty": "uncertainty",
                "with_and_without_parameters": "uncertainty",
                "posterior_pairs": "calibration", "posterior_marginals": "calibration"}
    return {f for f in FIGURES if optional.get(f, "") in data.summary or f not in optional}


def test_run_writes_every_figure(folder: Path, data: ResultsData) -> None:
    assert {p.stem for p in (folder / "plots").glob("*.png")} == drawn(data)


def test_no_figure_is_drawn_twice(folder: Path) -> None:
    """garrison_survival was the first panel of survival_curves and daily_bands two panels of
    fan_charts (issue 15): one file per idea."""
    stems = {p.stem for p in (folder / "plots").iterdir()}
    assert not stems & {"garrison_survival", "daily_bands"}
    assert {"survival_curves", "fan_charts"} <= stems


def test_outcome_panels_have_units_and_the_scenarios(data: ResultsData) -> None:
    fig = outcome_distributions(data)
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == [t for _, t, _ in OUTCOMES]
    for k, (ax, (_, _, unit)) in enumerate(zip(axes, OUTCOMES, strict=True)):
        assert ax.get_ylabel() == unit
        # the names under the lower row of panels (the upper row's columns are the same)
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == (NAMES if k >= 3 else [])
        # one mean-with-CI marker per scenario, in one errorbar container
        (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        assert len(bars.lines[0].get_xdata()) == len(NAMES)


def test_survival_curves_are_kaplan_meier_with_bands(data: ResultsData) -> None:
    fig = survival_curves(data)
    assert len(fig.axes) == len(EVENTS)
    for ax, (metric, _, _) in zip(fig.axes, EVENTS, strict=True):
        assert ax.get_xlabel() == "day of the scenario"
        assert ax.get_ylabel().startswith("share of replications")
        curves = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        # a scenario whose curve is flat (never, or at day 0 in every replication) is named
        # under the panel instead of drawn over the others
        flat = [n for n in NAMES if np.all(np.isnan(data.metrics[n][metric]))
                or np.all(data.metrics[n][metric] == 0)]
        assert [ln.get_label() for ln in curves] == [n for n in NAMES if n not in flat]
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == len(curves)
        for line in curves:
            y = line.get_ydata()
            assert y[0] == 1.0 and np.all(np.diff(y) <= 1e-12)  # survival never rises
        # every drawn curve is named beside the panel, at a height of its own
        texts = {t.get_text(): t.get_position()[1] for t in ax.texts}
        assert {ln.get_label() for ln in curves} <= set(texts)
        heights = sorted(texts[ln.get_label()] for ln in curves)
        assert np.all(np.diff(heights) >= 0.05 - 1e-9)
        note = " ".join(t.get_text() for t in ax.texts)
        assert all(n in note for n in flat)
    # flights halted with nothing instead: the garrison falls in every replication
    garrison = fig.axes[0]
    halted = next(ln for ln in garrison.get_lines() if ln.get_label() == "flights-halted")
    assert halted.get_ydata()[-1] == 0.0


def test_fan_charts_are_small_multiples_with_a_panel_per_scenario(data: ResultsData) -> None:
    fig = fan_charts(data)
    rows = [ax for ax in fig.axes if hasattr(ax, "panels")]
    assert len(rows) == len(FANS) + 1  # three scenarios: one block of rows
    for ax in rows:
        assert ax.panels == NAMES  # one panel per scenario, left to right, a shared y axis
    titles = [t.get_text() for t in rows[0].texts]
    assert titles == NAMES
    for ax, (_, label, unit) in zip(rows, FANS, strict=False):
        assert ax.get_ylabel() == f"{label}\n({unit})"
        (median,) = ax.get_lines()
        y = median.get_ydata()
        # one stretch of days per panel, broken by a NaN: 180 days each
        stretches = np.split(y, np.nonzero(np.isnan(y))[0])
        assert [len(s[~np.isnan(s)]) for s in stretches if np.any(~np.isnan(s))] == [180] * 3
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) >= 2  # the bands
    # no more eight translucent bands in one panel: each row has one 5-95% and one 25-75%


def test_refinery_panel_stacks_shares_that_add_up_to_one(data: ResultsData) -> None:
    fig = fan_charts(data)
    state_row = [ax for ax in fig.axes if hasattr(ax, "panels")][len(FANS)]
    assert "share of replications" in state_row.get_ylabel()
    fills = [c for c in state_row.collections if c.get_label() in
             {s for s, _ in REFINERY_STATES}]
    assert [c.get_label() for c in fills] == [s for s, _ in REFINERY_STATES]
    for name in NAMES:
        n = len(data.metrics[name]["operating_days"])
        shares, spread = refinery_state_shares(data.bands[name], n)
        assert shares.shape == (3, 180)
        np.testing.assert_allclose(shares.sum(axis=0), 1.0)
        assert np.all(shares >= -1e-12) and np.all(shares <= 1 + 1e-12)
        assert np.all(spread >= 0)
    # the top of the stack (down + restarting + operating) is 1 on every day drawn
    top = fills[-1].get_paths()[0].vertices[:, 1]
    assert np.nanmax(top) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(6))
def test_refinery_shares_derived_from_the_bands_contain_the_exact_ones(seed: int) -> None:
    """The shares rebuilt from a day's quantiles and mean are within their stated spread of
    the exact shares (0, 1 and 2 counted)."""
    rng = np.random.default_rng(seed)
    n, days = int(rng.integers(5, 400)), 60
    p = rng.dirichlet(np.ones(3), size=days)  # a different mix each day
    states = np.array([rng.choice(3, size=n, p=p[d]) for d in range(days)]).T
    bands = {"refinery_state": exact_bands(states.astype(float))}
    shares, spread = refinery_state_shares(bands, n)
    exact = np.array([(states == v).mean(axis=0) for v in range(3)])
    np.testing.assert_allclose(shares.sum(axis=0), 1.0)
    assert np.all(np.abs(shares - exact) <= spread + 1e-9)
    # and exact shares, when a folder has them, are used as they are
    given = {f"refinery_{s}": {"mean": exact[k]} for k, (s, _) in enumerate(REFINERY_STATES)}
    again, none = refinery_state_shares({**bands, **given}, n)
    np.testing.assert_allclose(again, exact)
    assert not none.any()


def test_the_stock_cap_of_the_daily_bands_is_the_one_labelled() -> None:
    bins = bins_for(load_scenario(REPO / "scenarios" / "baseline.yaml"))
    assert bins["supply_days"].high == SUPPLY_DAYS_CAP


def test_a_capped_stock_is_labelled_on_the_figure(data: ResultsData) -> None:
    capped = ResultsData(**{**data.__dict__, "bands": {
        n: {**b, "supply_days": {k: np.minimum(v * 0 + SUPPLY_DAYS_CAP, SUPPLY_DAYS_CAP)
                                 for k, v in b["supply_days"].items()}}
        for n, b in data.bands.items()}})
    fig = fan_charts(capped)
    stock = [ax for ax in fig.axes if hasattr(ax, "panels")][1]
    assert any(f"{SUPPLY_DAYS_CAP:g}" in t.get_text() for t in stock.texts)
    assert any("top bin" in t.get_text() for t in fig.texts)
    plain = fan_charts(data)
    assert not any("top bin" in t.get_text() for t in plain.texts)


def test_helicopter_losses_only_for_scenarios_that_fly_them(data: ResultsData) -> None:
    fig = helicopter_losses(data)
    bars, halts = fig.axes
    assert bars.get_ylabel() == "share of replications"
    flown = [n for n in NAMES if data.helicopters_flown(n)]
    assert flown == ["baseline"]  # flights-halted and ground-campaign fly none
    heights = [p.get_height() for p in bars.patches]
    most = int(max(np.nanmax(data.metrics[n]["helicopters_lost"]) for n in flown))
    assert len(heights) == len(flown) * (most + 1)
    # the shares of one scenario add up to one
    assert sum(heights[: most + 1]) == pytest.approx(1.0)
    assert [t.get_text() for t in bars.get_legend().get_texts()] == flown
    # no "100% of the replications lost 0" for a scenario without helicopters: it is named
    note = " ".join(t.get_text() for t in bars.texts)
    assert "No helicopters flown: flights-halted, ground-campaign" in note
    drawn = [ln.get_label() for ln in halts.get_lines() if not ln.get_label().startswith("_")]
    assert "flights-halted" not in drawn


def test_timeline_marks_and_explains_every_traced_event(data: ResultsData) -> None:
    fig = timeline(data)
    ax = fig.axes[0]
    trace = data.traces["baseline"]
    assert str(trace["seed"]) not in ax.get_title()  # a 19-digit seed is not a title
    assert "baseline" in ax.get_title()
    assert any("traces/baseline.json" in t.get_text() for t in fig.texts)
    points = sum(len(line.get_xdata()) for line in ax.get_lines())
    assert points == len(trace["entries"])
    kinds = {t.get_text() for t in ax.get_yticklabels()}
    assert {kind for _, kind, _ in trace["entries"]} <= kinds
    # every kind of mark is in the legend, with its count
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == 3 and all("(" in t for t in legend)
    assert sum(int(t.rsplit("(", 1)[1].rstrip(")")) for t in legend) == len(trace["entries"])


def test_forest_has_a_row_per_scenario_and_a_zero_line(data: ResultsData) -> None:
    fig = forest(data)
    assert fig is not None
    panels = [ax for ax in fig.axes if ax.get_title()]
    for k, ax in enumerate(panels):
        assert ax.get_xlabel().startswith("difference from baseline")
        # the names beside the first panel of a row; the others share its rows
        assert [t.get_text() for t in ax.get_yticklabels()] == (
            NAMES[1:] if k % 3 == 0 else ["", ""])
        assert any(np.allclose(line.get_xdata(), 0) for line in ax.get_lines())
    # each panel: a scenario's interval from its CI's ends, its mean hollow when not
    # significant, as summary.json gives them
    rows = data.summary["comparisons"]["comparisons"]
    for ax, (metric, _, _) in zip(panels, FOREST, strict=True):
        (intervals,) = [c for c in ax.collections if isinstance(c, LineCollection)]
        means = ax.collections[-1]
        for j, name in enumerate(NAMES[1:]):
            row = next(r for r in rows if r["scenario"] == name and r["metric"] == metric)
            (x0, y0), (x1, y1) = intervals.get_segments()[j]
            assert (x0, x1) == pytest.approx(row["ci95"]) and y0 == y1 == j
            assert list(means.get_offsets()[j]) == pytest.approx([row["mean_difference"], j])
            hollow = tuple(means.get_facecolors()[j]) == (1.0, 1.0, 1.0, 1.0)
            assert hollow == (not row["significant"])


def test_plot_redraws_from_the_folder_in_other_formats(folder: Path, tmp_path: Path,
                                                       data: ResultsData) -> None:
    r = CliRunner().invoke(app, ["plot", str(folder), "--format", "svg", "--out",
                                 str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert {p.stem for p in tmp_path.glob("*.svg")} == drawn(data)
    written = write_plots(folder, "pdf", tmp_path)
    assert all(p.read_bytes().startswith(b"%PDF") for p in written)


def test_what_stopped_is_drawn_with_the_others_once_the_summary_has_the_reasons(
        folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("plots"))
    summary = json.loads((copy / "summary.json").read_text(encoding="utf-8"))
    for entry in summary["scenarios"].values():
        rest = entry["horizon_days"] - entry["metrics"]["operating_days"]["mean"]
        for metric in STOP_METRICS[1:]:  # the reasons the rewritten model will record
            entry["metrics"][metric] = {"kind": "mean", "mean": rest / 6,
                                        "ci95": [rest / 6 - 1, rest / 6 + 1], "n": 40}
    (copy / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    written = write_plots(copy)
    assert copy / "plots" / "what_stopped.png" in written
    assert {p.stem for p in written} == set(FIGURES) - {  # no --uncertainty
        "uncertainty", "with_and_without_parameters", "posterior_pairs", "posterior_marginals"}


def test_write_plots_draws_the_figures_asked_for(folder: Path, tmp_path: Path) -> None:
    written = write_plots(folder, out=tmp_path, figures=["fan_charts", "outcomes"])
    assert [p.name for p in written] == ["fan_charts.png", "outcomes.png"]
    with pytest.raises(ValueError, match="garrison_survival"):
        write_plots(folder, out=tmp_path, figures=["garrison_survival"])


def test_plot_rejects_what_it_cannot_draw(tmp_path: Path, folder: Path) -> None:
    with pytest.raises(ResultsFolderError):
        load_results(tmp_path)
    r = CliRunner().invoke(app, ["plot", str(tmp_path)])
    assert r.exit_code == 2 and "not a results folder" in r.stderr
    r = CliRunner().invoke(app, ["plot", str(folder), "--format", "gif"])
    assert r.exit_code == 2


def test_figures_drawn_on_the_workers_are_the_same_files(folder: Path, tmp_path: Path) -> None:
    """Issue 16: run draws its figures on the idle worker processes; the files are those the
    main process would have drawn, byte for byte."""
    here = write_plots(folder, out=tmp_path / "here")
    there = write_plots(folder, out=tmp_path / "there", workers=2)
    assert [p.name for p in here] == [p.name for p in there]
    for a, b in zip(here, there, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_every_figure_has_a_place_in_the_drawing_order() -> None:
    """The workers take the costliest figures first; a figure missing from DRAWING_ORDER
    would be drawn last whatever it costs."""
    assert sorted(DRAWING_ORDER) == sorted(FIGURES)


def test_the_figures_module_does_not_import_scipy_stats() -> None:
    """A worker that draws figures imports sim.output.plots: scipy.stats alone would add half
    a second to each (issue 16); the figures need only scipy.special's quantiles."""
    code = ("import sys, sim.runner.chunks, sim.output.plots; "
            "print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_a_worker_reads_a_folder_again_once_it_is_rewritten(folder: Path,
                                                             tmp_path: Path) -> None:
    """Workers keep the folder they read for the next figure (issue 16), but a folder written
    again (a resumed run, another point of an experiment) is read again, not drawn stale."""
    import sim.output.plots as plots

    copy = tmp_path / "copy"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("plots"))
    plots._draw_from_folder("timeline", copy, tmp_path / "a.png")
    first = plots._read
    plots._draw_from_folder("outcomes", copy, tmp_path / "b.png")
    assert plots._read is first  # read once for both figures
    summary = json.loads((copy / "summary.json").read_text())
    name = next(iter(summary["scenarios"]))
    summary["scenarios"] = {name: summary["scenarios"][name]}  # one scenario left
    (copy / "summary.json").write_text(json.dumps(summary) + "\n" * 3)
    plots._draw_from_folder("outcomes", copy, tmp_path / "c.png")
    assert plots._read is not first and plots._read[1].scenarios == [name]
