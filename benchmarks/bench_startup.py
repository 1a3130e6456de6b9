"""Start-up time of the command line: ``baiji-sim --help`` and ``--version``.

Each is run ``--repeat`` times as a new process (``python -m sim``); the table gives the
fastest and the median wall time, and the modules that cost the most to import (from
``python -X importtime``, cumulative microseconds). The commands import the model, numpy,
pydantic, scipy, matplotlib and SALib only when they need them, so ``--help`` pays for
typer and rich alone; tests/test_cli.py checks which modules it loads.

    .venv/bin/python benchmarks/bench_startup.py [--repeat 10] [--top 8]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = (["--help"], ["--version"], ["validate", "scenarios/baseline.yaml"])


def wall(args: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", *args], cwd=REPO, check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def heaviest_imports(args: list[str], top: int) -> list[tuple[int, str]]:
    """(cumulative µs, module) of the ``top`` costliest top-level imports."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "sim", *args], cwd=REPO,
                         check=True, capture_output=True, text=True).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        name = name[1:]  # the separator's space; nested imports are indented further
        if not name.startswith(" "):
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    print(f"{'command':<44} {'fastest':>8} {'median':>8}")
    for command in COMMANDS:
        times = wall(command, args.repeat)
        print(f"{'baiji-sim ' + ' '.join(command):<44} {min(times):>7.2f}s "
              f"{statistics.median(times):>7.2f}s")
    print("\nheaviest imports of --help (cumulative):")
    for micro, name in heaviest_imports(["--help"], args.top):
        print(f"  {micro / 1000:7.0f} ms  {name}")


if __name__ == "__main__":
    main()
