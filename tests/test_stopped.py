"""What stopped the refinery (sim/analysis/stopped.py): the summary section, the terminal table and
the figure, on synthetic summaries (the model does not record the reasons yet), and nothing
at all when a summary lacks the metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.container import BarContainer
from rich.console import Console

from sim.analysis.stopped import REASONS, STOP_METRICS, stopped_refinery
from sim.output.plots import what_stopped
from sim.output.results_folder import ResultsFolder
from sim.output.tables import stopped_table

HORIZON = 200
# Mean days per reason, in the order of REASONS: they add up to the horizon.
DAYS = {"a": (20.0, 100.0, 40.0, 10.0, 10.0, 0.0, 20.0),
        "b": (0.0, 0.0, 200.0, 0.0, 0.0, 0.0, 0.0)}


def synthetic(days: dict[str, tuple[float, ...]] = DAYS, horizon: int = HORIZON,
              drop: str | None = None) -> dict:
    """A summary with the reasons' metrics (half-width 4 days), less ``drop`` if given."""
    scenarios = {}
    for name, values in days.items():
        metrics = {"garrison_held": {"kind": "share", "mean": 0.5, "ci95": [0.4, 0.6], "n": 50}}
        for metric, mean in zip(STOP_METRICS, values, strict=True):
            if metric != drop:
                metrics[metric] = {"kind": "mean", "mean": mean, "ci95": [mean - 4, mean + 4],
                                   "n": 50}
        scenarios[name] = {"replications": 50, "horizon_days": horizon, "metrics": metrics}
    return {"scenarios": scenarios}


def test_the_section_gives_each_reason_as_a_share_of_the_horizon() -> None:
    section = stopped_refinery(synthetic())
    assert section["side"] == "government"
    assert [r["metric"] for r in section["reasons"]] == list(STOP_METRICS)
    assert STOP_METRICS[0] == "operating_days" and len(STOP_METRICS) == 7
    a = section["scenarios"]["a"]
    assert a["horizon_days"] == HORIZON
    plant = a["shares"]["stopped_plant_days"]
    assert plant["mean"] == pytest.approx(0.5)
    assert plant["ci95"] == pytest.approx([0.48, 0.52])  # the days' interval over the horizon
    assert plant["ci_method"] == "student-t" and plant["n"] == 50
    assert plant["label"] == dict(REASONS)["stopped_plant_days"]
    assert a["sum_of_means"] == pytest.approx(1.0)
    assert section["scenarios"]["b"]["shares"]["stopped_surroundings_days"]["mean"] == 1.0


def test_nothing_without_every_reason() -> None:
    assert stopped_refinery({}) == {}
    assert stopped_refinery(synthetic(drop="stopped_repair_days")) == {}
    assert stopped_refinery(synthetic(horizon=0)) == {}
    assert stopped_table({"scenarios": {}}) is None


def test_the_terminal_table_gives_a_share_with_its_interval_per_reason() -> None:
    summary = synthetic()
    summary["stopped_refinery"] = stopped_refinery(summary)
    console = Console(record=True, width=250)
    console.print(stopped_table(summary))
    text = console.export_text()
    assert "What stopped the refinery (government), share of days" in text
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines()
            if line.startswith("│")]
    assert rows[0] == ["a", "10% [8, 12]", "50% [48, 52]", "20% [18, 22]", "5% [3, 7]",
                       "5% [3, 7]", "0% [0, 2]", "10% [8, 12]"]
    assert [r[0] for r in rows] == ["a", "b"]
    for _, label in REASONS:
        assert label.split()[0] in text


def _data(summary: dict) -> ResultsFolder:
    names = list(summary["scenarios"])
    return ResultsFolder(folder=Path("."), scenarios=names, summary=summary,
                         horizon=dict.fromkeys(names, HORIZON))


def test_the_figure_stacks_one_bar_per_scenario_with_plain_words() -> None:
    assert what_stopped(_data(synthetic(drop="operating_days"))) is None
    fig = what_stopped(_data(synthetic()))
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == len(REASONS)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    # scenario a: the segments start where the previous ones end and fill the horizon
    widths = [b.patches[0].get_width() for b in bars]
    assert widths == pytest.approx([d / HORIZON for d in DAYS["a"]])
    lefts = [b.patches[0].get_x() for b in bars]
    assert lefts == pytest.approx([sum(widths[:k]) for k in range(len(widths))])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [label for _, label in REASONS]
    assert "share of the horizon" in ax.get_xlabel()
