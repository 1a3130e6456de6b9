"""The comparisons of the scenarios: paired differences with the baseline, the subset
that holds the best scenario, and the sequential stopping rule."""

from __future__ import annotations

import math
from typing import Any

from sim.model.metrics import REGISTRY
from sim.output.report.folder import Folder
from sim.output.report.html import Html, el, estimate, label, para, path_code, table
from sim.output.report.numbers import auto_decimals, interval, number, p_text, value_text
from sim.output.report.vocabulary import METRIC_INFO, OTHER_COLUMNS


def _grouped(f: Folder) -> tuple[str, dict[str, list[dict[str, Any]]]] | None:
    """The baseline and the paired comparisons scenario by scenario, or None."""
    comparisons = f.summary.get("comparisons")
    if not comparisons or not comparisons.get("comparisons"):
        return None
    by_scenario: dict[str, list[dict[str, Any]]] = {}
    for row in comparisons["comparisons"]:
        by_scenario.setdefault(str(row.get("scenario")), []).append(row)
    return str(comparisons.get("baseline", "?")), by_scenario


def paired(f: Folder) -> Html:
    """The paired differences in the body: scenario x outcome, significant ones in bold."""
    title = el("h3", "Paired comparisons with the baseline", id="paired")
    grouped = _grouped(f)
    if grouped is None:
        return el("div", title, para(
            "This run made no paired comparisons (run with `--baseline NAME` to compare every "
            "scenario with one of them, replication by replication)."))
    base, by_scenario = grouped
    return el("div", title, para(
        f"Replication i of every scenario uses the same random numbers as replication i of "
        f"{base}, so the difference between two scenarios is measured pair by pair. The "
        "tables give the mean difference with its 95% interval (shares in percentage points, "
        "pp), in bold where it is significant: a paired t-test adjusted for the whole family "
        "of comparisons by Holm's step-down method. Event days are compared as the day of "
        "the event or the horizon, whichever comes first. The p-values and the variance "
        "reduction (how many times more replications independent sampling would have needed "
        "for the same precision) are in ", el("a", "the appendix", href="#appendix-paired"),
        "."), _paired_summary(by_scenario, base))


def paired_table(f: Folder) -> Html | None:
    """Every paired comparison with its p-value and variance reduction (the appendix)."""
    grouped = _grouped(f)
    if grouped is None:
        return None
    base, by_scenario = grouped
    rows = []
    for name, group in by_scenario.items():
        rows.append(Html(el("tr", el("th", f"{name} minus {base}", colspan="6",
                                     class_="group", scope="rowgroup"))))
        rows += [_paired_row(row) for row in group]
    level = (f.summary.get("comparisons") or {}).get("level", 0.95)
    head = ["outcome", "metric", "difference [95% CI]", "p (Holm)",
            f"significant at {100 * (1 - level):.0f}%?", "variance reduction"]
    return el("div", el("table", el("caption", label("Table", "table-paired"),
                                    f" Each scenario minus {base}, replication by replication "
                                    "(same seeds), with the p-value and the variance "
                                    "reduction"),
                        el("thead", el("tr", [el("th", h, scope="col") for h in head])),
                        el("tbody", rows), id="table-paired"), class_="wide")


def _paired_summary(by_scenario: dict[str, list[dict[str, Any]]], base: str) -> list[Html]:
    """The paired differences as scenario x outcome tables of a few columns each."""
    metrics = list(dict.fromkeys(str(r.get("metric")) for g in by_scenario.values()
                                 for r in g))
    chunks = [metrics[i:i + OTHER_COLUMNS] for i in range(0, len(metrics), OTHER_COLUMNS)]
    tables = []
    for k, chunk in enumerate(chunks, start=1):
        rows = []
        for name, group in by_scenario.items():
            found = {str(r.get("metric")): r for r in group}
            rows.append([name, *(_difference_cell(found.get(m)) for m in chunk)])
        head = [f"scenario minus {base}"] + [
            METRIC_INFO.get(m, (m,))[0] + (" (pp)" if m in REGISTRY and REGISTRY[m].percent
                                           else "") for m in chunk]
        part = f" ({k} of {len(chunks)})" if len(chunks) > 1 else ""
        tables.append(table(head, rows, caption=f"Paired differences from {base}{part}: mean "
                            "[95% CI], bold where significant after Holm's correction",
                            numeric=range(1, len(head)), row_headers=True,
                            id=f"table-paired-summary-{k}"))
    return tables


def _difference_cell(row: dict[str, Any] | None) -> Any:
    if row is None:
        return "–"
    metric = str(row.get("metric"))
    pp = metric in REGISTRY and REGISTRY[metric].percent
    text = estimate(interval(row.get("mean_difference"), row.get("ci95"), percent=pp,
                             signed=True))
    return el("strong", text) if row.get("significant") else text


def _paired_row(row: dict[str, Any]) -> Html:
    """One comparison of summary.json's ``comparisons`` as a row of the paired table."""
    metric = str(row.get("metric"))
    pp = metric in REGISTRY and REGISTRY[metric].percent
    diff = interval(row.get("mean_difference"), row.get("ci95"), percent=pp, signed=True,
                    unit=" pp" if pp else "")
    vr = row.get("variance_reduction")
    # JSON has no infinity: a constant difference is stored as null with no paired variance
    # (folders written before that hold Infinity).
    constant = vr == math.inf or (vr is None and row.get("variance_paired") == 0
                                  and (row.get("variance_independent") or 0) > 0)
    vr_text = "∞ (constant difference)" if constant else "–" if vr is None else f"{vr:.1f}×"
    label = METRIC_INFO.get(metric, (metric,))[0]
    if row.get("censored_at_horizon"):
        label += " (day, or the horizon)"
    return el("tr", el("td", label), el("td", path_code(metric)),
              el("td", estimate(diff), class_="num"),
              el("td", p_text(row.get("p_holm")), class_="num"),
              el("td", el("strong", "yes") if row.get("significant") else "no"),
              el("td", vr_text, class_="num"))


def selection(f: Folder) -> Html:
    sel = f.summary.get("selection")
    title = el("h3", "Which scenario is best?", id="selection")
    if not sel:
        return el("div", title, para("No subset selection in this run (it needs two or more "
                                     "scenarios)."))
    metric = str(sel.get("metric", "?"))
    subset = [str(s) for s in sel.get("subset") or []]
    conf = sel.get("confidence", 0.95)
    means = sel.get("means") or {}
    d = auto_decimals(*means.values())
    rows = [[n, number(means.get(n), d), el("strong", "in the subset") if n in subset else "–"]
            for n in f.names if n in means]
    return el("div", title, el("p", f"For {METRIC_INFO.get(metric, (metric,))[0]} (",
                                el("code", metric), f", goal: {sel.get('goal', '?')}), the "
                                f"subset that contains the best scenario with "
                                f"{100 * conf:.0f}% confidence is: ",
                                el("strong", ", ".join(subset) or "–"),
                                f". Procedure: {sel.get('procedure', '?')}, on "
                                f"{sel.get('replications', '?')} common replications.",
                                id="selection-text"),
              table(["scenario", f"mean {metric}", "selected"], rows,
                    caption="Means used by the selection", numeric=[1],
                    id="table-selection"))


def stopping(f: Folder) -> Html | None:
    stop = f.summary.get("stopping")
    if not stop:
        return None
    rows = []
    for name, entry in (stop.get("scenarios") or {}).items():
        entry = entry if isinstance(entry, dict) else {"stopped": entry}
        rows.append([name, entry.get("replications", "?"), value_text(entry.get("stopped"))])
    rel = stop.get("precision")
    return el("div", el("h3", "Sequential stopping", id="stopping"), para(
        f"Replications were added in blocks until the 95% interval of every metric in "
        f"{value_text(stop.get('metrics'))} was narrower than ±{number(rel)} of its mean"
        + (f" (shares: ±{number(stop.get('abs_precision'))} absolute)"
           if stop.get("abs_precision") is not None else "")
        + f", with at most {stop.get('max_replications', '?')} replications per scenario."),
        table(["scenario", "replications", "why it stopped"], rows, numeric=[1]))
