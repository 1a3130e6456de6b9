"""baiji-sim discover end to end, kept tiny (8 points, 2 replications, a 60-day horizon): a
stopped discovery resumes to the numbers of an uninterrupted one (stopped in the design and in
the confirmation runs, resumed on another number of workers), the folder rules, bad input,
and the report of a discovery folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import sim.runner.batch
from sim.analysis.discovery import discovery_summary, resume_discovery, run_discovery
from sim.cli.app import app
from sim.runner.store import PARTS
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "scenarios" / "campaign-2014-15.yaml"
GOAL = "supplies_delivered_t >= 600"
TINY = {"points": 8, "replications": 2, "seed": 3, "cheapest": True, "candidates": 2,
        "confirm": 4}
runner = CliRunner()


def _base():
    return load_scenario(SCENARIO, ["horizon_days=60"])


def _stop_after(monkeypatch: pytest.MonkeyPatch, chunks: int) -> None:
    """Ctrl-C after ``chunks`` chunks have finished, over every batch of the discovery."""
    original = sim.runner.batch.iter_chunk_results
    done = [0]

    def stopping(*args, **kwargs):
        for result in original(*args, **kwargs):
            yield result
            done[0] += 1
            if done[0] == chunks:
                raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", stopping)


def test_a_stopped_discovery_resumes_to_the_numbers_of_an_uninterrupted_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = run_discovery(_base(), GOAL, workers=1, path=SCENARIO, out=tmp_path / "whole",
                          **TINY)
    expected = json.dumps(discovery_summary(whole))
    assert whole.selection is not None and whole.selection.candidates
    assert 0 < whole.met.sum() < len(whole.met)  # the tiny case has something to find
    # 8 design chunks (one per point), then one chunk per candidate: stop in each stage.
    for stop, workers in ((3, 2), (9, 1)):
        out = tmp_path / f"stopped-{stop}"
        _stop_after(monkeypatch, stop)
        with pytest.raises(KeyboardInterrupt):
            run_discovery(_base(), GOAL, workers=1, path=SCENARIO, out=out, **TINY)
        monkeypatch.undo()
        assert (out / PARTS / "batch.json").exists()
        assert (out / PARTS / "confirm").exists() == (stop == 9)
        again = resume_discovery(out, workers=workers)
        np.testing.assert_array_equal(again.outcomes, whole.outcomes)
        assert again.selection is not None
        assert [c.outcome for c in again.selection.candidates] == [
            c.outcome for c in whole.selection.candidates]
        assert json.dumps(discovery_summary(again)) == expected


def test_the_command_its_folder_and_the_report(tmp_path: Path) -> None:
    out = tmp_path / "d"
    args = ["discover", str(SCENARIO), "--goal", GOAL, "--points", "8", "-n", "2",
            "--workers", "1", "--set", "horizon_days=60", "--out", str(out)]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "PRIM" in done.stdout and "design points" in done.stdout
    summary = json.loads((out / "discovery.json").read_text(encoding="utf-8"))
    assert summary["goal"]["text"] == GOAL and summary["points"] == 8
    assert not (out / PARTS).exists()
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "earlier discovery" in again.stderr
    report = runner.invoke(app, ["report", str(out)])
    assert report.exit_code == 0, report.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "What would it take?" in page and "discovery_frontier.png" in page
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


@pytest.mark.parametrize(("extra", "says"), [
    (["--goal", "refinery_rna >= 0.5"], "did you mean 'refinery_ran'?"),
    ([], "--goal: give the goal"),
    (["--goal", "refinery_ran >= 0.5", "--density", "0"], "--density"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, extra: list[str], says: str) -> None:
    result = runner.invoke(app, ["discover", str(SCENARIO), "--out", str(tmp_path / "x"),
                                 *extra])
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert not (tmp_path / "x").exists()


def test_resume_takes_nothing_but_the_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["discover", "--resume", str(tmp_path), "--goal",
                                 "refinery_ran >= 0.5"])
    assert result.exit_code == 2 and "drop: --goal" in result.stderr
