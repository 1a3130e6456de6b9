"""The model against what was observed: the articles' dated observations (face validity)
and what stopped the refinery, day by day. Both are read from summary.json,
which holds them ready (``face_validity``, ``stopped_refinery``)."""

from __future__ import annotations

from typing import Any

from sim.model.observations import BY_ID as OBSERVATION_BY_ID
from sim.output.report.folder import Folder
from sim.output.report.html import Html, el, para, table
from sim.output.report.numbers import interval

FACE_VALIDITY = (
    "The articles report the state of the siege on a few dates: the garrison still holding "
    "in October 2014 after two helicopters were lost and the flights halted; in May 2015 "
    "the insurgents holding about four fifths of a plant offline for months, the "
    "government the rest. Each is written as a condition on a replication's state at the "
    "end of that day (`seeds/observations.yaml`). The table gives the share of "
    "replications consistent with each observation, with its 95% Wilson interval, for "
    "every scenario that simulates its date. This is a check of face validity, not a "
    "calibration: nothing was fitted to these observations, and a low share says that "
    "the scenario's assumptions make the reported course of events unusual.")


def face_validity(f: Folder) -> Html:
    title = el("h3", "Face validity: the model against the articles", id="face-validity")
    section = f.summary.get("face_validity") or {}
    scenarios = section.get("scenarios") or {}
    if not scenarios:
        return el("div", title, para(
            "None of the scenarios of this run simulates a day on which the articles report "
            "an observed state (`seeds/observations.yaml`), other than as its starting state, "
            "so none is checked against them."))
    rows, untested, seen = _observations(scenarios)
    sheet_rows = [_sheet_row(oid, entry) for oid, entry in seen.items()]
    return el("div", title, para(FACE_VALIDITY),
        table(["scenario", "observation", "date", "consistent if", "share consistent",
               "replications"], rows, caption="Replications consistent with the "
              "articles' dated observations: share [95% CI]", numeric=[4, 5],
              id="table-face-validity", row_headers=True),
        para("Not tested: " + "; ".join(f"{oid} by {', '.join(names)} ({why})" for (
            oid, why), names in untested.items()) + ". A scenario's first day is its "
             "starting state, set from the same reports, and a state the scenario assumes "
             "(flights it stops itself) is no test of the model.") if untested else None,
        el("details", el("summary", "The observations, the facts they rest on, and why these "
                                    "dates and tolerances"),
           table(["id", "observed state", "facts", "date", "consistent if",
                  "date and tolerance"], sheet_rows, id="table-observations")))


def _observations(scenarios: dict[str, Any]) -> tuple[
        list[list[Any]], dict[tuple[str, str], list[str]], dict[str, dict[str, Any]]]:
    """The rows of the face-validity table (tested observations); the observations not
    tested, with the scenarios and why; every observation met, by id."""
    rows: list[list[Any]] = []
    untested: dict[tuple[str, str], list[str]] = {}  # (observation, why) -> scenarios
    seen: dict[str, dict[str, Any]] = {}
    for name, entries in scenarios.items():
        for entry in (entries or {}).values():
            oid = str(entry.get("id"))
            seen.setdefault(oid, entry)
            if entry.get("status") != "tested":
                if entry.get("status") in ("starting state", "assumed by the scenario"):
                    untested.setdefault((oid, str(entry.get("status"))), []).append(name)
                continue
            rows.append([name, [entry.get("label", ""), " ", el("code", oid)],
                         entry.get("date", "–"), el("code", entry.get("condition", "")),
                         interval(entry.get("share"), entry.get("ci95"), percent=True,
                                  unit="%"), entry.get("n", "–")])
    return rows, untested, seen


def _sheet_row(oid: str, entry: dict[str, Any]) -> list[Any]:
    """An observation, the facts it rests on, and why this date and tolerance."""
    o = OBSERVATION_BY_ID.get(oid)
    facts = o.facts if o else entry.get("facts") or []
    return [el("code", oid), o.statement if o else entry.get("label", ""),
            [[el("code", x), " "] for x in facts], entry.get("date", "–"),
            el("code", entry.get("condition", "")), o.note if o else "–"]


def what_stopped(f: Folder) -> Html | None:
    section = f.summary.get("stopped_refinery")
    if not section:
        return None  # a model that does not record the reasons
    reasons = section.get("reasons") or []
    rows = [[name, *(interval((entry.get("shares") or {}).get(r["metric"], {}).get("mean"),
                              (entry.get("shares") or {}).get(r["metric"], {}).get("ci95"),
                              percent=True, unit="%") for r in reasons)]
            for name, entry in (section.get("scenarios") or {}).items()]
    return el("div", el("h3", "What stopped the refinery", id="what-stopped"), para(
        "Every day of the horizon the government either operated the refinery or was stopped "
        "for one reason, taken in this order: it did not hold enough of the plant; it held "
        "the plant but not every surrounding area; no crude reached it beyond what storage "
        "covered; no route out for the products; every process unit under repair; units "
        "being recommissioned with none running yet. The table gives the mean share of the "
        "horizon's days for each, with the Student-t 95% interval of the mean."),
        table(["scenario", *(r.get("label", r.get("metric")) for r in reasons)], rows,
              caption="What stopped the refinery (government): mean share of days "
              "[95% CI]", numeric=range(1, len(reasons) + 1), id="table-what-stopped",
              row_headers=True))
