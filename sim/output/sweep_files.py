"""The files and figure of a sweep: sweep.csv, sweep.json and a line or heat-map figure.

The numbers come from :mod:`sim.analysis.sweep`; this module only draws and writes them.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.estimates import BINARY_METRICS
from sim.analysis.sweep import (
    SweepResult,
    crossing,
    curve,
    find_threshold,
    fmt_value,
    grid_lines,
    threshold_summary,
)
from sim.model.metrics import REGISTRY
from sim.output.labels import METRIC_LABELS, panels
from sim.output.results_folder import spreadsheet_text

# Panels of the figure: metric, title, unit.
MAIN_METRICS = panels(("operating_days", "garrison_held", "helicopters_lost",
                       "supplies_delivered_t", "refined_kbbl", "gov_control_final"))
UNITS = {metric: unit for metric, (_, unit) in METRIC_LABELS.items()}
# ci_clipped: "yes" where the Student-t interval left the metric's bounds and was clipped to
# them (sim.analysis.estimates.bounded_interval).
CSV_COLUMNS = ("metric", "mean", "ci_low", "ci_high", "n", "ci_method", "ci_clipped")
LINE, BAND, MARK = "#0072B2", "#56B4E9", "#D55E00"  # Okabe-Ito blue, sky blue, vermillion
ANNOTATE_MAX_CELLS = 64  # heatmaps up to this size print each cell's mean


def _panels(threshold: tuple[str, float] | None) -> list[tuple[str, str, str]]:
    panels = list(MAIN_METRICS)
    if threshold is not None and threshold[0] not in {m for m, _, _ in panels}:
        metric = threshold[0]
        panels.append((metric, metric.replace("_", " "), UNITS.get(metric, "")))
    return panels


def sweep_figure(result: SweepResult, threshold: tuple[str, float] | None = None) -> Figure:
    """Line plot with 95% bands (1-D sweep) or heatmaps of the means (2-D sweep)."""
    if len(result.params) == 1:
        return line_figure(result, threshold)
    return heatmap_figure(result, threshold)


def _grid_axes(fig: Figure, n: int):
    rows = math.ceil(n / 3)
    axes = fig.subplots(rows, 3, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return axes[:n]


def _title(result: SweepResult) -> str:
    return (f"Sweep of {' x '.join(result.params)}: {result.replications} replications a "
            f"point, seed {result.seed}, common random numbers")


def line_figure(result: SweepResult, threshold: tuple[str, float] | None = None) -> Figure:
    """One panel per main metric: the mean against the parameter, with its 95% CI band."""
    panels = _panels(threshold)
    fig = Figure(figsize=(13, 4.2 * math.ceil(len(panels) / 3)), layout="constrained")
    xs = np.array([v[0] for v in result.grid], dtype=float)
    for ax, (metric, title, unit) in zip(_grid_axes(fig, len(panels)), panels, strict=True):
        mean = curve(result, metric)
        lo, hi = curve(result, metric, "ci_low"), curve(result, metric, "ci_high")
        ax.fill_between(xs, lo, hi, color=BAND, alpha=0.35, linewidth=0, label="95% CI")
        ax.plot(xs, mean, marker="o", markersize=4, color=LINE, label="mean")
        if threshold is not None and threshold[0] == metric:
            level = threshold[1]
            x = find_threshold(result, metric, level)
            ax.axhline(level, color=MARK, linestyle=":", linewidth=1,
                       label=f"level {level:g}" + (" (not crossed)" if x is None else ""))
            if x is not None:
                ax.axvline(x, color=MARK, linestyle="--", linewidth=1,
                           label=f"crosses at {x:.4g}")
            ax.legend(fontsize=8)
        if metric in BINARY_METRICS:
            ax.set_ylim(-0.02, 1.02)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(result.params[0])
        ax.set_ylabel(f"{metric} ({unit})")
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=8, loc="best")
    fig.suptitle(_title(result))
    return fig


def heatmap_figure(result: SweepResult, threshold: tuple[str, float] | None = None) -> Figure:
    """One heatmap of the means per main metric: first parameter down, second across."""
    panels = _panels(threshold)
    ax0, ax1 = result.axes
    index = {v: i for i, v in enumerate(result.grid)}
    fig = Figure(figsize=(14, 4.6 * math.ceil(len(panels) / 3)), layout="constrained")
    for ax, (metric, title, unit) in zip(_grid_axes(fig, len(panels)), panels, strict=True):
        means = curve(result, metric)
        z = np.full((len(ax0), len(ax1)), np.nan)
        for r, v0 in enumerate(ax0):
            for c, v1 in enumerate(ax1):
                if (v0, v1) in index:
                    z[r, c] = means[index[(v0, v1)]]
        vmin, vmax = colour_range(metric, z)
        image = ax.imshow(np.ma.masked_invalid(z), origin="lower", aspect="auto",
                          cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
        fig.colorbar(image, ax=ax, label=f"mean {metric} ({unit})")
        if z.size <= ANNOTATE_MAX_CELLS:
            for (r, c), v in np.ndenumerate(z):
                if np.isfinite(v):
                    dark = (v - vmin) / (vmax - vmin) < 0.5
                    ax.text(c, r, f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}",
                            ha="center", va="center", fontsize=7,
                            color="white" if dark else "black")
        note = ""
        if threshold is not None and threshold[0] == metric:
            rows, cols = [], []
            for r, (_, idx) in enumerate(grid_lines(result)):
                hit = crossing([result.grid[i][-1] for i in idx], means[idx], threshold[1])
                if hit is not None:
                    rows.append(r)
                    cols.append(hit[1])
            if rows:
                ax.plot(cols, rows, color=MARK, marker="o", markersize=5,
                        label=f"crosses {threshold[1]:g}")
                ax.legend(fontsize=8)
            else:
                note = f" (never crosses {threshold[1]:g})"
        _ticks(ax, ax1, ax0)
        ax.set_title(f"{title}: mean{note}", fontsize=10)
        ax.set_xlabel(result.params[1])
        ax.set_ylabel(result.params[0])
    fig.suptitle(_title(result))
    return fig


def colour_range(metric: str, z: np.ndarray) -> tuple[float, float]:
    """The colour scale of a heatmap of ``metric``'s means: the whole of a bounded metric
    (0..1 for shares), else the means' own range; a flat panel gets a range of one around
    its value, kept within the values the metric can take (all zero: 0..1, not -0.5..0.5)."""
    low, high = REGISTRY[metric].bounds if metric in REGISTRY else (None, None)
    if metric in BINARY_METRICS:
        low, high = 0.0, 1.0
    if low is not None and high is not None:
        return low, high
    finite = z[np.isfinite(z)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
        if low is not None and vmin < low:
            vmin, vmax = low, low + 1.0
    return vmin, vmax


def _ticks(ax: Any, xvalues: list[float], yvalues: list[float]) -> None:
    """Label heatmap cells with the parameter values, thinned to about ten a side."""
    for values, set_ticks in ((xvalues, ax.set_xticks), (yvalues, ax.set_yticks)):
        step = max(1, math.ceil(len(values) / 10))
        pos = list(range(0, len(values), step))
        set_ticks(pos, labels=[fmt_value(values[i]) for i in pos])
    long = any(len(fmt_value(v)) > 4 for v in xvalues)
    ax.tick_params(axis="x", labelrotation=45 if long else 0, labelsize=8)
    ax.tick_params(axis="y", labelsize=8)


# -- writing ------------------------------------------------------------------------------


def write_sweep(result: SweepResult, out: Path, threshold: tuple[str, float] | None = None
                ) -> dict[str, Any]:
    """Write sweep.csv, sweep.png and sweep.json into ``out``; returns the JSON content."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = result.table()
    with (out / "sweep.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*result.params, *CSV_COLUMNS])
        for row in table:
            writer.writerow([*(fmt_value(row[p]) for p in result.params),
                             *(_cell(row[c]) for c in CSV_COLUMNS)])
    sweep_figure(result, threshold).savefig(out / "sweep.png", dpi=110)
    batch = result.batch
    summary: dict[str, Any] = {
        "params": result.params,
        "axes": result.axes,
        "grid": [list(v) for v in result.grid],
        "scenarios": [p.scenario for p in result.points],
        "seed": result.seed,
        "replications": result.replications,
        "finished_replications": [len(r.seed) for r in batch.runs],
        "failures": len(batch.failures),
        "interrupted": batch.interrupted,
        "threshold": (threshold_summary(result, *threshold) if threshold is not None
                      else None),
        "intervals": {
            "method": "95% interval of the mean: Wilson for shares of replications, "
                      "Student-t otherwise, clipped to the metric's bounds (no count or "
                      "amount below 0, no share of a whole above 1)",
            "clipped": [{"point": [row[p] for p in result.params], "metric": row["metric"]}
                        for row in table if row["ci_clipped"]],
        },
        "files": ["sweep.csv", "sweep.png", "sweep.json"],
    }
    (out / "sweep.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):  # ci_clipped
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):  # text a spreadsheet must not take for a formula
        return spreadsheet_text(value)
    return value
