"""Peak memory of the main process of ``baiji-sim run``, while simulating and while writing.

Each size runs in a fresh interpreter that calls the command line in-process
(``run SCENARIO -n N --no-plots``) and reads its own high-water mark
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``: exact, no sampling) twice: when the
batch has been simulated (``run_to_folder`` returned) and when the command ends
(summary, comparisons, CSV files, traces and manifest written). Worker processes
are other processes and are not counted: this is the memory of the process that
collects and writes the results.

    python benchmarks/bench_memory.py [--sizes 1000 200000] [--workers 2] [--json FILE]

A benchmark, not a test: it takes minutes at 200,000 replications.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "scenarios" / "baseline.yaml"

PROBE = """
import resource, sys, time
from pathlib import Path
import sim.cli.app as cli
import sim.runner.store as store  # run imports run_to_folder from here when it starts

def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

marks = {}
simulate = store.run_to_folder
def timed(*args, **kwargs):
    batch = simulate(*args, **kwargs)
    marks["simulated"] = peak_mib()
    marks["t_simulated"] = time.perf_counter()
    return batch
store.run_to_folder = timed

n, workers, out, scenario = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
start = time.perf_counter()
try:
    cli.app(["run", scenario, "-n", str(n), "--workers", workers, "--no-plots", "--seed", "1",
             "--out", out], standalone_mode=False)
except SystemExit as exc:
    if exc.code:
        raise
end = time.perf_counter()
with open(Path(out) / "replications.csv", "rb") as fh:
    rows = sum(1 for _ in fh) - 1
print("PROBE", rows, marks["simulated"], peak_mib(), marks["t_simulated"] - start,
      end - marks["t_simulated"])
"""


def measure(replications: int, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", PROBE, str(replications), str(workers),
                              str(Path(tmp) / "out"), str(SCENARIO)],
                             capture_output=True, text=True, check=False, cwd=REPO)
    if out.returncode:
        raise SystemExit(f"baiji-sim run -n {replications} failed:\n{out.stderr[-3000:]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("PROBE "))
    rows, simulated, total, t_sim, t_write = line.split()[1:]
    return {"replications": int(rows), "peak_simulating_mib": float(simulated),
            "peak_mib": float(total), "simulate_s": float(t_sim), "write_s": float(t_write)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 200_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        m = measure(n, args.workers)
        results.append(m)
        print(f"{m['replications']:>7} replications of {SCENARIO.name}: main process peak "
              f"{m['peak_simulating_mib']:.0f} MiB while simulating ({m['simulate_s']:.0f} s), "
              f"{m['peak_mib']:.0f} MiB in all, writing included ({m['write_s']:.1f} s)",
              flush=True)
    if len(results) > 1:
        a, b = results[0], results[-1]
        per = (b["peak_mib"] - a["peak_mib"]) * 1024 / (b["replications"] - a["replications"])
        print(f"growth: {per:.3f} KiB per replication "
              f"({b['peak_mib'] - a['peak_mib']:+.0f} MiB from {a['replications']} to "
              f"{b['replications']})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
