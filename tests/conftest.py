"""Shared helpers: a quiet scenario in which every mechanism is off until a test turns it on."""

from __future__ import annotations

import importlib.util
import math
import sys
import threading
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
