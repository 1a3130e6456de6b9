"""Run N replications of one scenario and nothing else: the loop to count under callgrind.

Instruction counts do not depend on what else the machine is doing, so the difference
between N and 0 replications, pure and compiled, compares the two builds steadily::

    for build in "" build/compiled; do for n in 0 100; do
      PYTHONPATH=$build valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python benchmarks/run_replications.py scenarios/baseline.yaml $n 2>&1 |
        grep -E "Collected|model:"
    done; done

(One replication runs before the N, so that first-call costs fall in the 0 as well.)
"""

from __future__ import annotations

import sys

import sim.model.replication
from sim.model.replication import run_replication
from sim.rng import replication_seeds
from sim.scenario.loading import load_scenario


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.exit("usage: python benchmarks/run_replications.py SCENARIO.yaml N")
    scenario = load_scenario(argv[0])
    run_replication(scenario, 0)
    for seed in replication_seeds(1, int(argv[1])):
        run_replication(scenario, seed)
    path = sim.model.replication.__file__ or ""
    print(f"model: {'pure' if path.endswith('.py') else 'compiled'} ({path})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
