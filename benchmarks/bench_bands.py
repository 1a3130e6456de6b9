"""Cost of folding one chunk's daily series into the band accumulator (issue 16).

The parent process does this for every chunk of a streamed batch, on the cores the workers
need. Compares np.add.at (the old code, kept here as the reference) with the bincount the
accumulator uses, on real daily series of each scenario; checks both give the same counts.

    .venv/bin/python benchmarks/bench_bands.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from sim.model.recorder import DAILY
from sim.runner.batch import run_batch
from sim.runner.daily_bands import BandAccumulator
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
N = 100


def add_at(acc: BandAccumulator, daily: np.ndarray) -> None:
    days = np.broadcast_to(np.arange(acc.horizon), daily.shape[::2])
    for k, name in enumerate(DAILY):
        idx = acc.bins[name].index(daily[:, k, :].astype(float))
        np.add.at(acc.counts[name], (days, idx), 1)


def best(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    print(f"{'scenario':<20} {'add.at us/rep':>14} {'bincount us/rep':>16} {'ratio':>6}")
    for name in ("baseline", "may-2015", "campaign-2014-15"):
        scenario = load_scenario(REPO / "scenarios" / f"{name}.yaml")
        daily = run_batch([scenario], N, seed=1, workers=1).runs[0].daily
        old, new = BandAccumulator(scenario), BandAccumulator(scenario)
        add_at(old, daily)
        new.add(daily)
        assert all(np.array_equal(old.counts[s], new.counts[s]) for s in DAILY)
        t_old = best(lambda s=scenario, d=daily: add_at(BandAccumulator(s), d))
        t_new = best(lambda s=scenario, d=daily: BandAccumulator(s).add(d))
        print(f"{name:<20} {t_old / N * 1e6:>14.0f} {t_new / N * 1e6:>16.0f} "
              f"{t_old / t_new:>6.1f}")


if __name__ == "__main__":
    main()
