"""The articles' observed states as dated checks on a replication (face validity).

``seeds/observations.yaml`` lists what the two articles report about the siege on given dates
(the garrison still holds in October 2014; two helicopters lost and the flights halted by then;
in May 2015 the insurgents hold about four fifths of the plant, which has been offline for
months, and the government still holds the rest). Each observation has a condition on the
state at the end of its date. The sheet is read once, when this module is imported, because
the observations are columns of every replication (``sim.model.recorder.METRICS``, in the order of
the sheet): a missing or malformed sheet stops the import with a message naming the file.

A finished replication is checked in its worker process, from its daily series and metrics
(:func:`observation_values`), so streamed runs, which keep no daily series, have the columns
too: 1.0 consistent, 0.0 not, NaN when the scenario does not test the observation
(:func:`status`): its date is not one of the simulated days, it is the scenario's first day
(the starting state, which the scenario sets from the same reports), or the scenario takes
the observed state as given (``assumed_if``). :func:`face_validity` turns the summaries of
these columns into the ``face_validity`` section of ``summary.json``.

This module imports nothing from the rest of the package at import time: ``sim.model.recorder``
imports it to build ``METRICS``, and the names of the daily series and event days it checks
against are looked up on first use (:func:`check_names`).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

SHEET = Path(__file__).resolve().parents[2] / "seeds" / "observations.yaml"
ID = re.compile(r"^obs\.[a-z0-9]+(-[a-z0-9]+)*$")
# bound -> (test, symbol in the condition's text)
BOUNDS: dict[str, tuple[Callable[[Any, float], Any], str]] = {
    "above": (operator.gt, ">"), "at_least": (operator.ge, ">="),
    "below": (operator.lt, "<"), "at_most": (operator.le, "<=")}
TESTED = "tested"
# Why a scenario does not test an observation (the value is then NaN).
BEFORE, AFTER, START, ASSUMED = ("before the start", "after the horizon", "starting state",
                                 "assumed by the scenario")
_FIELDS = {"id", "label", "statement", "facts", "date", "quantity", "conditions", "assumed_if",
           "note"}
_REQUIRED = ("id", "label", "statement", "facts", "date", "quantity", "conditions", "note")
_ASSUMPTIONS = {"flights_stopped_by_scenario"}


class ObservationSheetError(Exception):
    """``seeds/observations.yaml`` is missing or does not say what a check needs."""


@dataclass(frozen=True)
class SeriesCondition:
    """A daily series within bounds on the date (and on the days before it, if asked)."""

    series: str
    bounds: tuple[tuple[str, float], ...]  # (bound name, value), e.g. ("at_most", 0.4)
    throughout_days: int = 1

    def text(self) -> str:
        lower = [(n, v) for n, v in self.bounds if n in ("above", "at_least")]
        upper = [(n, v) for n, v in self.bounds if n in ("below", "at_most")]
        if len(lower) == 1 and len(upper) == 1:  # a range: 0 < gov_control <= 0.4
            (ln, lv), (un, uv) = lower[0], upper[0]
            flipped = {"above": "<", "at_least": "<="}[ln]
            core = f"{lv:g} {flipped} {self.series} {BOUNDS[un][1]} {uv:g}"
        else:
            core = " and ".join(f"{self.series} {BOUNDS[n][1]} {v:g}" for n, v in self.bounds)
        if self.throughout_days > 1:
            core += f" on each of the {self.throughout_days} days to the date"
        return core


@dataclass(frozen=True)
class EventCondition:
    """An event-day metric: the event happened by the end of the date, or had not."""

    event: str
    happened: bool = True

    def text(self) -> str:
        return f"{self.event} {'by' if self.happened else 'not by'} the date"


Condition = SeriesCondition | EventCondition


@dataclass(frozen=True)
class Observation:
    """One dated observation of the articles and the check a replication must pass."""

    id: str
    label: str
    statement: str
    facts: tuple[str, ...]
    date: dt.date
    quantity: str
    conditions: tuple[Condition, ...]
    note: str
    flights_stopped_by_scenario: str | None = None  # assumed_if: that operator is not flying

    def condition_text(self) -> str:
        return " and ".join(c.text() for c in self.conditions)


# -- the sheet ----------------------------------------------------------------------------
def load_observations(path: Path = SHEET) -> tuple[Observation, ...]:
    """Every observation of the sheet at ``path``, checked; raises ObservationSheetError."""
    if not path.is_file():
        raise ObservationSheetError(
            f"{path}: the observation sheet is missing. baiji-sim reads it when it is imported "
            "(its observations are columns of replications.csv): keep seeds/observations.yaml "
            "next to the sim package, as in the repository.")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise ObservationSheetError(f"{path}: unreadable ({exc})") from None
    entries = data.get("observations") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ObservationSheetError(f"{path}: no 'observations' list")
    out: list[Observation] = []
    for k, entry in enumerate(entries):
        out.append(_observation(entry, f"{path}: observations[{k}]"))
    ids = [o.id for o in out]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ObservationSheetError(f"{path}: ids used twice: {', '.join(twice)}")
    return tuple(out)


def _observation(entry: Any, where: str) -> Observation:
    if not isinstance(entry, dict):
        raise ObservationSheetError(f"{where}: not a mapping")
    where = f"{where} ({entry.get('id', 'no id')})"
    unknown = sorted(set(entry) - _FIELDS)
    missing = [f for f in _REQUIRED if entry.get(f) in (None, "", [])]
    if unknown or missing:
        raise ObservationSheetError(
            f"{where}: " + "; ".join(([f"unknown field(s) {', '.join(unknown)}"] if unknown
                                      else []) + ([f"missing {', '.join(missing)}"] if missing
                                                  else [])))
    if not isinstance(entry["id"], str) or not ID.match(entry["id"]):
        raise ObservationSheetError(f"{where}: id must be 'obs.' and lowercase words joined "
                                    "by '-'")
    facts = entry["facts"]
    if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
        raise ObservationSheetError(f"{where}: facts must be a list of fact ids")
    date = entry["date"]
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            date = None
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise ObservationSheetError(f"{where}: date must be a day, YYYY-MM-DD")
    conditions = entry["conditions"]
    if not isinstance(conditions, list):
        raise ObservationSheetError(f"{where}: conditions must be a list")
    assumed = entry.get("assumed_if") or {}
    if not isinstance(assumed, dict) or set(assumed) - _ASSUMPTIONS:
        raise ObservationSheetError(f"{where}: assumed_if takes only "
                                    f"{', '.join(sorted(_ASSUMPTIONS))}")
    operator_name = assumed.get("flights_stopped_by_scenario")
    if operator_name is not None and not isinstance(operator_name, str):
        raise ObservationSheetError(f"{where}: flights_stopped_by_scenario names an operator")
    def text(key: str) -> str:  # folded YAML keeps its line breaks: one line of words
        return " ".join(str(entry[key]).split())

    return Observation(
        id=entry["id"], label=text("label"), statement=text("statement"), facts=tuple(facts),
        date=date, quantity=text("quantity"),
        conditions=tuple(_condition(c, f"{where}: conditions[{i}]")
                         for i, c in enumerate(conditions)),
        note=text("note"), flights_stopped_by_scenario=operator_name)


def _condition(entry: Any, where: str) -> Condition:
    if not isinstance(entry, dict):
        raise ObservationSheetError(f"{where}: not a mapping")
    if "series" in entry:
        extra = sorted(set(entry) - {"series", "throughout_days", *BOUNDS})
        bounds = [(n, entry[n]) for n in BOUNDS if n in entry]
        days = entry.get("throughout_days", 1)
        if extra or not bounds:
            raise ObservationSheetError(
                f"{where}: a series condition takes {', '.join(BOUNDS)} (at least one) and "
                f"throughout_days" + (f"; not {', '.join(extra)}" if extra else ""))
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for _, v in bounds):
            raise ObservationSheetError(f"{where}: bounds must be numbers")
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise ObservationSheetError(f"{where}: throughout_days must be a whole number >= 1")
        return SeriesCondition(str(entry["series"]), tuple((n, float(v)) for n, v in bounds),
                               days)
    if "event" in entry:
        happened = entry.get("happened", True)
        if set(entry) - {"event", "happened"} or not isinstance(happened, bool):
            raise ObservationSheetError(f"{where}: an event condition takes event and "
                                        "happened (true or false)")
        return EventCondition(str(entry["event"]), happened)
    raise ObservationSheetError(f"{where}: a condition names a 'series' or an 'event'")


OBSERVATIONS = load_observations()
OBSERVATION_METRICS = tuple(o.id for o in OBSERVATIONS)
BY_ID = {o.id: o for o in OBSERVATIONS}


@cache
def check_names() -> dict[str, int]:
    """Row of each daily series in ``result.daily``, once every name in the sheet is known."""
    from sim.model.metrics import EVENT_DAY_METRICS
    from sim.model.recorder import DAILY

    for o in OBSERVATIONS:
        for c in o.conditions:
            if isinstance(c, SeriesCondition) and c.series not in DAILY:
                raise ObservationSheetError(f"{SHEET}: {o.id}: '{c.series}' is not a daily "
                                            f"series; choose from {', '.join(DAILY)}")
            if isinstance(c, EventCondition) and c.event not in EVENT_DAY_METRICS:
                raise ObservationSheetError(f"{SHEET}: {o.id}: '{c.event}' is not an event "
                                            f"day; choose from {', '.join(EVENT_DAY_METRICS)}")
    return {name: k for k, name in enumerate(DAILY)}


def unknown_facts(facts: Mapping[str, Any],
                  observations: tuple[Observation, ...] = OBSERVATIONS) -> list[str]:
    """'obs.id: fact.id' for every fact an observation cites that ``facts`` lacks."""
    return [f"{o.id}: {f}" for o in observations for f in o.facts if f not in facts]


# -- one replication ----------------------------------------------------------------------
def day_of(observation: Observation, scenario: Scenario) -> int:
    """The observation's date as a day of the scenario (0 = start_date; may be negative)."""
    return (observation.date - scenario.start_date).days


def status(observation: Observation, scenario: Scenario) -> str:
    """:data:`TESTED`, or why ``scenario`` does not test ``observation``."""
    day = day_of(observation, scenario)
    if day < 0:
        return BEFORE
    if day >= scenario.horizon_days:
        return AFTER
    if day == 0:
        return START
    name = observation.flights_stopped_by_scenario
    if name is not None and not _flying(scenario, name, day):
        return ASSUMED
    return TESTED


def _flying(scenario: Scenario, name: str, day: int) -> bool:
    """Whether the scenario lets operator ``name`` fly on day ``day`` (losses aside)."""
    for op in scenario.supply_operators:
        if op.name == name:
            return (op.aircraft > 0 and op.sorties_per_aircraft_day > 0.0
                    and op.start_day < day + 1
                    and (op.end_day is None or op.end_day > day))
    return False


def consistent(observation: Observation, daily: np.ndarray, metrics: Mapping[str, float],
               day: int) -> bool:
    """Whether a replication's daily series and metrics meet every condition on ``day``."""
    rows = check_names()
    for c in observation.conditions:
        if isinstance(c, SeriesCondition):
            row = daily[rows[c.series]]
            if c.throughout_days == 1:
                value = float(row[day])
                if not all(BOUNDS[name][0](value, bound) for name, bound in c.bounds):
                    return False
            else:
                values = row[max(0, day - c.throughout_days + 1):day + 1]
                if not all(bool(np.all(BOUNDS[name][0](values, bound)))
                           for name, bound in c.bounds):
                    return False
        else:
            t = metrics[c.event]
            if (not math.isnan(t) and t <= day + 1) != c.happened:
                return False
    return True


def observation_values(scenario: Scenario, daily: np.ndarray, metrics: Mapping[str, float]
                       ) -> dict[str, float]:
    """Each observation's column for one finished replication: 1.0, 0.0 or NaN (not tested).

    ``daily`` is ``result.daily`` (rows in ``sim.model.recorder.DAILY`` order, one column a day),
    ``metrics`` the replication's other metrics.
    """
    out = {}
    for o in OBSERVATIONS:
        if status(o, scenario) != TESTED:
            out[o.id] = math.nan
        else:
            out[o.id] = 1.0 if consistent(o, daily, metrics, day_of(o, scenario)) else 0.0
    return out


# -- over replications --------------------------------------------------------------------
def face_validity(scenarios: Mapping[str, Scenario],
                  metrics: Mapping[str, Mapping[str, Any]], level: float = 0.95
                  ) -> dict[str, Any]:
    """The ``face_validity`` section of summary.json; empty when no scenario tests anything.

    ``metrics``: scenario -> its summary entries (``describe`` of each column, a share with
    its Wilson interval). Every observation is listed for each scenario that tests at least
    one, with its status; the share is given where it is tested.
    """
    out: dict[str, Any] = {}
    for name, scenario in scenarios.items():
        entries = {}
        for o in OBSERVATIONS:
            state = status(o, scenario)
            summary = (metrics.get(name) or {}).get(o.id) or {}
            tested = state == TESTED
            entries[o.id] = {
                "id": o.id, "label": o.label, "date": o.date.isoformat(),
                "day": day_of(o, scenario), "facts": list(o.facts),
                "condition": o.condition_text(), "status": state,
                "share": summary.get("mean") if tested else None,
                "ci95": list(summary.get("ci95") or [None, None]) if tested else [None, None],
                "ci_method": "wilson", "n": int(summary.get("n") or 0) if tested else 0}
        if any(e["status"] == TESTED for e in entries.values()):
            out[name] = entries
    if not out:
        return {}
    return {"level": level, "ci_method": "wilson", "sheet": "seeds/observations.yaml",
            "note": "Share of replications consistent with each dated observation of the "
                    "articles; not tested (share null): dates outside the simulated days, a "
                    "scenario's first day (its starting state) and states the scenario "
                    "assumes.", "scenarios": out}
