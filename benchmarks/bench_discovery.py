"""Scenario discovery's throughput (issue 18): model runs per second of a discovery design
against a plain batch of the same scenario, the same number of model runs and the same pool.

A discovery runs its Latin hypercube's points through the one runner; what it adds is
building the points (one validated variant each) and the rule finding (PRIM and CART on the
points' outcomes). Three rates: the plain batch, the design's points as one batch (the model
runs of the design), and the whole discovery (points built, run, PRIM and CART), interleaved
so that load changes hit all three; each figure is the best of --repeat passes.

    .venv/bin/python benchmarks/bench_discovery.py [--workers 2] [--repeat 3]
        [--scenario scenarios/campaign-2014-15.yaml] [--points 128] [--replications 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.analysis.discovery import run_discovery
from sim.analysis.discovery_design import discovery_design
from sim.runner.batch import run_batch
from sim.runner.pool import shared_pool
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
GOAL = "refinery_ran >= 0.5"


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", default=str(REPO / "scenarios" / "campaign-2014-15.yaml"))
    parser.add_argument("--points", type=int, default=128)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args(argv)
    w = args.workers
    base = load_scenario(args.scenario, args.overrides)
    shared_pool(w)  # started once, as in one CLI command
    runs = args.points * args.replications
    best = {k: float("inf") for k in ("discovery", "design", "batch", "plain")}
    for _ in range(args.repeat):
        t = time.perf_counter()
        design = discovery_design(base, args.points)
        best["design"] = min(best["design"], time.perf_counter() - t)
        t = time.perf_counter()
        run_batch(design.scenarios, args.replications, seed=1, workers=w, daily=False)
        best["batch"] = min(best["batch"], time.perf_counter() - t)
        t = time.perf_counter()
        run_discovery(base, GOAL, points=args.points, replications=args.replications,
                      workers=w)
        best["discovery"] = min(best["discovery"], time.perf_counter() - t)
        t = time.perf_counter()
        run_batch([base], runs, seed=1, workers=w, daily=False)
        best["plain"] = min(best["plain"], time.perf_counter() - t)
    plain = runs / best["plain"]
    print(f"{base.name}: {args.points} points x {args.replications} replications = {runs:,} "
          f"model runs, {w} workers, best of {args.repeat}")
    print(f"{'':<34} {'seconds':>8} {'runs/s':>8} {'ratio':>6}")
    for label, key in (("plain batch of the scenario", "plain"),
                       ("the design's points (one batch)", "batch"),
                       ("whole discovery (with PRIM, CART)", "discovery")):
        rate = runs / best[key]
        print(f"{label:<34} {best[key]:>8.2f} {rate:>8.0f} {rate / plain:>6.2f}")
    print(f"{'building the points':<34} {best['design']:>8.2f}")
    return {"plain_runs_per_second": plain, "design_runs_per_second": runs / best["batch"],
            "discovery_runs_per_second": runs / best["discovery"],
            "design_seconds": best["design"]}

if __name__ == "__main__":
    main()
