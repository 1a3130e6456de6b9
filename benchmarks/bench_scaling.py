"""Scaling: speed-up from worker processes, their overheads, and peak memory.

Measured in one run on this machine, as ratios where possible:
- wall time of a batch of --replications (default 1,000) replications with 1
  and with 2 workers, interleaved, best of --repeat (default 5), and the
  speed-up (target: at least 1.8x on 2 cores). The 2-worker batches run on
  the process's shared pool, already started: what every batch after the
  first gets in one process (a sweep, a sequential run, a sensitivity
  analysis, any script that calls ``run_batch`` more than once);
- what starting the pool costs, shown separately: the first 2-worker batch of
  the process, which starts the forkserver and the two workers (paid once per
  process), and the same batch on a pool started and stopped for it alone (what
  every batch paid before the pool was shared);
- the machine's own ceiling for that speed-up: the same 1-worker batch run
  in two independent processes at once (no pool, no transfer). On a shared
  virtual machine two busy cores rarely give twice one;
- the size of one chunk's result as pickled for transfer;
- peak memory (resident set, the batch process and its workers) of a whole
  ``baiji-sim run`` (the streamed batch, then summary, CSV files and plots) with
  1,000 and with --big (default 100,000) replications of one scenario. The
  daily series are folded into bands and the metrics written to a column file
  as chunks arrive (see bench_memory.py for the main process alone).

    python benchmarks/bench_scaling.py [--replications 1000] [--repeat 5] [--big 100000]
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "scenarios" / "baseline.yaml"

# Runs in a fresh interpreter; a thread samples the resident memory of the process and of
# every descendant (the forkserver's workers are not our children, so getrusage misses them).
MEMORY_PROBE = """
import sys, threading, time
from pathlib import Path
import psutil
from sim.cli.app import app
peak = {"main": 0, "worker": 0, "total": 0}
def sample(stop):
    me = psutil.Process()
    while not stop.is_set():
        try:
            kids = [k.memory_info().rss for k in me.children(recursive=True)]
        except psutil.Error:
            kids = []
        main = me.memory_info().rss
        peak["main"] = max(peak["main"], main)
        peak["worker"] = max([peak["worker"], *kids])
        peak["total"] = max(peak["total"], main + sum(kids))
        time.sleep(0.05)
if __name__ == "__main__":
    n, workers, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    stop = threading.Event()
    threading.Thread(target=sample, args=(stop,), daemon=True).start()
    t = time.perf_counter()
    try:  # the whole of `baiji-sim run`: batch, summary, CSV files and plots
        app(["run", sys.argv[4], "-n", str(n), "--workers", str(workers), "--seed", "1",
             "--out", str(out)], standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            raise
    wall = time.perf_counter() - t
    stop.set()
    with (out / "replications.csv").open() as fh:
        done = sum(1 for _ in fh) - 1
    print(peak["main"], peak["worker"], peak["total"], wall, done)
"""


def timed_batch(replications: int, workers: int, own_pool: bool = False) -> float:
    """Seconds for one batch. Without ``own_pool`` a 2-worker batch uses the shared pool
    (started by the first such batch); with it, a pool started and shut down inside the
    timed region, as each batch did before the pool was shared."""
    from sim.runner.batch import run_batch
    from sim.runner.pool import local_pool
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(SCENARIO)
    start = time.perf_counter()
    if own_pool:
        pool = local_pool(workers)
        try:
            run_batch([scenario], replications, seed=1, workers=workers, executor=pool)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        run_batch([scenario], replications, seed=1, workers=workers)
    return time.perf_counter() - start


SOLO_PROBE = """
import sys, time
from sim.runner.batch import run_batch
from sim.scenario.loading import load_scenario
s = load_scenario(sys.argv[2])
run_batch([s], 20, workers=1)
t = time.perf_counter()
run_batch([s], int(sys.argv[1]), workers=1)
print(time.perf_counter() - t)
"""


def machine_ceiling(replications: int) -> tuple[float, float]:
    """(seconds alone, slower of two at once) for a 1-worker batch in separate processes."""
    cmd = [sys.executable, "-c", SOLO_PROBE, str(replications), str(SCENARIO)]
    alone = float(subprocess.run(cmd, capture_output=True, text=True, check=True,
                                 cwd=REPO).stdout)
    pair = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
            for _ in range(2)]
    together = max(float(p.communicate()[0]) for p in pair)
    return alone, together


def chunk_bytes() -> tuple[int, int]:
    """Size of one chunk's result as pickled for transfer, and its replications."""
    from sim.runner.chunks import plan_chunks, run_chunk
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(SCENARIO)
    chunk = plan_chunks(1, 1000, 1, 2)[0]
    return len(pickle.dumps(run_chunk(scenario, chunk))), len(chunk.seeds)


def peak_memory(replications: int, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.py"
        probe.write_text(MEMORY_PROBE)
        out = subprocess.run([sys.executable, str(probe), str(replications), str(workers),
                              str(Path(tmp) / "out"), str(SCENARIO)],
                             capture_output=True, text=True, check=True, cwd=REPO)
    main, worker, total, wall, done = out.stdout.splitlines()[-1].split()  # after the CLI's output
    mib = 1024 * 1024
    return {"replications": int(done), "main_mib": int(main) / mib,
            "largest_worker_mib": int(worker) / mib, "total_mib": int(total) / mib,
            "wall_s": float(wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5,
                        help="interleaved rounds; the best of each is reported")
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    n = args.replications

    timed_batch(20, 1)  # warm-up: imports and caches in this process
    cold = timed_batch(n, 2)  # first 2-worker batch: starts the forkserver and the shared pool
    ones, warms, owns = [], [], []
    for _ in range(args.repeat):  # interleaved, best of: this machine is shared and noisy
        ones.append(timed_batch(n, 1))
        warms.append(timed_batch(n, 2))
        owns.append(timed_batch(n, 2, own_pool=True))
    one, two, own = min(ones), min(warms), min(owns)
    alone, together = machine_ceiling(n)
    size, per_chunk = chunk_bytes()
    print(f"{n} replications of {SCENARIO.name}: 1 worker {one:.3f} s, 2 workers {two:.3f} s "
          f"on the running shared pool, speed-up {one / two:.2f}x "
          f"(interleaved, best of {args.repeat})")
    print(f"machine ceiling: the 1-worker batch alone {alone:.2f} s, two at once in separate "
          f"processes {together:.2f} s each: at most {2 * alone / together:.2f}x from 2 cores")
    print(f"pool start-up, cold: the first 2-worker batch of the process took {cold:.3f} s "
          f"(starts the forkserver and 2 workers), {cold - two:+.3f} s over a warm batch; "
          f"speed-up of that first batch {one / cold:.2f}x; paid once per process")
    print(f"a new pool for each batch (before the pool was shared): {own:.3f} s "
          f"(best of {args.repeat}), {own - two:+.3f} s per batch, speed-up {one / own:.2f}x")
    print(f"transfer: {size / 1024:.0f} KiB per chunk of {per_chunk} replications "
          f"({size / per_chunk / 1024:.1f} KiB per replication)")
    small = peak_memory(1000, 2)
    big = peak_memory(args.big, 2)
    for m in (small, big):
        print(f"peak memory, {m['replications']:>7} replications streamed: main process "
              f"{m['main_mib']:.0f} MiB, largest worker {m['largest_worker_mib']:.0f} MiB, "
              f"all processes {m['total_mib']:.0f} MiB ({m['wall_s']:.1f} s)")
    print(f"{big['replications'] // small['replications']}x the replications: main process "
          f"{big['main_mib'] / small['main_mib']:.2f}x, all processes "
          f"{big['total_mib'] / small['total_mib']:.2f}x the memory")
    if args.json:
        args.json.write_text(json.dumps({
            "replications": n, "repeat": args.repeat, "one_worker_s": one,
            "two_workers_s": two, "speedup": one / two, "ceiling": 2 * alone / together,
            "cold_first_batch_s": cold, "startup_s": cold - two,
            "own_pool_two_workers_s": own, "own_pool_speedup": one / own,
            "one_worker_runs_s": ones, "two_workers_runs_s": warms, "own_pool_runs_s": owns,
            "chunk_bytes": size, "chunk_replications": per_chunk,
            "memory": [small, big]}, indent=2))


if __name__ == "__main__":
    main()
