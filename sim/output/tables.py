"""Terminal tables of a run: every figure printed with its 95% interval."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

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
    table = Table(title="Where the spread comes from: parameters drawn from their ranges "
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
