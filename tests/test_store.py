"""Streaming to disk, interruption and resume, and the Dask engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import finished_parts, run_cli, stop_at_part

from sim.model.recorder import DAILY
from sim.runner.batch import BatchResult, run_batch
from sim.runner.cluster import engine
from sim.runner.daily_bands import bins_for
from sim.runner.store import PARTS, run_to_folder
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.yaml"
AIRDROPS = REPO / "scenarios" / "us-airdrops.yaml"


def same_rows(a: BatchResult, b: BatchResult) -> None:
    assert [r.scenario.name for r in a.runs] == [r.scenario.name for r in b.runs]
    for x, y in zip(a.runs, b.runs, strict=True):
        np.testing.assert_array_equal(x.replication, y.replication)
        np.testing.assert_array_equal(x.seed, y.seed)
        np.testing.assert_array_equal(x.metrics, y.metrics)


def test_streamed_batch_equals_the_in_memory_one(tmp_path: Path) -> None:
    scenarios = [load_scenario(BASELINE), load_scenario(AIRDROPS)]
    memory = run_batch(scenarios, 60, seed=5, workers=1)
    streamed = run_to_folder(scenarios, 60, tmp_path, seed=5, workers=2, chunk_size=7)
    same_rows(memory, streamed)
    for m, s in zip(memory.runs, streamed.runs, strict=True):
        assert s.daily is None
        bins = bins_for(m.scenario)
        for name in DAILY:
            exact, approx = m.bands(name), s.bands(name)
            np.testing.assert_allclose(approx["mean"], exact["mean"], rtol=1e-5, atol=1e-9)
            for q in ("p5", "p50", "p95"):
                # exact for whole-number series; within one bin for the continuous ones
                tol = 0.0 if bins[name].width >= 1 or name == "gov_control" else bins[
                    name].width
                np.testing.assert_allclose(approx[q], exact[q], atol=tol + 1e-9)


def interrupted_after_three_chunks(out: Path) -> BatchResult:
    """50 replications of the baseline (seed 9) in chunks of 5, stopped after three."""
    calls = []

    def stop_after_three(k: int) -> None:
        calls.append(k)
        if len(calls) == 3:
            raise KeyboardInterrupt

    return run_to_folder([load_scenario(BASELINE)], 50, out, seed=9, workers=1, chunk_size=5,
                         progress=stop_after_three)


def test_an_interrupted_batch_resumes_to_the_same_rows(tmp_path: Path) -> None:
    scenarios = [load_scenario(BASELINE)]
    part = interrupted_after_three_chunks(tmp_path)
    assert part.interrupted
    assert len(part.runs[0].seed) == 15  # three chunks of five were kept
    assert len(list((tmp_path / PARTS).glob("*.npz"))) == 3
    whole = run_to_folder([], 0, tmp_path, workers=2, resume=True)
    assert not whole.interrupted
    same_rows(run_batch(scenarios, 50, seed=9, workers=1), whole)


def read(path: Path) -> bytes:
    return path.read_bytes()


def kept_in_parts(parts: Path) -> int:
    """Replications saved in the finished part files of ``parts``."""
    total = 0
    for path in finished_parts(parts):
        with np.load(path) as part:
            total += len(part["ok"]) + len(json.loads(str(part["failures"])))
    return total


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_a_real_signal_keeps_finished_work_and_resume_completes_it(
        tmp_path: Path, sig: signal.Signals) -> None:
    """The signal comes when three parts are saved (see ``conftest.stop_at_part``): the run
    keeps exactly those three (whichever of the two workers finished them) and no other."""
    n = 400  # 11 chunks on 2 workers: 100, 75, 57, ...
    args = ["run", BASELINE, "-n", n, "--seed", 3, "--workers", 2, "--no-plots"]
    stopped = tmp_path / "stopped"
    proc = stop_at_part([*args, "--out", stopped], after=3, sig=sig)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert len(finished_parts(stopped / PARTS)) == 3
    kept = kept_in_parts(stopped / PARTS)
    assert f"interrupted: kept {kept} of {n} replications in {stopped}/" in err
    assert f"--resume {stopped}" in err
    manifest = json.loads((stopped / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert manifest["finished_replications"]["baseline"] == kept
    rows = (stopped / "replications.csv").read_text().splitlines()
    assert len(rows) == kept + 1  # the finished replications are valid results already

    code, _, err = run_cli(["run", "--resume", stopped, "--workers", 1, "--no-plots"])
    assert code == 0, err
    assert not (stopped / PARTS).exists()
    whole = tmp_path / "whole"
    code, _, err = run_cli([*args, "--out", whole])
    assert code == 0, err
    assert read(stopped / "replications.csv") == read(whole / "replications.csv")
    assert read(stopped / "daily_bands.csv") == read(whole / "daily_bands.csv")


def test_resume_needs_an_unfinished_batch(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "sim", "run", "--resume", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "no unfinished batch" in r.stderr


def test_a_dask_cluster_gives_the_same_rows_as_the_process_pool() -> None:
    scenarios = [load_scenario(BASELINE), load_scenario(AIRDROPS)]
    local = run_batch(scenarios, 40, seed=12, workers=2, chunk_size=8)
    with engine(local_dask=True, workers=2) as executor:
        on_dask = run_batch(scenarios, 40, seed=12, chunk_size=8, executor=executor)
    same_rows(local, on_dask)


def test_a_dask_worker_lost_mid_batch_changes_nothing() -> None:
    from dask.distributed import Client, LocalCluster

    scenarios = [load_scenario(BASELINE)]
    expected = run_batch(scenarios, 200, seed=21, workers=1, chunk_size=10)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        done = []

        def progress(k: int) -> None:
            done.append(k)
            if len(done) == 3:  # a few chunks in: kill one worker process outright
                threading.Thread(target=os.kill, args=(pids[0], signal.SIGKILL)).start()

        result = run_batch(scenarios, 200, seed=21, chunk_size=10, progress=progress,
                           executor=client.get_executor())
    assert not result.failures
    same_rows(expected, result)


def test_a_resumed_run_keeps_the_options_it_was_started_with(tmp_path: Path) -> None:
    """--baseline, --no-plots and the command line survive the interruption."""
    out = tmp_path / "run"
    command = ["baiji-sim", "run", str(BASELINE), str(AIRDROPS), "-n", "300", "--seed", "4",
               "--workers", "1", "--baseline", "baseline", "--no-plots", "--out", str(out)]
    proc = stop_at_part(command[1:], after=3, sig=signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert len(finished_parts(out / PARTS)) == 3

    code, _, err = run_cli(["run", "--resume", out, "-n", 7, "--plots"])
    assert code == 2
    assert "-n (this batch: 300)" in err
    assert "--plots/--no-plots (this batch: --no-plots)" in err
    assert "Traceback" not in err
    assert (out / PARTS).exists()  # a refused resume loses nothing

    code, _, err = run_cli(["run", "--resume", out, "--workers", 2])
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["comparisons"]["baseline"] == "baseline"
    assert not (out / "plots").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == command
    assert manifest["resumed_with"] == ["baiji-sim", "run", "--resume", str(out), "--workers", "2"]
    assert manifest["scenario_files"] == {"baseline": str(BASELINE), "us-airdrops": str(AIRDROPS)}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _start_in_own_group(out: Path) -> subprocess.Popen:
    """A run of its own process group (as a shell job or a scheduler's job is), started and
    left waiting once three parts are on disk; its two workers keep running meanwhile."""
    return stop_at_part(["run", BASELINE, "-n", 4000, "--workers", 2, "--no-plots", "--out",
                         out], after=3, start_new_session=True)


def test_a_kill_sent_to_the_whole_process_group_stops_only_the_run(tmp_path: Path) -> None:
    """A scheduler stopping a job signals every process of it. The fork server and the
    workers ignore SIGTERM, so the run shuts its pool down itself: killed with it, they
    left the pool's clean-up waiting forever (in about 1 run in 7)."""
    proc = _start_in_own_group(tmp_path / "run")
    os.killpg(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    deadline = time.time() + 10
    while time.time() < deadline and _group_alive(proc.pid):
        time.sleep(0.05)
    assert not _group_alive(proc.pid), "a fork server or worker outlived the run"


def test_workers_end_when_the_run_is_killed_outright(tmp_path: Path) -> None:
    proc = _start_in_own_group(tmp_path / "run")
    proc.kill()  # SIGKILL to the run alone: no clean-up of its own
    proc.communicate(timeout=60)
    deadline = time.time() + 10
    while time.time() < deadline and _group_alive(proc.pid):
        time.sleep(0.05)
    assert not _group_alive(proc.pid), "workers or the fork server were left behind"


def test_a_run_stopped_while_writing_its_results_keeps_its_parts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import sim.output.plots
    from sim.cli.app import app

    def ctrl_c(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.output.plots, "start_plots", ctrl_c)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(BASELINE), "-n", "30", "--workers", "1",
                                      "--out", str(out)])
    assert result.exit_code == 130
    assert f"interrupted while writing the results in {out}/" in result.output
    assert f"--resume {out}" in result.output
    assert json.loads((out / "manifest.json").read_text())["status"] == "writing results"
    assert len(list((out / PARTS).glob("*.npz"))) > 0  # the batch itself is kept


def test_a_damaged_part_runs_again_on_resume(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    scenarios = [load_scenario(BASELINE)]
    interrupted_after_three_chunks(tmp_path)
    damaged = sorted((tmp_path / PARTS).glob("*.npz"))[1]
    damaged.write_bytes(damaged.read_bytes()[:100])
    with caplog.at_level("WARNING", logger="sim.runner.store"):
        whole = run_to_folder([], 0, tmp_path, workers=1, resume=True)
    assert f"{damaged} is damaged" in caplog.text
    same_rows(run_batch(scenarios, 50, seed=9, workers=1), whole)
