"""The provenance of a value follows the file that set it (issue 15).

A parent's source describes the parent's value. A value that a file (or ``--set``) sets
without a provenance entry of its own shows "set in FILE, no source given" in ``explain``,
``explain --diff``, the resolved copy of a results folder and everything read from it;
``validate`` warns about it and still exits 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.analysis.sensitivity import uncertain_parameters
from sim.cli.app import app
from sim.output.results import resolved_yaml
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.provenance import ParameterRow, explain_rows, load_facts, unit_of
from sim.scenario.schema import Provenance

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
HELI = "supply_operators.government helicopters"
runner = CliRunner()
FACTS = load_facts(REPO / "seeds")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows(path: Path, overrides: tuple[str, ...] = ()) -> dict[str, ParameterRow]:
    return {r.path: r for r in explain_rows(load_scenario(path, overrides), FACTS)}


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    """The issue's example: a variant of the baseline that changes four values, no sources."""
    return write(tmp_path / "mine.yaml", f"""extends: {BASELINE}
name: mine
description: More helicopters, a later halt.
start_date: 2014-11-01
horizon_days: 200
supply_operators:
  - name: government helicopters
    aircraft: 6
    halt: {{after_losses: 4}}
""")


def test_a_value_set_without_a_source_does_not_inherit_the_parents(mine: Path) -> None:
    parent, child = rows(BASELINE), rows(mine)
    assert parent[f"{HELI}.halt.after_losses"].kind == "fact"
    for path in ("start_date", "horizon_days", f"{HELI}.aircraft", f"{HELI}.halt.after_losses"):
        assert child[path].kind == "missing", path
        assert child[path].source == f"set in {mine}, no source given", path
    # What the file does not change keeps the parent's source.
    assert child[f"{HELI}.halt.within_days"] == parent[f"{HELI}.halt.within_days"]
    assert child["garrison.troops"] == parent["garrison.troops"]


def test_restating_the_parents_value_keeps_its_source(tmp_path: Path) -> None:
    path = write(tmp_path / "same.yaml", f"extends: {BASELINE}\nname: same\nhorizon_days: 180\n")
    assert rows(path)["horizon_days"] == rows(BASELINE)["horizon_days"]


def test_a_source_given_with_the_value_wins_even_over_a_deeper_parent_key(
        tmp_path: Path) -> None:
    # The baseline has entries for .aircraft and .halt.after_losses; the child's key for the
    # whole operator is shorter, but it is the one that describes the values the child set.
    path = write(tmp_path / "sourced.yaml", f"""extends: {BASELINE}
name: sourced
description: x
supply_operators:
  - name: government helicopters
    aircraft: 6
    halt: {{after_losses: 4}}
provenance:
  {HELI}:
    assumption: "A bigger fleet that accepts more losses."
""")
    got = rows(path)
    for leaf in ("aircraft", "halt.after_losses"):
        assert got[f"{HELI}.{leaf}"].kind == "assumption"
        assert got[f"{HELI}.{leaf}"].source == "A bigger fleet that accepts more losses."
    # A value the child did not set keeps the parent's deeper entry.
    assert got[f"{HELI}.halt.within_days"] == rows(BASELINE)[f"{HELI}.halt.within_days"]


def test_a_later_file_may_give_the_source_of_a_value_its_parent_set(tmp_path: Path) -> None:
    write(tmp_path / "middle.yaml", f"extends: {BASELINE}\nname: middle\n"
          "garrison: {troops: 400}\n")
    child = write(tmp_path / "child.yaml", "extends: middle.yaml\nname: child\nprovenance:\n"
                  "  garrison.troops: {assumption: \"Reinforced.\"}\n")
    unsourced = write(tmp_path / "other.yaml", "extends: middle.yaml\nname: other\n")
    assert rows(child)["garrison.troops"].source == "Reinforced."
    assert rows(unsourced)["garrison.troops"].source == (
        f"set in {tmp_path / 'middle.yaml'}, no source given")


def test_set_on_the_command_line(mine: Path) -> None:
    got = rows(BASELINE, ("garrison.troops=400",))
    assert got["garrison.troops"].kind == "missing"
    assert got["garrison.troops"].source == "set on the command line, no source given"
    assert rows(BASELINE, ("garrison.troops=250",))["garrison.troops"].kind == "assumption"


def test_the_resolved_copy_keeps_the_rule(mine: Path, tmp_path: Path) -> None:
    scenario = load_scenario(mine)
    assert scenario.provenance[f"{HELI}.aircraft"] == Provenance(set_in=str(mine))
    copy = write(tmp_path / "copy.yaml", resolved_yaml(scenario))
    again = load_scenario(copy)
    assert again == scenario
    assert rows(copy)[f"{HELI}.aircraft"].source == f"set in {mine}, no source given"
    assert "set_in" not in resolved_yaml(load_scenario(BASELINE))  # sourced entries unchanged


def test_a_changed_value_loses_its_parents_sensitivity_range(mine: Path) -> None:
    assert f"{HELI}.aircraft" in uncertain_parameters(load_scenario(BASELINE), levers=True)
    assert f"{HELI}.aircraft" not in uncertain_parameters(load_scenario(mine), levers=True)


def test_set_in_goes_alone(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", f"extends: {BASELINE}\nname: bad\nprovenance:\n"
                 "  garrison.troops: {set_in: x.yaml, fact: world2014.garrison-size}\n")
    with pytest.raises(ScenarioError, match=r"'set_in'.*goes alone"):
        load_scenario(path)


# --- through the command line ---------------------------------------------------------------


def test_validate_warns_on_stderr_and_exits_0(mine: Path) -> None:
    r = runner.invoke(app, ["validate", str(mine)])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == f"ok  {mine}  (mine)"
    warnings = r.stderr.splitlines()
    assert len(warnings) == 4, r.stderr
    assert f"warning: {mine}: {HELI}.halt.after_losses: set without a source" in r.stderr
    assert f"warning: {mine}: start_date: set without a source" in r.stderr


def test_validate_is_silent_for_the_shipped_scenarios() -> None:
    files = sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "exercises").glob("*.yaml"))
    r = runner.invoke(app, ["validate", *map(str, files)])
    assert r.exit_code == 0, r.output
    assert r.stderr == ""


def test_explain_and_its_diff_show_where_the_value_was_set(mine: Path) -> None:
    r = runner.invoke(app, ["explain", str(mine), "--diff", str(BASELINE)])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("4 parameters differ between mine and baseline")
    assert f"mine: set in {mine}, no source given" in r.stdout
    assert "mine: fact" not in r.stdout
    r = runner.invoke(app, ["explain", str(BASELINE), "--set", "garrison.troops=400"])
    assert "garrison.troops = 400 troops\n      set on the command line, no source given" in (
        r.stdout)
    r = runner.invoke(app, ["explain", str(BASELINE), "--set", "garrison.troops=400",
                            "--diff", str(BASELINE), "--json"])
    data = json.loads(r.stdout)
    assert data["differences"] == []  # --set applies to both


def test_explain_counts_in_words(tmp_path: Path) -> None:
    one = write(tmp_path / "one.yaml", f"extends: {BASELINE}\nname: one\nhorizon_days: 200\n")
    r = runner.invoke(app, ["explain", str(one), "--diff", str(BASELINE)])
    assert r.stdout.startswith("1 parameter differs between one and baseline\n"), r.stdout


# --- what explain says about the shipped scenarios -------------------------------------------


def test_every_area_kind_is_explained_by_an_entry_about_it() -> None:
    got = rows(BASELINE)
    assert "sectors" in got["areas.plant-core.kind"].source
    for area in ("Kirkuk fields", "Ajil fields", "Baghdad", "Mosul", "Mazraa"):
        assert "sectors" not in got[f"areas.{area}.kind"].source, area
    assert "oil field" in got["areas.Kirkuk fields.kind"].source


def test_explain_prints_no_empty_planning_factor_and_no_range_as_a_unit() -> None:
    r = runner.invoke(app, ["explain", str(BASELINE)])
    assert r.exit_code == 0
    assert "None" not in r.stdout
    assert "ref.method.engagement-form: For combat" in r.stdout
    assert "damage.aversion = 0.8 share of damaging blows held back" in r.stdout
    assert not [line for line in r.stdout.splitlines() if line.rstrip().endswith(" 0-1")]
    assert unit_of(f"{HELI}.exposure") == "share of the loss chance"


def test_every_row_of_explain_json_is_plain_data(mine: Path) -> None:
    r = runner.invoke(app, ["explain", str(mine), "--json"])
    rows_ = {p["path"]: p for p in json.loads(r.stdout)["parameters"]}
    assert rows_[f"{HELI}.aircraft"]["kind"] == "missing"
    assert rows_[f"{HELI}.aircraft"]["source"] == f"set in {mine}, no source given"
    assert yaml.safe_dump(rows_)  # nothing that YAML or JSON cannot hold


def test_validate_caps_its_warnings_and_explain_lists_them_all(tmp_path: Path) -> None:
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data.pop("provenance")
    bare = write(tmp_path / "bare.yaml", yaml.safe_dump(data, sort_keys=False))
    r = runner.invoke(app, ["validate", str(bare)])
    assert r.exit_code == 0
    lines = r.stderr.splitlines()
    assert len(lines) == 21, r.stderr
    more = len(load_scenario(bare).provenance) - 20
    assert lines[-1] == (f"warning: {bare}: {more} more values set without a source: see "
                         f"baiji-sim explain {bare}")
    r = runner.invoke(app, ["explain", str(bare)])
    assert r.stdout.count(f"set in {bare}, no source given") == more + 20


def test_the_report_shows_where_an_unsourced_value_was_set(mine: Path, tmp_path: Path) -> None:
    from sim.output.report import render_report

    out = tmp_path / "run"
    done = runner.invoke(app, ["run", str(BASELINE), str(mine), "-n", "3", "--workers", "1",
                               "--no-plots", "--out", str(out)])
    assert done.exit_code == 0, done.output
    page = render_report(out)
    assert f"set in {mine}, no source given" in page
