"""The figures of a results folder: distributions, survival, daily series, losses, a timeline,
and the paired differences.

Every figure is drawn from the files of a results folder (see
:mod:`sim.output.results_folder`), so ``baiji-sim plot RESULTS_DIR`` redraws them without
re-running. Figures are built with ``matplotlib.figure.Figure`` directly (no
pyplot, no global state) and returned so tests can inspect their axes. Every
axis has its unit, every estimate its interval; colours are the Okabe-Ito
palette (distinguishable with colour-blindness), and past its eight colours a
scenario gets a dashed, then dotted, line; scenarios keep the names their
authors gave them.

One figure per idea (issue 15), drawn cheaply (issue 16): fixed margins instead of a layout
engine (which draws every figure twice), one artist per kind of mark where matplotlib allows
it (one scatter, one set of boxes, one errorbar a panel), few ticks, and rasterised fills and
points in vector formats. ``benchmarks/bench_figures.py`` measures the cost.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.analysis.estimates import kaplan_meier, mean_interval
from sim.analysis.stopped import stopped_refinery
from sim.output.calibration_plots import CALIBRATION_FIGURES
from sim.output.labels import panels
from sim.output.results_folder import (
    DATA_FILES,
    TRACES,
    ResultsData,
    load_results,
    require_data_files,
    safe_name,
)

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
LINESTYLES = ("-", "--", ":")  # a ninth scenario reuses the first colour, dashed
FORMATS = ("png", "svg", "pdf")
DPI = 100

OUTCOMES = panels(("operating_days", "refined_kbbl", "gov_control_final", "min_supply_days",
                   "helicopters_lost", "supplies_delivered_t"))
EVENTS = (
    ("garrison_fall_day", "Garrison still holding", "share of replications with the garrison"
     " holding"),
    ("siege_lifted_day", "Siege not yet lifted", "share of replications still besieged"),
    ("first_operating_day", "Refinery not yet running", "share of replications not yet "
     "operating"),
)
# The rows of the daily small multiples: series, row label, unit. The refinery's state is a
# category, drawn as the share of replications in each state (REFINERY_STATES) below them.
FANS = (
    ("gov_control", "Government share\nof the plant", "share of sectors"),
    ("supply_days", "Garrison stock", "days of supply"),
    ("garrison_troops", "Garrison strength", "troops"),
    ("besieger_strength", "Besieger strength", "fighters"),
)
REFINERY_STATES = (("down", "#999999"), ("restarting", "#E69F00"), ("operating", "#009E73"))
REFINERY_ROW = ("refinery_state", "Refinery (government)", "share of replications")
# Optional exact per-day shares (mean of a 0/1 series per state), read when a results folder
# has them; without them the shares are derived from the state's daily quantiles and mean.
REFINERY_SHARE_SERIES = tuple(f"refinery_{state}" for state, _ in REFINERY_STATES)
# daily_bands.csv counts garrison stocks above this many days in its top bin
# (sim.runner.daily_bands.bins_for, "supply_days"): the bands stop there.
SUPPLY_DAYS_CAP = 500.0
FAN_COLUMNS = 5  # scenarios per row of small multiples; more wrap onto another block
FOREST = (
    ("operating_days", "Days operated", "days"),
    ("garrison_held", "Garrison holds at the horizon", "difference in share"),
    ("helicopters_lost", "Helicopters lost", "aircraft"),
    ("supplies_delivered_t", "Supplies delivered", "tonnes"),
    ("garrison_fall_day", "Days until the fall (or the horizon)", "days"),
    ("siege_lifted_day", "Days until the siege lifts (or the horizon)", "days"),
)
# The columns of replications.csv the figures read (forest and what_stopped read summary.json).
FIGURE_METRICS = (*(m for m, _, _ in OUTCOMES), *(m for m, _, _ in EVENTS), "operating_days",
                  "helicopters_lost", "flights_halted_day")
TIMELINE_ROWS = ("flights", "air defence", "assault", "control", "damage", "network", "ground",
                 "refinery", "garrison")
TIMELINE_LABELS = 14  # most turning points and losses written out on the timeline
MAX_POINTS = 400  # points drawn per box; the box itself uses every replication
BAND, LINE = "#56B4E9", "#0072B2"  # the small multiples' bands and medians


# Drawing settings of every figure: titles at a fixed height above their axes (matplotlib
# otherwise measures every tick label of an axes at each draw, to lift the title over ticks
# on top that these figures never have).
STYLE = {"axes.titley": 1.0}
F = TypeVar("F", bound=Callable)


def styled(build: F) -> F:
    """``build`` run with :data:`STYLE`."""
    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return build(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def style(i: int) -> dict[str, Any]:
    """Colour and line style of the i-th scenario: unique for 24 scenarios."""
    return {"color": colour(i), "linestyle": LINESTYLES[(i // len(OKABE_ITO)) % 3]}


def _margins(fig: Figure, left: float, right: float, bottom: float, top: float,
             wspace: float | None = None, hspace: float | None = None) -> None:
    """Fixed margins in inches (no layout engine: it costs a second draw of the figure)."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                        top=1 - top / height, wspace=wspace, hspace=hspace)


def _x_labels(ax: Axes, names: list[str], show: bool = True) -> None:
    """Scenario names under a panel (``show``), or no ticks (a panel above another)."""
    if show:
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    else:
        ax.set_xticks([])




def _box_stats(v: np.ndarray) -> tuple[float, float, float, float, float]:
    """Quartiles and whisker ends (the farthest values within 1.5 IQR), as matplotlib's
    boxplot draws them."""
    q1, med, q3 = np.percentile(v, (25, 50, 75))
    iqr = q3 - q1
    low = v[v >= q1 - 1.5 * iqr].min(initial=q1)
    high = v[v <= q3 + 1.5 * iqr].max(initial=q3)
    return q1, med, q3, min(low, q1), max(high, q3)


@styled
def outcome_distributions(data: ResultsData) -> Figure:
    """Box plots with every replication's spread, and each mean with its 95% CI."""
    names = data.scenarios
    fig = Figure(figsize=(13, 7.6))
    _margins(fig, 0.75, 0.15, 1.1, 0.62, wspace=0.26, hspace=0.16)
    axes = fig.subplots(2, 3).ravel()
    rng = np.random.default_rng(0)  # jitter only; never touches the results
    pos = np.arange(len(names))
    for k, (ax, (metric, title, unit)) in enumerate(zip(axes, OUTCOMES, strict=True)):
        xs, ys, boxes, means = [], [], [], []
        for i, name in enumerate(names):
            v = data.metrics[name][metric]
            v = v[~np.isnan(v)]
            shown = v if len(v) <= MAX_POINTS else rng.choice(v, MAX_POINTS, replace=False)
            xs.append(i + rng.uniform(-0.18, 0.18, len(shown)))
            ys.append(shown)
            boxes.append(_box_stats(v) if len(v) else (np.nan,) * 5)
            means.append(mean_interval(v))
        # the points as markers (one line per scenario: Agg stamps a marker, where a scatter
        # draws a path per point); every box, median, whisker and cap in two line sets
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            ax.plot(x, y, linestyle="none", marker="o", markersize=2.4, alpha=0.35,
                    markeredgewidth=0, color=colour(i), rasterized=True)
        q1, med, q3, low, high = np.array(boxes, dtype=float).T
        ok = ~np.isnan(med)
        p, q1, med, q3, low, high = (a[ok] for a in (pos, q1, med, q3, low, high))
        ax.hlines(np.r_[q1, q3, med, low, high], np.r_[p - 0.25, p - 0.25, p - 0.25,
                                                       p - 0.12, p - 0.12],
                  np.r_[p + 0.25, p + 0.25, p + 0.25, p + 0.12, p + 0.12], color="black",
                  linewidth=np.r_[np.ones(2 * len(p)), np.full(len(p), 1.6),
                                  np.ones(2 * len(p))])
        ax.vlines(np.r_[p - 0.25, p + 0.25, p, p], np.r_[q1, q1, q3, low],
                  np.r_[q3, q3, high, q1], color="black", linewidth=1)
        mean, lo, hi = np.array(means, dtype=float).T
        ok = ~np.isnan(mean)
        err = np.nan_to_num(np.array([mean - lo, hi - mean])[:, ok])
        ax.errorbar(pos[ok] + 0.3, mean[ok], yerr=err, fmt="D", color="black", markersize=4,
                    capsize=3, label="mean, 95% CI")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit)
        ax.yaxis.set_major_locator(MaxNLocator(5, integer=unit == "aircraft"))
        ax.set_xlim(-0.6, len(names) - 0.4)
        _x_labels(ax, names, show=k >= 3)
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(f"Outcomes across scenarios ({data.replications} replications each; "
                 "dots: replications, boxes: quartiles, whiskers: 1.5 IQR)", fontsize=11)
    return fig


def _km_curve(days: np.ndarray, horizon: int) -> tuple[np.ndarray, ...]:
    """Times, survival and its 95% band, carried on to the horizon."""
    happened = ~np.isnan(days)
    km = kaplan_meier(np.where(happened, days, horizon), happened)
    t = np.append(km["time"], horizon)
    return (t, *(np.append(km[k], km[k][-1]) for k in ("survival", "low", "high")))


def _spread(ys: np.ndarray, gap: float, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Label heights near ``ys``, at least ``gap`` apart, kept within [low, high] if they fit."""
    order = np.argsort(-ys, kind="stable")
    placed = ys[order].astype(float)
    for k in range(len(placed)):
        placed[k] = min(placed[k], high if k == 0 else placed[k - 1] - gap)
    for k in range(len(placed) - 1, -1, -1):
        placed[k] = max(placed[k], low if k == len(placed) - 1 else placed[k + 1] + gap)
    out = np.empty_like(placed)
    out[order] = placed
    return out


def _end_labels(ax: Axes, ends: list[tuple[float, float, str, int]], xmax: float) -> None:
    """Each curve's name beside the panel at the height where it ends, spread apart, with a
    thin leader line to the curve's end: curves that end together stay told apart."""
    if not ends:
        return
    ys = _spread(np.array([y for y, *_ in ends]), gap=0.052, low=0.0, high=1.0)
    x_text = xmax * 1.04
    for (y, x, name, i), label_y in zip(ends, ys, strict=True):
        ax.plot([x, xmax * 1.005, x_text * 0.995], [y, y, label_y], color=colour(i),
                linewidth=0.7, linestyle=(0, (1, 2)), clip_on=False, alpha=0.8)
        ax.text(x_text, label_y, name, color=colour(i), fontsize=7.5, va="center",
                ha="left", clip_on=False)


def _km_panel(ax: Axes, data: ResultsData, metric: str, title: str, ylabel: str,
              halted: bool = False) -> list[str]:
    """Kaplan-Meier curve and 95% band of an event day, one per scenario, labelled at its end
    (``halted``: the share that has had the event, 1 - KM). Scenarios whose curve is flat
    (the event never happens, or happens at day 0 in every replication) are not drawn over
    each other: the note under the panel names them. Returns the scenarios drawn."""
    never, at_once, ends = [], [], []
    xmax = max((data.horizon[n] for n in data.scenarios), default=1) or 1
    for i, name in enumerate(data.scenarios):
        days, horizon = data.metrics[name][metric], data.horizon[name]
        if not len(days):
            continue
        happened = ~np.isnan(days)
        if not happened.any():
            never.append(name)
            continue
        if happened.all() and not np.any(days[happened] > 0):
            at_once.append(name)
            continue
        t, surv, low, high = _km_curve(days, horizon)
        if halted:
            surv, low, high = 1 - surv, 1 - high, 1 - low
        ax.fill_between(t, low, high, step="post", alpha=0.15, color=colour(i), linewidth=0,
                        rasterized=True)
        ax.step(t, surv, where="post", label=name, linewidth=1.3, **style(i))
        ends.append((float(surv[-1]), float(t[-1]), name, i))
    _end_labels(ax, ends, xmax)
    notes = []
    if never:
        notes.append(("Never halted (too few losses to halt, or no flights)" if halted
                      else "At 1 to the horizon (never happens)")
                     + ": " + ", ".join(never))
    if at_once:
        notes.append(("Halted" if halted else "At 0") + " from day 0 in every replication: "
                     + ", ".join(at_once))
    if notes:
        ax.text(0.0, -0.2, "\n".join("\n".join(textwrap.wrap(n, 62)) for n in notes),
                transform=ax.transAxes, va="top", ha="left", fontsize=7.5, color="0.25")
    ax.set_title(f"{title} (Kaplan-Meier, 95% band)", fontsize=10)
    ax.set_xlabel("day of the scenario")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, xmax)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    return [name for _, _, name, _ in ends]


@styled
def survival_curves(data: ResultsData) -> Figure:
    """Kaplan-Meier curves with 95% bands: garrison survival, siege lifting, first operation."""
    fig = Figure(figsize=(16, 5.6))
    _margins(fig, 0.6, 1.45, 1.55, 0.35, wspace=0.62)
    axes = fig.subplots(1, 3)
    for ax, event in zip(axes, EVENTS, strict=True):
        _km_panel(ax, data, *event)
    return fig


def refinery_state_shares(bands: dict[str, dict[str, np.ndarray]], n: int
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Share of replications down, restarting and operating on each day, ``(3, days)``, and
    how far each share may be from the exact one, by day.

    Exact when the folder has a 0/1 series per state (REFINERY_SHARE_SERIES, mean = share).
    Otherwise derived from ``refinery_state`` (0, 1, 2) in daily_bands.csv: with F0 the share
    down and F1 the share down or restarting, the mean gives F0 + F1 = 2 - mean exactly, and
    each lower quantile p_q brackets them (p_q <= v exactly when F(v) reaches q, counted in
    replications of ``n``). The shares use the middle of what both allow; the second array
    is the most any of the three can be off (0 when the quantiles pin them, as on most
    days)."""
    exact = [bands[s] for s in REFINERY_SHARE_SERIES if s in bands]
    if len(exact) == len(REFINERY_SHARE_SERIES):
        shares = np.array([np.asarray(e["mean"], dtype=float) for e in exact])
        return shares, np.zeros(shares.shape[1])
    b = bands["refinery_state"]
    mean = np.asarray(b["mean"], dtype=float)
    lo, hi = np.zeros((2, len(mean))), np.ones((2, len(mean)))
    for q in (5, 25, 50, 75, 95):
        p = np.asarray(b[f"p{q}"], dtype=float)
        need = max(np.ceil(q / 100 * n - 1e-9), 1) / n if n else q / 100
        step = 1 / n if n else 0.0
        for v in (0, 1):
            reached = p <= v  # F(v) >= need; otherwise F(v) <= need - one replication
            lo[v] = np.where(reached, np.maximum(lo[v], need), lo[v])
            hi[v] = np.where(reached, hi[v], np.minimum(hi[v], need - step))
    total = 2.0 - mean  # F0 + F1
    f0_lo = np.maximum.reduce([lo[0], total - hi[1], total - 1.0])
    f0_hi = np.minimum.reduce([hi[0], total - lo[1], total / 2.0])
    f0 = np.clip((f0_lo + f0_hi) / 2, np.maximum(0.0, total - 1.0), total / 2.0)
    f1 = total - f0
    # down and operating are off by at most half the bracket, restarting (F1 - F0 =
    # total - 2 F0) by at most all of it
    return np.array([f0, f1 - f0, 1.0 - f1]), np.maximum(f0_hi - f0_lo, 0.0)


def _joined(parts: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """Series of several panels as one array, each shifted by its panel's offset and ended by
    a NaN: one line or fill per row of panels, broken between them."""
    return np.concatenate([np.append(v + off, np.nan) for off, v in parts]) if parts else (
        np.empty(0))


@styled
def fan_charts(data: ResultsData) -> Figure:
    """Small multiples: a panel per scenario, a row of panels per daily series (median,
    25-75% and 5-95% bands), and below them the share of replications in which the
    government's refinery is down, restarting or operating each day.

    A row of panels is one Axes with each scenario's panel side by side on its x axis (the
    same day scale, the same y axis): one artist per kind of mark a row instead of fifty Axes
    (issue 16). ``panels`` on each Axes lists its scenarios, left to right."""
    names = data.scenarios
    cols = max(1, min(FAN_COLUMNS, len(names)))
    blocks = -(-len(names) // cols) or 1
    rows = len(FANS) + 1
    fig = Figure(figsize=(1.35 + 2.35 * cols, 1.9 + blocks * (rows * 1.2 + 0.55)))
    _margins(fig, 1.35, 0.15, 1.0, 0.9)
    outer = fig.add_gridspec(blocks, 1, hspace=0.75 / (rows * 1.2))
    xmax = float(max((data.horizon[n] for n in names), default=1) or 1)
    gap = 0.1 * xmax
    all_ticks = np.asarray(MaxNLocator(3, integer=True).tick_values(0, xmax))
    x_ticks = all_ticks[(all_ticks >= 0) & (all_ticks <= xmax)]
    top = {}
    for series, _, _ in FANS:  # one y range a row: the panels of a series compare directly
        highs = [np.nanmax(data.bands[n][series]["p95"], initial=0.0) for n in names
                 if data.bands[n].get(series)]
        top[series] = 1.04 if series == "gov_control" else max(1.0, *highs) * 1.06
    top["refinery_state"] = 1.0
    capped: list[str] = []
    widest = 0.0
    for block in range(blocks):
        grid = outer[block].subgridspec(rows, 1, hspace=0.12)
        chunk = names[block * cols:(block + 1) * cols]
        offsets = [c * (xmax + gap) for c in range(len(chunk))]
        for r in range(rows):
            ax = fig.add_subplot(grid[r, 0])
            ax.panels = list(chunk)  # type: ignore[attr-defined]  # read by the tests
            series, label, unit = FANS[r] if r < len(FANS) else REFINERY_ROW
            low = -0.03 * top[series] if r < len(FANS) else 0.0
            ax.set_xlim(-0.01 * xmax, cols * (xmax + gap) - gap + 0.01 * xmax)
            ax.set_ylim(low, top[series])
            ax.set_ylabel(f"{label}\n({unit})", fontsize=8)
            ax.yaxis.set_major_locator(MaxNLocator(3))
            ax.tick_params(labelsize=7, length=2)
            for side in ("top", "right", "bottom"):
                ax.spines[side].set_visible(False)
            ax.spines["left"].set_bounds(low, top[series])
            ax.spines["left"].set_visible(False)
            # each panel's frame, and the days past a scenario's horizon, in one artist each
            ax.add_collection(PolyCollection(
                [[(o, low), (o + xmax, low), (o + xmax, top[series]), (o, top[series])]
                 for o in offsets], facecolors="none", edgecolors="black", linewidths=0.8))
            after = [(o + data.horizon[n], xmax - data.horizon[n])
                     for o, n in zip(offsets, chunk, strict=True) if data.horizon[n] < xmax]
            if after:
                ax.broken_barh(after, (low, top[series] - low), color="0.93", linewidth=0,
                               zorder=0)
            if r == rows - 1:
                ax.set_xticks([o + t for o in offsets for t in x_ticks],
                              [f"{t:g}" for _ in offsets for t in x_ticks])
            else:
                ax.set_xticks([])
            if r == 0:
                for o, name in zip(offsets, chunk, strict=True):
                    ax.text(o + xmax / 2, top[series], name, ha="center", va="bottom",
                            fontsize=9)
            present = [(o, n) for o, n in zip(offsets, chunk, strict=True)
                       if data.bands[n].get(series)]
            if r < len(FANS):
                days = [(o, np.arange(1.0, len(data.bands[n][series]["p50"]) + 1))
                        for o, n in present]
                x = _joined(days)

                def stat(key: str, present: list = present, series: str = series
                         ) -> np.ndarray:
                    return _joined([(0.0, data.bands[n][series][key]) for _, n in present])

                ax.fill_between(x, stat("p5"), stat("p95"), color=BAND, alpha=0.35,
                                linewidth=0, rasterized=True)
                ax.fill_between(x, stat("p25"), stat("p75"), color=BAND, alpha=0.7,
                                linewidth=0, rasterized=True)
                ax.plot(x, stat("p50"), color=LINE, linewidth=1.1)
                if series == "supply_days":
                    for o, n in present:
                        if np.nanmax(data.bands[n][series]["p95"], initial=0) >= (
                                SUPPLY_DAYS_CAP - 0.25):
                            capped.append(n)
                            ax.hlines(SUPPLY_DAYS_CAP, o, o + xmax, color="0.3",
                                      linestyle="--", linewidth=0.8)
                            ax.text(o + 0.03 * xmax, SUPPLY_DAYS_CAP,
                                    f"bands stop at {SUPPLY_DAYS_CAP:g}", fontsize=6.5,
                                    va="bottom", color="0.3")
            else:
                parts, spread_at = [], []
                for o, n in present:
                    n_runs = len(data.metrics[n].get("operating_days", ()))
                    shares, spread = refinery_state_shares(data.bands[n], n_runs)
                    parts.append((o, shares))
                    worst = float(np.nanmax(spread, initial=0.0))
                    widest = max(widest, worst)
                    if worst > 0.01:
                        spread_at.append((o, worst))
                x = _joined([(o, np.arange(1.0, sh.shape[1] + 1)) for o, sh in parts])
                base = np.zeros(len(x))
                for k, (state, fill) in enumerate(REFINERY_STATES):
                    share = _joined([(0.0, sh[k]) for _, sh in parts])
                    ax.fill_between(x, base, base + share, color=fill, linewidth=0,
                                    rasterized=True, label=state)
                    base = base + np.nan_to_num(share)
                for o, worst in spread_at:
                    ax.text(o + 0.97 * xmax, 0.05, f"±{worst:.2f}", fontsize=6.5, ha="right",
                            va="bottom", color="0.1")
    handles = [Line2D([], [], color=LINE, linewidth=1.1, label="median"),
               Patch(color=BAND, alpha=0.7, label="25-75%"),
               Patch(color=BAND, alpha=0.35, label="5-95% of replications"),
               Patch(color="0.93", label="after the scenario's horizon"),
               *(Patch(color=fill, label=f"refinery {state}") for state, fill in
                 REFINERY_STATES)]
    height = fig.get_size_inches()[1]
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, 1 - 0.38 / height))
    fig.suptitle("Daily series by scenario (a panel each; the panels of a row share their "
                 "axes)", fontsize=11, y=1 - 0.08 / height, va="top")
    fig.text(0.5, 0.62 / height, "day of the scenario", ha="center", fontsize=9)
    notes = []
    if capped:
        notes.append(f"Garrison stock: daily_bands.csv counts stocks above "
                     f"{SUPPLY_DAYS_CAP:g} days as {SUPPLY_DAYS_CAP:g} (its top bin), so the "
                     f"bands of {', '.join(capped)} stop at {SUPPLY_DAYS_CAP:g} days.")
    if widest > 0.01:
        notes.append("Refinery: shares derived from the state's daily quantiles and mean; "
                     "± is the most they can be off on any day of the panel.")
    if notes:
        fig.text(0.01, 0.08 / height, "\n".join(notes), fontsize=7.5, va="bottom",
                 color="0.25")
    return fig


@styled
def helicopter_losses(data: ResultsData) -> Figure:
    """How many helicopters each scenario that flies them loses, and when flights are halted.
    Scenarios with no helicopter flown are named in a note instead of a bar at 0."""
    fig = Figure(figsize=(14, 5.2))
    _margins(fig, 0.65, 1.45, 1.25, 0.35, wspace=0.35)
    left, right = fig.subplots(1, 2)
    # a scenario without its resolved file (None) is drawn: nothing says it flew none
    flown = [n for n in data.scenarios if data.helicopters_flown(n) != 0
             or np.nansum(data.metrics[n]["helicopters_lost"]) > 0]
    grounded = [n for n in data.scenarios if n not in flown]
    most = int(max((np.nanmax(data.metrics[n]["helicopters_lost"], initial=0) for n in flown),
                   default=0))
    counts = np.arange(most + 1)
    width = 0.8 / max(1, len(flown))
    for k, name in enumerate(flown):
        i = data.scenarios.index(name)
        lost = data.metrics[name]["helicopters_lost"]
        lost = lost[~np.isnan(lost)]
        share = np.array([np.mean(lost == c) for c in counts]) if len(lost) else counts * 0.0
        left.bar(counts + (k - (len(flown) - 1) / 2) * width, share, width=width,
                 color=colour(i), hatch="//" if i >= len(OKABE_ITO) else None, label=name)
    if flown:
        left.set_xticks(counts)
        left.legend(fontsize=8)
    else:
        left.text(0.5, 0.5, "no helicopters flown in any scenario", ha="center",
                  va="center", transform=left.transAxes)
    if grounded:
        left.text(0.0, -0.17, "\n".join(textwrap.wrap(
            "No helicopters flown: " + ", ".join(grounded), 80)), transform=left.transAxes,
            va="top", fontsize=7.5, color="0.25")
    left.set_ylim(0, 1.02)
    left.set_xlabel("helicopters lost in a replication")
    left.set_ylabel("share of replications")
    left.set_title("Helicopters lost (scenarios that fly them)", fontsize=10)
    _km_panel(right, data, "flights_halted_day", "Flights halted after losses, by day",
              "share of replications halted after losses", halted=True)
    right.set_title("Flights halted after losses, by day (1 - Kaplan-Meier, 95% band)",
                    fontsize=10)
    return fig


_SETBACK = ("shot down", "garrison falls", " lost", "insurgents take", "siege re-imposed",
            "units stopped", "launchers arrive", "insurgent offensive", "fails", "damages")
_GAIN = ("halts its flights", "siege lifted", "retaken", "retakes", "holds the plant",
         "passes to the government")


def _event_class(kind: str, text: str) -> str:
    """'setback' (for the government), 'turn' (a gain or a turning point) or 'routine'."""
    if text.startswith(("assault by", "counter-attack by")):  # most are repelled: routine
        if "succeeds" not in text:
            return "routine"
        return "setback" if text.startswith("assault by") else "turn"
    if kind == "refinery" and "stopped" not in text:  # repaired, recommissioning, running
        return "setback" if text.startswith("insurgent") else "turn"
    if any(s in text for s in _SETBACK):
        return "setback"
    if any(g in text for g in _GAIN):
        return "turn"
    return "routine"


def _short(text: str, most: int = 48) -> str:
    """A trace line as a label: who acts, when it is not the government, and at most
    ``most`` characters."""
    who, _, what = text.partition(": ")
    if what and who == "government":
        text = what
    elif what and who == "insurgent":
        text = f"insurgents: {what}"
    elif what and who.endswith(("helicopters", "airdrops")):
        text = what
    return text if len(text) <= most else text[:most - 1] + "…"


def _timeline_scenario(data: ResultsData, scenario: str | None) -> str | None:
    preferred = (data.summary.get("comparisons") or {}).get("baseline")
    for candidate in (scenario, preferred, "baseline"):
        if candidate in data.traces:
            return candidate
    return next((n for n in data.scenarios if n in data.traces), None)


@styled
def timeline(data: ResultsData, scenario: str | None = None) -> Figure:
    """One replication's events on a time axis, one row per kind of event: routine events as
    ticks, setbacks for the government as crosses, gains and turning points as diamonds, the
    first of those written out."""
    name = _timeline_scenario(data, scenario)
    fig = Figure(figsize=(13, 5.2))
    _margins(fig, 1.1, 0.25, 1.05, 0.4)
    ax = fig.subplots()
    if name is None:
        ax.text(0.5, 0.5, "no trace in this results folder", ha="center", va="center")
        ax.set_axis_off()
        return fig
    trace = data.traces[name]
    kinds = {kind for _, kind, _ in trace["entries"]}
    rows = {kind: k for k, kind in enumerate(
        [r for r in TIMELINE_ROWS if r in kinds] + sorted(kinds - set(TIMELINE_ROWS)))}
    marks: dict[str, tuple[list[float], list[int]]] = {c: ([], []) for c in
                                                       ("routine", "setback", "turn")}
    labelled = []
    for entry_time, kind, text in trace["entries"]:
        kind_class = _event_class(kind, text)
        marks[kind_class][0].append(entry_time)
        marks[kind_class][1].append(rows[kind])
        if kind_class != "routine":
            labelled.append((entry_time, rows[kind], text))
    looks = {"routine": ("|", 9, LINE, "routine event (delivery, repelled assault, road cut "
                                       "or repaired, ...)"),
             "setback": ("x", 7, OKABE_ITO[3], "setback for the government (loss, sector or "
                                               "area taken, garrison falls)"),
             "turn": ("D", 5, OKABE_ITO[2], "gain or turning point (flights halted, siege "
                                            "lifted, area retaken, ...)")}
    for kind_class, (times, ys) in marks.items():
        marker, size, fill, label = looks[kind_class]
        ax.plot(times, ys, linestyle="none", marker=marker, markersize=size, color=fill,
                label=f"{label} ({len(times)})", zorder=3)
    last: dict[int, float] = {}
    level: dict[int, int] = {}
    horizon = data.horizon[name] or max((t for t, _, _ in trace["entries"]), default=1)
    for entry_time, row, text in labelled[:TIMELINE_LABELS]:
        short = _short(text)
        close = entry_time - last.get(row, -horizon) < 0.14 * horizon
        level[row] = (level.get(row, -1) + 1) % 3 if close else 0
        last[row] = entry_time
        late = entry_time > 0.7 * horizon  # written leftwards, inside the axes
        ax.text(entry_time, row + (0.22, -0.34, 0.44)[level[row]], short, fontsize=7,
                ha="right" if late else "left", va="center", color="0.15", clip_on=False)
    ax.set_yticks(range(len(rows)), list(rows))
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(0, horizon)
    ax.set_xlabel(f"day of the scenario (day 0 = {trace.get('start_date', 'start')})")
    ax.set_ylabel("kind of event")
    more = (f"; the first {TIMELINE_LABELS} marked events written out"
            if len(labelled) > TIMELINE_LABELS else "")
    ax.set_title(f"One replication of {name}, event by event (an illustration, not a typical "
                 f"run){more}", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=7.5,
              frameon=False)
    ax.grid(axis="x", alpha=0.3)
    replication = trace.get("replication")
    fig.text(0.01, 0.01, (f"replication {replication + 1} of the run; " if isinstance(
        replication, int) else "") + f"its seed and every event's text: traces/"
             f"{safe_name(name)}.json", fontsize=7, color="0.35")
    return fig


@styled
def forest(data: ResultsData) -> Figure | None:
    """Paired differences against the baseline, each with its 95% CI (None without one)."""
    comparisons = data.summary.get("comparisons")
    if not comparisons:
        return None
    rows = comparisons["comparisons"]
    others = [n for n in data.scenarios if n != comparisons["baseline"]]
    fig = Figure(figsize=(14, 2.4 + 0.45 * len(others) * 2))
    _margins(fig, 1.6, 0.25, 0.75, 0.75, wspace=0.45, hspace=0.5)
    axes = fig.subplots(2, 3).ravel()
    for k, (ax, (metric, title, unit)) in enumerate(zip(axes, FOREST, strict=True)):
        # A panel's intervals are one collection, their ends one scatter and their means
        # another: an errorbar a scenario made this the costliest figure (issue 16).
        ys, means, ends, colours, faces = [], [], [], [], []
        for j, name in enumerate(others):
            row = next((r for r in rows if r["scenario"] == name and r["metric"] == metric),
                       None)
            if row is None or row["mean_difference"] is None:  # none paired (interrupted)
                continue
            c = colour(data.scenarios.index(name))
            ys.append(j)
            means.append(row["mean_difference"])
            ends.append(row["ci95"])
            colours.append(c)
            faces.append(c if row["significant"] else "white")
        if ys:
            lo, hi = np.array(ends, dtype=float).T
            ax.hlines(ys, lo, hi, colors=colours, linewidth=1.5)
            ax.scatter(np.r_[lo, hi], ys + ys, marker="|", s=60, c=colours + colours,
                       linewidths=1.5)
            ax.scatter(means, ys, marker="o", s=36, facecolors=faces, edgecolors=colours,
                       linewidths=1.5, zorder=3)
        ax.axvline(0.0, color="grey", linewidth=1)
        ax.set_yticks(range(len(others)), others if k % 3 == 0 else [], fontsize=8)
        ax.set_ylim(len(others) - 0.5, -0.5)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel(f"difference from {comparisons['baseline']} ({unit})", fontsize=9)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Paired differences against {comparisons['baseline']}: mean and 95% CI "
                 "(hollow: not significant after Holm's correction)", fontsize=11)
    return fig


@styled
def what_stopped(data: ResultsData) -> Figure | None:
    """One horizontal bar per scenario: the mean share of the horizon's days the government
    operated the refinery or was stopped for each reason (None when the run did not record
    the reasons)."""
    section = data.summary.get("stopped_refinery") or stopped_refinery(data.summary)
    if not section:
        return None
    reasons = section["reasons"]
    names = [n for n in data.scenarios if n in section["scenarios"]]
    fig = Figure(figsize=(12, 2.4 + 0.55 * len(names)))
    _margins(fig, 1.7, 0.3, 1.2, 0.4)
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
    fig.legend(loc="lower center", ncol=4, fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


@styled
def uncertainty(data: ResultsData, top: int = 8) -> Figure | None:
    """A run with --uncertainty: each outcome's share of variance from the parameters (with
    its 95% interval), and, when the scenario tests the articles' observations, the 90%
    intervals of the parameters they narrow most, before and after (None otherwise)."""
    section = data.summary.get("uncertainty")
    if not section:
        return None
    calibration = data.summary.get("calibration") or {}
    names = [n for n in data.scenarios if n in section["scenarios"]]
    fig = Figure(figsize=(13, 1.6 + 2.6 * len(names)))
    _margins(fig, 2.9, 0.3, 0.8, 0.6, wspace=1.1, hspace=0.55)
    axes = np.atleast_2d(fig.subplots(len(names), 2))
    for row, name in enumerate(names):
        shares, right = axes[row]
        metrics = section["scenarios"][name]["metrics"]
        labels = list(metrics)
        for j, metric in enumerate(labels):
            e = metrics[metric]
            if e.get("share") is None:
                shares.text(0.02, j, e.get("note", "no share"), va="center", fontsize=7,
                            color="grey")
                continue
            low, high = e["ci95"]
            shares.errorbar(e["share"], j, xerr=[[e["share"] - low], [high - e["share"]]],
                            fmt="o", capsize=3, color=colour(data.scenarios.index(name)))
        shares.set_yticks(range(len(labels)), labels, fontsize=8)
        shares.set_ylim(len(labels) - 0.5, -0.5)
        shares.set_xlim(0, 1)
        shares.set_xlabel("share of the variance from the parameters (rest: chance)",
                          fontsize=8)
        shares.set_title(f"{name}: parameters versus chance", fontsize=9)
        shares.grid(axis="x", alpha=0.3)
        c = calibration.get(name)
        if not c or not c.get("parameters"):
            right.set_axis_off()
            right.text(0.0, 0.5, "no observation tested: nothing to calibrate against",
                       fontsize=8, color="grey", transform=right.transAxes)
            continue
        params = c["parameters"][:top]
        for j, p in enumerate(params):
            span = (p["range"][1] - p["range"][0]) or 1.0
            for offset, key, colour_ in ((-0.15, "prior", "#999999"),
                                          (0.15, "posterior", OKABE_ITO[5])):
                lo, mid, hi = ((v - p["range"][0]) / span for v in p[key])
                right.errorbar(mid, j + offset, xerr=[[mid - lo], [hi - mid]], fmt="o",
                               capsize=2, color=colour_, markersize=4,
                               label=key if j == 0 else None)
        right.set_yticks(range(len(params)), [_short(p["parameter"], 44) for p in params],
                         fontsize=7)
        right.set_ylim(len(params) - 0.5, -0.5)
        right.set_xlim(-0.02, 1.02)
        right.set_xlabel("position in the parameter's range (0: low end, 1: high end)",
                         fontsize=8)
        right.set_title(f"after the observations (ESS {c['ess']:.0f} of {c['draws']} draws):"
                        "\nmedian and 90% interval", fontsize=9)
        right.legend(fontsize=7, loc="lower right")
        right.grid(axis="x", alpha=0.3)
    return fig


# One figure per idea: the garrison's survival is the first panel of survival_curves, the
# plant share and garrison stock are rows of fan_charts (garrison_survival and daily_bands,
# which drew them again, are gone).
FIGURES = {
    "outcomes": outcome_distributions,
    "survival_curves": survival_curves,
    "fan_charts": fan_charts,
    "helicopter_losses": helicopter_losses,
    "what_stopped": what_stopped,
    "timeline": timeline,
    "forest": forest,
    "uncertainty": uncertainty,
    **CALIBRATION_FIGURES,  # a run with --uncertainty, a calibration (issue 17)
}


# FIGURES by their drawing cost, costliest first (CPU of each build + savefig, warm process,
# benchmarks/bench_figures.py: 0.3-0.45 s from fan_charts to survival_curves, about 0.2 s
# for the last three). The calibration's figures (sim.output.calibration_plots, drawn only
# for a calibration or a run with --uncertainty) come first: a grid of panels each, not
# measured yet.
DRAWING_ORDER = ("posterior_pairs", "with_and_without_parameters", "posterior_marginals",
                 "uncertainty", "fan_charts", "outcomes", "forest", "survival_curves",
                 "what_stopped", "timeline", "helicopter_losses")



def _drawing_rank(name: str) -> int:
    return DRAWING_ORDER.index(name) if name in DRAWING_ORDER else len(DRAWING_ORDER)


def _draw(name: str, data: ResultsData, path: Path) -> Path | None:
    """Build figure ``name`` and save it at ``path`` (None: the figure does not apply)."""
    fig = FIGURES[name](data)
    if fig is None:
        return None
    # zlib level 1 instead of Pillow's 6: a tenth of the drawing's CPU saved for files
    # 4-17% larger (benchmarks/README.md, "Figures"); the image is the same.
    extra: dict[str, Any] = {"pil_kwargs": {"compress_level": 1}} if path.suffix == ".png" else {}
    fig.savefig(path, dpi=DPI, **extra)
    return path


# The folder a worker process last read, and its data: a worker draws several figures of
# one folder, and reads it once. Keyed by the folder and its files' times and sizes, so a
# folder written again (a resumed run, a sweep's next point) is read again.
_read: tuple[tuple[Any, ...], ResultsData] | None = None


def _folder_key(folder: Path) -> tuple[Any, ...]:
    stats = [(folder / n).stat() for n in DATA_FILES]
    traces = folder / TRACES
    stats += [p.stat() for p in sorted(traces.glob("*.json"))] if traces.is_dir() else []
    return (str(folder.resolve()), *((s.st_mtime_ns, s.st_size) for s in stats))


def _draw_from_folder(name: str, folder: Path, path: Path) -> Path | None:
    """:func:`_draw`, on a worker process that reads the folder itself (cached)."""
    global _read
    key = _folder_key(folder)
    if _read is None or _read[0] != key:
        _read = (key, load_results(folder, FIGURE_METRICS))
    return _draw(name, _read[1], path)


def _chosen(figures: Iterable[str] | None, fmt: str) -> list[str]:
    if fmt not in FORMATS:
        raise ValueError(f"format '{fmt}' is not one of {', '.join(FORMATS)}")
    chosen = list(FIGURES) if figures is None else list(dict.fromkeys(figures))
    unknown = [f for f in chosen if f not in FIGURES]
    if unknown:
        raise ValueError(f"no figure named {', '.join(unknown)}; choose from "
                         f"{', '.join(FIGURES)}")
    return chosen


def start_plots(folder: Path, fmt: str = "png", out: Path | None = None,
                figures: Iterable[str] | None = None,
                workers: int = 1) -> Callable[[], list[Path]]:
    """Start drawing the figures of ``folder`` (see :func:`write_plots`) and return what
    waits for them and gives the files written.

    With ``workers`` > 1 the figures are drawn on the run's worker processes, idle once the
    batch is done (the shared pool, :func:`sim.runner.pool.shared_pool`), each reading the
    folder itself: this process hands over file names, not data, and goes on writing the
    rest of the results while they draw (issue 16). The files are the same. With one worker
    nothing starts here; the figures are drawn when waited for."""
    chosen = _chosen(figures, fmt)
    out = out or folder / "plots"
    paths = [out / f"{name}.{fmt}" for name in chosen]
    if workers <= 1 or len(chosen) <= 1:
        def draw_here() -> list[Path]:
            data = load_results(folder, FIGURE_METRICS)
            out.mkdir(parents=True, exist_ok=True)
            drawn = [_draw(n, data, p) for n, p in zip(chosen, paths, strict=True)]
            return [p for p in drawn if p is not None]
        return draw_here
    from sim.runner.pool import shared_pool

    require_data_files(folder)  # said here, as load_results would, rather than on a worker
    out.mkdir(parents=True, exist_ok=True)
    # The costliest first, so that the workers finish together (longest processing time
    # first: the last figure handed out is a cheap one).
    order = sorted(range(len(chosen)), key=lambda i: _drawing_rank(chosen[i]))
    pool = shared_pool(workers)
    futures = {i: pool.submit(_draw_from_folder, chosen[i], folder, paths[i]) for i in order}

    def wait() -> list[Path]:
        drawn = [futures[i].result() for i in range(len(chosen))]
        return [p for p in drawn if p is not None]
    return wait


def write_plots(folder: Path, fmt: str = "png", out: Path | None = None,
                figures: Iterable[str] | None = None, workers: int = 1) -> list[Path]:
    """Draw every figure of the results in ``folder`` (or only ``figures``, names of
    :data:`FIGURES`) into ``out`` (default folder/plots), and return the files written.

    ``workers`` > 1 draws them on the run's worker processes (:func:`start_plots`): the
    figures take their cores, not the main process's (issue 16), and two draw at once."""
    return start_plots(folder, fmt, out, figures, workers)()
