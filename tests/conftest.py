"""Shared helpers: a quiet scenario in which every mechanism is off until a test turns it on."""

from __future__ import annotations

import importlib.util
import math
import os
import select
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sim.scenario.loading import deep_merge, validate
from sim.scenario.schema import Scenario

QUIET: dict[str, Any] = {
    "name": "quiet",
    "description": "Every mechanism off: tests switch on the one they check.",
    "start_date": "2014-10-15",
    "horizon_days": 100,
    "areas": [
        {"name": "core", "kind": "sector", "holder": "government"},
        {"name": "north", "kind": "sector", "holder": "government"},
        {"name": "east", "kind": "sector", "holder": "government"},
        {"name": "south", "kind": "sector", "holder": "government"},
        {"name": "west", "kind": "sector", "holder": "government"},
        {"name": "town", "kind": "village", "holder": "government"},
        {"name": "hamlet", "kind": "village", "holder": "government"},
        {"name": "fields", "kind": "field", "holder": "government"},
        {"name": "city", "kind": "destination", "holder": "government"},
    ],
    "links": [
        {"name": "crude", "kind": "crude_pipeline", "source": "fields",
         "destination": "refinery", "through": ["town"], "capacity_kbbl_day": 300},
        {"name": "products", "kind": "product_pipeline", "source": "refinery",
         "destination": "city", "through": ["town"], "capacity_kbbl_day": 300},
    ],
    "refinery": {"capacity_kbbl_day": 200, "surroundings": ["town"],
                 "units": [{"name": "one", "nameplate_kbbl_day": 100}],
                 "restart_days": {"government": 21, "insurgent": 30}, "long_idle_factor": 1,
                 "ramp_days": 14, "rebuild_days": 500, "repair_cv": 0.0,
                 "repair_crews": {"government": 1, "insurgent": 1},
                 "crude_storage_days": 0, "product_storage_days": 0, "initial_damage": 0.0},
    "garrison": {"troops": 300, "supplies_days": 1.0e6, "consumption_kg_per_troop_day": 6,
                 "fighting_consumption_kg_per_troop_day": 12, "collapse_after_days": 10},
    "besiegers": {"strength": 600, "max_strength": 10**6, "reinforcement_per_day": 0,
                  "attack_rate_per_day": 0,
                  "clash_rate_per_day": 0},
    "engagement": {"counterattack_rate_per_day": 0},
    "damage": {"fighting_damage_prob": 0.0, "sabotage_prob_when_losing": 0.0},
    "air_defence": {"teams": 4, "max_teams": 10**4, "engagement_per_team": 0.05, "hit_prob": 0.1,
                    "improved_from_day": None, "loss_given_hit": 0.5},
    "supply_operators": [],
    "airstrikes": {"strikes_per_day": 0},
    "ground_campaign": {"route": []},
}


def scenario(**changes: Any) -> Scenario:
    """The quiet scenario with ``changes`` deep-merged in (section=dict or key=value)."""
    return validate(deep_merge(QUIET, changes), "quiet.yaml")


def z_quantile(confidence: float) -> float:
    """Two-sided standard-normal quantile, e.g. 0.999 -> 3.29."""
    from scipy import stats

    return float(stats.norm.ppf(0.5 + confidence / 2))


def assert_mean_within(values: list[float] | Any, expected: float, confidence: float = 0.999
                       ) -> None:
    """Sample mean equals ``expected`` within the ``confidence`` interval of the mean."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    half = z_quantile(confidence) * v.std(ddof=1) / math.sqrt(len(v))
    assert abs(v.mean() - expected) <= half, (
        f"mean {v.mean():.5g} vs expected {expected:.5g}; allowed +/- {half:.3g} "
        f"({confidence:.1%} CI, n={len(v)})")


@pytest.fixture
def quiet() -> Scenario:
    return scenario()


def exercise_generator() -> ModuleType:
    """docs/exercises/make_instructor_notes.py as a module: its parser of ```sh blocks is
    what the docs tests and the notes share."""
    path = Path(__file__).resolve().parent.parent / "docs" / "exercises" / \
        "make_instructor_notes.py"
    with _GENERATOR_LOCK:  # the docs tests call this from several threads at once
        if "make_instructor_notes" in sys.modules:
            return sys.modules["make_instructor_notes"]
        spec = importlib.util.spec_from_file_location("make_instructor_notes", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_instructor_notes"] = module
        spec.loader.exec_module(module)
        return module


_GENERATOR_LOCK = threading.Lock()


def unsourced_parameters(path: Path, facts: dict) -> tuple[list[str], list[str]]:
    """(parameters of the resolved scenario with no provenance, cited fact ids not in
    ``facts``): what both the shipped and the exercise scenario checks require to be empty."""
    from sim.scenario.loading import load_scenario
    from sim.scenario.provenance import cited_ids, explain_rows

    spec = load_scenario(path)
    missing = [r.path for r in explain_rows(spec, facts) if r.kind == "missing"]
    return missing, sorted(cited_ids(spec) - facts.keys())


def unsourced_statements(raw: dict) -> list[str]:
    """Values a scenario file sets itself that its own provenance does not cover."""
    from sim.scenario.provenance import find_provenance, leaf_paths
    from sim.scenario.schema import Provenance

    own = {k: Provenance.model_validate(v) for k, v in (raw.get("provenance") or {}).items()}
    stated = leaf_paths({k: v for k, v in raw.items() if k != "extends"})
    return [p for p in stated if find_provenance(own, p) is None]


def finished_parts(parts: Path) -> list[Path]:
    """The complete part files of a running batch: ``*.npz`` alone also matches the
    ``*.tmp.npz`` a part is written to before its rename, which a signal rightly deletes."""
    return [p for p in parts.glob("*.npz") if not p.name.endswith(".tmp.npz")]


# A ``baiji-sim`` process that stops at a known point of its batch, for the signal tests. It
# wraps ``sim.runner.store._save_part`` (each finished chunk is saved, then counted as kept,
# before the next is saved): when the (N+1)th part is about to be saved, N parts are on disk
# and N chunks kept. There it either sends itself the signal (``os.kill``, a real signal
# through the kernel, handled by the run's own handlers) or tells the test through a pipe
# and waits for the test's signal (for signals to a whole process group). No timer decides
# when the signal comes, so the counts are exact.
_STOP_AT_PART = r"""
import os, signal, sys, time
import sim.runner.store as store
after, sig, fd = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
original, saved = store._save_part, []
def save_part(parts, result):
    if len(saved) == after:
        if sig:
            os.kill(os.getpid(), sig)
        else:
            os.write(fd, b"%d parts\n" % after)
        time.sleep(300)  # the signal's handler raises here (sleep is interrupted)
        sys.exit("stop_at_part: no signal came")
    original(parts, result)
    saved.append(result)
store._save_part = save_part
sys.argv = ["baiji-sim", *sys.argv[4:]]
from sim.__main__ import main
main()
"""


def stop_at_part(args: list[str], after: int, sig: int | None = None,
                 **popen: Any) -> subprocess.Popen[str]:
    """``baiji-sim ARGS`` in a subprocess that is stopped when ``after`` parts are saved:
    with ``sig``, by sending itself ``sig`` (returns the process: ``communicate()`` it);
    without, it waits there for the caller's signal (returns once it waits)."""
    read, write = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _STOP_AT_PART, str(after), str(sig or 0), str(write),
             *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            pass_fds=(write,), **popen)
        os.close(write)
        write = -1
        if sig is None:
            ready, _, _ = select.select([read], [], [], 300)
            if not ready or not os.read(read, 100):
                proc.kill()
                _, err = proc.communicate()
                raise AssertionError(f"the run never reached {after} parts:\n{err}")
        return proc
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)


def run_cli(args: list[str | Path], cwd: Path | None = None) -> tuple[int, str, str]:
    """``baiji-sim ARGS`` in this process, as the console script would run it: with
    ``sys.argv`` set (the manifest records the command line), from ``cwd`` if given, and
    the SIGTERM handler that ``run`` installs put back afterwards. Returns (exit code,
    stdout, stderr); an exception that escapes the command line is added to stderr with
    its traceback. Typer's ``CliRunner`` swaps ``sys.stdout``/``sys.stderr``, so this
    runs in the main thread only (as ``signal.signal`` must anyway)."""
    from typer.testing import CliRunner

    from sim.cli.app import app

    argv = [str(a) for a in args]
    before = (os.getcwd(), sys.argv, signal.getsignal(signal.SIGTERM))
    if cwd is not None:
        os.chdir(cwd)
    sys.argv = ["baiji-sim", *argv]
    try:
        result = CliRunner().invoke(app, argv)
    finally:
        os.chdir(before[0])
        sys.argv = before[1]
        signal.signal(signal.SIGTERM, before[2])
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return result.exit_code, result.stdout, stderr
