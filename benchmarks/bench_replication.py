"""Benchmark one replication of each scenario against a bare SimPy event loop.

Why this exists: speed is a feature of the model, and it is measured here, by a
benchmark, not asserted by timed tests (a test that fails on a slow or busy
machine says nothing about the code). Absolute figures depend on the machine, so
the figure to compare across machines and commits is a *ratio* measured in one
run, in one interpreter: the model's cost per simulation event divided by the
cost per event of a bare SimPy loop that processes the same number of events.

For each scenario file the script

1. loads it with ``sim.scenario.loading.load_scenario``;
2. times ``run_replication(scenario, seed)`` over R replications (seeds from
   ``replication_seeds(1, R)``), single process, wall clock (``perf_counter``),
   best of ``--repeat`` passes;
3. counts the events of a replication by stepping ``Replication.env`` until the
   day clock is processed (exactly what ``env.run(until=rep.clock)`` does), over
   the first ``--count`` seeds, and checks the stepped run gives the same metrics;
4. times the bare loop: ONE process yielding ``env.timeout(1.0)`` until it has
   produced as many events as the R replications did (best of ``--repeat``).
   A secondary bare loop, 8 processes each drawing its gaps with
   ``Generator.exponential`` (one scalar numpy draw per event, which the model's
   streams avoid by drawing in blocks), shows what scalar draws alone would cost.

With ``--by-kind`` it also splits each scenario's time by kind of event (the
mechanism that handles it: the day clock, assault arrivals, flights, strikes...),
timing every ``env.step()`` of the counted replications, and sets each kind's
cost per event against a bare loop stepped and timed the same way. That shows
which mechanisms keep the ratio above 2, and by how much.

With ``--compiled [DIR]`` it measures the pure-Python model and the optional compiled
build (``make compiled``, mypyc, in ``build/compiled/``) in one run: for each scenario,
``--rounds`` times, one subprocess of this script with the sources and one with
``PYTHONPATH=DIR`` (alternating which goes first), each timing the model and the bare
loop in its own interpreter; the best of each is kept. It prints both rep/s and both
ratios to bare SimPy.

Usage::

    python benchmarks/bench_replication.py [SCENARIO.yaml ...] [--replications R]
        [--count N] [--repeat K] [--by-kind] [--compiled [DIR]] [--rounds N]
        [--json PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Generator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import simpy

import sim.model.replication
from sim.model.replication import Replication, run_replication
from sim.rng import replication_seeds
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPILED = REPO_ROOT / "build" / "compiled"  # where `make compiled` builds
BATCH_SEED = 1
RNG_PROCESSES = 8


@dataclass
class Row:
    """The figures of one scenario."""

    scenario: str
    file: str
    replications: int
    counted_replications: int
    seconds: float  # best pass over all replications
    cpu_seconds: float  # the process's CPU time of the best pass by CPU (time.process_time)
    replications_per_s: float
    events_per_replication: float
    model_us_per_event: float
    bare_events: int
    bare_us_per_event: float
    ratio: float  # model / bare
    bare_rng_us_per_event: float
    ratio_rng: float  # model / bare with numpy draws


# -- the model -------------------------------------------------------------------------------


def time_replications(scenario: Scenario, seeds: Sequence[int],
                      repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds, over ``repeat`` passes, to run every seed once.

    On a shared machine the CPU time (waits for a core left out) is the steadier figure."""
    best = best_cpu = math.inf
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        for seed in seeds:
            run_replication(scenario, seed)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        best = min(best, time.perf_counter() - start)
    return best, best_cpu


def count_events(scenario: Scenario, seed: int) -> tuple[int, dict[str, float]]:
    """Events processed by one replication, and its metrics (to check the stepping)."""
    rep = Replication(scenario, seed)
    env, clock = rep.env, rep.clock
    step = env.step
    events = 0
    try:
        # env.run(until=clock) stops once the clock's process event has been
        # processed (its callbacks run); stepping to the same point counts the same events.
        while not clock.processed:
            step()
            events += 1
    except simpy.core.EmptySchedule as exc:
        raise RuntimeError(f"seed {seed}: schedule ran dry before the day clock ended") from exc
    return events, rep.result().metrics


def same_metrics(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal metric by metric, NaN equal to NaN."""
    if a.keys() != b.keys():
        return False
    return all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a
    )


# -- time by kind of event -------------------------------------------------------------------


def event_kind(event: simpy.Event) -> str:
    """The mechanism an event wakes: a process's generator, or a callback's (a timer's action)."""
    names = []
    for callback in event.callbacks or ():
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, simpy.Process):
            names.append(owner.name)
        else:
            names.append(getattr(callback, "__name__", type(callback).__name__))
    return "+".join(names) or type(event).__name__


@dataclass
class KindRow:
    """One kind of event of a scenario: how many, and what each costs."""

    kind: str
    events_per_replication: float
    us_per_event: float
    ratio: float | None  # against the bare loop timed step by step (None: not an event)
    share: float  # of a replication's time, building and result included


def timer_overhead() -> float:
    """Seconds that one ``perf_counter()`` pair adds to a timed step (subtracted)."""
    clock = time.perf_counter
    best = math.inf
    for _ in range(5):
        start = clock()
        for _ in range(20_000):
            clock()
            clock()
        best = min(best, (clock() - start) / 20_000)
    return best / 2  # one call of the pair falls inside the interval it measures


def time_by_kind(scenario: Scenario, seeds: Sequence[int],
                 overhead: float) -> tuple[dict[str, tuple[int, float]], float, float]:
    """Events and seconds per kind over ``seeds``; total build and result seconds."""
    clock = time.perf_counter
    kinds: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    build = result = 0.0
    for seed in seeds:
        start = clock()
        rep = Replication(scenario, seed)
        build += clock() - start
        env, until = rep.env, rep.clock
        queue, step = env._queue, env.step  # the next event is the head of SimPy's heap
        while not until.processed:
            kind = event_kind(queue[0][3])
            start = clock()
            step()
            spent = clock() - start - overhead
            entry = kinds[kind]
            entry[0] += 1
            entry[1] += spent
        start = clock()
        rep.result()
        result += clock() - start
    return {k: (int(v[0]), v[1]) for k, v in kinds.items()}, build, result


def time_bare_stepped(events: int, overhead: float, repeat: int) -> float:
    """Best µs per event of the bare loop, each step timed like :func:`time_by_kind`'s."""
    clock = time.perf_counter
    best = math.inf
    for _ in range(repeat):
        env, n = bare_single(events)
        step, spent = env.step, 0.0
        for _ in range(n):
            start = clock()
            step()
            spent += clock() - start - overhead
        best = min(best, spent / n * 1e6)
    return best


def by_kind(scenario: Scenario, seeds: Sequence[int],
            repeat: int) -> tuple[list[KindRow], float]:
    """Each kind of event's count and cost (building and result as two more rows), and the
    bare loop's µs per event timed the same way."""
    overhead = timer_overhead()
    kinds, build, result = time_by_kind(scenario, seeds, overhead)
    events = sum(n for n, _ in kinds.values())
    bare_us = time_bare_stepped(min(events, 200_000), overhead, repeat)
    total = build + result + sum(t for _, t in kinds.values())
    reps = len(seeds)
    rows = [KindRow(kind, n / reps, t / n * 1e6, t / n * 1e6 / bare_us, t / total)
            for kind, (n, t) in sorted(kinds.items(), key=lambda kv: -kv[1][1])]
    for label, spent in (("(building the replication)", build), ("(result)", result)):
        rows.append(KindRow(label, 0.0, spent / reps * 1e6, None, spent / total))
    return rows, bare_us


def print_kinds(name: str, rows: Sequence[KindRow], bare_us: float) -> None:
    print(f"\n{name} (bare loop timed step by step: {bare_us:.3f} µs/event)")
    print(f"  {'kind of event':<30} {'events/rep':>10} {'µs/event':>9} {'ratio':>6} "
          f"{'share':>6}")
    for r in rows:
        if r.events_per_replication:
            print(f"  {r.kind:<30} {r.events_per_replication:>10.1f} {r.us_per_event:>9.2f} "
                  f"{r.ratio:>6.2f} {r.share:>6.1%}")
        else:
            print(f"  {r.kind:<30} {'':>10} {r.us_per_event:>9.1f} {'µs/rep':>6} "
                  f"{r.share:>6.1%}")


# -- bare SimPy ------------------------------------------------------------------------------


def _ticker(env: simpy.Environment, n: int) -> Generator[simpy.Event, None, None]:
    timeout = env.timeout
    for _ in range(n):
        yield timeout(1.0)


def _drawer(env: simpy.Environment, n: int,
            rng: np.random.Generator) -> Generator[simpy.Event, None, None]:
    timeout = env.timeout
    for _ in range(n):
        yield timeout(rng.exponential(1.0))


def bare_single(events: int) -> tuple[simpy.Environment, int]:
    """One process, ``events`` events in all (Initialize + timeouts + the end of the process)."""
    env = simpy.Environment()
    env.process(_ticker(env, max(0, events - 2)))
    return env, max(0, events - 2) + 2


def bare_rng(events: int) -> tuple[simpy.Environment, int]:
    """``RNG_PROCESSES`` processes with exponential gaps from their own numpy Generator."""
    env = simpy.Environment()
    each = max(0, events // RNG_PROCESSES - 2)
    for k in range(RNG_PROCESSES):
        env.process(_drawer(env, each, np.random.default_rng(k)))
    return env, RNG_PROCESSES * (each + 2)


def time_bare(build: Callable[[int], tuple[simpy.Environment, int]], events: int,
              repeat: int) -> float:
    """Best microseconds per event, over ``repeat`` runs, of the loop ``build`` makes."""
    best = math.inf
    for _ in range(repeat):
        env, n = build(events)
        start = time.perf_counter()
        env.run()
        elapsed = time.perf_counter() - start
        best = min(best, elapsed / n * 1e6)
    return best


# -- driver ----------------------------------------------------------------------------------


def resolve(paths: Sequence[str]) -> list[Path]:
    """The scenario files: as given (or relative to the repo root), else every scenario."""
    if not paths:
        found = sorted((REPO_ROOT / "scenarios").glob("*.yaml"))
        if not found:
            raise SystemExit(f"no scenarios/*.yaml under {REPO_ROOT}")
        return found
    out = []
    for p in paths:
        path = Path(p)
        if not path.exists() and not path.is_absolute() and (REPO_ROOT / path).exists():
            path = REPO_ROOT / path
        if not path.exists():
            raise SystemExit(f"no such scenario file: {p}")
        out.append(path)
    return out


def bench_scenario(path: Path, replications: int, count: int, repeat: int) -> Row:
    scenario = load_scenario(path)
    seeds = replication_seeds(BATCH_SEED, replications)
    run_replication(scenario, seeds[0])  # warm-up: first-call costs are not the model's speed

    seconds, cpu_seconds = time_replications(scenario, seeds, repeat)

    counted = seeds[:count]
    total = 0
    for seed in counted:
        events, metrics = count_events(scenario, seed)
        if not same_metrics(metrics, run_replication(scenario, seed).metrics):
            raise RuntimeError(f"{path.name}, seed {seed}: stepping and run() disagree")
        total += events
    per_rep = total / len(counted)

    bare_events = round(per_rep * replications)
    time_bare(bare_single, min(bare_events, 10_000), 1)  # warm-up
    bare_us = time_bare(bare_single, bare_events, repeat)
    rng_us = time_bare(bare_rng, bare_events, repeat)

    model_us = seconds / (per_rep * replications) * 1e6
    return Row(
        scenario=scenario.name,
        file=str(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path),
        replications=replications,
        counted_replications=len(counted),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        replications_per_s=replications / seconds,
        events_per_replication=per_rep,
        model_us_per_event=model_us,
        bare_events=bare_events,
        bare_us_per_event=bare_us,
        ratio=model_us / bare_us,
        bare_rng_us_per_event=rng_us,
        ratio_rng=model_us / rng_us,
    )


def model_variant() -> str:
    """``pure`` if the model runs from its .py sources, else ``compiled`` (the file loaded)."""
    path = sim.model.replication.__file__ or ""
    return "pure" if path.endswith(".py") else f"compiled ({path})"


def environment() -> dict[str, str | int]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return {
        "model": model_variant(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "simpy": simpy.__version__,
        "numpy": np.__version__,
        "cpu_count": os.cpu_count() or 1,
        "usable_cores": usable,
        "machine": platform.machine(),
        "system": platform.system(),
    }


def print_table(rows: Sequence[Row]) -> None:
    head = ("scenario", "rep/s", "events/rep", "model µs/ev", "bare µs/ev", "ratio",
            "bare+rng µs/ev", "ratio rng")
    body = [
        (r.scenario, f"{r.replications_per_s:,.1f}", f"{r.events_per_replication:,.1f}",
         f"{r.model_us_per_event:.3f}", f"{r.bare_us_per_event:.3f}", f"{r.ratio:.2f}",
         f"{r.bare_rng_us_per_event:.3f}", f"{r.ratio_rng:.2f}")
        for r in rows
    ]
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    print(line(head))
    print("  ".join("-" * w for w in widths))
    for row in body:
        print(line(row))


# -- pure against compiled -------------------------------------------------------------------


def stale_build(build: Path) -> list[str]:
    """Sources whose content differs from what ``make compiled`` built (its SOURCES.sha256)."""
    listed = dict(reversed(line.split(maxsplit=1))
                  for line in (build / "SOURCES.sha256").read_text().splitlines())
    current = {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "sim").rglob("*.py")}
    return sorted(current ^ listed.keys()) + sorted(
        p for p in current & listed.keys()
        if hashlib.sha256((REPO_ROOT / p).read_bytes()).hexdigest() != listed[p])


def run_variant(path: Path, build: Path | None, args: argparse.Namespace) -> Row:
    """This script on one scenario in a fresh interpreter, with the sources or ``build``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if build is not None:
        env["PYTHONPATH"] = str(build)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "row.json"
        subprocess.run([sys.executable, str(Path(__file__).resolve()), str(path),
                        "--replications", str(args.replications), "--count", str(args.count),
                        "--repeat", str(args.repeat), "--json", str(out)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        figures = json.loads(out.read_text(encoding="utf-8"))
    wanted = "pure" if build is None else "compiled"
    if not figures["environment"]["model"].startswith(wanted):
        raise SystemExit(f"asked for the {wanted} model, ran {figures['environment']['model']}")
    (row,) = figures["scenarios"]
    return Row(**row)


def best(rows: Sequence[Row]) -> Row:
    """The best model time and the best bare times over rounds, ratios recomputed."""
    seconds = min(r.seconds for r in rows)
    cpu_seconds = min(r.cpu_seconds for r in rows)
    bare = min(r.bare_us_per_event for r in rows)
    rng = min(r.bare_rng_us_per_event for r in rows)
    first = rows[0]
    model_us = seconds / (first.events_per_replication * first.replications) * 1e6
    return Row(**{**asdict(first), "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "replications_per_s": first.replications / seconds,
                  "model_us_per_event": model_us, "bare_us_per_event": bare,
                  "ratio": model_us / bare, "bare_rng_us_per_event": rng,
                  "ratio_rng": model_us / rng})


def compare_compiled(paths: Sequence[Path], build: Path,
                     args: argparse.Namespace) -> list[tuple[Row, Row]]:
    """(pure, compiled) figures of each scenario, the two measured in alternation."""
    pairs = []
    for path in paths:
        runs: dict[bool, list[Row]] = {False: [], True: []}
        for k in range(args.rounds):
            for compiled in ((False, True) if k % 2 == 0 else (True, False)):
                runs[compiled].append(run_variant(path, build if compiled else None, args))
        pure, comp = best(runs[False]), best(runs[True])
        if comp.events_per_replication != pure.events_per_replication:
            raise SystemExit(f"{path.name}: the compiled build counts other events")
        pairs.append((pure, comp))
        print(f"  {pure.scenario}: pure {pure.replications_per_s:,.0f} rep/s, compiled "
              f"{comp.replications_per_s:,.0f} rep/s", flush=True)
    return pairs


def print_comparison(pairs: Sequence[tuple[Row, Row]]) -> None:
    head = ("scenario", "events/rep", "pure rep/s", "compiled rep/s", "wall c/p",
            "CPU c/p", "pure ratio", "compiled ratio")
    body = [(p.scenario, f"{p.events_per_replication:,.1f}", f"{p.replications_per_s:,.0f}",
             f"{c.replications_per_s:,.0f}", f"{c.seconds / p.seconds:.2f}",
             f"{c.cpu_seconds / p.cpu_seconds:.2f}", f"{p.ratio:.2f}", f"{c.ratio:.2f}")
            for p, c in pairs]
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    for row in (head, tuple("-" * w for w in widths), *body):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))))


def main_compiled(paths: Sequence[Path], args: argparse.Namespace, count: int) -> int:
    build = args.compiled.resolve()
    if not any((build / "sim" / "model").glob("replication.*.so")) and not any(
            (build / "sim" / "model").glob("replication.*.pyd")):
        raise SystemExit(f"no compiled build in {build}: run `make compiled` (needs a C "
                         "compiler)")
    stale = stale_build(build)
    if stale:
        raise SystemExit(f"the compiled build in {build} is older than the sources "
                         f"({', '.join(stale[:5])}): run `make compiled`")
    env = environment()
    print(f"Python {env['python']}, SimPy {env['simpy']}, numpy {env['numpy']}, "
          f"{env['cpu_count']} cores ({env['usable_cores']} usable), {env['system']} "
          f"{env['machine']}")
    print(f"pure (sim/) against compiled ({build}); per scenario {args.rounds} rounds, "
          f"alternating, of one fresh process each: {args.replications} replications, "
          f"best of {args.repeat}, events counted over {count}. ratio = model µs/event / "
          "bare SimPy µs/event, measured in the same process.")
    pairs = compare_compiled(paths, build, args)
    print()
    print_comparison(pairs)
    if args.json:
        payload = {"environment": env, "build": str(build), "rounds": args.rounds,
                   "replications": args.replications, "counted_replications": count,
                   "repeat": args.repeat,
                   "scenarios": [{"pure": asdict(p), "compiled": asdict(c)} for p, c in pairs]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*",
                        help="scenario files (default: every scenarios/*.yaml of the repo)")
    parser.add_argument("--replications", type=int, default=200,
                        help="replications timed per scenario (default 200)")
    parser.add_argument("--count", type=int, default=50,
                        help="replications whose events are counted (default 50, at most R)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed passes; the best is kept (default 3)")
    parser.add_argument("--by-kind", action="store_true",
                        help="also split each scenario's time by kind of event")
    parser.add_argument("--compiled", type=Path, nargs="?", const=COMPILED, metavar="DIR",
                        help="measure the pure model and the compiled build in DIR (default "
                        "build/compiled, from `make compiled`), in alternating subprocesses")
    parser.add_argument("--rounds", type=int, default=2,
                        help="with --compiled: processes per variant and scenario (default 2)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.replications < 1 or args.count < 1 or args.repeat < 1 or args.rounds < 1:
        parser.error("--replications, --count, --repeat and --rounds must be at least 1")

    paths = resolve(args.scenarios)
    count = min(args.count, args.replications)
    if args.compiled is not None:
        if args.by_kind:
            parser.error("--by-kind and --compiled: run --by-kind on each variant instead")
        return main_compiled(paths, args, count)
    env = environment()
    print(f"Python {env['python']} ({env['implementation']}), SimPy {env['simpy']}, "
          f"numpy {env['numpy']}, {env['cpu_count']} cores ({env['usable_cores']} usable), "
          f"{env['system']} {env['machine']}; model: {env['model']}")
    print(f"{args.replications} replications per scenario (seeds replication_seeds"
          f"({BATCH_SEED}, {args.replications})), events counted over the first {count}, "
          f"best of {args.repeat}; single process.")
    print("bare = 1 SimPy process yielding timeout(1.0), same number of events; "
          f"bare+rng = {RNG_PROCESSES} processes with numpy exponential gaps.")
    print()

    rows = []
    for path in paths:
        rows.append(bench_scenario(path, args.replications, count, args.repeat))
    print_table(rows)

    kinds: dict[str, list[KindRow]] = {}
    if args.by_kind:
        print(f"\nTime by kind of event, over the first {count} seeds, every step timed; "
              "ratio = µs per event / µs per event of the bare loop timed the same way.")
        for path in paths:
            scenario = load_scenario(path)
            seeds = replication_seeds(BATCH_SEED, count)
            rows_k, bare_us = by_kind(scenario, seeds, args.repeat)
            kinds[scenario.name] = rows_k
            print_kinds(scenario.name, rows_k, bare_us)

    if args.json:
        payload = {
            "environment": env,
            "batch_seed": BATCH_SEED,
            "replications": args.replications,
            "counted_replications": count,
            "repeat": args.repeat,
            "rng_processes": RNG_PROCESSES,
            "scenarios": [asdict(r) for r in rows],
            "by_kind": {name: [asdict(r) for r in rk] for name, rk in kinds.items()},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
