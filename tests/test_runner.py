"""The one runner (issue 13): every sink gives the same rows; replication 0's event log
is kept as it ran, not re-run; experiments may drop the daily series at the source."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.model.metrics import METRICS
from sim.model.replication import run_replication
from sim.runner.batch import run_batch
from sim.runner.chunks import TRACED
from sim.runner.store import run_to_folder
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
GROUND = REPO / "scenarios" / "ground-campaign.yaml"
BASELINE = REPO / "scenarios" / "baseline.yaml"


def test_replication_0_is_traced_by_the_runner_and_tracing_changes_no_number(
        tmp_path: Path) -> None:
    scenarios = [load_scenario(GROUND), load_scenario(BASELINE)]
    memory = run_batch(scenarios, 12, seed=4, workers=1, chunk_size=5)
    folder = run_to_folder(scenarios, 12, tmp_path / "out", seed=4, workers=2, chunk_size=5)
    for mem, streamed in zip(memory.runs, folder.runs, strict=True):
        assert mem.replication[0] == TRACED
        seed = int(mem.seed[0])
        traced = run_replication(mem.scenario, seed, trace=True)
        plain = run_replication(mem.scenario, seed)
        assert [e.text for e in traced.trace] and mem.trace is not None
        assert mem.trace == [(e.time, e.kind, e.text) for e in traced.trace]
        assert streamed.trace == mem.trace
        # The traced replication's numbers are those of an untraced run.
        np.testing.assert_array_equal(mem.metrics[0], [plain.metrics[m] for m in METRICS])
        np.testing.assert_array_equal(streamed.metrics, mem.metrics)


def test_a_resumed_folder_keeps_the_trace_of_its_first_attempt(tmp_path: Path) -> None:
    scenarios = [load_scenario(BASELINE)]
    calls = []

    def stop_after_two(k: int) -> None:
        calls.append(k)
        if len(calls) == 2:
            raise KeyboardInterrupt

    out = tmp_path / "out"
    first = run_to_folder(scenarios, 30, out, seed=2, chunk_size=5, progress=stop_after_two)
    assert first.interrupted and first.runs[0].trace is not None
    resumed = run_to_folder(scenarios, 30, out, resume=True)
    assert not resumed.interrupted
    assert resumed.runs[0].trace == first.runs[0].trace


def test_daily_false_drops_the_series_and_keeps_every_metric(tmp_path: Path) -> None:
    scenarios = [load_scenario(BASELINE)]
    full = run_batch(scenarios, 20, seed=3, workers=1, chunk_size=6)
    lean = run_batch(scenarios, 20, seed=3, workers=2, chunk_size=6, daily=False)
    streamed = run_to_folder(scenarios, 20, tmp_path / "o", seed=3, chunk_size=6, daily=False)
    np.testing.assert_array_equal(lean.runs[0].metrics, full.runs[0].metrics)
    np.testing.assert_array_equal(streamed.runs[0].metrics, full.runs[0].metrics)
    assert lean.runs[0].daily is None and not lean.runs[0].has_daily
    assert not streamed.runs[0].has_daily
    assert full.runs[0].has_daily


def _stop_after(n: int):
    calls = []

    def progress(*_: int) -> None:
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt

    return progress


def test_a_stopped_sweep_resumes_to_the_uninterrupted_numbers(tmp_path: Path) -> None:
    from sim.analysis.sweep import resume_sweep, run_sweep

    base = load_scenario(BASELINE, ["horizon_days=40"])
    grid = [("air_defence.improved_hit_prob", [0.0, 0.1, 0.3])]
    whole = run_sweep(base, grid, 30, seed=6, workers=1)
    out = tmp_path / "sweep"
    stopped = run_sweep(base, grid, 30, seed=6, workers=1, out=out, progress=_stop_after(2),
                        options={"threshold": "garrison_held=0.5"})
    assert stopped.batch.interrupted
    resumed, kept = resume_sweep(out, workers=2)
    assert not resumed.batch.interrupted and kept["threshold"] == "garrison_held=0.5"
    assert resumed.grid == whole.grid
    for a, b in zip(resumed.batch.runs, whole.batch.runs, strict=True):
        assert a.scenario.name == b.scenario.name
        np.testing.assert_array_equal(a.metrics, b.metrics)


def test_a_stopped_sensitivity_analysis_resumes_to_the_same_indices(tmp_path: Path) -> None:
    from sim.analysis.sensitivity import resume_sensitivity, run_sensitivity

    base = load_scenario(BASELINE, ["horizon_days=40"])
    settings = {"trajectories": 2, "replications": 3, "seed": 2, "workers": 1}
    whole = run_sensitivity(base, "min_supply_days", **settings)
    out = tmp_path / "sens"
    try:
        run_sensitivity(base, "min_supply_days", **settings, out=out,
                        progress=_stop_after(3))
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the analysis was not stopped")
    assert (out / "parts" / "batch.json").exists()
    resumed = resume_sensitivity(out, workers=2)
    np.testing.assert_array_equal(resumed.outputs, whole.outputs)
    assert resumed.indices == whole.indices


def test_an_experiment_folder_keeps_its_definition_not_thousands_of_scenarios(
        tmp_path: Path) -> None:
    """A design's batch.json holds the base scenario and the settings, and the points'
    names: not one resolved scenario per point (a Sobol design has thousands)."""
    import json

    from sim.analysis.sweep import run_sweep

    out = tmp_path / "sweep"
    run_sweep(load_scenario(BASELINE, ["horizon_days=20"]),
              [("garrison.supplies_days", list(range(1, 21)))], 2, workers=1, out=out,
              progress=_stop_after(1))
    described = json.loads((out / "parts" / "batch.json").read_text())
    assert described["kind"] == "sweep" and "scenarios" not in described
    assert len(described["scenario_names"]) == 20
    assert described["options"]["base"]["name"] == "baseline"


def test_chunks_cover_the_batch_and_no_remainder_is_left_small() -> None:
    """Every replication in exactly one chunk, none over 150, and none under 16 unless the
    scenario has fewer: a point of 20 replications is one chunk (built once in its worker)."""
    from sim.runner.chunks import chunk_sizes

    for workers in (1, 2, 3, 8):
        for n in range(1, 2000):
            sizes = chunk_sizes(n, workers)
            assert sum(sizes) == n and max(sizes) <= 150, (n, workers, sizes)
            assert min(sizes) >= min(16, n), (n, workers, sizes)
    assert chunk_sizes(20, 2) == [20]
