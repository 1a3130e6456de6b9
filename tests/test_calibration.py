"""Calibration to the articles' dated observations (issue 17, part 2): importance weights
from simulated likelihoods over a space-filling prior design."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from sim.analysis.calibration import weighted_quantiles
from sim.cli.app import app
from sim.scenario.loading import load_scenario
from sim.scenario.uncertainty import uncertain_parameters

REPO = Path(__file__).resolve().parent.parent
CAMPAIGN = REPO / "scenarios" / "campaign-2014-15.yaml"
runner = CliRunner()


def test_weighted_quantiles_of_a_known_posterior() -> None:
    """Prior U(0, 1) on a grid, likelihood x: the posterior density is 2x, whose median is
    1/sqrt(2) and whose 5% quantile is sqrt(0.05)."""
    x = (np.arange(10_000) + 0.5) / 10_000
    low, median = weighted_quantiles(x, x, [0.05, 0.5])
    assert abs(median - 2 ** -0.5) < 2e-4 and abs(low - 0.05 ** 0.5) < 2e-4
    flat = weighted_quantiles(x, np.ones_like(x), [0.5])[0]
    assert abs(flat - 0.5) < 2e-4


def test_calibrate_weighs_the_draws_by_the_observations(tmp_path: Path) -> None:
    out = tmp_path / "cal"
    done = runner.invoke(app, ["calibrate", str(CAMPAIGN), "-n", "160", "--workers", "2",
                               "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "What the articles' observations say about campaign-2014-15" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    c = summary["calibration"]["campaign-2014-15"]
    assert c["draws"] == 40 and 0 < c["acceptance"] < 1 and 1 <= c["ess"] <= c["draws"]
    assert len(c["observations"]) == 5
    ranges = uncertain_parameters(load_scenario(CAMPAIGN))
    with (out / "calibration.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["parameter"] for r in rows} == set(ranges)
    for r in rows:
        lo, hi = ranges[r["parameter"]]
        for key in ("prior_p5", "prior_p95", "posterior_p5", "posterior_p50", "posterior_p95"):
            assert lo - 1e-9 <= float(r[key]) <= hi + 1e-9
        assert float(r["posterior_p5"]) <= float(r["posterior_p50"]) <= float(
            r["posterior_p95"])
    # The weights favour draws that agree with the articles: every observation is at least
    # as often consistent after weighting as before, averaged over the observations.
    shares = c["observation_shares"].values()
    assert sum(s["posterior"] for s in shares) >= sum(s["prior"] for s in shares)


def test_calibrate_refuses_a_scenario_that_tests_no_observation(tmp_path: Path) -> None:
    done = runner.invoke(app, ["calibrate", str(REPO / "scenarios" / "may-2015.yaml"),
                               "--out", str(tmp_path / "x")])
    assert done.exit_code == 2 and "tests none of the articles' dated observations" in (
        done.stderr)
    assert not (tmp_path / "x").exists()


def test_the_uncertainty_figure_shows_the_shares_and_the_narrowed_parameters(
        tmp_path: Path) -> None:
    from sim.output.plots import uncertainty
    from sim.output.results_folder import load_results

    out = tmp_path / "cal"
    assert runner.invoke(app, ["calibrate", str(CAMPAIGN), "-n", "80", "--workers", "1",
                               "--out", str(out)]).exit_code == 0
    data = load_results(out)
    fig = uncertainty(data)
    assert fig is not None
    shares, narrowed = fig.axes
    assert [t.get_text() for t in shares.get_yticklabels()] == list(
        data.summary["uncertainty"]["scenarios"]["campaign-2014-15"]["metrics"])
    assert shares.get_xlim() == (0.0, 1.0)
    calibrated = data.summary["calibration"]["campaign-2014-15"]["parameters"][:8]
    assert len(narrowed.get_yticklabels()) == len(calibrated)
    # prior and posterior: two interval markers per parameter
    assert len(narrowed.lines) >= 2 * len(calibrated)


def test_the_report_says_how_wide_the_answer_is(tmp_path: Path) -> None:
    """Issue 17: after calibrate, the report has the variance split and the calibration's
    predictive check, outcomes and narrowed parameters, each a numbered table."""
    from sim.output.report import render_report

    out = tmp_path / "cal"
    assert runner.invoke(app, ["calibrate", str(CAMPAIGN), "-n", "80", "--workers", "1",
                               "--out", str(out)]).exit_code == 0
    page = render_report(out)
    summary = json.loads((out / "summary.json").read_text())
    assert 'id="table-uncertainty"' in page and "Parameters versus chance" in page
    share = summary["uncertainty"]["scenarios"]["campaign-2014-15"]["metrics"]["garrison_held"]
    if share["share"] is not None:
        assert f'<span class="est">{share["share"]:.0%}</span>' in page
    assert "observations say about campaign-2014-15" in page
    for kind in ("check", "outcomes", "parameters"):
        assert f'id="table-calibration-{kind}-0-campaign-2014-15"' in page
    first = summary["calibration"]["campaign-2014-15"]["parameters"][0]["parameter"]
    assert first in page
