"""The report of a discovery folder (``baiji-sim discover --out DIR``, then ``baiji-sim report
DIR``): the answer in plain words, the boxes, PRIM's trade-off, the heatmap of the goal over
the lever pair that matters most, and the frontier of the goal against the effort, in the style
of the run's report (the same stylesheet, numbered tables and figures, embedded images)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.output.report.html import Html, anchor, el, label, para, table
from sim.output.report.sections.figures import data_uri
from sim.runner.store import DISCOVERY_ENTRIES

DISCOVERY = DISCOVERY_ENTRIES[0]
CAPTIONS = {
    "discovery_tradeoff": "PRIM's peeling trade-off: each box of the peeling trajectory by its "
                          "coverage (the share of the points meeting the goal that lie in it) "
                          "and density (the share of its points meeting the goal), coloured by "
                          "the number of limits; the box reported is ringed, the dotted line is "
                          "the density it had to reach.",
    "discovery_heatmap": "The goal over the pair of dimensions that matters most: in each "
                         "cell, the mean outcome of the design points in it with its 95% "
                         "interval and their number (the other levers and unknowns varying as "
                         "the design varies them).",
    "discovery_frontier": "The outcome against the total effort of the lever settings: every "
                          "design point (one draw of the unknowns each), the best outcome "
                          "reached at each effort or less, and the candidates confirmed with "
                          "new paired runs (95% intervals), the cheapest one declared to meet "
                          "the goal starred.",
}


def is_discovery_folder(folder: Path) -> bool:
    """A folder written by ``discover`` (and not by ``run``)."""
    return (folder / DISCOVERY).is_file() and not (folder / "summary.json").is_file()


def read_discovery(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / DISCOVERY).read_text(encoding="utf-8")))


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _num(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _box_table(boxes: list[dict[str, Any]], method: str, ident: str) -> Html:
    rows = []
    for k, box in enumerate(boxes):
        for j, r in enumerate(box["restrictions"]):
            qp = " / ".join(_num(q) for q in (r["qp_low"], r["qp_high"]) if q is not None)
            rows.append([f"{k + 1}" if j == 0 else "", r["words"], r["kind"],
                         f"{_num(r['full_low'])} to {_num(r['full_high'])}", qp or "–",
                         _pct(box["coverage"]) if j == 0 else "",
                         _pct(box["density"]) if j == 0 else "",
                         str(box["points"]) if j == 0 else ""])
    head = ["box", "limit", "kind", "range explored", "quasi-p", "coverage", "density",
            "points"]
    caption = (f"{method} boxes: each limit, and each box's coverage, density and design "
               "points" + (" (quasi-p: Bryant and Lempert's one-sided binomial test of each "
                           "limit; small values matter)" if method == "PRIM" else ""))
    return table(head, rows, caption=caption, numeric=[4, 5, 6, 7], id=ident)


def _figure(folder: Path, stem: str) -> Html | None:
    path = folder / f"{stem}.png"
    if not path.is_file():
        return None
    ident = anchor("figure", stem, 0)
    return el("figure", el("img", src=data_uri(path), alt=CAPTIONS[stem], data_file=path.name),
              el("figcaption", el("strong", label("Figure", ident), " "), CAPTIONS[stem], " ",
                 el("span", f"({path.name})", class_="file")), id=ident)


def _selection(s: dict[str, Any], levers: list[dict[str, Any]]) -> list[Html]:
    if not s["candidates"]:
        return [para("No evaluated lever setting met the goal, so none was confirmed.")]
    names = [lv["path"] for lv in levers]
    labels = {lv["path"]: lv["label"] or lv["path"] for lv in levers}
    rows = []
    for k, c in enumerate(s["candidates"]):
        mark = "cheapest" if k == s["chosen"] else ("yes" if c["meets"] else "no")
        rows.append([str(k), *(_num(c["levers"][p]) for p in names), _num(c["effort"]),
                     _num(c["screened"]),
                     f"{_num(c['outcome'])} [{_num(c['low'])}, {_num(c['high'])}]",
                     _num(c["p_holm"]), mark])
    out = [para(
        f"The {len(s['candidates'])} cheapest settings that met the goal in the design were run "
        f"again with {s['replications']} new replications each, the same seeds for every "
        "candidate" + (f" and the same draws of the unknowns (a draw per {s['per_draw']} "
                       "replications)" if s["per_draw"] > 1 else "")
        + f"; each was tested one-sided ({s['test']} test) against the goal, with Holm's "
        f"correction over the candidates. The probability that any candidate marked as "
        f"meeting the goal does not meet it is at most {s['alpha']:.0%}."),
        table(["candidate", *(labels[p] for p in names), "effort", "in the design",
               "confirmed [95% CI]", "Holm p", "meets the goal"], rows,
              caption="The candidates of the smallest effort that works",
              numeric=list(range(1, len(names) + 5)), id="table-discovery-selection")]
    for d in s["paired"][:3]:
        out.append(para(f"Paired with candidate {d['candidate']} (effort {_num(d['effort'])}), "
                        f"the cheapest confirmed setting raises the outcome by "
                        f"{_num(d['difference'])} [{_num(d['low'])}, {_num(d['high'])}] "
                        f"(95% CI, {d['units']} paired units)."))
    return out


def discovery_section(folder: Path, summary: dict[str, Any]) -> Html:
    """The body of a discovery report."""
    goal = summary["goal"]
    parts: list[Any] = [el("h2", "What would it take?", id="discovery"),
                        el("div", [para(s) for s in summary["sentences"]], class_="note")]
    dims = summary["dimensions"]
    levers = [d for d in dims if d["kind"] == "lever"]
    parts.append(para(
        f"Scenario {summary['scenario']}: {summary['points']} design points ({summary['design']},"
        f" design seed {summary['design_seed']}) over {len(levers)} levers"
        + ("" if summary["levers_only"] else f" and {len(dims) - len(levers)} uncertain "
           "parameters")
        + f", {summary['replications']} replications each under common random numbers (batch "
        f"seed {summary['seed']}); {summary['model_runs']} model runs in all. A point's outcome "
        + ("is the share of its runs meeting the goal, P(goal)" if goal["kind"] != "mean" else
           f"is the mean of {goal['metric']} over its runs")
        + f"; it meets the goal where the outcome is {goal['outcome_op']} "
        f"{goal['threshold']:g}. {summary['met_points']} of {summary['points']} points did."))
    parts.append(el("h3", "Boxes", id="discovery-boxes"))
    if summary["prim"]:
        parts.append(_box_table(summary["prim"], "PRIM", "table-discovery-prim"))
    else:
        parts.append(para("PRIM found no box (no point, or every point, met the goal)."))
    if summary["cart"]:
        parts.append(_box_table(summary["cart"][:4], "CART", "table-discovery-cart"))
    parts += [_figure(folder, "discovery_tradeoff"), _figure(folder, "discovery_heatmap")]
    if summary.get("selection") is not None:
        parts.append(el("h3", "The smallest effort that works", id="discovery-cheapest"))
        parts += _selection(summary["selection"], summary["levers"])
    parts.append(_figure(folder, "discovery_frontier"))
    lever_rows = [[lv["label"] or lv["path"], lv["path"], f"{_num(lv['low'])} to "
                   f"{_num(lv['high'])}", lv["unit"], _num(lv["value"]),
                   _num(lv["effort_per_unit"]), _num(lv["free_end"])]
                  for lv in summary["levers"]]
    parts.append(table(["lever", "parameter", "range", "unit", "scenario's value",
                        "effort per unit", "costs nothing at"], lever_rows,
                       caption="The levers and their efforts (from the scenario file)",
                       id="table-discovery-levers"))
    parts.append(para("Method: docs/model.md, section \"Scenario discovery\". Files: "
                      + ", ".join(summary.get("files", [])) + "."))
    return el("div", parts)


def discovery_page(folder: Path, css: str, version: str, now: str) -> Html:
    """The whole page of a discovery folder (``css``: the report's stylesheet)."""
    summary = read_discovery(folder)
    title = f"baiji-sim report: what would it take? ({summary['scenario']})"
    header = el("header", el("h1", title), el("p", "Scenario discovery over the levers and "
                                              "the unknowns of a scenario. Results folder ",
                                              el("code", folder.name), ".", class_="subtitle"),
                el("div", para("How to read this report. baiji-sim is a teaching model, not a "
                               "forecast: the boxes say where, in the model, the goal is met "
                               "often; whether the real campaign could have reached them is a "
                               "question for the sources, not for the model."), class_="note"))
    footer = el("footer", el("p", f"Written by baiji-sim {version} (report) on {now} from the "
                                  f"results folder {folder.name}. Self-contained: figures "
                                  "embedded, no scripts, no network access."))
    return el("html", el("head", el("meta", charset="utf-8"),
                         el("meta", name="viewport", content="width=device-width, "
                                                             "initial-scale=1"),
                         el("meta", name="generator", content=f"baiji-sim {version}"),
                         el("title", title), el("style", Html(css))),
              el("body", header, el("main", discovery_section(folder, summary)), footer),
              lang="en")
