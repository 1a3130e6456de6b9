"""STRESS 1 Objectives: the purpose of the model, its outputs and the aims of this run."""

from __future__ import annotations

from typing import Any

from sim.output.report.folder import Folder
from sim.output.report.html import Html, anchor, el, para, path_code, table, xref
from sim.output.report.sections.checklist import stress_item, stress_section
from sim.output.report.vocabulary import METRIC_INFO

PURPOSE = (
    "baiji-sim is a discrete-event Monte Carlo model of the 2014-15 siege of the Baiji "
    "refinery, Iraq's largest. It asks how long a besieged government garrison can hold the "
    "plant, what the air bridge that supplies it costs, and whether either side could run "
    "the refinery again, given that operation needs the plant, its surroundings, crude "
    "from the fields and a route out for the products. It is a teaching and exploration "
    "tool, not a forecast.")
OUTPUTS = (
    "Each replication yields one value of each metric (measured at the horizon "
    "unless stated) and seven daily series (government share of the plant, days of "
    "supply, garrison and besieger strength, refinery state, per-sortie loss "
    "probability, helicopters lost so far). Event days are censored at the horizon: "
    "the event may come later or never, so they are summarised as time-to-event "
    "data, never averaged as if complete.")
SUMMARISED_AS = {"time_to_event": "share by the horizon, Kaplan-Meier median, restricted mean",
                 "share": "share, Wilson interval"}


def metrics_table(f: Folder) -> Html:
    """Every metric of one replication: definition, unit, how it is summarised."""
    first = f.metrics(f.names[0]) if f.names else {}
    metric_rows = [[path_code(m), METRIC_INFO.get(m, ("", "-", "-"))[2],
                    METRIC_INFO.get(m, ("", "-"))[1],
                    SUMMARISED_AS.get(str((e or {}).get("kind")),
                                      "mean, Student-t interval; quantiles")]
                   for m, e in first.items()]
    return table(["metric", "definition", "unit", "summarised as"], metric_rows,
                 caption="Outputs of one replication", id="table-metrics")


def objectives(f: Folder) -> Html:
    return stress_section(1, "Objectives", stress_item("1.1", "Purpose of the model",
                                                       para(PURPOSE)),
                          stress_item("1.2", "Model outputs", para(OUTPUTS), el(
                              "p", "Every metric is defined in ",
                              xref("table-metrics", "the appendix"), " (appendix A.3).")),
                          stress_item("1.3", "Experimentation aims",
                                      el("ul", [el("li", a) for a in _aims(f)]),
                                      para(f"The {len(f.names)} scenarios of this run:"),
                                      el("dl", _scenario_items(f), class_="scenarios")))


def _aims(f: Folder) -> list[Any]:
    aims: list[Any] = [["Estimate, for every scenario, the outcomes of ",
                        xref("table-outcomes", "the headline table"), " and the timing of the "
                        "events of ", xref("table-events", "the events table"),
                        ", each with a 95% interval."]]
    if f.summary.get("comparisons"):
        aims.append(f"Compare every scenario with {f.summary['comparisons'].get('baseline')}, "
                    "replication by replication, and say which differences are real after a "
                    "correction for multiple comparisons.")
    if f.summary.get("selection"):
        aims.append("Select the subset of scenarios that contains the best one for "
                    f"{f.summary['selection'].get('metric')}.")
    return aims


def _scenario_items(f: Folder) -> list[Html]:
    """Each scenario's name, description and the file it was given as."""
    files = f.manifest.scenario_files
    items = []
    for k, name in enumerate(f.names):
        desc = f.description(name) or "(no description)"
        tags = [el("span", "base of the comparison", class_="badge")] if name == f.base else []
        items += [el("dt", name, " ", tags, id=anchor("scenario", name, k)),
                  el("dd", el("p", desc),
                     el("p", "file: ", el("code", files[name]), class_="file")
                     if name in files else None)]
    return items
