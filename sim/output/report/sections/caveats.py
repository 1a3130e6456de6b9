"""The caveats: the assumptions that differ between the scenarios, the categories of
assumption, the sensitivity ranking and the known limitations.

The known limitations are read from ``limitations.md``, a resource of this package: the same
bullets as section 6 of docs/model.md (tests/test_report.py checks the two are equal).
"""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Any

from sim.output.report.folder import Folder
from sim.output.report.html import Html, el, esc, label, para, path_code, prose, table
from sim.output.report.numbers import finite, range_text, value_text
from sim.output.report.sections.figures import figure
from sim.output.report.vocabulary import SECTION_LABELS
from sim.output.results_folder import SENSITIVITY_FIGURE
from sim.scenario.provenance import ParameterRow, explain_rows

KEY_CATEGORIES = (
    "Numbers the articles do not give (rates of assault, clash and strike, loss "
    "probabilities, payloads, restart delays) are planning factors from other conflicts "
    "(`seeds/reference-ranges.yaml`) or judgement, each stated with a rationale and, "
    "mostly, a plausible range.",
    "Fixed rules instead of decisions: every rate is constant and nobody adapts to how the "
    "siege is going.",
    "Simplified fighting: force-ratio contests with random (binomial) losses; control of "
    "an area is all or nothing.",
    "Infrastructure is up or down: the refinery runs only while it holds its sectors and "
    "surroundings, receives crude and has a route out.",
    "Counterfactual settings: some scenarios deliberately change a value to ask 'what if' "
    "(marked counterfactual above).",
)
_BULLET = re.compile(r"^\*\*(?P<title>.+?)\*\*\s*(?P<text>.*)$", re.S)


def limitation_bullets(markdown: str) -> list[str]:
    """The bullets of a Markdown list (``- `` items, continued on indented lines), each as one
    line of text; anything else in ``markdown`` is ignored."""
    bullets: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("- "):
            bullets.append(line[2:].strip())
        elif line.startswith("  ") and line.strip() and bullets:
            bullets[-1] += " " + line.strip()
    return bullets


def limitations() -> list[tuple[str, str]]:
    """(title, text) of each known limitation, from the package's ``limitations.md``."""
    text = files("sim.output.report").joinpath("limitations.md").read_text(encoding="utf-8")
    out = []
    for bullet in limitation_bullets(text):
        found = _BULLET.match(bullet)
        out.append((found["title"], found["text"]) if found else ("", bullet))
    return out


def source_cell(row: ParameterRow | None) -> Html:
    """Where a parameter's value comes from: a fact, an assumption (with its range and
    basis), or nothing."""
    if row is None:
        return el("span", "–")
    if row.kind == "fact":
        return el("span", el("span", "fact ", class_="kind"), row.cited or row.source)
    if row.kind == "assumption":
        extra = []
        if row.range:
            extra.append(f" Plausible range {range_text(row.range)}.")
        if row.basis:
            extra.append(f" Basis: {row.cited or row.basis}.")
        return el("span", el("span", "assumption ", class_="kind"), row.source, *extra)
    if row.source:  # set in a file or on the command line without a source (issue 15)
        return el("span", el("strong", row.source), class_="missing")
    return el("span", el("strong", "no provenance"), class_="missing")


def driving_assumptions(f: Folder) -> dict[str, dict[str, Any]]:
    """Assumption-provenance parameters whose values differ between the base and a scenario
    (the sensitivity table marks them)."""
    out: dict[str, dict[str, Any]] = {}
    for name, rows in f.diffs.items():
        for path, a, b in rows:
            if "assumption" not in {r.kind for r in (a, b) if r is not None}:
                continue
            entry = out.setdefault(path, {"base": a, "variants": [], "reasons": {}})
            entry["variants"].append((name, b))
            for who, r in ((f.base, a), (name, b)):
                if r is not None:
                    key = (r.source, tuple(r.range or ()), r.basis)
                    names = entry["reasons"].setdefault(key, (r, []))[1]
                    if who not in names:
                        names.append(who)
    return out


def caveats(f: Folder) -> Html:
    driving = driving_assumptions(f)
    return el("section", el("h2", "Caveats: what the results hang on", id="caveats"), para(
        "The model turns a few reported facts and many assumptions into numbers. The intervals "
        "above cover the randomness of the simulation only. Read the differences between "
        "scenarios together with the assumptions that make them differ."),
        el("h3", "What differs between the scenarios", id="driving"),
        parameter_table(f),
        el("h3", "Key assumption categories", id="assumption-categories"),
        el("ul", [el("li", prose(t)) for t in KEY_CATEGORIES]),
        _category_table(f) if f.base is not None else None,
        sensitivity(f, driving),
        el("h3", "Known limitations", id="limitations"),
        el("ul", [el("li", el("strong", title) if title else None, " " if title else None,
                     prose(text)) for title, text in limitations()], id="limitations-list"),
        para("The same list is section 6 of the model description shipped with baiji-sim, "
             "`docs/model.md` (Known limitations and modelling choices), whose sections the "
             "items refer to."))


def _short_source(row: ParameterRow) -> Html:
    """Where a value comes from, in a few words: the fact or the assumption with its range
    (the basis and the full wording are in the appendix)."""
    if row.kind == "fact":
        return el("span", el("span", "fact ", class_="kind"), el("code", row.source))
    if row.kind == "assumption":
        return el("span", el("span", "assumption ", class_="kind"), row.source,
                  f" (range {range_text(row.range)})" if row.range else None,
                  " ", el("span", "counterfactual", class_="badge")
                  if row.source.lower().startswith("counterfactual") else None)
    return source_cell(row)


def _value(row: ParameterRow | None) -> str:
    return value_text(row.value) if row is not None else "(absent)"


def _breakable(name: str) -> Html:
    """A scenario's name as a column head that may break after a hyphen."""
    pieces = re.split(r"(?<=-)", name)
    return Html("".join(esc(p) + ("<wbr>" if k < len(pieces) - 1 else "")
                        for k, p in enumerate(pieces)))


def parameter_table(f: Folder) -> list[Html]:
    """The one table of what differs between the scenarios: a row per parameter that differs
    anywhere, a column per scenario (its value where it differs from the base's), and the
    sources of the values once per parameter."""
    if f.base is None:
        return [para(f.no_reference_text())]
    others = [n for n, rows in f.diffs.items() if rows]
    if not others:
        return [para(f"No parameter differs from {f.base}.")]
    by_path: dict[str, dict[str, tuple[ParameterRow | None, ParameterRow | None]]] = {}
    for name, rows in f.diffs.items():
        for path, a, b in rows:
            by_path.setdefault(path, {})[name] = (a, b)
    body = []
    for path, changed in by_path.items():
        base_row = next(iter(changed.values()))[0]
        sources: dict[tuple[Any, ...], tuple[ParameterRow, list[str]]] = {}
        for who, row in [(f.base, base_row), *((n, b) for n, (_, b) in changed.items())]:
            if row is not None:
                key = (row.kind, row.source, tuple(row.range or ()))
                sources.setdefault(key, (row, []))[1].append(who)
        cells = [el("div", el("span", f"{', '.join(names)}: ", class_="who")
                    if len(sources) > 1 else None, _short_source(row), class_="reason")
                 for row, names in sources.values()]
        unit = next((r.unit for pair in changed.values() for r in pair if r is not None), "")
        values = [_value(changed[n][1]) if n in changed else el("span", "·", class_="same")
                  for n in others]
        body.append(el("tbody", el("tr", el("th", path_code(path), " ", el("span", unit,
                                                                        class_="unit")
                                            if unit and unit != "-" else None,
                                            scope="row", rowspan="2"),
                                   [el("td", v) for v in [
                                       _value(base_row), *values]]),
                       el("tr", el("td", el("span", "source: ", class_="kind"), cells,
                                   colspan=str(len(others) + 1), class_="source"))))
    head = el("tr", el("th", "parameter", scope="col"),
              [el("th", _breakable(n), scope="col") for n in [f.base, *others]])
    caption = el("caption", label("Table", "table-parameters"),
                 f" {len(body)} parameters that differ between the scenarios: the value in "
                 f"each scenario (· the same as in {f.base}) and, below, where the values "
                 "come from")
    return [para(
        f"Every parameter whose value differs between the scenarios: its value in {f.base} "
        "(the base of the comparison) and in each scenario where it differs (· where it is "
        f"the same as in {f.base}), then where the values come from, once per parameter "
        "(who uses which source when they differ). Assumptions are the inputs a reader "
        "should question first; counterfactual ones describe a situation that did not "
        "happen, on purpose. The full provenance of each scenario, with the basis of every "
        "assumption, is in ", el("a", "the appendix", href="#appendix"), "."),
        el("div", el("table", caption, el("thead", head), body, id="table-parameters",
                      class_="parameters"), class_="wide")]


def _category_table(f: Folder) -> Html:
    rows_by: dict[str, list[int]] = {}
    scenario = f.scenarios[f.base]  # type: ignore[index]
    for row in explain_rows(scenario, f.facts):
        section = row.path.split(".")[0]
        counts = rows_by.setdefault(section, [0, 0, 0, 0, 0])
        counts[0] += 1
        counts[{"fact": 1, "assumption": 2}.get(row.kind, 4)] += 1
        if row.kind == "assumption" and row.range:
            counts[3] += 1
    merged: dict[str, list[int]] = {}
    for section, counts in rows_by.items():
        label = SECTION_LABELS.get(section, section)
        merged[label] = [a + b for a, b in zip(merged.get(label, [0] * 5), counts, strict=True)]
    rows = [[label, *counts] for label, counts in merged.items()]
    return table(["part of the model", "parameters", "reported facts", "assumptions",
                  "assumptions with a plausible range", "no provenance"], rows,
                 caption=f"Where the parameters of {f.base} come from",
                 numeric=range(1, 6), id="table-categories")


def sensitivity(f: Folder, driving: dict[str, Any]) -> Html:
    title = el("h3", "Sensitivity analysis", id="sensitivity")
    s = f.sensitivity
    if not s:
        return el("div", title, para(
            "This results folder holds no sensitivity analysis (`sensitivity.json`). "
            "`baiji-sim sensitivity SCENARIO` varies every assumption that has a plausible "
            "range and ranks the parameters by their effect on an outcome."))
    indices = [r for r in s.get("indices") or [] if isinstance(r, dict)][:10]
    columns = [c for c in ("mu_star", "mu_star_conf", "sigma", "ST", "ST_conf", "S1",
                           "S1_conf") if any(c in r for r in indices)]
    bounds = s.get("bounds") or {}
    resolution = any("resolution" in r for r in indices)  # folders written before: none
    rows = []
    for k, r in enumerate(indices, start=1):
        name = str(r.get("parameter", "?"))
        rows.append([k, path_code(name), range_text(bounds.get(name)),
                     *(f"{r[c]:.4g}" if finite(r.get(c)) else "–" for c in columns),
                     *([value_text(r.get("resolution", "–"))] if resolution else []),
                     "yes" if name in driving else "–"])
    png = f.path / SENSITIVITY_FIGURE
    drawing = figure("sensitivity", [png]) if png.is_file() else None
    return el("div", title, para(
        f"{value_text(s.get('method', '?')).capitalize()} analysis of "
        f"{value_text(s.get('metric_meaning') or s.get('metric', '?'))} in scenario "
        f"{value_text(s.get('scenario', '?'))}: {s.get('design_points', '?')} design points × "
        f"{s.get('replications', '?')} replications ({s.get('model_runs', '?')} model runs), "
        f"ranked by {value_text(s.get('ranked_by', '?'))}. The top-ranked parameters are "
        "those the answer depends on most; the last column says whether the parameter also "
        "differs between the scenarios compared here."),
        table(["rank", "parameter", "range varied", *columns,
               *(["resolved (95% CI clear of 0 and of the next ranks)"] if resolution else []),
               "differs between scenarios"],
              rows, caption="Top-ranked uncertain parameters",
              numeric=range(3, 3 + len(columns)), id="table-sensitivity"),
        el("p", el("strong", "Resolution: "), str(s["resolution_note"]), id="sensitivity-note")
        if s.get("resolution_note") else None,
        drawing)
