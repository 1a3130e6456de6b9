"""Results folders are safe (issue 14, "Results folders"): an interrupted batch is never
deleted by a new run; a run owns its folder; names that give the same file are refused;
a full disk, a read-only folder or a file as --out give one line and a documented exit
code, with no temporary file left; CSV text cells cannot be spreadsheet formulas; and
bidirectional controls in names are isolated in the report and written out on a terminal.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import finished_parts, run_cli, stop_at_part
from typer.testing import CliRunner

import sim.output.results
import sim.runner.store
from sim.cli.app import EXIT_WRITE, app, out_console
from sim.output.report import esc, render_report
from sim.output.results import write_replications_csv, write_results
from sim.output.results_folder import (
    BIDI_CONTROLS,
    NameCollision,
    file_stems,
    from_spreadsheet,
    load_results,
    spreadsheet_text,
)
from sim.runner.batch import run_batch
from sim.runner.store import PARTS, FolderError, claim_folder
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.yaml"
CLI = [sys.executable, "-m", "sim"]
runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def variant(folder: Path, name: str, stem: str | None = None) -> Path:
    """A scenario named ``name`` that extends the shipped baseline, 60 days long."""
    path = folder / f"{stem or re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'x'}.yaml"
    path.write_text(yaml.safe_dump({"extends": str(BASELINE), "name": name,
                                    "horizon_days": 60}, allow_unicode=True), encoding="utf-8")
    return path


def one_clean_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def no_temporary_files(folder: Path) -> None:
    left = [p.name for p in folder.rglob("*") if ".tmp" in p.name or "write-test" in p.name]
    assert not left, left


# -- 1. an interrupted batch is never deleted without a word ----------------------------------
def test_a_new_run_into_an_interrupted_batch_refuses_and_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = [str(BASELINE), "-n", "300", "--seed", "5", "--workers", "1", "--no-plots"]
    # Killed (SIGTERM) when its first part, 150 replications (of chunks 150, 75, 38, ...), is
    # saved: see conftest.stop_at_part.
    proc = stop_at_part(["run", *args, "--out", out], after=1, sig=signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    parts = snapshot(out / PARTS)
    assert len(finished_parts(out / PARTS)) == 1

    code, _, err = run_cli(["run", *args, "--out", out])
    assert code == 2
    line = one_clean_line(err)
    assert "unfinished run" in line and f"--resume {out}" in line and "--force" in line
    assert "(150 of 300 replications done)" in line, line
    assert snapshot(out / PARTS) == parts  # nothing lost

    code, _, err = run_cli(["run", "--resume", out])
    assert code == 0, err
    with (out / "replications.csv").open() as fh:
        assert sum(1 for _ in fh) == 301


def test_force_starts_over_from_an_interrupted_batch(tmp_path: Path) -> None:
    out = tmp_path / "run"
    calls = []

    def stop_after_two(k: int) -> None:
        calls.append(k)
        if len(calls) == 2:
            raise KeyboardInterrupt

    sim.runner.store.run_to_folder([load_scenario(BASELINE)], 40, out, seed=2, chunk_size=5,
                                   progress=stop_after_two)
    assert (out / PARTS).exists()
    with pytest.raises(FolderError, match="unfinished run \\(10 of 40 replications done\\)"):
        claim_folder(out)
    result = invoke("run", BASELINE, "-n", 6, "--workers", 1, "--no-plots", "--force",
                    "--out", out)
    assert result.exit_code == 0, result.output
    assert not (out / PARTS).exists()
    assert json.loads((out / "manifest.json").read_text())["replications"] == 6


# -- 2. a run owns its folder ------------------------------------------------------------------
def test_an_earlier_run_is_replaced_only_with_force_and_leaves_nothing_stale(
        tmp_path: Path) -> None:
    out = tmp_path / "results"
    other = variant(tmp_path, "retired-variant")
    first = invoke("run", BASELINE, other, "-n", 4, "--workers", 1, "--no-plots", "--out", out)
    assert first.exit_code == 0, first.output
    (out / "plots").mkdir()
    (out / "plots" / "outcomes.png").write_bytes(b"an old figure")
    (out / "report.html").write_text("an old report")
    (out / "sensitivity.json").write_text("{}")
    (out / "strikes").mkdir()  # another run's results under this one, as README's examples
    (out / "strikes" / "manifest.json").write_text("{}")
    (out / "sweep.json").write_text("{}")
    before = snapshot(out)

    refused = invoke("run", BASELINE, "-n", 3, "--workers", 1, "--no-plots", "--out", out)
    assert refused.exit_code == 2
    line = one_clean_line(refused.stderr)
    assert "results of an earlier run" in line and "--force" in line
    assert snapshot(out) == before

    forced = invoke("run", BASELINE, "-n", 3, "--workers", 1, "--no-plots", "--force",
                    "--out", out)
    assert forced.exit_code == 0, forced.output
    assert sorted(p.name for p in (out / "scenarios").iterdir()) == ["baseline.yaml"]
    assert sorted(p.name for p in (out / "traces").iterdir()) == ["baseline.json"]
    for stale in ("plots", "report.html", "sensitivity.json"):
        assert not (out / stale).exists(), stale
    assert (out / "strikes" / "manifest.json").exists() and (out / "sweep.json").exists()
    page = render_report(out)
    assert "retired-variant" not in page
    assert "data:image/" not in page  # no old figure embedded
    no_temporary_files(out)


def test_a_folder_that_is_not_a_results_folder_is_refused_even_with_force(
        tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    (out / "scenarios").mkdir()
    (out / "scenarios" / "baseline.yaml").write_text("my own scenario")
    before = snapshot(out)
    for extra in ([], ["--force"]):
        result = invoke("run", BASELINE, "-n", 2, "--workers", 1, "--no-plots", *extra,
                        "--out", out)
        assert result.exit_code == 2
        line = one_clean_line(result.stderr)
        assert "not a baiji-sim results folder" in line and "notes.txt" in line
        assert snapshot(out) == before


def test_an_empty_or_new_folder_needs_no_force(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        claim_folder(out)
        assert out.is_dir() and not any(out.iterdir())


# -- 3. names that collide once made file-safe --------------------------------------------------
def test_names_that_give_the_same_file_are_refused_naming_both(tmp_path: Path) -> None:
    assert file_stems(["a b", "a.b", "c"]) == {"a b": "a_b", "a.b": "a.b", "c": "c"}
    for pair in (["a b", "a_b"], ["Ab", "ab"], ["Caf\u00c9", "caf\u00e9"], ["a/b", "a?b"]):
        with pytest.raises(NameCollision) as caught:
            file_stems(pair)
        assert caught.value.names == tuple(pair)

    first, second = variant(tmp_path, "a b", "first"), variant(tmp_path, "a_b", "second")
    out = tmp_path / "results"
    result = invoke("run", first, second, "-n", 2, "--workers", 1, "--out", out)
    assert result.exit_code == 2
    line = one_clean_line(result.stderr)
    assert "'a b'" in line and "'a_b'" in line and str(first) in line and str(second) in line
    assert not out.exists()  # refused before anything was simulated or written

    # The check lives where the files are written: the Python API refuses too.
    batch = run_batch([load_scenario(first), load_scenario(second)], 2, workers=1)
    with pytest.raises(NameCollision, match="'a b' and 'a_b'"):
        write_results(batch, out, {}, plots=False)
    assert not out.exists()


# -- 4. a full disk, a read-only folder, --out an existing file --------------------------------
def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "results.txt"
    target.write_text("not a folder")
    for out in (target, target / "sub"):
        result = invoke("run", BASELINE, "-n", 2, "--workers", 1, "--out", out)
        assert result.exit_code == 2
        assert one_clean_line(result.stderr).startswith(f"error: --out: {target}")
    assert target.read_text() == "not a folder"
    folder = tmp_path / "folder"
    folder.mkdir()
    assert invoke("report", tmp_path, "--out", folder).exit_code == 2
    assert invoke("plot", tmp_path, "--out", target).exit_code == 2


def _full_disk_after(count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """np.savez in the store writes ``count`` parts, then fails half-way as a full disk does."""
    real, calls = np.savez, []

    def savez(path, **arrays):
        calls.append(path)
        if len(calls) > count:
            Path(path).write_bytes(b"PK\x03\x04 half a part")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, **arrays)

    monkeypatch.setattr(sim.runner.store.np, "savez", savez)


def test_a_full_disk_while_simulating_keeps_the_parts_and_resume_finishes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, whole = tmp_path / "run", tmp_path / "whole"
    args = [BASELINE, "-n", 100, "--seed", 8, "--workers", 1, "--no-plots"]  # 4 chunks
    with monkeypatch.context() as patch:
        _full_disk_after(2, patch)
        result = invoke("run", *args, "--out", out)
    assert result.exit_code == EXIT_WRITE
    line = one_clean_line(result.stderr)
    assert "could not write" in line and "No space left on device" in line
    assert f"baiji-sim run --resume {out}" in line
    assert len(list((out / PARTS).glob("*.npz"))) == 2
    no_temporary_files(out)

    resumed = invoke("run", "--resume", out)  # space freed
    assert resumed.exit_code == 0, resumed.output
    assert invoke("run", *args, "--out", whole).exit_code == 0
    for name in ("replications.csv", "daily_bands.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes()


def test_a_full_disk_while_writing_the_results_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, whole = tmp_path / "run", tmp_path / "whole"
    args = [BASELINE, "-n", 30, "--seed", 8, "--workers", 1, "--no-plots"]
    real, calls = sim.output.results._cell, []

    def cell(value):
        calls.append(value)
        if len(calls) == 100:  # a few rows into replications.csv
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(value)

    with monkeypatch.context() as patch:
        patch.setattr(sim.output.results, "_cell", cell)
        result = invoke("run", *args, "--out", out)
    assert result.exit_code == EXIT_WRITE
    line = one_clean_line(result.stderr)
    assert f"could not write {out}/replications.csv: No space left on device" in line
    no_temporary_files(out)
    assert not (out / "replications.csv").exists()
    assert not (out / "manifest.json").exists()  # nothing vouches for a half-written folder
    assert (out / PARTS).exists()

    assert invoke("run", "--resume", out).exit_code == 0
    assert invoke("run", *args, "--out", whole).exit_code == 0
    assert (out / "replications.csv").read_bytes() == (whole / "replications.csv").read_bytes()
    no_temporary_files(out)


def test_a_read_only_folder_is_one_line_and_exit_2() -> None:
    """A real read-only folder: as root, permissions do not stop writes, so the run is made
    as the unprivileged user ``nobody`` (setpriv)."""
    base = Path(tempfile.mkdtemp(prefix="baiji-ro-"))
    try:
        base.chmod(0o755)
        folder = base / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        command = [*CLI, "run", str(BASELINE), "-n", "2", "--workers", "1", "--no-plots"]
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv to drop privileges")
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       *command]
        env = {**os.environ, "HOME": str(base), "MPLCONFIGDIR": str(base)}
        for out in (folder, folder / "sub"):
            result = subprocess.run([*command, "--out", str(out)], capture_output=True,
                                    text=True, timeout=120, cwd=base, env=env)
            assert result.returncode == 2, result.stderr
            line = one_clean_line(result.stderr)
            assert line.startswith(f"error: --out: {out}") and "Permission denied" in line
        assert not any(folder.iterdir())
    finally:
        for p in (base, *base.rglob("*")):
            p.chmod(0o755)
        shutil.rmtree(base)


# -- 5. CSV formula injection -------------------------------------------------------------------
def test_text_cells_cannot_be_formulas_and_numbers_stay_numbers(tmp_path: Path) -> None:
    for text, written in (("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1+1", "'+1+1"),
                          ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
                          ("\r=1", "'\r=1"), ("'=x", "''=x"), ("-2.5", "-2.5"),
                          ("+1e5", "+1e5"), ("plain", "plain"), ("'quoted", "'quoted")):
        assert spreadsheet_text(text) == written
        assert from_spreadsheet(written) == text

    evil = "=cmd|' /C calc'!A0"
    names = [evil, "@SUM(1)", "-2.5"]
    files = [variant(tmp_path, n, f"s{k}") for k, n in enumerate(names)]
    out = tmp_path / "results"
    result = invoke("run", *files, "-n", 3, "--workers", 1, "--no-plots", "--out", out)
    assert result.exit_code == 0, result.output
    with (out / "replications.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1::3]] == [f"'{evil}", "'@SUM(1)", "-2.5"]
    for row in rows[1:]:  # every other cell is a number or empty
        assert all(c == "" or float(c) == float(c) for c in row[1:])
    with (out / "daily_bands.csv").open(newline="", encoding="utf-8") as fh:
        bands = list(csv.reader(fh))
    assert bands[1][0] == f"'{evil}"
    assert {r[0] for r in bands[1:]} == {f"'{evil}", "'@SUM(1)", "-2.5"}
    data = load_results(out)  # read back: the names, as the author wrote them
    assert data.scenarios == names
    assert all(len(data.metrics[n]["operating_days"]) == 3 for n in names)
    assert set(data.bands) == set(names)

    batch = run_batch([load_scenario(BASELINE)], 2, workers=1)
    batch.runs[0].metrics[:, 0] = -2.5  # a negative number stays a number
    write_replications_csv(batch, tmp_path / "neg.csv")
    with (tmp_path / "neg.csv").open(newline="") as fh:
        assert [r[3] for r in list(csv.reader(fh))[1:]] == ["-2.5", "-2.5"]


def test_sweep_text_cells_are_neutralised() -> None:
    from sim.output.sweep_files import _cell

    assert _cell("=x") == "'=x" and _cell(-0.5) == "-0.5" and _cell(None) == ""


# -- 6. bidirectional controls --------------------------------------------------------------------
BIDI = "rtl\u202eevil \u2067x\u2069 \u200fend"


def test_the_report_isolates_bidi_controls(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert invoke("run", variant(tmp_path, "plain"), "-n", 3, "--workers", 1, "--no-plots",
                  "--out", out).exit_code == 0
    summary = json.loads((out / "summary.json").read_text())  # renamed: whatever the loader
    summary["scenarios"] = {BIDI: summary["scenarios"]["plain"]}  # accepts as a name
    (out / "summary.json").write_text(json.dumps(summary))
    page = render_report(out)
    assert BIDI_CONTROLS.search(page)  # the name is kept as its author wrote it...
    outside = re.sub(r"<bdi>[^<\s]*</bdi>", "", page)
    assert not BIDI_CONTROLS.search(outside)  # ...and every control is isolated in a word
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in title.replace("&lt;", "")
    for attrs in re.findall(r"<[a-z]+ ([^>]*)>", page):
        assert not BIDI_CONTROLS.search(attrs)
    assert esc("a\u202eb c") == "<bdi>a\u202eb</bdi> c"
    assert esc("<\u202e>") == "<bdi>&lt;\u202e&gt;</bdi>"


def test_terminal_output_writes_bidi_controls_out(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    out_console.print(BIDI, markup=False)
    assert capsys.readouterr().out == "rtl<U+202E>evil <U+2067>x<U+2069> <U+200F>end\n"
    path = variant(tmp_path, BIDI, "bidi")
    for args in (["validate", path],
                 ["run", path, "-n", 2, "--workers", 1, "--no-plots", "--out",
                  tmp_path / "out"],
                 ["run", BASELINE, "--baseline", BIDI, "-n", 2, "--out", tmp_path / "x"]):
        result = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True,
                                timeout=120)
        text = result.stdout + result.stderr
        assert not BIDI_CONTROLS.search(text), text
        assert "202e" in text.lower(), text  # escaped or named, never dropped silently


# -- 7. memory: a streamed batch keeps its metrics on disk -----------------------------------
def test_a_streamed_batch_reads_its_metrics_from_disk_even_after_finish(tmp_path: Path) -> None:
    """The main process holds indices and seeds, not metrics (benchmarks/bench_memory.py
    measures the peak); the columns stay readable once the parts are removed."""
    from sim.runner.store import StoredRuns, finish

    scenarios = [load_scenario(BASELINE), load_scenario(variant(tmp_path, "second"))]
    streamed = sim.runner.store.run_to_folder(scenarios, 23, tmp_path / "run", seed=6,
                                              chunk_size=5)
    memory = run_batch(scenarios, 23, seed=6, workers=1)
    finish(tmp_path / "run")
    for s, m in zip(streamed.runs, memory.runs, strict=True):
        assert isinstance(s, StoredRuns) and s._metrics is None
        for metric in ("operating_days", "garrison_fall_day", "helicopters_lost"):
            np.testing.assert_array_equal(s.column(metric), m.column(metric))
        np.testing.assert_array_equal(np.array(list(s.iter_metric_rows(block=4))), m.metrics)
        np.testing.assert_array_equal(s.metrics, m.metrics)


def test_stored_runs_with_gaps_read_the_right_rows(tmp_path: Path) -> None:
    """Chunks finished out of order (an interrupted run on several workers) leave gaps."""
    from sim.model.metrics import METRICS
    from sim.runner.store import StoredRuns, _MetricsFile

    width, n = len(METRICS), 50
    values = np.arange(n * width, dtype=float).reshape(n, width)
    store = _MetricsFile(tmp_path / "m.f8", n)
    store.write(0, np.array([0, 1, 3]), values[[0, 1, 3]])
    store.write(40, np.array([0, 2]), values[[40, 42]])
    rows = np.array([0, 1, 3, 40, 42])
    runs = StoredRuns(load_scenario(BASELINE), rows, rows.astype(np.uint64), None, store)
    np.testing.assert_array_equal(runs.metrics, values[rows])
    np.testing.assert_array_equal(np.array(list(runs.iter_metric_rows(block=2))), values[rows])
    np.testing.assert_array_equal(runs.column(METRICS[3]), values[rows, 3])
