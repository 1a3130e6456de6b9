"""The ``baiji-sim`` command line: exit codes, error messages, and the results folder."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import sim
import sim.runner.chunks
from sim.cli.app import app
from sim.model.metrics import METRICS
from sim.model.recorder import DAILY
from sim.rng import replication_seeds
from sim.runner.daily_bands import STATE_SERIES
from sim.scenario.loading import load_scenario, validate

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
N = 20

runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def flat(text: str) -> str:
    """Output without colour codes and with rich's line wrapping undone."""
    return " ".join(ANSI.sub("", text).split())


def write_variant(folder: Path, name: str = "variant", **sections) -> Path:
    """A scenario in ``folder`` that extends the shipped baseline."""
    data = {"extends": str(BASELINE), "name": name, **sections}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_bad(folder: Path) -> Path:
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["garrison"]["troopz"] = data["garrison"].pop("troops")
    path = folder / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# --- validate -------------------------------------------------------------------------------


def test_validate_baseline_ok() -> None:
    result = invoke("validate", BASELINE)
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout
    assert "baseline" in result.stdout


def test_validate_bad_file_exit_2_with_clear_message(tmp_path: Path) -> None:
    bad = write_bad(tmp_path)
    result = invoke("validate", BASELINE, bad)
    assert result.exit_code == 2
    message = flat(result.stderr)
    assert str(bad) in message
    assert "garrison.troopz" in message
    assert "did you mean 'troops'" in message
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception)  # a clean exit, not a crash


def test_validate_error_is_one_line(tmp_path: Path) -> None:
    result = invoke("validate", write_bad(tmp_path))
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "relief_troops" in lines[0]  # the end of the list of allowed keys


def test_validate_missing_file_exit_2(tmp_path: Path) -> None:
    result = invoke("validate", tmp_path / "nowhere.yaml")
    assert result.exit_code == 2
    assert "no such file" in flat(result.stderr)
    assert "Traceback" not in result.output


# --- run: errors ----------------------------------------------------------------------------


def test_run_bad_file_exit_2_writes_nothing(tmp_path: Path) -> None:
    bad = write_bad(tmp_path)
    out = tmp_path / "results"
    result = invoke("run", BASELINE, bad, "-n", 2, "--workers", 1, "--out", out)
    assert result.exit_code == 2
    assert "garrison.troopz" in flat(result.stderr)
    assert "Traceback" not in result.output
    assert not out.exists()


def test_run_bad_override_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = invoke("run", BASELINE, "-n", 2, "--workers", 1, "--out", out,
                    "--set", "air_defence.hit_prob=3")
    assert result.exit_code == 2
    assert "air_defence.hit_prob" in flat(result.stderr)
    assert not out.exists()


def test_run_duplicate_names_exit_2(tmp_path: Path) -> None:
    twin = write_variant(tmp_path, "twin")  # renamed below to clash with the baseline
    twin.write_text(twin.read_text(encoding="utf-8").replace("name: twin", "name: baseline"),
                    encoding="utf-8")
    out = tmp_path / "results"
    result = invoke("run", BASELINE, twin, "-n", 2, "--workers", 1, "--out", out)
    assert result.exit_code == 2
    assert "baseline" in flat(result.stderr)
    assert not out.exists()


# --- run: the results folder ----------------------------------------------------------------


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory: pytest.TempPathFactory):
    """One two-scenario run shared by the results-folder tests."""
    folder = tmp_path_factory.mktemp("run")
    variant = write_variant(folder, "more-troops", garrison={"troops": 450})
    out = folder / "results"
    result = invoke("run", BASELINE, variant, "-n", N, "--seed", 3, "--workers", 1,
                    "--out", out)
    return result, out, variant


def test_run_exits_0_and_prints_table(batch_run) -> None:
    result, _, _ = batch_run
    assert result.exit_code == 0, result.output
    table = ANSI.sub("", result.stdout)
    assert "baseline" in table
    assert "more-troops" in table
    assert str(2 * N) in table  # "40 replications ..."


def test_run_prints_the_face_validity_of_the_scenarios_that_test_an_observation(
        batch_run, tmp_path: Path) -> None:
    """The baseline (from 2014-10-01, 180 days) tests the October 2014 observations; with
    240 days it reaches 2015-05-07 too; may-2015 starts on that date (its starting state)
    and tests nothing, so a run of it alone prints no such table."""
    def cells(text: str) -> str:  # table rows as words, without the box lines
        return flat(re.sub("[│┃]", " ", text))

    result, out, _ = batch_run
    text = cells(result.stdout)
    assert "Face validity" in text
    assert text.index("Scenario comparison") < text.index("Face validity") < text.index(
        "Events by the horizon")
    assert "baseline obs.garrison-holds-2014-10-31 2014-10-31" in text
    assert "more-troops obs.garrison-holds-2014-10-31" in text
    assert "obs.insurgents-hold-most-2015-05-07" not in text.split("Events by")[0]
    section = json.loads((out / "summary.json").read_text(encoding="utf-8"))["face_validity"]
    entry = section["scenarios"]["baseline"]["obs.garrison-holds-2014-10-31"]
    assert entry["n"] == N and entry["status"] == "tested"
    assert entry["facts"] and entry["date"] == "2014-10-31"
    assert f"{100 * entry['share']:.0f}% [" in text

    longer = invoke("run", BASELINE, "-n", 4, "--workers", 1, "--out", tmp_path / "long",
                    "--set", "horizon_days=240", "--no-plots")
    assert longer.exit_code == 0, longer.output
    assert "baseline obs.insurgents-hold-most-2015-05-07 2015-05-07" in cells(longer.stdout)
    may = invoke("run", REPO / "scenarios" / "may-2015.yaml", "-n", 2, "--workers", 1,
                 "--out", tmp_path / "may", "--no-plots")
    assert may.exit_code == 0, may.output
    assert "Face validity" not in flat(may.stdout)
    assert "face_validity" not in json.loads((tmp_path / "may" / "summary.json").read_text())


def test_replications_csv(batch_run) -> None:
    _, out, _ = batch_run
    rows = read_csv(out / "replications.csv")
    assert rows[0] == ["scenario", "replication", "seed", *METRICS]
    body = rows[1:]
    assert len(body) == 2 * N
    assert all(len(row) == len(rows[0]) for row in body)
    seeds = [str(s) for s in replication_seeds(3, N)]
    for name in ("baseline", "more-troops"):
        mine = [row for row in body if row[0] == name]
        assert [int(row[1]) for row in mine] == list(range(N))
        # common random numbers: replication i has the same seed in every scenario
        assert [row[2] for row in mine] == seeds


def test_summary_json(batch_run) -> None:
    _, out, _ = batch_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["scenarios"]) == {"baseline", "more-troops"}
    for entry in summary["scenarios"].values():
        assert entry["replications"] == N
        assert set(entry["metrics"]) == set(METRICS)
        for metric in entry["metrics"].values():
            assert {"mean", "ci95", "median", "p5", "p95", "n"} <= set(metric)
            assert len(metric["ci95"]) == 2
    held = summary["scenarios"]["baseline"]["metrics"]["garrison_held"]
    assert held["n"] == N
    assert 0.0 <= held["mean"] <= 1.0


def test_daily_bands_csv(batch_run) -> None:
    _, out, _ = batch_run
    rows = read_csv(out / "daily_bands.csv")
    assert rows[0] == ["scenario", "series", "day", "mean", "p5", "p25", "p50", "p75", "p95"]
    horizon = load_scenario(BASELINE).horizon_days
    series = (*DAILY, *STATE_SERIES)
    assert len(rows) - 1 == 2 * len(series) * horizon
    assert {row[1] for row in rows[1:]} == set(series)
    # The refinery's state shares: each day they add up to every run, and they agree with
    # the state's own mean (0 x down + 1 x restarting + 2 x operating).
    by = {(r[0], r[1], int(r[2])): float(r[3]) for r in rows[1:]}
    for day in range(horizon):
        down, restarting, operating = (by["baseline", s, day] for s in STATE_SERIES)
        assert abs(down + restarting + operating - 1.0) < 1e-6
        assert abs(restarting + 2 * operating - by["baseline", "refinery_state", day]) < 1e-6


def test_manifest_json(batch_run) -> None:
    _, out, _ = batch_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 3
    assert manifest["replications"] == N
    assert manifest["package_version"] == sim.__version__
    assert isinstance(manifest["command"], list)
    assert manifest["command"]
    dt.datetime.fromisoformat(manifest["date"])  # a real timestamp
    assert manifest["status"] == "complete"
    assert manifest["failures"] == []
    assert manifest["finished_replications"] == {"baseline": N, "more-troops": N}


def test_resolved_scenarios_round_trip(batch_run) -> None:
    _, out, variant = batch_run
    for name, source in (("baseline", BASELINE), ("more-troops", variant)):
        resolved = out / "scenarios" / f"{name}.yaml"
        assert resolved.is_file()
        again = load_scenario(resolved)
        assert again == load_scenario(source)
    assert load_scenario(out / "scenarios" / "more-troops.yaml").garrison.troops == 450


def test_every_shipped_scenario_s_resolved_copy_is_pyyaml_s_text_and_round_trips() -> None:
    """The resolved copies are written with libyaml's dumper where PyYAML has it (four times
    faster): the same text as PyYAML's own, and read back to the same scenario."""
    import yaml

    from sim.output.results import resolved_yaml

    files = sorted((REPO / "scenarios").glob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        scenario = load_scenario(path)
        text = resolved_yaml(scenario)
        assert text == yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False,
                                      allow_unicode=True, width=100), path.name
        assert validate(yaml.safe_load(text), path) == scenario, path.name


def test_plots_are_png(batch_run) -> None:
    _, out, _ = batch_run
    for name in ("outcomes", "survival_curves", "fan_charts"):
        data = (out / "plots" / f"{name}.png").read_bytes()
        assert data.startswith(PNG_MAGIC)
        assert len(data) > 1000


# --- run: overrides -------------------------------------------------------------------------


def test_set_changes_the_resolved_scenario(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = invoke("run", BASELINE, "-n", 2, "--workers", 1, "--out", out, "--no-plots",
                    "--set", "garrison.troops=123",
                    "--set", "supply_operators.government helicopters.payload_t=4")
    assert result.exit_code == 0, result.output
    resolved = load_scenario(out / "scenarios" / "baseline.yaml")
    assert resolved.garrison.troops == 123
    assert resolved.supply_operators[0].payload_t == 4
    assert resolved == load_scenario(BASELINE, overrides=[
        "garrison.troops=123", "supply_operators.government helicopters.payload_t=4"])
    assert not (out / "plots").exists()


# --- run: reproducibility -------------------------------------------------------------------


def test_same_seed_same_file_for_any_number_of_workers(tmp_path: Path) -> None:
    variant = write_variant(tmp_path, "fewer-troops", garrison={"troops": 150})
    files = {}
    for label, seed, workers in (("w1", 5, 1), ("w2", 5, 2), ("other", 6, 1)):
        out = tmp_path / label
        result = invoke("run", BASELINE, variant, "-n", N, "--seed", seed,
                        "--workers", workers, "--out", out, "--no-plots")
        assert result.exit_code == 0, result.output
        files[label] = (out / "replications.csv").read_bytes()
    assert files["w1"] == files["w2"]
    assert files["w1"] != files["other"]


# --- run: a failing replication -------------------------------------------------------------


def test_failed_replication_exit_1_and_recorded(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    seeds = replication_seeds(3, 6)
    bad_seed = seeds[4]
    original = sim.runner.chunks.run_replication

    def flaky(scenario, seed, *args, **kwargs):
        if seed == bad_seed:
            raise RuntimeError("provoked failure")
        return original(scenario, seed, *args, **kwargs)

    monkeypatch.setattr(sim.runner.chunks, "run_replication", flaky)
    out = tmp_path / "results"
    result = invoke("run", BASELINE, "-n", 6, "--seed", 3, "--workers", 1, "--out", out,
                    "--no-plots")
    assert result.exit_code == 1, result.output
    assert "failed" in flat(result.stderr)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["failures"]) == 1
    failure = manifest["failures"][0]
    assert failure["scenario"] == "baseline"
    assert failure["replication"] == 4
    assert failure["seed"] == bad_seed
    assert "provoked failure" in failure["error"]
    assert manifest["finished_replications"] == {"baseline": 5}
    rows = read_csv(out / "replications.csv")[1:]
    assert [int(row[1]) for row in rows] == [0, 1, 2, 3, 5]
    assert [int(row[2]) for row in rows] == [s for i, s in enumerate(seeds) if i != 4]


# --- trace ----------------------------------------------------------------------------------


DATED = re.compile(r"^\d{4}-\d{2}-\d{2}\s+day\s+\d+\.\d{2}\s")


def test_trace_prints_dated_lines_and_outcome() -> None:
    result = invoke("trace", BASELINE, "--seed", 7)
    assert result.exit_code == 0, result.output
    lines = ANSI.sub("", result.stdout).splitlines()
    dated = [line for line in lines if DATED.match(line)]
    assert dated
    start = load_scenario(BASELINE).start_date
    horizon = load_scenario(BASELINE).horizon_days
    for line in dated:
        day = dt.date.fromisoformat(line[:10])
        assert start <= day <= start + dt.timedelta(days=horizon)
    text = flat(result.stdout)
    assert text.count("outcome: ") == 1
    outcome = text.split("outcome: ", 1)[1]
    for metric in METRICS:
        assert f"{metric}=" in outcome


def test_trace_outcome_is_one_line() -> None:
    result = invoke("trace", BASELINE, "--seed", 7)
    assert result.exit_code == 0, result.output
    outcome = [line for line in result.stdout.splitlines() if line.startswith("outcome: ")]
    assert len(outcome) == 1
    for metric in METRICS:
        assert f"{metric}=" in outcome[0]


def test_trace_same_seed_same_output() -> None:
    first = invoke("trace", BASELINE, "--seed", 11)
    second = invoke("trace", BASELINE, "--seed", 11)
    other = invoke("trace", BASELINE, "--seed", 12)
    assert first.exit_code == second.exit_code == other.exit_code == 0
    assert first.stdout == second.stdout
    assert first.stdout != other.stdout


def test_trace_bad_file_exit_2(tmp_path: Path) -> None:
    result = invoke("trace", write_bad(tmp_path), "--seed", 1)
    assert result.exit_code == 2
    assert "garrison.troopz" in flat(result.stderr)


# --- python -m sim --------------------------------------------------------------------------


def test_python_m_sim_help() -> None:
    proc = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True,
                          text=True, cwd=REPO, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    for command in ("run", "trace", "validate"):
        assert command in proc.stdout
    assert "Traceback" not in proc.stderr


def test_version_prints_the_package_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"baiji-sim {sim.__version__}\n"


# Imported by the commands that need them, never by --help or --version (issue 15: --help took
# about 2 s; benchmarks/bench_startup.py times it).
HEAVY = ("numpy", "pydantic", "scipy", "matplotlib", "SALib", "yaml", "simpy", "pandas",
         "dask", "sim.scenario", "sim.model", "sim.runner", "sim.analysis", "sim.output")


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_import_no_model_and_no_numerics(option: str) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sim", option],
                          capture_output=True, text=True, cwd=REPO, timeout=60, check=True)
    loaded = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
              if line.startswith("import time:")}
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert not heavy, f"{option} imports {heavy}"
    assert proc.stdout.strip()


def test_ctrl_c_while_the_command_line_is_still_importing_exits_130_quietly(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import types

    import sim.__main__ as entry

    def interrupted(name: str):
        raise KeyboardInterrupt  # as if Ctrl-C came in the middle of the imports

    half_imported = types.ModuleType("sim.cli.app")
    half_imported.__getattr__ = interrupted  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "sim.cli.app", half_imported)
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == 130
    assert capsys.readouterr() == ("", "")


def test_the_installed_command_goes_through_the_quiet_entry_point() -> None:
    scripts = {ep.name: ep.value for ep in __import__("importlib.metadata").metadata
               .entry_points(group="console_scripts") if ep.name == "baiji-sim"}
    assert scripts == {"baiji-sim": "sim.__main__:main"}
