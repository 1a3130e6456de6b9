"""Levers: the parameters a decision-maker controls, kept apart from the uncertainties.

A scenario file declares them (``levers:``), a variant inherits and may drop them, a lever
that cannot act is refused with one message naming the field, ``explain`` lists levers and
uncertainties separately, ``--uncertainty`` never draws a lever, and effort is linear in
the distance from the lever's free end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.app import app
from sim.scenario.levers import Lever, scenario_levers, total_effort
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.uncertainty import uncertain_parameters

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
HELI = "supply_operators.government helicopters"
runner = CliRunner()


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_every_shipped_scenario_declares_levers_that_hold_its_own_values() -> None:
    for file in sorted(SCENARIOS.rglob("*.yaml")):
        levers = scenario_levers(load_scenario(file))
        assert levers, f"{file.name} declares no lever"
        for lv in levers:
            assert lv.low <= lv.value <= lv.high, f"{file.name}: {lv.path}"
            assert lv.free_end in (lv.low, lv.high)
            assert lv.label and lv.unit and lv.description


def test_the_campaign_declares_every_kind_of_action() -> None:
    paths = {lv.path for lv in scenario_levers(load_scenario(SCENARIOS / "campaign-2014-15.yaml"))}
    assert {f"{HELI}.aircraft", "supply_operators.US airdrops.aircraft",
            "airstrikes.strikes_per_day", "ground_campaign.coordination_factor",
            "garrison.relief_troops", "refinery.repair_crews.government",
            "refinery.crude_storage_days"} <= paths


def test_a_variant_inherits_levers_and_null_drops_one() -> None:
    base = {lv.path for lv in scenario_levers(load_scenario(BASELINE))}
    halted = {lv.path for lv in scenario_levers(load_scenario(SCENARIOS / "flights-halted.yaml"))}
    assert f"{HELI}.aircraft" in base and f"{HELI}.aircraft" not in halted
    assert "refinery.crude_storage_days" in halted  # inherited


def test_a_variant_may_narrow_an_inherited_lever(tmp_path: Path) -> None:
    mine = write(tmp_path / "mine.yaml", f"extends: {BASELINE}\nname: mine\nlevers:\n"
                 f"  {HELI}.aircraft:\n    range: [3, 4]\n")
    lever = next(lv for lv in scenario_levers(load_scenario(mine)) if lv.path.endswith("aircraft"))
    assert (lever.low, lever.high, lever.label) == (3.0, 4.0, "government helicopters")


def test_effort_is_linear_from_the_free_end() -> None:
    up = Lever("a", "a", "u", 1, 9, 2, False, 0.5, 1, "")
    down = Lever("b", "b", "u", 1, 3, 1.8, False, 2.0, 3, "")
    assert up.effort(1) == 0 and up.effort(9) == 4.0
    assert down.effort(3) == 0 and down.effort(1) == 4.0
    assert total_effort([up, down], {"a": 5}) == pytest.approx(2.0 + 2.0 * 1.2)


def test_a_setting_loads_back_as_the_same_value() -> None:
    spec = load_scenario(SCENARIOS / "campaign-2014-15.yaml")
    for lv in scenario_levers(spec):
        value = lv.high if lv.free_end == lv.low else lv.low
        moved = load_scenario(SCENARIOS / "campaign-2014-15.yaml", [lv.setting(value)])
        again = {x.path: x.value for x in scenario_levers(moved)}
        assert again[lv.path] == value
    heli = next(lv for lv in scenario_levers(spec) if lv.path == f"{HELI}.aircraft")
    assert heli.integer and heli.setting(4.4) == f"{HELI}.aircraft=4"


def test_uncertainty_never_draws_a_lever_unless_given_a_range() -> None:
    spec = load_scenario(SCENARIOS / "campaign-2014-15.yaml")
    unknowns = uncertain_parameters(spec)
    levers = {lv.path for lv in scenario_levers(spec)}
    assert not levers & set(unknowns)
    assert levers <= set(uncertain_parameters(spec, levers=True))
    explicit = uncertain_parameters(spec, {"airstrikes.strikes_per_day": (2, 4)})
    assert explicit["airstrikes.strikes_per_day"] == (2.0, 4.0)


@pytest.mark.parametrize(("lever", "field", "message"), [
    ("  garrison.troop:\n    label: x\n    unit: y\n    range: [1, 2]\n",
     "levers.garrison.troop", "did you mean 'garrison.troops'"),
    ("  airstrikes.strikes_per_day:\n    label: x\n    unit: y\n    range: [1, 9]\n",
     "levers.airstrikes.strikes_per_day", "declared inactive ('airstrikes'"),
    (f"  {HELI}.aircraft:\n    label: x\n    unit: y\n    range: [6, 2]\n",
     "levers", "low < high"),
    (f"  {HELI}.aircraft:\n    label: x\n    unit: y\n    range: [2, 6]\n    cost: 1\n",
     "levers", "cost"),
    (f"  {HELI}.aircraft:\n    label: x\n    unit: y\n    range: [2, 6]\n    free_end: top\n",
     "levers", "free_end"),
])
def test_a_lever_that_cannot_act_is_refused_naming_the_field(
        tmp_path: Path, lever: str, field: str, message: str) -> None:
    bad = write(tmp_path / "bad.yaml", f"extends: {BASELINE}\nname: bad\nlevers:\n{lever}")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert info.value.field.startswith(field) and message in str(info.value)
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(bad) in result.output and message in result.output


def test_explain_lists_levers_and_uncertainties_apart() -> None:
    result = runner.invoke(app, ["explain", str(SCENARIOS / "campaign-2014-15.yaml")])
    assert result.exit_code == 0, result.output
    levers_at = result.output.index("levers (13 parameters a decision-maker controls")
    unknowns_at = result.output.index("uncertainties (")
    assert levers_at < unknowns_at
    assert "strike tempo = 2 strikes a day" in result.output
    data = json.loads(runner.invoke(app, ["explain", str(SCENARIOS / "campaign-2014-15.yaml"),
                                          "--json"]).output)
    assert len(data["levers"]) == 13
    assert not {lv["path"] for lv in data["levers"]} & set(data["uncertainties"])
