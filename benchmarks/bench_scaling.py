"""Scaling: speed-up from worker processes, their overheads, and peak memory.

Measured in one run on this machine, as ratios where possible:
- wall time of a batch of --replications (default 1,000) replications with 1
  and with 2 workers, and the speed-up (target: at least 1.8x on 2 cores);
- the machine's own ceiling for that speed-up: the same 1-worker batch run
  in two independent processes at once (no pool, no transfer). On a shared
  virtual machine two busy cores rarely give twice one;
- what the parallel machinery costs: the pool's start-up (a batch of two
  replications), and the size of one chunk's result as pickled for transfer;
- peak memory (resident set, the batch process and its workers) of a streamed
  run (``sim.store.run_to_folder``, what ``baiji-sim run`` uses) with 1,000 and
  with --big (default 100,000) replications of one scenario. Flat memory means
  the two figures are close.

    python benchmarks/bench_scaling.py [--replications 1000] [--big 100000]
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
from sim.loading import load_scenario
from sim.store import run_to_folder
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
    batch = run_to_folder([load_scenario(sys.argv[4])], n, out, seed=1, workers=workers)
    wall = time.perf_counter() - t
    stop.set()
    print(peak["main"], peak["worker"], peak["total"], wall, len(batch.runs[0].seed))
"""


def timed_batch(replications: int, workers: int) -> float:
    from sim.batch import run_batch
    from sim.loading import load_scenario

    scenario = load_scenario(SCENARIO)
    start = time.perf_counter()
    run_batch([scenario], replications, seed=1, workers=workers)
    return time.perf_counter() - start


SOLO_PROBE = """
import sys, time
from sim.batch import run_batch
from sim.loading import load_scenario
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
    from sim.batch import _run_chunk, plan_chunks
    from sim.loading import load_scenario

    scenario = load_scenario(SCENARIO)
    chunk = plan_chunks(1, 1000, 1, 2)[0]
    return len(pickle.dumps(_run_chunk(scenario, chunk))), len(chunk.seeds)


def peak_memory(replications: int, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.py"
        probe.write_text(MEMORY_PROBE)
        out = subprocess.run([sys.executable, str(probe), str(replications), str(workers),
                              str(Path(tmp) / "out"), str(SCENARIO)],
                             capture_output=True, text=True, check=True, cwd=REPO)
    main, worker, total, wall, done = out.stdout.split()
    mib = 1024 * 1024
    return {"replications": int(done), "main_mib": int(main) / mib,
            "largest_worker_mib": int(worker) / mib, "total_mib": int(total) / mib,
            "wall_s": float(wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    timed_batch(20, 1)  # warm-up: imports and caches
    startup = timed_batch(2, 2)  # cold: starts the forkserver and two workers
    ones, twos = [], []
    for _ in range(3):  # interleaved, best of three: this machine is shared and noisy
        ones.append(timed_batch(args.replications, 1))
        twos.append(timed_batch(args.replications, 2))
    one, two = min(ones), min(twos)
    alone, together = machine_ceiling(args.replications)
    size, per_chunk = chunk_bytes()
    print(f"{args.replications} replications of {SCENARIO.name}: 1 worker {one:.2f} s, "
          f"2 workers {two:.2f} s, speed-up {one / two:.2f}x (best of 3)")
    print(f"machine ceiling: the 1-worker batch alone {alone:.2f} s, two at once in separate "
          f"processes {together:.2f} s each: at most {2 * alone / together:.2f}x from 2 cores")
    print(f"pool start-up, cold (2 replications on 2 workers): {startup:.2f} s "
          f"= {startup / two:.0%} of the 2-worker batch; paid once per run")
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
            "replications": args.replications, "one_worker_s": one, "two_workers_s": two,
            "speedup": one / two, "ceiling": 2 * alone / together,
            "startup_s": startup, "chunk_bytes": size,
            "chunk_replications": per_chunk, "memory": [small, big]}, indent=2))


if __name__ == "__main__":
    main()
