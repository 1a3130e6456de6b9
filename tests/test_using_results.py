"""Using the results of a finished run (issue 15): ``baiji-sim show`` reprints its tables,
``summary.csv`` gives summary.json's estimates flat, ``BatchResult.to_pandas()`` the rows."""

from __future__ import annotations

import builtins
import csv
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.app import app
from sim.model.metrics import EVENT_DAY_METRICS, METRICS, REGISTRY
from sim.output.results import SUMMARY_HEADER
from sim.output.results_folder import SUMMARY, SUMMARY_CSV
from sim.runner.batch import run_batch
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = [REPO / "scenarios" / "baseline.yaml", REPO / "scenarios" / "us-airdrops.yaml"]
runner = CliRunner()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A finished run of two scenarios, and what ``run`` printed."""
    out = tmp_path_factory.mktemp("show") / "results"
    result = runner.invoke(app, ["run", *map(str, SCENARIOS), "-n", "12", "--workers", "1",
                                 "--no-plots", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.stdout


def test_show_reprints_the_tables_run_printed(run_folder: tuple[Path, str]) -> None:
    out, printed = run_folder
    result = runner.invoke(app, ["show", str(out)])
    assert result.exit_code == 0, result.output
    tables = printed[:printed.rindex("replications (")].rsplit("\n", 1)[0]
    assert tables.strip()
    assert result.stdout.startswith(tables)  # the same tables, line for line
    assert f"results in {out}/ (seed 1, " in result.stdout
    assert (out / "parts").exists() is False  # nothing re-run, nothing written


@pytest.mark.parametrize("case", ["missing", "not json", "no scenarios"])
def test_show_of_a_folder_that_is_not_a_results_folder_exits_2(tmp_path: Path, case: str
                                                              ) -> None:
    if case == "not json":
        (tmp_path / SUMMARY).write_text("{not json", encoding="utf-8")
    elif case == "no scenarios":
        (tmp_path / SUMMARY).write_text('{"seed": 1}', encoding="utf-8")
    result = runner.invoke(app, ["show", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: RESULTS: ")
    assert str(tmp_path) in lines[0]


def _number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def test_summary_csv_holds_summary_json_estimates(run_folder: tuple[Path, str]) -> None:
    out, _ = run_folder
    summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    with (out / SUMMARY_CSV).open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        assert tuple(next(reader)) == SUMMARY_HEADER
        rows = [dict(zip(SUMMARY_HEADER, r, strict=True)) for r in reader]
    assert [(r["scenario"], r["metric"]) for r in rows] == [
        (name, m) for name in summary["scenarios"] for m in METRICS]
    for r in rows:
        entry = summary["scenarios"][r["scenario"]]["metrics"][r["metric"]]
        known = REGISTRY[r["metric"]]
        assert (r["unit"], r["kind"]) == (known.unit, known.kind)
        assert int(r["n"]) == entry["n"]
        if r["metric"] in EVENT_DAY_METRICS:
            assert r["statistic"] == "km_median"
            expected = [entry["median"], *entry["median_ci95"],
                        entry["p_event_by_horizon"]["share"],
                        *entry["p_event_by_horizon"]["ci95"]]
            cells = ("estimate", "ci_low", "ci_high", "p_event_by_horizon", "p_ci_low",
                     "p_ci_high")
        else:
            assert r["statistic"] == ("share" if known.kind == "share" else "mean")
            expected = [entry["mean"], *entry["ci95"]]
            cells = ("estimate", "ci_low", "ci_high")
            assert r["p_event_by_horizon"] == r["p_ci_low"] == r["p_ci_high"] == ""
        assert [_number(r[c]) for c in cells] == expected  # every digit of summary.json


def test_summary_csv_neutralises_formula_names(tmp_path: Path) -> None:
    from sim.output.results import write_summary_csv

    summary = {"scenarios": {"=HYPERLINK(1)": {"metrics": {"garrison_held": {
        "kind": "share", "n": 3, "mean": 1 / 3, "ci95": [0.06, 0.79]}}}}}
    write_summary_csv(summary, tmp_path / SUMMARY_CSV)
    with (tmp_path / SUMMARY_CSV).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][:4] == ["'=HYPERLINK(1)", "garrison_held", "share", repr(1 / 3)]


def test_to_pandas_gives_one_row_per_replication() -> None:
    pytest.importorskip("pandas")
    batch = run_batch([load_scenario(p) for p in SCENARIOS], replications=5, seed=3,
                      workers=1)
    frame = batch.to_pandas()
    assert list(frame.columns) == ["scenario", "replication", "seed", *METRICS]
    assert len(frame) == 10
    rows = batch.rows()
    for k, row in enumerate(rows):
        got = frame.iloc[k]
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(got[key])
            else:
                assert got[key] == value, key
    assert frame.groupby("scenario")["garrison_held"].mean().to_dict() == {
        name: sum(r["garrison_held"] for r in rows if r["scenario"] == name) / 5
        for name in ("baseline", "us-airdrops")}


def test_to_pandas_without_pandas_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    real_import = builtins.__import__

    def no_pandas(name: str, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    batch = run_batch([load_scenario(SCENARIOS[0])], replications=1, seed=1, workers=1)
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="pip install pandas"):
        batch.to_pandas()


# --- 80 columns -------------------------------------------------------------------------------

MESSAGES = ("Best for", "No scenario stands out", "note:", "results in")  # one line each


def _header_words(summary: dict) -> set[str]:
    from sim.output.tables import (
        comparison_table,
        events_table,
        face_validity_table,
        paired_table,
        stopped_table,
    )

    tables = [comparison_table(summary), events_table(summary), face_validity_table(summary),
              stopped_table(summary), stopped_table(summary, "insurgents"),
              paired_table(summary["comparisons"])]
    return {w for t in tables if t is not None for c in t.columns for w in str(c.header).split()}


def test_at_80_columns_no_table_line_is_longer_and_no_cell_or_header_word_wraps(
        run_folder: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.cli.app import out_console

    out, _ = run_folder
    summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    monkeypatch.setattr(out_console, "width", 80)
    result = runner.invoke(app, ["show", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    tables = [line for line in lines if not line.startswith(MESSAGES)]
    assert max(len(line.rstrip()) for line in tables) <= 80
    assert "(part 1 of 2)" in result.stdout  # the comparison did not fit: two tables
    words = _header_words(summary)
    for line in lines:
        if line.startswith("┃"):  # a header line: only whole words of the headers
            for cell in line.strip("┃").split("┃"):
                assert set(cell.split()) <= words, cell
        if line.startswith("│"):  # a body line: a wrapped cell would leave the scenario empty
            assert line.split("│")[1].strip(), line
    for name in ("baseline", "us-airdrops"):
        assert f"│ {name} " in result.stdout
    tested = [e["id"] for e in summary["face_validity"]["scenarios"]["baseline"].values()
              if e["status"] == "tested"]
    assert tested
    for observation in tested:
        assert any(line.startswith(f"{observation}:") for line in lines)  # whole, a title


def test_wide_consoles_keep_one_table_each(run_folder: tuple[Path, str]) -> None:
    from rich.console import Console

    from sim.output.tables import summary_tables

    out, _ = run_folder
    summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    wide = summary_tables(summary, 250)
    assert len(wide) == len(summary_tables(summary)) and not any(
        "part 1" in str(t.title) for t in wide)
    console = Console(width=250, record=True)
    for table in wide:
        console.print(table)
    assert "…" not in console.export_text()


def test_help_at_80_columns_keeps_every_option_name_whole() -> None:
    import os
    import subprocess
    import sys

    for command in ("run", "sweep", "sensitivity", "show"):
        proc = subprocess.run([sys.executable, "-m", "sim", command, "--help"],
                              capture_output=True, text=True, cwd=REPO, timeout=60,
                              check=True, env={**os.environ, "COLUMNS": "80", "TERM": "dumb"})
        text = proc.stdout
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "…" not in text, text
        if command == "run":
            for name in ("--replications", "--precision-metric", "--max-replications",
                         "--abs-precision", "--no-minimize", "--plot-format"):
                assert f" {name} " in text or f" {name}\n" in text, name
