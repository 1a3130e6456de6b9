"""Run until precise enough: replications in growing blocks, stopping per scenario.

After each block, every scenario whose chosen metrics all have a 95% interval
narrower than asked (relative half-width ``precision`` x |mean|, or for shares
an absolute half-width if given) stops; the others get the next block. Blocks
double (initial, initial, 2x, 4x ...) up to ``max_replications``. The schedule
depends only on the results, and replication i always has the same seed, so
the same seed gives the same stopping point and the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from sim.analysis.estimates import (
    BINARY_METRICS,
    TIME_TO_EVENT,
    censored,
    describe,
    mean_interval,
)
from sim.model.metrics import METRICS
from sim.runner.batch import BatchResult, ScenarioRuns, Sink, merge, run_batch
from sim.scenario.schema import Scenario


@dataclass
class StoppingReport:
    """Why each scenario stopped where it did."""

    precision: float
    abs_precision: float | None
    metrics: list[str]
    max_replications: int
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"precision": self.precision, "abs_precision": self.abs_precision,
                "metrics": self.metrics, "max_replications": self.max_replications,
                "scenarios": self.scenarios}


def half_width(batch_runs: ScenarioRuns, metric: str) -> tuple[float, float, bool]:
    """(mean, half-width of the 95% CI, is_share) of a metric; event days as min(T, horizon)."""
    values = batch_runs.column(metric)
    if metric in TIME_TO_EVENT:
        mean, lo, hi = mean_interval(censored(values, batch_runs.scenario.horizon_days))
        return mean, (hi - lo) / 2, False
    entry = describe(values, binary=metric in BINARY_METRICS)
    lo, hi = entry["ci95"]
    if lo is None or hi is None:
        return entry["mean"] or 0.0, math.inf, metric in BINARY_METRICS
    return entry["mean"], (hi - lo) / 2, metric in BINARY_METRICS


def precise_enough(mean: float, half: float, is_share: bool, precision: float,
                   abs_precision: float | None) -> bool:
    if is_share and abs_precision is not None:
        return half <= abs_precision
    if mean == 0.0:
        return half == 0.0
    return half <= precision * abs(mean)


def run_until_precise(
    scenarios: Sequence[Scenario],
    metrics: Sequence[str],
    precision: float,
    max_replications: int,
    *,
    abs_precision: float | None = None,
    initial: int = 100,
    seed: int = 1,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    executor: Executor | None = None,
    sink_for: Callable[[list[Scenario], int, int], Sink] | None = None,
) -> tuple[BatchResult, StoppingReport]:
    """See the module docstring. ``sink_for(scenarios, start, replications)`` gives each
    block's sink (a folder, for a run that streams and resumes); by default, memory."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {', '.join(METRICS)}")
    if precision <= 0 or initial < 2 or max_replications < initial:
        raise ValueError("need precision > 0, initial >= 2 and max_replications >= initial")
    report = StoppingReport(precision, abs_precision, list(metrics), max_replications)
    def block_of(specs: list[Scenario], start: int, n: int) -> BatchResult:
        sink = sink_for(specs, start, n) if sink_for is not None else None
        return run_batch(specs, n, seed=seed, workers=workers, progress=progress,
                         start=start, executor=executor, sink=sink)

    batch = block_of(list(scenarios), 0, initial)
    done = initial
    active = list(scenarios)
    while True:
        still = []
        for spec in active:
            runs = batch.by_name(spec.name)
            widths = {m: half_width(runs, m) for m in metrics}
            ok = all(precise_enough(mean, half, share, precision, abs_precision)
                     for mean, half, share in widths.values())
            report.scenarios[spec.name] = {
                "replications": len(runs.seed),
                "stopped": "precise enough" if ok else (
                    "max replications reached" if done >= max_replications else "running"),
                "half_widths": {m: {"mean": w[0], "half_width": w[1]} for m, w in widths.items()},
            }
            if not ok and done < max_replications:
                still.append(spec)
        if not still or batch.interrupted:
            return batch, report
        block = min(done, max_replications - done)
        more = block_of(still, done, block)
        batch = merge(batch, more)
        done += block
        active = still
