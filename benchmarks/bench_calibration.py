"""Calibration of the one-campaign scenario (issue 17): wall time, model runs per second, and
whether the posterior is good enough at that size.

Runs ``baiji-sim calibrate scenarios/campaign-2014-15.yaml -n N --workers W`` (the command a
user types, start-up and results files included) once per seed, and reports for each: the
wall time, model runs per second, the effective sample size (ESS) and the posterior medians
of the three parameters the observations narrow most. The tolerance the size is judged by:
ESS >= 200 for every seed, and the three medians of the first seed within 10% of their
range of the second seed's (the same posterior, whichever the dice).

    .venv/bin/python benchmarks/bench_calibration.py [-n 12000] [--workers 2] [--seeds 1 2]
        [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CAMPAIGN = REPO / "scenarios" / "campaign-2014-15.yaml"
ESS_GOAL = 200.0
MEDIAN_TOLERANCE = 0.10  # of the parameter's range


def calibrate(n: int, workers: int, seed: int, out: Path) -> tuple[float, dict[str, Any]]:
    """(wall seconds, the calibration entry of summary.json) of one calibrate command."""
    command = [sys.executable, "-m", "sim", "calibrate", str(CAMPAIGN), "-n", str(n),
               "--workers", str(workers), "--seed", str(seed), "--out", str(out), "--force"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    summary = json.loads((out / "summary.json").read_text())
    return wall, summary["calibration"]["campaign-2014-15"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--replications", type=int, default=12000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, default=None,
                        help="Keep the calibrations' folders here (DIR/seedS).")
    args = parser.parse_args()
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            wall, entry = calibrate(args.replications, args.workers, seed,
                                    (args.keep or Path(tmp)) / f"seed{seed}")
            entries.append(entry)
            top = entry["parameters"][:3]
            print(f"seed {seed}: {args.replications} runs in {wall:.1f} s "
                  f"({args.replications / wall:.0f} runs/s, {args.workers} workers); "
                  f"ESS {entry['ess']:.0f} of {entry['draws']} draws; acceptance "
                  f"{entry['acceptance']:.1%}")
            for p in top:
                low, mid, high = p["posterior"]
                print(f"    {p['parameter']}: {mid:.4g} [{low:.4g}, {high:.4g}], "
                      f"narrower by {p['shrinkage']:.0%}")
    first = {p["parameter"]: p for p in entries[0]["parameters"]}
    ess_ok = all(e["ess"] >= ESS_GOAL for e in entries)
    print(f"ESS >= {ESS_GOAL:.0f} for every seed: {'yes' if ess_ok else 'no'}")
    for other in entries[1:]:
        others = {p["parameter"]: p for p in other["parameters"]}
        for name in list(first)[:3]:
            lo, hi = first[name]["range"]
            moved = abs(first[name]["posterior"][1] - others[name]["posterior"][1]) / (hi - lo)
            verdict = "within" if moved <= MEDIAN_TOLERANCE else "outside"
            print(f"  {name}: medians {first[name]['posterior'][1]:.4g} and "
                  f"{others[name]['posterior'][1]:.4g}, {moved:.0%} of the range apart "
                  f"({verdict} {MEDIAN_TOLERANCE:.0%})")


if __name__ == "__main__":
    main()
