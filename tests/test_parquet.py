"""``run --parquet`` (issue 15): replications.parquet holds the rows of replications.csv."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim.output.results as results
from sim.cli.app import app
from sim.output.results_folder import REPLICATIONS, REPLICATIONS_PARQUET, spreadsheet_text

pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow (the parquet extra) is not installed")

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_the_parquet_rows_are_the_csv_rows(tmp_path: Path) -> None:
    """Two scenarios, with drawn parameters (one scenario lacks some: an empty CSV cell, a
    null in Parquet) and event days that did not happen (NaN): every row of the Parquet
    file, written as replications.csv writes its cells (numbers to 6 significant digits),
    is the CSV's row. Parquet keeps the full doubles."""
    out = tmp_path / "results"
    files = [REPO / "scenarios" / f"{n}.yaml" for n in ("baseline", "flights-halted")]
    r = runner.invoke(app, ["run", *map(str, files), "-n", "8", "--workers", "1", "--no-plots",
                            "--uncertainty", "--parquet", "--out", str(out)])
    assert r.exit_code == 0, r.output
    with (out / REPLICATIONS).open(newline="", encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    table = pq.read_table(out / REPLICATIONS_PARQUET)
    assert table.column_names == header
    assert any(name.startswith("param.") for name in header)
    assert "" in {cell for row in rows for cell in row}  # NaN and absent parameters
    written = [[spreadsheet_text(row[0]), *(str(results._cell(math.nan if v is None else v))
                                           for v in row[1:])]
               for row in (list(d.values()) for d in table.to_pylist())]
    assert written == rows
    assert len(rows) == 16


def test_without_pyarrow_the_run_stops_before_simulating_and_names_the_extra(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results, "parquet_missing", lambda: results.PARQUET_EXTRA)
    out = tmp_path / "results"
    r = runner.invoke(app, ["run", str(REPO / "scenarios" / "baseline.yaml"), "-n", "2",
                            "--workers", "1", "--parquet", "--out", str(out)])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        "error: --parquet: writing Parquet needs pyarrow, which is not installed: "
        "pip install 'baiji-sim[parquet]'"]
    assert not out.exists()
