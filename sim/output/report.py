"""One self-contained HTML report of a results folder, to read on screen or hand out on paper.

``write_report(RESULTS_DIR)`` reads what ``baiji-sim run`` wrote (summary.json,
manifest.json, scenarios/*.yaml, plots/, and sensitivity.json if present) and
writes ``RESULTS_DIR/report.html``: one file, CSS inline, every figure embedded
as a base64 ``data:`` URI, no scripts and no network references, so it can be
mailed, archived or printed as it is.

Contents: the results (outcomes with 95% intervals, time-to-event summaries,
paired comparisons, subset selection, every figure with a caption), the caveats
(the assumptions the comparison hangs on, the sensitivity ranking, the known
limitations), and an account of the model and the study ordered after the
STRESS-DES checklist (Monks et al. 2019, "Strengthening the reporting of
empirical simulation studies: Introducing the STRESS guidelines", Journal of
Simulation 13(1)): 1 Objectives, 2 Logic, 3 Data, 4 Experimentation,
5 Implementation, 6 Code access, each item numbered as in the checklist.

Every piece of text that comes from a scenario file, a fact sheet or a result
(names, descriptions, values, provenance, the command line) is escaped: the page
is built with :func:`el`, which escapes every child that is not already
:class:`Html`, so nothing read from a file can become markup.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import inspect
import json
import math
import os
import platform
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim import __version__
from sim.analysis.stopped import stopped_refinery
from sim.model.metrics import REGISTRY
from sim.model.observations import BY_ID as OBSERVATION_BY_ID
from sim.output.results_folder import ResultsFolderError, safe_name
from sim.output.tables import percent_decimals
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.provenance import (
    Fact,
    ParameterRow,
    diff_rows,
    explain_rows,
    find_seeds_dir,
    load_facts,
)
from sim.scenario.schema import Scenario

__all__ = ["CAPTIONS", "Html", "el", "esc", "render_report", "write_report"]

# -- what the report says about files and metrics ------------------------------------
CAPTIONS = {
    "outcomes": "Outcome distributions. For each scenario, every replication (dots), the "
                "quartiles (boxes) and the mean with its 95% confidence interval (diamond).",
    "garrison_survival": "Garrison survival: the share of replications in which the garrison "
                         "still holds, day by day (Kaplan-Meier estimate with its 95% band).",
    "survival_curves": "Time to the three key events (the garrison falls, the siege is lifted, "
                       "the refinery first runs): Kaplan-Meier curves with 95% bands. A curve "
                       "that stays near 1 means the event rarely happens before the horizon.",
    "daily_bands": "Government share of the plant and the garrison's stock, day by day: "
                   "median over the replications and the band holding 90% of them (5-95%).",
    "fan_charts": "Every daily series (plant control, stock, garrison and besieger strength, "
                  "refinery state): median and 5-95% band over the replications.",
    "helicopter_losses": "Helicopters lost per replication (left) and the share of "
                         "replications in which flights have been halted by each day (right).",
    "timeline": "One replication followed event by event; crosses mark losses. An "
                "illustration of how a run unfolds, not a typical or average run.",
    "forest": "Paired differences against the baseline scenario, each with its 95% CI; "
              "hollow markers are not significant after Holm's correction.",
    "sensitivity": "Sensitivity analysis: the uncertain parameters ranked by their effect on "
                   "the chosen outcome.",
    "what_stopped": "What stopped the refinery: for each scenario, the mean share of the "
                    "horizon's days the government operated it or was stopped for each "
                    "reason (the segments add up to the whole horizon).",
}
FIGURE_ORDER = ("outcomes", "garrison_survival", "survival_curves", "daily_bands",
                "fan_charts", "helicopter_losses", "what_stopped", "forest", "timeline")
IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}

# metric -> (label, unit, definition as computed), from the one registry (sim.model.metrics)
METRIC_INFO = {name: (m.label, "share" if m.percent else "day" if m.kind == "event_day"
                      else m.unit, m.definition) for name, m in REGISTRY.items()}
# Metrics with their own section of the results, left out of Table 3.
OWN_SECTION = frozenset(m for m in REGISTRY if "stopped_" in m)
HEADLINE = ("operating_days", "operating_at_horizon", "garrison_held", "helicopters_lost",
            "supplies_delivered_t", "refined_kbbl")
OTHER_COLUMNS = 4  # outcome columns per part of Table 3
EVENT_ORDER = ("garrison_fall_day", "siege_lifted_day", "first_operating_day",
               "flights_halted_day")
SECTION_LABELS = {
    "start_date": "timing", "horizon_days": "timing", "areas": "areas and who holds them",
    "links": "pipelines and roads", "refinery": "refinery operation", "garrison": "garrison "
    "and supplies", "besiegers": "besiegers", "engagement": "engagements", "damage": "damage",
    "air_defence": "air defence", "supply_operators": "supply flights", "airstrikes":
    "airstrikes", "ground_campaign": "ground campaign",
}
LIMITATIONS = (
    "Illustrative, not predictive: the two articles give few numbers, so most rates are "
    "planning factors from other conflicts or judgement. The per-sortie loss probability is "
    "the least known and most influential input.",
    "Fixed rules, no decisions: rates of assault, clash, counter-attack, strike and retake are "
    "constant; nobody adapts (no surge when the garrison weakens, no extra flights when stocks "
    "run low).",
    "Engagements are force-ratio contests with binomial losses, not a full stochastic "
    "Lanchester process; one assault moves the line by at most one sector.",
    "Control is all-or-nothing per area; sectors fall from the edge inwards and are retaken "
    "from the core outwards.",
    "The refinery's restart delay is fixed and does not grow with damage; any interruption "
    "resets it; there is no storage of crude or products.",
    "Sabotage does not depend on who holds the ground; truck roads have a fixed capacity and "
    "no convoy losses.",
    "Supplies are one pooled tonnage settled once a day; one full ration ends starvation; "
    "missed airdrop bundles do not feed the besiegers; lost aircraft are never replaced.",
    "One loss probability for every exposed sortie; air defence is suppressed only by "
    "airstrikes that kill teams.",
    "The ground campaign is one axis, one operation at a time, with no relief-force "
    "casualties; lifting the siege restores supplies but does not change the fight inside "
    "the plant.",
    "Common random numbers are per named stream; the damage stream is shared by several "
    "event types, so it loses alignment when one of them changes rate.",
)


# -- HTML building: everything not already Html is escaped ----------------------------
class Html(str):
    """Markup built by this module; any other text is escaped before it joins the page."""

    __slots__ = ()


VOID = frozenset({"img", "br", "hr", "meta", "source", "col", "wbr"})


def esc(value: Any) -> Html:
    """``value`` as HTML: unchanged if it already is :class:`Html`, otherwise escaped."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def _children(items: Iterable[Any]) -> Html:
    out = []
    for item in items:
        if item is None or item is False:
            continue
        if isinstance(item, str):
            out.append(esc(item))
        elif isinstance(item, Iterable):
            out.append(_children(item))
        else:
            out.append(esc(item))
    return Html("".join(out))


def _attributes(attrs: dict[str, Any]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f" {name}" if value is True else f' {name}="{esc(value)}"')
    return "".join(parts)


def el(tag: str, *children: Any, **attrs: Any) -> Html:
    """An element; ``class_="x"`` gives ``class="x"``, ``data_file`` gives ``data-file``."""
    start = f"<{tag}{_attributes(attrs)}>"
    if tag in VOID:
        return Html(start)
    return Html(f"{start}{_children(children)}</{tag}>")


def prose(text: str) -> Html:
    """Escaped text in which `backticks` mark code."""
    parts = esc(text).split("`")
    return Html("".join(p if i % 2 == 0 else f"<code>{p}</code>" for i, p in enumerate(parts)))


def para(*children: Any, **attrs: Any) -> Html:
    return el("p", *(prose(c) if type(c) is str else c for c in children), **attrs)


def table(head: list[Any], rows: Iterable[list[Any]], caption: Any = None,
          numeric: Iterable[int] = (), row_headers: bool = False,
          groups: list[tuple[str, int]] | None = None, **attrs: Any) -> Html:
    """A bordered table; columns in ``numeric`` are right-aligned with tabular figures.

    With ``row_headers`` the first cell of each row is its header (the scenario's name);
    ``groups`` adds a header row above ``head`` of (label, number of columns) cells.
    """
    numeric = set(numeric)
    body = []
    for row in rows:
        cells = [el("th", c, scope="row") if k == 0 and row_headers else
                 el("td", estimate(c) if k in numeric else c,
                    class_="num" if k in numeric else None)
                 for k, c in enumerate(row)]
        body.append(el("tr", cells))
    top = el("tr", [el("th", label, colspan=str(n) if n > 1 else None, scope="colgroup",
                       class_="group-head" if label else None) for label, n in groups]
             ) if groups else None
    return el("div", el("table", el("caption", caption) if caption is not None else None,
                        el("thead", top, el("tr", [el("th", h, scope="col") for h in head])),
                        el("tbody", body), **attrs), class_="wide")


def estimate(text: Any) -> Any:
    """An 'estimate [low, high]' cell that may wrap before the bracket, never inside a part."""
    if not isinstance(text, str) or isinstance(text, Html) or " [" not in text:
        return text
    head, tail = text.split(" [", 1)
    return Html(el("span", head, class_="est") + " " + el("span", "[" + tail, class_="ci"))


def path_code(path: str) -> Html:
    """A dotted parameter path as code that may break after a dot or an underscore."""
    pieces = re.split(r"(?<=[._])", path)
    return el("code", [[p, Html("<wbr>")] for p in pieces[:-1]], pieces[-1])


def anchor(prefix: str, name: str, index: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return f"{prefix}-{index}-{slug}" if slug else f"{prefix}-{index}"


# -- numbers ------------------------------------------------------------------------
def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _decimals(*values: Any) -> int:
    big = max((abs(v) for v in values if _finite(v)), default=0.0)
    if big == 0 or big >= 100:
        return 0
    return 1 if big >= 10 else 2 if big >= 1 else 3


def number(x: Any, decimals: int | None = None, signed: bool = False) -> str:
    if not _finite(x):
        return "–"
    d = _decimals(x) if decimals is None else decimals
    text = f"{x:.{d}f}"
    if float(text) == 0:  # no "-0" or "+0"
        return f"{0:.{d}f}"
    return f"{x:+.{d}f}" if signed else text


def _pair(ci: Any) -> tuple[Any, Any]:
    """(low, high) of an interval as stored in summary.json ([low, high], either may be null)."""
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        return ci[0], ci[1]
    return None, None


def interval(mean: Any, ci: Any, *, percent: bool = False, signed: bool = False,
             unit: str = "") -> str:
    """'mean [low, high]' (percentages of shares), or '–' when there is no estimate."""
    if not _finite(mean):
        return "–"
    lo, hi = _pair(ci)
    scale = 100.0 if percent else 1.0
    d = percent_decimals(mean, lo, hi) if percent else _decimals(mean, lo, hi)
    text = number(mean * scale, d, signed) + unit
    if _finite(lo) and _finite(hi):
        text += f" [{number(lo * scale, d, signed)}, {number(hi * scale, d, signed)}]"
    return text


def entry_text(entry: dict[str, Any] | None) -> str:
    """A summary entry as 'mean [CI]' or 'share% [CI]' (restricted mean for event days)."""
    if not entry:
        return "–"
    return interval(entry.get("mean"), entry.get("ci95"), percent=entry.get("kind") == "share",
                    unit="%" if entry.get("kind") == "share" else "")


def event_texts(entry: dict[str, Any] | None) -> tuple[str, str]:
    """(P(event by the horizon) [CI], median day [CI] or 'not reached')."""
    if not entry or entry.get("kind") != "time_to_event":
        return "–", "–"
    p = entry.get("p_event_by_horizon") or {}
    share = interval(p.get("share"), p.get("ci95"), percent=True, unit="%")
    median = entry.get("median")
    if not _finite(median):
        return share, "not reached"
    lo, hi = _pair(entry.get("median_ci95"))
    text = f"{median:.0f}"
    if _finite(lo):
        text += f" [{lo:.0f}, {hi:.0f}]" if _finite(hi) else f" [{lo:.0f}, not reached]"
    return share, text


def p_text(p: Any) -> str:
    if not _finite(p):
        return "–"
    return "< 0.0001" if p < 1e-4 else f"{p:.3g}"


def value_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v) for v in value) if value else "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    return str(value)


def range_text(r: Any) -> str:
    if isinstance(r, (list, tuple)) and len(r) == 2:
        return f"{value_text(r[0])} to {value_text(r[1])}"
    return ""


# -- reading the folder --------------------------------------------------------------
@dataclass
class Folder:
    """What the report is drawn from."""

    path: Path
    summary: dict[str, Any]
    manifest: dict[str, Any]
    names: list[str]
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seeds_dir: Path | None = None
    facts: dict[str, Fact] = field(default_factory=dict)
    base: str | None = None
    diffs: dict[str, list[tuple[str, ParameterRow | None, ParameterRow | None]]] = field(
        default_factory=dict)
    sensitivity: dict[str, Any] | None = None

    def metric(self, name: str, metric: str) -> dict[str, Any] | None:
        return ((self.summary.get("scenarios") or {}).get(name) or {}).get(
            "metrics", {}).get(metric)

    def description(self, name: str) -> str:
        if name in self.scenarios:
            return self.scenarios[name].description.strip()
        return str(self.raw.get(name, {}).get("description") or "").strip()


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def read_folder(results_dir: Path) -> Folder:
    results_dir = Path(results_dir)
    if not (results_dir / "summary.json").is_file():
        raise ResultsFolderError(f"{results_dir}: not a results folder (missing summary.json)")
    try:
        summary = _read_json(results_dir / "summary.json")
    except (ValueError, OSError) as exc:
        raise ResultsFolderError(f"{results_dir / 'summary.json'}: unreadable ({exc})") from None
    problems = []
    try:
        manifest = _read_json(results_dir / "manifest.json")
    except FileNotFoundError:
        manifest = {}
        problems.append("manifest.json is missing: the command line, seed, date and status of "
                        "the run are unknown.")
    except (ValueError, OSError) as exc:
        manifest = {}
        problems.append(f"manifest.json is unreadable ({exc}).")
    names = list(summary.get("scenarios") or {})
    folder = Folder(results_dir, summary, manifest, names, problems=problems)
    for path in sorted((results_dir / "scenarios").glob("*.yaml")):
        try:
            scenario = load_scenario(path)
        except (ScenarioError, OSError, ValueError, yaml.YAMLError) as exc:
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                raw = {}
            name = str(raw.get("name") or path.stem) if isinstance(raw, dict) else path.stem
            folder.raw[name] = raw if isinstance(raw, dict) else {}
            folder.problems.append(f"scenarios/{path.name} could not be read by this version of "
                                   f"baiji-sim ({str(exc).splitlines()[0]}); its parameters "
                                   "are left out of the comparison of inputs.")
            continue
        folder.scenarios[scenario.name] = scenario
    missing = [n for n in names if n not in folder.scenarios and n not in folder.raw]
    if missing:
        folder.problems.append("No resolved scenario file for: " + ", ".join(missing) + ".")
    folder.seeds_dir = find_seeds_dir(results_dir)
    folder.facts = load_facts(folder.seeds_dir)
    if folder.seeds_dir is None:
        folder.problems.append("No seeds/ folder with the fact sheets was found: facts are "
                               "cited by their ids only.")
    comparisons = summary.get("comparisons") or {}
    loaded = [n for n in names if n in folder.scenarios]
    folder.base = comparisons.get("baseline") if comparisons.get("baseline") in loaded else (
        loaded[0] if loaded else None)
    if folder.base is not None:
        base = folder.scenarios[folder.base]
        for name in loaded:
            if name != folder.base:
                folder.diffs[name] = diff_rows(base, folder.scenarios[name], folder.facts)
    sens = results_dir / "sensitivity.json"
    if sens.is_file():
        try:
            folder.sensitivity = _read_json(sens)
        except (ValueError, OSError) as exc:
            folder.problems.append(f"sensitivity.json is unreadable ({exc}).")
    return folder


# -- sections ------------------------------------------------------------------------
def _status_warnings(f: Folder) -> list[Html]:
    out = []
    m = f.manifest
    status = m.get("status")
    if (m and status != "complete") or f.summary.get("interrupted"):
        finished = m.get("finished_replications") or {}
        counts = ", ".join(f"{k}: {v}" for k, v in finished.items())
        out.append(el("div", el("p", el("strong", "Warning: interrupted run. "),
                                f"This run did not finish (status: {status or 'unknown'}). "
                                f"Only part of the requested {m.get('replications', '?')} "
                                "replications per scenario were made"
                                + (f" ({counts})" if counts else "")
                                + ", so the intervals are wider than planned and scenarios "
                                "may rest on different numbers of replications. Finish it "
                                "with: ", el("code", f"baiji-sim run --resume {f.path}")),
                      class_="warning", role="alert", id="warning-interrupted"))
    failures = m.get("failures") or []
    if failures:
        rows = [[x.get("scenario", "?"), x.get("replication", "?"), x.get("seed", "?"),
                 x.get("error", "")] for x in failures[:20] if isinstance(x, dict)]
        out.append(el("div", el("p", el("strong", "Warning: failed replications. "),
                                f"{len(failures)} replications raised an error and are left "
                                "out of every estimate."),
                      table(["scenario", "replication", "seed", "error"], rows),
                      class_="warning", role="alert", id="warning-failures"))
    run_version = m.get("package_version")
    if run_version and run_version != __version__:
        out.append(el("div", para(f"Note: the run was made with baiji-sim {run_version}; this "
                                  f"report was written by baiji-sim {__version__}, and its "
                                  "account of the model describes the installed version."),
                      class_="warning"))
    if f.problems:
        out.append(el("div", el("p", el("strong", "Incomplete results folder. ")),
                      el("ul", [el("li", p) for p in f.problems]), class_="warning"))
    return out


def _glance(f: Folder) -> Html:
    m = f.manifest
    requested = m.get("replications", f.summary.get("replications_requested"))
    finished = m.get("finished_replications") or {
        n: (f.summary["scenarios"][n] or {}).get("replications") for n in f.names}
    counts = sorted({v for v in finished.values() if v is not None})
    fin = (f"{counts[0]} per scenario" if len(counts) == 1 else
           ", ".join(f"{k}: {v}" for k, v in finished.items())) if counts else "unknown"
    items = [
        ("Scenarios", f"{len(f.names)}: " + ", ".join(f.names)),
        ("Compared with", _compared_with(f)),
        ("Replications", f"{fin} (requested {requested if requested is not None else '?'})"),
        ("Batch seed", m.get("seed", f.summary.get("seed", "?"))),
        ("Status", m.get("status", "unknown")),
        ("Run on", m.get("date", "unknown")),
        ("Software", f"baiji-sim {m.get('package_version', '?')}, Python "
                     f"{m.get('python', '?')}"),
    ]
    return el("dl", [[el("dt", k), el("dd", v)] for k, v in items], class_="glance")


def _compared_with(f: Folder) -> str:
    """The paired comparison's baseline, or why there is none (the first scenario is then
    only the base of the parameter differences, not a comparison)."""
    if (f.summary.get("comparisons") or {}).get("baseline") == f.base and f.base is not None:
        return f"{f.base} (paired differences under common random numbers)"
    if f.base is None:
        return "–"
    return (f"no paired comparison (run with --baseline); parameter differences are shown "
            f"against {f.base}")


def _contents(f: Folder) -> Html:
    entries = [("results", "Results"), ("caveats", "Caveats: what the results hang on"),
               ("stress-1", "STRESS 1 Objectives"), ("stress-2", "STRESS 2 Logic"),
               ("stress-3", "STRESS 3 Data"), ("stress-4", "STRESS 4 Experimentation"),
               ("stress-5", "STRESS 5 Implementation"), ("stress-6", "STRESS 6 Code access")]
    return el("nav", el("h2", "Contents", class_="toc-title"),
              el("ol", [el("li", el("a", text, href=f"#{ref}")) for ref, text in entries]),
              class_="toc", aria_label="Contents")


def _results(f: Folder) -> Html:
    parts: list[Any] = [el("h2", "Results", id="results"), para(
        "Every estimate is followed by its 95% confidence interval in brackets: means with "
        "Student-t intervals, shares (the percentage of replications) with Wilson intervals. "
        "The interval says how precisely the replications pin down the model's answer; it says "
        "nothing about whether the model's assumptions are right (see the caveats).")]
    if f.summary.get("horizons_note"):
        parts.append(el("p", el("strong", "Note: "), str(f.summary["horizons_note"]),
                        id="note-horizons"))
    # Table 1: headline outcomes
    head = ["scenario", "replications"] + [
        f"{METRIC_INFO[m][0]} ({'%' if REGISTRY[m].percent else METRIC_INFO[m][1]})"
        for m in HEADLINE]
    rows = []
    for name in f.names:
        reps = (f.summary["scenarios"][name] or {}).get("replications", "?")
        rows.append([name, reps, *(entry_text(f.metric(name, m)) for m in HEADLINE)])
    parts.append(table(head, rows, caption="Table 1. Headline outcomes at the horizon: mean or "
                       "share of replications [95% CI]", numeric=range(1, len(head)),
                       id="table-outcomes", row_headers=True))
    # Table 2: events
    events = [m for m in EVENT_ORDER if any(
        (f.metric(n, m) or {}).get("kind") == "time_to_event" for n in f.names)]
    first = f.summary["scenarios"][f.names[0]]["metrics"] if f.names else {}
    events += [m for m, e in first.items() if isinstance(e, dict) and e.get("kind") ==
               "time_to_event" and m not in events]
    if events:
        head = ["scenario", "horizon (days)"] + ["P(by horizon)", "median day"] * len(events)
        groups = [("", 2)] + [(METRIC_INFO.get(m, (m,))[0], 2) for m in events]
        rows = []
        for name in f.names:
            horizon = next((f.metric(name, m).get("horizon") for m in events
                            if f.metric(name, m)), None)
            row = [name, number(horizon, 0)]
            for m in events:
                row += list(event_texts(f.metric(name, m)))
            rows.append(row)
        parts.append(table(head, rows, caption="Table 2. Events by the horizon: share of "
                           "replications in which the event happened [95% CI]; median day of "
                           "the event [95% CI] (Kaplan-Meier, 'not reached' when fewer than "
                           "half the replications saw it by the horizon)",
                           numeric=range(1, len(head)), id="table-events", row_headers=True,
                           groups=groups))
    # Table 3: the other outcomes
    others = [m for m, e in first.items() if m not in HEADLINE and isinstance(e, dict)
              and e.get("kind") in ("mean", "share") and m not in OWN_SECTION
              and not m.startswith("obs.")]  # observations: the face-validity table
    chunks = [others[i:i + OTHER_COLUMNS] for i in range(0, len(others), OTHER_COLUMNS)]
    for k, chunk in enumerate(chunks, start=1):  # a few columns each, to fit a printed page
        head = ["scenario"] + [f"{METRIC_INFO.get(m, (m, '-'))[0]} "
                               f"({METRIC_INFO.get(m, (m, '-'))[1]})" for m in chunk]
        rows = [[n, *(entry_text(f.metric(n, m)) for m in chunk)] for n in f.names]
        part = f" ({k} of {len(chunks)})" if len(chunks) > 1 else ""
        parts.append(table(head, rows, caption=f"Table 3. Other outcomes{part}: mean or share "
                           "[95% CI]", numeric=range(1, len(head)), id=f"table-other-{k}",
                           row_headers=True))
    parts.append(_paired(f))
    parts.append(_selection(f))
    parts.append(_stopping(f))
    parts.append(_face_validity(f))
    parts.append(_what_stopped(f))
    parts.append(_figures(f))
    return el("section", parts)


def _face_validity(f: Folder) -> Html:
    title = el("h3", "Face validity: the model against the articles", id="face-validity")
    section = f.summary.get("face_validity") or {}
    scenarios = section.get("scenarios") or {}
    if not scenarios:
        return el("div", title, para(
            "None of the scenarios of this run simulates a day on which the articles report "
            "an observed state (`seeds/observations.yaml`), other than as its starting state, "
            "so none is checked against them."))
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
    sheet_rows = []
    for oid, entry in seen.items():
        o = OBSERVATION_BY_ID.get(oid)
        facts = o.facts if o else entry.get("facts") or []
        sheet_rows.append([el("code", oid), o.statement if o else entry.get("label", ""),
                           [[el("code", x), " "] for x in facts], entry.get("date", "–"),
                           el("code", entry.get("condition", "")),
                           o.note if o else "–"])
    return el("div", title, para(
        "The articles report the state of the siege on a few dates: the garrison still holding "
        "in October 2014 after two helicopters were lost and the flights halted; in May 2015 "
        "the insurgents holding about four fifths of a plant offline for months, the "
        "government the rest. Each is written as a condition on a replication's state at the "
        "end of that day (`seeds/observations.yaml`). The table gives the share of "
        "replications consistent with each observation, with its 95% Wilson interval, for "
        "every scenario that simulates its date. This is a check of face validity, not a "
        "calibration: nothing was fitted to these observations, and a low share says that "
        "the scenario's assumptions make the reported course of events unusual."),
        table(["scenario", "observation", "date", "consistent if", "share consistent",
               "replications"], rows, caption="Table 6. Replications consistent with the "
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


def _what_stopped(f: Folder) -> Html | None:
    section = f.summary.get("stopped_refinery") or stopped_refinery(f.summary)
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
              caption="Table 7. What stopped the refinery (government): mean share of days "
              "[95% CI]", numeric=range(1, len(reasons) + 1), id="table-what-stopped",
              row_headers=True))


def _paired(f: Folder) -> Html:
    comparisons = f.summary.get("comparisons")
    title = el("h3", "Paired comparisons with the baseline", id="paired")
    if not comparisons or not comparisons.get("comparisons"):
        return el("div", title, para(
            "This run made no paired comparisons (run with `--baseline NAME` to compare every "
            "scenario with one of them, replication by replication)."))
    base = comparisons.get("baseline", "?")
    shares = {m for m, metric in REGISTRY.items() if metric.percent}
    rows = []
    by_scenario: dict[str, list[dict[str, Any]]] = {}
    for row in comparisons["comparisons"]:
        by_scenario.setdefault(str(row.get("scenario")), []).append(row)
    for name, group in by_scenario.items():
        rows.append(Html(el("tr", el("th", f"{name} minus {base}", colspan="6",
                                     class_="group", scope="rowgroup"))))
        for row in group:
            metric = str(row.get("metric"))
            pp = metric in shares
            diff = interval(row.get("mean_difference"), row.get("ci95"), percent=pp,
                            signed=True, unit=" pp" if pp else "")
            vr = row.get("variance_reduction")
            # JSON has no infinity: a constant difference is stored as null with no paired
            # variance (folders written before that hold Infinity).
            constant = vr == math.inf or (vr is None and row.get("variance_paired") == 0
                                          and (row.get("variance_independent") or 0) > 0)
            vr_text = "∞ (constant difference)" if constant else (
                "–" if vr is None else f"{vr:.1f}×")
            label = METRIC_INFO.get(metric, (metric,))[0]
            if row.get("censored_at_horizon"):
                label += " (day, or the horizon)"
            significant = row.get("significant")
            rows.append(el("tr", el("td", label), el("td", path_code(metric)),
                           el("td", estimate(diff), class_="num"),
                           el("td", p_text(row.get("p_holm")), class_="num"),
                           el("td", el("strong", "yes") if significant else "no"),
                           el("td", vr_text, class_="num")))
    level = comparisons.get("level", 0.95)
    head = ["outcome", "metric", "difference [95% CI]", "p (Holm)",
            f"significant at {100 * (1 - level):.0f}%?", "variance reduction"]
    tab = el("div", el("table", el("caption", f"Table 4. Each scenario minus {base}, replication "
                                   "by replication (same seeds)"),
                       el("thead", el("tr", [el("th", h, scope="col") for h in head])),
                       el("tbody", rows), id="table-paired"), class_="wide")
    return el("div", title, para(
        f"Replication i of every scenario uses the same random numbers as replication i of "
        f"{base}, so the difference between two scenarios is measured pair by pair. The table "
        "gives the mean difference with its 95% interval (shares in percentage points, pp), "
        "the p-value of a paired t-test adjusted for the whole family of comparisons by "
        "Holm's step-down method, whether the difference is significant at that level, and the "
        "variance reduction: how many times more replications independent sampling would "
        "have needed for the same precision. Event days are compared as the day of the event "
        "or the horizon, whichever comes first."), tab)


def _selection(f: Folder) -> Html:
    sel = f.summary.get("selection")
    title = el("h3", "Which scenario is best?", id="selection")
    if not sel:
        return el("div", title, para("No subset selection in this run (it needs two or more "
                                     "scenarios)."))
    metric = str(sel.get("metric", "?"))
    subset = [str(s) for s in sel.get("subset") or []]
    conf = sel.get("confidence", 0.95)
    means = sel.get("means") or {}
    d = _decimals(*means.values())
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
                    caption="Table 5. Means used by the selection", numeric=[1],
                    id="table-selection"))


def _stopping(f: Folder) -> Html | None:
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


def _data_uri(path: Path) -> str:
    mime = IMAGE_TYPES[path.suffix.lower()]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _figure(label: str, stem: str, files: list[Path]) -> Html:
    """One figure from the files of one plot (a PNG, an SVG, or both of the same drawing)."""
    text = CAPTIONS.get(stem) or files[0].name
    by_type = {p.suffix.lower(): p for p in files}
    names = " and ".join(p.name for p in files)
    alt = f"{label}: {text}"
    if ".png" in by_type and ".svg" in by_type:
        # One figure, two files: the vector drawing where the browser takes it, else the PNG.
        image = el("picture", el("source", type="image/svg+xml",
                                 srcset=_data_uri(by_type[".svg"]),
                                 data_file=by_type[".svg"].name),
                   el("img", src=_data_uri(by_type[".png"]), alt=alt,
                      data_file=by_type[".png"].name))
    else:
        image = [el("img", src=_data_uri(p), alt=alt, data_file=p.name) for p in files]
    return el("figure", image, el("figcaption", el("strong", f"{label}. "), text,
                                  " ", el("span", f"({names})", class_="file")),
              id=anchor("figure", stem, 0))


def _figures(f: Folder) -> Html:
    title = el("h3", "Figures", id="figures")
    folder = f.path / "plots"
    files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    images = [p for p in files if p.suffix.lower() in IMAGE_TYPES]
    other = [p for p in files if p.suffix.lower() not in IMAGE_TYPES]
    if not images:
        return el("div", title, para("This results folder holds no plots (it was run with "
                                     "`--no-plots`); `baiji-sim plot RESULTS_DIR` draws them "
                                     "from the files without re-running."))
    groups: dict[str, list[Path]] = {}
    for p in images:
        groups.setdefault(p.stem, []).append(p)
    order = [s for s in FIGURE_ORDER if s in groups] + sorted(
        s for s in groups if s not in FIGURE_ORDER)
    figures = [_figure(f"Figure {k}", stem, groups[stem]) for k, stem in enumerate(order, 1)]
    note = para(f"Also in plots/ (not embedded): {', '.join(p.name for p in other)}.") \
        if other else None
    return el("div", title, para("Every figure of the results folder (`plots/`), drawn from its "
                                 "files; colours are the Okabe-Ito palette, which stays "
                                 "distinguishable with colour-blindness."), figures, note)


# -- caveats -------------------------------------------------------------------------
def _source_cell(row: ParameterRow | None) -> Html:
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
    return el("span", el("strong", "no provenance"), class_="missing")


def _driving(f: Folder) -> dict[str, dict[str, Any]]:
    """Assumption-provenance parameters whose values differ between the base and a scenario."""
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


def _by_value(variants: list[tuple[str, ParameterRow | None]]) -> list[tuple[str, list[str]]]:
    """(value text, scenario names) for each distinct value, in order of first appearance."""
    grouped: dict[str, list[str]] = {}
    for name, row in variants:
        grouped.setdefault(value_text(row.value) if row else "(absent)", []).append(name)
    return list(grouped.items())


def _caveats(f: Folder) -> Html:
    parts: list[Any] = [el("h2", "Caveats: what the results hang on", id="caveats"), para(
        "The model turns a few reported facts and many assumptions into numbers. The intervals "
        "above cover the randomness of the simulation only. Read the differences between "
        "scenarios together with the assumptions that make them differ.")]
    parts.append(el("h3", "Assumptions that differ between the scenarios", id="driving"))
    driving = _driving(f)
    if f.base is None:
        parts.append(para("The resolved scenarios could not be read, so the assumptions cannot "
                          "be listed here."))
    elif not driving:
        parts.append(para(f"No parameter that rests on an assumption differs from {f.base}."))
    else:
        rows = []
        for path, entry in driving.items():
            base_row = entry["base"]
            variants = el("ul", [el("li", el("strong", ", ".join(names)), ": ", value)
                                 for value, names in _by_value(entry["variants"])],
                          class_="plain")
            reasons = [el("div", el("span", f"In {', '.join(names)}: ", class_="who"),
                          _source_cell(r), " ", el("span", "counterfactual", class_="badge")
                          if r.source.lower().startswith("counterfactual") else None,
                          class_="reason")
                       for r, names in entry["reasons"].values()]
            unit = (base_row or entry["variants"][0][1]).unit
            rows.append([path_code(path), value_text(base_row.value) if base_row else
                         "(absent)", variants, unit, reasons])
        parts.append(para(f"Every parameter whose value differs from {f.base} (the base of the "
                          "comparison) and whose value, in either scenario, is an assumption "
                          "rather than a reported fact. These are the inputs a reader should "
                          "question first. Counterfactual assumptions describe a situation "
                          "that did not happen, on purpose."))
        parts.append(table(["parameter", f"value in {f.base}", "value in the other scenarios",
                            "unit", "where the values come from"], rows,
                           caption=f"Table 6. {len(rows)} assumed parameters that differ "
                           "between the scenarios", id="table-driving"))
    parts.append(el("h3", "Key assumption categories", id="assumption-categories"))
    parts.append(el("ul", [el("li", prose(t)) for t in (
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
        "(marked counterfactual above).")]))
    if f.base is not None:
        parts.append(_category_table(f))
    parts.append(_sensitivity(f, driving))
    parts.append(el("h3", "Known limitations", id="limitations"))
    parts.append(el("ul", [el("li", t) for t in LIMITATIONS]))
    parts.append(para("The full list, with the reasons behind each choice, is in the model "
                      "description shipped with baiji-sim: `docs/model.md`, section 6 (Known "
                      "limitations and modelling choices)."))
    return el("section", parts)


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
                 caption=f"Table 7. Where the parameters of {f.base} come from",
                 numeric=range(1, 6), id="table-categories")


def _sensitivity(f: Folder, driving: dict[str, Any]) -> Html:
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
    rows = []
    for k, r in enumerate(indices, start=1):
        name = str(r.get("parameter", "?"))
        rows.append([k, path_code(name), range_text(bounds.get(name)),
                     *(f"{r[c]:.4g}" if _finite(r.get(c)) else "–" for c in columns),
                     "yes" if name in driving else "–"])
    png = f.path / "sensitivity.png"
    figure = _figure("Sensitivity figure", "sensitivity", [png]) if png.is_file() else None
    return el("div", title, para(
        f"{value_text(s.get('method', '?')).capitalize()} analysis of "
        f"{value_text(s.get('metric_meaning') or s.get('metric', '?'))} in scenario "
        f"{value_text(s.get('scenario', '?'))}: {s.get('design_points', '?')} design points × "
        f"{s.get('replications', '?')} replications ({s.get('model_runs', '?')} model runs), "
        f"ranked by {value_text(s.get('ranked_by', '?'))}. The top-ranked parameters are "
        "those the answer depends on most; the last column says whether the parameter also "
        "differs between the scenarios compared here."),
        table(["rank", "parameter", "range varied", *columns, "differs between scenarios"],
              rows, caption="Table 8. Top-ranked uncertain parameters",
              numeric=range(3, 3 + len(columns)), id="table-sensitivity"),
        figure)


# -- the STRESS-DES account ----------------------------------------------------------
def _stress(number_: int, title: str, *children: Any) -> Html:
    return el("section", el("h2", el("span", f"STRESS {number_}", class_="stress"), " ", title,
                            id=f"stress-{number_}"), children, class_="stress-section")


def _item(code: str, title: str, *children: Any) -> Html:
    return el("div", el("h3", f"{code} {title}", id=f"stress-{code.replace('.', '-')}"),
              children)


def _objectives(f: Folder) -> Html:
    first = f.summary["scenarios"][f.names[0]]["metrics"] if f.names else {}
    metric_rows = [[path_code(m), METRIC_INFO.get(m, ("", "-", "-"))[2],
                    METRIC_INFO.get(m, ("", "-"))[1],
                    {"time_to_event": "share by the horizon, Kaplan-Meier median, restricted "
                     "mean", "share": "share, Wilson interval"}.get(
                        str((e or {}).get("kind")), "mean, Student-t interval; quantiles")]
                   for m, e in first.items()]
    files = f.manifest.get("scenario_files") or {}
    scen_items = []
    for k, name in enumerate(f.names):
        desc = f.description(name) or "(no description)"
        tags = [el("span", "base of the comparison", class_="badge")] if name == f.base else []
        scen_items += [el("dt", name, " ", tags, id=anchor("scenario", name, k)),
                       el("dd", el("p", desc),
                          el("p", "file: ", el("code", files[name]), class_="file")
                          if name in files else None)]
    aims = ["Estimate, for every scenario, the outcomes of Table 1 and the timing of the "
            "events of Table 2, each with a 95% interval."]
    if f.summary.get("comparisons"):
        aims.append(f"Compare every scenario with {f.summary['comparisons'].get('baseline')}, "
                    "replication by replication, and say which differences are real after a "
                    "correction for multiple comparisons.")
    if f.summary.get("selection"):
        aims.append("Select the subset of scenarios that contains the best one for "
                    f"{f.summary['selection'].get('metric')}.")
    return _stress(1, "Objectives", _item("1.1", "Purpose of the model", para(
        "baiji-sim is a discrete-event Monte Carlo model of the 2014-15 siege of the Baiji "
        "refinery, Iraq's largest. It asks how long a besieged government garrison can hold the "
        "plant, what the air bridge that supplies it costs, and whether either side could run "
        "the refinery again, given that operation needs the plant, its surroundings, crude "
        "from the fields and a route out for the products. It is a teaching and exploration "
        "tool, not a forecast.")),
        _item("1.2", "Model outputs", para(
            "Each replication yields one value of each metric below (measured at the horizon "
            "unless stated) and seven daily series (government share of the plant, days of "
            "supply, garrison and besieger strength, refinery state, per-sortie loss "
            "probability, helicopters lost so far). Event days are censored at the horizon: "
            "the event may come later or never, so they are summarised as time-to-event "
            "data, never averaged as if complete."),
            table(["metric", "definition", "unit", "summarised as"], metric_rows,
                  caption="Outputs of one replication", id="table-metrics")),
        _item("1.3", "Experimentation aims", el("ul", [el("li", a) for a in aims]),
              para(f"The {len(f.names)} scenarios of this run:"),
              el("dl", scen_items, class_="scenarios")))


def _logic(f: Folder) -> Html:
    boxes = ["scenario file (YAML, validated)", "world: areas and holders, stocks, forces",
             "mechanisms: SimPy events that change the world", "recorder: metrics and "
             "daily samples", "statistics over replications", "this report"]
    diagram = el("div", [[el("div", b, class_="box"), el("span", "→", class_="arrow",
                                                         aria_hidden="true")
                          if k < len(boxes) - 1 else None] for k, b in enumerate(boxes)],
                 class_="flow", role="img", aria_label="Data flow: " + " to ".join(boxes))
    mechanisms = [
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
    ]
    diffs = []
    for k, (name, rows) in enumerate(f.diffs.items()):
        body = [[path_code(path), value_text(a.value) if a else "(absent)",
                 value_text(b.value) if b else "(absent)", (b or a).unit,
                 _source_cell(b if b is not None else a)] for path, a, b in rows]
        diffs.append(el("h4", name, id=anchor("diff", name, k)))
        diffs.append(table(["parameter", f"in {f.base}", f"in {name}", "unit",
                            f"provenance (of the value in {name})"], body,
                           caption=f"{len(body)} parameters of {name} that differ from "
                           f"{f.base}", id=f"table-diff-{k}")
                     if body else para(f"No parameter differs from {f.base}."))
    if f.base is None:
        diffs = [para("The resolved scenarios could not be read; see the warnings above.")]
    algorithms = [
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
        "Refinery: a down / restarting / operating state machine; output ramps linearly to a "
        "ceiling set by damage, crude in and products out, integrated exactly between events.",
    ]
    return _stress(2, "Logic", _item("2.1", "Base model overview diagram", diagram, para(
        "A replication builds a fresh world from the scenario, schedules every mechanism's "
        "first SimPy event, runs to the horizon and returns one row of metrics and the daily "
        "series. Whenever something that decides operability changes, both sides' "
        "operability is re-evaluated at once (no polling).")),
        _item("2.2", "Base model logic", el("ul", [el("li", el("strong", n), ": ", t)
                                                 for n, t in mechanisms]),
              para("Each mechanism, with its equations and its own assumptions, is described "
                   "in `docs/model.md`, section 2.")),
        _item("2.3", "Scenario logic", para(
            f"The scenarios share the same logic and differ only in their parameters. Below, "
            f"every parameter whose value differs from {f.base or 'the base scenario'}, with "
            "its unit and where the value comes from (`baiji-sim explain A --diff B` prints "
            "the same)."), diffs),
        _item("2.4", "Algorithms", el("ul", [el("li", prose(t)) for t in algorithms])),
        _item("2.5", "Components", el("dl", [
            el("dt", "2.5.1 Entities"), el("dd", "The garrison, the besieging force, aircraft "
                                                 "of each supply operator (one sortie at a "
                                                 "time), areas, pipelines and roads, and the "
                                                 "refinery's operation for each side."),
            el("dt", "2.5.2 Activities"), el("dd", "Sorties, assaults, clashes, "
                                                   "counter-attacks, airstrikes, ground "
                                                   "operations and retakes, link repairs, "
                                                   "refinery restarts and ramps."),
            el("dt", "2.5.3 Resources"), el("dd", "The supply stock (tonnes), troops, "
                                                  "besiegers, aircraft per operator, "
                                                  "anti-aircraft teams, pipeline and road "
                                                  "capacity."),
            el("dt", "2.5.4 Queues"), el("dd", "None: no entity waits in line for a resource. "
                                               "Waiting is represented by delays (restart, "
                                               "repair, regrouping before a retry)."),
            el("dt", "2.5.5 Entry and exit points"), el("dd", "Besiegers and anti-aircraft "
                                                              "teams enter as daily Poisson "
                                                              "reinforcements; relief troops "
                                                              "join once when the siege is "
                                                              "lifted; lost aircraft leave "
                                                              "for good; the garrison leaves "
                                                              "when it falls."),
        ])))


def _data(f: Folder) -> Html:
    sheets: dict[str, list[Fact]] = {}
    for fact in f.facts.values():
        sheets.setdefault(fact.sheet, []).append(fact)
    cited: set[str] = set()
    for scenario in f.scenarios.values():
        for entry in scenario.provenance.values():
            cited.update(i for i in (entry.fact, entry.basis) if i)
    sheet_rows = []
    for sheet, facts in sorted(sheets.items(), key=lambda kv: (kv[1][0].kind != "article",
                                                               kv[0])):
        head = facts[0]
        sheet_rows.append([el("code", sheet), "news article" if head.kind == "article" else
                           "planning factors", head.outlet or "–", head.date or "–",
                           len(facts), sum(1 for x in facts if x.id in cited)])
    sources = table(["fact sheet", "kind", "outlet", "date", "facts", "cited by these "
                     "scenarios"], sheet_rows, caption="Fact sheets (seeds/)",
                    numeric=[4, 5], id="table-sources") if sheet_rows else para(
        "The fact sheets were not found next to this results folder.")
    cited_rows = [[el("code", i), f.facts[i].statement,
                   f"{f.facts[i].outlet}, {f.facts[i].date}" if f.facts[i].kind == "article"
                   else (f.facts[i].source or "planning factor")]
                  for i in sorted(cited, key=lambda i: (f.facts[i].kind != "article", i)
                                  if i in f.facts else (True, i)) if i in f.facts]
    unknown = sorted(i for i in cited if i not in f.facts)
    count_rows = []
    for name in f.names:
        if name not in f.scenarios:
            count_rows.append([name, "–", "–", "–", "–", "–"])
            continue
        rows = explain_rows(f.scenarios[name], f.facts)
        count_rows.append([name, len(rows), sum(r.kind == "fact" for r in rows),
                           sum(r.kind == "assumption" for r in rows),
                           sum(r.kind == "assumption" and bool(r.range) for r in rows),
                           sum(r.kind == "missing" for r in rows)])
    return _stress(3, "Data", _item("3.1", "Data sources", para(
        "Two news reports supply the facts: The World (public radio), autumn 2014, an "
        "interview with the editor of Iraq Oil Report; and OilPrice.com, May 2015, after a CNN "
        "report of 7 May 2015. Numbers the articles do not give come from public planning "
        "factors (ration weights, helicopter payloads, missile hit rates, repair times, "
        "restart times) collected in a separate sheet, so a reported fact is never confused "
        "with an assumption."), sources),
        _item("3.2", "Pre-processing", para(
            "The facts are paraphrased into fact sheets (`seeds/*.yaml`), each with a stable "
            "id, outlet and date; no text is copied from the articles. Planning factors are "
            "converted to the model's units (days, barrels, tonnes, probabilities between 0 "
            "and 1); rates are derived from counts over a period (for example about 40 major "
            "assaults in 11 months gives 0.12 a day). No data series is fitted: there is no "
            "calibration to observed outcomes. The states the articles report on given dates "
            "(`seeds/observations.yaml`) are only compared with the output afterwards: see "
            "the face-validity table in the Results."),
            el("details", el("summary", f"The {len(cited_rows)} facts and planning factors "
                                        "cited by the scenarios of this run"),
               table(["id", "statement", "source"], cited_rows), open=True)
            if cited_rows else None,
            para("Cited but not found in the fact sheets: " + ", ".join(unknown) + ".",
                 class_="missing") if unknown else None),
        _item("3.3", "Input parameters", para(
            "Every parameter of a scenario has a value, a unit and a provenance: a fact id or "
            "an assumption with its rationale, often a plausible range and a basis. The "
            "resolved scenarios of this run are in `scenarios/` of the results folder; "
            "`baiji-sim explain FILE` lists every parameter with its source, and the parameter "
            "table at the end of `docs/model.md` does the same for the shipped scenarios."),
            table(["scenario", "parameters", "from facts", "assumptions", "with a plausible "
                   "range", "no provenance"], count_rows, caption="Provenance of the "
                  "parameters", numeric=range(1, 6), id="table-provenance")),
        _item("3.4", "Assumptions", el("p", "The assumptions that differ between the "
                                       "scenarios, the key categories of assumption and the "
                                       "known limitations are listed in ",
                                       el("a", "Caveats", href="#caveats"),
                                       ". The structural assumptions of each mechanism are in "
                                       "docs/model.md, section 2, under 'Assumptions'.")))


def _experimentation(f: Folder) -> Html:
    m = f.manifest
    finished = m.get("finished_replications") or {}
    rows = []
    for name in f.names:
        scen = f.scenarios.get(name)
        raw = f.raw.get(name, {})
        start = scen.start_date.isoformat() if scen else raw.get("start_date", "–")
        horizon = scen.horizon_days if scen else raw.get("horizon_days", "–")
        done = finished.get(name, (f.summary["scenarios"][name] or {}).get("replications"))
        rows.append([name, start, horizon, m.get("replications", "–"), done])
    level = f.summary.get("confidence_level", 0.95)
    estimation = [
        f"{m.get('replications', f.summary.get('replications_requested', '?'))} independent "
        f"replications per scenario from batch seed {m.get('seed', f.summary.get('seed', '?'))};"
        " replication i gets a seed derived from the batch seed and i alone.",
        "Common random numbers: replication i of every scenario uses the same seed, and every "
        "source of randomness has its own stream, so scenarios are compared on the same luck.",
        f"Means with Student-t {100 * level:.0f}% intervals; shares with Wilson intervals; "
        "quantiles with distribution-free order-statistic intervals.",
        "Event days with Kaplan-Meier curves (log-log band), the probability of the event by "
        "the horizon and the median day; the mean is restricted to the horizon.",
    ]
    if f.summary.get("comparisons"):
        estimation.append("Paired differences with Student-t intervals and paired t-tests, "
                          "Holm-corrected over every comparison made.")
    if f.summary.get("selection"):
        estimation.append("Subset selection by the screening procedure of Nelson, Swann, "
                          "Goldsman and Song (2001), with paired variances.")
    if f.summary.get("stopping"):
        estimation.append("The number of replications was set by sequential stopping on "
                          "the precision of the intervals (see Results).")
    return _stress(4, "Experimentation", _item("4.1", "Initialisation", para(
        "No warm-up period: this is a terminating simulation. Each replication starts from "
        "the situation its scenario states at `start_date` (who holds which area, troops, "
        "stocks, damage; both sides' refineries down) and ends at the horizon. There is no "
        "steady state to reach and no initial transient to delete.")),
        _item("4.2", "Run length", para(
            "The run length of a replication is the scenario's horizon; the number of "
            "replications is the same for every scenario unless the run was interrupted or "
            "stopped sequentially."),
            table(["scenario", "start date", "horizon (days)", "replications requested",
                   "replications finished"], rows, numeric=[2, 3, 4], id="table-run-length")),
        _item("4.3", "Estimation approach", el("ul", [el("li", t) for t in estimation])))


def _generator() -> tuple[str, bool]:
    """The numpy bit generator named in the installed sim.rng, and whether keys use crc32."""
    try:
        import sim.rng as rng

        source = inspect.getsource(rng)
    except (ImportError, OSError, TypeError):
        return "", False
    found = re.search(r"\b(PCG64DXSM|PCG64|Philox|SFC64|MT19937)\s*\(", source)
    return (found.group(1) if found else ""), "crc32" in source


def _version(dist: str) -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version(dist)
    except (ImportError, PackageNotFoundError):
        return "not installed"


def _implementation(f: Folder) -> Html:
    m = f.manifest
    bitgen, crc = _generator()
    generator = (f"numpy's {bitgen} bit generator" if bitgen else "a numpy bit generator")
    keyed = ("keyed by the replication seed and a CRC-32 of the stream's name" if crc else
             "keyed by the replication seed and the stream's name")
    recorded = m.get("libraries") if isinstance(m.get("libraries"), dict) else {}

    def library(name: str) -> str:
        # The run records its libraries; a folder written before it did falls back on this
        # machine's, and says so.
        if name in recorded:
            return f"{name} {recorded[name]}"
        return f"{name} {_version(name)} (installed where this report was written)"

    software = [
        ("Language", f"Python {m.get('python', '?')} (recorded by the run)"),
        ("Model", f"baiji-sim {m.get('package_version', '?')} (recorded by the run)"),
        ("Simulation library", library("simpy")
         + (" (recorded by the run)" if "simpy" in recorded else "")),
        ("Numerics", f"{library('numpy')}, {library('scipy')}"
         + (" (recorded by the run)" if {"numpy", "scipy"} <= recorded.keys() else "")),
    ]
    spec = [("Worker processes", m.get("workers", "?")),
            ("Machine of the run", m.get("machine") or m.get("platform") or
             "not recorded by the run"),
            ("Report written on", f"{platform.system()} {platform.release()}, "
                                  f"{os.cpu_count()} CPUs, Python "
                                  f"{platform.python_version()}")]
    return _stress(5, "Implementation", _item("5.1", "Software or programming language", el(
        "dl", [[el("dt", k), el("dd", v)] for k, v in software], class_="glance")),
        _item("5.2", "Random sampling", para(
            f"Every source of randomness (each supply operator, each link, assaults, clashes, "
            f"airstrikes, the ground campaign, reinforcements) has its own named stream: "
            f"{generator}, {keyed} (as implemented in the installed `sim/rng.py`). A stream "
            "depends only on the seed and its own name, so adding an operator or a link never "
            "shifts the numbers of another source. Replication seeds come from numpy's "
            "SeedSequence of the batch seed and the replication's index. Distributions "
            "sampled: exponential (gaps between events), uniform (repairs, damage sizes, "
            "yes/no draws), binomial (losses, bundles), Poisson (reinforcements, kills) and "
            "gamma (ground operations).")),
        _item("5.3", "Model execution", para(
            "Event-driven: SimPy events fire at the times drawn by each mechanism in "
            "continuous time (the unit is the day); only the day clock has a fixed step. "
            "Events at the same time run in the order they were scheduled. Replications run "
            "in parallel worker processes; because each replication's seed depends only on "
            "its index, the results do not depend on the number of workers.")),
        _item("5.4", "System specification", el("dl", [[el("dt", k), el("dd", v)]
                                                        for k, v in spec], class_="glance")))


def _code_access(f: Folder) -> Html:
    m = f.manifest
    command = m.get("command")
    command_text = (shlex.join(str(c) for c in command) if isinstance(command, list)
                    else str(command) if command else "not recorded")
    files = m.get("scenario_files") or {}
    # The files one by one, in the run's order: a glob would sort them, and the rows of
    # replications.csv come scenario by scenario in the order given.
    kept = [shlex.quote(str(f.path / "scenarios" / f"{safe_name(n)}.yaml")) for n in f.names]
    rerun = (f"baiji-sim run {' '.join(kept)} "
             f"-n {m.get('replications', 'N')} --seed {m.get('seed', 'S')}")
    if (f.summary.get("comparisons") or {}).get("baseline"):
        rerun += f" --baseline {shlex.quote(str(f.summary['comparisons']['baseline']))}"
    return _stress(6, "Code access", _item("6.1", "Computer model sharing statement", para(
        f"baiji-sim {m.get('package_version', __version__)} is open source under the MIT "
        "licence; the scenario files, fact sheets (`seeds/`), the model description "
        "(`docs/model.md`) and the verification record (`docs/verification.md`) ship with "
        "it."),
        el("p", "This run was made with:"), el("pre", el("code", command_text), id="command"),
        el("p", f"Batch seed {m.get('seed', '?')}: the same command with the same seed gives the "
                "same replications.csv, whatever the number of workers. The resolved "
                "scenarios (after extends and --set) are kept in the results folder, so the "
                "run can be repeated without the original files:"),
        el("pre", el("code", rerun)),
        para("One replication, event by event: `baiji-sim trace SCENARIO --seed SEED`, with "
             "SEED from the seed column of replications.csv."),
        table(["scenario", "scenario file given on the command line"],
              [[n, el("code", p)] for n, p in files.items()]) if files else None))


# -- the page ------------------------------------------------------------------------
CSS = """
:root { --ink: #1b1b1b; --muted: #4a4a4a; --rule: #8a8a8a; --accent: #0072B2;
        --warn: #D55E00; --warn-bg: #fcefe6; --note-bg: #eaf3fa; --head-bg: #e6edf3;
        --stripe: #f6f8fa; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0 auto; max-width: 76rem; padding: 1.5rem 1.25rem 3rem; color: var(--ink);
       background: #fff; line-height: 1.5;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
                    "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .4rem;
     border-bottom: 4px solid var(--accent); padding-bottom: .4rem; }
h2 { font-size: 1.45rem; margin: 2.6rem 0 .6rem; border-bottom: 1px solid var(--rule);
     padding-bottom: .2rem; }
h3 { font-size: 1.15rem; margin: 1.8rem 0 .4rem; }
h4 { font-size: 1rem; margin: 1.4rem 0 .3rem; }
p, li, dd { max-width: 48rem; }
a { color: var(--accent); }
.subtitle { color: var(--muted); margin-top: 0; }
.stress { display: inline-block; background: var(--accent); color: #fff; font-size: .78em;
          padding: .05em .45em; border-radius: 3px; vertical-align: .1em; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas,
            monospace; font-size: .88em; }
code { background: #f0f0f0; padding: 0 .2em; border-radius: 2px; overflow-wrap: anywhere; }
pre { background: #f4f4f4; border: 1px solid #ccc; padding: .6rem .8rem; white-space: pre-wrap;
      overflow-wrap: anywhere; }
pre code { background: none; padding: 0; }
.wide { overflow-x: auto; margin: .6rem 0 1.2rem; }
table { border-collapse: collapse; width: 100%; font-size: .86rem; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 .35rem; }
th, td { border: 1px solid #8f8f8f; padding: .3rem .45rem; text-align: left;
         vertical-align: top; }
thead th { background: var(--head-bg); }
tbody tr:nth-child(even) { background: var(--stripe); }
tbody th { font-weight: 600; }
th.group { background: #dfe8f0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num .est, td.num .ci { white-space: nowrap; }
td code, th code { overflow-wrap: normal; }
th.group-head { text-align: center; }
.kind { font-weight: 600; }
.who { font-style: italic; }
.reason + .reason { margin-top: .35rem; }
.missing { color: var(--warn); }
.badge { display: inline-block; border: 1px solid var(--muted); border-radius: 3px;
         font-size: .75em; padding: 0 .35em; color: var(--muted); white-space: nowrap; }
ul.plain { margin: 0; padding-left: 1rem; }
.warning { border: 2px solid var(--warn); border-left-width: .6rem; background: var(--warn-bg);
           padding: .6rem 1rem; margin: 1rem 0; }
.warning p { margin: .3rem 0; }
.note { border-left: .4rem solid var(--accent); background: var(--note-bg);
        padding: .6rem 1rem; margin: 1rem 0; }
.note p { margin: .3rem 0; }
dl.glance { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
            margin: 1rem 0; }
dl.glance dt { font-weight: 600; }
dl.glance dd { margin: 0; }
dl.scenarios dt { font-weight: 700; margin-top: .8rem; }
dl.scenarios dd { margin-left: 1.2rem; }
dl.scenarios dd p { margin: .2rem 0; }
.file { color: var(--muted); font-size: .85em; }
nav.toc { border: 1px solid #bbb; padding: .4rem 1rem .6rem; margin: 1.2rem 0;
          background: #fafafa; }
nav.toc h2 { font-size: 1.05rem; border: 0; margin: .3rem 0; }
nav.toc ol { margin: 0; columns: 2; }
figure { margin: 1.4rem 0; border: 1px solid #c8c8c8; padding: .6rem; break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .9rem; color: var(--muted); margin-top: .4rem; }
.flow { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem; margin: .8rem 0; }
.flow .box { border: 2px solid var(--accent); border-radius: 4px; padding: .35rem .6rem;
             font-size: .88rem; max-width: 12rem; background: var(--note-bg); }
.flow .arrow { font-size: 1.3rem; color: var(--muted); }
details summary { cursor: pointer; font-weight: 600; margin: .4rem 0; }
footer { margin-top: 3rem; border-top: 1px solid var(--rule); color: var(--muted);
         font-size: .85rem; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  nav.toc { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  h2 { break-before: auto; }
  tr, figure, .warning, .flow { break-inside: avoid; }
  thead { display: table-header-group; }
  table { font-size: 8pt; }
  .wide { overflow: visible; }
  tbody tr:nth-child(even) { background: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def render_report(results_dir: Path) -> str:
    """The report of ``results_dir`` as one HTML document (a string)."""
    f = read_folder(Path(results_dir))
    title = (f"baiji-sim report: {len(f.names)} scenario{'s' if len(f.names) != 1 else ''}"
             + (f" compared with {f.base}" if f.summary.get("comparisons") and f.base else ""))
    date = f.manifest.get("date", "unknown date")
    header = el("header", el("h1", title), el("p", "Monte Carlo simulation of the 2014-15 siege "
                                              "of the Baiji refinery. Results folder ",
                                              el("code", f.path.name), f", run {date}.",
                                              class_="subtitle"),
                _status_warnings(f),
                el("div", para("How to read this report. baiji-sim is a teaching model, not a "
                               "forecast: the articles give few numbers and most inputs are "
                               "assumptions, listed with their sources. Results come first, "
                               "then the caveats, then an account of the model and the "
                               "study in the order of the STRESS-DES reporting checklist for "
                               "discrete-event simulation (Monks et al. 2019, Journal of "
                               "Simulation 13(1)), sections STRESS 1 to 6."), class_="note"),
                _glance(f), _contents(f))
    main = el("main", _results(f), _caveats(f),
              el("div", el("p", "The account below follows the STRESS-DES checklist (Monks et "
                                "al. 2019, 'Strengthening the reporting of empirical "
                                "simulation studies: Introducing the STRESS guidelines', "
                                "Journal of Simulation 13(1)); each item carries its number in "
                                "the checklist."), class_="note", id="stress"),
              _objectives(f), _logic(f), _data(f), _experimentation(f), _implementation(f),
              _code_access(f))
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    footer = el("footer", el("p", f"Written by baiji-sim {__version__} (report) on {now} from "
                                  f"the results folder {f.path.name}. Self-contained: figures "
                                  "embedded, no scripts, no network access."))
    page = el("html", el("head", el("meta", charset="utf-8"),
                         el("meta", name="viewport", content="width=device-width, "
                                                             "initial-scale=1"),
                         el("meta", name="generator", content=f"baiji-sim {__version__}"),
                         el("title", title), el("style", Html(CSS))),
              el("body", header, main, footer), lang="en")
    return "<!DOCTYPE html>\n" + page + "\n"


def write_report(results_dir: Path, out: Path | None = None) -> Path:
    """Write the report of ``results_dir`` to ``out`` (default RESULTS_DIR/report.html)."""
    results_dir = Path(results_dir)
    out = Path(out) if out is not None else results_dir / "report.html"
    text = render_report(results_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
