"""Experiment overhead (issue 16): runs per second of each experiment against plain batches
of the same model runs on the same worker pool.

A sweep, a sensitivity design (Morris, Sobol) and a run until precise all go through the one
runner (sim.runner.batch.run_batch); what they add is building their points and analysing
the results. The goal is a ratio of at least 0.90 (90% of the plain batch's throughput).
Each experiment is set against two plain batches, all three run in turn (a triple), --repeat
times:

- **the same scenarios**: the experiment's own points, built beforehand (not timed) and run
  as a plain batch with the same replications each: the model's work is the same, so the
  ratio is the experiment's overhead;
- **the base scenario** as many times: what issue 16 named, which also counts the model's
  own work at the points' parameter values (a Morris point at the end of a range can run a
  siege a quarter longer than the base).

The experiments run at the command line's defaults of replications a point (sensitivity 20,
a sweep 200), so that what is timed is what a user runs, and their batches last several
seconds, so that the ratios are resolved. Rates are the best of the passes; ``pairs`` is the
range of the triples' own ratios (same scenarios); CPU is of all the processes (this one and
the pool's workers) per model run, and ``CPU ratio`` the median over the triples of the
plain batch's CPU per run over the experiment's: on a shared, loaded machine wall-clock rates
move by tens of percent between passes, CPU time less.

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
from sim.analysis.sweep import run_sweep, sweep_scenarios
from sim.runner.batch import run_batch
from sim.runner.pool import shared_pool
from sim.scenario.loading import load_scenario
from sim.scenario.provenance import scenario_leaves
from sim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parent.parent
EXPERIMENTS = ("sweep", "morris", "sobol", "precision")
SWEEP_REPLICATIONS = 200  # baiji-sim sweep's default -n
DESIGN_REPLICATIONS = 20  # baiji-sim sensitivity's default -n


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
    leaves = scenario_leaves(base)
    grid = [("air_defence.improved_hit_prob", [0.0, 0.05, 0.1, 0.2, 0.3]),
            ("garrison.supplies_days", [20, 40, 60, 80])]
    designs = {"morris": {"trajectories": 10}, "sobol": {"sobol_n": 16}}

    def plain(scenarios: list[Scenario], each: int, daily: bool = False) -> Callable[[], int]:
        def go() -> int:  # daily: what the experiment keeps (only a precision run: daily series)
            run_batch(scenarios, each, seed=1, workers=w, daily=daily)
            return each * len(scenarios)
        return go

    def design_points(method: str) -> list[Scenario]:
        design = sensitivity_design(base, "garrison_held", method, **designs[method])
        return design_scenarios(base, Path("x"), design.names, design.design,
                                [isinstance(leaves[n], int) for n in design.names])[0]

    def sweep() -> int:
        result = run_sweep(base, grid, SWEEP_REPLICATIONS, seed=1, workers=w)
        return sum(len(r.seed) for r in result.batch.runs)

    def design(method: str) -> int:
        return run_sensitivity(base, "garrison_held", method, replications=DESIGN_REPLICATIONS,
                               workers=w, **designs[method]).model_runs

    def precise() -> int:
        batch, _ = run_until_precise([base], ["garrison_held"], 1e-9, 8000, abs_precision=1e-9,
                                     initial=1000, seed=1, workers=w)
        return sum(len(r.seed) for r in batch.runs)

    experiments = {  # name: (experiment, its scenarios, replications of each, daily series)
        "sweep": (sweep, lambda: sweep_scenarios(base, grid)[1], SWEEP_REPLICATIONS, False),
        "morris": (partial(design, "morris"), partial(design_points, "morris"),
                   DESIGN_REPLICATIONS, False),
        "sobol": (partial(design, "sobol"), partial(design_points, "sobol"),
                  DESIGN_REPLICATIONS, False),
        "precision": (precise, lambda: [base], None, True),
    }
    print(f"{'experiment':<12} {'model runs':>10} {'runs/s':>8} {'same runs/s':>12} "
          f"{'ratio':>6} {'pairs':>11} {'base runs/s':>12} {'ratio':>6} {'CPU ms/run':>10} "
          f"{'same CPU':>9} {'CPU ratio':>9}")
    for name, (fn, scenarios_of, each, daily) in experiments.items():
        if name not in args.only:
            continue
        scenarios = scenarios_of()
        passes = []
        for _ in range(args.repeat):  # the experiment and its two plain batches in turn
            seconds, cpu, runs = timed(fn, pool)
            same = timed(plain(scenarios, each or runs, daily), pool)
            base_pass = timed(plain([base], runs, daily), pool)
            passes.append((seconds, cpu, same[0], same[1], base_pass[0]))
        best = [min(p[k] for p in passes) for k in range(5)]
        pairs = sorted(p[2] / p[0] for p in passes)
        cpu_pairs = [p[3] / p[1] for p in passes]
        print(f"{name:<12} {runs:>10,} {runs / best[0]:>8.0f} {runs / best[2]:>12.0f} "
              f"{best[2] / best[0]:>6.2f} {f'{pairs[0]:.2f}-{pairs[-1]:.2f}':>11} "
              f"{runs / best[4]:>12.0f} {best[4] / best[0]:>6.2f} "
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
