"""The results: headline outcomes, events by the horizon, the other outcomes (in parts
of a few columns), then the comparisons, the checks against the articles and the figures."""

from __future__ import annotations

from typing import Any

from sim.model.metrics import REGISTRY
from sim.output.report.folder import Folder
from sim.output.report.html import Html, el, para, table
from sim.output.report.numbers import entry_text, event_texts, number
from sim.output.report.sections.comparisons import paired, selection, stopping
from sim.output.report.sections.figures import figures
from sim.output.report.sections.uncertainty import uncertainty
from sim.output.report.sections.validity import face_validity, what_stopped
from sim.output.report.vocabulary import (
    EVENT_ORDER,
    HEADLINE,
    METRIC_INFO,
    OTHER_COLUMNS,
    OWN_SECTION,
)


def results(f: Folder) -> Html:
    parts: list[Any] = [el("h2", "Results", id="results"), para(
        "Every estimate is followed by its 95% confidence interval in brackets: means with "
        "Student-t intervals, shares (the percentage of replications) with Wilson intervals. "
        "The interval says how precisely the replications pin down the model's answer; it says "
        "nothing about whether the model's assumptions are right (see the caveats).")]
    if f.summary.get("horizons_note"):
        parts.append(el("p", el("strong", "Note: "), str(f.summary["horizons_note"]),
                        id="note-horizons"))
    parts += [headline_table(f), events_table(f), *other_tables(f), paired(f), selection(f),
              stopping(f), face_validity(f), what_stopped(f), uncertainty(f), figures(f)]
    return el("section", parts)


def _first_metrics(f: Folder) -> dict[str, Any]:
    """The metrics of the first scenario: the columns every table has."""
    return f.metrics(f.names[0]) if f.names else {}


def headline_table(f: Folder) -> Html:
    head = ["scenario", "replications"] + [
        f"{METRIC_INFO[m][0]} ({'%' if REGISTRY[m].percent else METRIC_INFO[m][1]})"
        for m in HEADLINE]
    counts = {name: f.replications(name) for name in f.names}
    rows = [[name, "?" if counts[name] is None else counts[name],
             *(entry_text(f.metric(name, m)) for m in HEADLINE)] for name in f.names]
    return table(head, rows, caption="Headline outcomes at the horizon: mean or share "
                 "of replications [95% CI]", numeric=range(1, len(head)), id="table-outcomes",
                 row_headers=True)


def events_table(f: Folder) -> Html | None:
    events = [m for m in EVENT_ORDER if any(
        (f.metric(n, m) or {}).get("kind") == "time_to_event" for n in f.names)]
    events += [m for m, e in _first_metrics(f).items() if isinstance(e, dict) and e.get(
        "kind") == "time_to_event" and m not in events]
    if not events:
        return None
    head = ["scenario", "horizon (days)"] + ["P(by horizon)", "median day"] * len(events)
    groups = [("", 2)] + [(METRIC_INFO.get(m, (m,))[0], 2) for m in events]
    rows = []
    for name in f.names:
        horizon = next((entry.get("horizon") for m in events
                        if (entry := f.metric(name, m))), None)
        row = [name, number(horizon, 0)]
        for m in events:
            row += list(event_texts(f.metric(name, m)))
        rows.append(row)
    return table(head, rows, caption="Events by the horizon: share of replications in "
                 "which the event happened [95% CI]; median day of the event [95% CI] "
                 "(Kaplan-Meier, 'not reached' when fewer than half the replications saw it by "
                 "the horizon)", numeric=range(1, len(head)), id="table-events",
                 row_headers=True, groups=groups)


def other_tables(f: Folder) -> list[Html]:
    """The other outcomes in parts of a few columns each, to fit a printed page."""
    others = [m for m, e in _first_metrics(f).items() if m not in HEADLINE and isinstance(
        e, dict) and e.get("kind") in ("mean", "share") and m not in OWN_SECTION
              and not m.startswith("obs.")]  # observations: the face-validity table
    chunks = [others[i:i + OTHER_COLUMNS] for i in range(0, len(others), OTHER_COLUMNS)]
    tables = []
    for k, chunk in enumerate(chunks, start=1):
        head = ["scenario"] + [f"{METRIC_INFO.get(m, (m, '-'))[0]} "
                               f"({METRIC_INFO.get(m, (m, '-'))[1]})" for m in chunk]
        rows = [[n, *(entry_text(f.metric(n, m)) for m in chunk)] for n in f.names]
        part = f" ({k} of {len(chunks)})" if len(chunks) > 1 else ""
        tables.append(table(head, rows, caption=f"Other outcomes{part}: mean or share "
                            "[95% CI]", numeric=range(1, len(head)), id=f"table-other-{k}",
                            row_headers=True))
    return tables
