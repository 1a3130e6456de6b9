"""Pinned numbers: a refactor for speed must not change what any scenario produces.

Each shipped scenario runs a few replications with a trace; their metrics, daily
series and trace are hashed and compared with ``tests/golden_numbers.json``. A change
that is meant to change the model (new mechanism, new parameter value, new draws)
updates the file and says so in its commit:

    .venv/bin/python tests/test_golden_numbers.py --update

The digests pin exact floating-point results, as the project promises for a given
seed; a different libm on another platform could in principle move a last digit.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.model.metrics import METRICS
from sim.model.replication import run_replication
from sim.rng import replication_seeds
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden_numbers.json"
FILES = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("scenarios/exercises/*.yaml")])
SEEDS = replication_seeds(2014, 8)


def digest(path: Path) -> str:
    """sha256 of the metrics, daily series and trace of the pinned replications."""
    h = hashlib.sha256()
    scenario = load_scenario(path)
    for seed in SEEDS:
        result = run_replication(scenario, seed, trace=True)
        h.update(struct.pack(f"<{len(METRICS)}d", *(result.metrics[m] for m in METRICS)))
        h.update(np.ascontiguousarray(result.daily, dtype="<f8").tobytes())
        for entry in result.trace or ():
            h.update(struct.pack("<d", entry.time))
            h.update(f"{entry.kind}\0{entry.text}\0".encode())
    return h.hexdigest()


def key(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", FILES, ids=key)
def test_a_scenario_gives_its_pinned_numbers(path: Path) -> None:
    pinned = json.loads(GOLDEN.read_text())
    assert key(path) in pinned, (
        f"{key(path)} is new: run python tests/test_golden_numbers.py --update")
    assert digest(path) == pinned[key(path)], (
        f"{key(path)} no longer gives its pinned numbers. A change meant to change the model: "
        "run python tests/test_golden_numbers.py --update and say why in the commit. A "
        "refactor: it changed behaviour.")


def test_every_pinned_scenario_still_exists() -> None:
    assert sorted(json.loads(GOLDEN.read_text())) == [key(p) for p in FILES]


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_golden_numbers.py --update")
    GOLDEN.write_text(json.dumps({key(p): digest(p) for p in FILES}, indent=1) + "\n")
    print(f"wrote {GOLDEN.relative_to(ROOT)}: {len(FILES)} scenarios x {len(SEEDS)} seeds")
