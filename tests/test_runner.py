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
