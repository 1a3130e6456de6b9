"""Experiment overhead (issue 16): runs per second of each experiment against a plain batch
of the same scenario, the same number of model runs and the same worker pool.

A sweep, a sensitivity design (Morris, Sobol) and a run until precise all go through the one
runner (sim.runner.batch.run_batch); what they add is building their points and analysing
the results. The goal is a ratio of at least 0.90 (90% of the plain batch's throughput).
Each figure is the best of --repeat passes; all are measured in one run, on one pool, with
the experiments and the plain batch interleaved so that load changes hit both. Beside the
throughput, the CPU time of all the processes (this one and the pool's workers) per model
run, and its ratio (plain / experiment): on a shared, loaded machine wall-clock rates move by
tens of percent between passes, CPU time much less.

    .venv/bin/python benchmarks/bench_experiments.py [--workers 2] [--repeat 3] [--only sobol]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

from sim.analysis.sensitivity import run_sensitivity
from sim.analysis.sequential import run_until_precise
from sim.analysis.sweep import run_sweep
from sim.runner.batch import run_batch
from sim.runner.pool import shared_pool
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
EXPERIMENTS = ("sweep", "morris", "sobol", "precision")


def cpu_seconds(pool: object) -> float:
    """CPU time so far of this process and of the pool's worker processes (Linux: their
    /proc/PID/stat), which a loaded machine moves much less than wall time."""
    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for pid in getattr(pool, "_processes", {}) or {}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def timed(fn: Callable[[], int], repeat: int, pool: object) -> tuple[float, float, int]:
    """(best seconds, least CPU seconds of all processes, model runs) over ``repeat``
    passes."""
    best, best_cpu, runs = float("inf"), float("inf"), 0
    for _ in range(repeat):
        t, c = time.perf_counter(), cpu_seconds(pool)
        runs = fn()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, cpu_seconds(pool) - c)
    return best, best_cpu, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=EXPERIMENTS, default=list(EXPERIMENTS),
                        help="measure only these experiments")
    args = parser.parse_args()
    w = args.workers
    base = load_scenario(REPO / "scenarios" / "baseline.yaml")
    pool = shared_pool(w)  # started once, as in one CLI command
    run_batch([base], 4 * w, seed=1, workers=w, daily=False)  # every worker started

    def plain(runs: int) -> Callable[[], int]:
        def go() -> int:
            run_batch([base], runs, seed=1, workers=w, daily=False)
            return runs
        return go

    def sweep() -> int:
        grid = [("air_defence.improved_hit_prob", [0.0, 0.05, 0.1, 0.2, 0.3]),
                ("garrison.supplies_days", [20, 40, 60, 80])]
        result = run_sweep(base, grid, 100, seed=1, workers=w)
        return sum(len(r.seed) for r in result.batch.runs)

    def morris() -> int:
        return run_sensitivity(base, "garrison_held", "morris", trajectories=6,
                               replications=10, workers=w).model_runs

    def sobol() -> int:
        return run_sensitivity(base, "garrison_held", "sobol", sobol_n=16,
                               replications=4, workers=w).model_runs

    def precise() -> int:
        batch, _ = run_until_precise([base], ["garrison_held"], 1e-9, 2000, abs_precision=1e-9,
                                     initial=250, seed=1, workers=w)
        return sum(len(r.seed) for r in batch.runs)

    print(f"{'experiment':<12} {'model runs':>10} {'runs/s':>8} {'plain runs/s':>13} "
          f"{'ratio':>6} {'CPU ms/run':>10} {'plain CPU':>9} {'CPU ratio':>9}")
    for name, fn in (("sweep", sweep), ("morris", morris), ("sobol", sobol),
                     ("precision", precise)):
        if name not in args.only:
            continue
        seconds, cpu, runs = timed(fn, args.repeat, pool)
        plain_seconds, plain_cpu, _ = timed(plain(runs), args.repeat, pool)
        rate, plain_rate = runs / seconds, runs / plain_seconds
        print(f"{name:<12} {runs:>10,} {rate:>8.0f} {plain_rate:>13.0f} "
              f"{rate / plain_rate:>6.2f} {cpu / runs * 1e3:>10.3f} "
              f"{plain_cpu / runs * 1e3:>9.3f} {plain_cpu / cpu:>9.2f}")


if __name__ == "__main__":
    main()
