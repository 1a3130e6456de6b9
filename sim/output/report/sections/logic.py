"""STRESS 2 Logic: the flow of a replication, the mechanisms, how the scenarios differ, the
algorithms and the components of the model."""

from __future__ import annotations

from sim.output.report.folder import Folder
from sim.output.report.html import Html, el, para, prose, xref
from sim.output.report.sections.checklist import stress_item, stress_section

BOXES = ("scenario file (YAML, validated)", "world: areas and holders, stocks, forces",
         "mechanisms: SimPy events that change the world", "recorder: metrics and daily samples",
         "statistics over replications", "this report")
MECHANISMS = (
    ("Areas and control", "plant sectors, villages, fields and destinations, each held by "
     "the government, the insurgents or contested; sectors fall from the edge inwards."),
    ("Dependence network", "crude pipelines in, product pipelines and truck roads out; a "
     "link serves a side only while it is intact and the side holds every area on it; "
     "sabotage cuts and repairs alternate."),
    ("Operability", "a side can refine only while the plant is not too damaged, it holds "
     "enough sectors and the surroundings, and crude comes in and products go out; a "
     "restart delay and a ramp follow every interruption."),
    ("Garrison and supplies", "a stock in tonnes eaten daily (more on fighting days); "
     "starvation weakens the garrison and makes it collapse."),
    ("Assaults, clashes, counter-attacks", "Poisson arrivals; force-ratio contests with "
     "binomial losses; fighting and sabotage damage the plant."),
    ("Air defence", "anti-aircraft teams give each exposed sortie a loss probability; "
     "launchers improve on a given day; teams are reinforced and killed by airstrikes."),
    ("Supply flights", "helicopters land and airdrops drop bundles, each sortie at risk; "
     "an operator may halt after a number of losses within a window."),
    ("Airstrikes", "Poisson strikes kill besiegers and teams; some are wasted by "
     "coordination failures; strikes in the plant may damage it."),
    ("Ground campaign", "government forces retake the route to the plant area by area "
     "(gamma durations, retries); holding the whole route lifts the siege."),
    ("Day clock", "the only fixed step: settles rations and reinforcements and samples the "
     "daily series at the end of each day."),
)
ALGORITHMS = (
    "Engagement: the attacker wins with probability `A^k / (A^k + (a·D)^k)` (force ratio "
    "with defender advantage `a` and decisiveness `k`); losses on both sides are binomial.",
    "Air defence: per-sortie loss `L = (1 - exp(-e·T)) · h · g` with `T` teams, engagement "
    "rate `e`, hit probability `h` and loss given a hit `g`, scaled by the operator's "
    "exposure.",
    "Airdrops: each bundle lands inside with probability `accuracy · share^exponent` "
    "(binomial thinning by the government's share of the plant).",
    "Sabotage: an alternating renewal process, exponential up-times and uniform repairs.",
    "Ground operations: gamma durations with a stated mean and coefficient of variation, "
    "stretched by a coordination factor; failed operations are retried.",
    "Refinery: each process unit is damaged, repaired and recommissioned on its own; a "
    "running unit's output ramps linearly to its share of the plant, and the plant's is "
    "capped by crude in and products out, integrated exactly between events.",
)
COMPONENTS = (
    ("2.5.1 Entities",
     "The garrison, the besieging force, aircraft of each supply operator (one sortie at a "
     "time), areas, pipelines and roads, and the refinery's operation for each side."),
    ("2.5.2 Activities",
     "Sorties, assaults, clashes, counter-attacks, airstrikes, ground operations and "
     "retakes, link repairs, refinery restarts and ramps."),
    ("2.5.3 Resources",
     "The supply stock (tonnes), troops, besiegers, aircraft per operator, anti-aircraft "
     "teams, pipeline and road capacity."),
    ("2.5.4 Queues",
     "None: no entity waits in line for a resource. Waiting is represented by delays "
     "(restart, repair, regrouping before a retry)."),
    ("2.5.5 Entry and exit points",
     "Besiegers and anti-aircraft teams enter as daily Poisson reinforcements; relief "
     "troops join once when the siege is lifted; lost aircraft leave for good; the garrison"
     " leaves when it falls."),
)


def logic(f: Folder) -> Html:
    return stress_section(2, "Logic", stress_item("2.1", "Base model overview diagram",
                                                  _diagram(), para(
        "A replication builds a fresh world from the scenario, schedules every mechanism's "
        "first SimPy event, runs to the horizon and returns one row of metrics and the daily "
        "series. Whenever something that decides operability changes, both sides' "
        "operability is re-evaluated at once (no polling).")),
        stress_item("2.2", "Base model logic", el("ul", [el("li", el("strong", n), ": ", t)
                                                         for n, t in MECHANISMS]),
                    para("Each mechanism, with its equations and its own assumptions, is "
                         "described in `docs/model.md`, section 2.")),
        stress_item("2.3", "Scenario logic", el(
            "p", "The scenarios share the same logic and differ only in their parameters. ",
            xref("table-parameters", "The parameter table of the caveats"),
            " gives every parameter that differs between them, and ",
            el("a", "the appendix", href="#appendix"), " the full provenance of each "
            "scenario's values (", el("code", "baiji-sim explain A --diff B"),
            " prints the same).")),
        stress_item("2.4", "Algorithms", el("ul", [el("li", prose(t)) for t in ALGORITHMS])),
        stress_item("2.5", "Components", el("dl", [[el("dt", k), el("dd", v)]
                                                   for k, v in COMPONENTS])))


def _diagram() -> Html:
    return el("div", [[el("div", b, class_="box"),
                       el("span", "→", class_="arrow", aria_hidden="true")
                       if k < len(BOXES) - 1 else None] for k, b in enumerate(BOXES)],
              class_="flow", role="img", aria_label="Data flow: " + " to ".join(BOXES))
