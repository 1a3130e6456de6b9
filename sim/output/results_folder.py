"""Reading a results folder back: what plots and the report are drawn from.

Plots are made from the files a run wrote (replications.csv, daily_bands.csv,
summary.json, traces/, scenarios/), never from the in-memory batch, so that
``baiji-sim plot RESULTS_DIR`` redraws them exactly without re-running.
"""

from __future__ import annotations

import csv
import json
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.model.metrics import METRICS


class ResultsFolderError(Exception):
    """A folder that does not hold the results of a run."""


@dataclass
class ResultsData:
    """Everything the figures need, read from one results folder."""

    folder: Path
    scenarios: list[str]  # in the order of the run
    horizon: dict[str, int]
    metrics: dict[str, dict[str, np.ndarray]]  # scenario -> metric -> values
    bands: dict[str, dict[str, dict[str, np.ndarray]]]  # scenario -> series -> stat -> by day
    summary: dict[str, Any]
    manifest: dict[str, Any]
    traces: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def replications(self) -> int:
        return max((len(next(iter(m.values()))) for m in self.metrics.values() if m),
                   default=0)


def safe_name(name: str) -> str:
    """A scenario name as a file name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def load_results(folder: Path) -> ResultsData:
    """Read a results folder written by ``baiji-sim run``."""
    folder = Path(folder)
    needed = ["summary.json", "replications.csv", "daily_bands.csv", "manifest.json"]
    missing = [n for n in needed if not (folder / n).exists()]
    if missing:
        raise ResultsFolderError(f"{folder}: not a results folder (missing {', '.join(missing)})")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    names = list(summary["scenarios"])
    horizon = {}
    for name in names:
        path = folder / "scenarios" / f"{safe_name(name)}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        horizon[name] = int(data.get("horizon_days", 0))
    # array('d') keeps 8 bytes a value while reading (a list of floats holds 32): a
    # results folder may hold 100,000 replications.
    metrics: dict[str, dict[str, array[float]]] = {
        n: {m: array("d") for m in METRICS} for n in names}
    with (folder / "replications.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            target = metrics.get(row["scenario"])
            if target is None:
                continue
            for m in METRICS:
                cell = row.get(m, "")
                target[m].append(float(cell) if cell != "" else np.nan)
    bands: dict[str, dict[str, dict[str, list[float]]]] = {n: {} for n in names}
    with (folder / "daily_bands.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            per = bands.setdefault(row["scenario"], {}).setdefault(row["series"], {})
            for stat in ("mean", "p5", "p25", "p50", "p75", "p95"):
                per.setdefault(stat, []).append(float(row[stat]) if row[stat] != "" else np.nan)
    traces = {}
    for name in names:
        path = folder / "traces" / f"{safe_name(name)}.json"
        if path.exists():
            traces[name] = json.loads(path.read_text(encoding="utf-8"))
    return ResultsData(
        folder=folder, scenarios=names, horizon=horizon,
        metrics={n: {m: np.frombuffer(v, dtype=float) if len(v) else np.empty(0)
                     for m, v in d.items()}
                 for n, d in metrics.items()},
        bands={n: {s: {k: np.array(v) for k, v in d.items()} for s, d in b.items()}
               for n, b in bands.items()},
        summary=summary, manifest=manifest, traces=traces)
