"""The figures: right axes, units and series, drawn from a results folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from typer.testing import CliRunner

from sim.analysis.stopped import STOP_METRICS
from sim.cli.app import app
from sim.output.plots import (
    EVENTS,
    FANS,
    FIGURES,
    OUTCOMES,
    fan_charts,
    forest,
    helicopter_losses,
    outcome_distributions,
    survival_curves,
    timeline,
    write_plots,
)
from sim.output.results_folder import ResultsData, ResultsFolderError, load_results

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
    """Every figure; what_stopped only once the model records why the refinery stopped."""
    return set(FIGURES) - (set() if "stopped_refinery" in data.summary else {"what_stopped"})


def test_run_writes_every_figure(folder: Path, data: ResultsData) -> None:
    assert {p.stem for p in (folder / "plots").glob("*.png")} == drawn(data)


def test_outcome_panels_have_units_and_the_scenarios(data: ResultsData) -> None:
    fig = outcome_distributions(data)
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == [t for _, t, _ in OUTCOMES]
    for ax, (_, _, unit) in zip(axes, OUTCOMES, strict=True):
        assert ax.get_ylabel() == unit
        assert [t.get_text() for t in ax.get_xticklabels()] == NAMES
        # one mean-with-CI marker per scenario (the errorbar containers)
        assert sum(isinstance(c, ErrorbarContainer) for c in ax.containers) == len(NAMES)


def test_survival_curves_are_kaplan_meier_with_bands(data: ResultsData) -> None:
    fig = survival_curves(data)
    assert len(fig.axes) == len(EVENTS)
    for ax in fig.axes:
        assert ax.get_xlabel() == "day of the scenario"
        assert ax.get_ylabel().startswith("share of replications")
        assert len(ax.get_lines()) == len(NAMES)
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == len(NAMES)
        for line in ax.get_lines():
            y = line.get_ydata()
            assert y[0] == 1.0 and np.all(np.diff(y) <= 1e-12)  # survival never rises
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == NAMES
    # flights halted with nothing instead: the garrison falls in every replication
    halted = fig.axes[0].get_lines()[NAMES.index("flights-halted")]
    assert halted.get_ydata()[-1] == 0.0


def test_fan_charts_show_median_and_band_per_scenario(data: ResultsData) -> None:
    fig = fan_charts(data)
    used = [ax for ax in fig.axes if ax.get_title()]
    assert len(used) == len(FANS)
    for ax, (_, _, unit) in zip(used, FANS, strict=True):
        assert ax.get_ylabel() == unit
        assert len(ax.get_lines()) == len(NAMES)
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == len(NAMES)
        for line in ax.get_lines():
            assert len(line.get_xdata()) == 180  # one point a day


def test_helicopter_losses_and_halts(data: ResultsData) -> None:
    fig = helicopter_losses(data)
    bars, halts = fig.axes
    assert bars.get_ylabel() == "share of replications"
    heights = [p.get_height() for p in bars.patches]
    most = int(max(np.nanmax(data.metrics[n]["helicopters_lost"]) for n in NAMES))
    assert len(heights) == len(NAMES) * (most + 1)
    # the shares of one scenario add up to one
    assert sum(heights[: most + 1]) == pytest.approx(1.0)
    assert len(halts.get_lines()) == len(NAMES)


def test_timeline_shows_every_traced_event(data: ResultsData) -> None:
    fig = timeline(data)
    ax = fig.axes[0]
    trace = data.traces["baseline"]
    assert f"seed {trace['seed']}" in ax.get_title()
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == len(trace["entries"])
    kinds = {t.get_text() for t in ax.get_yticklabels()}
    assert {kind for _, kind, _ in trace["entries"]} <= kinds


def test_forest_has_a_row_per_scenario_and_a_zero_line(data: ResultsData) -> None:
    fig = forest(data)
    assert fig is not None
    panels = [ax for ax in fig.axes if ax.get_title()]
    for ax in panels:
        assert ax.get_xlabel().startswith("difference from baseline")
        assert [t.get_text() for t in ax.get_yticklabels()] == NAMES[1:]
        assert sum(isinstance(c, ErrorbarContainer) for c in ax.containers) == 2
        assert any(np.allclose(line.get_xdata(), 0) for line in ax.get_lines())


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
    assert {p.stem for p in written} == set(FIGURES)


def test_plot_rejects_what_it_cannot_draw(tmp_path: Path, folder: Path) -> None:
    with pytest.raises(ResultsFolderError):
        load_results(tmp_path)
    r = CliRunner().invoke(app, ["plot", str(tmp_path)])
    assert r.exit_code == 2 and "not a results folder" in r.stderr
    r = CliRunner().invoke(app, ["plot", str(folder), "--format", "gif"])
    assert r.exit_code == 2
