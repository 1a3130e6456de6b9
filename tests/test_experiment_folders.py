"""Sweeps and sensitivity analyses own their --out as runs do (issue 14's remainder), and
stream and resume through the one runner (issue 13)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import sim.runner.batch
from sim.cli.app import app
from sim.runner.store import PARTS

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.yaml"
SWEEP = ["sweep", str(BASELINE), "--param", "garrison.supplies_days", "--values", "10,20",
         "-n", "2", "--workers", "1", "--set", "horizon_days=20"]
runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def test_a_second_sweep_into_the_same_folder_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    assert invoke(*SWEEP, "--out", out).exit_code == 0
    before = (out / "sweep.json").read_bytes()
    other = [*SWEEP[:5], "10,30", *SWEEP[6:]]
    again = invoke(*other, "--out", out)
    assert again.exit_code == 2
    assert "earlier sweep" in one_line(again.stderr) and "--force" in again.stderr
    assert (out / "sweep.json").read_bytes() == before  # nothing lost
    forced = invoke(*other, "--out", out, "--force")
    assert forced.exit_code == 0, forced.output
    assert (out / "sweep.json").read_bytes() != before
    assert not (out / PARTS).exists()  # a finished sweep keeps no parts


def test_a_sweep_never_clears_an_unfinished_run(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "run"
    calls = []
    original = sim.runner.batch.iter_chunk_results

    def stop_after_one(*args, **kwargs):
        for result in original(*args, **kwargs):
            calls.append(1)
            yield result
            if len(calls) == 1:
                raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", stop_after_one)
    stopped = invoke("run", BASELINE, "-n", 40, "--workers", 1, "--no-plots", "--out", out)
    assert stopped.exit_code == 130
    monkeypatch.undo()
    parts = sorted(p.name for p in (out / PARTS).iterdir())
    for force in ([], ["--force"]):
        refused = invoke(*SWEEP, "--out", out, *force)
        assert refused.exit_code == 2
        line = one_line(refused.stderr)
        assert "unfinished run" in line and f"baiji-sim run --resume {out}" in line
    assert sorted(p.name for p in (out / PARTS).iterdir()) == parts


def test_resume_takes_its_definition_from_the_folder(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "sw"
    original = sim.runner.batch.iter_chunk_results

    def stop_at_once(*args, **kwargs):
        yield from ()
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", stop_at_once)
    stopped = invoke(*SWEEP, "--out", out, "--threshold", "garrison_held=0.5")
    assert stopped.exit_code == 130
    assert f"baiji-sim sweep --resume {out}" in stopped.stderr
    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", original)
    wrong = invoke("sweep", BASELINE, "--resume", out)
    assert wrong.exit_code == 2 and "drop: SCENARIO" in one_line(wrong.stderr)
    not_a_run = invoke("run", "--resume", out)
    assert not_a_run.exit_code == 2
    assert "unfinished sweep, not a run" in one_line(not_a_run.stderr)
    done = invoke("sweep", "--resume", out, "--workers", 2)
    assert done.exit_code == 0, done.output
    assert "threshold: garrison_held" in done.stdout  # the kept --threshold applies
    assert not (out / PARTS).exists()


def test_sensitivity_owns_its_folder_and_resumes(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "sens"
    args = ["sensitivity", BASELINE, "--metric", "min_supply_days", "--trajectories", 2,
            "-n", 2, "--workers", 1, "--set", "horizon_days=20", "--out", out]
    original = sim.runner.batch.iter_chunk_results

    def stop_at_once(*a, **k):
        yield from ()
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", stop_at_once)
    assert invoke(*args).exit_code == 130
    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", original)
    refused = invoke(*args)
    assert refused.exit_code == 2 and "unfinished sensitivity" in one_line(refused.stderr)
    done = invoke("sensitivity", "--resume", out)
    assert done.exit_code == 0, done.output
    assert (out / "sensitivity.json").exists() and not (out / PARTS).exists()
    assert invoke(*args).exit_code == 2  # an earlier analysis: --force to replace it


def test_a_run_until_precise_streams_its_blocks_and_resumes_to_the_same_numbers(
        tmp_path: Path, monkeypatch) -> None:
    """Issue 13: every long job streams and resumes, --precision included (its blocks
    stream to parts/bNNN/; the stopping rule, kept in the folder, decides the same blocks
    again)."""
    import json

    args = ["run", BASELINE, "-n", 20, "--precision", 0.01, "--precision-metric",
            "supplies_delivered_t", "--max-replications", 160, "--workers", 1, "--no-plots",
            "--set", "horizon_days=30"]
    whole = tmp_path / "whole"
    assert invoke(*args, "--out", whole).exit_code == 0
    out = tmp_path / "stopped"
    calls = []
    original = sim.runner.batch.iter_chunk_results

    def stop_after_three(*a, **k):
        for result in original(*a, **k):
            calls.append(1)
            yield result
            if len(calls) == 3:
                raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", stop_after_three)
    stopped = invoke(*args, "--out", out)
    assert stopped.exit_code == 130, stopped.output
    assert f"baiji-sim run --resume {out}" in stopped.stderr
    monkeypatch.setattr(sim.runner.batch, "iter_chunk_results", original)
    # Stopped in the third block: the first two (20 replications each) are a chunk each,
    # the third (40) two chunks, of which one ran.
    assert sorted(p.name for p in (out / PARTS).iterdir() if p.is_dir()) == [
        "b000000000", "b000000020", "b000000040"]
    again = invoke("run", "--resume", out, "--precision", 0.5)
    assert again.exit_code == 2 and "--precision" in one_line(again.stderr)
    done = invoke("run", "--resume", out)
    assert done.exit_code == 0, done.output
    assert not (out / PARTS).exists()
    assert (out / "replications.csv").read_bytes() == (whole / "replications.csv").read_bytes()
    stopping = json.loads((out / "summary.json").read_text())["stopping"]
    assert stopping == json.loads((whole / "summary.json").read_text())["stopping"]
    assert stopping["scenarios"]["baseline"]["replications"] > 40  # several blocks ran
