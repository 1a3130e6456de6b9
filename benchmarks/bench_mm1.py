"""A replication of the model against a textbook SimPy M/M/1 queue of the same number of events.

Why this exists: issue 16 asks how the model's speed compares with an ordinary SimPy model, in
the same run. The reference is the M/M/1 queue as SimPy's documentation writes models: a
source process that waits an exponential gap and starts a customer process; the customer
requests a ``simpy.Resource`` of capacity 1 (``with server.request() as req: yield req``),
holds it for an exponential service time, and records its wait in a list; gaps and service
times from the standard library's ``random.Random`` (arrival rate 0.9, service rate 1: a busy
server, a queue of about 8). Each M/M/1 replication builds its environment, runs until a
fixed simulated time and returns its mean wait, as a model's replication builds its world,
runs and returns its metrics.

The script

1. counts the events of a replication of the scenario (stepping ``Replication.env``, as
   ``bench_replication.py`` does) over ``--count`` seeds;
2. chooses the M/M/1's horizon so that its replications process the same mean number of
   events over the counted seeds (counting passes, the horizon scaled until within 1%);
3. times ``--replications`` replications of each, alternating model and M/M/1 passes,
   best of ``--repeat`` (wall clock and CPU), in this one interpreter.

``ratio`` is the model's time per replication over the M/M/1's: below 1, a replication of
the model costs less than a textbook SimPy model of as many events. ``ratio/ev`` divides
each by its own events per replication (the same to within the calibration).

    .venv/bin/python benchmarks/bench_mm1.py                       # may-2015, the default
    .venv/bin/python benchmarks/bench_mm1.py scenarios/baseline.yaml --replications 300

A benchmark, not a test: absolute times depend on the machine; compare the ratio.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Generator, Sequence
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_replication import count_events, environment, time_replications

from sim.rng import replication_seeds
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
ARRIVAL_RATE, SERVICE_RATE = 0.9, 1.0
TRIAL_HORIZON = 1000.0


# -- the textbook model ------------------------------------------------------------------
def source(env: simpy.Environment, server: simpy.Resource, rng: random.Random,
           waits: list[float]) -> Generator[simpy.Event, None, None]:
    while True:
        yield env.timeout(rng.expovariate(ARRIVAL_RATE))
        env.process(customer(env, server, rng, waits))


def customer(env: simpy.Environment, server: simpy.Resource, rng: random.Random,
             waits: list[float]) -> Generator[simpy.Event, None, None]:
    arrive = env.now
    with server.request() as req:
        yield req
        waits.append(env.now - arrive)
        yield env.timeout(rng.expovariate(SERVICE_RATE))


def mm1(seed: int, horizon: float) -> tuple[simpy.Environment, list[float]]:
    """An M/M/1 replication, built and ready to run until ``horizon``."""
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    waits: list[float] = []
    env.process(source(env, server, random.Random(seed), waits))
    return env, waits


def run_mm1(seed: int, horizon: float) -> float:
    """One replication: the mean wait."""
    env, waits = mm1(seed, horizon)
    env.run(until=horizon)
    return sum(waits) / len(waits) if waits else math.nan


def count_mm1(seed: int, horizon: float) -> int:
    """Events ``run_mm1`` processes: every event before ``horizon``, and the stop."""
    env, _ = mm1(seed, horizon)
    events = 0
    while env.peek() < horizon:
        env.step()
        events += 1
    return events + 1  # run(until=) processes its own stop event


def calibrate(events: float, seeds: Sequence[int]) -> tuple[float, float]:
    """The horizon at which M/M/1 replications process ``events`` on average over ``seeds``
    (scaled until within 1%: the queue starts empty, so events are not quite proportional
    to time), and the mean they then process."""
    horizon = TRIAL_HORIZON
    for _ in range(8):
        mean = sum(count_mm1(s, horizon) for s in seeds) / len(seeds)
        if abs(mean / events - 1) < 0.01:
            break
        horizon *= events / mean
    return horizon, mean


def time_mm1(seeds: Sequence[int], horizon: float) -> tuple[float, float]:
    """Wall and CPU seconds to run every seed once."""
    start, start_cpu = time.perf_counter(), time.process_time()
    for seed in seeds:
        run_mm1(seed, horizon)
    return time.perf_counter() - start, time.process_time() - start_cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(REPO / "scenarios" / "may-2015.yaml"))
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--count", type=int, default=50, help="seeds whose events are counted")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    seeds = replication_seeds(1, args.replications)
    counted = [count_events(scenario, s)[0] for s in seeds[:args.count]]
    model_events = sum(counted) / len(counted)
    mm1_seeds = list(range(args.replications))
    horizon, mm1_events = calibrate(model_events, mm1_seeds[:args.count])
    run_mm1(0, horizon)  # warm-up
    model = mm1_time = (math.inf, math.inf)
    for _ in range(args.repeat):  # alternating, so that a change of load hits both
        w, c = time_replications(scenario, seeds, 1)
        model = (min(model[0], w), min(model[1], c))
        w, c = time_mm1(mm1_seeds, horizon)
        mm1_time = (min(mm1_time[0], w), min(mm1_time[1], c))
    n = args.replications
    figures = {
        "scenario": scenario.name, "replications": n, "repeat": args.repeat,
        "model_events_per_replication": model_events, "mm1_events_per_replication": mm1_events,
        "mm1_horizon": horizon, "model_ms_per_replication": model[0] / n * 1e3,
        "mm1_ms_per_replication": mm1_time[0] / n * 1e3, "ratio": model[0] / mm1_time[0],
        "ratio_cpu": model[1] / mm1_time[1],
        "ratio_per_event": (model[0] / model_events) / (mm1_time[0] / mm1_events),
        "environment": environment(),
    }
    print(f"{'scenario':<16} {'events/rep':>10} {'M/M/1 ev/rep':>12} {'model ms':>9} "
          f"{'M/M/1 ms':>9} {'ratio':>6} {'ratio CPU':>9} {'ratio/ev':>8}")
    print(f"{scenario.name:<16} {model_events:>10,.1f} {mm1_events:>12,.1f} "
          f"{figures['model_ms_per_replication']:>9.3f} {figures['mm1_ms_per_replication']:>9.3f} "
          f"{figures['ratio']:>6.2f} {figures['ratio_cpu']:>9.2f} "
          f"{figures['ratio_per_event']:>8.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
