"""The files and figure of a sensitivity analysis: sensitivity.csv, sensitivity.json, the plot.

The indices come from :mod:`sim.analysis.sensitivity`; this module only draws and writes them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.sensitivity import (
    CONF_LEVEL,
    SensitivityResult,
    metric_meaning,
    ranked_rows,
    sensitivity_summary,
)
from sim.output.plots import OKABE_ITO
from sim.output.results_folder import SENSITIVITY, SENSITIVITY_FIGURE, spreadsheet_text


def sensitivity_figure(result: SensitivityResult, top: int = 20) -> Figure:
    """Tornado-style bars of the ``top`` parameters, most influential at the top."""
    rows = result.indices[:top]
    n = len(rows)
    fig = Figure(figsize=(9, 1.8 + 0.38 * max(n, 1)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(n)
    labels = [r["parameter"] for r in rows]
    what = metric_meaning(result.metric)
    if result.method == "morris":
        mu = np.array([r["mu_star"] for r in rows])
        conf = np.array([r["mu_star_conf"] for r in rows])
        # mu* >= 0: the interval is drawn no further left than zero.
        ax.barh(y, mu, xerr=[np.minimum(conf, mu), conf], color=OKABE_ITO[0], capsize=3,
                height=0.6,
                label=f"μ*, with its {CONF_LEVEL:.0%} CI")
        ax.scatter([r["sigma"] for r in rows], y, marker="D", s=18, color=OKABE_ITO[3],
                   zorder=3, label="σ (spread of the effects: nonlinearity, interactions)")
        ax.set_xlabel(f"μ*: mean absolute change in {what}\nwhen the parameter crosses its "
                      "whole range (Morris elementary effects)")
    else:
        st = np.array([r["ST"] for r in rows])
        s1 = np.array([r["S1"] for r in rows])
        ax.barh(y - 0.2, st, height=0.4, xerr=[r["ST_conf"] for r in rows], capsize=3,
                color=OKABE_ITO[0], label=f"ST: total, with interactions ({CONF_LEVEL:.0%} CI)")
        ax.barh(y + 0.2, s1, height=0.4, xerr=[r["S1_conf"] for r in rows], capsize=3,
                color=OKABE_ITO[1], label="S1: this parameter alone")
        ax.set_xlabel(f"Sobol index: share of the variance of {what}")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_ylabel("parameter (varied over its plausible range)")
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.grid(axis="x", alpha=0.3)
    if n:
        ax.legend(fontsize=8, loc="lower right")
    shown = f"top {n} of {len(result.parameters)}" if n < len(result.parameters) else (
        f"{n} parameters")
    fig.suptitle(f"Sensitivity of {result.metric} in {result.scenario}: "
                 f"{result.method.capitalize()}, {shown}\n{result.model_runs} model runs "
                 f"({result.points} design points x {result.replications} replications)",
                 fontsize=10)
    return fig


def write_sensitivity(result: SensitivityResult, out: Path) -> dict[str, Path]:
    """Write sensitivity.csv (ranked table), .json and .png into ``out``; returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "sensitivity.csv", "json": out / SENSITIVITY,
             "png": out / SENSITIVITY_FIGURE}  # the names the report reads
    rows = ranked_rows(result)
    with paths["csv"].open("w", newline="", encoding="utf-8") as fh:
        columns = ["rank", "parameter", "low", "high",
                   *(k for k in (rows[0] if rows else {}) if k not in
                     ("rank", "parameter", "low", "high"))]
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        # text (parameter paths, which hold names) that a spreadsheet must not take for a
        # formula; numbers as they are
        writer.writerows({k: spreadsheet_text(v) if isinstance(v, str) else v
                          for k, v in row.items()} for row in rows)
    paths["json"].write_text(json.dumps(sensitivity_summary(result), indent=2) + "\n",
                             encoding="utf-8")
    sensitivity_figure(result).savefig(paths["png"], dpi=110)
    return paths
