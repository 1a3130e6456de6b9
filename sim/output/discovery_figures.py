"""The figures of a scenario discovery: PRIM's peeling trade-off, the heatmap of the goal over
the lever pair that matters most, and the frontier of the outcome against the effort.

Each is drawn from what discovery.json and discovery_points.csv hold (not from the runs), with
``matplotlib.figure.Figure`` directly, in the palette of the other figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.output.plots import OKABE_ITO

MET, NOT_MET, CHOSEN = OKABE_ITO[2], "#999999", OKABE_ITO[3]


def _outcome_label(summary: dict[str, Any]) -> str:
    goal = summary["goal"]
    if goal["kind"] == "mean":
        return f"mean {goal['metric']}"
    return f"P(goal): {goal['words']}" if goal["kind"] == "event" else (
        f"P({goal['metric']})")


def tradeoff_figure(summary: dict[str, Any]) -> Figure:
    """Coverage against density along each PRIM box's peeling trajectory, coloured by the
    number of restricted dimensions, the box reported ringed (it may lie off the trajectory:
    the limits that do not matter are dropped from the box picked on it)."""
    fig = Figure(figsize=(7.5, 5.2), layout="constrained")
    ax = fig.subplots()
    shown = None
    for k, (rows, box) in enumerate(zip(summary["trajectories"], summary["prim"],
                                        strict=True)):
        cov = [r["coverage"] for r in rows]
        den = [r["density"] for r in rows]
        dims = [r["res_dim"] for r in rows]
        ax.plot(cov, den, color="#bbbbbb", linewidth=0.8, zorder=1)
        shown = ax.scatter(cov, den, c=dims, cmap="viridis", s=22, zorder=2,
                           marker="o" if k == 0 else "s")
        ax.scatter([box["coverage"]], [box["density"]], s=160, facecolors="none",
                   edgecolors=CHOSEN, linewidths=2, zorder=3,
                   label=f"box {k + 1} reported (limits with quasi-p > 0.05 dropped): "
                         f"coverage {box['coverage']:.0%}, density {box['density']:.0%}, "
                         f"{box['points']} points")
    if shown is not None:
        fig.colorbar(shown, ax=ax, label="restricted dimensions")
        ax.legend(fontsize=8, loc="lower left")
    ax.axhline(summary["density_target"], color="black", linestyle=":", linewidth=0.8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage: share of the points meeting the goal that lie in the box")
    ax.set_ylabel("density: share of the box's points meeting the goal")
    ax.grid(alpha=0.3)
    fig.suptitle(f"PRIM peeling trade-off: {summary['goal']['words']}\n{summary['scenario']}, "
                 f"{summary['points']} design points x {summary['replications']} "
                 "replications", fontsize=10)
    return fig


def heatmap_figure(summary: dict[str, Any]) -> Figure:
    """The outcome over the pair of dimensions that matters most, each cell with its mean
    and 95% interval over the design points in it."""
    h = summary["heatmap"]
    mean = np.array([[np.nan if v is None else v for v in row] for row in h["mean"]])
    low = np.array([[np.nan if v is None else v for v in row] for row in h["low"]])
    high = np.array([[np.nan if v is None else v for v in row] for row in h["high"]])
    dims = {d["path"]: d for d in summary["dimensions"]}
    fig = Figure(figsize=(8, 6), layout="constrained")
    ax = fig.subplots()
    probability = summary["goal"]["kind"] != "mean"
    mesh = ax.pcolormesh(h["x_edges"], h["y_edges"], np.ma.masked_invalid(mean),
                         cmap="viridis", vmin=0.0 if probability else None,
                         vmax=1.0 if probability else None)
    fig.colorbar(mesh, ax=ax, label=_outcome_label(summary))
    xs, ys = h["x_edges"], h["y_edges"]
    for a in range(mean.shape[0]):
        for b in range(mean.shape[1]):
            if np.isnan(mean[a, b]):
                continue
            text = (f"{mean[a, b]:.2f}\n[{low[a, b]:.2f}, {high[a, b]:.2f}]\n"
                    f"n={h['points'][a][b]}") if not np.isnan(low[a, b]) else (
                f"{mean[a, b]:.2f}\nn={h['points'][a][b]}")
            dark = probability and mean[a, b] < 0.55
            ax.text((xs[b] + xs[b + 1]) / 2, (ys[a] + ys[a + 1]) / 2, text, ha="center",
                    va="center", fontsize=7, color="white" if dark else "black")
    for axis, key, setter in (("x", "x", ax.set_xlabel), ("y", "y", ax.set_ylabel)):
        d = dims[h[key]]
        setter(f"{d['label']} ({d['kind']})" if d["label"] != d["path"] else
               f"{d['path']} ({d['kind']})")
        del axis
    fig.suptitle(f"{_outcome_label(summary)} over the pair that matters most\n"
                 "mean of the design points in each cell [95% interval], the other "
                 "dimensions varying", fontsize=10)
    return fig


def frontier_figure(summary: dict[str, Any], efforts: np.ndarray, outcomes: np.ndarray,
                    met: np.ndarray) -> Figure:
    """The outcome against the total effort: every design point (one draw of the unknowns
    each), the best outcome reached at each effort or less, and the confirmed candidates with
    their 95% intervals (the cheapest declared to meet the goal marked)."""
    fig = Figure(figsize=(8.5, 5.5), layout="constrained")
    ax = fig.subplots()
    goal = summary["goal"]
    ax.scatter(efforts[~met], outcomes[~met], s=14, color=NOT_MET, alpha=0.7,
               label="design point, goal not met")
    ax.scatter(efforts[met], outcomes[met], s=18, color=MET, alpha=0.9,
               label="design point, goal met")
    order = np.argsort(efforts)
    upward = goal["outcome_op"] in (">=", ">")
    best = (np.fmax.accumulate if upward else np.fmin.accumulate)(outcomes[order])
    ax.step(efforts[order], best, where="post", color=OKABE_ITO[0], linewidth=1.2,
            label="best outcome at this effort or less (design)")
    ax.axhline(goal["threshold"], color="black", linestyle=":", linewidth=0.9,
               label=f"goal: {goal['outcome_op']} {goal['threshold']:g}")
    s = summary.get("selection")
    if s and s["candidates"]:
        c = s["candidates"]
        e = np.array([x["effort"] for x in c])
        o = np.array([x["outcome"] for x in c])
        lo = np.array([x["low"] for x in c])
        hi = np.array([x["high"] for x in c])
        ax.errorbar(e, o, yerr=[np.maximum(o - lo, 0), np.maximum(hi - o, 0)], fmt="D",
                    color=OKABE_ITO[1], capsize=3, markersize=5,
                    label=f"candidate, {s['replications']} new runs (95% interval)")
        if s["chosen"] is not None:
            b = c[s["chosen"]]
            ax.scatter([b["effort"]], [b["outcome"]], marker="*", s=260, color=CHOSEN,
                       zorder=4, label=f"cheapest meeting the goal with "
                                       f"{1 - s['alpha']:.0%} confidence")
    ax.set_xlabel("total effort of the lever settings (effort points: the scenario's "
                  "levers)")
    ax.set_ylabel(_outcome_label(summary))
    if goal["kind"] != "mean":
        ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.suptitle(f"What it takes: {goal['words']} against the effort\n{summary['scenario']}",
                 fontsize=10)
    return fig
