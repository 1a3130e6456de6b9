"""Sensitivity design points built in the workers from their settings (issue 16): the same
scenarios, and the same numbers, as when the main process built every point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.sensitivity import (
    design_scenarios,
    run_sensitivity,
    sensitivity_design,
)
from sim.runner.batch import run_batch
from sim.scenario.loading import ScenarioError, apply_overrides, load_scenario, validate
from sim.scenario.provenance import scenario_leaves
from sim.scenario.schema import Scenario
from sim.scenario.variants import Variants

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = ("baseline", "may-2015", "ground-campaign")


def whole(base: Scenario, settings: list[str], name: str) -> Scenario:
    """A variant as the whole scenario's JSON form with the settings, validated whole."""
    data = json.loads(json.dumps(base.model_dump(mode="json")))
    data["name"] = name
    apply_overrides(data, settings)
    return validate(data)


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_variant_validates_only_what_changed_and_equals_the_whole_validation(
        name: str) -> None:
    """Variants.make rebuilds only the sections the settings touch: every Morris point of
    the scenario equals the scenario validated whole from its JSON form."""
    base = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    design = sensitivity_design(base, "garrison_held", "morris", trajectories=2)
    variants = Variants(base)
    for i, settings in enumerate(design.points):
        made = variants.make(settings, f"p{i}")
        assert made == whole(base, settings, f"p{i}"), i
        assert made.provenance is base.provenance  # shared, not copied
    assert any(variants.make(s, "x") != base for s in design.points)  # the points differ


def test_a_setting_the_schema_refuses_still_names_the_field() -> None:
    base = load_scenario(REPO / "scenarios" / "baseline.yaml")
    with pytest.raises(ScenarioError, match=r"garrison\.troops") as info:
        Variants(base).make(["garrison.troops=-5"], "x", "point 3")
    assert "(point 3)" in str(info.value)


@pytest.mark.parametrize(("method", "workers"), [("morris", 1), ("sobol", 2)])
def test_points_built_in_the_workers_give_the_numbers_of_points_built_here(
        method: str, workers: int) -> None:
    """The design's outputs equal those of the same points built in the main process and
    run as ordinary scenarios (as sensitivity did before), replication for replication."""
    path = REPO / "scenarios" / "baseline.yaml"  # the cheapest replications with many inputs
    base = load_scenario(path)
    result = run_sensitivity(base, "garrison_fall_day", method, trajectories=2, sobol_n=2,
                             replications=3, seed=5, workers=workers, path=path)
    design = sensitivity_design(base, "garrison_fall_day", method, path=path, trajectories=2,
                                sobol_n=2)
    leaves = scenario_leaves(base)
    scenarios, _ = design_scenarios(base, path, design.names, design.design,
                                    [isinstance(leaves[n], int) for n in design.names])
    batch = run_batch(scenarios, 3, seed=5, workers=1, daily=False)
    horizon = float(base.horizon_days)
    expected = [np.nan_to_num(r.column("garrison_fall_day"), nan=horizon).mean()
                for r in batch.runs]
    assert result.outputs.tolist() == expected
    assert np.ptp(result.outputs) > 0  # the points differ, so the comparison means something


def test_an_invalid_design_point_is_the_schema_error_naming_the_point(tmp_path: Path) -> None:
    """A point the schema refuses fails in its worker; the analysis then raises the
    ScenarioError that names the file, the field and the point, as before."""
    path = REPO / "scenarios" / "baseline.yaml"
    with pytest.raises(ScenarioError, match=r"garrison\.troops.*sensitivity design point"):
        run_sensitivity(path, "garrison_held", "morris", trajectories=2, replications=1,
                        workers=1, ranges={"garrison.troops": (-50.0, -10.0)})
