"""The benchmark scripts still run, and their event accounting adds up.

They are not timed here (speed is measured by running them, not by tests): these
checks only catch a script broken by a change to the package it measures.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_bench_replication_splits_every_event_by_kind(tmp_path: Path) -> None:
    bench = load_script("bench_replication")
    out = tmp_path / "bench.json"
    assert bench.main(["scenarios/flights-halted.yaml", "--replications", "4", "--count", "3",
                       "--repeat", "1", "--by-kind", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    (row,) = figures["scenarios"]
    kinds = figures["by_kind"][row["scenario"]]
    # The same seeds are stepped by both counts: every event lands in exactly one kind.
    per_rep = sum(k["events_per_replication"] for k in kinds)
    assert math.isclose(per_rep, row["events_per_replication"], rel_tol=1e-12)
    names = {k["kind"] for k in kinds}
    assert {"end_of_day", "arrive", "(building the replication)", "(result)"} <= names
    assert math.isclose(sum(k["share"] for k in kinds), 1.0, rel_tol=1e-9)
    assert all(k["ratio"] is None or k["ratio"] > 0 for k in kinds)


def test_bench_mm1_matches_the_event_count_of_a_replication(tmp_path: Path) -> None:
    """The textbook M/M/1 runs as many events a replication as the scenario (within the 1%
    of its calibration), counted as run(until=) processes them, and the ratio is reported."""
    bench = load_script("bench_mm1")
    out = tmp_path / "mm1.json"
    assert bench.main(["scenarios/flights-halted.yaml", "--replications", "6", "--count", "6",
                       "--repeat", "1", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    model, mm1 = figures["model_events_per_replication"], figures["mm1_events_per_replication"]
    assert abs(mm1 / model - 1) < 0.011, (model, mm1)
    assert figures["ratio"] > 0 and figures["ratio_per_event"] > 0
    env, _ = bench.mm1(3, figures["mm1_horizon"])
    steps = 0
    step = env.step

    def counted() -> None:
        nonlocal steps
        steps += 1
        step()

    env.step = counted  # run() steps through the instance: every event, its stop included
    env.run(until=figures["mm1_horizon"])
    assert steps == bench.count_mm1(3, figures["mm1_horizon"])
