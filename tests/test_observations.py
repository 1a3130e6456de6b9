"""Dated observations (seeds/observations.yaml, sim/model/observations.py): known answers on
hand-made daily series, the scenarios that do and do not test an observation, the sheet's
checks, and the face-validity section, table and report."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import scenario
from rich.console import Console

from sim.analysis.estimates import summarize
from sim.model.metrics import BINARY_METRICS, METRICS
from sim.model.observations import (
    AFTER,
    ASSUMED,
    BEFORE,
    BY_ID,
    OBSERVATION_METRICS,
    OBSERVATIONS,
    START,
    TESTED,
    ObservationSheetError,
    consistent,
    face_validity,
    load_observations,
    observation_values,
    status,
)
from sim.model.recorder import DAILY
from sim.model.replication import run_replication
from sim.output.labels import METRIC_LABELS
from sim.output.tables import face_validity_table
from sim.runner.batch import run_batch

OCT = "obs.garrison-holds-2014-10-31"
HELI = "obs.helicopters-lost-flights-halted-2014-10-31"
SHARE = "obs.insurgents-hold-most-2015-05-07"
OFFLINE = "obs.refinery-offline-2015-05-07"
PART = "obs.government-holds-part-2015-05-07"
HELICOPTERS = {"name": "government helicopters", "kind": "helicopter", "aircraft": 3,
               "sorties_per_aircraft_day": 0.5, "payload_t": 3}


def starting(date: str, horizon: int = 100, **changes):
    """The quiet scenario from ``date``, with the government's helicopters flying."""
    changes.setdefault("supply_operators", [HELICOPTERS])
    return scenario(start_date=date, horizon_days=horizon, **changes)


def daily(horizon: int, **series: float | np.ndarray) -> np.ndarray:
    """A daily array in DAILY order: a garrison of 250 holding the whole plant, the refinery
    down, no helicopter lost; ``series`` replaces whole rows."""
    out = np.zeros((len(DAILY), horizon))
    out[DAILY.index("gov_control")] = 1.0
    out[DAILY.index("garrison_troops")] = 250.0
    for name, values in series.items():
        out[DAILY.index(name)] = values
    return out


def with_day(horizon: int, day: int, value: float, otherwise: float) -> np.ndarray:
    row = np.full(horizon, otherwise)
    row[day] = value
    return row


NO_EVENTS = {"flights_halted_day": math.nan, "garrison_fall_day": math.nan,
             "siege_lifted_day": math.nan, "first_operating_day": math.nan}


# -- the columns ----------------------------------------------------------------------------
def test_each_observation_is_a_binary_column_of_every_replication() -> None:
    assert tuple(o.id for o in OBSERVATIONS) == OBSERVATION_METRICS
    assert {OCT, HELI, SHARE, OFFLINE, PART} <= set(OBSERVATION_METRICS)
    assert METRICS[-len(OBSERVATION_METRICS):] == OBSERVATION_METRICS
    assert set(OBSERVATION_METRICS) <= set(BINARY_METRICS)
    for metric in OBSERVATION_METRICS:
        assert METRIC_LABELS[metric][1] == "share of replications"


# -- which scenarios test an observation -----------------------------------------------------
@pytest.mark.parametrize(("start", "horizon", "expected"), [
    ("2014-11-01", 100, BEFORE),      # the date is before the scenario starts
    ("2014-10-31", 100, START),       # its first day: the starting state
    ("2014-10-30", 100, TESTED),      # day 1
    ("2014-07-24", 100, TESTED),      # day 99, the last simulated day
    ("2014-07-23", 100, AFTER),       # day 100 = horizon: after the last simulated day
])
def test_an_observation_is_tested_on_the_simulated_days_after_the_first(
        start: str, horizon: int, expected: str) -> None:
    s = starting(start, horizon)
    assert status(BY_ID[OCT], s) == expected
    value = observation_values(s, daily(horizon), NO_EVENTS)[OCT]
    assert (value == 1.0) if expected == TESTED else math.isnan(value)


def test_a_scenario_that_stops_the_flights_itself_does_not_test_the_halt() -> None:
    flying = starting("2014-10-01")
    assert status(BY_ID[HELI], flying) == TESTED
    stopped = starting("2014-10-01", supply_operators=[{**HELICOPTERS, "end_day": 0}])
    none = starting("2014-10-01", supply_operators=[])
    later = starting("2014-10-01", supply_operators=[{**HELICOPTERS, "start_day": 31}])
    ending_after = starting("2014-10-01", supply_operators=[{**HELICOPTERS, "end_day": 31}])
    for s in (stopped, none, later):
        assert status(BY_ID[HELI], s) == ASSUMED
        assert math.isnan(observation_values(s, daily(100), NO_EVENTS)[HELI])
        assert status(BY_ID[OCT], s) == TESTED  # the other October observation still is
    assert status(BY_ID[HELI], ending_after) == TESTED


# -- each condition, on hand-made series -----------------------------------------------------
def test_the_garrison_holds_when_present_with_at_most_one_sector_lost() -> None:
    o, day, h = BY_ID[OCT], 30, 100  # 2014-10-31 from 2014-10-01
    assert consistent(o, daily(h), NO_EVENTS, day)
    assert consistent(o, daily(h, gov_control=with_day(h, day, 0.8, 0.0)), NO_EVENTS, day)
    assert not consistent(o, daily(h, gov_control=with_day(h, day, 0.6, 1.0)), NO_EVENTS, day)
    assert not consistent(o, daily(h, garrison_troops=with_day(h, day, 0.0, 250.0)),
                          NO_EVENTS, day)
    # only the date's column counts
    assert consistent(o, daily(h, garrison_troops=with_day(h, day, 250.0, 0.0)), NO_EVENTS, day)


@pytest.mark.parametrize(("lost", "halted", "expected"), [
    (2, 31.0, True),        # two lost and halted at the very end of the date
    (3, 12.5, True),
    (2, 31.5, False),       # halted the next day
    (1, 20.0, False),       # one loss only
    (2, math.nan, False),   # never halted
])
def test_two_helicopters_lost_and_the_flights_halted_by_the_date(
        lost: int, halted: float, expected: bool) -> None:
    o, day, h = BY_ID[HELI], 30, 100
    series = daily(h, helicopters_lost=with_day(h, day, lost, 0.0))
    assert consistent(o, series, {**NO_EVENTS, "flights_halted_day": halted}, day) == expected


@pytest.mark.parametrize(("share", "expected"), [
    (0.0, False), (0.2, True), (0.4, True), (0.6, False), (1.0, False)])
def test_the_insurgents_hold_about_four_fifths(share: float, expected: bool) -> None:
    o, h = BY_ID[SHARE], 300
    day = (o.date - dt.date(2014, 10, 1)).days
    assert consistent(o, daily(h, gov_control=with_day(h, day, share, 1.0)), NO_EVENTS,
                      day) == expected


def test_the_refinery_is_offline_for_the_ninety_days_to_the_date() -> None:
    o, h = BY_ID[OFFLINE], 300
    day = (o.date - dt.date(2014, 10, 1)).days  # 218
    assert consistent(o, daily(h), NO_EVENTS, day)
    for on, expected in ((day, False), (day - 89, False), (day - 90, True), (day + 1, True)):
        state = with_day(h, on, 2.0, 0.0)
        assert consistent(o, daily(h, refinery_state=state), NO_EVENTS, day) == expected, on
    assert consistent(o, daily(h, refinery_state=1.0), NO_EVENTS, day)  # restarting is off
    # A scenario that starts 30 days before the date: only its own days are checked.
    s = starting("2015-04-07", 60)
    assert status(o, s) == TESTED
    assert observation_values(s, daily(60), NO_EVENTS)[OFFLINE] == 1.0
    assert observation_values(s, daily(60, refinery_state=with_day(60, 0, 2.0, 0.0)),
                              NO_EVENTS)[OFFLINE] == 0.0


@pytest.mark.parametrize(("share", "troops", "expected"), [
    (0.2, 100.0, True), (1.0, 100.0, True), (0.0, 100.0, False), (0.2, 0.0, False)])
def test_the_government_still_holds_part_of_the_plant(share: float, troops: float,
                                                      expected: bool) -> None:
    o, h = BY_ID[PART], 300
    day = (o.date - dt.date(2014, 10, 1)).days
    series = daily(h, gov_control=with_day(h, day, share, 1.0),
                   garrison_troops=with_day(h, day, troops, 250.0))
    assert consistent(o, series, NO_EVENTS, day) == expected


def test_a_replication_carries_its_observations_among_its_metrics() -> None:
    """The quiet scenario from 2014-10-01 for 240 days, the town around the plant held by
    the insurgents: nothing happens, so the garrison holds the whole plant, no helicopter is
    lost and the refinery stays down."""
    s = starting("2014-10-01", 240, supply_operators=[],
                 areas=[{"name": "town", "holder": "insurgent"}])
    result = run_replication(s, 1)
    assert result.daily.shape == (len(DAILY), 240)
    assert np.all(result.daily[DAILY.index("helicopters_lost")] == 0)
    values = {m: result.metrics[m] for m in OBSERVATION_METRICS}
    assert values[OCT] == 1.0
    assert math.isnan(values[HELI])  # no government helicopters: the halt is assumed
    assert values[SHARE] == 0.0  # the government holds everything, not a fifth
    assert values[OFFLINE] == 1.0
    assert values[PART] == 1.0


def test_the_daily_helicopter_count_is_cumulative_and_ends_at_the_metric() -> None:
    s = starting("2014-10-01", 120, air_defence={"hit_prob": 1.0, "engagement_per_team": 1.0,
                                                 "loss_given_hit": 1.0})
    result = run_replication(s, 3)
    count = result.daily[DAILY.index("helicopters_lost")]
    assert np.all(np.diff(count) >= 0)
    assert count[-1] == result.metrics["helicopters_lost"] > 0


# -- the sheet -------------------------------------------------------------------------------
GOOD = """
observations:
  - id: obs.a-test
    label: test
    statement: A state.
    facts: [world2014.garrison-size]
    date: 2014-10-31
    quantity: troops
    conditions:
      - {series: garrison_troops, above: 0}
    note: why
"""


def test_the_sheet_is_read_and_its_mistakes_are_named(tmp_path: Path) -> None:
    path = tmp_path / "observations.yaml"
    path.write_text(GOOD, encoding="utf-8")
    (o,) = load_observations(path)
    assert o.date == dt.date(2014, 10, 31) and o.condition_text() == "garrison_troops > 0"
    with pytest.raises(ObservationSheetError, match="missing"):
        load_observations(tmp_path / "nowhere.yaml")
    for bad, message in (("id: obs.a-test", "id: a-test"), ("above: 0", "over: 0"),
                         ("above: 0", "above: lots"), ("date: 2014-10-31", "date: 2014-10"),
                         ("note: why", "notes: why"),
                         ("{series: garrison_troops, above: 0}", "{event: x, happened: 2}")):
        path.write_text(GOOD.replace(bad, message), encoding="utf-8")
        with pytest.raises(ObservationSheetError, match=str(path).replace(".", r"\.")):
            load_observations(path)


def test_the_shipped_conditions_read_as_written() -> None:
    assert BY_ID[SHARE].condition_text() == "0 < gov_control <= 0.4"
    assert BY_ID[HELI].condition_text() == ("helicopters_lost >= 2 and flights_halted_day by "
                                            "the date")
    assert BY_ID[OFFLINE].condition_text() == ("refinery_state < 2 on each of the 90 days to "
                                               "the date")


# -- over replications -----------------------------------------------------------------------
def test_the_summary_has_a_face_validity_section_for_the_scenarios_that_test() -> None:
    october = starting("2014-10-01", 60, name="october")
    later = starting("2016-01-01", 60, name="later")  # tests nothing
    batch = run_batch([october, later], 12, seed=4, workers=1)
    summary = summarize(batch)
    section = summary["face_validity"]
    assert section["ci_method"] == "wilson"
    assert list(section["scenarios"]) == ["october"]
    entries = section["scenarios"]["october"]
    assert list(entries) == list(OBSERVATION_METRICS)
    held = entries[OCT]
    assert held["status"] == TESTED and held["date"] == "2014-10-31" and held["day"] == 30
    assert held["facts"] == list(BY_ID[OCT].facts)
    assert held["n"] == 12 and held["share"] == 1.0  # nothing attacks the quiet garrison
    assert held["ci95"][0] < 1.0 and held["ci95"][1] == 1.0  # Wilson, not [1, 1]
    assert entries[SHARE]["status"] == AFTER and entries[SHARE]["share"] is None
    metric = summary["scenarios"]["october"]["metrics"][OCT]
    assert metric["kind"] == "share" and metric["ci_method"] == "wilson"
    assert summary["scenarios"]["later"]["metrics"][OCT]["n"] == 0
    assert face_validity({"later": later}, {}) == {}
    assert "face_validity" not in summarize(run_batch([later], 3, seed=4, workers=1))


def test_the_terminal_table_lists_the_tested_observations() -> None:
    assert face_validity_table({"scenarios": {}}) is None
    s = starting("2014-10-01", 60, name="october",
                 supply_operators=[{**HELICOPTERS, "end_day": 0}])
    entries = face_validity({"october": s}, {"october": {OCT: {
        "mean": 0.875, "ci95": [0.7, 0.95], "n": 40}}})
    console = Console(record=True, width=250)
    console.print(face_validity_table({"face_validity": entries}))
    text = console.export_text()
    assert "Face validity" in text
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines()
            if line.startswith("│")]
    assert rows == [["october", OCT, "2014-10-31", "garrison_troops > 0 and gov_control >= 0.8",
                     "88% [70, 95]", "40"]]  # the assumed one is not a row...
    assert f"{HELI} is not tested by october (assumed by the scenario)" in " ".join(
        text.split())  # ...but named
