"""The analysis options and commands from the command line: explain, --baseline,
--precision, sweep and sensitivity (small runs; the statistics are tested elsewhere)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from sim.cli.app import app

REPO = Path(__file__).resolve().parent.parent
S = REPO / "scenarios"
runner = CliRunner()


def invoke(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def test_explain_shows_value_unit_and_provenance() -> None:
    r = invoke("explain", S / "baseline.yaml")
    assert r.exit_code == 0, r.output
    assert "garrison.troops = 250 troops" in r.stdout
    assert "basis world2014.garrison-size" in r.stdout
    assert "NO PROVENANCE" not in r.stdout


def test_explain_diff_shows_only_what_differs_and_json_parses() -> None:
    r = invoke("explain", S / "us-airdrops.yaml", "--diff", S / "airdrops-airstrikes.yaml",
               "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {d["path"] for d in data["differences"]} == {"airstrikes.strikes_per_day",
                                                         "airstrikes.intelligence_factor"}
    r = invoke("explain", S / "baseline.yaml", "--set", "garrison.troops=400", "--json")
    rows = {p["path"]: p for p in json.loads(r.stdout)["parameters"]}
    assert rows["garrison.troops"]["value"] == 400


def test_run_with_a_baseline_reports_paired_differences(tmp_path: Path) -> None:
    r = invoke("run", S / "baseline.yaml", S / "flights-halted.yaml", "-n", 30, "--workers", 1,
               "--baseline", "baseline", "--no-plots", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    assert "Paired differences against baseline" in r.stdout
    # Neither scenario runs the plant in autumn 2014: the selection separates nothing.
    assert "No scenario stands out on operating_days: all 2 score 0." in r.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    rows = summary["comparisons"]["comparisons"]
    assert {row["scenario"] for row in rows} == {"flights-halted"}
    assert summary["comparisons"]["correction"] == "holm"
    fall = summary["scenarios"]["flights-halted"]["metrics"]["garrison_fall_day"]
    assert fall["kind"] == "time_to_event" and fall["mean_is"].startswith("restricted")


def test_bad_analysis_options_exit_2(tmp_path: Path) -> None:
    r = invoke("run", S / "baseline.yaml", "-n", 5, "--baseline", "nope", "--out", tmp_path)
    assert r.exit_code == 2 and "--baseline" in r.stderr
    r = invoke("run", S / "baseline.yaml", "-n", 5, "--select", "nope", "--out", tmp_path)
    assert r.exit_code == 2 and "not a metric" in r.stderr
    r = invoke("sweep", S / "baseline.yaml", "--param", "garrison.troops", "--values", "1:x:3",
               "--out", tmp_path)
    assert r.exit_code == 2
    r = invoke("sweep", S / "baseline.yaml", "--param", "garrison.troops", "--values", "-5,10",
               "--out", tmp_path)
    assert r.exit_code == 2 and "garrison.troops" in r.stderr


def test_run_until_precise_reports_why_it_stopped(tmp_path: Path) -> None:
    r = invoke("run", S / "us-airdrops.yaml", "-n", 50, "--precision", 0.05,
               "--abs-precision", 0.05, "--precision-metric", "garrison_held",
               "--precision-metric", "supplies_delivered_t", "--max-replications", 400,
               "--workers", 1, "--no-plots", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    stop = json.loads((tmp_path / "summary.json").read_text())["stopping"]
    entry = stop["scenarios"]["us-airdrops"]
    assert entry["stopped"] in ("precise enough", "max replications reached")
    assert f"{entry['replications']} replications, {entry['stopped']}" in r.stdout


def test_sweep_writes_its_files_and_finds_the_threshold(tmp_path: Path) -> None:
    """The crossing must happen, not just be mentioned ("crosses 0.5 ... at never within
    the values swept" also contains "crosses 0.5"): the Wilson intervals of the two ends of
    the sweep lie on opposite sides of 0.5 (checked, so a crossing exists whatever the
    seed), and the threshold reported is the straight-line crossing between the two grid
    points that bracket 0.5."""
    r = invoke("sweep", S / "baseline.yaml", "--param", "air_defence.improved_hit_prob",
               "--values", "0,0.25,0.5", "-n", 30, "--workers", 1, "--threshold",
               "garrison_held=0.5", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    assert {"sweep.csv", "sweep.json", "sweep.png"} <= {p.name for p in tmp_path.iterdir()}
    with (tmp_path / "sweep.csv").open(newline="", encoding="utf-8") as fh:
        held = {float(row["air_defence.improved_hit_prob"]): row for row in csv.DictReader(fh)
                if row["metric"] == "garrison_held"}
    xs = sorted(held)
    assert xs == [0.0, 0.25, 0.5]
    mean = {x: float(held[x]["mean"]) for x in xs}
    assert float(held[0.0]["ci_low"]) > 0.5 > float(held[0.5]["ci_high"]), held
    i = next(i for i in range(2) if (mean[xs[i]] - 0.5) * (mean[xs[i + 1]] - 0.5) <= 0)
    a, b = xs[i], xs[i + 1]
    expected = a + (0.5 - mean[a]) / (mean[b] - mean[a]) * (b - a)
    found = json.loads((tmp_path / "sweep.json").read_text())["threshold"]
    assert found["value"] == pytest.approx(expected, rel=1e-4)
    assert 0 < found["value"] < 0.5
    assert (f"threshold: garrison_held crosses 0.5 along air_defence.improved_hit_prob at "
            f"{found['value']:.4g} (" in r.stdout)


def test_sensitivity_ranks_parameters_and_says_what_it_skipped(tmp_path: Path) -> None:
    why = "no foreign air support in this scenario"
    r = invoke("sensitivity", S / "baseline.yaml", "--metric", "min_supply_days",
               "--trajectories", 2, "-n", 2, "--workers", 1, "--out", tmp_path,
               "--set", f"inactive={{airstrikes: {why}, ground_campaign: null}}")
    assert r.exit_code == 0, r.output
    assert "model runs" in r.stdout
    data = json.loads((tmp_path / "sensitivity.json").read_text())
    assert data["model_runs"] > 0
    skipped = data["skipped_inactive"]
    assert skipped and {row["inactive"] for row in skipped} == {"airstrikes"}
    assert not set(data["bounds"]) & {row["parameter"] for row in skipped}
    assert (f"skipped {len(skipped)} parameters of inactive mechanisms: airstrikes ({why})\n"
            in r.stdout)


def test_explain_shows_declared_inactive_parameters_and_bad_keys_exit_2(tmp_path: Path) -> None:
    why = "no foreign air support in this scenario"
    r = invoke("explain", S / "baseline.yaml", "--set", f"inactive={{airstrikes: {why}}}")
    assert r.exit_code == 0, r.output
    assert f"inactive: airstrikes: {why}" in r.stdout
    block = r.stdout.split("airstrikes.kills_per_strike =")[1].split("airstrikes.")[0]
    assert f"inactive: {why}" in block
    assert f"inactive: {why}" not in r.stdout.split("garrison.troops =")[1].split("garrison.")[0]
    r = invoke("explain", S / "baseline.yaml", "--set", f"inactive={{airstrikes: {why}}}",
               "--json")
    rows = {p["path"]: p for p in json.loads(r.stdout)["parameters"]}
    assert rows["airstrikes.team_kill_prob"]["inactive"] == why
    assert rows["garrison.troops"]["inactive"] is None
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {S / 'baseline.yaml'}\nname: bad\n"
                   "inactive: {airstrike: no strikes}\n", encoding="utf-8")
    r = invoke("validate", bad)
    assert r.exit_code == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "inactive.airstrike: 'airstrike' is not" in lines[0]
    assert "Traceback" not in r.output


def test_a_misspelled_metric_gets_a_did_you_mean(tmp_path: Path) -> None:
    for option, typo, meant in (("--select", "operating_day", "operating_days"),
                                ("--precision-metric", "garison_held", "garrison_held")):
        r = invoke("run", S / "baseline.yaml", "-n", 5, option, typo, "--out", tmp_path / "o")
        assert r.exit_code == 2
        assert f"error: {option}: '{typo}' is not a metric; did you mean '{meant}'?" in r.stderr
        assert not (tmp_path / "o").exists()


def _printed_metrics(stdout: str) -> list[str]:
    """The metric column of the sweep's table, row by row."""
    return [cells[2].strip() for line in stdout.splitlines()
            if len(cells := line.split("│")) > 3 and cells[2].strip() != "metric"]


def test_sweep_prints_the_chosen_metrics(tmp_path: Path) -> None:
    sweep = ["sweep", S / "baseline.yaml", "--param", "garrison.troops", "--values", "200,300",
             "-n", 2, "--workers", 1]
    r = invoke(*sweep, "--out", tmp_path / "default")
    assert r.exit_code == 0, r.output
    assert _printed_metrics(r.stdout) == ["operating_days", "garrison_held",
                                          "helicopters_lost"] * 2
    r = invoke(*sweep, "--out", tmp_path / "chosen", "--metric", "supplies_delivered_t",
               "--metric", "garrison_held")
    assert r.exit_code == 0, r.output
    assert _printed_metrics(r.stdout) == ["supplies_delivered_t", "garrison_held"] * 2


def test_sweep_refuses_a_misspelled_metric_before_simulating(tmp_path: Path) -> None:
    sweep = ["sweep", S / "baseline.yaml", "--param", "garrison.troops", "--values", "200,300",
             "-n", 2, "--out", tmp_path / "o"]
    r = invoke(*sweep, "--metric", "garison_held")
    assert r.exit_code == 2
    assert "--metric: 'garison_held' is not a sweep metric; did you mean 'garrison_held'?" in (
        r.stderr)
    r = invoke(*sweep, "--threshold", "operating_dayz=3")
    assert r.exit_code == 2 and "did you mean 'operating_days'?" in r.stderr
    r = invoke(*sweep, "--metric", "garrison_fall_day")
    assert r.exit_code == 2 and "a metric this command does not report" in r.stderr
    assert not (tmp_path / "o").exists()
