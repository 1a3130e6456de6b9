"""Figures of a run with parameter uncertainty and of a calibration (issue 17).

- ``posterior_pairs``: the parameters the observations narrow most, two by two: every prior
  draw as a grey dot, the draws the observations keep coloured and sized by their weight;
  on the diagonal each one's prior and posterior histogram.
- ``posterior_marginals``: prior and posterior histograms of the most narrowed parameters.
- ``with_and_without_parameters``: each outcome's spread with and without parameter
  uncertainty, side by side (docs/model.md, 5.3).

They read the drawn values (``param.*`` columns) and the observations (``obs.*``) back from
replications.csv, and weigh the draws as the calibration does (sim/analysis/calibration.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.analysis.calibration import agrees_with_all, group_means
from sim.analysis.uncertainty import DECOMPOSED
from sim.output.results import PARAMETER_PREFIX
from sim.output.results_folder import ResultsData, load_results

PRIOR, POSTERIOR = "#999999", "#0072B2"
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")  # scenarios (Okabe-Ito)
TOP_PAIRS = 4
TOP_MARGINALS = 12
BINS = 20
SHUFFLE_SEED = 20140611  # the regrouping of "chance alone" (any fixed number: a figure redraws
#                          the same)


def _calibrated(data: ResultsData) -> tuple[str, dict[str, Any]] | None:
    """The first scenario with a calibration that kept some draw, and its entry."""
    for name, entry in (data.summary.get("calibration") or {}).items():
        if entry.get("ess", 0.0) > 0 and entry.get("parameters"):
            return name, entry
    return None


def _draws(data: ResultsData, name: str, entry: dict[str, Any], paths: list[str]
           ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each parameter's value in each draw, and each draw's weight."""
    per_draw = int(data.summary["uncertainty"]["per_draw"])
    columns = [f"{PARAMETER_PREFIX}{p}" for p in paths]
    observed = list(entry["observations"])
    table = load_results(data.folder, ["replication", *columns, *observed]).metrics[name]
    replication = table["replication"].astype(int)
    w = group_means(replication, agrees_with_all({m: table[m] for m in observed}), per_draw)
    _, first = np.unique(replication // per_draw, return_index=True)
    return {p: table[c][first] for p, c in zip(paths, columns, strict=True)}, w


def _most_narrowed(data: ResultsData, top: int) -> tuple[
        str, dict[str, Any], list[dict[str, Any]], dict[str, np.ndarray], np.ndarray] | None:
    """The calibrated scenario, its entry, the ``top`` most narrowed parameters' rows, their
    values in each draw and each draw's weight (None without a calibration)."""
    found = _calibrated(data)
    if found is None:
        return None
    name, entry = found
    rows = entry["parameters"][:top]
    values, w = _draws(data, name, entry, [r["parameter"] for r in rows])
    return name, entry, rows, values, w


def _short(path: str, width: int = 28) -> str:
    return path if len(path) <= width else "..." + path[-(width - 3):]


def _histograms(ax: Axes, values: np.ndarray, w: np.ndarray, bounds: list[float]) -> None:
    lo, hi = bounds if bounds[0] is not None else (float(values.min()), float(values.max()))
    edges: list[float] | int = np.linspace(lo, hi, BINS + 1).tolist() if hi > lo else BINS
    if hi > lo and np.all(values == np.round(values)) and hi - lo <= 4 * BINS:
        edges = (np.arange(np.floor(lo), np.ceil(hi) + 2) - 0.5).tolist()  # one bar a count
    ax.hist(values, bins=edges, density=True, histtype="stepfilled", color=PRIOR, alpha=0.5,
            label="prior")
    ax.hist(values, bins=edges, weights=w, density=True, histtype="step", color=POSTERIOR,
            linewidth=1.5, label="posterior")
    ax.set_yticks([])


def posterior_pairs(data: ResultsData, top: int = TOP_PAIRS) -> Figure | None:
    """The ``top`` most narrowed parameters two by two (see the module docstring)."""
    found = _most_narrowed(data, top)
    if found is None:
        return None
    name, entry, rows, values, w = found
    paths = [r["parameter"] for r in rows]
    kept = w > 0
    n = len(paths)
    fig = Figure(figsize=(2.3 * n + 0.6, 2.3 * n + 0.6), layout="constrained")
    axes = fig.subplots(n, n, squeeze=False)
    size = 60.0 * w[kept] / w.max()
    for i, pi in enumerate(paths):
        for j, pj in enumerate(paths):
            ax = axes[i][j]
            if i == j:
                _histograms(ax, values[pi], w, rows[i]["range"])
            elif i > j:
                ax.scatter(values[pj], values[pi], s=4, color=PRIOR, alpha=0.5,
                           label="prior draw")
                ax.scatter(values[pj][kept], values[pi][kept], s=size, color=POSTERIOR,
                           alpha=0.7, label="kept (size: weight)")
            else:
                ax.set_axis_off()
                continue
            if i == n - 1:
                ax.set_xlabel(_short(pj), fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(_short(pi), fontsize=7)
            ax.tick_params(labelsize=6)
    if n > 1:
        axes[1][0].legend(fontsize=6, loc="best")
    else:
        axes[0][0].legend(fontsize=6, loc="best")
    fig.suptitle(f"{name}: the {n} parameters the observations narrow most (ESS "
                 f"{entry['ess']:.0f} of {entry['draws']} draws)", fontsize=9)
    return fig


def posterior_marginals(data: ResultsData, top: int = TOP_MARGINALS) -> Figure | None:
    """Prior and posterior histograms of the ``top`` most narrowed parameters."""
    found = _most_narrowed(data, top)
    if found is None:
        return None
    name, _, rows, values, w = found
    paths = [r["parameter"] for r in rows]
    cols = min(4, len(paths))
    nrows = -(-len(paths) // cols)
    fig = Figure(figsize=(3.0 * cols, 2.1 * nrows + 0.5), layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax, row in zip(axes, rows, strict=False):
        _histograms(ax, values[row["parameter"]], w, row["range"])
        ax.set_title(f"{_short(row['parameter'], 34)}\nnarrower by {row['shrinkage']:.0%}",
                     fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes[len(rows):]:
        ax.set_axis_off()
    axes[0].legend(fontsize=6)
    fig.suptitle(f"{name}: prior and posterior of the parameters the observations narrow "
                 "most", fontsize=9)
    return fig


def chance_alone(replication: np.ndarray, values: np.ndarray, per_draw: int, seed: int
                 ) -> np.ndarray:
    """The draws' means had the parameters been known: the same replications dealt into
    groups of ``per_draw`` at random, which keeps their spread and removes any difference
    between the parameter sets (a permutation of the groups)."""
    shuffled = np.random.default_rng(seed).permutation(len(values))
    return group_means(np.arange(len(values)), values[shuffled], per_draw)


def with_and_without_parameters(data: ResultsData) -> Figure | None:
    """Each outcome's mean over a draw's replications, as cumulative distributions: for the
    draws as run (parameters and chance, solid) and for the same replications regrouped at
    random (chance alone, dashed), per scenario. Where the solid line spreads wider than the
    dashed one, the parameters add to the spread; where they match, chance alone explains
    it (the figure of the variance split in the uncertainty table)."""
    section = data.summary.get("uncertainty")
    if not section:
        return None
    per_draw = int(section["per_draw"])
    names = [n for n in data.scenarios if n in section["scenarios"]][:len(COLOURS)]
    table = load_results(data.folder, ["replication", *DECOMPOSED]).metrics
    fig = Figure(figsize=(2.5 * len(DECOMPOSED) + 0.5, 3.4), layout="constrained")
    axes = fig.subplots(1, len(DECOMPOSED), squeeze=False)[0]
    for ax, metric in zip(axes, DECOMPOSED, strict=True):
        for k, name in enumerate(names):
            replication = table[name]["replication"].astype(int)
            values = table[name][metric]
            keep = ~np.isnan(values)
            if not keep.any():
                continue
            both = group_means(replication[keep], values[keep], per_draw)
            alone = chance_alone(replication[keep], values[keep], per_draw, SHUFFLE_SEED + k)
            for means, style, how in ((alone, "--", "chance alone"),
                                      (both, "-", "parameters and chance")):
                ranked = np.sort(means)
                ax.step(ranked, np.arange(1, len(ranked) + 1) / len(ranked), where="post",
                        linestyle=style, color=COLOURS[k], label=f"{name}: {how}")
        ax.set_title(metric, fontsize=8)
        ax.set_ylim(0, 1.02)
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"share of draws with a mean up to x ({per_draw} replications each)",
                       fontsize=7)
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize=6, loc="outside lower center",
               ncols=min(4, 2 * len(names)))
    fig.suptitle("Each outcome with and without parameter uncertainty: the draws as run "
                 "(solid) and the same replications regrouped at random (dashed)", fontsize=9)
    return fig


CALIBRATION_FIGURES = {
    "posterior_pairs": posterior_pairs,
    "posterior_marginals": posterior_marginals,
    "with_and_without_parameters": with_and_without_parameters,
}
