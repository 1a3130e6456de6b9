"""Terminal tables of a run: every figure printed with its 95% interval.

:func:`summary_tables` gives what ``run`` and ``show`` print, fitted to the console's width
(:func:`fit`): a table too wide for it is cut into tables of fewer columns, each repeating
the scenario, so that at 80 columns no cell wraps and no header word is split.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.table import Column, Table
from rich.text import Text

from sim.model.metrics import BINARY_METRICS

SHARES = BINARY_METRICS  # 0/1 metrics: means are shares
MAIN_COMPARED = ("operating_days", "operating_at_horizon", "garrison_held", "helicopters_lost",
                 "supplies_delivered_t", "garrison_fall_day")


def percent_decimals(*shares: Any) -> int:
    """Whole percentages, unless one would round to 0 or 100 without being it: an interval
    up to 0.2% is not certainty, so it gets one decimal (terminal and report alike)."""
    for v in shares:
        if isinstance(v, int | float) and (0 < abs(v) < 0.005 or 0.995 < abs(v) < 1):
            return 1
    return 0


def ci(entry: dict[str, Any], digits: int = 1, percent: bool = False) -> str:
    """'mean [low, high]' of a summary entry, or '-' when there is nothing to show.

    Percentages (``percent``) get :func:`percent_decimals` whatever ``digits`` says."""
    mean, (lo, hi) = entry["mean"], entry["ci95"]
    if mean is None:
        return "-"
    if percent:
        digits = percent_decimals(mean, lo, hi)
    scale, unit = (100.0, "%") if percent else (1.0, "")
    text = f"{mean * scale:.{digits}f}{unit}"
    if lo is not None and hi is not None:
        text += f" [{lo * scale:.{digits}f}, {hi * scale:.{digits}f}]"
    return text


def comparison_table(summary: dict[str, Any]) -> Table:
    """One row per scenario: the headline outcomes."""
    table = Table(title="Scenario comparison (mean or share, [95% CI])", title_justify="left")
    table.add_column("scenario", style="bold")
    for head in ("operating days", "operating at horizon", "garrison holds",
                 "helicopters lost", "supplies delivered (t)"):
        table.add_column(head, justify="right")
    for name, entry in summary["scenarios"].items():
        m = entry["metrics"]
        table.add_row(name, ci(m["operating_days"]), ci(m["operating_at_horizon"], 0, True),
                      ci(m["garrison_held"], 0, True), ci(m["helicopters_lost"], 2),
                      ci(m["supplies_delivered_t"], 0))
    if any(e.get("ci_clipped") for entry in summary["scenarios"].values()
           for e in entry["metrics"].values()):
        table.caption = ("Intervals that reached below 0 (or above 100%) are clipped to the "
                         "values the outcome can take (ci_clipped in summary.json).")
    return table


def _event(entry: dict[str, Any]) -> tuple[str, str]:
    p = entry["p_event_by_horizon"]
    share = ci({"mean": p["share"], "ci95": p["ci95"]}, 0, True)
    if entry["median"] is None:
        return share, "not reached"
    lo, hi = entry["median_ci95"]
    bounds = f" [{lo:.0f}, {hi:.0f}]" if lo is not None and hi is not None else (
        f" [{lo:.0f}, not reached]" if lo is not None else "")
    return share, f"{entry['median']:.0f}{bounds}"


def events_table(summary: dict[str, Any]) -> Table:
    """Time-to-event outcomes, censored at the horizon: probability by then and median day."""
    table = Table(title="Events by the horizon (share [95% CI]; median day [95% CI], "
                  "Kaplan-Meier)", title_justify="left")
    table.add_column("scenario", style="bold")
    for head in ("garrison falls", "median fall day", "siege lifted", "median lift day",
                 "refinery runs", "median first day"):
        table.add_column(head, justify="right")
    for name, entry in summary["scenarios"].items():
        m = entry["metrics"]
        cells: list[str] = []
        for metric in ("garrison_fall_day", "siege_lifted_day", "first_operating_day"):
            cells += _event(m[metric])
        table.add_row(name, *cells)
    return table


def paired_table(comparisons: dict[str, Any]) -> Table:
    """Paired differences against the baseline, with Holm-corrected significance."""
    table = Table(title=f"Paired differences against {comparisons['baseline']} (same seeds; "
                  "95% CI; shares in percentage points; Holm-corrected; event days as "
                  "min(day, horizon))",
                  title_justify="left")
    for head in ("scenario", "metric", "difference [95% CI]", "p (Holm)", "real?",
                 "variance reduction"):
        table.add_column(head, justify="left" if head in ("scenario", "metric") else "right")
    for row in comparisons["comparisons"]:
        if row["metric"] not in MAIN_COMPARED:
            continue
        if row["mean_difference"] is None:
            table.add_row(row["scenario"], row["metric"], row.get("note", "-"), "-", "-", "-")
            continue
        lo, hi = row["ci95"]
        vr = row["variance_reduction"]
        mean = row["mean_difference"]
        if row["metric"] in SHARES:  # in percentage points, as the report gives them
            d = percent_decimals(mean, lo, hi)
            text = f"{100 * mean:+.{d}f} pp [{100 * lo:+.{d}f}, {100 * hi:+.{d}f}]"
        else:
            text = f"{mean:+.2f} [{lo:+.2f}, {hi:+.2f}]"
        table.add_row(row["scenario"], row["metric"], text,
                      p_text(row["p_holm"]), "yes" if row["significant"] else "no",
                      "-" if vr is None else ("identical" if vr == float("inf") else
                                              f"{vr:.1f}x"))
    return table


P_FLOOR = 1e-10  # below it a p-value's digits are numerical noise, not information


def p_text(p: Any) -> str:
    """A p-value with 2-3 significant digits; ``< 1e-10`` below :data:`P_FLOOR` (a printed
    ``0`` or ``9.66e-139`` claims a precision the normal approximation does not have)."""
    if not isinstance(p, int | float) or not math.isfinite(p):
        return "-"
    if p < P_FLOOR:
        return "< 1e-10"
    return f"{p:.3g}" if p >= 1e-3 else f"{p:.2g}"


def selection_line(selection: dict[str, Any]) -> str:
    """The subset that contains the best scenario, when it leaves some out; otherwise one
    line saying that no scenario stands out (a subset of all of them says nothing)."""
    metric = selection["metric"]
    if "note" in selection:
        return f"Best for {metric}: {selection['note']}"
    means = {k: v for k, v in (selection.get("means") or {}).items() if v is not None}
    subset = selection["subset"]
    if len(means) > 1 and set(subset) >= set(means):
        low, high = min(means.values()), max(means.values())
        if high - low <= 1e-12 * max(1.0, abs(high)):
            return f"No scenario stands out on {metric}: all {len(means)} score {low:.3g}."
        return (f"No scenario stands out on {metric}: all {len(means)} stay in the "
                f"{selection['confidence']:.0%} subset (means {low:.3g} to {high:.3g}); "
                "more replications may separate them.")
    return (f"Best for {metric} ({selection['goal']}), "
            f"{selection['confidence']:.0%} confidence: {', '.join(subset)} "
            f"(subset selection, {selection['procedure']})")


def face_validity_table(summary: dict[str, Any]) -> Table | None:
    """The share of replications consistent with each observation each scenario tests; None
    when no scenario tests any (the summary then has no ``face_validity`` section)."""
    section = summary.get("face_validity") or {}
    if not section.get("scenarios"):
        return None
    untested: dict[tuple[str, str], list[str]] = {}  # (observation, why) -> scenarios
    table = Table(title="Face validity: replications consistent with the articles' dated "
                  "observations (share [95% Wilson CI])", title_justify="left",
                  caption_justify="left")
    for head in ("scenario", "observation", "date", "consistent if", "share consistent", "n"):
        table.add_column(head, justify="right" if head in ("share consistent", "n") else "left")
    for name, entries in section["scenarios"].items():
        for entry in entries.values():
            if entry["status"] != "tested":
                if entry["status"] in ("starting state", "assumed by the scenario"):
                    untested.setdefault((entry["id"], entry["status"]), []).append(name)
                continue
            table.add_row(name, entry["id"], entry["date"], entry["condition"],
                          ci({"mean": entry["share"], "ci95": entry["ci95"]}, 0, True),
                          str(entry["n"]))
    table.caption = ("Dates outside a scenario's simulated days are not tested" + "".join(
        f"; {oid} is not tested by {', '.join(names)} ({why})"
        for (oid, why), names in untested.items())
        + ". Conditions and their reasons: seeds/observations.yaml.")
    return table


def stopped_table(summary: dict[str, Any], side: str = "government") -> Table | None:
    """Per scenario, the mean share of the horizon's days the side operated or was stopped
    for each reason, with Student-t intervals; None without those metrics, and for the
    insurgents None too when they never held the plant in any scenario (nothing to tell)."""
    key = "stopped_refinery" if side == "government" else "stopped_refinery_insurgents"
    section = summary.get(key) or {}
    if not section.get("scenarios"):
        return None
    if side != "government" and all(
            (e["shares"][section["reasons"][1]["metric"]]["mean"] or 0) >= 1.0 - 1e-9
            for e in section["scenarios"].values()):
        return None
    table = Table(title=f"What stopped the refinery ({side}), share of days (mean [95% CI])",
                  title_justify="left")
    table.add_column("scenario", style="bold")
    reasons = section["reasons"]
    for reason in reasons:
        table.add_column(reason["label"], justify="right")
    for name, entry in section["scenarios"].items():
        table.add_row(name, *(ci(entry["shares"][r["metric"]], 0, True) for r in reasons))
    return table


def uncertainty_table(uncertainty: dict[str, Any]) -> Table:
    """How much of each outcome's spread is the parameters' (``run --uncertainty``)."""
    posterior = any(e.get("drawn_from", "ranges") != "ranges"
                    for e in uncertainty["scenarios"].values())
    table = Table(title="Where the spread comes from: parameters drawn from their ranges "
                  + ("or a calibrated file's posterior " if posterior else "") +
                  f"({uncertainty['shape']}, {uncertainty['per_draw']} replications a draw); "
                  "share of the variance, 95% CI", title_justify="left")
    for head in ("scenario", "outcome", "parameters", "chance", "moved most by (Spearman rho)"):
        table.add_column(head, justify="left" if head in ("scenario", "outcome") or
                         head.startswith("moved") else "right")
    for name, entry in uncertainty["scenarios"].items():
        for metric, e in entry["metrics"].items():
            share = e.get("share")
            if share is None:
                table.add_row(name, metric, "–", "–", e.get("note", ""))
                continue
            low, high = e["ci95"]
            top = ", ".join(f"{d['parameter']} {d['spearman_rho']:+.2f}"
                            for d in e["drivers"][:2])
            table.add_row(name, metric, f"{share:.0%} [{low:.0%}, {high:.0%}]",
                          f"{1 - share:.0%}", top)
    return table


# -- fitting a table to the width of a terminal --------------------------------------------


def _plain(renderable: Any) -> str:
    return renderable.plain if isinstance(renderable, Text) else str(renderable)


PROSE_WIDTH = 30  # a column of sentences wraps between words, down to this width


def _natural_width(column: Column, prose: bool = False) -> int:
    """The narrowest the column can be with no cell wrapped (``prose``: no word of a cell
    split, and not below :data:`PROSE_WIDTH`) and no header word split."""
    lines = [line for cell in column.cells for line in _plain(cell).split("\n")]
    words = [cell_len(w) for w in _plain(column.header).split()]
    if prose:
        words += [cell_len(w) for line in lines for w in line.split()]
        return max([1, *words, min(PROSE_WIDTH, max(map(cell_len, lines), default=1))])
    return max([1, *map(cell_len, lines), *words])


def _full_width(column: Column) -> int:
    """The column's width with its header and every cell on one line."""
    lines = [line for cell in column.cells for line in _plain(cell).split("\n")]
    return max([_natural_width(column), *map(cell_len, lines),
                cell_len(" ".join(_plain(column.header).split()))])


def _header_lines(words: list[int], width: int) -> int:
    """Lines a header of words of these lengths takes at ``width``, wrapped between words."""
    lines, used = 1, -1
    for w in words:
        if used + 1 + w > width and used >= 0:
            lines, used = lines + 1, w
        else:
            used += 1 + w
    return lines


def _widened(natural: list[int], full: list[int], room: int,
             headers: list[list[int]]) -> list[int]:
    """The natural widths, given up to ``room`` more characters where a header wraps: a
    line at a time to the header on the most lines, while the room lasts."""
    widths = list(natural)
    while room > 0:
        steps = []
        for i, words in enumerate(headers):
            lines = _header_lines(words, widths[i])
            if lines > 1:
                more = next((w for w in range(widths[i] + 1, full[i] + 1)
                             if _header_lines(words, w) < lines), full[i])
                steps.append((-lines, more - widths[i], i))
        fitting = [s for s in steps if s[1] <= room]
        if not fitting:
            break
        _, extra, i = min(fitting)
        widths[i] += extra
        room -= extra
    return widths


def _width(widths: Sequence[int]) -> int:
    """A table's width with these columns: one space each side of a cell, a rule between
    cells and at both edges (rich's default box and padding)."""
    return sum(widths) + 3 * len(widths) + 1


def fit(table: Table, width: int | None, keep: int = 1,
        groups: Sequence[Sequence[int]] | None = None,
        prose: Sequence[int] = ()) -> list[Table]:
    """``table`` as one or more tables no wider than ``width`` (None: as it is), the
    columns at their natural width (:func:`_natural_width`: headers wrap between words).

    When the columns do not fit side by side, the first ``keep`` columns (the scenario)
    start every table and the others follow in ``groups`` (default: each column on its
    own; a group's columns stay together), as many to a table as fit; the title says which
    part a table is, the caption goes under the last. A key column too wide to leave room
    for a group is folded. The cells of the ``prose`` columns may wrap between words."""
    if width is None:
        return [table]
    columns = table.columns
    natural = [_natural_width(c, i in prose) for i, c in enumerate(columns)]
    full = [_full_width(c) for c in columns]
    headers = [[cell_len(w) for w in _plain(c.header).split()] for c in columns]
    if _width(full) <= width:
        return [table]
    if _width(natural) <= width:
        for column, w in zip(columns, _widened(natural, full, width - _width(natural),
                                               headers), strict=True):
            column.width = w
        return [table]
    key = list(range(keep))
    rest = [list(g) for g in groups] if groups is not None else [
        [i] for i in range(keep, len(columns))]
    parts: list[list[int]] = []
    for group in rest:
        if parts and _width([natural[i] for i in key + parts[-1] + group]) <= width:
            parts[-1] += group
        else:
            parts.append(list(group))
    tables = []
    for k, part in enumerate(parts):
        piece = copy.copy(table)
        piece.columns = []
        shown = key + part
        widths = _widened([natural[i] for i in shown], [full[i] for i in shown],
                          width - _width([natural[i] for i in shown]),
                          [headers[i] for i in shown])
        for index, (i, w) in enumerate(zip(shown, widths, strict=True)):
            column = copy.copy(columns[i])
            column._index = index
            column.width = w
            piece.columns.append(column)
        room = (width - _width([natural[i] for i in part]) - 3 * len(key)) // max(1, keep)
        if _width([c.width or 0 for c in piece.columns]) > width:
            for column in piece.columns[:keep]:
                if (column.width or 0) > room:  # a very long scenario name: folded
                    column.width, column.overflow = max(8, room), "fold"
        if len(parts) > 1:
            title = _plain(table.title) if table.title is not None else ""
            piece.title = f"{title} (part {k + 1} of {len(parts)})".lstrip()
        if k < len(parts) - 1:
            piece.caption = None
        tables.append(piece)
    return tables


def _face_validity_narrow(summary: dict[str, Any], wide: Table) -> list[Table]:
    """The face-validity table as one small table per observation (its id, date and
    condition in the title), for a console too narrow for the observations' long ids."""
    section = summary["face_validity"]
    by_observation: dict[str, tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]] = {}
    for name, entries in section["scenarios"].items():
        for entry in entries.values():
            if entry["status"] == "tested":
                by_observation.setdefault(entry["id"], (entry, []))[1].append((name, entry))
    tables = []
    for oid, (first, rows) in by_observation.items():
        table = Table(title=f"{oid}: consistent if {first['condition']}",
                      title_justify="left", caption_justify="left", min_width=50)
        for head in ("scenario", "share consistent", "n"):
            table.add_column(head, justify="left" if head == "scenario" else "right")
        for name, entry in rows:
            table.add_row(name, ci({"mean": entry["share"], "ci95": entry["ci95"]}, 0, True),
                          str(entry["n"]))
        tables.append(table)
    if tables:
        tables[0].title = (f"{_plain(wide.title)}\n\n{_plain(tables[0].title)}")
        tables[-1].caption = wide.caption
    return tables


def summary_tables(summary: dict[str, Any], width: int | None = None) -> list[Table]:
    """The tables ``run`` (and ``show``) print for a summary, in order, each fitted to
    ``width`` columns (None: as wide as they come)."""
    tables = fit(comparison_table(summary), width)
    checks = face_validity_table(summary)  # None when no scenario tests an observation
    if checks is not None:
        fitted = fit(checks, width, keep=2, prose=[3])
        tables += fitted if len(fitted) == 1 else _face_validity_narrow(summary, checks)
    tables += fit(events_table(summary), width, groups=[[1, 2], [3, 4], [5, 6]])
    for side in ("government", "insurgents"):  # the insurgents' only if they ever held it
        stopped = stopped_table(summary, side)
        if stopped is not None:
            tables += fit(stopped, width)
    if "comparisons" in summary:
        tables += fit(paired_table(summary["comparisons"]), width, keep=2)
    if "uncertainty" in summary:
        tables += fit(uncertainty_table(summary["uncertainty"]), width, keep=2, prose=[4])
    for table in calibration_tables(summary.get("calibration") or {}):
        tables += fit(table, width)
    return tables


def calibration_tables(calibration: dict[str, Any], top: int = 10) -> list[Table]:
    """What the observations say (``run --uncertainty`` of a scenario that tests them):
    the parameters they narrow most, and the outcomes before and after."""
    tables = []
    for name, c in calibration.items():
        if c.get("ess", 0.0) == 0.0:
            table = Table(title=f"Calibration of {name}: {c.get('note', '')}",
                          title_justify="left")
            table.add_column("observations tested")
            table.add_row(", ".join(c["observations"]))
            tables.append(table)
            continue
        table = Table(title=f"What the articles' observations say about {name}'s parameters "
                      f"({c['draws']} draws, {c['acceptance']:.1%} of replications agree with "
                      f"all {len(c['observations'])}; effective sample size "
                      f"{c['ess']:.0f}): median [90% interval]", title_justify="left")
        for head in ("parameter", "before", "after", "narrower by"):
            table.add_column(head, justify="left" if head == "parameter" else "right")
        for p in c["parameters"][:top]:
            before, after = p["prior"], p["posterior"]
            table.add_row(p["parameter"], f"{before[1]:.3g} [{before[0]:.3g}, {before[2]:.3g}]",
                          f"{after[1]:.3g} [{after[0]:.3g}, {after[2]:.3g}]",
                          f"{p['shrinkage']:.0%}")
        tables.append(table)
        outcomes = Table(title=f"{name}'s outcomes before and after the observations "
                         "(mean [95% CI])", title_justify="left")
        for head in ("outcome", "before", "after"):
            outcomes.add_column(head, justify="left" if head == "outcome" else "right")
        for metric, o in c["outcomes"].items():
            low, high = o["posterior_ci95"]
            after = (f"{o['posterior']:.3g} [{low:.3g}, {high:.3g}]" if low is not None
                     else f"{o['posterior']:.3g}")
            outcomes.add_row(metric, f"{o['prior']:.3g} [{o['prior_ci95'][0]:.3g}, "
                             f"{o['prior_ci95'][1]:.3g}]", after)
        tables.append(outcomes)
    return tables
