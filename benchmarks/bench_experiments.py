"""Experiment overhead (issue 16): runs per second of each experiment against a plain batch
of the same scenario, the same number of model runs and the same worker pool.

A sweep, a sensitivity design (Morris, Sobol) and a run until precise all go through the one
runner (sim.runner.batch.run_batch); what they add is building their points and analysing
the results. The goal is a ratio of at least 0.90 (90% of the plain batch's throughput).
Each experiment runs --repeat times, each time followed by its plain batch (a pair); the
rates are the best of the passes, ``ratio`` the ratio of the best rates and ``pairs`` the
range of the pairs' own ratios. Beside them, the least CPU time of all the processes (this
one and the pool's workers) per model run, and the median over the pairs of its ratio
(plain / experiment): on a shared, loaded machine, wall-clock rates move by tens of percent
between passes, CPU time less.

    .venv/bin/python benchmarks/bench_experiments.py [--workers 2] [--repeat 3] [--only sobol]
        [--one-process]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sim.analysis.sensitivity import design_scenarios, run_sensitivity, sensitivity_design
from sim.analysis.sequential import run_until_precise
from sim.analysis.sweep import run_sweep
from sim.runner.batch import run_batch
from sim.runner.pool import shared_pool
from sim.scenario.loading import load_scenario
from sim.scenario.provenance import scenario_leaves
from sim.scenario.schema import Scenario

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


def timed(fn: Callable[[], int], pool: object) -> tuple[float, float, int]:
    """(seconds, CPU seconds of all processes, model runs) of one pass."""
    t, c = time.perf_counter(), cpu_seconds(pool)
    runs = fn()
    return time.perf_counter() - t, cpu_seconds(pool) - c, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=EXPERIMENTS, default=list(EXPERIMENTS),
                        help="measure only these experiments")
    parser.add_argument("--one-process", action="store_true",
                        help="also the designs in this process alone: CPU per model run of "
                        "the design, of its points built beforehand, and of the base")
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
          f"{'ratio':>6} {'pairs':>11} {'CPU ms/run':>10} {'plain CPU':>9} {'CPU ratio':>9}")
    for name, fn in (("sweep", sweep), ("morris", morris), ("sobol", sobol),
                     ("precision", precise)):
        if name not in args.only:
            continue
        passes = []
        for _ in range(args.repeat):  # experiment and plain batch in turn: pairs
            seconds, cpu, runs = timed(fn, pool)
            passes.append((seconds, cpu, *timed(plain(runs), pool)[:2]))
        best = [min(p[k] for p in passes) for k in range(4)]
        pairs = sorted(p[2] / p[0] for p in passes)
        cpu_pairs = [p[3] / p[1] for p in passes]
        print(f"{name:<12} {runs:>10,} {runs / best[0]:>8.0f} {runs / best[2]:>13.0f} "
              f"{best[2] / best[0]:>6.2f} {f'{pairs[0]:.2f}-{pairs[-1]:.2f}':>11} "
              f"{best[1] / runs * 1e3:>10.3f} {best[3] / runs * 1e3:>9.3f} "
              f"{statistics.median(cpu_pairs):>9.2f}")
    if args.one_process:
        one_process(base, args.repeat)


def one_process(base: Scenario, repeat: int) -> None:
    """Where a design's extra time goes, in one process (CPU time, least of ``repeat``
    alternating passes): the design as run (points built from their settings where they
    run), the same points built beforehand and run as plain scenarios (the model's own cost
    at the design's parameter values), and the base scenario as many times."""
    leaves = scenario_leaves(base)
    print(f"\n{'design':<8} {'model runs':>10} {'design':>8} {'prebuilt':>9} {'base':>7} "
          f"{'prebuilt/design':>15} {'base/prebuilt':>13}   (CPU ms a model run)")
    for method, settings, reps in (("morris", {"trajectories": 6}, 10),
                                   ("sobol", {"sobol_n": 16}, 4)):
        design = sensitivity_design(base, "garrison_held", method, **settings)
        points, _ = design_scenarios(base, Path("x"), design.names, design.design,
                                     [isinstance(leaves[n], int) for n in design.names])
        n = len(points) * reps
        best = [float("inf")] * 3
        for _ in range(repeat):
            for k, fn in enumerate((
                    partial(run_sensitivity, base, "garrison_held", method,
                            replications=reps, workers=1, **settings),
                    partial(run_batch, points, reps, seed=1, workers=1, daily=False),
                    partial(run_batch, [base], n, seed=1, workers=1, daily=False))):
                c = time.process_time()
                fn()
                best[k] = min(best[k], time.process_time() - c)
        d, p, b = (x / n * 1e3 for x in best)
        print(f"{method:<8} {n:>10,} {d:>8.3f} {p:>9.3f} {b:>7.3f} {p / d:>15.2f} {b / p:>13.2f}")


if __name__ == "__main__":
    main()
