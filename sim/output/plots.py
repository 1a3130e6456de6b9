"""The figures of a results folder: distributions, survival, fan charts, losses, a timeline,
and the paired differences.

Every figure is drawn from the files of a results folder (see
:mod:`sim.output.results_folder`), so ``baiji-sim plot RESULTS_DIR`` redraws them without
re-running. Figures are built with ``matplotlib.figure.Figure`` directly (no
pyplot, no global state) and returned so tests can inspect their axes. Every
axis has its unit, every estimate its interval; colours are the Okabe-Ito
palette (distinguishable with colour-blindness); scenarios keep the names
their authors gave them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.analysis.estimates import kaplan_meier, mean_interval
from sim.analysis.stopped import stopped_refinery
from sim.output.labels import panels
from sim.output.results_folder import ResultsData, load_results

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
FORMATS = ("png", "svg", "pdf")

OUTCOMES = panels(("operating_days", "refined_kbbl", "gov_control_final", "min_supply_days",
                   "helicopters_lost", "supplies_delivered_t"))
EVENTS = (
    ("garrison_fall_day", "Garrison still holding", "share of replications with the garrison"
     " holding"),
    ("siege_lifted_day", "Siege not yet lifted", "share of replications still besieged"),
    ("first_operating_day", "Refinery not yet running", "share of replications not yet "
     "operating"),
)
FANS = (
    ("gov_control", "Government share of the plant", "share of sectors"),
    ("supply_days", "Garrison stock", "days of supply"),
    ("garrison_troops", "Garrison strength", "troops"),
    ("besieger_strength", "Besieger strength", "fighters"),
    ("refinery_state", "Refinery state (government)", "0 down, 1 restarting, 2 operating"),
)
FOREST = (
    ("operating_days", "Days operated", "days"),
    ("garrison_held", "Garrison holds at the horizon", "difference in share"),
    ("helicopters_lost", "Helicopters lost", "aircraft"),
    ("supplies_delivered_t", "Supplies delivered", "tonnes"),
    ("garrison_fall_day", "Days until the fall (or the horizon)", "days"),
    ("siege_lifted_day", "Days until the siege lifts (or the horizon)", "days"),
)
TIMELINE_ROWS = ("flights", "air defence", "assault", "control", "damage", "network", "ground",
                 "refinery", "garrison")
MAX_POINTS = 400  # points drawn per box; the box itself uses every replication


def colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def _x_labels(ax: Axes, names: list[str]) -> None:
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)


def outcome_distributions(data: ResultsData) -> Figure:
    """Box plots with every replication's spread, and each mean with its 95% CI."""
    names = data.scenarios
    fig = Figure(figsize=(13, 8.5), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    rng = np.random.default_rng(0)  # jitter only; never touches the results
    for ax, (metric, title, unit) in zip(axes, OUTCOMES, strict=True):
        values = []
        for i, name in enumerate(names):
            v = data.metrics[name][metric]
            v = v[~np.isnan(v)]
            values.append(v)
            shown = v if len(v) <= MAX_POINTS else rng.choice(v, MAX_POINTS, replace=False)
            ax.scatter(i + rng.uniform(-0.18, 0.18, len(shown)), shown, s=4, alpha=0.25,
                       color=colour(i), linewidths=0)
            mean, lo, hi = mean_interval(v)
            if not np.isnan(mean):
                err = None if np.isnan(lo) else [[mean - lo], [hi - mean]]
                ax.errorbar(i + 0.3, mean, yerr=err, fmt="D", color="black", markersize=4,
                            capsize=3, label="mean, 95% CI" if i == 0 else None)
        ax.boxplot(values, positions=range(len(values)), widths=0.5, showfliers=False,
                   medianprops={"color": "black"})
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit)
        _x_labels(ax, names)
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(f"Outcomes across scenarios ({data.replications} replications each; "
                 "boxes: quartiles, whiskers: 1.5 IQR)")
    return fig


def _km_panel(ax: Axes, data: ResultsData, metric: str, title: str, ylabel: str) -> None:
    """Kaplan-Meier curve and 95% band of an event day, one per scenario."""
    for i, name in enumerate(data.scenarios):
        days, horizon = data.metrics[name][metric], data.horizon[name]
        happened = ~np.isnan(days)
        km = kaplan_meier(np.where(happened, days, horizon), happened)
        t = np.append(km["time"], horizon)  # carry the last value on to the horizon
        low, high, surv = (np.append(km[k], km[k][-1]) for k in ("low", "high", "survival"))
        ax.fill_between(t, low, high, step="post", alpha=0.15, color=colour(i), linewidth=0)
        ax.step(t, surv, where="post", color=colour(i), label=name)
    ax.set_title(f"{title} (Kaplan-Meier, 95% band)", fontsize=10)
    ax.set_xlabel("day of the scenario")
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)


def survival_curves(data: ResultsData) -> Figure:
    """Kaplan-Meier curves with 95% bands: garrison survival, siege lifting, first operation."""
    fig = Figure(figsize=(15, 4.8), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, event in zip(axes, EVENTS, strict=True):
        _km_panel(ax, data, *event)
    axes[0].legend(fontsize=8)
    return fig


def garrison_survival(data: ResultsData) -> Figure:
    """The garrison's survival curve alone, the headline figure of a run."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    _km_panel(ax, data, *EVENTS[0])
    ax.legend(fontsize=8)
    return fig


def _fan_panel(ax: Axes, data: ResultsData, series: str, title: str, unit: str) -> None:
    """Median and 5-95% band of a daily series, one per scenario."""
    for i, name in enumerate(data.scenarios):
        bands = data.bands[name].get(series)
        if not bands:
            continue
        days = np.arange(1, len(bands["p50"]) + 1)
        ax.fill_between(days, bands["p5"], bands["p95"], color=colour(i), alpha=0.15,
                        linewidth=0)
        ax.plot(days, bands["p50"], color=colour(i), label=name)
    ax.set_title(f"{title}: median, 5-95% band", fontsize=10)
    ax.set_xlabel("day of the scenario")
    ax.set_ylabel(unit)
    ax.grid(alpha=0.3)


def fan_charts(data: ResultsData) -> Figure:
    """Median and 5-95% band of each daily series, per scenario."""
    fig = Figure(figsize=(15, 8.5), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    for ax, fan in zip(axes, FANS, strict=False):
        _fan_panel(ax, data, *fan)
    axes[0].legend(fontsize=8)
    axes[-1].set_axis_off()
    return fig


def daily_bands(data: ResultsData) -> Figure:
    """Government control and garrison stock: the two daily series a reader looks at first."""
    fig = Figure(figsize=(13, 4.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, fan in zip(axes, FANS[:2], strict=True):
        _fan_panel(ax, data, *fan)
    axes[0].legend(fontsize=8)
    return fig


def helicopter_losses(data: ResultsData) -> Figure:
    """How many helicopters each scenario loses, and when flights are halted."""
    fig = Figure(figsize=(13, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    names = data.scenarios
    most = int(max((np.nanmax(data.metrics[n]["helicopters_lost"], initial=0) for n in names),
                   default=0))
    counts = np.arange(most + 1)
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        lost = data.metrics[name]["helicopters_lost"]
        share = np.array([np.mean(lost == k) for k in counts]) if len(lost) else counts * 0.0
        left.bar(counts + (i - (len(names) - 1) / 2) * width, share, width=width,
                 color=colour(i), label=name)
        halted, horizon = data.metrics[name]["flights_halted_day"], data.horizon[name]
        happened = ~np.isnan(halted)
        km = kaplan_meier(np.where(happened, halted, horizon), happened)
        t = np.append(km["time"], horizon)
        right.fill_between(t, 1 - np.append(km["high"], km["high"][-1]),
                           1 - np.append(km["low"], km["low"][-1]), step="post", alpha=0.15,
                           color=colour(i), linewidth=0)
        right.step(t, 1 - np.append(km["survival"], km["survival"][-1]), where="post",
                   color=colour(i), label=name)
    left.set_xticks(counts)
    left.set_xlabel("helicopters lost in a replication")
    left.set_ylabel("share of replications")
    left.set_title("Helicopters lost", fontsize=10)
    left.legend(fontsize=8)
    right.set_xlabel("day of the scenario")
    right.set_ylabel("share of replications halted after losses")
    right.set_ylim(-0.02, 1.02)
    right.set_title("Flights halted after losses, by day (1 - Kaplan-Meier, 95% band)",
                    fontsize=10)
    right.grid(alpha=0.3)
    return fig


def timeline(data: ResultsData, scenario: str | None = None) -> Figure:
    """One replication's events on a time axis, one row per kind of event."""
    preferred = (data.summary.get("comparisons") or {}).get("baseline")
    name = scenario or (preferred if preferred in data.traces else None) or next(
        (n for n in data.scenarios if n in data.traces), None)
    fig = Figure(figsize=(13, 5), layout="constrained")
    ax = fig.subplots()
    if name is None:
        ax.text(0.5, 0.5, "no trace in this results folder", ha="center", va="center")
        ax.set_axis_off()
        return fig
    trace = data.traces[name]
    rows = {kind: k for k, kind in enumerate(TIMELINE_ROWS)}
    for entry_time, kind, text in trace["entries"]:
        row = rows.setdefault(kind, len(rows))
        lost = "shot down" in text or ("sector" in text and "lost" in text) or "falls" in text
        ax.scatter(entry_time, row, marker="x" if lost else "o", s=30 if lost else 12,
                   color=OKABE_ITO[3] if lost else OKABE_ITO[0], zorder=3)
    ax.set_yticks(range(len(rows)), list(rows))
    ax.set_xlim(0, data.horizon[name])
    ax.set_xlabel(f"day of the scenario (day 0 = {trace.get('start_date', 'start')})")
    ax.set_ylabel("kind of event")
    ax.set_title(f"One replication of {name} (seed {trace['seed']}): events over time; "
                 "crosses mark losses", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def forest(data: ResultsData) -> Figure | None:
    """Paired differences against the baseline, each with its 95% CI (None without one)."""
    comparisons = data.summary.get("comparisons")
    if not comparisons:
        return None
    rows = comparisons["comparisons"]
    others = [n for n in data.scenarios if n != comparisons["baseline"]]
    fig = Figure(figsize=(14, 2.2 + 0.45 * len(others) * 2), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    for ax, (metric, title, unit) in zip(axes, FOREST, strict=True):
        for k, name in enumerate(others):
            row = next((r for r in rows if r["scenario"] == name and r["metric"] == metric),
                       None)
            if row is None or row["mean_difference"] is None:  # none paired (interrupted)
                continue
            lo, hi = row["ci95"]
            mean = row["mean_difference"]
            ax.errorbar(mean, k, xerr=[[mean - lo], [hi - mean]], fmt="o", capsize=3,
                        color=colour(data.scenarios.index(name)),
                        markerfacecolor="white" if not row["significant"] else None)
        ax.axvline(0.0, color="grey", linewidth=1)
        ax.set_yticks(range(len(others)), others, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f"difference from {comparisons['baseline']} ({unit})")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Paired differences against {comparisons['baseline']}: mean and 95% CI "
                 "(hollow: not significant after Holm's correction)")
    return fig


def what_stopped(data: ResultsData) -> Figure | None:
    """One horizontal bar per scenario: the mean share of the horizon's days the government
    operated the refinery or was stopped for each reason (None when the run did not record
    the reasons)."""
    section = data.summary.get("stopped_refinery") or stopped_refinery(data.summary)
    if not section:
        return None
    reasons = section["reasons"]
    names = [n for n in data.scenarios if n in section["scenarios"]]
    fig = Figure(figsize=(12, 2.2 + 0.55 * len(names)), layout="constrained")
    ax = fig.subplots()
    left = np.zeros(len(names))
    # Operating in the palette's green; the reasons for stopping in the other colours.
    colours = [OKABE_ITO[2], *(c for c in OKABE_ITO if c != OKABE_ITO[2])]
    for k, reason in enumerate(reasons):
        shares = np.array([section["scenarios"][n]["shares"][reason["metric"]]["mean"] or 0.0
                           for n in names])
        bars = ax.barh(range(len(names)), shares, left=left, height=0.6,
                       color=colours[k % len(colours)], label=reason["label"],
                       edgecolor="white", linewidth=0.5)
        ax.bar_label(bars, labels=[f"{v:.0%}" if v >= 0.06 else "" for v in shares],
                     label_type="center", fontsize=8,
                     color="white" if colours[k % len(colours)] == "#000000" else "black")
        left += shares
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max(1.0, float(left.max(initial=0.0))))
    ax.set_xlabel("share of the horizon's days (mean over the replications)")
    ax.set_title("What stopped the refinery (government): operating, or stopped for each "
                 "reason", fontsize=10)
    fig.legend(loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


FIGURES = {
    "outcomes": outcome_distributions,
    "survival_curves": survival_curves,
    "garrison_survival": garrison_survival,
    "fan_charts": fan_charts,
    "daily_bands": daily_bands,
    "helicopter_losses": helicopter_losses,
    "what_stopped": what_stopped,
    "timeline": timeline,
    "forest": forest,
}


def write_plots(folder: Path, fmt: str = "png", out: Path | None = None) -> list[Path]:
    """Draw every figure of the results in ``folder`` into ``out`` (default folder/plots)."""
    if fmt not in FORMATS:
        raise ValueError(f"format '{fmt}' is not one of {', '.join(FORMATS)}")
    data = load_results(folder)
    out = out or folder / "plots"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in FIGURES.items():
        fig = build(data)
        if fig is None:
            continue
        path = out / f"{name}.{fmt}"
        fig.savefig(path, dpi=110)
        written.append(path)
    return written
