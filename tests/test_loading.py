"""Scenario files: validation, clear errors, ``extends`` inheritance and ``--set`` overrides."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from sim.scenario.loading import ScenarioError, deep_merge, load_scenario, load_scenarios
from sim.scenario.schema import Provenance, Scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"


def baseline_data() -> dict:
    """The baseline scenario as raw YAML data (a fresh copy every call)."""
    return yaml.safe_load(BASELINE.read_text(encoding="utf-8"))


def write(path: Path, data: dict | str) -> Path:
    """Write a scenario (data or raw text) to ``path``, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path, overrides: list[str] | tuple[str, ...] = ()) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return info.value


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    """A copy of the baseline in tmp_path, so children can extend it by a relative path."""
    return write(tmp_path / "base.yaml", baseline_data())


def operator(scenario: Scenario, name: str):
    return next(op for op in scenario.supply_operators if op.name == name)


# --- the shipped scenario -------------------------------------------------------------------


def test_baseline_loads_and_validates() -> None:
    scenario = load_scenario(BASELINE)
    assert isinstance(scenario, Scenario)
    assert scenario.name == "baseline"
    assert scenario.garrison.troops == baseline_data()["garrison"]["troops"]
    assert [op.name for op in scenario.supply_operators] == ["government helicopters"]
    assert len(scenario.sectors) == 5


# --- unknown keys ---------------------------------------------------------------------------


def test_unknown_nested_key_names_file_field_hint_and_allowed_keys(tmp_path: Path) -> None:
    data = baseline_data()
    data["garrison"]["troopz"] = data["garrison"].pop("troops")
    path = write(tmp_path / "typo.yaml", data)
    err = load_error(path)
    text = str(err)
    assert str(path) in text
    assert err.field == "garrison.troopz"
    assert "garrison.troopz" in text
    assert "did you mean 'troops'" in text
    # the allowed keys of the Garrison section are listed
    for key in ("troops", "supplies_days", "collapse_after_days", "relief_troops"):
        assert key in text


def test_unknown_top_level_key(tmp_path: Path) -> None:
    data = baseline_data()
    data["garisson"] = {"troops": 10}
    path = write(tmp_path / "top.yaml", data)
    err = load_error(path)
    assert err.field == "garisson"
    text = str(err)
    assert str(path) in text
    assert "did you mean 'garrison'" in text
    for key in ("name", "horizon_days", "supply_operators", "ground_campaign"):
        assert key in text


def test_an_impossible_date_names_its_field(tmp_path: Path) -> None:
    text = BASELINE.read_text(encoding="utf-8").replace("start_date: 2014-10-01",
                                                        "start_date: 2014-13-45")
    err = load_error(write(tmp_path / "date.yaml", text))
    assert err.field == "start_date"
    assert "month" in err.message
    err = load_error(BASELINE, ["start_date=2014-02-30"])
    assert err.field == "start_date"
    assert load_scenario(BASELINE, ["start_date=2015-02-28"]).start_date.day == 28


def test_unknown_key_in_list_item(tmp_path: Path) -> None:
    data = baseline_data()
    data["supply_operators"][0]["payloadt"] = data["supply_operators"][0].pop("payload_t")
    path = write(tmp_path / "item.yaml", data)
    err = load_error(path)
    assert err.field == "supply_operators[0].payloadt"
    text = str(err)
    assert "supply_operators[0].payloadt" in text
    assert "did you mean 'payload_t'" in text
    for key in ("sorties_per_aircraft_day", "bundles", "halt"):  # SupplyOperator's keys
        assert key in text


# --- ranges ---------------------------------------------------------------------------------


def test_probability_above_one_is_rejected(tmp_path: Path) -> None:
    data = baseline_data()
    data["air_defence"]["hit_prob"] = 1.5
    err = load_error(write(tmp_path / "p.yaml", data))
    assert err.field == "air_defence.hit_prob"
    assert "air_defence.hit_prob" in str(err)


def test_negative_probability_is_rejected(tmp_path: Path) -> None:
    data = baseline_data()
    data["damage"]["aversion"] = -0.1
    err = load_error(write(tmp_path / "p.yaml", data))
    assert err.field == "damage.aversion"


def test_negative_count_is_rejected(tmp_path: Path) -> None:
    data = baseline_data()
    data["garrison"]["troops"] = -1
    err = load_error(write(tmp_path / "n.yaml", data))
    assert err.field == "garrison.troops"
    assert "garrison.troops" in str(err)


def test_negative_duration_is_rejected(tmp_path: Path) -> None:
    data = baseline_data()
    data["refinery"]["ramp_days"] = -3
    err = load_error(write(tmp_path / "d.yaml", data))
    assert err.field == "refinery.ramp_days"


# --- references between sections -------------------------------------------------------------


def test_link_through_unknown_area(tmp_path: Path) -> None:
    data = baseline_data()
    data["links"][0]["through"] = ["Baiji town", "Atlantis"]
    err = load_error(write(tmp_path / "r.yaml", data))
    text = str(err)
    assert "links[0]" in text
    assert "through[1]" in text
    assert "'Atlantis'" in text


def test_refinery_surroundings_unknown_area(tmp_path: Path) -> None:
    data = baseline_data()
    data["refinery"]["surroundings"] = ["Siniya", "Narnia"]
    err = load_error(write(tmp_path / "r.yaml", data))
    text = str(err)
    assert "refinery.surroundings[1]" in text
    assert "'Narnia'" in text


def test_ground_campaign_route_unknown_area(tmp_path: Path) -> None:
    data = baseline_data()
    data["ground_campaign"]["route"] = ["Mazraa", "Gondor"]
    err = load_error(write(tmp_path / "r.yaml", data))
    text = str(err)
    assert "ground_campaign.route[1]" in text
    assert "'Gondor'" in text


# --- required fields --------------------------------------------------------------------------


def test_missing_required_field(tmp_path: Path) -> None:
    data = baseline_data()
    del data["name"]
    path = write(tmp_path / "noname.yaml", data)
    err = load_error(path)
    assert err.field == "name"
    assert str(path) in str(err)
    assert "missing" in str(err)


# --- file-level problems ----------------------------------------------------------------------


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml",
                 "name: x\ngarrison:\n  troops: [1, 2\n  supplies_days: 3\n")
    err = load_error(path)
    assert str(path) in str(err)
    assert "line" in err.field
    assert "not valid YAML" in str(err)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.yaml", "# nothing here\n")
    err = load_error(path)
    assert str(path) in str(err)
    assert "empty" in str(err)


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    err = load_error(path)
    assert str(path) in str(err)
    assert "no such file" in str(err)


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "list.yaml", "- name: a\n- name: b\n")
    err = load_error(path)
    assert str(path) in str(err)
    assert "mapping" in str(err)


# --- extends ----------------------------------------------------------------------------------


def test_child_changing_one_value_inherits_everything_else(tmp_path: Path, base_file: Path) -> None:
    child = write(tmp_path / "child.yaml", {"extends": "base.yaml", "garrison": {"troops": 450}})
    parent, scenario = load_scenario(base_file), load_scenario(child)
    assert scenario.garrison.troops == 450
    # The parent's source described the parent's value: the child's has none of its own.
    assert scenario.provenance == {**parent.provenance,
                                   "garrison.troops": Provenance(set_in=str(child))}
    same = scenario.model_copy(update={"garrison": parent.garrison,
                                       "provenance": parent.provenance})
    assert same == parent
    assert scenario != parent


def test_nested_merge_keeps_siblings(tmp_path: Path, base_file: Path) -> None:
    child = write(tmp_path / "child.yaml", {
        "extends": "base.yaml",
        "name": "child",
        "refinery": {"restart_days": {"insurgent": 90}},
    })
    parent, scenario = load_scenario(base_file), load_scenario(child)
    assert scenario.refinery.restart_days.insurgent == 90
    assert scenario.refinery.restart_days.government == parent.refinery.restart_days.government
    assert scenario.refinery.surroundings == parent.refinery.surroundings
    assert scenario.refinery.initial_damage == parent.refinery.initial_damage


def test_named_lists_merge_by_name(tmp_path: Path, base_file: Path) -> None:
    data = baseline_data()
    data["supply_operators"].append({"name": "army airdrops", "kind": "airdrop", "aircraft": 1})
    write(base_file, data)
    child = write(tmp_path / "child.yaml", {
        "extends": "base.yaml",
        "supply_operators": [
            {"name": "government helicopters", "payload_t": 5},
            {"name": "coalition drops", "kind": "airdrop", "bundles": 20},
        ],
        "areas": [{"name": "Siniya", "holder": "government"}],
    })
    parent, scenario = load_scenario(base_file), load_scenario(child)
    names = [op.name for op in scenario.supply_operators]
    assert names == ["government helicopters", "army airdrops", "coalition drops"]
    heli = operator(scenario, "government helicopters")
    assert heli.payload_t == 5
    # the operator's other fields come from the parent
    assert heli.model_copy(update={"payload_t": 3.0}) == operator(parent, "government helicopters")
    assert operator(scenario, "army airdrops") == operator(parent, "army airdrops")
    assert operator(scenario, "coalition drops").bundles == 20
    # areas merge the same way: one holder changes, order and the others are kept
    assert [a.name for a in scenario.areas] == [a.name for a in parent.areas]
    changed = {a.name: a for a in scenario.areas}
    assert changed["Siniya"].holder == "government"
    assert changed["Siniya"].kind == "village"
    assert [a for a in scenario.areas if a.name != "Siniya"] == [
        a for a in parent.areas if a.name != "Siniya"
    ]


def test_plain_list_is_replaced(tmp_path: Path, base_file: Path) -> None:
    child = write(tmp_path / "child.yaml", {
        "extends": "base.yaml",
        "ground_campaign": {"route": ["Siniya"]},
        "links": [{"name": "tanker road north", "through": []}],
    })
    scenario, parent = load_scenario(child), load_scenario(base_file)
    assert scenario.ground_campaign.route == ["Siniya"]
    # sibling kept
    assert scenario.ground_campaign.mean_days_per_area == parent.ground_campaign.mean_days_per_area
    road = next(link for link in scenario.links if link.name == "tanker road north")
    assert road.through == []
    parent_road = next(link for link in parent.links if link.name == "tanker road north")
    assert road.trucks_per_day == parent_road.trucks_per_day


def test_extends_relative_to_the_file_in_subfolders(tmp_path: Path, base_file: Path) -> None:
    # variants/mid.yaml extends ../base.yaml; deep/child.yaml extends ../variants/mid.yaml
    write(tmp_path / "variants" / "mid.yaml",
          {"extends": "../base.yaml", "name": "mid", "garrison": {"troops": 200}})
    child = write(tmp_path / "deep" / "child.yaml",
                  {"extends": "../variants/mid.yaml", "name": "child",
                   "garrison": {"supplies_days": 80}})
    scenario = load_scenario(child)
    assert scenario.name == "child"
    assert scenario.garrison.troops == 200
    assert scenario.garrison.supplies_days == 80
    # from the grandparent
    grandparent = load_scenario(base_file)
    assert scenario.garrison.collapse_after_days == grandparent.garrison.collapse_after_days


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", {"extends": "b.yaml", "name": "a"})
    write(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b"})
    err = load_error(a)
    assert "cycle" in str(err)
    assert err.field == "extends"


def test_extends_itself_is_a_cycle(tmp_path: Path) -> None:
    a = write(tmp_path / "self.yaml", {"extends": "self.yaml", "name": "a"})
    assert "cycle" in str(load_error(a))


def test_extends_missing_parent(tmp_path: Path) -> None:
    child = write(tmp_path / "child.yaml", {"extends": "missing-parent.yaml", "name": "c"})
    err = load_error(child)
    assert err.field == "extends"
    assert str(child) in str(err)
    assert "missing-parent.yaml" in str(err)


def test_error_in_child_of_valid_parent_names_the_field(tmp_path: Path, base_file: Path) -> None:
    child = write(tmp_path / "child.yaml", {"extends": "base.yaml", "garrison": {"troopz": 1}})
    err = load_error(child)
    assert err.field == "garrison.troopz"
    assert str(child) in str(err)


# --- --set overrides --------------------------------------------------------------------------


def test_override_nested_key() -> None:
    scenario = load_scenario(BASELINE, overrides=["garrison.troops=500"])
    assert scenario.garrison.troops == 500
    assert scenario.garrison.supplies_days == load_scenario(BASELINE).garrison.supplies_days


def test_override_list_item_by_name() -> None:
    scenario = load_scenario(
        BASELINE, overrides=["supply_operators.government helicopters.payload_t=4"])
    assert operator(scenario, "government helicopters").payload_t == 4
    parent = load_scenario(BASELINE)
    assert operator(scenario, "government helicopters").aircraft == (  # sibling kept
        operator(parent, "government helicopters").aircraft)


def test_override_list_item_by_index() -> None:
    scenario = load_scenario(BASELINE, overrides=["supply_operators.0.aircraft=7",
                                                  "areas.5.holder=government"])
    assert scenario.supply_operators[0].aircraft == 7
    assert scenario.areas[5].name == "Mazraa"
    assert scenario.areas[5].holder == "government"


def test_override_values_are_yaml_typed() -> None:
    scenario = load_scenario(BASELINE, overrides=[
        "garrison.supplies_days=12.5",
        "besiegers.strength=1000",
        "ground_campaign.route=[Siniya, Mazraa]",
        "air_defence.improved_from_day=null",
        "name=baseline with overrides",
    ])
    assert scenario.garrison.supplies_days == 12.5
    assert scenario.besiegers.strength == 1000
    assert scenario.ground_campaign.route == ["Siniya", "Mazraa"]
    assert scenario.air_defence.improved_from_day is None
    assert scenario.name == "baseline with overrides"


def test_later_override_wins() -> None:
    scenario = load_scenario(BASELINE, overrides=["garrison.troops=1", "garrison.troops=2"])
    assert scenario.garrison.troops == 2


def test_override_making_the_scenario_invalid_names_the_field() -> None:
    err = load_error(BASELINE, ["air_defence.hit_prob=2"])
    assert err.field == "air_defence.hit_prob"
    assert str(BASELINE) in str(err)


def test_override_with_unknown_key_gets_a_hint() -> None:
    err = load_error(BASELINE, ["garrison.troopz=5"])
    assert err.field == "garrison.troopz"
    assert "did you mean 'troops'" in str(err)


def test_override_unknown_list_item_name() -> None:
    err = load_error(BASELINE, ["supply_operators.ghost squadron.payload_t=4"])
    assert "ghost squadron" in err.field
    assert "government helicopters" in str(err)  # the names that exist are listed


def test_override_list_index_out_of_range() -> None:
    err = load_error(BASELINE, ["supply_operators.3.payload_t=4"])
    assert err.field == "supply_operators.3"


def test_override_without_equals_sign() -> None:
    err = load_error(BASELINE, ["garrison.troops"])
    assert "path.to.key=value" in str(err)


def test_override_applies_after_extends(tmp_path: Path, base_file: Path) -> None:
    child = write(tmp_path / "child.yaml", {"extends": "base.yaml", "garrison": {"troops": 450}})
    scenario = load_scenario(child, overrides=["garrison.troops=99"])
    assert scenario.garrison.troops == 99


# --- several files ----------------------------------------------------------------------------


def test_load_scenarios_rejects_duplicate_names(tmp_path: Path) -> None:
    copy_path = write(tmp_path / "copy.yaml", baseline_data())
    with pytest.raises(ScenarioError) as info:
        load_scenarios([BASELINE, copy_path])
    err = info.value
    assert err.field == "name"
    assert str(copy_path) in str(err)
    assert "baseline" in str(err)


def test_load_scenarios_keeps_order(tmp_path: Path) -> None:
    data = baseline_data()
    data["name"] = "other"
    other = write(tmp_path / "other.yaml", data)
    assert [s.name for s in load_scenarios([other, BASELINE])] == ["other", "baseline"]


# --- deep_merge -------------------------------------------------------------------------------


def test_deep_merge_does_not_mutate_inputs() -> None:
    base = {
        "garrison": {"troops": 300, "supplies_days": 30},
        "supply_operators": [{"name": "a", "payload_t": 3, "halt": {"after_losses": 2}},
                             {"name": "b", "payload_t": 1}],
        "route": ["x", "y"],
    }
    over = {
        "garrison": {"troops": 10},
        "supply_operators": [{"name": "a", "halt": {"within_days": 5}}, {"name": "c"}],
        "route": ["z"],
    }
    base_before, over_before = copy.deepcopy(base), copy.deepcopy(over)
    merged = deep_merge(base, over)
    assert base == base_before
    assert over == over_before
    assert merged == {
        "garrison": {"troops": 10, "supplies_days": 30},
        "supply_operators": [
            {"name": "a", "payload_t": 3, "halt": {"after_losses": 2, "within_days": 5}},
            {"name": "b", "payload_t": 1},
            {"name": "c"},
        ],
        "route": ["z"],
    }


def test_cross_reference_errors_name_their_field(tmp_path: Path) -> None:
    path = tmp_path / "bad_ref.yaml"
    data = yaml.safe_load(Path("scenarios/baseline.yaml").read_text())
    data["refinery"]["surroundings"] = ["Atlantis"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.field == "refinery.surroundings[0]"
    assert "Atlantis" in info.value.message


def test_set_text_with_a_colon_stays_text(tmp_path: Path) -> None:
    s = load_scenario("scenarios/baseline.yaml", ["description=Siege: day one"])
    assert s.description == "Siege: day one"


# --- inactive mechanisms ----------------------------------------------------------------------


def test_inactive_names_a_section_an_item_or_a_path_and_null_reactivates(
        tmp_path: Path, base_file: Path) -> None:
    data = baseline_data()
    data["inactive"] = {"airstrikes": "no foreign air support",
                        "links.Baghdad product pipeline": "Tikrit is held by the insurgents",
                        "ground_campaign.retry_days": "no route"}
    write(base_file, data)
    child = write(tmp_path / "child.yaml", {"extends": "base.yaml", "name": "child",
                                            "inactive": {"airstrikes": None}})
    parent, scenario = load_scenario(base_file), load_scenario(child)
    assert set(parent.inactive_reasons) == set(data["inactive"])
    assert scenario.inactive["airstrikes"] is None
    assert scenario.inactive_reasons == {k: v for k, v in data["inactive"].items()
                                         if k != "airstrikes"}


@pytest.mark.parametrize(("key", "hint"), [
    ("airstrike", "airstrikes"),  # a typo of a section
    ("links.Baghdad pipeline", "links.Baghdad product pipeline"),  # of an item
    ("garrison.troops.low", "garrison.troops"),  # below a leaf
    ("supply_operators.US airdrops", None),  # an item the baseline does not have
])
def test_an_inactive_key_that_names_no_parameter_is_an_error(
        tmp_path: Path, key: str, hint: str | None) -> None:
    data = baseline_data()
    data["inactive"] = {"ground_campaign": "no route", key: "a reason"}
    err = load_error(write(tmp_path / "bad.yaml", data))
    assert err.field == f"inactive.{key}"
    assert str(tmp_path / "bad.yaml") in str(err)
    assert "not a parameter path" in err.message and "Allowed: a section (" in err.message
    assert "links.NAME" in err.message
    if hint:
        assert f"did you mean '{hint}'?" in err.message


def test_an_inactive_key_in_a_variant_is_checked_against_the_resolved_scenario(
        tmp_path: Path, base_file: Path) -> None:
    child = {"extends": "base.yaml", "name": "child", "inactive": {"links.nowhere": None}}
    err = load_error(write(tmp_path / "child.yaml", child))
    assert err.field == "inactive.links.nowhere"
    # --set reaches it too, and an empty reason is refused.
    err = load_error(base_file, ['inactive={airstrikes: " "}'])
    assert err.field == "inactive.airstrikes" and "reason" in err.message


def test_inactive_is_not_a_parameter() -> None:
    from sim.scenario.provenance import scenario_leaves

    scenario = load_scenario(BASELINE, ['inactive={airstrikes: "no foreign air support"}'])
    assert not any(p.startswith("inactive") for p in scenario_leaves(scenario))


# --- did you mean (issue 15) ------------------------------------------------------------------


def test_a_missing_parent_names_where_it_was_looked_for_and_the_shipped_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    child = write(tmp_path / "mine.yaml", "extends: baseline.yaml\nname: mine\n")
    monkeypatch.chdir(REPO)
    err = load_error(child)
    assert err.field == "extends"
    assert f"looked for {tmp_path / 'baseline.yaml'}" in err.message
    suggested = err.message.rsplit("did you mean '", 1)[1].rstrip("'?")
    assert (tmp_path / suggested).resolve() == BASELINE.resolve()


def test_a_misspelled_item_in_set_gets_a_did_you_mean() -> None:
    err = load_error(BASELINE, ["supply_operators.govrnment helicopters.aircraft=3"])
    assert "did you mean 'government helicopters'?" in err.message
    assert "did you mean" not in load_error(BASELINE, ["supply_operators.xx.aircraft=3"]).message


def test_a_misspelled_key_is_reported_once_not_also_as_missing(tmp_path: Path) -> None:
    child = write(tmp_path / "c.yaml", f"extends: {BASELINE}\nname: c\n"
                  "besiegers:\n  offensive: {strat_day: 100}\n")
    err = load_error(child)
    assert err.field == "besiegers.offensive.strat_day"
    assert "missing" not in err.message


def test_a_misspelled_parent_gets_the_close_name_in_its_folder(
        tmp_path: Path, base_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    child = write(tmp_path / "kids" / "child.yaml", "extends: ../basee.yaml\nname: child\n")
    err = load_error(child)
    assert err.message.endswith("did you mean '../base.yaml'?"), err.message
    far = write(tmp_path / "kids" / "far.yaml", "extends: ../elsewhere.yaml\nname: far\n")
    assert "did you mean" not in load_error(far).message
