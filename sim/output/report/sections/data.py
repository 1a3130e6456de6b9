"""STRESS 3 Data: where the facts and planning factors come from, how they were prepared,
the provenance of every parameter, and where the assumptions are listed."""

from __future__ import annotations

from typing import Any

from sim.output.report.folder import Folder
from sim.output.report.html import Html, el, para, table
from sim.output.report.sections.checklist import stress_item, stress_section
from sim.scenario.provenance import Fact, explain_rows

SOURCES = (
    "Two news reports supply the facts: The World (public radio), autumn 2014, an "
    "interview with the editor of Iraq Oil Report; and OilPrice.com, May 2015, after a CNN "
    "report of 7 May 2015. Numbers the articles do not give come from public planning "
    "factors (ration weights, helicopter payloads, missile hit rates, repair times, "
    "restart times) collected in a separate sheet, so a reported fact is never confused "
    "with an assumption.")
PREPROCESSING = (
    "The facts are paraphrased into fact sheets (`seeds/*.yaml`), each with a stable "
    "id, outlet and date; no text is copied from the articles. Planning factors are "
    "converted to the model's units (days, barrels, tonnes, probabilities between 0 "
    "and 1); rates are derived from counts over a period (for example about 40 major "
    "assaults in 11 months gives 0.12 a day). No data series is fitted: there is no "
    "calibration to observed outcomes. The states the articles report on given dates "
    "(`seeds/observations.yaml`) are only compared with the output afterwards: see "
    "the face-validity table in the Results.")
PARAMETERS = (
    "Every parameter of a scenario has a value, a unit and a provenance: a fact id or "
    "an assumption with its rationale, often a plausible range and a basis. The "
    "resolved scenarios of this run are in `scenarios/` of the results folder; "
    "`baiji-sim explain FILE` lists every parameter with its source, and the parameter "
    "table at the end of `docs/model.md` does the same for the shipped scenarios.")


def data(f: Folder) -> Html:
    cited = _cited(f)
    unknown = sorted(i for i in cited if i not in f.facts)
    return stress_section(3, "Data", stress_item("3.1", "Data sources", para(SOURCES),
                                                 _sources(f, cited)),
        stress_item("3.2", "Pre-processing", para(PREPROCESSING), el(
            "p", "The facts and planning factors the scenarios of this run cite are listed in ",
            el("a", "the appendix", href="#appendix-facts"), "."),
                    para("Cited but not found in the fact sheets: " + ", ".join(unknown) + ".",
                         class_="missing") if unknown else None),
        stress_item("3.3", "Input parameters", para(PARAMETERS), table(
            ["scenario", "parameters", "from facts", "assumptions", "with a plausible range",
             "no provenance"], _provenance_counts(f), caption="Provenance of the parameters",
            numeric=range(1, 6), id="table-provenance")),
        stress_item("3.4", "Assumptions", el(
            "p", "The assumptions that differ between the scenarios, the key categories of "
            "assumption and the known limitations are listed in ",
            el("a", "Caveats", href="#caveats"), ". The structural assumptions of each "
            "mechanism are in docs/model.md, section 2, under 'Assumptions'.")))


def cited_facts(f: Folder) -> list[list[Any]]:
    """The rows (id, statement, source) of the facts and planning factors the scenarios of
    the run cite, articles first."""
    return _cited_rows(f, _cited(f))


def _cited(f: Folder) -> set[str]:
    """The ids of the facts and planning factors the scenarios of the run cite."""
    cited: set[str] = set()
    for scenario in f.scenarios.values():
        for entry in scenario.provenance.values():
            cited.update(i for i in (entry.fact, entry.basis) if i)
    return cited


def _sources(f: Folder, cited: set[str]) -> Html:
    """The fact sheets: kind, outlet, date, how many facts and how many of them are cited."""
    sheets: dict[str, list[Fact]] = {}
    for fact in f.facts.values():
        sheets.setdefault(fact.sheet, []).append(fact)
    rows = []
    for sheet, facts in sorted(sheets.items(), key=lambda kv: (kv[1][0].kind != "article",
                                                               kv[0])):
        head = facts[0]
        rows.append([el("code", sheet), "news article" if head.kind == "article" else
                     "planning factors", head.outlet or "–", head.date or "–",
                     len(facts), sum(1 for x in facts if x.id in cited)])
    if not rows:
        return para("The fact sheets were not found next to this results folder.")
    return table(["fact sheet", "kind", "outlet", "date", "facts", "cited by these scenarios"],
                 rows, caption="Fact sheets (seeds/)", numeric=[4, 5], id="table-sources")


def _cited_rows(f: Folder, cited: set[str]) -> list[list[Any]]:
    """Each cited fact found in the sheets, articles first."""
    found = sorted((i for i in cited if i in f.facts),
                   key=lambda i: (f.facts[i].kind != "article", i))
    return [[el("code", i), f.facts[i].statement,
             f"{f.facts[i].outlet}, {f.facts[i].date}" if f.facts[i].kind == "article"
             else (f.facts[i].source or "planning factor")] for i in found]


def _provenance_counts(f: Folder) -> list[list[Any]]:
    """Per scenario: parameters, from facts, assumptions, with a range, no provenance."""
    rows: list[list[Any]] = []
    for name in f.names:
        if name not in f.scenarios:
            rows.append([name, "–", "–", "–", "–", "–"])
            continue
        found = explain_rows(f.scenarios[name], f.facts)
        rows.append([name, len(found), sum(r.kind == "fact" for r in found),
                     sum(r.kind == "assumption" for r in found),
                     sum(r.kind == "assumption" and bool(r.range) for r in found),
                     sum(r.kind == "missing" for r in found)])
    return rows
