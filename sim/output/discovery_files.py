"""The files of a scenario discovery (``baiji-sim discover --out DIR``):

* ``discovery.json``: the goal, the design, PRIM's boxes with their trajectories, CART's,
  the heatmap, the selection and the plain-words answer (the report reads it);
* ``discovery_points.csv``: one row per design point: its values, effort, outcome, met;
* ``discovery_boxes.csv``: one row per limit of every box (PRIM and CART), with coverage,
  density, points and the limit's quasi-p values;
* ``discovery_selection.csv`` (with ``--cheapest``): the confirmed candidates;
* ``discovery_tradeoff.png``, ``discovery_heatmap.png``, ``discovery_frontier.png``.

The numbers come from :mod:`sim.analysis.discovery`; this module only writes and draws them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.discovery import DiscoveryResult, discovery_summary
from sim.output.discovery_figures import frontier_figure, heatmap_figure, tradeoff_figure
from sim.output.results_folder import spreadsheet_text
from sim.runner.store import DISCOVERY_ENTRIES

DISCOVERY, POINTS, BOXES, SELECTION, TRADEOFF, HEATMAP, FRONTIER = DISCOVERY_ENTRIES
DPI = 110


def _text(value: Any) -> Any:
    return spreadsheet_text(value) if isinstance(value, str) else value


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: _text(v) for k, v in row.items()} for row in rows)


def point_rows(result: DiscoveryResult) -> list[dict[str, Any]]:
    d = result.design
    met = result.met
    rows = []
    for i in range(len(result.outcomes)):
        row: dict[str, Any] = {"point": i}
        row.update({dim.path: (int(v) if dim.integer else float(v))
                    for dim, v in zip(d.dimensions, d.values[i].tolist(), strict=True)})
        row.update(effort=float(d.efforts[i]), outcome=float(result.outcomes[i]),
                   replications=int(result.counted[i]), met=int(met[i]))
        rows.append(row)
    return rows


def box_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for method in ("prim", "cart"):
        for k, box in enumerate(summary[method]):
            for r in box["restrictions"]:
                rows.append({"method": method, "box": k + 1, "coverage": box["coverage"],
                             "density": box["density"], "points": box["points"],
                             "dimension": r["path"], "kind": r["kind"], "low": r["low"],
                             "high": r["high"], "range_low": r["full_low"],
                             "range_high": r["full_high"], "qp_low": r["qp_low"],
                             "qp_high": r["qp_high"], "rule": r["words"]})
    return rows


BOX_COLUMNS = ["method", "box", "coverage", "density", "points", "dimension", "kind", "low",
               "high", "range_low", "range_high", "qp_low", "qp_high", "rule"]


def write_discovery(result: DiscoveryResult, out: Path) -> dict[str, Any]:
    """Write every file of the discovery into ``out``; returns discovery.json's content."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = discovery_summary(result)
    summary["files"] = [DISCOVERY, POINTS, BOXES]
    rows = point_rows(result)
    _write_csv(out / POINTS, list(rows[0]), rows)
    _write_csv(out / BOXES, BOX_COLUMNS, box_rows(summary))
    if result.selection is not None:
        sel = result.selection
        lever_paths = [lv.path for lv in result.design.levers]
        columns = ["candidate", "point", *lever_paths, "effort", "screened", "outcome", "low",
                   "high", "units", "p_value", "p_holm", "meets", "chosen"]
        _write_csv(out / SELECTION, columns, [
            {"candidate": k, "point": c.point, **c.levers, "effort": c.effort,
             "screened": c.screened, "outcome": c.outcome, "low": c.low, "high": c.high,
             "units": c.units, "p_value": c.p_value, "p_holm": c.p_holm,
             "meets": int(c.meets), "chosen": int(k == sel.chosen)}
            for k, c in enumerate(sel.candidates)])
        summary["files"].append(SELECTION)
    figures = []
    if summary["prim"]:
        figures.append((TRADEOFF, tradeoff_figure(summary)))
    if summary["heatmap"] is not None:
        figures.append((HEATMAP, heatmap_figure(summary)))
    figures.append((FRONTIER, frontier_figure(summary, result.design.efforts,
                                              np.asarray(result.outcomes), result.met)))
    for name, fig in figures:
        fig.savefig(out / name, dpi=DPI)
        summary["files"].append(name)
    summary = _clean(summary)
    (out / DISCOVERY).write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n",
                                 encoding="utf-8")
    return summary


def _clean(value: Any) -> Any:
    """JSON-able: numpy numbers as Python ones, NaN (no interval) as null."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
