"""The calibrated scenario file (issue 17): calibrate writes it, the loader checks its
posterior, and run --uncertainty draws whole rows of it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli.app import app
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.uncertainty import (
    Uncertainty,
    draw_parameters,
    posterior_rows,
    uncertain_parameters,
)

REPO = Path(__file__).resolve().parent.parent
CAMPAIGN = REPO / "scenarios" / "campaign-2014-15.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small calibration of the campaign (40 draws of 4 replications)."""
    out = tmp_path_factory.mktemp("posterior") / "cal"
    done = runner.invoke(app, ["calibrate", str(CAMPAIGN), "-n", "160", "--workers", "2",
                               "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "calibrated scenario:" in done.stdout
    assert "effective sample size" in done.stderr and "below 200" in done.stderr
    return out


def test_stratified_resampling_takes_each_row_as_often_as_its_weight() -> None:
    """Weights 1:3:0:4 over 800 groups: 100, 300, 0 and 400 picks, each within two."""
    weights = np.array([1.0, 3.0, 0.0, 4.0])
    picks = posterior_rows(7, weights, 800)
    counts = np.bincount(picks, minlength=4)
    assert counts[2] == 0
    assert np.all(np.abs(counts - weights / weights.sum() * 800) <= 2), counts
    assert np.array_equal(picks, posterior_rows(7, weights, 800))  # same seed, same rows
    assert not np.array_equal(picks, posterior_rows(8, weights, 800))


def test_the_calibrated_file_extends_the_original_and_says_where_it_comes_from(
        calibrated: Path) -> None:
    text = (calibrated / "calibrated.yaml").read_text()
    data = yaml.safe_load(text)
    assert (calibrated / data["extends"]).resolve() == CAMPAIGN.resolve()
    source = data["posterior"]["source"]
    assert source["seed"] == 1 and source["replications"] == 160 and source["per_draw"] == 4
    assert source["prior_draws"] == 40 and source["folder"] == str(calibrated)
    assert len(source["observations"]) == 5 and 1 <= source["ess"] <= 40
    spec = load_scenario(calibrated / "calibrated.yaml")
    assert spec.name == "campaign-2014-15-calibrated" and spec.posterior is not None
    ranges = uncertain_parameters(load_scenario(CAMPAIGN))
    assert spec.posterior.parameters == list(ranges)
    weights = spec.posterior.weights or []
    assert all(0 < w <= 1 for w in weights) and len(weights) == len(spec.posterior.draws)
    # The scenario's own values are the original's: only the posterior was added.
    plain = load_scenario(CAMPAIGN).model_dump(exclude={"name", "description", "posterior"})
    assert spec.model_dump(exclude={"name", "description", "posterior"}) == plain
    done = runner.invoke(app, ["validate", str(calibrated / "calibrated.yaml")])
    assert done.exit_code == 0 and "ok" in done.stdout and not done.stderr


def test_run_uncertainty_draws_rows_of_the_posterior(calibrated: Path, tmp_path: Path) -> None:
    """Every drawn parameter set is one of the posterior's rows, and the parameters the
    observations inform are drawn from a narrower interval than their range."""
    path = calibrated / "calibrated.yaml"
    spec = load_scenario(path)
    assert spec.posterior is not None
    rows = np.array(spec.posterior.draws)
    out = tmp_path / "run"
    done = runner.invoke(app, ["run", str(path), "-n", "24", "--uncertainty", "--workers", "1",
                               "--no-plots", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "drawn from its posterior" in done.stderr
    assert "or a calibrated file's posterior" in done.stdout
    entry = json.loads((out / "summary.json").read_text())["uncertainty"]["scenarios"]
    assert entry["campaign-2014-15-calibrated"]["drawn_from"] == f"posterior of {calibrated}"
    with (out / "replications.csv").open() as fh:
        table = list(csv.DictReader(fh))
    names = spec.posterior.parameters
    for r in table:  # replications.csv keeps 6 significant digits
        drawn_row = np.array([float(r[f"param.{p}"]) for p in names])
        assert np.any(np.all(np.isclose(rows, drawn_row, rtol=1e-5, atol=0), axis=1))
    ranges = uncertain_parameters(spec)
    narrowest = min(names, key=lambda p: np.ptp(rows[:, names.index(p)])
                    / (ranges[p][1] - ranges[p][0]))
    drawn = [float(r[f"param.{narrowest}"]) for r in table]
    lo, hi = ranges[narrowest]
    assert np.ptp(drawn) < 0.9 * (hi - lo)
    # Reproducible by seed: the draws are a function of (seed, scenario) alone.
    a = draw_parameters(spec, 1, 24, Uncertainty(4))
    assert np.array_equal(a.values, draw_parameters(spec, 1, 24, Uncertainty(4)).values)
    assert not np.array_equal(a.values, draw_parameters(spec, 2, 24, Uncertainty(4)).values)


def test_a_plain_run_of_the_calibrated_file_says_it_runs_the_original_values(
        calibrated: Path, tmp_path: Path) -> None:
    done = runner.invoke(app, ["run", str(calibrated / "calibrated.yaml"), "-n", "2",
                               "--workers", "1", "--no-plots", "--out", str(tmp_path / "r")])
    assert done.exit_code == 0, done.output
    assert "without --uncertainty it runs its own values" in done.stderr


def test_calibrating_a_calibrated_file_is_refused(calibrated: Path, tmp_path: Path) -> None:
    done = runner.invoke(app, ["calibrate", str(calibrated / "calibrated.yaml"),
                               "--out", str(tmp_path / "again")])
    assert done.exit_code == 2 and "would count them twice" in done.stderr
    assert not (tmp_path / "again").exists()


def _posterior_file(tmp_path: Path, posterior: dict[str, object]) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({
        "extends": str(CAMPAIGN), "name": "bad", "posterior": {
            **posterior, "source": {"folder": "f", "scenario": "s", "seed": 1,
                                    "replications": 8, "per_draw": 4, "prior_draws": 2,
                                    "ess": 1.0, "observations": {}, "made": "now"}}}))
    return path


@pytest.mark.parametrize(("posterior", "field", "says"), [
    ({"parameters": ["garrison.trops"], "draws": [[300]]}, "posterior.parameters[0]",
     "did you mean 'garrison.troops'"),
    ({"parameters": ["garrison.troops"], "draws": [[10]]}, "posterior.draws[0][0]",
     "outside the range of garrison.troops"),
    ({"parameters": ["garrison.troops"], "draws": [[300.5]]}, "posterior.draws[0][0]",
     "whole number"),
    ({"parameters": ["garrison.troops", "garrison.supplies_days"], "draws": [[300, 20], [300]]},
     "posterior", "every row has one value per parameter (2)"),
    ({"parameters": ["garrison.troops"], "draws": [[300]], "weights": [1.0, 2.0]},
     "posterior", "give one per draw"),
])
def test_a_bad_posterior_is_refused_with_one_message(
        tmp_path: Path, posterior: dict[str, object], field: str, says: str) -> None:
    path = _posterior_file(tmp_path, posterior)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field.startswith(field) and says in caught.value.message
    done = runner.invoke(app, ["validate", str(path)])
    assert done.exit_code == 2 and str(path) in done.stderr and says in done.stderr
    assert "Traceback" not in done.output


def test_the_calibration_draws_its_figures(calibrated: Path) -> None:
    """calibrate (without --plots) still draws the posterior's pairs and marginals."""
    from sim.output.calibration_plots import posterior_marginals, posterior_pairs
    from sim.output.results_folder import load_results

    assert (calibrated / "plots" / "posterior_pairs.png").is_file()
    assert (calibrated / "plots" / "posterior_marginals.png").is_file()
    data = load_results(calibrated)
    entry = data.summary["calibration"]["campaign-2014-15"]
    strongest = [r["parameter"] for r in entry["parameters"][:4]]
    pairs = posterior_pairs(data)
    assert pairs is not None
    grid = pairs.axes
    assert len(grid) == 16
    assert [a.get_xlabel() for a in grid[12:]] == [
        p if len(p) <= 28 else "..." + p[-25:] for p in strongest]
    # Below the diagonal: all prior draws, then those kept (weight > 0), sized by weight.
    prior, kept = grid[4].collections
    weights = calibrated_weights(calibrated)
    assert len(prior.get_offsets()) == entry["draws"]
    assert len(kept.get_offsets()) == len(weights)
    assert np.allclose(np.sort(kept.get_sizes()), np.sort(60 * weights / max(weights)))
    marginals = posterior_marginals(data)
    assert marginals is not None
    titled = [a.get_title() for a in marginals.axes if a.get_title()]
    assert len(titled) == min(12, len(entry["parameters"]))
    assert titled[0].startswith(strongest[0][:20]) or strongest[0].endswith(
        titled[0].split("\n")[0][3:])


def calibrated_weights(folder: Path) -> np.ndarray:
    return np.array(yaml.safe_load((folder / "calibrated.yaml").read_text())["posterior"][
        "weights"])


def test_with_and_without_parameters_regroups_the_same_replications(calibrated: Path) -> None:
    """Chance alone keeps every replication (same overall mean) and draws one line per
    outcome and kind; a plain run has no such figure."""
    from sim.output.calibration_plots import chance_alone, with_and_without_parameters
    from sim.output.results_folder import load_results

    data = load_results(calibrated)
    fig = with_and_without_parameters(data)
    assert fig is not None
    panels = [a for a in fig.axes if a.get_title()]
    assert [a.get_title() for a in panels] == ["operating_days", "output_share",
                                               "refinery_ran", "operating_at_horizon",
                                               "garrison_held"]
    assert all(len(a.lines) == 2 for a in panels)
    values = np.arange(12, dtype=float)
    alone = chance_alone(np.arange(12), values, 4, seed=3)
    assert len(alone) == 3 and alone.mean() == values.mean()
    assert not np.array_equal(alone, [1.5, 5.5, 9.5])  # regrouped, not the draws as run
    plain = data.summary.copy()
    plain.pop("uncertainty")
    data.summary = plain
    assert with_and_without_parameters(data) is None


def test_calibration_on_a_dask_cluster_gives_the_same_posterior(tmp_path: Path) -> None:
    """calibrate --dask local: the same replications, weights and posterior as the pool."""
    folders = {}
    for engine in (["--workers", "2"], ["--dask", "local", "--workers", "2"]):
        out = folders[engine[0]] = tmp_path / engine[0].strip("-")
        done = runner.invoke(app, ["calibrate", str(CAMPAIGN), "-n", "40", "--per-draw", "2",
                                   *engine, "--out", str(out)])
        assert done.exit_code == 0, done.output
    pool, dask = (json.loads((folders[k] / "summary.json").read_text())["calibration"]
                  for k in ("--workers", "--dask"))
    assert pool == dask and pool["campaign-2014-15"]["draws"] == 20
    assert (folders["--workers"] / "replications.csv").read_text() == (
        folders["--dask"] / "replications.csv").read_text()


def test_explain_shows_the_posterior(calibrated: Path) -> None:
    path = calibrated / "calibrated.yaml"
    spec = load_scenario(path)
    assert spec.posterior is not None
    done = runner.invoke(app, ["explain", str(path)])
    assert done.exit_code == 0, done.output
    assert (f"posterior: {len(spec.posterior.draws)} weighted draws of "
            f"{len(spec.posterior.parameters)} parameters from {calibrated}") in done.stdout
    as_json = runner.invoke(app, ["explain", str(path), "--json"])
    post = json.loads(as_json.stdout)["posterior"]
    low, mid, high = post["parameters"]["garrison.troops"]
    column = [row[spec.posterior.parameters.index("garrison.troops")]
              for row in spec.posterior.draws]
    assert min(column) <= low <= mid <= high <= max(column)
    assert post["source"]["seed"] == 1


def test_a_stopped_calibration_resumed_writes_the_same_calibrated_file(
        calibrated: Path, tmp_path: Path) -> None:
    import signal

    from conftest import finished_parts, run_cli, stop_at_part

    out = tmp_path / "stopped"
    proc = stop_at_part(["calibrate", str(CAMPAIGN), "-n", "160", "--workers", "1",
                         "--out", str(out)], after=2, sig=signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert len(finished_parts(out / "parts")) == 2 and not (out / "calibrated.yaml").exists()
    code, stdout, err = run_cli(["run", "--resume", out])
    assert code == 0, err
    assert "calibrated scenario:" in stdout
    ours = yaml.safe_load((out / "calibrated.yaml").read_text())["posterior"]
    whole = yaml.safe_load((calibrated / "calibrated.yaml").read_text())["posterior"]
    assert (ours["draws"], ours["weights"]) == (whole["draws"], whole["weights"])
    # The folder is a calibration's: --force replaces it, calibrated.yaml included.
    code, _, err = run_cli(["calibrate", CAMPAIGN, "-n", "8", "--workers", "1", "--out", out,
                            "--force"])
    assert code == 0, err
