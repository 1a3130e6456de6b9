"""Plots of a batch: outcome distributions, garrison survival, daily bands.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, no
global backend state), returned for inspection and saved by :func:`write_plots`.
Colours are the Okabe-Ito palette, distinguishable with colour-blindness.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.batch import BatchResult
from sim.statistics import mean_interval, survival_curve

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")

OUTCOMES = (
    ("operating_days", "Days operated by the government", "days"),
    ("refined_kbbl", "Products refined under the government", "thousand bbl"),
    ("gov_control_final", "Government share of the plant at the horizon", "share"),
    ("min_supply_days", "Lowest garrison stock", "days of supply"),
    ("helicopters_lost", "Helicopters lost", "aircraft"),
    ("supplies_delivered_t", "Supplies delivered by air", "tonnes"),
)
BANDS = (
    ("gov_control", "Government share of the plant", "share"),
    ("supply_days", "Garrison stock", "days of supply"),
    ("garrison_troops", "Garrison strength", "troops"),
    ("besieger_strength", "Besieger strength", "fighters"),
)
MAX_POINTS = 400  # points drawn per box; the box itself uses every replication


def colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def outcome_distributions(batch: BatchResult) -> Figure:
    """Box plots with the replications' spread and the mean's 95% CI, one panel a metric."""
    names = [r.scenario.name for r in batch.runs]
    fig = Figure(figsize=(13, 8.5), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    rng = np.random.default_rng(0)  # jitter only; never touches the results
    for ax, (metric, title, unit) in zip(axes, OUTCOMES, strict=True):
        data = []
        for i, runs in enumerate(batch.runs):
            v = runs.column(metric)
            v = v[~np.isnan(v)]
            data.append(v)
            shown = v if len(v) <= MAX_POINTS else rng.choice(v, MAX_POINTS, replace=False)
            ax.scatter(i + rng.uniform(-0.18, 0.18, len(shown)), shown, s=4, alpha=0.25,
                       color=colour(i), linewidths=0)
            mean, lo, hi = mean_interval(v)
            if not np.isnan(mean):
                ax.errorbar(i + 0.3, mean, yerr=[[mean - lo], [hi - mean]] if not np.isnan(lo)
                            else None, fmt="D", color="black", markersize=4, capsize=3,
                            label="mean, 95% CI" if i == 0 else None)
        ax.boxplot(data, positions=range(len(data)), widths=0.5, showfliers=False,
                   medianprops={"color": "black"}, tick_labels=names)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(f"Outcomes across scenarios ({batch.replications} replications each)")
    return fig


def garrison_survival(batch: BatchResult) -> Figure:
    """Share of replications in which the garrison still holds, day by day."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    for i, runs in enumerate(batch.runs):
        days, share = survival_curve(runs.column("garrison_fall_day"),
                                     runs.scenario.horizon_days)
        ax.step(days, share, where="post", color=colour(i), label=runs.scenario.name)
    ax.set_xlabel("day of the scenario")
    ax.set_ylabel("share of replications with the garrison holding")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Garrison survival")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def daily_bands(batch: BatchResult) -> Figure:
    """Median and 5-95% band of the daily series, one panel a series."""
    fig = Figure(figsize=(13, 8), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    for ax, (series, title, unit) in zip(axes, BANDS, strict=True):
        for i, runs in enumerate(batch.runs):
            bands = runs.bands(series)
            days = np.arange(1, runs.scenario.horizon_days + 1)
            ax.fill_between(days, bands["p5"], bands["p95"], color=colour(i), alpha=0.15,
                            linewidth=0)
            ax.plot(days, bands["p50"], color=colour(i), label=runs.scenario.name)
        ax.set_title(f"{title}: median and 5-95% band", fontsize=10)
        ax.set_xlabel("day of the scenario")
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return fig


def write_plots(batch: BatchResult, folder: Path, fmt: str = "png") -> list[Path]:
    """Save every figure into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in (("outcomes", outcome_distributions),
                        ("garrison_survival", garrison_survival),
                        ("daily_bands", daily_bands)):
        path = folder / f"{name}.{fmt}"
        build(batch).savefig(path, dpi=110)
        written.append(path)
    return written
