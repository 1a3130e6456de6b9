"""Writing a batch to a results folder that says exactly what produced it.

Layout of ``--out``::

    replications.csv     one row per replication (the public metric names)
    summary.json         per scenario and metric: mean, 95% CI, quantiles, count
    daily_bands.csv      per scenario, series and day: mean and 5/25/50/75/95% quantiles
    scenarios/NAME.yaml  each scenario fully resolved (after extends and --set)
    manifest.json        command line, seed, replications, version, date, status
    traces/NAME.json     the event log of each scenario's first replication
    plots/*.png          see sim.output.plots (redrawn from these files by ``baiji-sim plot``)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import platform
import sys
from pathlib import Path
from typing import Any

import yaml

from sim import __version__
from sim.analysis.statistics import summarize
from sim.model.metrics import METRICS
from sim.model.recorder import DAILY
from sim.output.results_folder import safe_name
from sim.runner.batch import BatchResult
from sim.scenario.schema import Scenario

HEADER = ("scenario", "replication", "seed", *METRICS)


def write_results(batch: BatchResult, out: Path, *, sources: dict[str, str] | None = None,
                  command: list[str] | None = None, workers: int | None = None,
                  plots: bool = True, analysis: dict[str, Any] | None = None,
                  plot_format: str = "png",
                  resumed_with: list[str] | None = None) -> dict[str, Any]:
    """Write every file of a results folder; returns the summary.

    ``analysis`` (paired comparisons, selection, stopping report) joins the summary.
    ``command`` is the command that started the batch; ``resumed_with`` the one that
    finished it, if it was resumed.
    """
    out.mkdir(parents=True, exist_ok=True)
    # A previous run's manifest must not vouch for files this one is about to replace.
    (out / "manifest.json").unlink(missing_ok=True)
    write_replications_csv(batch, out / "replications.csv")
    summary = summarize(batch)
    summary.update(analysis or {})
    (out / "summary.json").write_text(json.dumps(json_safe(summary), indent=2, allow_nan=False)
                                      + "\n", encoding="utf-8")
    write_daily_bands(batch, out / "daily_bands.csv")
    scen_dir = out / "scenarios"
    scen_dir.mkdir(exist_ok=True)
    for runs in batch.runs:
        (scen_dir / f"{safe_name(runs.scenario.name)}.yaml").write_text(
            resolved_yaml(runs.scenario), encoding="utf-8")
    manifest = {
        "command": command if command is not None else sys.argv,
        **({"resumed_with": resumed_with} if resumed_with else {}),
        "seed": batch.seed,
        "replications": batch.replications,
        "workers": workers,
        "status": "interrupted" if batch.interrupted else "complete",
        "finished_replications": {r.scenario.name: len(r.seed) for r in batch.runs},
        "failures": [f.__dict__ for f in batch.failures],
        "scenario_files": sources or {},
        "package_version": __version__,
        "python": platform.python_version(),
        "libraries": _library_versions(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    # The status is final only once everything is written: a run stopped while writing its
    # traces or plots leaves "writing results", which the report flags as unfinished.
    status = manifest["status"]
    manifest["status"] = "writing results"
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    write_traces(batch, out / "traces")
    if plots:
        from sim.output.plots import write_plots  # matplotlib only when plots are wanted

        write_plots(out, plot_format)
    manifest["status"] = status
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return summary


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None: JSON has no such numbers, and a file with
    them (Python writes NaN, Infinity) is refused by most other readers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the numbers, recorded with every run."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("simpy", "numpy", "scipy", "pydantic", "matplotlib", "SALib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_traces(batch: BatchResult, folder: Path) -> None:
    """The event log of each scenario's first finished replication (re-run with its seed)."""
    from sim.model.replication import run_replication

    folder.mkdir(parents=True, exist_ok=True)
    for runs in batch.runs:
        if len(runs.seed) == 0:
            continue
        seed = int(runs.seed[0])
        trace = run_replication(runs.scenario, seed, trace=True).trace or []
        data = {"scenario": runs.scenario.name, "replication": int(runs.replication[0]),
                "seed": seed, "start_date": runs.scenario.start_date.isoformat(),
                "entries": [[e.time, e.kind, e.text] for e in trace]}
        (folder / f"{safe_name(runs.scenario.name)}.json").write_text(
            json.dumps(data), encoding="utf-8")


def write_replications_csv(batch: BatchResult, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for row in batch.iter_rows():
            writer.writerow([_cell(row[k]) for k in HEADER])


def write_daily_bands(batch: BatchResult, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("scenario", "series", "day", "mean", "p5", "p25", "p50", "p75", "p95"))
        for runs in batch.runs:
            for name in DAILY:
                bands = runs.bands(name)
                cols = [bands[k] for k in ("mean", "p5", "p25", "p50", "p75", "p95")]
                for day in range(runs.scenario.horizon_days):
                    writer.writerow([runs.scenario.name, name, day,
                                     *(_cell(float(c[day])) for c in cols)])


def resolved_yaml(scenario: Scenario) -> str:
    """The scenario with every default filled in, as YAML."""
    data = scenario.model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.6g}" if not value.is_integer() else str(int(value))
    return value
